// Kill and resume the GRPO trainer (issue 6 acceptance: "kill mid-run, including mid-checkpoint-write,
// resume, and the metrics after resume equal an uninterrupted run's"). A seeded 8-step run on the tiny
// chat model (grpo-crash-run.ts: β > 0 with π_ref refreshed every step, so π_ref snapshots are written and
// restored; a checkpoint every 2 steps, 2 kept) runs uninterrupted in a child process. Then, in a fresh
// folder, it is SIGKILLed at exact moments — after a step, after a metrics line, inside π_ref snapshot
// writes and inside training checkpoint writes at every stage — and resumed each time; and, in a third
// folder, right after seeded random file-system calls. Both finished runs must log the uninterrupted
// run's metrics (wall-clock keys time, time/*, perf/* aside) and end with byte-identical checkpoint files.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as T from '../../src/tensor/index.js';
import type { CrashRunOptions, Kill } from './grpo-crash-run.js';
import { CRASH_RUN_OPTIONS } from './grpo-crash-run.js';

const tmp = mkdtempSync(join(os.tmpdir(), 'r1ts-grpo-crash-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const script = fileURLToPath(new URL('./grpo-crash-run.ts', import.meta.url));
const STEPS = CRASH_RUN_OPTIONS.steps!;

interface ChildResult {
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
}

/** Runs the GRPO child to its end or its kill; any other failure rejects with its stderr. */
function runChild(opts: CrashRunOptions): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`GRPO child failed (exit ${code}, ${signal}): ${err}`));
      else resolve({ signal, out });
    });
  });
}

let uninterrupted: Promise<{ dir: string; calls: number }> | null = null;

/** The uninterrupted run (made once): its folder and how many file-system calls that change files it made. */
function wholeRun(): Promise<{ dir: string; calls: number }> {
  uninterrupted ??= (async () => {
    const dir = join(tmp, 'whole');
    const { signal, out } = await runChild({ runDir: dir });
    assert.equal(signal, null);
    return { dir, calls: Number(/^fs-calls (\d+)$/m.exec(out)?.[1]) };
  })();
  return uninterrupted;
}

/** The metrics lines without the wall-clock keys (time, time/*, perf/*). */
function metricsOf(runDir: string): Record<string, unknown>[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trimEnd().split('\n').map((line) =>
    Object.fromEntries(Object.entries(JSON.parse(line) as Record<string, unknown>).filter(([k]) => k !== 'time' && !k.startsWith('time/') && !k.startsWith('perf/'))));
}

const stepFolder = (step: number): string => `step-${String(step).padStart(8, '0')}`;

/** Files of the last checkpoint (and π_ref snapshot) that must equal the uninterrupted run's byte for byte. */
const FINAL_FILES = [
  ['checkpoints', stepFolder(STEPS), 'model.safetensors'],
  ['checkpoints', stepFolder(STEPS), 'optimizer.safetensors'],
  ['checkpoints', stepFolder(STEPS), 'trainer_state.json'],
  ['reference', 'checkpoints', stepFolder(STEPS), 'model.safetensors'],
];

function assertSameRun(run: string, whole: string, what: string): void {
  assert.deepEqual(metricsOf(run), metricsOf(whole), `${what}: the metrics differ from the uninterrupted run's`);
  for (const parts of FINAL_FILES) {
    assert.ok(readFileSync(join(run, ...parts)).equals(readFileSync(join(whole, ...parts))), `${what}: ${parts.join('/')} differs from the uninterrupted run's`);
  }
}

/**
 * The planned kills, in the order the run reaches them (each resume starts from the newest checkpoint, so
 * every kill lies after the previous one's resume point). With a checkpoint every 2 steps and π_ref
 * refreshed every step, kills before checkpoint S is published resume from S − 2 while π_ref snapshots
 * of S − 1 and S are already on disk.
 */
