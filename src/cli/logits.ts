// `r1ts logits <model folder | preset> --tokens 1,2,3`: the next-token logits of the last position (or
// of every position), as a debugging aid to compare against another implementation.

import * as T from '../tensor/index.js';
import { openModel } from '../model/index.js';
import { UsageError } from './errors.js';

export interface LogitsOptions {
  readonly tokens: string;
  readonly all?: boolean;
  readonly top?: number;
  readonly seed?: number;
}

export interface PositionLogits {
  readonly position: number;
  readonly token: number;
  readonly logits: number[];
}

export interface LogitsReport {
  readonly source: string;
  readonly tokens: number[];
  readonly positions: PositionLogits[];
}

export function parseTokenList(text: string): Int32Array {
  const parts = text.split(',').map((s) => s.trim());
  const ids = parts.map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  const bad = parts.find((_, i) => !Number.isSafeInteger(ids[i]));
  if (bad !== undefined || parts.length === 0) throw new UsageError(`--tokens must be comma-separated non-negative integers like 1,2,3; got ${JSON.stringify(bad ?? text)}`);
  return Int32Array.from(ids);
}

export function logits(target: string, opts: LogitsOptions): LogitsReport {
  const ids = parseTokenList(opts.tokens);
  const { model, source } = openModel(target, opts.seed ?? 0);
  try {
    const rows = T.noGrad(() => T.tidy(() => model.forward(ids, { logits: opts.all ? 'all' : 'last' }).logits.toArray()));
    const V = model.config.vocab_size;
    const first = opts.all ? 0 : ids.length - 1;
    const positions = Array.from({ length: rows.length / V }, (_, i) => ({
      position: first + i,
      token: ids[first + i]!,
      logits: rows.slice(i * V, (i + 1) * V),
    }));
    return { source, tokens: Array.from(ids), positions };
  } finally {
    model.dispose();
  }
}

/** Per position: the top entries with their log-probabilities and the first few raw values. */
export function formatLogits(r: LogitsReport, top = 10): string {
  const lines = [`model: ${r.source}`, `tokens: ${r.tokens.join(',')}`];
  for (const p of r.positions) {
    const max = Math.max(...p.logits);
    const lse = max + Math.log(p.logits.reduce((s, x) => s + Math.exp(x - max), 0));
    const order = p.logits.map((_, i) => i).sort((a, b) => p.logits[b]! - p.logits[a]!).slice(0, top);
    lines.push('', `position ${p.position} (input token ${p.token}): next-token logits over ${p.logits.length} ids`);
    lines.push(`  first 8: ${p.logits.slice(0, 8).map((x) => x.toFixed(5)).join(' ')}`);
    lines.push('  rank  token     logit   logprob');
    order.forEach((id, k) => lines.push(`  ${String(k + 1).padStart(4)}  ${String(id).padStart(5)}  ${p.logits[id]!.toFixed(5).padStart(8)}  ${(p.logits[id]! - lse).toFixed(5).padStart(8)}`));
  }
  return lines.join('\n');
}
