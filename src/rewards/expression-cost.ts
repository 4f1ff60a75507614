// What the computer algebra system may be asked to do with a parsed expression. A time limit cannot stop
// everything: expanding (x+1)^{100000} runs the process out of memory before any deadline check,
// simplifying a product of a dozen binomials ignores the limit for seconds, and 100000! or
// 10^{10^{10}} as exact numbers are just as bad. So before anything is simplified or evaluated, the
// MathJSON tree is inspected: too big or too deep is refused outright, huge exponents and factorials are
// refused, an expression whose expansion could have many terms is never simplified (only evaluated at
// points, in floating point), and operators outside a known list are compared by structure only.

import type { MathJsonExpression } from '@cortex-js/compute-engine';

export interface ExpressionCost {
  /** Why the expression must not be touched at all, or null. */
  readonly refused: string | null;
  /** Every operator is one we can evaluate numerically. */
  readonly evaluable: boolean;
  /** Safe to hand to simplify() (no large powers of non-constants). */
  readonly simplifiable: boolean;
}

const MAX_NODES = 400;
const MAX_DEPTH = 40;
const MAX_EXPONENT = 10_000;
// Simplification may expand products and powers; (x+1)(x+2)…(x+10) already takes the engine seconds.
const MAX_EXPANDED_TERMS = 64;
const MAX_SIMPLIFY_NODES = 120;
const MAX_FACTORIAL = 1_000;
const MAX_LITERAL_CHARS = 400;

// Operators with a plain numeric meaning, in canonical MathJSON spelling.
const EVALUABLE = new Set([
  'Add', 'Subtract', 'Negate', 'Multiply', 'Divide', 'Rational', 'Power', 'Square', 'Sqrt', 'Root', 'Exp', 'Ln',
  'Log', 'Lb', 'Lg', 'Sin', 'Cos', 'Tan', 'Cot', 'Sec', 'Csc', 'Arcsin', 'Arccos', 'Arctan', 'Arccot', 'Arcsec',
  'Arccsc', 'Sinh', 'Cosh', 'Tanh', 'Coth', 'Sech', 'Csch', 'Arsinh', 'Arcosh', 'Artanh', 'Abs', 'Floor', 'Ceil',
  'Round', 'Sign', 'Factorial', 'Factorial2', 'Gamma', 'Binomial', 'Choose', 'GCD', 'LCM', 'Max', 'Min', 'Mod',
  'Complex', 'Hypot',
]);
const FACTORIAL_LIKE = new Set(['Factorial', 'Factorial2', 'Gamma', 'Binomial', 'Choose']);

/** Inspects a canonical MathJSON expression; see the file comment. */
export function expressionCost(json: MathJsonExpression): ExpressionCost {
  let nodes = 0;
  let evaluable = true;
  let simplifiable = true;
  let refused: string | null = null;

  const visit = (e: MathJsonExpression, depth: number): void => {
    if (refused !== null) return;
    if (++nodes > MAX_NODES) refused = `expression has more than ${MAX_NODES} nodes`;
    else if (depth > MAX_DEPTH) refused = `expression is nested more than ${MAX_DEPTH} deep`;
    if (refused !== null) return;
    if (typeof e === 'string') {
      if (e.length > MAX_LITERAL_CHARS) refused = 'a literal is too long';
      return;
    }
    if (typeof e === 'number') return;
    if (!Array.isArray(e)) {
      if (JSON.stringify(e).length > MAX_LITERAL_CHARS) refused = 'a number literal is too long';
      else if (Math.abs(literalExponent(e)) > MAX_EXPONENT) refused = 'a number literal is too large';
      return;
    }
    const [head, ...args] = e as readonly [string, ...MathJsonExpression[]];
    if (!EVALUABLE.has(head)) evaluable = false;
    if (head === 'Power' || head === 'Root') {
      const exponent = literalValue(args[1]);
      if (exponent !== null && Math.abs(exponent) > MAX_EXPONENT) {
        refused = `exponent ${exponent} is too large`;
        return;
      }
    }
    if (FACTORIAL_LIKE.has(head)) {
      const big = args.map(literalValue).find((v) => v !== null && Math.abs(v) > MAX_FACTORIAL);
      if (big !== undefined) {
        refused = `${head.toLowerCase()} of ${big} is too large`;
        return;
      }
    }
    for (const a of args) visit(a, depth + 1);
  };

  visit(json, 0);
  if (refused === null && (nodes > MAX_SIMPLIFY_NODES || expandedTerms(json).largest > MAX_EXPANDED_TERMS)) simplifiable = false;
  return { refused, evaluable: refused === null && evaluable, simplifiable: refused === null && evaluable && simplifiable };
}

/**
 * How many terms the expression (`terms`) and its worst sub-expression (`largest`) could have once
 * products and integer powers of sums are multiplied out. Constants count as one term.
 */
function expandedTerms(e: MathJsonExpression): { terms: number; largest: number } {
  if (!Array.isArray(e) || isConstant(e)) return { terms: 1, largest: 1 };
  const [head, ...args] = e as readonly [string, ...MathJsonExpression[]];
  const parts = args.map(expandedTerms);
  let terms = 1;
  if (head === 'Add' || head === 'Subtract') terms = parts.reduce((sum, p) => sum + p.terms, 0);
  else if (head === 'Multiply') terms = parts.reduce((product, p) => product * p.terms, 1);
  else if (head === 'Negate' || head === 'Divide') terms = parts[0]?.terms ?? 1;
  else if (head === 'Power' || head === 'Square') {
    const n = head === 'Square' ? 2 : literalValue(args[1]);
    const t = parts[0]?.terms ?? 1;
    // A sum of t terms to the n-th power has C(n + t − 1, t − 1) terms.
    terms = n !== null && Number.isInteger(n) && n > 1 ? binomial(n + t - 1, t - 1) : t;
  }
  const largest = Math.max(terms, ...parts.map((p) => p.largest));
  return { terms, largest };
}

function binomial(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= k && result < Number.MAX_SAFE_INTEGER; i++) result = (result * (n - k + i)) / i;
  return result;
}

/** The value of a numeric literal (plain, {num: "…"} or ["Rational", p, q]), else null. */
function literalValue(e: MathJsonExpression | undefined): number | null {
  if (typeof e === 'number') return e;
  if (e !== null && typeof e === 'object' && !Array.isArray(e) && 'num' in e) return Number(e.num);
  if (Array.isArray(e) && e[0] === 'Rational' && typeof e[1] === 'number' && typeof e[2] === 'number') return e[1] / e[2];
  return null;
}

/** The decimal exponent of a {num: "1.5e+999999"} literal (0 without one): 1e999999 is not a number to compute with. */
function literalExponent(e: MathJsonExpression): number {
  if (e === null || typeof e !== 'object' || Array.isArray(e) || !('num' in e)) return 0;
  const m = /e([+-]?\d+)$/i.exec(String(e.num));
  return m === null ? 0 : Number(m[1]);
}

// Symbols that name constants, not variables.
const CONSTANTS = new Set(['Pi', 'ExponentialE', 'ImaginaryUnit', 'PositiveInfinity', 'NegativeInfinity', 'ComplexInfinity', 'NaN', 'GoldenRatio', 'EulerGamma']);

function isConstant(e: MathJsonExpression | undefined): boolean {
  if (e === undefined || typeof e === 'number') return true;
  if (typeof e === 'string') return CONSTANTS.has(e) || e.startsWith("'");
  if (!Array.isArray(e)) return true;
  return (e as readonly MathJsonExpression[]).slice(1).every(isConstant);
}
