// Multi-step integer arithmetic: "What is 5 + 7 × 3 - 4?". A chain of operations with the usual
// precedence; every division is exact (the divisor is drawn from the divisors of the running product),
// so each intermediate result is an integer. The teacher evaluates in precedence order — innermost
// parentheses first, then × and ÷ from left to right, then + and - from left to right — one operation
// at a time: the expression, then for each operation the fact ("7 × 3 = 21") and the expression it
// leaves ("= 5 + 21 - 4"). Each fact's operands sit right before its result and each rewrite copies
// the line above, which small models learn far sooner than picking operands out of the question
// (measured: a tiny model trained on bare facts copied the wrong numbers); nothing else is said.
//
// Levels: 1 — 3 operations, numbers 1–9, factors 2–9, every intermediate result within ±100, no parentheses;
//         2 — 4–5 operations, the same numbers and facts as level 1: only the chains are longer;
//         3 — 5–6 operations, numbers 1–20, factors 2–9, results within ±1000, one or two parenthesised
//             sums or differences (each counts as one of the operations).

import type { SeededRandom } from '../util/index.js';
import { accuracyReward } from '../rewards/index.js';
import { solutionText } from './teacher.js';
import type { ArithmeticDraft, Difficulty, TaskFamily } from './types.js';

type Op = '+' | '-' | '×' | '÷';
/** The expression as the teacher reads it: numbers, operators and parentheses. */
type Token = bigint | Op | '(' | ')';

interface Level {
  readonly ops: readonly [number, number];
  readonly maxNumber: number;
  readonly maxFactor: number;
  readonly groups: readonly [number, number];
  /** Largest |intermediate result|; larger draws are redrawn. */
  readonly limit: number;
}

const LEVELS: Readonly<Record<Difficulty, Level>> = {
  1: { ops: [3, 3], maxNumber: 9, maxFactor: 9, groups: [0, 0], limit: 100 },
  2: { ops: [4, 5], maxNumber: 9, maxFactor: 9, groups: [0, 0], limit: 100 },
  3: { ops: [5, 6], maxNumber: 20, maxFactor: 9, groups: [1, 2], limit: 1000 },
};

const PRODUCT_OPS: readonly Op[] = ['×', '÷'];

/** Text as printed: spaces around operators, none inside parentheses. */
export function formatTokens(tokens: readonly Token[]): string {
  return tokens.map(String).join(' ').replace(/\( /g, '(').replace(/ \)/g, ')');
}

function apply(a: bigint, op: Op, b: bigint): bigint {
  if (op === '+') return a + b;
  if (op === '-') return a - b;
  if (op === '×') return a * b;
  if (b === 0n || a % b !== 0n) throw new Error(`arithmetic teacher: ${a} ÷ ${b} is not exact`);
  return a / b;
}

/**
 * Evaluates in precedence order, one operation at a time, and returns the steps and the value. Each
 * pass takes the innermost parenthesised span (or the whole expression), reduces its leftmost × or ÷,
 * else its leftmost + or -, and drops parentheses that then hold a single number; the steps are the
 * fact and the rewritten expression (none after the last fact).
 */
export function evaluateStepwise(expression: readonly Token[]): { steps: string[]; value: bigint; largest: bigint } {
  const t = [...expression];
  const steps: string[] = [];
  let largest = 0n;
  while (t.length > 1) {
    const close = t.indexOf(')');
    const open = close < 0 ? -1 : t.lastIndexOf('(', close);
    const from = open + 1, to = close < 0 ? t.length : close;
    const span = t.slice(from, to);
    let at = span.findIndex((x) => x === '×' || x === '÷');
    if (at < 0) at = span.findIndex((x) => x === '+' || x === '-');
    const i = from + at;
    const a = t[i - 1] as bigint, op = t[i] as Op, b = t[i + 1] as bigint;
    const value = apply(a, op, b);
    if ((value < 0n ? -value : value) > largest) largest = value < 0n ? -value : value;
    t.splice(i - 1, 3, value);
    // A parenthesised group that is now one number loses its parentheses in the same step.
    if (t[i - 2] === '(' && t[i] === ')') {
      t.splice(i, 1);
      t.splice(i - 2, 1);
    }
    steps.push(`${a} ${op} ${b} = ${value}`);
    if (t.length > 1) steps.push(`= ${formatTokens(t)}`);
  }
  return { steps, value: t[0] as bigint, largest };
}

