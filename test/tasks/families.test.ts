// The three task families against independent checks: every teacher solution is accepted by its
// family's reward (2100 problems per family, 700 per level), arithmetic answers equal a separate BigInt
// evaluator written here, linear answers satisfy their equation exactly, wrong answers are refused,
// and each difficulty level has the sizes the family documents.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Difficulty, FamilyName, Task } from '../../src/tasks/index.js';
import { answerOnlyCompletion, DIFFICULTIES, evaluateExpression, generateTasks, parseExpression, rational, taskReward, teacherCompletion } from '../../src/tasks/index.js';

const PER_LEVEL = 700;
const byLevel = (family: FamilyName, d: Difficulty, seed = 11): Task[] => generateTasks({ family, count: PER_LEVEL, seed, difficulty: d });

/** A plain left-to-right precedence evaluator over BigInt (not the teacher's token reduction). */
function independentValue(text: string): bigint {
  const tokens = text.match(/\d+|[-+×÷()]/g)!;
  let i = 0;
  const sum = (): bigint => {
    let v = product();
    while (tokens[i] === '+' || tokens[i] === '-') v = tokens[i++] === '+' ? v + product() : v - product();
    return v;
  };
  const product = (): bigint => {
    let v = atom();
    while (tokens[i] === '×' || tokens[i] === '÷') {
      const op = tokens[i++], w = atom();
      if (op === '÷') {
        assert.ok(w !== 0n && v % w === 0n, `${text}: ${v} ÷ ${w} is not exact`);
        v /= w;
      } else v *= w;
    }
    return v;
  };
  const atom = (): bigint => {
    const t = tokens[i++]!;
    if (t !== '(') return BigInt(t);
    const v = sum();
    assert.equal(tokens[i++], ')');
    return v;
  };
  const v = sum();
  assert.equal(i, tokens.length, `${text}: tokens left over`);
  return v;
}

/** "5", "-7", "-\\frac{7}{3}" as an exact rational. */
function answerValue(answer: string) {
  const frac = /^(-?)\\frac\{(\d+)\}\{(\d+)\}$/.exec(answer);
  if (frac) return rational(BigInt(`${frac[1]}${frac[2]}`), BigInt(frac[3]!));
  assert.match(answer, /^-?\d+$/);
  return rational(BigInt(answer));
}

