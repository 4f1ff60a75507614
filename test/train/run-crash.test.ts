// Crash safety of checkpoint writes: the toy run (tiny-moe, a checkpoint after every step, keep 2) is
// SIGKILLed in a child process, first right after each phase of saveCheckpoint, then after seeded
// random delays (many of which land inside a write), resuming each time. After every kill the newest
// checkpoint that latestCheckpoint returns must load, its parts must belong to the same step, no temp
// folder may be left once it has looked, and at most keep + 1 checkpoints exist. Finally the run is
// finished and must equal an uninterrupted run exactly.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { basename, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CausalLM, getPreset } from '../../src/model/index.js';
import { AdamW } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';
import type { SavePhase } from '../../src/train/run/index.js';
import { checkpointName, latestCheckpoint, loadCheckpoint } from '../../src/train/run/index.js';
import type { ToyOptions } from './run-toy-loop.js';

const tmp = mkdtempSync(join(os.tmpdir(), 'r1ts-run-crash-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const script = fileURLToPath(new URL('./run-toy-loop.ts', import.meta.url));
const KEEP = 2;
const base = { totalSteps: 60, checkpointEvery: 1, keep: KEEP };

interface ChildResult {
  signal: NodeJS.Signals | null;
  out: string;
}

/** Runs the toy loop; with `killAfterMs`, SIGKILLs it that long after it reports its first step. */
function runChild(opts: ToyOptions, killAfterMs?: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (killAfterMs !== undefined && timer === undefined) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 && signal !== 'SIGKILL') reject(new Error(`toy run failed (exit ${code}, ${signal}): ${err}`));
      else resolve({ signal, out });
    });
  });
}

/** Where the child was when it died: inside a checkpoint write (a "save N" without its "saved N") or not. */
function diedInSave(out: string): boolean {
  const lines = out.trimEnd().split('\n');
  return lines.at(-1)?.startsWith('save ') ?? false;
}

function metricsOf(runDir: string): Record<string, unknown>[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trimEnd().split('\n').map((l) => {
    const { time: _time, ...rest } = JSON.parse(l) as Record<string, unknown>;
    return rest;
  });
}

test('checkpoints survive SIGKILL at every phase of a write and at random moments', async () => {
  const whole = join(tmp, 'whole');
  assert.equal((await runChild({ ...base, runDir: whole })).signal, null);

  const run = join(tmp, 'killed');
  const model = new CausalLM(getPreset('tiny-moe'), { init: 'none' });
  const optimizer = new AdamW(model.parameters());
  let published = false;
  let killsInSave = 0;

  /** The invariants that must hold whenever no writer is alive. */
  const check = (when: string): void => {
    const latest = latestCheckpoint(run);
    const root = join(run, 'checkpoints');
    const entries = readdirSync(root);
    assert.deepEqual(entries.filter((e) => e.startsWith('.tmp-')), [], `${when}: temp folders left after latestCheckpoint`);
    assert.ok(entries.length <= KEEP + 1, `${when}: ${entries.length} checkpoints kept (${entries.join(', ')})`);
    if (!published) return;
    assert.ok(latest !== null, `${when}: a checkpoint was published before, latestCheckpoint found none`);
    const state = loadCheckpoint(latest, { model, optimizer });
    assert.equal(basename(latest), checkpointName(state.step), `${when}: the trainer state is of another step than its folder`);
    // Every dense parameter gets a gradient each step, so the largest step count is the run's step.
    assert.equal(Math.max(...optimizer.stateDict().steps), state.step, `${when}: the optimizer state is of another step`);
  };

  try {
    const phases: SavePhase[] = ['weights', 'tokenizer', 'optimizer', 'state', 'synced', 'published', 'old-moved', 'done'];
    for (const phase of phases) {
      const at = latestCheckpoint(run);
      const step = (at ? Number(basename(at).slice(5)) : 0) + 2;
      const { signal, out } = await runChild({ ...base, runDir: run, killInSave: { step, phase } });
      assert.equal(signal, 'SIGKILL', `kill in save ${step} after ${phase}`);
      published ||= out.includes('saved ') || !['weights', 'tokenizer', 'optimizer', 'state', 'synced'].includes(phase);
      check(`killed in save ${step} after ${phase}`);
    }

    const rng = new T.Rng(2024);
    let kills = 0;
    for (let i = 0; i < 14; i++) {
      const delay = rng.int(150);
      const { signal, out } = await runChild({ ...base, runDir: run }, delay);
      if (signal === null) break; // the run finished before the kill
      kills++;
      if (diedInSave(out)) killsInSave++;
      published ||= out.includes('saved ');
      check(`random kill ${i} after ${delay} ms`);
    }
    assert.ok(kills >= 8, `only ${kills} random kills happened before the run finished`);
    console.log(`${kills} random kills, ${killsInSave} of them inside a checkpoint write`);

    const last = await runChild({ ...base, runDir: run });
    assert.equal(last.signal, null);
    assert.deepEqual(metricsOf(run), metricsOf(whole));
    const final = checkpointName(base.totalSteps);
    for (const f of ['model.safetensors', 'optimizer.safetensors', 'trainer_state.json']) {
      assert.ok(readFileSync(join(run, 'checkpoints', final, f)).equals(readFileSync(join(whole, 'checkpoints', final, f))), `${f} differs from the uninterrupted run's`);
    }
  } finally {
    model.dispose();
  }
});
