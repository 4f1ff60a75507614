// Hugging Face model folders: single-file and sharded writes laid out as transformers writes them and
// read back bit for bit, dtype conversion on write, FP8 weights dequantised on read (against the Python
// oracle and a per-element formula), and broken folders refused with a message naming the problem.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError } from '../../../src/model/index.js';
import { CheckpointReader, decodeFp8E4M3, SafetensorsFile, writeCheckpoint, writeSafetensors } from '../../../src/model/io/index.js';
import type { Tensor } from '../../../src/tensor/index.js';
import * as T from '../../../src/tensor/index.js';
import { bits32, rawSafetensors, tempDir, throwsCheckpointError, tinyConfig, writeConfig } from './helpers.js';

const ORACLE = new URL('../../oracle/write_safetensors.py', import.meta.url).pathname;

/** Opens a folder for the length of the test. */
function open(t: { after(fn: () => void): void }, dir: string): CheckpointReader {
  const r = CheckpointReader.open(dir);
  t.after(() => r.close());
  return r;
}

/** Named float32 tensors of the given lengths with distinct values (i + 1000·k). */
function tensors(sizes: Record<string, number>): [string, Tensor][] {
  return Object.entries(sizes).map(([name, n], k) => [name, T.tensor(Array.from({ length: n }, (_, i) => i + 1000 * k + 0.25), [n])]);
}

describe('writing and reading folders', () => {
  test('one model.safetensors with config.json and generation_config.json; reads back bit exact', (t) => {
    const dir = join(tempDir(t), 'new', 'model'); // created, parents included
    const ts = tensors({ 'model.embed_tokens.weight': 12, 'model.norm.weight': 3 });
    const generationConfig = { temperature: 0.6, top_p: 0.95 };
    writeCheckpoint(dir, { config: tinyConfig, tensors: ts, dtype: 'float32', generationConfig });
    assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'generation_config.json', 'model.safetensors']);
    assert.equal(readFileSync(join(dir, 'config.json'), 'utf8'), `${JSON.stringify(tinyConfig, null, 2)}\n`);
    const r = open(t, dir);
    assert.deepEqual(r.config, tinyConfig);
    assert.deepEqual(r.generationConfig, generationConfig);
    assert.deepEqual(r.names(), ['model.embed_tokens.weight', 'model.norm.weight']);
    for (const [name, x] of ts) assert.deepEqual(bits32(r.readFloat32(name)), bits32(T.dense(x) as Float32Array), name);
    const f = SafetensorsFile.open(join(dir, 'model.safetensors'));
    t.after(() => f.close());
    assert.deepEqual(f.metadata, { format: 'pt' });
  });

  test('past maxShardBytes: shards and an index as transformers writes them; a later single-file save removes them', (t) => {
    const dir = tempDir(t);
    // Float32 bytes: d 120, b 80, c 20, a 40. With a 100-byte limit: [d] alone (too big), [b, c] = 100, [a].
    const ts = tensors({ d: 30, b: 20, c: 5, a: 10 });
    writeCheckpoint(dir, { config: tinyConfig, tensors: ts, dtype: 'float32', maxShardBytes: 100 });
    const shards = ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors'];
    assert.deepEqual(readdirSync(dir).sort(), ['config.json', ...shards, 'model.safetensors.index.json']);
    const index = readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8');
    const want = { metadata: { total_size: 260 }, weight_map: { a: shards[2], b: shards[1], c: shards[1], d: shards[0] } };
    assert.equal(index, `${JSON.stringify(want, null, 2)}\n`, 'keys sorted, 2-space indent, trailing newline');
    const inShard = shards.map((s) => {
      const f = SafetensorsFile.open(join(dir, s));
      const names = f.names;
      f.close();
      return names;
    });
    assert.deepEqual(inShard, [['d'], ['b', 'c'], ['a']]);
    const r = CheckpointReader.open(dir);
    assert.deepEqual(r.names(), ['a', 'b', 'c', 'd']);
    for (const [name, x] of ts) assert.deepEqual(bits32(r.readFloat32(name)), bits32(T.dense(x) as Float32Array), name);
    r.close();

    // BF16 halves every size: d 60, b 40, c 10, a 20 → [d, b] = 100, [c, a]; total 130.
    writeCheckpoint(dir, { config: tinyConfig, tensors: ts, dtype: 'bfloat16', maxShardBytes: 100 });
    assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json']);
    assert.equal((JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8')) as { metadata: { total_size: number } }).metadata.total_size, 130);

    writeCheckpoint(dir, { config: tinyConfig, tensors: ts, dtype: 'float32' });
    assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'model.safetensors']);
  });

  test('dtype on write: half tensors of the same dtype copied bit for bit, others rounded to nearest even', (t) => {
    const dir = tempDir(t);
    const rng = new T.Rng(3);
    const halfBits = Array.from({ length: 64 }, () => rng.nextU32() & 0xffff);
    const bf = T.tensor(halfBits, [8, 8], { dtype: 'bfloat16' });
    const x = T.randn([5, 7], rng);
    writeCheckpoint(dir, { config: tinyConfig, tensors: [['bf', bf], ['x', x]], dtype: 'bfloat16' });
    let r = open(t, dir);
    assert.deepEqual([...new Uint16Array(r.readRaw('bf').buffer)], halfBits, 'NaN payloads included');
    assert.deepEqual([...new Uint16Array(r.readRaw('x').buffer)], [...(T.toHalf(x, 'bfloat16').data as Uint16Array)]);
    r.close();

    // Rows 2..5 of a bf16 tensor: a contiguous view at an offset into its storage.
    const finite = T.tensor(halfBits.map((b) => b & 0x3fff), [8, 8], { dtype: 'bfloat16' }); // |x| < 2, no Inf/NaN
    const rows = T.slice(finite, 0, 2, 6);
    writeCheckpoint(dir, { config: tinyConfig, tensors: [['rows', rows]], dtype: 'float16' });
    r = open(t, dir);
    const want = T.toHalf(T.tensor(T.toFloat32(finite).toArray().slice(16, 48), [4, 8]), 'float16');
    assert.deepEqual([...new Uint16Array(r.readRaw('rows').buffer)], [...(want.data as Uint16Array)]);
    assert.equal(r.info('rows').dtype, 'F16');

    throwsCheckpointError(() => writeCheckpoint(dir, { config: tinyConfig, tensors: [['xt', T.transpose(x, 0, 1)]], dtype: 'float32' }), dir, /tensor "xt" \[7, 5\] is a strided view; pass a contiguous tensor/);
  });
});

