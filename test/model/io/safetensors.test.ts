// The safetensors container: bit-exact round trips, round-to-nearest-even on write against hand-worked
// bit patterns, both directions against an independent Python/PyTorch implementation
// (test/oracle/write_safetensors.py), and hostile files, each refused with a CheckpointError that says
// what is wrong.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { WriteEntry } from '../../../src/model/io/index.js';
import { SafetensorsFile, writeSafetensors } from '../../../src/model/io/index.js';
import * as T from '../../../src/tensor/index.js';
import { assertSameFloats, bits32, fromBits32, rawSafetensors, tempDir, throwsCheckpointError } from './helpers.js';

const ORACLE = new URL('../../oracle/write_safetensors.py', import.meta.url).pathname;

function oracle(mode: 'read' | 'write', path: string): Record<string, unknown> {
  const proc = spawnSync('/usr/bin/python3', [ORACLE, mode, path], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (proc.status !== 0) throw new Error(`write_safetensors.py failed (is Debian's python3-torch installed?): ${proc.stderr || proc.error?.message}`);
  const out = JSON.parse(proc.stdout) as Record<string, unknown>;
  assert.equal(out.version, 1, 'oracle format version');
  return out;
}

/** Writes entries, reopens the file and hands it to fn, closing it afterwards. */
function roundTrip<R>(path: string, entries: readonly WriteEntry[], fn: (f: SafetensorsFile) => R): R {
  writeSafetensors(path, entries, { note: 'r1ts test' });
  const f = SafetensorsFile.open(path);
  try {
    return fn(f);
  } finally {
    f.close();
  }
}

/** Float32 values with every special case: ±0, subnormals, ±Inf, NaNs with payloads, extremes, random bits. */
function specialFloats(): Float32Array {
  const rng = new T.Rng(11);
  const fixed = [0, 0x80000000, 0x00000001, 0x807fffff, 0x7f7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fc00001, 0xffffffff, 0x7f800001, 0x3f800000];
  return fromBits32([...fixed, ...Array.from({ length: 1000 }, () => rng.nextU32())]);
}

describe('round trips', () => {
  test('F32 is bit exact: -0, subnormals, ±Inf and NaN payloads survive; shapes, order and metadata too', (t) => {
    const dir = tempDir(t);
    const x = specialFloats();
    const entries: WriteEntry[] = [
      { name: 'x', dtype: 'F32', shape: [4, 253], data: x },
      { name: 'scalar', dtype: 'F32', shape: [], data: new Float32Array([-1.5]) },
      { name: 'empty', dtype: 'F32', shape: [0, 7], data: new Float32Array(0) },
    ];
    roundTrip(join(dir, 'a.safetensors'), entries, (f) => {
      assert.deepEqual(f.names, ['x', 'scalar', 'empty']);
      assert.deepEqual(f.metadata, { note: 'r1ts test' });
      assert.deepEqual(f.info('x'), { dtype: 'F32', shape: [4, 253], byteLength: 4048 });
      assert.deepEqual(bits32(f.readFloat32('x')), bits32(x));
      assert.deepEqual(f.readRaw('x'), new Uint8Array(x.buffer));
      assert.deepEqual([...f.readFloat32('scalar')], [-1.5]);
      assert.equal(f.readFloat32('empty').length, 0);
      // Into a caller's array that is a view at an offset: only that window is written.
      const backing = new Float32Array(x.length + 2).fill(7);
      f.readFloat32('x', backing.subarray(1, 1 + x.length));
      assert.deepEqual(bits32(backing.subarray(1, 1 + x.length)), bits32(x));
      assert.deepEqual([backing[0], backing[x.length + 1]], [7, 7]);
    });
    assert.deepEqual(readdirSync(dir), ['a.safetensors'], 'no temp file left behind');
  });

  for (const [dtype, half] of [['BF16', 'bfloat16'], ['F16', 'float16']] as const) {
    test(`${dtype}: all 65536 bit patterns are written raw and read back raw, and widen like toFloat32`, (t) => {
      const bits = Uint16Array.from({ length: 65536 }, (_, i) => i);
      roundTrip(join(tempDir(t), 'h.safetensors'), [{ name: 'h', dtype, shape: [256, 256], data: bits }], (f) => {
        assert.deepEqual(f.readRaw('h'), new Uint8Array(bits.buffer));
        const want = T.tidy(() => (T.dense(T.toFloat32(T.tensor(bits, [65536], { dtype: half }))) as Float32Array).slice());
        assertSameFloats(f.readFloat32('h'), want, dtype);
      });
    });
  }

  test('a tensor larger than the staging buffer crosses chunk boundaries on write and read', (t) => {
    const n = 3_000_001; // 6 MB as BF16, 12 MB as F32: several 4 MiB chunks, with a ragged end
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1000);
    roundTrip(join(tempDir(t), 'big.safetensors'), [{ name: 'b', dtype: 'BF16', shape: [n], data: x }, { name: 'f', dtype: 'F32', shape: [n], data: x }], (f) => {
      const want = T.tidy(() => (T.dense(T.toFloat32(T.toHalf(T.tensor(x, [n]), 'bfloat16'))) as Float32Array).slice());
      assert.deepEqual(bits32(f.readFloat32('b')), bits32(want));
      assert.deepEqual(bits32(f.readFloat32('f')), bits32(x));
    });
  });
});

