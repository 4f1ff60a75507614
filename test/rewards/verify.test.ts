// verifyAnswer on the judged table (verify-cases.ts), one test per category so a failure names its
// category and lists each wrong pair with the verifier's reason; then what a table cannot show:
// symmetry, bounded time on pathological inputs, never throwing on garbage, the options, and the exact
// verdict fields.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_VERIFY_OPTIONS, verifyAnswer } from '../../src/rewards/verify.js';
import type { VerifyOptions } from '../../src/rewards/verify.js';
import { judgedPairs } from './verify-cases.js';

test('the judged table has at least 400 pairs, with both verdicts well represented', () => {
  const equal = judgedPairs.filter((p) => p.equal).length;
  assert.ok(judgedPairs.length >= 400, `only ${judgedPairs.length} judged pairs`);
  assert.ok(equal >= 150 && judgedPairs.length - equal >= 150, `${equal} equal, ${judgedPairs.length - equal} not equal`);
});

for (const category of new Set(judgedPairs.map((p) => p.category))) {
  test(`judged pairs: ${category}`, () => {
    const wrong: string[] = [];
    for (const pair of judgedPairs.filter((p) => p.category === category)) {
      const v = verifyAnswer(pair.gold, pair.pred);
      if (v.equal !== pair.equal) {
        wrong.push(`${JSON.stringify(pair.gold)} vs ${JSON.stringify(pair.pred)}: expected ${pair.equal ? 'equal' : 'not equal'}, got [${v.method}] ${v.reason}`);
      }
    }
    assert.deepEqual(wrong, [], `${category}: ${wrong.length} wrong\n  ${wrong.join('\n  ')}`);
  });
}

test('swapping gold and prediction never changes a verdict of the table', () => {
  const asymmetric = judgedPairs
    .filter((p) => verifyAnswer(p.gold, p.pred).equal !== verifyAnswer(p.pred, p.gold).equal)
    .map((p) => `${JSON.stringify(p.gold)} vs ${JSON.stringify(p.pred)}`);
  assert.deepEqual(asymmetric, []);
});

const binomials = Array.from({ length: 24 }, (_, i) => `(x_{${i + 1}}+${i + 1})`).join('');
const pathological: readonly (readonly [name: string, answer: string])[] = [
  ['a huge power of a sum', '(x+1)^{100000}'],
  ['a tower of powers', '10^{10^{10^{10}}}'],
  ['a huge factorial', '100000!'],
  ['a power tower that fits no memory', '9^{9^9}'],
  ['a literal with a huge exponent', '1e999999'],
  ['a product of 24 binomials (simplify takes seconds)', binomials],
  ['a multinomial power', '(a+b+c+d+f+g+h+k)^{8}'],
  ['a sum with a billion terms', '\\sum_{n=1}^{1000000000} n'],
  ['an exponent tower of variables', 'x^{x^{x^{x^{x}}}}'],
  ['a 50 KB string', 'x+'.repeat(25_000) + '1'],
  ['deeply nested braces', '{'.repeat(5_000) + 'x' + '}'.repeat(5_000)],
  ['deeply nested fractions', '\\frac{1}{'.repeat(200) + '2' + '}'.repeat(200)],
  ['many \\pm signs', '\\pm'.repeat(300)],
  ['unbalanced braces', '\\frac{'.repeat(100)],
  ['a long list', Array.from({ length: 300 }, (_, i) => String(i)).join(', ')],
  ['a long list of expressions', Array.from({ length: 60 }, (_, i) => `\\sqrt{${i + 2}}+x^{${i}}`).join(', ')],
  ['a large matrix', `\\begin{pmatrix}${Array.from({ length: 40 }, () => Array(40).fill('x').join('&')).join('\\\\')}\\end{pmatrix}`],
  ['a long chain of relations', 'x<'.repeat(300) + '1'],
];

for (const [name, answer] of pathological) {
  test(`pathological input returns "not equal" with a reason within 2 s: ${name}`, () => {
    for (const [gold, pred] of [
      [answer, 'x + 1'],
      ['x + 1', answer],
      [answer, `-(${answer})`],
    ]) {
      const started = performance.now();
      const v = verifyAnswer(gold, pred);
      const ms = performance.now() - started;
      assert.equal(v.equal, false, `${name}: ${v.method} ${v.reason}`);
      assert.ok(v.reason.length > 0 && v.method.length > 0);
      assert.ok(ms < 2000, `${name} took ${ms.toFixed(0)} ms`);
    }
  });
}

test('inputs that are not strings give an "invalid" verdict, never an exception', () => {
  for (const bad of [null, undefined, 5, {}, [], Symbol('x'), () => 1]) {
    const v = verifyAnswer(bad as unknown as string, '5');
    assert.equal(v.equal, false);
    assert.equal(v.method, 'invalid');
    assert.equal(v.reason, 'gold is not a string');
    assert.equal(verifyAnswer('5', bad as unknown as string).reason, 'prediction is not a string');
  }
});

test('random LaTeX soup never throws, always explains itself and stays within the time bound', () => {
  const tokens = ['1', '2', '0.5', 'x', 'y', '+', '-', '^', '_', '{', '}', '(', ')', '[', ']', ',', '=', '<', '\\le', '\\frac', '\\sqrt',
    '\\pi', 'i', 'e', '\\pm', '\\cup', '\\{', '\\}', '\\text{', 'or', ' ', '%', '\\%', '!', '\\infty', '&', '\\\\', '\\begin{pmatrix}',
    '\\end{pmatrix}', '\\left(', '\\right)', '\\cdot', '\\ln', '\\sin', '|', '.', '$', '\\boxed{', '10^{', '99999', '<think>'];
  let seed = 12345;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let k = 0; k < 400; k++) {
    const soup = (): string => Array.from({ length: 1 + random(14) }, () => tokens[random(tokens.length)]).join('');
    const gold = soup();
    const pred = random(4) === 0 ? gold : soup();
    const started = performance.now();
    const v = verifyAnswer(gold, pred);
    assert.equal(typeof v.equal, 'boolean');
    assert.ok(v.reason.length > 0, `${gold} | ${pred}`);
    assert.ok(performance.now() - started < 2000, `${gold} | ${pred}`);
    assert.notEqual(v.method, 'error', `internal error on ${JSON.stringify(gold)} vs ${JSON.stringify(pred)}: ${v.reason}`);
  }
});

