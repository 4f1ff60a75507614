// Reading a Hugging Face model folder (DESIGN.md "Checkpoint = a Hugging Face folder"): config.json,
// an optional generation_config.json, and the weights in one model.safetensors or in shards listed by
// model.safetensors.index.json. FP8 weights (DeepSeek-V3/R1) are dequantised with their
// `<name>_scale_inv` block scales as they are read, so callers only ever see float values.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fmtShape } from '../../tensor/index.js';
import type { ModelConfig } from '../config.js';
import { parseConfig } from '../config.js';
import { isObject } from '../validate.js';
import { CheckpointError, show } from './errors.js';
import { dequantizeBlocks, FP8_BLOCK, scaleGridShape } from './fp8.js';
import type { TensorInfo } from './safetensors.js';
import { SafetensorsFile } from './safetensors.js';

export const CONFIG_FILE = 'config.json';
export const GENERATION_CONFIG_FILE = 'generation_config.json';
export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';
const SCALE_SUFFIX = '_scale_inv';

/** Parsed JSON of a file, or a CheckpointError saying the file is missing or not JSON. */
function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new CheckpointError(path, missing ? 'is missing; a Hugging Face model folder needs it' : `cannot be read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(path, `is not valid JSON (${(e as Error).message})`);
  }
}

/** quantization_config.weight_block_size from config.json (parseConfig drops it), default 128×128. */
function weightBlock(rawConfig: unknown, path: string): [number, number] {
  const q = (rawConfig as Record<string, unknown>).quantization_config;
  const size = isObject(q) ? q.weight_block_size : undefined;
  if (size === undefined) return [FP8_BLOCK, FP8_BLOCK];
  if (!Array.isArray(size) || size.length !== 2 || !size.every((x) => Number.isSafeInteger(x) && x > 0)) {
    throw new CheckpointError(path, `quantization_config.weight_block_size must be [rows, cols] of positive integers, got ${show(size)}`);
  }
  return [size[0] as number, size[1] as number];
}

/** A shard name must be a file right in the folder: no directories, no `..`, no absolute path. */
function isPlainFileName(s: string): boolean {
  return s !== '' && s !== '.' && s !== '..' && basename(s) === s && !s.includes('\\') && !s.includes('\0');
}

/** Opens the weight files (appending each to `opened`, for cleanup on error); returns tensor name → file. */
function openWeights(dir: string, opened: SafetensorsFile[]): Map<string, SafetensorsFile> {
  // transformers loads model.safetensors when a folder has both; do the same.
  if (existsSync(join(dir, SINGLE_FILE))) {
    const f = SafetensorsFile.open(join(dir, SINGLE_FILE));
    opened.push(f);
    return new Map(f.names.map((n) => [n, f]));
  }
  const indexPath = join(dir, INDEX_FILE);
  if (!existsSync(indexPath)) throw new CheckpointError(dir, `has neither ${SINGLE_FILE} nor ${INDEX_FILE}; the weights are missing`);
  const index = readJson(indexPath);
  const weightMap = isObject(index) ? index.weight_map : undefined;
  if (!isObject(weightMap)) throw new CheckpointError(indexPath, `must have a "weight_map" object from tensor name to shard file, got ${show(weightMap)}`);
  const shards = new Map<string, SafetensorsFile>();
  const where = new Map<string, SafetensorsFile>();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || !isPlainFileName(shard)) {
      throw new CheckpointError(indexPath, `weight_map["${name}"] must be a file name in the same folder, got ${show(shard)}`);
    }
    let f = shards.get(shard);
    if (!f) {
      if (!existsSync(join(dir, shard))) throw new CheckpointError(indexPath, `lists shard ${shard}, which is not in the folder; download it again`);
      f = SafetensorsFile.open(join(dir, shard));
      opened.push(f);
      shards.set(shard, f);
    }
    if (!f.has(name)) throw new CheckpointError(indexPath, `says "${name}" is in ${shard}, but that file has no such tensor; the index does not match the shards`);
    where.set(name, f);
  }
  return where;
}

/**
 * Checks every F8_E4M3 weight is a matrix with a float `<name>_scale_inv` grid of the right shape, so
 * that reading one cannot fail later; returns the scale names.
 */
function checkFp8(where: ReadonlyMap<string, SafetensorsFile>, block: [number, number]): Set<string> {
  const scales = new Set<string>();
  for (const [name, f] of where) {
    const { dtype, shape } = f.info(name);
    if (dtype !== 'F8_E4M3') continue;
    const scaleName = name + SCALE_SUFFIX;
    const scaleFile = where.get(scaleName);
    if (shape.length !== 2) throw new CheckpointError(f.path, `FP8 weight "${name}" is ${fmtShape(shape)}; block scales need a matrix`);
    if (!scaleFile) throw new CheckpointError(f.path, `FP8 weight "${name}" has no "${scaleName}" block scales in the checkpoint; it cannot be dequantised without them`);
    const scale = scaleFile.info(scaleName);
    const want = scaleGridShape(shape as [number, number], block);
    if (!['F32', 'BF16', 'F16'].includes(scale.dtype) || scale.shape.join() !== want.join()) {
      throw new CheckpointError(scaleFile.path, `"${scaleName}" is ${scale.dtype} ${fmtShape(scale.shape)}; a ${fmtShape(shape)} weight in ${block.join('×')} blocks needs float scales ${fmtShape(want)}`);
    }
    scales.add(scaleName);
  }
  return scales;
}

/** An open model folder. Every method throws CheckpointError (or ConfigError for config.json fields). */
export class CheckpointReader {
  private constructor(
    readonly dir: string,
    readonly config: ModelConfig,
    /** generation_config.json as is, or null when the folder has none. */
    readonly generationConfig: Readonly<Record<string, unknown>> | null,
    private readonly where: ReadonlyMap<string, SafetensorsFile>,
    private readonly scales: ReadonlySet<string>,
    private readonly block: [number, number],
  ) {}

  /** Reads config.json and the headers of every weight file, checking them all; no tensor data is read. */
  static open(dir: string): CheckpointReader {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CheckpointError(dir, 'is not a folder; pass the model folder holding config.json');
    const configPath = join(dir, CONFIG_FILE);
    const rawConfig = readJson(configPath);
    const config = parseConfig(rawConfig, configPath);
    const block = weightBlock(rawConfig, configPath);
    const generationPath = join(dir, GENERATION_CONFIG_FILE);
    const generationConfig = existsSync(generationPath) ? readJson(generationPath) : null;
    if (generationConfig !== null && !isObject(generationConfig)) throw new CheckpointError(generationPath, `must be a JSON object, got ${show(generationConfig)}`);
    const opened: SafetensorsFile[] = [];
    try {
      const where = openWeights(dir, opened);
      return new CheckpointReader(dir, config, generationConfig, where, checkFp8(where, block), block);
    } catch (e) {
      for (const f of opened) f.close();
      throw e;
    }
  }

  /** Every tensor name, without the FP8 `_scale_inv` companions (readFloat32 applies them). */
  names(): string[] {
    return [...this.where.keys()].filter((n) => !this.scales.has(n));
  }

  has(name: string): boolean {
    return this.where.has(name);
  }

  /** The tensor as stored: an FP8 weight reports F8_E4M3 though readFloat32 returns it dequantised. */
  info(name: string): TensorInfo {
    return this.file(name).info(name);
  }

  readRaw(name: string, into?: Uint8Array): Uint8Array {
    return this.file(name).readRaw(name, into);
  }

  /** The tensor as float32, into `into` when given; an FP8 weight comes back times its block scales. */
  readFloat32(name: string, into?: Float32Array): Float32Array {
    const f = this.file(name);
    const out = f.readFloat32(name, into);
    const { dtype, shape } = f.info(name);
    if (dtype === 'F8_E4M3') {
      const scaleName = name + SCALE_SUFFIX;
      dequantizeBlocks(out, shape as [number, number], this.file(scaleName).readFloat32(scaleName), this.block);
    }
    return out;
  }

  close(): void {
    for (const f of new Set(this.where.values())) f.close();
  }

  private file(name: string): SafetensorsFile {
    const f = this.where.get(name);
    if (!f) throw new CheckpointError(this.dir, `has no tensor named "${name}"`);
    return f;
  }
}
