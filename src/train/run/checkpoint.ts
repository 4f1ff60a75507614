// Training checkpoints: runDir/checkpoints/step-<8 digits>/ is a Hugging Face model folder (config.json,
// model.safetensors, tokenizer files when given) that every r1ts command loads, plus
// optimizer.safetensors and trainer_state.json, which a resumed run needs.
//
// Writing is atomic: everything goes into a `.tmp-…` folder, each file and the folder are fsynced,
// then one rename publishes it. A process killed at any moment therefore leaves either no
// step-… folder or a complete one; leftover `.tmp-…` folders are never read and are cleaned later.
// Old checkpoints are moved aside to a `.tmp-…` name before they are deleted, for the same reason.
//
// Steps of saveCheckpoint: clean stale temp folders → write weights, tokenizer files, optimizer
// state, trainer state (with the size of every file) into the temp folder → fsync → rename →
// fsync the parent → prune down to the newest `keep`.

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CausalLM } from '../../model/index.js';
import { CheckpointError, CheckpointReader, loadWeights, saveModel } from '../../model/index.js';
import type { AdamW, SGD } from '../../nn/index.js';
import { fsyncFile, fsyncFolder, processAlive } from './fs-sync.js';
import { readOptimizerFile, writeOptimizerFile } from './optimizer-file.js';

/** Everything besides weights that a resumed run needs. */
export interface TrainState {
  /** Optimizer steps done. */
  readonly step: number;
  /** The trainer's data cursor (JSON), e.g. { epoch, order: number[], next }. */
  readonly data: unknown;
  /** Named Rng states (Rng.state()). */
  readonly rng: Readonly<Record<string, number[]>>;
  readonly extra?: Readonly<Record<string, unknown>>;
}

export interface CheckpointParts {
  readonly model: CausalLM;
  readonly optimizer: AdamW | SGD;
  readonly state: TrainState;
  /** A folder whose tokenizer files are copied in, so the checkpoint is a complete chat model. */
  readonly tokenizerDir?: string;
}

/** The moments of a save, in order; onPhase sees each (crash tests kill the process there). */
export type SavePhase = 'weights' | 'tokenizer' | 'optimizer' | 'state' | 'synced' | 'published' | 'old-moved' | 'done';

export interface SaveCheckpointOptions {
  /** Complete checkpoints kept, the newest ones. Default 2. */
  readonly keep?: number;
  /** Called after each phase of the write. */
  readonly onPhase?: (phase: SavePhase) => void;
}

export const CHECKPOINTS_FOLDER = 'checkpoints';
export const TRAINER_STATE_FILE = 'trainer_state.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
/** Copied from tokenizerDir when present (tokenizer.json is required). */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja', 'generation_config.json'];
const STATE_FORMAT = 'r1ts-trainer-state';
const STATE_VERSION = 1;
const DEFAULT_KEEP = 2;
const STEP_FOLDER = /^step-(\d{8})$/;
/** `.tmp-<what>-<pid>-<counter>`: the pid says whether its writer may still be at work. */
const TEMP_FOLDER = /^\.tmp-.*-(\d+)-\d+$/;

let tempCounter = 0;

/** The folder name of a step's checkpoint. */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

function tempName(what: string): string {
  return `.tmp-${what}-${process.pid}-${tempCounter++}`;
}

/** Complete checkpoint folders under `root`, oldest first, as [step, name]. */
function stepFolders(root: string): [number, string][] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .flatMap((name): [number, string][] => {
      const m = STEP_FOLDER.exec(name);
      return m ? [[Number(m[1]), name]] : [];
    })
    .sort((a, b) => a[0] - b[0]);
}

/** Removes temp folders left by a writer that is gone (or by this process, which is not writing now). */
function cleanTemp(root: string): void {
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) {
    const m = TEMP_FOLDER.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || !processAlive(pid)) rmSync(join(root, name), { recursive: true, force: true });
  }
}