test('float32 data is rounded to nearest even: BF16 and F16 edge cases worked out by hand', (t) => {
  // [float32 bits, bf16 bits]: ties go to the even neighbour, a carry out of the mantissa bumps the exponent.
  const bf16Cases: [number, number][] = [
    [0x3f808000, 0x3f80], [0x3f818000, 0x3f82], [0x3f808001, 0x3f81], [0x3f807fff, 0x3f80], [0x3f80ffff, 0x3f81],
    [0xbf808000, 0xbf80], [0x7f7fffff, 0x7f80], [0x80000000, 0x8000], [0x00000001, 0x0000], [0x007fffff, 0x0080],
    [0x7f800000, 0x7f80], [0xff800000, 0xff80],
  ];
  // [value, f16 bits]: 65520 is the tie between 65504 and 2^16 (Inf); 2^-25 ties between 0 and the smallest subnormal.
  const f16Cases: [number, number][] = [
    [65504, 0x7bff], [65519, 0x7bff], [65520, 0x7c00], [-65520, 0xfc00], [2 ** -24, 0x0001], [2 ** -25, 0x0000],
    [3 * 2 ** -25, 0x0002], [2 ** -14, 0x0400], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [1 + 2 ** -10, 0x3c01],
    [-0, 0x8000], [Infinity, 0x7c00], [1e-8, 0x0000], [0.1, 0x2e66], [1 / 3, 0x3555],
  ];
  const bf = fromBits32(bf16Cases.map(([b]) => b));
  const f16 = new Float32Array(f16Cases.map(([x]) => x));
  const entries: WriteEntry[] = [
    { name: 'bf', dtype: 'BF16', shape: [bf.length], data: bf },
    { name: 'f16', dtype: 'F16', shape: [f16.length], data: f16 },
  ];
  roundTrip(join(tempDir(t), 'r.safetensors'), entries, (f) => {
    assert.deepEqual([...new Uint16Array(f.readRaw('bf').buffer)], bf16Cases.map(([, h]) => h));
    assert.deepEqual([...new Uint16Array(f.readRaw('f16').buffer)], f16Cases.map(([, h]) => h));
  });
});

