// The reference policy π_ref of the KL term: a frozen copy of the policy, kept only when β > 0, and
// optionally replaced by the current policy every N steps (R1 refreshed it every 400 steps). So that a
// resumed run uses the same π_ref, each refresh is saved under runDir/reference/ as a checkpoint folder
// (atomic, as training checkpoints are; its optimizer is an empty one). Every training checkpoint
// records the step of its π_ref, and the snapshots those checkpoints need are kept: a run resuming from
// any kept checkpoint finds its exact π_ref, however the refresh and checkpoint periods relate.

import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CausalLM, CheckpointError } from '../../model/index.js';
import { SGD } from '../../nn/index.js';
import * as T from '../../tensor/index.js';
import { CHECKPOINTS_FOLDER, checkpointName, checkpointStates, loadCheckpoint, saveCheckpoint } from '../run/checkpoint.js';

export const REFERENCE_FOLDER = 'reference';

/** A copy of `model` (same config, same weights) sharing no storage with it. */
export function copyModel(model: CausalLM): CausalLM {
  const copy = new CausalLM(model.config, { init: 'none' });
  copyWeights(model, copy);
  return copy;
}

/** Overwrites `into`'s weights and buffers with `from`'s (same config). */
export function copyWeights(from: CausalLM, into: CausalLM): void {
  const target = new Map(into.namedTensors());
  for (const [name, t] of from.namedTensors()) {
    const dst = target.get(name);
    if (!dst || dst.size !== t.size || dst.dtype !== t.dtype) throw new RangeError(`copyWeights: ${name} has no counterpart of the same size and dtype; both models must share one config`);
    T.dense(dst).set(T.dense(t));
  }
}

/** Saves the reference weights of step `step` (runDir/reference/checkpoints/step-…). */
export function saveReferenceSnapshot(runDir: string, ref: CausalLM, step: number): void {
  // No pruning here: which snapshots may go depends on the training checkpoints (pruneReferenceSnapshots).
  saveCheckpoint(join(runDir, REFERENCE_FOLDER), { model: ref, optimizer: new SGD([]), state: { step, data: null, rng: {} } }, { keep: Number.MAX_SAFE_INTEGER });
}

function snapshotFolders(runDir: string): { step: number; dir: string }[] {
  const folder = join(runDir, REFERENCE_FOLDER, CHECKPOINTS_FOLDER);
  if (!existsSync(folder)) return [];
  return readdirSync(folder).flatMap((name) => {
    const m = /^step-(\d{8})$/.exec(name);
    return m ? [{ step: Number(m[1]), dir: join(folder, name) }] : [];
  });
}

/**
 * After a training checkpoint: deletes the snapshots older than the oldest π_ref a kept training
 * checkpoint still needs (`referenceStep` in its state). Later snapshots stay: the running policy's
 * π_ref is one of them.
 */
export function pruneReferenceSnapshots(runDir: string): void {
  const needed = checkpointStates(runDir).map(({ state }) => Number((state.extra as { referenceStep?: unknown } | undefined)?.referenceStep ?? 0));
  if (needed.length === 0) return;
  const oldest = Math.min(...needed);
  for (const { step, dir } of snapshotFolders(runDir)) if (step < oldest) rmSync(dir, { recursive: true, force: true });
}

/**
 * Resuming at training step `step` whose π_ref was taken at `referenceStep`: deletes the snapshots after
 * `step` (work a crash lost) and loads snapshot `referenceStep` into `ref`; step 0 is the initial policy,
 * which `ref` already holds (the trainer copies it before loading a checkpoint).
 */
export function restoreReferenceSnapshot(runDir: string, ref: CausalLM, step: number, referenceStep: number): void {
  for (const s of snapshotFolders(runDir)) if (s.step > step) rmSync(s.dir, { recursive: true, force: true });
  if (referenceStep === 0) return;
  const dir = join(runDir, REFERENCE_FOLDER, CHECKPOINTS_FOLDER, checkpointName(referenceStep));
  if (!existsSync(dir)) throw new CheckpointError(dir, `the reference policy of step ${referenceStep}, which the checkpoint of step ${step} was trained against, is missing; the run cannot resume with the same KL term — start a fresh run folder`);
  loadCheckpoint(dir, { model: ref, optimizer: new SGD([]) });
}
