// The expression parser and exact evaluation the tasks and countdownReward rely on: known values in
// every notation, precedence and associativity, the whole-division rule, x and implicit products,
// printing that reads back to the same value, and errors that are always ExpressionError.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Expr } from '../../src/tasks/index.js';
import { evaluateExpression, ExpressionError, formatExpression, parseExpression, rational } from '../../src/tasks/index.js';
import { SeededRandom } from '../../src/util/index.js';

const value = (text: string, options = {}) => evaluateExpression(parseExpression(text, options), options);

test('known values, precedence and left associativity, in plain, typographic and LaTeX notation', () => {
  const cases: [string, bigint | [bigint, bigint]][] = [
    ['2 + 3 * 4', 14n], ['(2 + 3) * 4', 20n], ['10 - 4 - 3', 3n], ['10 - (4 - 3)', 9n], ['100 / 10 / 5', 2n],
    ['100 ÷ (10 ÷ 5)', 50n], ['7 × 3 − 4', 17n], ['8 \\div 4 \\times 3', 6n], ['2 \\cdot 21', 42n], ['1/3 + 1/6', [1n, 2n]],
    ['$12$', 12n], ['123456789012345678901234567890 * 10', 1234567890123456789012345678900n],
  ];
  for (const [text, want] of cases) {
    const got = value(text);
    assert.deepEqual(got, Array.isArray(want) ? rational(want[0], want[1]) : rational(want), text);
  }
});

test('the whole-division rule, division by zero, x and implicit products, unary minus only when allowed', () => {
  assert.deepEqual(value('7 / 2 * 4'), rational(14));
  assert.throws(() => value('7 / 2 * 4', { wholeDivisions: true }), (e: unknown) => e instanceof ExpressionError && /7 ÷ 2/.test(e.message));
  assert.throws(() => value('3 / (2 - 2)'), (e: unknown) => e instanceof ExpressionError && /division by zero/.test(e.message));
  const x = rational(-7, 3);
  assert.deepEqual(value('-8(x + 6) + 29', { variable: true, unaryMinus: true, x }), rational(-8n * -7n - 48n * 3n + 29n * 3n, 3n));
  assert.deepEqual(value('3x - x', { variable: true, x: rational(5) }), rational(10));
  assert.deepEqual(value('-(x - 1)', { variable: true, unaryMinus: true, x: rational(4) }), rational(-3));
  assert.throws(() => parseExpression('-3 + 5'), /minus sign must stand between two operands/);
  assert.throws(() => parseExpression('3x'), /unexpected character "x"/);
  assert.throws(() => value('x + 1', { variable: true }), /no value was given/);
});

test('malformed text throws ExpressionError with a reason, never anything else', () => {
  const bad: [string, RegExp][] = [
    ['', /empty/], ['2 +', /ends where a number was expected/], ['(2 + 3', /not closed/], ['2 + 3)', /closing parenthesis/],
    ['2 3', /without an operator/], ['2.5 * 2', /decimal/], ['\\sqrt{4}', /unknown command \\sqrt/], ['2 ^ 3', /unexpected character/],
    ['()', /closing parenthesis/], ['* 2', /operator stands where a number was expected/], ['('.repeat(60) + '1' + ')'.repeat(60), /nests deeper/],
    ['1+'.repeat(250) + '1', /longer than/],
  ];
  for (const [text, why] of bad) assert.throws(() => parseExpression(text), (e: unknown) => e instanceof ExpressionError && why.test(e.message), text);
});

function randomTree(r: SeededRandom, depth: number): Expr {
  if (depth === 0 || r.chance(0.3)) return { kind: 'num', value: BigInt(r.int(1, 20)) };
  return { kind: 'bin', op: r.pick(['+', '-', '*', '/'] as const), left: randomTree(r, depth - 1), right: randomTree(r, depth - 1) };
}

test('printing reads back to the same value (exact rationals) on 3000 random trees', () => {
  const r = new SeededRandom(4, 'trees');
  let checked = 0;
  for (let i = 0; i < 3000; i++) {
    const tree = randomTree(r, 4);
    let want;
    try {
      want = evaluateExpression(tree);
    } catch {
      continue; // a division by zero somewhere in the tree
    }
    const text = formatExpression(tree);
    assert.deepEqual(value(text), want, text);
    checked++;
  }
  assert.ok(checked > 2500);
  assert.equal(formatExpression(parseExpression('(25 - 3) * 4')), '(25 - 3) × 4');
  assert.equal(formatExpression(parseExpression('10 - (4 - 3)')), '10 - (4 - 3)');
});

test('SeededRandom: one sequence per (seed, stream), integers in range and roughly uniform', () => {
  const a = new SeededRandom(1, 'train'), b = new SeededRandom(1, 'train'), c = new SeededRandom(1, 'heldout'), d = new SeededRandom(2, 'train');
  const draw = (g: SeededRandom) => Array.from({ length: 20 }, () => g.nextUint32());
  const [sa, sb, sc, sd] = [draw(a), draw(b), draw(c), draw(d)];
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
  assert.notDeepEqual(sa, sd);
  const g = new SeededRandom(9);
  const counts = new Array<number>(6).fill(0);
  for (let i = 0; i < 60000; i++) counts[g.int(-2, 3) + 2]!++;
  for (const n of counts) assert.ok(n > 9500 && n < 10500, `counts ${counts}`);
  assert.throws(() => g.int(3, 2), /lo <= hi/);
});