describe('against PyTorch (test/oracle/write_safetensors.py)', () => {
  test('a file built by Python decodes to the float32 values torch gives', (t) => {
    const path = join(tempDir(t), 'torch.safetensors');
    const want = oracle('write', path).tensors as Record<string, { dtype: string; shape: number[]; bits: number[] }>;
    const f = SafetensorsFile.open(path);
    t.after(() => f.close());
    assert.deepEqual(f.metadata, { generator: 'write_safetensors.py', version: '1' });
    for (const name of ['f32', 'bf16', 'f16', 'scalar', 'empty']) {
      const w = want[name]!;
      assert.deepEqual(f.info(name).shape, w.shape, name);
      assert.equal(f.info(name).dtype, w.dtype, name);
      assert.deepEqual(bits32(f.readFloat32(name)), w.bits.map((b) => b >>> 0), name);
    }
  });

  test('a file we write parses in Python: padded header, same bits, and BF16/F16 rounding identical to torch', (t) => {
    const path = join(tempDir(t), 'ours.safetensors');
    // No NaNs: torch's own NaN bit patterns vary by code path (the half-precision tests cover NaN).
    const x = specialFloats().filter((v) => !Number.isNaN(v));
    const entries: WriteEntry[] = [
      { name: 'x', dtype: 'F32', shape: [x.length], data: x },
      { name: 'x_bf16', dtype: 'BF16', shape: [x.length], data: x },
      { name: 'x_f16', dtype: 'F16', shape: [x.length], data: x },
    ];
    writeSafetensors(path, entries, { format: 'pt' });
    const got = oracle('read', path) as { header_length: number; metadata: unknown; tensors: Record<string, { shape: number[]; raw: number[]; to_bfloat16: number[]; to_float16: number[] }> };
    assert.equal(got.header_length % 8, 0, 'header padded to 8 bytes');
    assert.deepEqual(got.metadata, { format: 'pt' });
    const xs = got.tensors.x!;
    assert.deepEqual(xs.raw.map((b) => b >>> 0), bits32(x));
    assert.deepEqual(got.tensors.x_bf16!.raw, xs.to_bfloat16);
    assert.deepEqual(got.tensors.x_f16!.raw, xs.to_float16);
    assert.deepEqual(got.tensors.x_f16!.shape, [x.length]);
  });
});