/** Moves a folder aside under a temp name, then deletes it: no half-deleted step-… folder is ever visible. */
function removeFolder(root: string, name: string): void {
  const aside = join(root, tempName(`old-${name}`));
  renameSync(join(root, name), aside);
  rmSync(aside, { recursive: true, force: true });
}

function checkState(state: TrainState): void {
  if (!Number.isSafeInteger(state.step) || state.step < 0 || state.step > 99_999_999) {
    throw new RangeError(`saveCheckpoint: state.step must be an integer in 0 … 99999999, got ${state.step}`);
  }
  for (const [name, s] of Object.entries(state.rng)) {
    if (!Array.isArray(s) || !s.every(Number.isFinite)) throw new TypeError(`saveCheckpoint: state.rng.${name} must be a list of numbers (Rng.state()), got ${JSON.stringify(s)}`);
  }
}

/**
 * Writes runDir/checkpoints/step-<8 digits>/ atomically (see the file comment) and keeps the newest
 * `keep` complete checkpoints. Returns the folder. A checkpoint of the same step is replaced; a newer one
 * is an error (it belongs to another run: resume from it or use a fresh run folder).
 */
export function saveCheckpoint(runDir: string, parts: CheckpointParts, options: SaveCheckpointOptions = {}): string {
  const keep = options.keep ?? DEFAULT_KEEP;
  if (!Number.isSafeInteger(keep) || keep < 1) throw new RangeError(`saveCheckpoint: keep must be a whole number ≥ 1, got ${keep}`);
  const { model, optimizer, state, tokenizerDir } = parts;
  checkState(state);
  if (tokenizerDir !== undefined && !existsSync(join(tokenizerDir, 'tokenizer.json'))) {
    throw new CheckpointError(tokenizerDir, 'has no tokenizer.json; pass the folder of the tokenizer the model was trained with');
  }
  const phase = options.onPhase ?? (() => {});
  const root = join(runDir, CHECKPOINTS_FOLDER);
  const name = checkpointName(state.step);
  const newest = stepFolders(root).at(-1);
  if (newest && newest[0] > state.step) {
    throw new CheckpointError(join(root, newest[1]), `is newer than step ${state.step} being saved; resume from it, or start the run in a fresh folder`);
  }
  mkdirSync(root, { recursive: true });
  cleanTemp(root);

  const temp = join(root, tempName(name));
  mkdirSync(temp);
  saveModel(temp, model, model.config, { dtype: 'float32' });
  phase('weights');
  if (tokenizerDir !== undefined) {
    for (const f of TOKENIZER_FILES) if (existsSync(join(tokenizerDir, f)) && !existsSync(join(temp, f))) copyFileSync(join(tokenizerDir, f), join(temp, f));
  }
  phase('tokenizer');
  // Views of the live buffers: a copy of the optimizer state would double its memory while saving.
  writeOptimizerFile(join(temp, OPTIMIZER_FILE), optimizer.stateDict({ copy: false }));
  phase('optimizer');
  // The sizes of the other files let latestCheckpoint notice a folder damaged after it was published.
  const files = Object.fromEntries(readdirSync(temp).sort().map((f) => [f, statSync(join(temp, f)).size]));
  const record = { format: STATE_FORMAT, version: STATE_VERSION, step: state.step, data: state.data, rng: state.rng, extra: state.extra ?? {}, files };
  writeFileSync(join(temp, TRAINER_STATE_FILE), `${JSON.stringify(record, null, 2)}\n`);
  phase('state');
  for (const f of readdirSync(temp)) fsyncFile(join(temp, f));
  fsyncFolder(temp);
  phase('synced');

  const final = join(root, name);
  if (existsSync(final)) {
    // Same step saved again: publish first, then delete the old copy (a crash in between leaves it aside).
    const aside = join(root, tempName(`old-${name}`));
    renameSync(final, aside);
    renameSync(temp, final);
    rmSync(aside, { recursive: true, force: true });
  } else {
    renameSync(temp, final);
  }
  fsyncFolder(root);
  phase('published');
  const complete = stepFolders(root);
  for (const [, old] of complete.slice(0, Math.max(0, complete.length - keep))) {
    removeFolder(root, old);
    phase('old-moved');
  }
  phase('done');
  return final;
}

