// The reference policy π_ref of the KL term: a frozen copy of the policy, kept only when β > 0, and
// optionally replaced by the current policy every N steps (R1 refreshed it every 400 steps). So that a
// resumed run uses the same π_ref, each refresh is saved under runDir/reference/ as a checkpoint folder
// (atomic, as training checkpoints are; its optimizer is an empty one), and a run resuming at step S
// takes the newest snapshot at or before S.

import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CausalLM } from '../../model/index.js';
import { SGD } from '../../nn/index.js';
import * as T from '../../tensor/index.js';
import { CHECKPOINTS_FOLDER, latestCheckpoint, loadCheckpoint, saveCheckpoint } from '../run/checkpoint.js';

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
  saveCheckpoint(join(runDir, REFERENCE_FOLDER), { model: ref, optimizer: new SGD([]), state: { step, data: null, rng: {} } }, { keep: 2 });
}

/**
 * Loads into `ref` the newest snapshot taken at or before `step` and deletes later ones (work a crash
 * lost). Returns the snapshot's step, or null when there is none (the reference is then the initial policy).
 */
export function restoreReferenceSnapshot(runDir: string, ref: CausalLM, step: number): number | null {
  const root = join(runDir, REFERENCE_FOLDER);
  const folder = join(root, CHECKPOINTS_FOLDER);
  if (!existsSync(folder)) return null;
  for (const name of readdirSync(folder)) {
    const m = /^step-(\d{8})$/.exec(name);
    if (m && Number(m[1]) > step) rmSync(join(folder, name), { recursive: true, force: true });
  }
  const latest = latestCheckpoint(root);
  if (latest === null) return null;
  return loadCheckpoint(latest, { model: ref, optimizer: new SGD([]) }).step;
}
