// Writing a Hugging Face model folder as transformers' save_pretrained does: config.json, an optional
// generation_config.json, and the weights in model.safetensors, or, past maxShardBytes, in shards
// model-00001-of-0000N.safetensors listed by model.safetensors.index.json.
// Steps: plan the shards → write each shard → write the index and the JSON files → remove weight
// files of an earlier save that the new set does not have. Every file goes through a temp name and a
// rename, so a crash leaves complete files only.

import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '../../tensor/index.js';
import * as T from '../../tensor/index.js';
import type { ModelConfig } from '../config.js';
import { CONFIG_FILE, GENERATION_CONFIG_FILE, INDEX_FILE, SINGLE_FILE } from './checkpoint.js';
import { CheckpointError } from './errors.js';
import type { WriteEntry } from './safetensors.js';
import { FILE_DTYPE, itemBytes, writeSafetensors } from './safetensors.js';
import { denseStorage } from './storage.js';

/** The storage dtypes a checkpoint is written in. */
export type CheckpointDtype = keyof typeof FILE_DTYPE;

export interface WriteCheckpointOptions {
  readonly config: ModelConfig;
  /** [HF name, tensor] pairs, written in this order. */
  readonly tensors: Iterable<readonly [string, Tensor]>;
  readonly dtype: CheckpointDtype;
  /** Largest shard in bytes of tensor data; transformers' default is 5 GB. */
  readonly maxShardBytes?: number;
  /** Written as generation_config.json when given. */
  readonly generationConfig?: Readonly<Record<string, unknown>>;
}

const DEFAULT_MAX_SHARD_BYTES = 5e9;
/** The weight files a save may leave behind: the single file, shards and the index. */
const WEIGHT_FILE = /^model(-\d+-of-\d+)?\.safetensors$|^model\.safetensors\.index\.json$/;

function shardName(i: number, n: number): string {
  return `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
}

function writeTextFile(path: string, text: string): void {
  try {
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
  } catch (e) {
    throw new CheckpointError(path, `cannot be written (${(e as Error).message})`);
  }
}

/**
 * Groups tensors into shards as transformers does: in order, a new shard starts when the next tensor
 * would take the current one past the limit; a tensor larger than the limit gets a shard of its own.
 */
function planShards(tensors: readonly (readonly [string, Tensor])[], bytesPerElement: number, maxBytes: number): (readonly [string, Tensor])[][] {
  const shards: (readonly [string, Tensor])[][] = [[]];
  let size = 0;
  for (const entry of tensors) {
    const bytes = entry[1].size * bytesPerElement;
    if (size > 0 && size + bytes > maxBytes) {
      shards.push([]);
      size = 0;
    }
    shards[shards.length - 1]!.push(entry);
    size += bytes;
  }
  return shards;
}

/**
 * The entry for one tensor: its storage as is when float32 or already in the target half dtype, else a
 * float32 copy (writeSafetensors rounds float32 to the target dtype as it writes).
 */
function toEntry(dir: string, name: string, t: Tensor, dtype: CheckpointDtype): WriteEntry {
  const data = denseStorage(t, name, dir);
  const base = { name, dtype: FILE_DTYPE[dtype], shape: t.shape };
  if (data instanceof Float32Array || (data instanceof Uint16Array && t.dtype === dtype)) return { ...base, data };
  return { ...base, data: T.dense(T.toFloat32(t)) as Float32Array };
}

/** Writes a Hugging Face model folder (created if missing); see the file comment for the layout. */
export function writeCheckpoint(dir: string, opts: WriteCheckpointOptions): void {
  const maxBytes = opts.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  if (!(maxBytes > 0)) throw new CheckpointError(dir, `maxShardBytes must be a positive number of bytes, got ${maxBytes}`);
  const tensors = [...opts.tensors];
  const names = new Set(tensors.map(([n]) => n));
  if (names.size !== tensors.length) throw new CheckpointError(dir, 'the same tensor name is given twice; names must be unique');
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new CheckpointError(dir, `cannot create the folder (${(e as Error).message})`);
  }

  const bytesPerElement = itemBytes(FILE_DTYPE[opts.dtype]);
  const shards = planShards(tensors, bytesPerElement, maxBytes);
  const files = shards.length === 1 ? [SINGLE_FILE] : shards.map((_, i) => shardName(i, shards.length));
  const weightMap = new Map<string, string>();
  shards.forEach((shard, i) => {
    // tidy frees the float32 copies (of other-dtype tensors) once the shard is written.
    T.tidy(() => writeSafetensors(join(dir, files[i]!), shard.map(([name, t]) => toEntry(dir, name, t, opts.dtype)), { format: 'pt' }));
    for (const [name] of shard) weightMap.set(name, files[i]!);
  });
  if (shards.length > 1) {
    const totalSize = tensors.reduce((sum, [, t]) => sum + t.size * bytesPerElement, 0);
    const sorted = Object.fromEntries([...weightMap].sort(([a], [b]) => (a < b ? -1 : 1)));
    writeTextFile(join(dir, INDEX_FILE), `${JSON.stringify({ metadata: { total_size: totalSize }, weight_map: sorted }, null, 2)}\n`);
    files.push(INDEX_FILE);
  }
  writeTextFile(join(dir, CONFIG_FILE), `${JSON.stringify(opts.config, null, 2)}\n`);
  if (opts.generationConfig) writeTextFile(join(dir, GENERATION_CONFIG_FILE), `${JSON.stringify(opts.generationConfig, null, 2)}\n`);
  // A stale model.safetensors would shadow new shards (transformers and CheckpointReader prefer it).
  for (const f of readdirSync(dir)) if (WEIGHT_FILE.test(f) && !files.includes(f)) rmSync(join(dir, f));
}
