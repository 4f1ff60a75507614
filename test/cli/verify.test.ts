// `r1ts verify` as a user runs it: one pair, a JSONL audit with a bad line and mapped fields, the exit
// statuses (0 all equal, 1 some not, 2 bad usage) and errors without stack traces.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function r1ts(args: string[]): { code: number; out: string; err: string } {
  const p = spawnSync(process.execPath, ['--import', 'tsx', main, 'verify', ...args], { encoding: 'utf8' });
  return { code: p.status ?? -1, out: p.stdout, err: p.stderr };
}

test('one pair: the verdict, why, and both normalised forms', () => {
  const yes = r1ts(['\\frac{1}{2}', '$0.5$']);
  assert.equal(yes.code, 0);
  assert.match(yes.out, /^EQUAL \(numeric\)/);
  assert.match(yes.out, /gold: +\\frac\{1\}\{2\}\n/);
  assert.match(yes.out, /prediction: +0\.5\n/);
  const no = r1ts(['\\frac{1}{2}', '2', '--json']);
  assert.equal(no.code, 1);
  const v = JSON.parse(no.out) as { equal: boolean; method: string; gold: string; pred: string };
  assert.deepEqual([v.equal, v.method, v.gold, v.pred], [false, 'numeric', '\\frac{1}{2}', '2']);
});

test('negative answers are answers, not options, and keep their order', () => {
  const r = r1ts(['-5', '--json', '-\\frac{10}{2}']);
  assert.equal(r.code, 0);
  assert.deepEqual((({ gold, pred }) => [gold, pred])(JSON.parse(r.out) as { gold: string; pred: string }), ['-5', '-\\frac{10}{2}']);
  const swapped = r1ts(['-5', '5', '--json']);
  assert.equal(swapped.code, 1);
  assert.equal((JSON.parse(swapped.out) as { gold: string }).gold, '-5');
});

test('--extract judges the answer after </think>, not the numbers in the reasoning', () => {
  const found = r1ts(['--extract', '--json', '42', '<think>maybe 41</think>\nSo the answer is $\\boxed{42}$.']);
  assert.equal(found.code, 0);
  assert.equal((JSON.parse(found.out) as { source: string }).source, 'boxed');
  const unclosed = r1ts(['--extract', '--json', '42', '<think>it is \\boxed{42}']);
  assert.equal(unclosed.code, 1);
  assert.equal((JSON.parse(unclosed.out) as { method: string }).method, 'no-answer');
});

test('--jsonl: a verdict per line, skipped lines named, mapped fields, and a summary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ts-verify-'));
  try {
    const file = join(dir, 'pairs.jsonl');
    writeFileSync(file, [
      JSON.stringify({ answer: '3', output: '3.0' }),
      JSON.stringify({ answer: '\\{1, 2\\}', output: '\\{2, 1\\}' }),
      'not json',
      JSON.stringify({ answer: 7, output: 'seven' }),
      '',
      JSON.stringify({ answer: 'x+1', other: 'x+1' }),
    ].join('\n'));
    const text = r1ts(['--jsonl', file, '--gold-field', 'answer', '--pred-field', 'output']);
    assert.equal(text.code, 1);
    const lines = text.out.split('\n');
    assert.match(lines[0]!, /^line 1: EQUAL/);
    assert.match(lines[1]!, /^line 2: EQUAL \(set\)/);
    assert.match(lines[2]!, /^line 3: skipped, not a JSON object/);
    assert.match(lines[3]!, /^line 4: NOT EQUAL/);
    assert.match(lines[4]!, /^line 6: skipped, no text field 'output'/);
    assert.match(text.out, /3 pairs: 2 equal \(66\.7%\), 1 not equal; 2 lines skipped/);

    const json = r1ts(['--jsonl', file, '--gold-field', 'answer', '--pred-field', 'output', '--json']);
    const rows = json.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(rows.slice(0, 5).map((r) => r.line), [1, 2, 3, 4, 6]);
    const summary = rows.at(-1)!.summary as { pairs: number; equal: number; badLines: number };
    assert.deepEqual([summary.pairs, summary.equal, summary.badLines], [3, 2, 2]);

    const allEqual = join(dir, 'equal.jsonl');
    writeFileSync(allEqual, `${JSON.stringify({ gold: '50\\%', pred: '0.5' })}\n`);
    assert.equal(r1ts(['--jsonl', allEqual]).code, 0);
    assert.equal(r1ts(['--jsonl', allEqual, '--percent', 'number']).code, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad usage exits 2 with a message, never a stack trace', () => {
  for (const args of [['1'], ['--jsonl', '/no/such/file.jsonl'], ['1', '2', '--percent', 'half'], ['--jsonl', 'x', '1']]) {
    const r = r1ts(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, /^r1ts: /);
    assert.doesNotMatch(r.err, /\n +at /);
  }
});
