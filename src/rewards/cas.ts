// The one place that talks to the computer algebra system, @cortex-js/compute-engine (LaTeX → MathJSON,
// canonical forms, simplification, arbitrary-precision evaluation). Every call runs inside a
// verification span: a fresh symbol scope (so one answer's symbols never leak into the next) and the
// engine's own wall-clock limit, which makes a long simplification throw instead of hang. Parsed
// expressions are checked by expression-cost.ts before anything else may touch them.

import { CancellationError, ComputeEngine } from '@cortex-js/compute-engine';
import type { Expression, MathJsonExpression } from '@cortex-js/compute-engine';
import { expressionCost } from './expression-cost.js';
import type { ExpressionCost } from './expression-cost.js';

export type { Expression };

export interface ParsedExpression {
  readonly expr: Expression;
  readonly json: MathJsonExpression;
  /** Free variables, sorted. */
  readonly variables: readonly string[];
  readonly cost: ExpressionCost;
  /** The expression mentions i, so complex values are meaningful answers. */
  readonly complex: boolean;
}

/** A complex value in doubles; real answers have im = 0. */
export interface Complex {
  readonly re: number;
  readonly im: number;
}

let shared: ComputeEngine | null = null;

function engine(): ComputeEngine {
  shared ??= new ComputeEngine();
  return shared;
}

/**
 * Runs `fn` in a fresh symbol scope with the engine's time limit set to `ms`. Any engine call inside
 * that takes too long throws the engine's CancellationError, which the caller turns into a verdict.
 */
export function withCasSpan<T>(ms: number, fn: () => T): T {
  const ce = engine();
  // The engine reports its own canonicalisation failures on the console; for us they are just "not
  // equal" verdicts with a reason, and a GRPO batch of malformed answers must not flood the logs. The
  // span is synchronous, so nothing else can print while the console is muted.
  const saved = { error: console.error, warn: console.warn, info: console.info, log: console.log };
  const mute = (): void => undefined;
  Object.assign(console, { error: mute, warn: mute, info: mute, log: mute });
  ce.pushScope();
  try {
    return ce.withTimeLimit({ ms: Math.max(1, Math.floor(ms)), label: 'r1ts-verify' }, fn as () => T extends Promise<unknown> ? never : T);
  } finally {
    ce.popScope();
    Object.assign(console, saved);
  }
}

/** Parses LaTeX to a canonical expression, or says why it cannot be used. */
export function parseExpression(latex: string): ParsedExpression | { readonly error: string } {
  // The engine ignores spaces, so "1 2" would parse as 12 ("\log_2 8" is fine: the 2 is a subscript).
  if (/(?<![_^\d])\d+\s+\d/.test(latex)) return { error: `digits separated by a space in "${shorten(latex)}"` };
  // \pm is expanded into two answers before this; one left over would be read as a measurement ± error.
  if (/\\(?:pm|mp)(?![a-zA-Z])/.test(latex)) return { error: `cannot compare "${shorten(latex)}" as one value: it has ±` };
  const expr = engine().parse(latex, { resolveApplication: productNotCall });
  const json = expr.json;
  const problem = firstError(json);
  if (problem !== null) return { error: `cannot parse "${shorten(latex)}": ${problem}` };
  if (json === 'ComplexInfinity' || json === 'NaN') return { error: `"${shorten(latex)}" has no value` };
  const cost = expressionCost(json);
  if (cost.refused !== null) return { error: `refused "${shorten(latex)}": ${cost.refused}` };
  return { expr, json, variables: [...expr.unknowns].sort(), cost, complex: mentionsImaginary(json) };
}

/**
 * In an answer, a(b + c) is a product: a single letter before parentheses multiplies, except the usual
 * function names f, g and h. (The engine would otherwise read some letters, like a, as functions.)
 */
function productNotCall(context: { readonly head: string }): 'apply' | 'multiply' | undefined {
  return context.head.length === 1 && !'fgh'.includes(context.head) ? 'multiply' : undefined;
}

/** The difference a − b as an expression (for equations and simplification). */
export function difference(a: Expression, b: Expression): Expression {
  return engine().box(['Subtract', a.json, b.json]);
}

/**
 * Whether simplify() reduces the expression to exactly 0, given at most `ms` of the span's time: null
 * when it ran out (the caller then falls back to evaluation at points, which has its own checks).
 */
export function simplifiesToZero(e: Expression, ms: number): boolean | null {
  const label = 'r1ts-simplify';
  try {
    return engine().withTimeLimit({ ms: Math.max(1, Math.floor(ms)), label }, () => e.simplify().json === 0);
  } catch (error) {
    if (error instanceof CancellationError && error.attribution === label) return null;
    throw error;
  }
}

/** The exact value of a constant expression when it is rational (2^{100}, \\binom{10}{3}), else null. */
export function exactValue(e: Expression): readonly [bigint, bigint] | null {
  return exactRational(e.evaluate().json);
}

/** The numeric value of a constant expression, or null when it has none (NaN, infinite, a non-number). */
export function numericValue(e: Expression): Complex | null {
  const v = e.N();
  const re = v.re;
  const im = v.im;
  return Number.isFinite(re) && Number.isFinite(im) ? { re, im } : null;
}

/** The value of `e` with each variable set to the given number, or null when undefined there. */
export function valueAt(e: Expression, point: Readonly<Record<string, number>>): Complex | null {
  return numericValue(e.subs(point));
}

/** An exact rational literal ("3", ["Rational", 1, 2], {num: "123…"}) as [numerator, denominator], else null. */
function exactRational(json: MathJsonExpression): readonly [bigint, bigint] | null {
  if (typeof json === 'number') return Number.isInteger(json) ? [BigInt(json), 1n] : null;
  if (Array.isArray(json) && json[0] === 'Rational' && json.length === 3) {
    const p = exactRational(json[1] as MathJsonExpression);
    const q = exactRational(json[2] as MathJsonExpression);
    return p !== null && q !== null && p[1] === 1n && q[1] === 1n && q[0] !== 0n ? [p[0], q[0]] : null;
  }
  if (json !== null && typeof json === 'object' && !Array.isArray(json) && 'num' in json && /^[+-]?\d+$/.test(json.num)) {
    return [BigInt(json.num), 1n];
  }
  return null;
}

function firstError(json: MathJsonExpression): string | null {
  if (!Array.isArray(json)) return json === 'Nothing' ? 'empty expression' : null;
  if (json[0] === 'Error') return JSON.stringify(json[1] ?? 'syntax error');
  for (const a of (json as readonly MathJsonExpression[]).slice(1)) {
    const found = firstError(a);
    if (found !== null) return found;
  }
  return null;
}

function mentionsImaginary(json: MathJsonExpression): boolean {
  if (json === 'ImaginaryUnit') return true;
  if (!Array.isArray(json)) return false;
  return json[0] === 'Complex' || (json as readonly MathJsonExpression[]).slice(1).some(mentionsImaginary);
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}
