// `r1ts verify`: judge answers the way GRPO and `r1ts eval` do, to audit the grader. One pair on the
// command line prints the verdict with both normalised forms; `--jsonl FILE` judges one pair per line
// (streamed, so a large file is fine), prints a verdict per line and a summary. Exit status follows
// diff: 0 when every pair is equal, 1 when some are not, 2 for bad usage.

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { AnswerSource, Verdict, VerifyOptions } from '../rewards/index.js';
import { extractAnswer, verifyAnswer } from '../rewards/index.js';
import { UsageError } from './errors.js';

export interface VerifySettings {
  /** Treat the prediction as a whole completion and judge the answer extracted from it. */
  readonly extract: boolean;
  readonly json: boolean;
  readonly verify: VerifyOptions;
}

export interface JudgedPair {
  readonly verdict: Verdict;
  /** With extract: where the judged answer came from (null: no answer found). */
  readonly source?: AnswerSource | null;
  readonly ms: number;
}

/** Judges one pair; with `extract`, a completion without an answer is simply not equal. */
export function judge(gold: string, pred: string, settings: Pick<VerifySettings, 'extract' | 'verify'>): JudgedPair {
  const started = performance.now();
  if (!settings.extract) return { verdict: verifyAnswer(gold, pred, settings.verify), ms: performance.now() - started };
  const found = extractAnswer(pred);
  if (found === null) {
    const verdict: Verdict = { equal: false, method: 'no-answer', reason: 'no final answer found after the reasoning (no \\boxed{}, <answer>, #### or "the answer is")', gold, pred: '' };
    return { verdict, source: null, ms: performance.now() - started };
  }
  return { verdict: verifyAnswer(gold, found.text, settings.verify), source: found.source, ms: performance.now() - started };
}

/**
 * Answers are often negative ("-3", "-\\frac{1}{2}"), which an option parser takes for unknown short
 * options. This puts every option (with the value of those in `valueOptions`) first and every answer,
 * in its order, after "--": an argument that starts with "-" and then a digit, a dot, a backslash or a
 * bracket is an answer.
 */
export function negativeAnswersAsPositionals(args: readonly string[], valueOptions: ReadonlySet<string>): string[] {
  const options: string[] = [];
  const answers: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      answers.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && !/^-[\d.\\([{]/.test(a)) {
      options.push(a);
      if (valueOptions.has(a) && i + 1 < args.length) options.push(args[++i]!);
    } else answers.push(a);
  }
  return [...options, '--', ...answers];
}

export function isPercentMode(text: string): text is NonNullable<VerifyOptions['percent']> {
  return text === 'value' || text === 'number' || text === 'either';
}

function describe(j: JudgedPair): string {
  const v = j.verdict;
  const from = j.source ? ` [answer from ${j.source}]` : '';
  return `${v.equal ? 'EQUAL' : 'NOT EQUAL'} (${v.method}): ${v.reason}${from}`;
}

export function verifyPairCommand(gold: string, pred: string, settings: VerifySettings): number {
  const j = judge(gold, pred, settings);
  if (settings.json) console.log(JSON.stringify({ ...j.verdict, source: j.source, ms: round(j.ms) }));
  else console.log([describe(j), `  gold:       ${j.verdict.gold}`, `  prediction: ${j.verdict.pred}`].join('\n'));
  return j.verdict.equal ? 0 : 1;
}

export interface JsonlFields {
  readonly gold: string;
  readonly pred: string;
}

/** A field as text: strings as they are, numbers (GSM8K-style golds) in their JSON form. */
function fieldText(row: Record<string, unknown>, name: string): string | null {
  const v = row[name];
  return typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null;
}

export async function verifyJsonlCommand(file: string, fields: JsonlFields, settings: VerifySettings): Promise<number> {
  const input = createReadStream(file, 'utf8');
  const opened = new Promise<void>((resolve, reject) => input.once('open', () => resolve()).once('error', reject));
  try {
    await opened;
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const summary = { pairs: 0, equal: 0, notEqual: 0, badLines: 0, totalMs: 0, worstMs: 0, worstLine: 0, methods: new Map<string, number>() };
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(text) as Record<string, unknown>;
      if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new Error('not a JSON object');
    } catch (e) {
      summary.badLines++;
      console.log(settings.json ? JSON.stringify({ line, error: `not a JSON object: ${(e as Error).message}` }) : `line ${line}: skipped, not a JSON object`);
      continue;
    }
    const gold = fieldText(row, fields.gold), pred = fieldText(row, fields.pred);
    if (gold === null || pred === null) {
      summary.badLines++;
      const missing = gold === null ? fields.gold : fields.pred;
      console.log(settings.json ? JSON.stringify({ line, error: `no text field '${missing}'` }) : `line ${line}: skipped, no text field '${missing}' (map fields with --gold-field / --pred-field)`);
      continue;
    }
    const j = judge(gold, pred, settings);
    summary.pairs++;
    summary[j.verdict.equal ? 'equal' : 'notEqual']++;
    summary.totalMs += j.ms;
    if (j.ms > summary.worstMs) {
      summary.worstMs = j.ms;
      summary.worstLine = line;
    }
    summary.methods.set(j.verdict.method, (summary.methods.get(j.verdict.method) ?? 0) + 1);
    console.log(settings.json ? JSON.stringify({ line, ...j.verdict, source: j.source, ms: round(j.ms) }) : `line ${line}: ${describe(j)}`);
  }
  const methods = Object.fromEntries([...summary.methods].sort((a, b) => b[1] - a[1]));
  const share = summary.pairs > 0 ? (100 * summary.equal) / summary.pairs : 0;
  if (settings.json) {
    console.log(JSON.stringify({ summary: { pairs: summary.pairs, equal: summary.equal, notEqual: summary.notEqual, badLines: summary.badLines, equalPercent: round(share), meanMs: round(summary.totalMs / Math.max(1, summary.pairs)), worstMs: round(summary.worstMs), worstLine: summary.worstLine, methods } }));
  } else {
    console.log([
      '',
      `${summary.pairs} pairs: ${summary.equal} equal (${share.toFixed(1)}%), ${summary.notEqual} not equal${summary.badLines > 0 ? `; ${summary.badLines} lines skipped` : ''}`,
      `decided by: ${Object.entries(methods).map(([m, n]) => `${m} ${n}`).join(', ') || '—'}`,
      `time: ${(summary.totalMs / Math.max(1, summary.pairs)).toFixed(2)} ms per pair, worst ${summary.worstMs.toFixed(1)} ms (line ${summary.worstLine})`,
    ].join('\n'));
  }
  return summary.notEqual === 0 && summary.badLines === 0 ? 0 : 1;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
