// The code-correctness reward on real HumanEval problems (their canonical solutions pass; an empty or
// wrong body fails) and on stdin/stdout cases, plus where the code is taken from: the last ```python
// block after </think>, nothing from an unclosed think block.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { codeReward, lastPythonBlock } from '../../src/rewards/sandbox/code-reward.js';
import { SandboxError } from '../../src/rewards/sandbox/sandbox.js';
import type { RewardResult, RewardSample } from '../../src/rewards/types.js';

// These programs are ours, not a model's: the tests accept whatever isolation this machine has
// (sandbox.test.ts is where the isolation itself is tested).
const reward = codeReward({ timeoutMs: 2000, allowUnprotected: true });

interface HumanEvalProblem extends RewardSample {
  readonly task_id: string;
  readonly prompt: string;
  readonly canonical_solution: string;
  readonly test: string;
  readonly entry_point: string;
}

const HUMANEVAL = new URL('../../data/humaneval/HumanEval.jsonl.gz', import.meta.url);
const problems = new Map(gunzipSync(readFileSync(HUMANEVAL)).toString('utf8').trim().split('\n')
  .map((line) => JSON.parse(line) as HumanEvalProblem).map((p) => [p.task_id, p]));

/** Five problems, and a plausible wrong body for each (right on some asserts, wrong on others). */
const WRONG_BODIES: Readonly<Record<string, string>> = {
  'HumanEval/0': '    return False\n',
  'HumanEval/2': '    return number - round(number)\n',
  'HumanEval/13': '    return min(a, b)\n',
  'HumanEval/38': '    return s[::-1]\n',
  'HumanEval/53': '    return x * y\n',
};

function problem(id: string): HumanEvalProblem {
  const p = problems.get(id);
  assert.ok(p, `${id} is in HumanEval.jsonl.gz`);
  return p;
}

/** A completion in R1's format whose answer holds `code` in a python block. */
function answer(code: string): string {
  return `<think>\nThe function needs a loop.\n</think>\n\nHere is the code:\n\n\`\`\`python\n${code}\`\`\`\n`;
}

/** The reward and each test's outcome, the parts every test asserts on. */
function outcomes(result: RewardResult): { reward: number | null; outcomes: string[] } {
  const tests = result.details.tests as { outcome: string }[];
  return { reward: result.reward, outcomes: tests.map((t) => t.outcome) };
}

test('HumanEval: each canonical solution passes', async () => {
  for (const id of Object.keys(WRONG_BODIES)) {
    const p = problem(id);
    const result = await reward(answer(p.prompt + p.canonical_solution), p);
    assert.deepEqual(result, { reward: 1, details: { passed: 1, total: 1, tests: [{ outcome: 'passed' }] } }, id);
  }
});

test('HumanEval: an empty body and a wrong body fail', async () => {
  for (const [id, wrongBody] of Object.entries(WRONG_BODIES)) {
    const p = problem(id);
    for (const body of ['', wrongBody]) {
      const result = await reward(answer(p.prompt + body), p);
      assert.equal(result.reward, 0, `${id} with body ${JSON.stringify(body)}`);
      const [report] = result.details.tests as { outcome: string; reason: string }[];
      assert.deepEqual([report!.outcome, report!.reason], ['failed', 'AssertionError'], id);
    }
  }
});

test('HumanEval: a hanging, broken or misnamed solution fails with its reason', async () => {
  const p = problem('HumanEval/53');
  const cases: [string, string, RegExp][] = [
    ['def add(x: int, y: int):\n    while True:\n        pass\n', 'timeout', /time limit/],
    ['def add(x: int, y: int)\n    return x + y\n', 'error', /^SyntaxError: expected ':'/],
    ['def plus(x: int, y: int):\n    return x + y\n', 'error', /^the program defines no function add$/],
    ['import sys\ndef add(x, y):\n    return 0\nsys.exit(0)\n', 'error', /^the program called exit\(0\)$/],
  ];
  for (const [code, outcome, reason] of cases) {
    const result = await reward(answer(code), p);
    assert.equal(result.reward, 0);
    const [report] = result.details.tests as { outcome: string; reason: string }[];
    assert.equal(report!.outcome, outcome);
    assert.match(report!.reason, reason);
  }
});

const SUM_CASES: RewardSample = {
  tests: [
    { input: '2 3\n', output: '5\n' },
    { input: '-4 4\n', output: '0' },
    { input: '10 20', output: '30\n' },
  ],
};