/** A parenthesised sum or difference of value v (v ≥ 2): "(p + q)" or "(p - q)". */
function group(random: SeededRandom, v: number, maxNumber: number): Token[] {
  if (random.chance(0.5)) {
    const p = random.int(1, v - 1);
    return ['(', BigInt(p), '+', BigInt(v - p), ')'];
  }
  const q = random.int(1, maxNumber);
  return ['(', BigInt(v + q), '-', BigInt(q), ')'];
}

function divisorsBetween(n: bigint, lo: number, hi: number): number[] {
  const m = n < 0n ? -n : n;
  const out: number[] = [];
  if (m === 0n) return out;
  for (let d = lo; d <= hi; d++) if (m % BigInt(d) === 0n) out.push(d);
  return out;
}

/** One chain of operations; null when a draw breaks the level's size limit (the caller redraws). */
function drawExpression(random: SeededRandom, level: Level): Token[] | null {
  const ops = random.int(...level.ops);
  const groups = random.int(...level.groups);
  const outer = ops - groups;
  // Which operands (of outer + 1) are parenthesised groups.
  const grouped = new Set(random.shuffled([...Array(outer + 1).keys()]).slice(0, groups));
  const operand = (index: number, value: number): Token[] => (grouped.has(index) ? group(random, value, level.maxNumber) : [BigInt(value)]);

  const first = random.int(2, level.maxNumber);
  const tokens: Token[] = [...operand(0, first)];
  let running = BigInt(first); // the value of the current product term, for exact divisions
  for (let k = 1; k <= outer; k++) {
    let op = random.pick<Op>(['+', '-', '×', '÷']);
    const divisors = op === '÷' ? divisorsBetween(running, 2, level.maxFactor) : [];
    if (op === '÷' && divisors.length === 0) op = '×';
    if (op === '×' && (running < 0n ? -running : running) * BigInt(level.maxFactor) > BigInt(level.limit)) op = random.pick<Op>(['+', '-']);
    let value: number;
    if (op === '÷') value = random.pick(divisors);
    else if (op === '×') value = random.int(2, level.maxFactor);
    else value = random.int(grouped.has(k) ? 2 : 1, level.maxNumber);
    tokens.push(op, ...operand(k, value));
    if (PRODUCT_OPS.includes(op)) running = op === '×' ? running * BigInt(value) : running / BigInt(value);
    else running = BigInt(value);
  }
  return evaluateStepwise(tokens).largest > BigInt(level.limit) ? null : tokens;
}

function draft(random: SeededRandom, difficulty: Difficulty): ArithmeticDraft {
  const level = LEVELS[difficulty];
  let tokens: Token[] | null = null;
  while (tokens === null) tokens = drawExpression(random, level);
  const expression = formatTokens(tokens);
  const { steps, value } = evaluateStepwise(tokens);
  return {
    family: 'arithmetic',
    difficulty,
    problem: `What is ${expression}?`,
    answer: `${value}`,
    solution: solutionText([expression, ...steps], `${value}`),
    expression,
  };
}

export const arithmeticFamily: TaskFamily = {
  name: 'arithmetic',
  summary: 'multi-step integer arithmetic with precedence (+ - × and exact ÷; parentheses at level 3)',
  levels: {
    1: '3 operations, numbers up to 9, no parentheses',
    2: '4–5 operations, numbers up to 9, no parentheses',
    3: '5–6 operations, numbers up to 20, one or two parenthesised groups',
  },
  draft,
  key: (task) => `arithmetic:${(task as ArithmeticDraft).expression}`,
  reward: () => accuracyReward(),
};