describe('FP8 weights', () => {
  test('dequantised on read exactly as the Python oracle computes it; the scale companion is hidden from names()', (t) => {
    const dir = tempDir(t);
    writeConfig(dir);
    const proc = spawnSync('/usr/bin/python3', [ORACLE, 'write', join(dir, 'model.safetensors')], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (proc.status !== 0) throw new Error(`write_safetensors.py failed (is Debian's python3-torch installed?): ${proc.stderr || proc.error?.message}`);
    const want = (JSON.parse(proc.stdout) as { tensors: Record<string, { bits: number[] }> }).tensors['w.weight']!.bits.map((b) => b >>> 0);
    const r = open(t, dir);
    assert.ok(r.names().includes('w.weight') && !r.names().includes('w.weight_scale_inv'));
    assert.ok(r.has('w.weight_scale_inv'));
    assert.deepEqual(r.info('w.weight'), { dtype: 'F8_E4M3', shape: [200, 300], byteLength: 60000 });
    assert.deepEqual(bits32(r.readFloat32('w.weight')), want);
  });

  /** A folder with one FP8 weight [rows, cols] and, unless scaleShape is null, its float32 scales. */
  function fp8Folder(dir: string, rows: number, cols: number, scaleShape: number[] | null, config: Record<string, unknown> = {}): { codes: Uint8Array; scale: Float32Array } {
    writeConfig(dir, config);
    const rng = new T.Rng(9);
    const codes = Uint8Array.from({ length: rows * cols }, () => rng.int(0x7f));
    const scale = Float32Array.from({ length: scaleShape ? T.numel(scaleShape) : 0 }, (_, i) => 2 ** -(i + 1));
    const header: Record<string, unknown> = { 'w.weight': { dtype: 'F8_E4M3', shape: [rows, cols], data_offsets: [0, codes.length] } };
    if (scaleShape) header['w.weight_scale_inv'] = { dtype: 'F32', shape: scaleShape, data_offsets: [codes.length, codes.length + scale.byteLength] };
    rawSafetensors(join(dir, 'model.safetensors'), header, Buffer.concat([codes, new Uint8Array(scale.buffer)]));
    return { codes, scale };
  }

  test('quantization_config.weight_block_size sets the block: [64, 100] on a [130, 250] weight', (t) => {
    const dir = tempDir(t);
    const { codes, scale } = fp8Folder(dir, 130, 250, [3, 3], { quantization_config: { quant_method: 'fp8', weight_block_size: [64, 100] } });
    const decoded = new Float32Array(codes.length);
    decodeFp8E4M3(decoded, codes);
    const want = decoded.map((v, k) => v * scale[Math.floor(Math.floor(k / 250) / 64) * 3 + Math.floor((k % 250) / 100)]!);
    assert.deepEqual(bits32(open(t, dir).readFloat32('w.weight')), bits32(want));
  });

  const broken: [string, (dir: string) => void, string, RegExp][] = [
    ['a missing _scale_inv', (d) => fp8Folder(d, 4, 4, null), 'model.safetensors', /FP8 weight "w.weight" has no "w.weight_scale_inv" block scales/],
    ['a scale grid of the wrong shape', (d) => fp8Folder(d, 200, 300, [2, 2]), 'model.safetensors', /"w.weight_scale_inv" is F32 \[2, 2\]; a \[200, 300\] weight in 128×128 blocks needs float scales \[2, 3\]/],
    ['a bad weight_block_size', (d) => fp8Folder(d, 4, 4, [1, 1], { quantization_config: { weight_block_size: [128] } }), 'config.json', /quantization_config.weight_block_size must be \[rows, cols\] of positive integers, got \[128\]/],
  ];
  for (const [what, make, file, pattern] of broken) {
    test(`refused when the folder is opened: ${what}`, (t) => {
      const dir = tempDir(t);
      make(dir);
      throwsCheckpointError(() => CheckpointReader.open(dir), join(dir, file), pattern);
    });
  }
});

describe('broken folders are refused with a message naming the problem', () => {
  /** A folder with config.json and two shards: s1 holds a, s2 holds b. */
  function shardedFolder(dir: string): void {
    writeConfig(dir);
    writeSafetensors(join(dir, 's1.safetensors'), [{ name: 'a', dtype: 'F32', shape: [1], data: new Float32Array([1]) }]);
    writeSafetensors(join(dir, 's2.safetensors'), [{ name: 'b', dtype: 'F32', shape: [1], data: new Float32Array([2]) }]);
  }
  const index = (dir: string, json: unknown): void => writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(json));

  const cases: [string, (dir: string) => void, string, RegExp][] = [
    ['no config.json', () => {}, 'config.json', /is missing; a Hugging Face model folder needs it/],
    ['config.json that is not JSON', (d) => writeFileSync(join(d, 'config.json'), '{"vocab_size": 3,'), 'config.json', /is not valid JSON/],
    ['no weights', (d) => writeConfig(d), '', /has neither model.safetensors nor model.safetensors.index.json/],
    ['generation_config.json that is not an object', (d) => {
      writeConfig(d);
      writeFileSync(join(d, 'generation_config.json'), '[]');
    }, 'generation_config.json', /must be a JSON object, got \[\]/],
    ['an index without weight_map', (d) => {
      shardedFolder(d);
      index(d, { metadata: {} });
    }, 'model.safetensors.index.json', /must have a "weight_map" object from tensor name to shard file, got undefined/],
    ['an index naming a missing shard', (d) => {
      shardedFolder(d);
      index(d, { weight_map: { a: 's1.safetensors', b: 's3.safetensors' } });
    }, 'model.safetensors.index.json', /lists shard s3.safetensors, which is not in the folder/],
    ['an index naming a tensor its shard lacks', (d) => {
      shardedFolder(d);
      index(d, { weight_map: { a: 's1.safetensors', b: 's1.safetensors' } });
    }, 'model.safetensors.index.json', /says "b" is in s1.safetensors, but that file has no such tensor/],
  ];
  for (const shard of ['../s1.safetensors', 'sub/s1.safetensors', '/tmp/s1.safetensors', '..', '']) {
    cases.push([`a shard path ${JSON.stringify(shard)} outside the folder`, (d) => {
      shardedFolder(d);
      mkdirSync(join(d, 'sub'));
      copyFileSync(join(d, 's1.safetensors'), join(d, 'sub', 's1.safetensors'));
      index(d, { weight_map: { a: shard } });
    }, 'model.safetensors.index.json', /weight_map\["a"\] must be a file name in the same folder/]);
  }
  for (const [what, make, file, pattern] of cases) {
    test(what, (t) => {
      const dir = tempDir(t);
      make(dir);
      throwsCheckpointError(() => CheckpointReader.open(dir), file ? join(dir, file) : dir, pattern);
    });
  }

  test('a folder that does not exist, and a config field with a wrong value (ConfigError names the field)', (t) => {
    const dir = tempDir(t);
    throwsCheckpointError(() => CheckpointReader.open(join(dir, 'nope')), join(dir, 'nope'), /is not a folder/);
    writeConfig(dir, { hidden_size: -4 });
    assert.throws(() => CheckpointReader.open(dir), (e: unknown) => e instanceof ConfigError && e.field === 'hidden_size' && e.message.startsWith(join(dir, 'config.json')));
  });

  test('a sharded folder reads when its index is right, and unknown names are refused', (t) => {
    const dir = tempDir(t);
    shardedFolder(dir);
    index(dir, { weight_map: { a: 's1.safetensors', b: 's2.safetensors' } });
    const r = open(t, dir);
    assert.deepEqual([...r.readFloat32('a'), ...r.readFloat32('b')], [1, 2]);
    throwsCheckpointError(() => r.readFloat32('c'), dir, /has no tensor named "c"/);
  });
});
