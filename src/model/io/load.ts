// Moving a module's tensors to and from a checkpoint by their HF names. loadWeights checks every name,
// shape and dtype first and writes into the module's existing tensors only when all of them pass, so a
// mismatched checkpoint leaves the model as it was instead of half loaded.

import type { Module } from '../../nn/index.js';
import type { HalfDtype, Tensor } from '../../tensor/index.js';
import * as T from '../../tensor/index.js';
import type { ModelConfig } from '../config.js';
import type { CheckpointReader } from './checkpoint.js';
import type { CheckpointDtype } from './checkpoint-write.js';
import { writeCheckpoint } from './checkpoint-write.js';
import { CheckpointError } from './errors.js';
import { FILE_DTYPE, isWeightDtype } from './safetensors.js';
import type { DenseStorage } from './storage.js';
import { bytesOf, denseStorage } from './storage.js';

export interface LoadOptions {
  /**
   * Module names that may be absent from the checkpoint because their weights are tied to another
   * tensor, e.g. {'lm_head.weight': 'model.embed_tokens.weight'}: they are read from that name instead.
   */
  readonly tiedAliases?: Readonly<Record<string, string>>;
}

export interface LoadResult {
  /** Module tensor names filled from the checkpoint. */
  readonly loaded: number;
  /** Checkpoint tensors the module has no use for (the MTP layer, rotary tables …). */
  readonly ignored: string[];
}

/** How many missing names a message lists before it only counts the rest. */
const LIST_MISSING = 10;

/** Fills `data`, the storage of `t`, from checkpoint tensor `source`, with at most one temporary float32 copy. */
function copyInto(reader: CheckpointReader, source: string, t: Tensor, data: DenseStorage): void {
  if (data instanceof Float32Array) reader.readFloat32(source, data);
  else if (data instanceof Float64Array) data.set(reader.readFloat32(source));
  else {
    const dtype = t.dtype as HalfDtype;
    if (reader.info(source).dtype === FILE_DTYPE[dtype]) reader.readRaw(source, bytesOf(data));
    else T.kernels().floatToHalf(data, reader.readFloat32(source), dtype, t.size);
  }
}

/**
 * Copies every parameter and buffer of `module` from `reader`, in place. Throws a CheckpointError before
 * writing anything when a tensor is missing, has another shape or an undecodable dtype. A tensor the
 * module registers under two names (tied weights) is read once and may be absent under the other name.
 * (An I/O error while copying, e.g. a file truncated after it was opened, can still stop half way.)
 */
export function loadWeights(module: Module, reader: CheckpointReader, opts: LoadOptions = {}): LoadResult {
  const aliases = opts.tiedAliases ?? {};
  const named = module.namedTensors();
  const plan = new Map<Tensor, { source: string; data: DenseStorage }>();
  const used = new Set<string>();
  const missing: [string, Tensor][] = [];
  for (const [name, t] of named) {
    const alias = Object.hasOwn(aliases, name) ? aliases[name] : undefined;
    const source = reader.has(name) ? name : alias !== undefined && reader.has(alias) ? alias : undefined;
    if (source === undefined) {
      missing.push([name, t]);
      continue;
    }
    const { dtype, shape } = reader.info(source);
    if (shape.join() !== t.shape.join()) {
      throw new CheckpointError(reader.dir, `"${source}" is ${T.fmtShape(shape)} but the model's "${name}" is ${T.fmtShape(t.shape)}; the checkpoint was made for another config`);
    }
    if (!isWeightDtype(dtype)) throw new CheckpointError(reader.dir, `"${source}" is ${dtype}, which does not load into a float tensor`);
    used.add(source);
    if (!plan.has(t)) plan.set(t, { source, data: denseStorage(t, name, reader.dir) });
  }
  const absent = missing.filter(([, t]) => !plan.has(t)).map(([name]) => name);
  if (absent.length > 0) {
    const more = absent.length > LIST_MISSING ? ` and ${absent.length - LIST_MISSING} more` : '';
    throw new CheckpointError(reader.dir, `lacks ${absent.length} tensor(s) the model needs: ${absent.slice(0, LIST_MISSING).join(', ')}${more}; check that the checkpoint matches the model config`);
  }
  // Every check passed: only now are the module's tensors overwritten.
  for (const [t, { source, data }] of plan) copyInto(reader, source, t, data);
  return { loaded: named.length, ignored: reader.names().filter((n) => !used.has(n)) };
}

export interface SaveOptions {
  readonly dtype: CheckpointDtype;
  readonly maxShardBytes?: number;
  readonly generationConfig?: Readonly<Record<string, unknown>>;
}

/** Writes `module`'s parameters and buffers as a HF folder; a tensor registered under two names (tied) is saved once, under the first. */
export function saveModel(dir: string, module: Module, config: ModelConfig, opts: SaveOptions): void {
  const seen = new Set<Tensor>();
  const tensors: [string, Tensor][] = [];
  for (const [name, t] of module.namedTensors()) {
    if (seen.has(t)) continue;
    seen.add(t);
    tensors.push([name, t]);
  }
  writeCheckpoint(dir, { config, tensors, ...opts });
}
