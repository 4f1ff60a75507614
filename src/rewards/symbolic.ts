// Equivalence of two expressions, and of two equations or inequalities, through the CAS. In order:
// the same canonical form; for constants, exact rationals or values compared in extended precision;
// otherwise simplify(gold − pred) = 0, and failing that evaluation at random points. The points are
// drawn from a fixed seed (the same verdict every run) and are real: a point where either side is
// undefined or not real is skipped (that is the care for domains: √x² vs |x| are compared where both
// are defined), unless an answer itself mentions i. Too few usable points is "not equal", never a guess.

import { difference, exactValue, numericValue, parseExpression, simplifiesToZero, valueAt } from './cas.js';
import { checkDeadline } from './deadline.js';
import type { Complex, Expression, ParsedExpression } from './cas.js';
import type { RelationOp } from './structures.js';

export interface Outcome {
  readonly equal: boolean;
  readonly method: string;
  readonly reason: string;
}

export interface SymbolicSettings {
  /** Relative tolerance for constants evaluated in extended precision. */
  readonly relativeTolerance: number;
  /** Relative tolerance at sample points (evaluated in floating point). */
  readonly samplingTolerance: number;
  /** Points that must agree for an identity to be accepted by sampling. */
  readonly samplePoints: number;
  /** Epoch ms after which no new step starts. */
  readonly deadline: number;
}

/** Compares two LaTeX expressions; see the file comment for the order of the rules. */
export function compareExpressions(gold: string, pred: string, settings: SymbolicSettings): Outcome {
  const g = parseExpression(gold);
  if ('error' in g) return { equal: false, method: 'unparsable', reason: `gold: ${g.error}` };
  const p = parseExpression(pred);
  if ('error' in p) return { equal: false, method: 'unparsable', reason: `prediction: ${p.error}` };
  if (g.expr.isSame(p.expr)) return { equal: true, method: 'symbolic', reason: 'same canonical form' };
  if (!g.cost.evaluable || !p.cost.evaluable) {
    return { equal: false, method: 'symbolic', reason: 'canonical forms differ and an operator cannot be evaluated' };
  }
  const variables = union(g.variables, p.variables);
  if (variables.length === 0) return compareConstants(g, p, settings);
  if (g.cost.simplifiable && p.cost.simplifiable) {
    const zero = simplifiesToZero(difference(g.expr, p.expr), remaining(settings) / 2);
    if (zero === true) return { equal: true, method: 'symbolic', reason: 'gold − prediction simplifies to 0' };
  }
  return compareBySampling(g, p, variables, settings);
}

/** The value of a constant LaTeX expression (and its exact rational value when it has one), or why there is none. */
export function constantValue(latex: string): { readonly value: Complex; readonly exact: readonly [bigint, bigint] | null } | { readonly error: string } {
  const e = parseExpression(latex);
  if ('error' in e) return e;
  if (e.variables.length > 0) return { error: `"${latex}" has variables ${e.variables.join(', ')}` };
  if (!e.cost.evaluable) return { error: `"${latex}" cannot be evaluated` };
  const value = numericValue(e.expr);
  return value === null ? { error: `"${latex}" has no finite value` } : { value, exact: exactValue(e.expr) };
}

function compareConstants(g: ParsedExpression, p: ParsedExpression, settings: SymbolicSettings): Outcome {
  const eg = exactValue(g.expr);
  const ep = exactValue(p.expr);
  if (eg !== null && ep !== null) {
    const equal = eg[0] * ep[1] === ep[0] * eg[1];
    return { equal, method: 'numeric', reason: equal ? 'same exact value' : 'different exact values' };
  }
  const a = numericValue(g.expr);
  const b = numericValue(p.expr);
  if (a === null || b === null) {
    return { equal: false, method: 'numeric', reason: `${a === null ? 'gold' : 'prediction'} has no finite value` };
  }
  const equal = close(a, b, settings.relativeTolerance, 1e-15);
  return { equal, method: 'numeric', reason: `values ${show(a)} and ${show(b)}${equal ? ' agree' : ' differ'}` };
}

function compareBySampling(g: ParsedExpression, p: ParsedExpression, variables: readonly string[], settings: SymbolicSettings): Outcome {
  const complex = g.complex || p.complex;
  let agreed = 0;
  let oneSided = 0;
  for (const point of samplePoints(variables, settings.samplePoints * 3)) {
    checkDeadline(settings.deadline);
    const a = usable(valueAt(g.expr, point), complex);
    const b = usable(valueAt(p.expr, point), complex);
    if (a === null || b === null) {
      if (a !== b) oneSided++;
      continue;
    }
    if (!close(a, b, settings.samplingTolerance, 1e-12)) {
      return { equal: false, method: 'numeric-sampling', reason: `differ at ${showPoint(point)}: ${show(a)} vs ${show(b)}` };
    }
    if (++agreed >= settings.samplePoints) break;
  }
  if (agreed >= Math.ceil(settings.samplePoints / 2)) {
    const skipped = oneSided > 0 ? `, ${oneSided} points where only one side is defined skipped` : '';
    return { equal: true, method: 'numeric-sampling', reason: `agree at ${agreed} random points${skipped}` };
  }
  return { equal: false, method: 'numeric-sampling', reason: `only ${agreed} random points where both sides are defined` };
}

/**
 * Equations and inequalities with one operator each: a = b and c = d are the same equation when
 * (b − a) = k (d − c) for a constant k ≠ 0; for inequalities k must be positive (the direction is kept).
 */
