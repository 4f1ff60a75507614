// `r1ts tasks` as a user runs it: JSONL on stdout or in a file, the flags taking effect, the same
// output for the same seed, and bad flags refused with a message and exit status 2.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseTasksJsonl } from '../../src/tasks/index.js';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function tasks(args: string[]): { code: number; out: string; err: string } {
  const p = spawnSync(process.execPath, ['--import', 'tsx', main, 'tasks', ...args], { encoding: 'utf8' });
  return { code: p.status ?? -1, out: p.stdout, err: p.stderr };
}

test('writes valid JSONL to stdout; the flags take effect; the same seed gives the same output', () => {
  const r = tasks(['linear', '--count', '25', '--seed', '3', '--difficulty', '2', '--split', 'heldout']);
  assert.equal(r.code, 0, r.err);
  const rows = parseTasksJsonl(r.out);
  assert.equal(rows.length, 25);
  assert.ok(rows.every((t) => t.family === 'linear' && t.difficulty === 2 && t.split === 'heldout' && t.solution === undefined));
  assert.equal(tasks(['linear', '--count', '25', '--seed', '3', '--difficulty', '2', '--split', 'heldout']).out, r.out);
  assert.notEqual(tasks(['linear', '--count', '25', '--seed', '4', '--difficulty', '2', '--split', 'heldout']).out, r.out);
});

test('all families to a file, with solutions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ts-tasks-'));
  try {
    const file = join(dir, 'tasks.jsonl');
    const r = tasks(['all', '--count', '10', '--out', file, '--solutions']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '');
    assert.match(r.err, /wrote 30 problems \(arithmetic, countdown, linear; train split, seed 0, difficulty mixed\)/);
    const rows = parseTasksJsonl(readFileSync(file, 'utf8'));
    assert.deepEqual(rows.map((t) => t.family), [...Array(10).fill('arithmetic'), ...Array(10).fill('countdown'), ...Array(10).fill('linear')]);
    assert.ok(rows.every((t) => typeof t.solution === 'string' && t.solution.includes(`\\boxed{`)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--help prints the usage; bad flags are refused with a message and exit status 2', () => {
  const help = tasks(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /^Usage: r1ts tasks <family\|all>/m);
  assert.match(help.out, /countdown +reach a target/);
  const bad: [string[], RegExp][] = [
    [['sudoku'], /unknown task family "sudoku": use arithmetic, countdown, linear or all/],
    [[], /tasks takes one family/],
    [['linear', 'countdown'], /tasks takes one family/],
    [['linear', '--difficulty', '4'], /--difficulty must be 1, 2, 3 or mixed, got "4"/],
    [['linear', '--split', 'test'], /--split must be train or heldout, got "test"/],
    [['linear', '--count', 'ten'], /--count must be a non-negative integer, got "ten"/],
    [['linear', '--seed', '-1'], /--seed/],
    [['linear', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['countdown', '--count', '5000', '--difficulty', '1'], /found only \d+ distinct countdown problems .*ask for fewer/],
    [['linear', '--out', '/nonexistent-dir/x.jsonl'], /cannot write \/nonexistent-dir\/x\.jsonl/],
  ];
  for (const [args, why] of bad) {
    const r = tasks(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, /^r1ts: /);
    assert.match(r.err, why, args.join(' '));
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  }
});
