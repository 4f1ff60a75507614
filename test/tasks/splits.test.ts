// Train and held-out splits never share a problem (checked by canonical key on thousands of problems,
// with the same and with different seeds), no split repeats a problem, and tasks survive a JSONL round
// trip; reading refuses bad lines and names them.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Task } from '../../src/tasks/index.js';
import { FAMILY_NAMES, generateTasks, parseTasksJsonl, splitOfKey, taskKey, tasksToJsonl } from '../../src/tasks/index.js';

const COUNT = 3000;

test(`train and heldout never overlap (${COUNT} each per family, same and different seeds) and never repeat`, () => {
  for (const family of FAMILY_NAMES) {
    const train = generateTasks({ family, count: COUNT, seed: 0, split: 'train' });
    const trainKeys = new Set(train.map(taskKey));
    assert.equal(trainKeys.size, COUNT, `${family}: duplicates within train`);
    for (const seed of [0, 1]) {
      const heldout = generateTasks({ family, count: COUNT, seed, split: 'heldout' });
      const keys = heldout.map(taskKey);
      assert.equal(new Set(keys).size, COUNT, `${family}: duplicates within heldout`);
      const shared = keys.filter((k) => trainKeys.has(k));
      assert.deepEqual(shared, [], `${family}: train (seed 0) and heldout (seed ${seed}) share problems`);
      // The problem text too, not only the key.
      const texts = new Set(train.map((t) => t.problem));
      assert.equal(heldout.filter((t) => texts.has(t.problem)).length, 0);
      assert.ok(heldout.every((t) => t.split === 'heldout' && splitOfKey(taskKey(t)) === 'heldout'));
    }
    assert.ok(train.every((t) => t.split === 'train'));
    // The keys cover the problem: different problems never share a key.
    assert.equal(new Set(train.map((t) => t.problem)).size, COUNT);
  }
});

test('the split of a key is fixed and both sides get a fair share of keys', () => {
  const keys = Array.from({ length: 10000 }, (_, i) => `arithmetic:${i} + ${i % 7}`);
  const heldout = keys.filter((k) => splitOfKey(k) === 'heldout').length;
  assert.ok(heldout > 4700 && heldout < 5300, `heldout share ${heldout} / 10000`);
  assert.equal(splitOfKey('linear:3x + 5 = 20'), splitOfKey('linear:3x + 5 = 20'));
});

test('JSONL round trip, with and without solutions; every line has "problem" and "answer"', () => {
  const tasks: Task[] = FAMILY_NAMES.flatMap((family) => generateTasks({ family, count: 30, seed: 5, split: 'heldout' }));
  const withSolutions = tasksToJsonl(tasks, { solutions: true });
  assert.deepEqual(parseTasksJsonl(withSolutions), tasks);
  const plain = tasksToJsonl(tasks);
  const lines = plain.trimEnd().split('\n');
  assert.equal(lines.length, tasks.length);
  for (const [i, line] of lines.entries()) {
    const row = JSON.parse(line) as Record<string, unknown>;
    assert.deepEqual(Object.keys(row).slice(0, 6), ['id', 'family', 'difficulty', 'split', 'problem', 'answer']);
    assert.equal(row.problem, tasks[i]!.problem);
    assert.equal(row.answer, tasks[i]!.answer);
    assert.equal(row.solution, undefined);
  }
  const back = parseTasksJsonl(plain);
  assert.deepEqual(back, tasks.map(({ solution: _solution, ...rest }) => rest));
});

test('reading JSONL names the line and what is wrong', () => {
  const good = tasksToJsonl(generateTasks({ family: 'countdown', count: 2, seed: 1 })).trimEnd().split('\n');
  const bad = (line: string): string => [good[0], '', line].join('\n');
  assert.throws(() => parseTasksJsonl(bad('{"problem": 1'), 'f.jsonl'), /^Error: f\.jsonl:3: not JSON/);
  assert.throws(() => parseTasksJsonl(bad('[1]'), 'f.jsonl'), /f\.jsonl:3: not a JSON object/);
  const row = JSON.parse(good[1]!) as Record<string, unknown>;
  assert.throws(() => parseTasksJsonl(bad(JSON.stringify({ ...row, answer: 5 })), 'f.jsonl'), /f\.jsonl:3: needs text fields "problem" and "answer"/);
  assert.throws(() => parseTasksJsonl(bad(JSON.stringify({ ...row, family: 'sudoku' })), 'f.jsonl'), /needs "family"/);
  assert.throws(() => parseTasksJsonl(bad(JSON.stringify({ ...row, difficulty: 9 })), 'f.jsonl'), /needs "difficulty": 1, 2 or 3/);
  assert.throws(() => parseTasksJsonl(bad(JSON.stringify({ ...row, numbers: [1, 'a'] })), 'f.jsonl'), /a countdown task needs "numbers"/);
  assert.equal(parseTasksJsonl(good.join('\n')).length, 2);
});