export function compareRelations(
  gold: { readonly sides: readonly string[]; readonly op: RelationOp },
  pred: { readonly sides: readonly string[]; readonly op: RelationOp },
  settings: SymbolicSettings,
): Outcome {
  const g = oriented(gold.sides, gold.op);
  const p = oriented(pred.sides, pred.op);
  const method = g.op === '=' ? 'equation' : g.op === '\\ne' ? 'equation' : 'inequality';
  if (g.op !== p.op) return { equal: false, method, reason: `relation ${gold.op} vs ${pred.op}` };
  const parsed = [...g.sides, ...p.sides].map(parseExpression);
  const failed = parsed.find((e): e is { readonly error: string } => 'error' in e);
  if (failed !== undefined) return { equal: false, method: 'unparsable', reason: failed.error };
  const [gl, gr, pl, pr] = parsed as ParsedExpression[];
  if (!parsed.every((e) => 'cost' in e && e.cost.evaluable)) {
    return { equal: false, method, reason: 'an operator in the relation cannot be evaluated' };
  }
  const dg = difference(gr.expr, gl.expr);
  const dp = difference(pr.expr, pl.expr);
  if (dg.isSame(dp)) return { equal: true, method, reason: 'same relation' };
  const variables = union(union(gl.variables, gr.variables), union(pl.variables, pr.variables));
  if (variables.length === 0) return { equal: false, method, reason: 'relations without variables differ' };
  return compareProportional(dg, dp, variables, g.op === '=' || g.op === '\\ne', settings, method);
}

/** a > b is b < a: only <, ≤, = and ≠ remain, so the sign of the multiplier k means the same thing. */
function oriented(sides: readonly string[], op: RelationOp): { sides: readonly [string, string]; op: RelationOp } {
  const [left, right] = [sides[0], sides[1]];
  if (op === '>') return { sides: [right, left], op: '<' };
  if (op === '\\ge') return { sides: [right, left], op: '\\le' };
  return { sides: [left, right], op };
}

function compareProportional(
  dg: Expression,
  dp: Expression,
  variables: readonly string[],
  anySign: boolean,
  settings: SymbolicSettings,
  method: string,
): Outcome {
  let k: number | null = null;
  let agreed = 0;
  for (const point of samplePoints(variables, settings.samplePoints * 3)) {
    checkDeadline(settings.deadline);
    const a = usable(valueAt(dg, point), false);
    const b = usable(valueAt(dp, point), false);
    if (a === null || b === null) continue;
    const zeroA = Math.abs(a.re) < 1e-12;
    const zeroB = Math.abs(b.re) < 1e-12;
    if (zeroA && zeroB) continue;
    if (zeroA !== zeroB) return { equal: false, method, reason: `one side is satisfied at ${showPoint(point)}, the other is not` };
    const r = a.re / b.re;
    if (k === null) k = r;
    else if (!close({ re: r, im: 0 }, { re: k, im: 0 }, settings.samplingTolerance, 1e-12)) {
      return { equal: false, method, reason: `not proportional (checked at ${showPoint(point)})` };
    }
    if (++agreed >= settings.samplePoints) break;
  }
  if (k === null || agreed < Math.ceil(settings.samplePoints / 2)) {
    return { equal: false, method, reason: `only ${agreed} random points where both relations are defined` };
  }
  if (!anySign && k < 0) return { equal: false, method, reason: 'the inequality points the other way' };
  return { equal: true, method, reason: `one relation is ${formatNumber(k)} times the other at ${agreed} random points` };
}

/**
 * Deterministic random points: magnitudes in [0.05, 1) (where arcsin is defined), [0.2, 3) and [3, 10),
 * a third of them negative.
 */
function* samplePoints(variables: readonly string[], count: number): Generator<Record<string, number>> {
  let seed = 0x9e3779b9;
  const random = (): number => {
    // mulberry32: a small, well-mixed 32-bit generator; reproducibility is all that matters here.
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let n = 0; n < count; n++) {
    const point: Record<string, number> = {};
    for (const v of variables) {
      const r = random();
      const magnitude = n % 4 === 0 ? 0.05 + 0.95 * r : n % 4 === 3 ? 3 + 7 * r : 0.2 + 2.8 * r;
      point[v] = n % 3 === 2 ? -magnitude : magnitude;
    }
    yield point;
  }
}

/** A value fit for comparison: finite, and real unless complex answers are in play. */
function usable(v: Complex | null, complex: boolean): Complex | null {
  if (v === null) return null;
  if (!complex && Math.abs(v.im) > 1e-12 * Math.max(1, Math.abs(v.re))) return null;
  return complex ? v : { re: v.re, im: 0 };
}

function close(a: Complex, b: Complex, relative: number, absolute: number): boolean {
  const diff = Math.hypot(a.re - b.re, a.im - b.im);
  return diff <= relative * Math.max(Math.hypot(a.re, a.im), Math.hypot(b.re, b.im)) + absolute;
}

function remaining(settings: SymbolicSettings): number {
  return Math.max(1, settings.deadline - Date.now());
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

function formatNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(6);
}

function show(v: Complex): string {
  return v.im === 0 ? formatNumber(v.re) : `${formatNumber(v.re)}${v.im < 0 ? '-' : '+'}${formatNumber(Math.abs(v.im))}i`;
}

function showPoint(point: Readonly<Record<string, number>>): string {
  return Object.entries(point)
    .map(([k, v]) => `${k}=${formatNumber(v)}`)
    .join(', ');
}
