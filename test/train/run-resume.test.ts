// Deterministic resume, the acceptance criterion of issue 6: a toy run on tiny-moe (shuffled data
// order and random crops from seeded Rngs, AdamW, clipping, a cosine schedule, router-bias updates,
// a checkpoint every 3 steps) is killed in a child process — after a step, and inside checkpoint
// writes at several phases — and resumed each time; its metrics JSONL (without wall-clock `time`),
// its checkpoint folders and the final checkpoint's files must equal an uninterrupted run's, byte
// for byte.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ToyOptions } from './run-toy-loop.js';

const tmp = mkdtempSync(join(os.tmpdir(), 'r1ts-run-resume-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const script = fileURLToPath(new URL('./run-toy-loop.ts', import.meta.url));

/** Runs the toy loop in a child; returns the signal that ended it (null: it finished) and its step log. */
export function runChild(opts: ToyOptions): { signal: NodeJS.Signals | null; out: string } {
  const p = spawnSync(process.execPath, ['--import', 'tsx', script, JSON.stringify(opts)], { encoding: 'utf8', timeout: 120_000 });
  if (p.status !== 0 && p.signal === null) throw new Error(`toy run failed (exit ${p.status}): ${p.stderr}`);
  if (p.signal !== null && p.signal !== 'SIGKILL') throw new Error(`toy run ended by ${p.signal}: ${p.stderr}`);
  return { signal: p.signal, out: p.stdout };
}

/** The metrics lines without the wall-clock time. */
function metricsOf(runDir: string): Record<string, unknown>[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trimEnd().split('\n').map((l) => {
    const { time: _time, ...rest } = JSON.parse(l) as Record<string, unknown>;
    return rest;
  });
}

function checkpointFiles(runDir: string, step: string): Record<string, Buffer> {
  const dir = join(runDir, 'checkpoints', step);
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f))]));
}

test('a run killed mid-run and mid-checkpoint-write resumes to exactly the uninterrupted result', () => {
  const base = { totalSteps: 12, checkpointEvery: 3 };
  const whole = join(tmp, 'whole');
  assert.equal(runChild({ ...base, runDir: whole }).signal, null);

  const broken = join(tmp, 'broken');
  const kills: Partial<ToyOptions>[] = [
    { killInSave: { step: 3, phase: 'published' } }, // step 3 published, nothing after it done
    { killAfterStep: 7 }, // last checkpoint 6; the metrics line of step 7 was written and must go
    { killInSave: { step: 9, phase: 'optimizer' } }, // temp folder half written
    { killInSave: { step: 9, phase: 'synced' } }, // temp folder complete, not yet published
    { killInSave: { step: 9, phase: 'old-moved' } }, // step 9 published, step 3 moved aside, not deleted
    { killInSave: { step: 12, phase: 'weights' } }, // the final checkpoint's weights written, nothing else
  ];
  const firstSteps: string[] = [];
  for (const k of kills) {
    const { signal, out } = runChild({ ...base, runDir: broken, ...k });
    assert.equal(signal, 'SIGKILL', `the child was to be killed at ${JSON.stringify(k)}`);
    firstSteps.push(out.split('\n')[0]!);
  }
  const { signal, out } = runChild({ ...base, runDir: broken });
  assert.equal(signal, null);
  firstSteps.push(out.split('\n')[0]!);
  // Each run started right after the last checkpoint that the one before it published.
  assert.deepEqual(firstSteps, ['step 1', 'step 4', 'step 7', 'step 7', 'step 7', 'step 10', 'step 10']);

  const want = metricsOf(whole);
  assert.equal(want.length, 12);
  assert.deepEqual(metricsOf(broken), want);
  assert.deepEqual(readdirSync(join(broken, 'checkpoints')), readdirSync(join(whole, 'checkpoints')));
  const got = checkpointFiles(broken, 'step-00000012');
  const expected = checkpointFiles(whole, 'step-00000012');
  assert.deepEqual(Object.keys(got), Object.keys(expected));
  for (const f of Object.keys(expected)) assert.ok(got[f]!.equals(expected[f]!), `${f} differs from the uninterrupted run's`);
});