test('stdin/stdout: the share of cases passed, compared line by line without surrounding whitespace', async () => {
  const right = await reward(answer('a, b = map(int, input().split())\nprint(" ", a + b, " ")\nprint()\n'), SUM_CASES);
  assert.deepEqual(outcomes(right), { reward: 1, outcomes: ['passed', 'passed', 'passed'] });

  const wrongOnNegatives = await reward(answer('a, b = map(int, input().split())\nprint(abs(a) + abs(b))\n'), SUM_CASES);
  assert.deepEqual(outcomes(wrongOnNegatives), { reward: 2 / 3, outcomes: ['passed', 'failed', 'passed'] });
  assert.equal((wrongOnNegatives.details.tests as { reason: string }[])[1]!.reason, 'output line 1: expected "0", got "8"');

  const extraLine = await reward(answer('a, b = map(int, input().split())\nprint(a + b)\nprint("done")\n'), SUM_CASES);
  assert.equal((extraLine.details.tests as { reason: string }[])[0]!.reason, 'output line 2: expected "(end)", got "done"');
  assert.equal(extraLine.reward, 0);

  const crashes = await reward(answer('print(1 / 0)\n'), SUM_CASES);
  const [report] = crashes.details.tests as { outcome: string; reason: string; stderrTail: string }[];
  assert.deepEqual([report!.outcome, report!.reason], ['error', 'ZeroDivisionError: division by zero']);
  assert.match(report!.stderrTail, /ZeroDivisionError: division by zero$/);
});

test('stdin/stdout, binary: 1 only when every case passes, stopping at the first failure', async () => {
  const binary = codeReward({ timeoutMs: 2000, allowUnprotected: true, binary: true });
  const right = await binary(answer('a, b = map(int, input().split())\nprint(a + b)\n'), SUM_CASES);
  assert.deepEqual(outcomes(right), { reward: 1, outcomes: ['passed', 'passed', 'passed'] });
  const wrong = await binary(answer('a, b = map(int, input().split())\nprint(abs(a) + abs(b))\n'), SUM_CASES);
  assert.deepEqual(outcomes(wrong), { reward: 0, outcomes: ['passed', 'failed'] });
  assert.deepEqual([wrong.details.passed, wrong.details.total], [1, 3]);
});

test('the code is the last python block after </think>; none when the think block is unclosed', async () => {
  const p = problem('HumanEval/53');
  const right = `${p.prompt}    return x + y\n`;
  const wrong = `${p.prompt}    return x - y\n`;
  const cases: [string, RewardSample, number | null, string | undefined][] = [
    [answer(wrong).replace('</think>', `</think>\n\n\`\`\`python\n${right}\`\`\`\nor better:`), p, 0, undefined],
    [answer(right).replace('</think>', `</think>\n\n\`\`\`python\n${wrong}\`\`\`\nor better:`), p, 1, undefined],
    [`<think>\n\`\`\`python\n${right}\`\`\`\n</think>\n\n\`\`\`python\n${wrong}\`\`\``, p, 0, undefined],
    [`<think>\n\`\`\`python\n${right}\`\`\`\n`, p, 0, 'no answer: the think block is not closed'],
    [`</think>\n\nThe sum is x + y.`, p, 0, 'no ```python block in the answer'],
    [answer(right), { answer: '5' }, null, 'the sample has no tests: it needs test + entry_point (HumanEval) or tests: {input, output}[]'],
  ];
  for (const [completion, sample, expected, reason] of cases) {
    const result = await reward(completion, sample);
    assert.equal(result.reward, expected, completion);
    assert.equal(result.details.reason, reason);
  }
  const opened = codeReward({ timeoutMs: 2000, allowUnprotected: true, reasoningOpened: true });
  assert.deepEqual(await opened(`I think:\n\`\`\`python\n${right}\`\`\`\n`, p), { reward: 0, details: { reason: 'no answer: the think block is not closed' } });
});

test('lastPythonBlock: python, python3 and py fences, not other languages or an unclosed fence', () => {
  assert.equal(lastPythonBlock('```python\na = 1\n```\n```Python3 title\nb = 2\n```'), 'b = 2\n');
  assert.equal(lastPythonBlock('```py\nc = 3\n```\n```js\nlet d = 4\n```'), 'c = 3\n');
  assert.equal(lastPythonBlock('```pyx\ne = 5\n```'), null);
  assert.equal(lastPythonBlock('```python\nf = 6\n'), null);
});

test('the reward refuses to run code on an unprotected machine unless told it may', async () => {
  const unprotected = codeReward({ isolation: 'none' });
  await assert.rejects(unprotected(answer('print(1)\n'), SUM_CASES), SandboxError);
});
