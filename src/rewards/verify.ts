// verifyAnswer: is a predicted final answer equal to the gold one? The pipeline is: refuse inputs too
// long or too deeply nested to be answers; normalise both LaTeX strings (latex-normalize.ts); identical
// text is equal; otherwise read each as a shape (structures.ts) and compare shapes (compare.ts), down
// to single values (scalars.ts: words, exact numbers, then the CAS in symbolic.ts). The whole comparison
// runs under one time budget and inside a try: a verdict always comes back, never an exception, and a
// "not equal" always says why.

import { withCasSpan } from './cas.js';
import { compareShapes } from './compare.js';
import type { CompareSettings } from './compare.js';
import { TimeBudgetExceeded } from './deadline.js';
import { nestingDepth } from './latex-groups.js';
import { normalizeLatex } from './latex-normalize.js';
import type { PercentMode } from './scalars.js';
import { parseShape } from './structures.js';

export interface VerifyOptions {
  /** How a percent sign is read: 'value' (50% = 0.5), 'number' (50% = 50) or 'either' (both accepted). */
  percent?: PercentMode;
  /** Relative tolerance for constant expressions evaluated in extended precision (√2/2 vs 1/√2). */
  relativeTolerance?: number;
  /** Relative tolerance when expressions with variables are compared at random points. */
  samplingTolerance?: number;
  /** Random points that must agree before two expressions with variables are called equal. */
  samplePoints?: number;
  /**
   * Fewest significant digits for a decimal to be accepted as the correct rounding of an exact value
   * that is not a terminating decimal (0.333 for 1/3, 1.414 for √2); null: decimals must be exact.
   */
  roundedDecimalDigits?: number | null;
  /** Whether several answers ("2, 3") must come in the gold's order. */
  orderedLists?: boolean;
  /** Wall-clock budget for one verification, in ms; past it the answer is "not equal" (method 'timeout'). */
  timeBudgetMs?: number;
  /** Longer inputs are refused (method 'invalid'): no real final answer is this long. */
  maxInputLength?: number;
  /** Deeper bracket nesting is refused (method 'invalid'). */
  maxNesting?: number;
}

export const DEFAULT_VERIFY_OPTIONS: Readonly<Required<VerifyOptions>> = {
  percent: 'either',
  relativeTolerance: 1e-12,
  samplingTolerance: 1e-8,
  samplePoints: 12,
  roundedDecimalDigits: 3,
  orderedLists: false,
  timeBudgetMs: 1000,
  maxInputLength: 1000,
  maxNesting: 30,
};

export interface Verdict {
  readonly equal: boolean;
  /** Which rule decided: 'string', 'text', 'numeric', 'symbolic', 'numeric-sampling', 'set', 'list', 'interval', … */
  readonly method: string;
  /** Human-readable why (also for "not equal" and "unparsable"). */
  readonly reason: string;
  /** Normalised form of the gold answer. */
  readonly gold: string;
  /** Normalised form of the predicted answer. */
  readonly pred: string;
}

/** Never throws; bounded in time. */
export function verifyAnswer(gold: string, pred: string, options: VerifyOptions = {}): Verdict {
  const started = Date.now();
  const o = resolveOptions(options);
  const invalid = checkOptions(o) ?? checkInput('gold', gold, o) ?? checkInput('prediction', pred, o);
  if (invalid !== null) return { equal: false, method: 'invalid', reason: invalid, gold: preview(gold), pred: preview(pred) };
  let g = preview(gold);
  let p = preview(pred);
  try {
    g = normalizeLatex(gold);
    p = normalizeLatex(pred);
    if (g === '' || p === '') return { equal: false, method: 'invalid', reason: `${g === '' ? 'gold' : 'prediction'} is empty`, gold: g, pred: p };
    if (g === p) return { equal: true, method: 'string', reason: 'same normalised text', gold: g, pred: p };
    const settings: CompareSettings = {
      percent: o.percent,
      relativeTolerance: o.relativeTolerance,
      samplingTolerance: o.samplingTolerance,
      samplePoints: o.samplePoints,
      roundedDecimalDigits: o.roundedDecimalDigits,
      orderedLists: o.orderedLists,
      deadline: started + o.timeBudgetMs,
    };
    const outcome = withCasSpan(o.timeBudgetMs - (Date.now() - started), () => compareShapes(parseShape(g), parseShape(p), settings));
    return { ...outcome, gold: g, pred: p };
  } catch (error) {
    const timeout = error instanceof TimeBudgetExceeded || (error instanceof Error && error.name === 'CancellationError');
    const reason = timeout ? `gave up after ${Date.now() - started} ms (budget ${o.timeBudgetMs} ms)` : `internal error: ${errorMessage(error)}`;
    return { equal: false, method: timeout ? 'timeout' : 'error', reason, gold: g, pred: p };
  }
}

function resolveOptions(options: VerifyOptions): Required<VerifyOptions> {
  const defined = Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_VERIFY_OPTIONS, ...defined };
}

function checkOptions(o: Required<VerifyOptions>): string | null {
  const positive = (['timeBudgetMs', 'samplePoints', 'maxInputLength', 'maxNesting'] as const).find((k) => !(o[k] > 0));
  if (positive !== undefined) return `option ${positive} must be a positive number`;
  const tolerance = (['relativeTolerance', 'samplingTolerance'] as const).find((k) => !(o[k] >= 0));
  if (tolerance !== undefined) return `option ${tolerance} must be a number ≥ 0`;
  if (o.roundedDecimalDigits !== null && !(o.roundedDecimalDigits > 0)) return 'option roundedDecimalDigits must be a positive number or null';
  if (!['either', 'value', 'number'].includes(o.percent)) return "option percent must be 'either', 'value' or 'number'";
  return null;
}

function checkInput(name: string, text: unknown, o: Required<VerifyOptions>): string | null {
  if (typeof text !== 'string') return `${name} is not a string`;
  if (text.length > o.maxInputLength) return `${name} is ${text.length} characters long (limit ${o.maxInputLength})`;
  const depth = nestingDepth(text);
  if (depth > o.maxNesting) return `${name} nests brackets ${depth} deep (limit ${o.maxNesting})`;
  return null;
}

function preview(text: unknown): string {
  const s = typeof text === 'string' ? text : `<${typeof text}>`;
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