const KILLS: readonly Kill[] = [
  { at: 'step', step: 1 }, // no checkpoint yet, a π_ref snapshot of step 1 already written
  { at: 'reference', step: 2, point: 'mid-weights' },
  { at: 'metrics', step: 2 },
  { at: 'checkpoint', step: 2, point: 'mid-weights' },
  { at: 'checkpoint', step: 2, point: 'weights' },
  { at: 'checkpoint', step: 2, point: 'mid-optimizer' },
  { at: 'checkpoint', step: 2, point: 'optimizer' },
  { at: 'checkpoint', step: 2, point: 'state' },
  { at: 'checkpoint', step: 2, point: 'synced' },
  { at: 'checkpoint', step: 2, point: 'published' },
  { at: 'reference', step: 3, point: 'synced' },
  { at: 'reference', step: 4, point: 'published' },
  { at: 'checkpoint', step: 4, point: 'state' },
  { at: 'step', step: 5 },
  { at: 'checkpoint', step: 6, point: 'old-moved' },
  { at: 'metrics', step: 7 },
  { at: 'checkpoint', step: 8, point: 'synced' },
  { at: 'checkpoint', step: 8, point: 'published' },
];

function describe(k: Kill): string {
  if (k.at === 'checkpoint' || k.at === 'reference') return `in the ${k.at} write of step ${k.step} at ${k.point}`;
  return k.at === 'fs-call' ? `after file-system call ${k.n}` : `at ${k.at} ${k.step}`;
}

/** Temp folders a killed write left behind (the next run cleans them). */
function tempFolders(run: string): string[] {
  return [join(run, 'checkpoints'), join(run, 'reference', 'checkpoints')].flatMap((d) => (existsSync(d) ? readdirSync(d).filter((n) => n.startsWith('.tmp-')) : []));
}

test('GRPO killed after steps and inside checkpoint and π_ref writes resumes to the uninterrupted run, byte for byte', async () => {
  const whole = (await wholeRun()).dir;
  assert.equal(metricsOf(whole).length, STEPS);

  const run = join(tmp, 'killed');
  for (const kill of KILLS) {
    const { signal } = await runChild({ runDir: run, kill });
    // A kill that never fired would make this test pass without testing anything.
    assert.equal(signal, 'SIGKILL', `the child was not killed ${describe(kill)}`);
    if (kill.at === 'checkpoint' || kill.at === 'reference') {
      // The kill landed in the stage it names: the write is published from 'published' on, not before.
      const names = readdirSync(join(run, ...(kill.at === 'reference' ? ['reference'] : []), 'checkpoints'));
      const published = names.includes(stepFolder(kill.step));
      assert.equal(published, ['published', 'old-moved'].includes(kill.point), `killed ${describe(kill)}: the folder holds ${names.join(', ')}`);
    }
  }
  assert.equal((await runChild({ runDir: run })).signal, null);
  assertSameRun(run, whole, 'after the planned kills');
});

test('GRPO killed right after seeded random file-system calls resumes to the uninterrupted run, byte for byte', async () => {
  const { dir: whole, calls } = await wholeRun();
  assert.ok(calls > 100, `the uninterrupted run made ${calls} file-system calls that change files`);

  const run = join(tmp, 'random');
  const rng = new T.Rng(6);
  const killedAt: number[] = [];
  let inWrites = 0;
  for (let i = 0; i < 12; i++) {
    // Each resumed child counts from 1 again and has less left to do: draws from the first third of the
    // whole run's calls (about one checkpoint interval and a half) keep the kills coming until the end.
    const n = 1 + rng.int(Math.ceil(calls / 3));
    if ((await runChild({ runDir: run, kill: { at: 'fs-call', n } })).signal === null) break;
    killedAt.push(n);
    if (tempFolders(run).length > 0) inWrites++;
  }
  assert.ok(killedAt.length >= 5, `only ${killedAt.length} kills happened before the run finished`);
  console.log(`killed after file-system calls ${killedAt.join(', ')} of ${calls}; ${inWrites} inside a checkpoint or π_ref write`);
  // Finishes the run, or (when the last child did) resumes a finished run, which must change nothing.
  assert.equal((await runChild({ runDir: run })).signal, null);
  assertSameRun(run, whole, 'after random kills');
});
