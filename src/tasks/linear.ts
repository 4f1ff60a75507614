// Linear equations in x. The teacher expands parentheses, combines like terms, brings the x terms to
// the left and the numbers to the right, then divides — one step a line. The answer is the value of x
// ("5", "-\frac{3}{4}"); the verifier also accepts "x = 5".
//
// Levels: 1 — ax + b = c, integer solution from -10 to 10;
//         2 — ax + b = cx + d (x on both sides), integer solution from -12 to 12;
//         3 — a(x + b) + c = d(x + e) + f (parentheses on both sides); half the solutions are fractions
//             p/q with q from 2 to 5.

import { accuracyReward } from '../rewards/index.js';
import type { SeededRandom } from '../util/index.js';
import type { Rational } from './rational.js';
import { formatRational, latexRational, rational } from './rational.js';
import { solutionText } from './teacher.js';
import type { Difficulty, LinearDraft, TaskFamily } from './types.js';

/** A side after expansion: xCoef·x + constant. */
interface LinearForm {
  readonly x: bigint;
  readonly c: bigint;
}

/** "3x", "-x", "x" (coefficient ±1 unwritten). */
function xTerm(coef: bigint): string {
  return coef === 1n ? 'x' : coef === -1n ? '-x' : `${coef}x`;
}

/** Terms joined with signs: ["3x", "-5"] → "3x - 5"; all zero → "0". */
function joinTerms(terms: readonly string[]): string {
  if (terms.length === 0) return '0';
  return terms.slice(1).reduce((text, t) => (t.startsWith('-') ? `${text} - ${t.slice(1)}` : `${text} + ${t}`), terms[0]!);
}

export function formatForm(f: LinearForm): string {
  return joinTerms([...(f.x !== 0n ? [xTerm(f.x)] : []), ...(f.c !== 0n ? [`${f.c}`] : [])]);
}

/** "a(x + b)" with a = ±1 written as "(x + b)" / "-(x + b)". */
function product(a: bigint, b: bigint): string {
  const inner = joinTerms(['x', `${b}`]);
  return a === 1n ? `(${inner})` : a === -1n ? `-(${inner})` : `${a}(${inner})`;
}

function nonZero(random: SeededRandom, lo: number, hi: number): bigint {
  for (;;) {
    const v = random.int(lo, hi);
    if (v !== 0) return BigInt(v);
  }
}

/** The steps from `left = right` (already expanded) to `x = value`. */
function solveSteps(left: LinearForm, right: LinearForm): { steps: string[]; x: Rational } {
  const steps: string[] = [];
  let l = left, r = right;
  if (r.x !== 0n) {
    const move = r.x > 0n ? `Subtract ${xTerm(r.x)} from both sides` : `Add ${xTerm(-r.x)} to both sides`;
    l = { x: l.x - r.x, c: l.c };
    r = { x: 0n, c: r.c };
    steps.push(`${move}: ${formatForm(l)} = ${formatForm(r)}`);
  }
  if (l.c !== 0n) {
    const move = l.c > 0n ? `Subtract ${l.c} from both sides` : `Add ${-l.c} to both sides`;
    r = { x: 0n, c: r.c - l.c };
    l = { x: l.x, c: 0n };
    steps.push(`${move}: ${formatForm(l)} = ${formatForm(r)}`);
  }
  const x = rational(r.c, l.x);
  if (l.x !== 1n) steps.push(`Divide both sides by ${l.x}: x = ${formatRational(x)}`);
  return { steps, x };
}

interface Drawn {
  readonly equation: string;
  readonly expandedSteps: string[];
  readonly left: LinearForm;
  readonly right: LinearForm;
}

const DRAW: Readonly<Record<Difficulty, (random: SeededRandom) => Drawn>> = {
  1: (random) => {
    const a = nonZero(random, -9, 9), x = BigInt(random.int(-10, 10)), b = nonZero(random, -20, 20);
    const left = { x: a, c: b }, right = { x: 0n, c: a * x + b };
    return { equation: `${formatForm(left)} = ${formatForm(right)}`, expandedSteps: [], left, right };
  },
  2: (random) => {
    const a = nonZero(random, -9, 9);
    let c = nonZero(random, -9, 9);
    while (c === a) c = nonZero(random, -9, 9);
    const x = BigInt(random.int(-12, 12)), b = BigInt(random.int(-20, 20));
    const left = { x: a, c: b }, right = { x: c, c: (a - c) * x + b };
    return { equation: `${formatForm(left)} = ${formatForm(right)}`, expandedSteps: [], left, right };
  },
  3: (random) => {
    // x = p/q; (a - d) is a multiple of q so that every constant stays whole.
    const q = random.chance(0.5) ? 1 : random.int(2, 5);
    let p = random.int(-3 * q, 3 * q);
    while (q > 1 && rational(p, q).den === 1n) p = random.int(-3 * q, 3 * q);
    const d = nonZero(random, -6, 6);
    let a = d + BigInt(q) * nonZero(random, -2, 2);
    while (a === 0n || a === d) a = d + BigInt(q) * nonZero(random, -2, 2);
    const b = nonZero(random, -9, 9), e = nonZero(random, -9, 9), f = BigInt(random.int(-20, 20));
    // a(x + b) + c = d(x + e) + f at x = p/q fixes c (whole, since (a - d)·p/q is).
    const c = d * e + f - a * b - ((a - d) * BigInt(p)) / BigInt(q);
    const left = { x: a, c: a * b + c }, right = { x: d, c: d * e + f };
    const side = (m: bigint, inner: bigint, plus: bigint): string => joinTerms([product(m, inner), ...(plus !== 0n ? [`${plus}`] : [])]);
    const expand = (m: bigint, inner: bigint, plus: bigint): string => joinTerms([xTerm(m), `${m * inner}`, ...(plus !== 0n ? [`${plus}`] : [])]);
    const equation = `${side(a, b, c)} = ${side(d, e, f)}`;
    return {
      equation,
      expandedSteps: [`Expand the parentheses: ${expand(a, b, c)} = ${expand(d, e, f)}`, `Combine like terms: ${formatForm(left)} = ${formatForm(right)}`],
      left,
      right,
    };
  },
};

function draft(random: SeededRandom, difficulty: Difficulty): LinearDraft {
  const drawn = DRAW[difficulty](random);
  const { steps, x } = solveSteps(drawn.left, drawn.right);
  const answer = latexRational(x);
  return {
    family: 'linear',
    difficulty,
    problem: `Solve for x: ${drawn.equation}`,
    answer,
    solution: solutionText([`Solve ${drawn.equation} for x.`, ...drawn.expandedSteps, ...steps], answer),
    equation: drawn.equation,
  };
}

export const linearFamily: TaskFamily = {
  name: 'linear',
  summary: 'linear equations in x, solved by collecting terms and dividing',
  levels: { 1: 'ax + b = c, integer x', 2: 'x on both sides, integer x', 3: 'parentheses on both sides, x possibly a fraction p/q (q ≤ 5)' },
  draft,
  key: (task) => `linear:${(task as LinearDraft).equation}`,
  reward: () => accuracyReward(),
};