describe('hostile files are refused with a CheckpointError saying what is wrong', () => {
  const f32 = (shape: number[], begin: number, end: number): unknown => ({ dtype: 'F32', shape, data_offsets: [begin, end] });
  const cases: [string, (path: string) => void, RegExp][] = [
    ['a 5-byte file', (p) => writeFileSync(p, Buffer.alloc(5)), /has 5 bytes, too few for the 8-byte header length/],
    ['a header length past the end of the file', (p) => rawSafetensors(p, {}, undefined, 1000n), /header length 1000 is more than the 2 bytes after it; the file is truncated/],
    ['a header length of 2^60', (p) => rawSafetensors(p, {}, undefined, 2n ** 60n), /header length 1152921504606846976 exceeds the 100000000-byte limit/],
    ['a header that is not JSON', (p) => rawSafetensors(p, '{"a": '), /the header is not UTF-8 JSON/],
    ['a header that is not UTF-8', (p) => writeFileSync(p, Buffer.from([2, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe])), /the header is not UTF-8 JSON/],
    ['a header that is a JSON array', (p) => rawSafetensors(p, [1, 2]), /the header must be a JSON object, got \[1,2\]/],
    ['an entry that is not an object', (p) => rawSafetensors(p, { a: 5 }), /tensor "a" must be an object \{dtype, shape, data_offsets\}, got 5/],
    ['an unknown dtype', (p) => rawSafetensors(p, { a: { dtype: 'F4X', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /tensor "a" has dtype "F4X", which r1ts does not know/],
    ['a negative dimension', (p) => rawSafetensors(p, { a: f32([-1, 2], 0, 0) }), /tensor "a" has shape \[-1,2\], not a list of non-negative integers/],
    ['a fractional dimension', (p) => rawSafetensors(p, { a: f32([1.5], 0, 0) }), /tensor "a" has shape \[1.5\]/],
    ['a missing shape', (p) => rawSafetensors(p, { a: { dtype: 'F32', data_offsets: [0, 0] } }), /tensor "a" has shape undefined/],
    ['three data offsets', (p) => rawSafetensors(p, { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }, new Uint8Array(8)), /tensor "a" has data_offsets \[0,4,8\], not \[begin, end\]/],
    ['offsets that end before they begin', (p) => rawSafetensors(p, { a: f32([0], 8, 4) }, new Uint8Array(8)), /data_offsets \[8, 4\] that end before they begin/],
    ['offsets past the data region', (p) => rawSafetensors(p, { a: f32([4], 0, 16) }, new Uint8Array(8)), /data_offsets \[0, 16\] past the end of the 8-byte data region; the file is truncated/],
    ['offsets that do not match shape × item size', (p) => rawSafetensors(p, { a: f32([2, 2], 0, 12) }, new Uint8Array(16)), /tensor "a" has 12 bytes of data but F32 \[2, 2\] needs 16/],
    ['overlapping tensors', (p) => rawSafetensors(p, { a: f32([4], 0, 16), b: f32([4], 8, 24) }, new Uint8Array(24)), /tensors "a" and "b" overlap/],
    ['non-string metadata', (p) => rawSafetensors(p, { __metadata__: { v: 1 } }), /__metadata__ must map strings to strings, got \{"v":1\}/],
  ];
  for (const [what, make, pattern] of cases) {
    test(what, (t) => {
      const path = join(tempDir(t), 'bad.safetensors');
      make(path);
      throwsCheckpointError(() => SafetensorsFile.open(path), path, pattern);
    });
  }

  test('a file cut short in its data, as by an interrupted download', (t) => {
    const path = join(tempDir(t), 'cut.safetensors');
    writeSafetensors(path, [{ name: 'w', dtype: 'F32', shape: [8], data: new Float32Array(8) }]);
    truncateSync(path, readFileSync(path).length - 4);
    throwsCheckpointError(() => SafetensorsFile.open(path), path, /tensor "w" has data_offsets \[0, 32\] past the end of the 28-byte data region; the file is truncated/);
  });

  test('a missing file', (t) => {
    const path = join(tempDir(t), 'none.safetensors');
    throwsCheckpointError(() => SafetensorsFile.open(path), path, /cannot open the file \(ENOENT/);
  });
});

describe('reading and writing misuse', () => {
  test('integer tensors are listed but not decoded as weights; unknown names and wrong destinations are refused', (t) => {
    const path = join(tempDir(t), 'mixed.safetensors');
    rawSafetensors(path, { ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] }, w: f32At(16) }, new Uint8Array(24));
    const f = SafetensorsFile.open(path);
    t.after(() => f.close());
    assert.deepEqual(f.info('ids'), { dtype: 'I64', shape: [2], byteLength: 16 });
    assert.equal(f.readRaw('ids').length, 16);
    throwsCheckpointError(() => f.readFloat32('ids'), path, /tensor "ids" is I64; only F32, F16, BF16, F8_E4M3 tensors decode as weights/);
    throwsCheckpointError(() => f.readFloat32('nope'), path, /has no tensor named "nope"/);
    throwsCheckpointError(() => f.readFloat32('w', new Float32Array(3)), path, /tensor "w" has 2 elements but the destination holds 3/);
    throwsCheckpointError(() => f.readRaw('w', new Uint8Array(3)), path, /tensor "w" has 8 bytes but the destination holds 3/);
    f.close();
    throwsCheckpointError(() => f.readRaw('w'), path, /the file was closed/);
  });

  test('bad entries are refused before anything is written, leaving an existing file intact', (t) => {
    const path = join(tempDir(t), 'keep.safetensors');
    writeSafetensors(path, [{ name: 'a', dtype: 'F32', shape: [1], data: new Float32Array([1]) }]);
    const before = readFileSync(path);
    const bad: [WriteEntry[], RegExp][] = [
      [[{ name: 'a', dtype: 'F32', shape: [3], data: new Float32Array(2) }], /cannot write tensor "a": 2 values do not fill shape \[3\]/],
      [[{ name: 'a', dtype: 'F32', shape: [1], data: new Uint16Array(1) }], /raw 16-bit data can only be written as BF16 or F16/],
      [[{ name: 'a', dtype: 'F32', shape: [-1], data: new Float32Array(0) }], /shape \[-1\] is not a list of non-negative integers/],
      [[{ name: 'a', dtype: 'F32', shape: [1], data: new Float32Array(1) }, { name: 'a', dtype: 'F32', shape: [1], data: new Float32Array(1) }], /reserved or used twice/],
    ];
    for (const [entries, pattern] of bad) throwsCheckpointError(() => writeSafetensors(path, entries), path, pattern);
    assert.deepEqual(readFileSync(path), before);
    const missing = join(tempDir(t), 'no', 'such', 'dir.safetensors');
    throwsCheckpointError(() => writeSafetensors(missing, []), missing, /cannot create .*\.tmp/);
    assert.equal(existsSync(missing), false);
  });
});

function f32At(begin: number): unknown {
  return { dtype: 'F32', shape: [2], data_offsets: [begin, begin + 8] };
}