for (const family of ['arithmetic', 'countdown', 'linear'] as const) {
  test(`${family}: every teacher solution is accepted by the family's reward (3 × ${PER_LEVEL} problems)`, () => {
    const reward = taskReward();
    for (const d of DIFFICULTIES) {
      for (const task of byLevel(family, d)) {
        const completion = teacherCompletion(task);
        assert.match(completion, /^<think>\n[^]+\n<\/think>\n\n.*\\boxed\{/);
        const r = reward(completion, task) as { reward: number | null; details: unknown };
        assert.equal(r.reward, 1, `${task.id}: ${task.problem}\n${completion}\n${JSON.stringify(r.details)}`);
        // The answer-only form: the worked form's first and last lines, nothing between, still right.
        const bare = answerOnlyCompletion(task);
        const worked = completion.split('\n');
        assert.deepEqual(bare.split('\n'), [worked[0], worked[1], '</think>', '', worked[worked.length - 1]]);
        assert.equal((reward(bare, task) as { reward: number | null }).reward, 1, bare);
      }
    }
  });
}

test('arithmetic: answers equal an independent BigInt evaluation, and a wrong answer is refused', () => {
  const reward = taskReward();
  for (const d of DIFFICULTIES) {
    for (const task of byLevel('arithmetic', d, 12)) {
      assert.equal(task.family, 'arithmetic');
      if (task.family !== 'arithmetic') continue;
      assert.equal(task.answer, `${independentValue(task.expression)}`, task.expression);
      assert.equal(task.problem, `What is ${task.expression}?`);
      const wrong = `<think>\nok\n</think>\n\n\\boxed{${BigInt(task.answer) + 1n}}`;
      assert.equal((reward(wrong, task) as { reward: number }).reward, 0);
    }
  }
  // The teacher restates the expression, then alternates one fact and the expression it leaves; the
  // last fact's value is the answer, and × and ÷ go before + and - even when a + comes first.
  for (const t of generateTasks({ family: 'arithmetic', count: 20, seed: 3, difficulty: 2 })) {
    if (t.family !== 'arithmetic') continue;
    const lines = t.solution.split('\n').slice(0, -1);
    assert.equal(lines[0], t.expression);
    const facts = lines.slice(1).filter((_, i) => i % 2 === 0), rewrites = lines.slice(1).filter((_, i) => i % 2 === 1);
    assert.ok(facts.every((s) => /^-?\d+ [-+×÷] \d+ = -?\d+$/.test(s)), t.solution);
    assert.ok(rewrites.every((s) => s.startsWith('= ')) && rewrites.length === facts.length - 1, t.solution);
    assert.equal(facts.at(-1)!.split(' = ')[1], t.answer);
    if (/[×÷]/.test(t.expression)) assert.match(facts[0]!, / [×÷] /, t.solution);
  }
});

test('linear: substituting the answer satisfies the equation exactly; answer ± 1 does not', () => {
  const reward = taskReward();
  let fractions = 0;
  for (const d of DIFFICULTIES) {
    for (const task of byLevel('linear', d, 13)) {
      if (task.family !== 'linear') assert.fail('not a linear task');
      const [lhs, rhs] = task.equation.split(' = ');
      const left = parseExpression(lhs!, { variable: true, unaryMinus: true }), right = parseExpression(rhs!, { variable: true, unaryMinus: true });
      const x = answerValue(task.answer);
      if (x.den !== 1n) fractions++;
      assert.deepEqual(evaluateExpression(left, { x }), evaluateExpression(right, { x }), `${task.equation} at x = ${task.answer}`);
      const off = rational(x.num + x.den, x.den);
      assert.notDeepEqual(evaluateExpression(left, { x: off }), evaluateExpression(right, { x: off }), `${task.equation} also holds at ${task.answer} + 1`);
      assert.equal((reward(`<think>\n.\n</think>\n\n\\boxed{x = ${task.answer}}`, task) as { reward: number }).reward, 1, 'x = … is accepted');
      assert.equal((reward(`<think>\n.\n</think>\n\n\\boxed{${x.num + x.den}/${x.den}}`, task) as { reward: number }).reward, 0);
    }
  }
  assert.ok(fractions > PER_LEVEL / 4, `level 3 should give fractional solutions about half the time, got ${fractions}`);
});

test('difficulty levels change sizes as documented', () => {
  for (const d of DIFFICULTIES) {
    const arithmetic = byLevel('arithmetic', d, 14).map((t) => (t.family === 'arithmetic' ? t.expression : ''));
    const operators = arithmetic.map((e) => (e.match(/ [-+×÷] /g) ?? []).length);
    const [lo, hi] = ({ 1: [3, 3], 2: [4, 5], 3: [5, 6] } as const)[d];
    assert.ok(operators.every((n) => n >= lo && n <= hi), `level ${d}: ${Math.min(...operators)}–${Math.max(...operators)} operations`);
    assert.equal(arithmetic.every((e) => e.includes('(')), d === 3, `parentheses exactly at level 3`);
    assert.ok(arithmetic.some((e) => e.includes('÷')) && arithmetic.some((e) => e.includes('×')));
    const maxNumber = Math.max(...arithmetic.flatMap((e) => (e.match(/\d+/g) ?? []).map(Number)));
    assert.ok(maxNumber <= (d === 1 ? 20 : 100), `level ${d}: largest number ${maxNumber}`);

    const countdown = byLevel('countdown', d, 14).map((t) => (t.family === 'countdown' ? t : assert.fail('not countdown')));
    assert.ok(countdown.every((t) => t.numbers.length === d + 2));
    assert.ok(countdown.every((t) => Math.max(...t.numbers) <= (d === 1 ? 10 : d === 2 ? 25 : 100)));
    if (d === 3) assert.ok(countdown.every((t) => t.numbers.some((n) => n >= 25)), 'a large number at level 3');
    assert.ok(countdown.every((t) => t.target >= 10 && t.target <= 999 && !t.numbers.includes(t.target)));

    const linear = byLevel('linear', d, 14).map((t) => (t.family === 'linear' ? t.equation : ''));
    const [l, r] = [linear.map((e) => e.split(' = ')[0]!), linear.map((e) => e.split(' = ')[1]!)];
    assert.ok(l.every((s) => s.includes('x')));
    assert.equal(r.filter((s) => s.includes('x')).length, d === 1 ? 0 : linear.length, `x on the right at level ${d}`);
    assert.equal(linear.filter((e) => e.includes('(')).length, d === 3 ? linear.length : 0, `parentheses at level ${d}`);
  }
});

test('determinism: the same options give the same problems; another seed gives others; longer lists extend shorter ones', () => {
  for (const family of ['arithmetic', 'countdown', 'linear'] as const) {
    const a = generateTasks({ family, count: 50, seed: 7 });
    assert.deepEqual(generateTasks({ family, count: 50, seed: 7 }), a);
    assert.deepEqual(generateTasks({ family, count: 20, seed: 7 }), a.slice(0, 20));
    const other = generateTasks({ family, count: 50, seed: 8 });
    assert.ok(other.filter((t, i) => t.problem === a[i]!.problem).length < 5);
    const levels = new Set(a.map((t) => t.difficulty));
    assert.equal(levels.size, 3, 'mixed difficulty draws every level');
  }
});

test('bad options are refused with a message that names them', () => {
  assert.throws(() => generateTasks({ family: 'nope' as FamilyName, count: 1 }), /unknown task family "nope": use one of arithmetic, countdown, linear/);
  assert.throws(() => generateTasks({ family: 'linear', count: -1 }), /count must be a whole number/);
  assert.throws(() => generateTasks({ family: 'linear', count: 1, difficulty: 4 as Difficulty }), /difficulty must be 1, 2, 3/);
  assert.throws(() => generateTasks({ family: 'linear', count: 1, split: 'test' as 'train' }), /split must be 'train' or 'heldout'/);
  assert.throws(() => generateTasks({ family: 'countdown', count: 5000, difficulty: 1 }), /found only \d+ distinct countdown problems/);
  // With allowFewer the list is every distinct problem there is: a longer request gives the same list.
  const all = generateTasks({ family: 'countdown', count: 5000, difficulty: 1, allowFewer: true });
  assert.ok(all.length > 1000 && all.length < 5000, `${all.length} problems`);
  assert.equal(new Set(all.map((t) => t.problem)).size, all.length);
  assert.deepEqual(generateTasks({ family: 'countdown', count: 9000, difficulty: 1, allowFewer: true }), all);
});