interface StateRecord extends TrainState {
  readonly files: Readonly<Record<string, number>>;
}

/** trainer_state.json of `dir`, checked; a CheckpointError saying what is wrong otherwise. */
function readStateRecord(dir: string): StateRecord {
  const path = join(dir, TRAINER_STATE_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CheckpointError(path, `cannot be read as JSON (${(e as Error).message}); this is not a complete r1ts training checkpoint`);
  }
  const r = raw as Partial<StateRecord> & { format?: unknown; version?: unknown };
  if (r?.format !== STATE_FORMAT || r.version !== STATE_VERSION) {
    throw new CheckpointError(path, `is not a trainer state of format ${STATE_FORMAT} version ${STATE_VERSION} (got ${JSON.stringify(r?.format)} version ${JSON.stringify(r?.version)})`);
  }
  if (!Number.isSafeInteger(r.step) || r.step! < 0) throw new CheckpointError(path, `"step" must be a non-negative integer, got ${JSON.stringify(r.step)}`);
  if (typeof r.rng !== 'object' || r.rng === null) throw new CheckpointError(path, '"rng" must be an object of named Rng states');
  if (typeof r.files !== 'object' || r.files === null) throw new CheckpointError(path, '"files" must map each file of the checkpoint to its size');
  return r as StateRecord;
}

/** The first problem that makes `dir` an incomplete checkpoint, or null when every listed file is whole. */
function incompleteReason(dir: string): string | null {
  let record: StateRecord;
  try {
    record = readStateRecord(dir);
  } catch (e) {
    return (e as Error).message;
  }
  for (const [f, size] of Object.entries(record.files)) {
    const path = join(dir, f);
    if (!existsSync(path)) return `${path} is missing`;
    if (statSync(path).size !== size) return `${path} has ${statSync(path).size} bytes, ${size} were written`;
  }
  return null;
}

/** The newest complete checkpoint folder, or null. Leftover temp folders are ignored (and cleaned). */
export function latestCheckpoint(runDir: string): string | null {
  const root = join(runDir, CHECKPOINTS_FOLDER);
  cleanTemp(root);
  for (const [, name] of stepFolders(root).reverse()) {
    // Published folders are complete by construction; this also skips one damaged later (a partial copy).
    if (incompleteReason(join(root, name)) === null) return join(root, name);
  }
  return null;
}

/** The trainer state of every complete checkpoint in runDir, oldest first; no weights are read. */
export function checkpointStates(runDir: string): { dir: string; state: TrainState }[] {
  const root = join(runDir, CHECKPOINTS_FOLDER);
  return stepFolders(root).flatMap(([, name]) => {
    const dir = join(root, name);
    if (incompleteReason(dir) !== null) return [];
    const { step, data, rng, extra } = readStateRecord(dir);
    return [{ dir, state: { step, data, rng, extra } }];
  });
}

/** Loads weights and optimizer state in place and returns the trainer state. */
export function loadCheckpoint(dir: string, into: { model: CausalLM; optimizer: AdamW | SGD }): TrainState {
  const problem = incompleteReason(dir);
  if (problem !== null) throw new CheckpointError(dir, `is not a complete training checkpoint: ${problem}`);
  const record = readStateRecord(dir);
  // Read and check the optimizer file before the weights change, so most mismatches change nothing.
  const optimizerState = readOptimizerFile(join(dir, OPTIMIZER_FILE));
  try {
    into.optimizer.checkStateDict(optimizerState);
  } catch (e) {
    throw new CheckpointError(join(dir, OPTIMIZER_FILE), `does not fit the optimizer to restore: ${(e as Error).message}`);
  }
  const reader = CheckpointReader.open(dir);
  try {
    loadWeights(into.model, reader);
  } finally {
    reader.close();
  }
  into.optimizer.loadStateDict(optimizerState);
  const { step, data, rng, extra } = record;
  return { step, data, rng, extra };
}
