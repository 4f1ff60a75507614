// A small seeded GRPO run for the kill-and-resume test, run as a child process so it can be SIGKILLed:
//   node --import tsx test/train/grpo-crash-run.ts '<options JSON>'
// Steps: arm the kill → build the tiny chat model (same seed every time) → GrpoTrainer.train(), which
// resumes from the run folder's newest checkpoint → print how many file-system calls the run made.
// The trainer passes no onPhase hook to saveCheckpoint and src/ may not change for a test, so the moments
// inside a write are found from the file-system calls it makes: the node:fs functions that change files
// are wrapped, and syncBuiltinESMExports() hands the wrappers to every module that imported them. Only
// those calls change what is on disk, so killing right after one of them reaches every state a kill at
// any other moment could leave (and a kill after a partial write reaches a half-written file).
// The child prints "step N" after each step and "fs-calls N" when it finishes.

import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { LocalEngine } from '../../src/engine/index.js';
import { combineRewards } from '../../src/rewards/index.js';
import type { RewardFn } from '../../src/rewards/index.js';
import type { GrpoOptionsInput, GrpoTask } from '../../src/train/grpo/index.js';
import { GrpoTrainer, REFERENCE_FOLDER } from '../../src/train/grpo/index.js';
import { checkpointName, CHECKPOINTS_FOLDER } from '../../src/train/run/index.js';
import { tinyChatModel } from '../engine/fixture.js';

/**
 * Where a checkpoint write is killed, in the order they happen: part-way through the weights file,
 * before the optimizer file (weights done), part-way through it, before trainer_state.json (optimizer
 * done), after it (state written, nothing fsynced or published), before the publishing rename (all
 * fsynced), after it (published), after an old checkpoint was moved aside for deletion.
 */
export const SAVE_POINTS = ['mid-weights', 'weights', 'mid-optimizer', 'optimizer', 'state', 'synced', 'published', 'old-moved'] as const;
export type SavePoint = (typeof SAVE_POINTS)[number];

export type Kill =
  /** After step `step` is computed (its π_ref snapshot saved), before its metrics line. */
  | { readonly at: 'step'; readonly step: number }
  /** Right after the metrics line of step `step` is written. */
  | { readonly at: 'metrics'; readonly step: number }
  /** Inside the write of the training checkpoint (or the π_ref snapshot) of step `step`. */
  | { readonly at: 'checkpoint' | 'reference'; readonly step: number; readonly point: SavePoint }
  /** Right after the n-th file-system call that changes files (1 = the first this process makes). */
  | { readonly at: 'fs-call'; readonly n: number };

export interface CrashRunOptions {
  readonly runDir: string;
  readonly kill?: Kill;
}

const QUESTIONS = ['What is 17 + 25?', 'How many clips did Natalia sell?', 'Add 2 and 3.', 'What is 48 / 2?', 'The answer is?', 'Sum of 4 and 5?', 'What is six times seven?', 'Give a number.'];

/** β > 0 with π_ref refreshed every step, checkpoints every 2 steps: a snapshot lands between checkpoints. */
export const CRASH_RUN_OPTIONS: GrpoOptionsInput = {
  steps: 8, promptsPerStep: 2, groupSize: 4, maxTokens: 3, miniBatches: 2, sampling: { temperature: 1 },
  optimizer: { lr: 2e-2 }, loss: { beta: 0.1 }, refRefreshSteps: 1, checkpointEvery: 2, keepCheckpoints: 2, seed: 7, progress: false,
};

/** 1 when the completion starts with the target answer (near chance for this model). */
const startsWithTarget: RewardFn = (completion, sample) => ({ reward: completion.startsWith(sample.answer!) ? 1 : 0, details: {} });
/** A dense part, so that groups differ from the first step: the share of ASCII characters (a language-consistency reward). */
const asciiShare: RewardFn = (completion) => ({ reward: completion.length === 0 ? 0 : [...completion].filter((c) => c.charCodeAt(0) < 128).length / [...completion].length, details: {} });

const die = (): never => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable: SIGKILL did not stop the process');
};

/** The node:fs functions that change files: the only moments a kill can leave different things on disk. */
const CHANGING_CALLS = ['mkdirSync', 'openSync', 'writeSync', 'writeFileSync', 'copyFileSync', 'renameSync', 'rmSync', 'fsyncSync', 'closeSync'] as const;
type ChangingCall = (typeof CHANGING_CALLS)[number];

/** One file-system call as the kill rules see it, before it runs and again after. */
interface FsEvent {
  readonly when: 'before' | 'after';
  readonly name: ChangingCall;
  readonly args: readonly unknown[];
  /** What the call returned (after only): openSync's fd. */
  readonly result?: unknown;
  /** 1 for the first call the process makes. */
  readonly index: number;
}

/** Wraps the CHANGING_CALLS of node:fs; syncBuiltinESMExports() makes every module's named imports use the wrappers. */
function watchFs(see: (e: FsEvent) => void): void {
  let index = 0;
  const table = fs as unknown as Record<ChangingCall, (...a: unknown[]) => unknown>;
  for (const name of CHANGING_CALLS) {
    const real = table[name];
    table[name] = (...args: unknown[]) => {
      const e = { name, args, index: ++index };
      see({ ...e, when: 'before' });
      const result = real(...args);
      see({ ...e, when: 'after', result });
      return result;
    };
  }
  syncBuiltinESMExports();
}

