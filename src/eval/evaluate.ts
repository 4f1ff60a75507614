// One evaluation under the R1 protocol: each problem is sampled k times (T = 0.6, top-p 0.95 by
// default) through any Engine; every sample is judged correct or not, its answer extracted for the
// majority vote, its format checked; the scores are pass@1 averaged over the k samples, pass@k
// (unbiased) for each requested k, cons@k (majority vote), mean completion tokens, the share cut off at
// the token limit and the share in the R1 format. Per-problem records are returned for reports.

import type { Engine, GenerateRequest } from '../engine/index.js';
import { completionText } from '../engine/index.js';
import type { SamplingParams } from '../generate/index.js';
import type { RewardFn, RewardSample } from '../rewards/index.js';
import { accuracyReward, extractAnswer, lenientFormatReward, verifyAnswer } from '../rewards/index.js';
import { majorityVote, passAtK } from './metrics.js';

export interface EvalItem {
  readonly request: Omit<GenerateRequest, 'n' | 'sampling' | 'maxTokens'>;
  readonly sample: RewardSample & { readonly answer: string };
}

export interface EvalOptions {
  /** Samples per problem (default 4). */
  readonly k?: number;
  /** Also report unbiased pass@j for these j ≤ k. */
  readonly passAt?: readonly number[];
  readonly maxTokens?: number;
  readonly sampling?: Partial<SamplingParams>;
  /** Problems per engine call (default 16). */
  readonly chunk?: number;
  /** Whether a sample is correct (default: the verifier on the extracted answer; a task family may bring its own). */
  readonly correct?: RewardFn;
  /** Judges the format (default: lenient R1 format, think block opened by the template). */
  readonly format?: RewardFn;
  /** Called after each chunk with problems done so far. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ProblemRecord {
  readonly index: number;
  readonly correct: number;
  readonly samples: number;
  readonly majority: string | null;
  readonly majorityCorrect: boolean;
  readonly meanTokens: number;
}

export interface EvalResult {
  readonly problems: number;
  readonly k: number;
  /** Mean over problems of (correct samples / k): R1's pass@1. */
  readonly pass1: number;
  readonly passAt: Readonly<Record<number, number>>;
  /** Majority vote over the k samples scored against the gold answer. */
  readonly consK: number;
  readonly meanTokens: number;
  /** Share of samples stopped by the token limit. */
  readonly truncated: number;
  /** Share of samples in the R1 format. */
  readonly formatOk: number;
  readonly records: ProblemRecord[];
}


export async function evaluate(engine: Engine, items: readonly EvalItem[], options: EvalOptions = {}): Promise<EvalResult> {
  const k = options.k ?? 4, chunk = options.chunk ?? 16, maxTokens = options.maxTokens ?? 1024;
  const passAt = (options.passAt ?? []).filter((j) => j !== 1);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`evaluate: k must be a positive integer, got ${k}`);
  for (const j of passAt) if (!Number.isInteger(j) || j < 1 || j > k) throw new RangeError(`evaluate: pass@${j} needs 1 ≤ ${j} ≤ k = ${k}`);
  if (items.length === 0) throw new RangeError('evaluate: there are no problems to evaluate');
  const sampling: Partial<SamplingParams> = { temperature: 0.6, topP: 0.95, ...options.sampling };
  const correct = options.correct ?? accuracyReward({ reasoningOpened: true });
  const format = options.format ?? lenientFormatReward({ reasoningOpened: true });
  const records: ProblemRecord[] = [];
  let tokens = 0, truncated = 0, formatOk = 0;
  for (let start = 0; start < items.length; start += chunk) {
    const part = items.slice(start, start + chunk);
    const completions = await engine.generate(part.map((it) => ({ ...it.request, n: k, maxTokens, sampling })));
    for (const [r, item] of part.entries()) {
      const mine = completions.filter((c) => c.request === r);
      let right = 0, myTokens = 0;
      const answers: (string | null)[] = [];
      for (const c of mine) {
        const text = completionText(c);
        const sample = { ...item.sample, completionTokens: c.tokens.length };
        if ((await correct(text, sample)).reward === 1) right++;
        if ((await format(text, sample)).reward === 1) formatOk++;
        answers.push(c.truncatedReasoning ? null : extractAnswer(c.content)?.text ?? null);
        myTokens += c.tokens.length;
        if (c.finishReason === 'length') truncated++;
      }
      tokens += myTokens;
      const vote = majorityVote(answers, item.sample.answer, verifyAnswer);
      records.push({ index: start + r, correct: right, samples: mine.length, majority: vote.answer, majorityCorrect: vote.correct, meanTokens: myTokens / Math.max(1, mine.length) });
    }
    options.onProgress?.(Math.min(start + chunk, items.length), items.length);
  }
  const mean = (f: (r: ProblemRecord) => number) => records.reduce((a, r) => a + f(r), 0) / records.length;
  const samples = records.reduce((a, r) => a + r.samples, 0);
  return {
    problems: records.length, k,
    pass1: mean((r) => r.correct / r.samples),
    passAt: Object.fromEntries(passAt.map((j) => [j, mean((r) => passAtK(r.samples, r.correct, j))])),
    consK: mean((r) => (r.majorityCorrect ? 1 : 0)),
    meanTokens: tokens / samples, truncated: truncated / samples, formatOk: formatOk / samples,
    records,
  };
}
