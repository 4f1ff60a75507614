// countdownReward: any expression that keeps the rule (given numbers, each at most once; + - × ÷ and
// parentheses; every division whole) and reaches the target scores 1, whatever its shape; everything
// else scores 0 without throwing, and a sample without numbers/target gives null.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Expr } from '../../src/tasks/index.js';
import { countdownReward, formatExpression, generateTasks, parseExpression } from '../../src/tasks/index.js';

const reward = countdownReward();
const score = (answer: string, numbers: number[], target: number, wrap = (a: string) => `<think>\nsearching\n</think>\n\n\\boxed{${a}}`): number | null =>
  (reward(wrap(answer), { numbers, target, answer: '' }) as { reward: number | null }).reward;

test('accepts any valid expression, in any notation, boxed or in <answer>', () => {
  const n = [3, 4, 25, 7];
  for (const a of ['(25-3)*4', '4*(25-3)', '4 × (25 − 3)', '(25 - 3) \\times 4', '\\left(25-3\\right)\\cdot 4', '$(25-3)*4$', '(25 - 3) × 4 = 88', '((25 - 3)) × 4', '25*4 - 3*4']) {
    assert.equal(score(a, n.concat(a.includes('3*4') ? [3, 4] : []), 88), 1, a);
  }
  assert.equal(score('(25-3)*4', n, 88, (a) => `<think>\nhmm\n</think>\n<answer>${a}</answer>`), 1);
  assert.equal(score('7 * 4 / 2', [7, 2, 4], 14), 1, 'a whole division after a product');
  assert.equal(score('25 - 7', n, 18), 1, 'not every number has to be used');
});

test('rejects wrong values, reused and foreign numbers, division by zero, fractions on the way, and bad "="', () => {
  const n = [3, 4, 25, 7];
  const cases: [string, number[], number, RegExp][] = [
    ['25*4-3', n, 88, /does not equal the target/],
    ['(25-3)*4*1', n, 88, /1 is not one of the given numbers/],
    ['2*3*2', [2, 3, 7], 12, /2 is used more often than it is given/],
    ['3/(5-5)+12', [3, 5, 5, 12], 15, /division by zero/],
    ['7/2*4', [7, 2, 4], 14, /does not come out whole/],
    ['(25-3)*4 = 89', n, 88, /not the target/],
    ['(25-3)*4 = 88 = 88', n, 88, /more than one "="/],
    ['(25-3)*4 = 4*22', n, 88, /must be the target number/],
  ];
  for (const [answer, numbers, target, why] of cases) {
    const r = reward(`<think>\n.\n</think>\n\n\\boxed{${answer}}`, { numbers, target }) as { reward: number; details: { reason: string } };
    assert.equal(r.reward, 0, answer);
    assert.match(r.details.reason, why, answer);
  }
});

test('malformed or missing answers score 0 without throwing; a sample without numbers gives null', () => {
  const n = [3, 4, 25];
  const malformed = ['', '((', '2 +', '(25-3', '25-3)', '25 ** 3', 'eval(25)', '1e3', '2.5*4', '-3+25', '25 3', '\\sqrt{25}', 'x*4', '(' .repeat(200) + '3' + ')'.repeat(200), '3+'.repeat(300) + '3', '\u0000', '25 - 3 ×', '()'];
  for (const a of malformed) assert.equal(score(a, n, 22), 0, JSON.stringify(a));
  assert.equal(score('25 - 3', n, 22, (a) => `<think>\nthe answer is \\boxed{${a}}`), 0, 'an unclosed think block holds no answer');
  assert.equal(score('25 - 3', n, 22, (a) => `<think>\n.\n</think>\n\nThe answer is ${a}.`), 0, 'only \\boxed or <answer> count');
  assert.equal(score('25 - 3', n, 22, () => '<think>\n.\n</think>\n\nno idea'), 0);
  assert.equal((reward('\\boxed{25-3}', { answer: '25-3' }) as { reward: number | null }).reward, null);
  assert.equal((reward('\\boxed{25-3}', { numbers: [25, 3.5], target: 22 }) as { reward: number | null }).reward, null);
  // Random garbage from the expression alphabet never throws.
  const alphabet = ['1', '2', '25', '+', '-', '×', '÷', '(', ')', ' ', '=', '\\', 'x', '.'];
  let state = 1;
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let k = 0; k < 12; k++) {
      state = (state * 1103515245 + 12345) % 2147483648;
      s += alphabet[state % alphabet.length];
    }
    const r = score(s, [1, 2, 25, 2], 27);
    assert.ok(r === 0 || r === 1, s);
  }
});

/** Swaps the operands of every + and ×: a different expression with the same value and numbers. */
function commuted(e: Expr): Expr {
  if (e.kind !== 'bin') return e;
  const left = commuted(e.left), right = commuted(e.right);
  return e.op === '+' || e.op === '*' ? { ...e, left: right, right: left } : { ...e, left, right };
}

test('generated problems: the teacher\'s answer, its commuted and re-parenthesised forms all score 1; off-by-one targets 0', () => {
  for (const difficulty of [1, 2, 3] as const) {
    for (const task of generateTasks({ family: 'countdown', count: 300, seed: 21, difficulty })) {
      if (task.family !== 'countdown') assert.fail('not countdown');
      const numbers = [...task.numbers];
      const tree = parseExpression(task.answer);
      for (const form of [task.answer, formatExpression(commuted(tree)), `(${task.answer})`, `${task.answer} = ${task.target}`]) {
        assert.equal(score(form, numbers, task.target), 1, `${task.problem}: ${form}`);
      }
      assert.equal(score(task.answer, numbers, task.target + 1), 0);
      // Taking away (every copy of) a number the teacher used must break it.
      const used = task.answer.match(/\d+/g)!.map(Number);
      const fewer = numbers.filter((x) => x !== used[0]);
      // (All numbers equal, e.g. 10 10 10: nothing is left, and a sample without numbers is unusable: null.)
      assert.equal(score(task.answer, fewer, task.target), fewer.length > 0 ? 0 : null, `${task.answer} with ${fewer}`);
    }
  }
});
