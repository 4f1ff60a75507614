// Countdown: reach a target from given numbers with + - × ÷ and parentheses. Our rule (stated in every
// problem): each given number may be used AT MOST ONCE (not every number has to be used; TinyZero
// requires each exactly once), and every division must come out whole. The generator builds a random
// expression from some of the numbers, so a solution always exists; the teacher writes that one step
// by step. countdownReward accepts ANY expression that keeps the rule and equals the target, checked by
// parsing (expression.ts, no eval) and exact evaluation.
//
// Levels: 1 — 3 numbers from 1–10, the solution uses 2–3 of them;
//         2 — 4 numbers from 1–25, the solution uses 3–4;
//         3 — 5 numbers (small ones from 1–10 and one or two of 25, 50, 75, 100), the solution uses 4–5.
// Targets are whole numbers from 10 to 999 that are not among the given numbers.

import { extractAnswer } from '../rewards/index.js';
import type { RewardResult, RewardSample, SyncRewardFn } from '../rewards/index.js';
import type { SeededRandom } from '../util/index.js';
import type { BinaryOp, Expr } from './expression.js';
import { evaluateExpression, ExpressionError, formatExpression, literals, OP_SYMBOL, parseExpression } from './expression.js';
import { solutionText } from './teacher.js';
import type { CountdownDraft, Difficulty, TaskFamily } from './types.js';

interface Level {
  readonly count: number;
  readonly used: readonly [number, number];
  readonly draw: (random: SeededRandom) => number[];
}

const LARGE = [25, 50, 75, 100];
const LEVELS: Readonly<Record<Difficulty, Level>> = {
  1: { count: 3, used: [2, 3], draw: (r) => [0, 1, 2].map(() => r.int(1, 10)) },
  2: { count: 4, used: [3, 4], draw: (r) => [0, 1, 2, 3].map(() => r.int(1, 25)) },
  3: {
    count: 5,
    used: [4, 5],
    draw: (r) => {
      const large = r.shuffled(LARGE).slice(0, r.int(1, 2));
      return r.shuffled([...large, ...Array.from({ length: 5 - large.length }, () => r.int(1, 10))]);
    },
  },
};
const TARGET_RANGE = [10, 999] as const;

/**
 * Combines the operands, two at a time, into one random expression tree, writing each step. Results
 * stay positive (larger minus smaller) and divisions whole (only offered when exact, never by 1).
 */
function combine(random: SeededRandom, operands: Expr[], steps: string[]): Expr {
  const pool = operands.map((e) => ({ e, v: evaluateExpression(e).num }));
  while (pool.length > 1) {
    const a = pool.splice(random.int(0, pool.length - 1), 1)[0]!;
    const b = pool.splice(random.int(0, pool.length - 1), 1)[0]!;
    // × 1 and ÷ 1 would spend a number on nothing.
    const ops: BinaryOp[] = a.v === 1n || b.v === 1n ? ['+'] : ['+', '*'];
    if (a.v !== b.v) ops.push('-'); // keep intermediate results positive: larger minus smaller
    const [big, small] = a.v >= b.v ? [a, b] : [b, a];
    if (small.v > 1n && big.v % small.v === 0n) ops.push('/');
    const op = random.pick(ops);
    const [left, right] = op === '-' || op === '/' ? [big, small] : [a, b];
    const v = op === '+' ? left.v + right.v : op === '-' ? left.v - right.v : op === '*' ? left.v * right.v : left.v / right.v;
    steps.push(`${left.v} ${OP_SYMBOL[op]} ${right.v} = ${v}`);
    pool.push({ e: { kind: 'bin', op, left: left.e, right: right.e }, v });
  }
  return pool[0]!.e;
}