/** A call seen from inside the targeted checkpoint write. */
interface SaveEvent extends FsEvent {
  /** The name of the file in the write's temp folder that the call is on, if it is on one. */
  readonly file: string | null;
  /** writeSync calls made so far on that file. */
  readonly writes: number;
  /** The rename that publishes the write. */
  readonly publishing: boolean;
  /** A rename that moves an older step-… folder aside after the write was published (pruning). */
  readonly movingAside: boolean;
}

// "mid-…": the third write to the file (length, header, one tensor) has just landed.
const SAVE_POINT_RULES: Readonly<Record<SavePoint, (e: SaveEvent) => boolean>> = {
  'mid-weights': (e) => e.when === 'after' && e.name === 'writeSync' && e.file === 'model.safetensors.tmp' && e.writes === 3,
  weights: (e) => e.when === 'before' && e.name === 'openSync' && e.file === 'optimizer.safetensors.tmp',
  'mid-optimizer': (e) => e.when === 'after' && e.name === 'writeSync' && e.file === 'optimizer.safetensors.tmp' && e.writes === 3,
  optimizer: (e) => e.when === 'before' && e.name === 'writeFileSync' && e.file === 'trainer_state.json',
  state: (e) => e.when === 'after' && e.name === 'writeFileSync' && e.file === 'trainer_state.json',
  synced: (e) => e.when === 'before' && e.publishing,
  published: (e) => e.when === 'after' && e.publishing,
  'old-moved': (e) => e.when === 'after' && e.movingAside,
};

/** Whether to die at this call, for `kill` (null: the kill is not a file-system moment). */
function killRule(runDir: string, kill: Kill): ((e: FsEvent) => boolean) | null {
  if (kill.at === 'step') return null;
  if (kill.at === 'fs-call') return (e) => e.when === 'after' && e.index === kill.n;
  const fds = new Map<number, { path: string; writes: number }>();
  const track = (e: FsEvent): { path: string; writes: number } | null => {
    if (e.name === 'openSync' && e.when === 'after') fds.set(e.result as number, { path: String(e.args[0]), writes: 0 });
    const open = e.name === 'writeSync' ? fds.get(e.args[0] as number) ?? null : null;
    if (open && e.when === 'after') open.writes++;
    return open;
  };
  if (kill.at === 'metrics') {
    const metrics = join(runDir, 'metrics.jsonl');
    return (e) => track(e)?.path === metrics && e.when === 'after' && String(e.args[1]).startsWith(`{"step":${kill.step},`);
  }
  const root = join(runDir, ...(kill.at === 'reference' ? [REFERENCE_FOLDER] : []), CHECKPOINTS_FOLDER);
  const targetTemp = `.tmp-${checkpointName(kill.step)}-`;
  const rule = SAVE_POINT_RULES[kill.point];
  let saving: string | null = null; // the targeted write's temp folder, from its mkdirSync until another write starts
  let published = false;
  return (e) => {
    const open = track(e);
    const path = open?.path ?? (typeof e.args[0] === 'string' ? e.args[0] : null);
    if (e.name === 'mkdirSync' && e.when === 'after' && path !== null && dirname(path) === root && basename(path).startsWith('.tmp-step-')) {
      saving = basename(path).startsWith(targetTemp) ? path : null;
      published = false;
    }
    const publishing = saving !== null && e.name === 'renameSync' && path === saving;
    const movingAside = published && e.name === 'renameSync' && path !== null && dirname(path) === root && basename(String(e.args[1])).startsWith('.tmp-old-step-');
    if (publishing && e.when === 'after') published = true;
    const file = saving !== null && path !== null && dirname(path) === saving ? basename(path) : null;
    return rule({ ...e, file, writes: open?.writes ?? 0, publishing, movingAside });
  };
}

export async function runGrpoCrash(opts: CrashRunOptions): Promise<void> {
  const kill = opts.kill;
  const rule = kill ? killRule(opts.runDir, kill) : null;
  let calls = 0;
  watchFs((e) => {
    calls = e.index;
    if (rule?.(e)) die();
  });
  const { model, tokenizer } = tinyChatModel();
  const engine = new LocalEngine(model, tokenizer, { maxBatch: 64 });
  const tasks: GrpoTask[] = QUESTIONS.map((q) => ({ messages: [{ role: 'user', content: q }], sample: { answer: '4' } }));
  const reward = combineRewards([{ name: 'target', fn: startsWithTarget, weight: 1 }, { name: 'ascii', fn: asciiShare, weight: 0.5 }]);
  const trainer = new GrpoTrainer({
    policy: model, tokenizer, engine, tasks, reward, runDir: opts.runDir, options: CRASH_RUN_OPTIONS,
    onStep: (step) => {
      process.stdout.write(`step ${step}\n`);
      if (kill?.at === 'step' && kill.step === step) die();
    },
  });
  try {
    await trainer.train();
  } finally {
    trainer.dispose();
    model.dispose();
  }
  process.stdout.write(`fs-calls ${calls}\n`);
}

if (process.argv[1]?.endsWith('grpo-crash-run.ts')) await runGrpoCrash(JSON.parse(process.argv[2]!) as CrashRunOptions);