test('verdicts carry the normalised forms of both answers', () => {
  assert.deepEqual(verifyAnswer('\\$32,\\!348', '$32348$.'), {
    equal: true,
    method: 'numeric',
    reason: 'same exact value',
    gold: '32,348',
    pred: '32348',
  });
  assert.deepEqual(verifyAnswer('\\left( 3, \\frac{\\pi}{2} \\right)', '(3, \\dfrac\\pi2)'), {
    equal: true,
    method: 'tuple',
    reason: 'all 2 entries equal in order',
    gold: '( 3, \\frac{\\pi}{2} )',
    pred: '(3, \\frac{\\pi}{2})',
  });
  assert.deepEqual(verifyAnswer('1', '1 \\text{ or } 2'), {
    equal: false,
    method: 'structure',
    reason: 'gold is a single value, prediction is 2 answers',
    gold: '1',
    pred: '1 , 2',
  });
  const unparsable = verifyAnswer('5', '\\frac{');
  assert.equal(unparsable.equal, false);
  assert.equal(unparsable.method, 'unparsable');
  assert.match(unparsable.reason, /^prediction: /);
});

test('the percent option: 50% is 0.5 (value), 50 (number), or either', () => {
  const judge = (pred: string, percent: VerifyOptions['percent']): boolean => verifyAnswer('50\\%', pred, { percent }).equal;
  assert.deepEqual(['50', '0.5', '5'].map((p) => judge(p, 'either')), [true, true, false]);
  assert.deepEqual(['50', '0.5', '5'].map((p) => judge(p, 'value')), [false, true, false]);
  assert.deepEqual(['50', '0.5', '5'].map((p) => judge(p, 'number')), [true, false, false]);
  assert.equal(DEFAULT_VERIFY_OPTIONS.percent, 'either');
});

test('the rounded-decimal option sets how many significant digits a rounding needs, or turns it off', () => {
  const judge = (pred: string, roundedDecimalDigits: number | null): boolean => verifyAnswer('\\frac{1}{3}', pred, { roundedDecimalDigits }).equal;
  assert.deepEqual(['0.33', '0.333', '0.3333'].map((p) => judge(p, 3)), [false, true, true]);
  assert.deepEqual(['0.333', '0.3333', '0.33333'].map((p) => judge(p, 5)), [false, false, true]);
  assert.deepEqual(['0.333', '0.\\overline{3}'].map((p) => judge(p, null)), [false, true]);
});

test('the ordered-lists option makes several answers order-sensitive, but never sets', () => {
  assert.equal(verifyAnswer('2, 3', '3, 2', { orderedLists: true }).equal, false);
  assert.equal(verifyAnswer('2, 3', '2, 3', { orderedLists: true }).equal, true);
  assert.equal(verifyAnswer('\\{2, 3\\}', '\\{3, 2\\}', { orderedLists: true }).equal, true);
  assert.equal(verifyAnswer('2, 3', '3, 2').equal, true);
});

test('the relative tolerance applies to decimals and constants, never to integers', () => {
  assert.equal(verifyAnswer('0.3', '0.3000001').equal, false);
  assert.equal(verifyAnswer('0.3', '0.3000001', { relativeTolerance: 1e-6 }).equal, true);
  assert.equal(verifyAnswer('1000000', '1000001', { relativeTolerance: 1e-3 }).equal, false);
  assert.equal(verifyAnswer('\\sqrt{2}', '\\frac{14142135623}{10^{10}}').equal, false); // off by 5e-11 relative
  assert.equal(verifyAnswer('\\sqrt{2}', '\\frac{14142135623}{10^{10}}', { relativeTolerance: 1e-9 }).equal, true);
});

test('a tiny time budget ends in a "timeout" verdict, not a hang or a guess', () => {
  const v = verifyAnswer('\\frac{x^9-1}{x-1}', 'x^8+x^7+x^6+x^5+x^4+x^3+x^2+x+1', { timeBudgetMs: 1 });
  assert.equal(v.equal, false);
  assert.equal(v.method, 'timeout');
  assert.match(v.reason, /^gave up after \d+ ms \(budget 1 ms\)$/);
});

test('input limits are options: a long answer is refused with its length', () => {
  const long = '1'.repeat(30);
  assert.equal(verifyAnswer(long, long).equal, true);
  assert.deepEqual(verifyAnswer(long, long, { maxInputLength: 20 }), {
    equal: false,
    method: 'invalid',
    reason: 'gold is 30 characters long (limit 20)',
    gold: long,
    pred: long,
  });
  assert.equal(verifyAnswer('((((1))))', '1', { maxNesting: 3 }).reason, 'gold nests brackets 4 deep (limit 3)');
});

test('options with impossible values give an "invalid" verdict naming the option', () => {
  assert.deepEqual(
    ['timeBudgetMs', 'samplePoints', 'relativeTolerance'].map((name) => verifyAnswer('1', '1', { [name]: -1 }).reason),
    ['option timeBudgetMs must be a positive number', 'option samplePoints must be a positive number', 'option relativeTolerance must be a number ≥ 0'],
  );
});