function draft(random: SeededRandom, difficulty: Difficulty): CountdownDraft {
  const level = LEVELS[difficulty];
  for (;;) {
    const numbers = level.draw(random);
    const used = random.shuffled(numbers).slice(0, random.int(...level.used));
    const steps: string[] = [];
    const tree = combine(random, used.map((n) => ({ kind: 'num', value: BigInt(n) })), steps);
    const target = Number(evaluateExpression(tree).num);
    if (target < TARGET_RANGE[0] || target > TARGET_RANGE[1] || numbers.includes(target)) continue;
    const expression = formatExpression(tree);
    const list = numbers.join(', ');
    const problem = `Using the numbers ${list}, make ${target}. You may use +, -, × and ÷ and parentheses; each number may be used at most once, and every division must come out whole. Give the expression as your answer.`;
    const intro = `I need to reach ${target} from ${list}, using each number at most once.`;
    const check = `So ${expression} = ${target}, using ${[...used].sort((x, y) => x - y).join(', ')}.`;
    return { family: 'countdown', difficulty, problem, answer: expression, solution: solutionText([intro, ...steps, check], expression), numbers, target };
  }
}

export interface CountdownOptions {
  /** The prompt already opened <think>: without </think> there is no answer. Default false. */
  readonly reasoningOpened?: boolean;
}

function isWholeList(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((n) => Number.isSafeInteger(n) && n >= 0);
}

/**
 * 1 when the completion's final expression (\boxed{} or <answer>, after </think>) uses only the given
 * numbers, each at most once, has whole divisions and equals the target; 0 otherwise; null when the
 * sample lacks `numbers` or `target`. "expr = target" is accepted too. Example: for numbers [3, 4, 25]
 * and target 88, '<think>…</think>\n\\boxed{(25 - 3) × 4}' scores 1 and '\\boxed{25 × 4 - 3 - 3}' 0.
 */
export function countdownReward(options: CountdownOptions = {}): SyncRewardFn {
  return (completion: string, sample: RewardSample): RewardResult => {
    const { numbers, target } = sample;
    if (!isWholeList(numbers) || !Number.isSafeInteger(target)) {
      return { reward: null, details: { reason: 'the sample needs "numbers" (whole numbers) and a whole "target"' } };
    }
    const found = extractAnswer(completion, { reasoningOpened: options.reasoningOpened ?? false });
    if (found === null || (found.source !== 'boxed' && found.source !== 'answer-tag')) return { reward: 0, details: { reason: 'no expression in \\boxed{} or <answer> after the reasoning' } };
    const fail = (reason: string): RewardResult => ({ reward: 0, details: { answer: found.text, reason } });
    const sides = found.text.split('=');
    if (sides.length > 2) return fail('more than one "=" in the answer');
    if (sides.length === 2 && !/^\s*\d+\s*$/.test(sides[1]!.replace(/\$/g, ''))) return fail('the right of "=" must be the target number');
    if (sides.length === 2 && BigInt(sides[1]!.replace(/[\s$]/g, '')) !== BigInt(target as number)) return fail('the number after "=" is not the target');
    try {
      const tree = parseExpression(sides[0]!);
      const left = new Map<bigint, number>();
      for (const n of numbers) left.set(BigInt(n), (left.get(BigInt(n)) ?? 0) + 1);
      for (const n of literals(tree)) {
        const k = left.get(n) ?? 0;
        if (k === 0) return fail(numbers.includes(Number(n)) ? `${n} is used more often than it is given` : `${n} is not one of the given numbers`);
        left.set(n, k - 1);
      }
      const value = evaluateExpression(tree, { wholeDivisions: true });
      const hit = value.den === 1n && value.num === BigInt(target as number);
      return { reward: hit ? 1 : 0, details: { answer: found.text, value: value.den === 1n ? `${value.num}` : `${value.num}/${value.den}`, reason: hit ? 'reaches the target' : 'does not equal the target' } };
    } catch (e) {
      if (e instanceof ExpressionError) return fail(e.message);
      throw e;
    }
  };
}

export const countdownFamily: TaskFamily = {
  name: 'countdown',
  summary: 'reach a target from given numbers with + - × ÷ (each number at most once, whole divisions)',
  levels: { 1: '3 numbers up to 10', 2: '4 numbers up to 25', 3: '5 numbers, one or two of them 25, 50, 75 or 100' },
  draft,
  key: (task) => {
    const t = task as CountdownDraft;
    return `countdown:${[...t.numbers].sort((a, b) => a - b).join(',')}->${t.target}`;
  },
  reward: () => countdownReward(),
};
