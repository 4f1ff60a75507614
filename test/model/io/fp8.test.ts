// FP8 e4m3fn: every code against the format's definition built from float32 bit fields, known
// anchors, and block dequantisation of a weight whose sides are not multiples of 128 against a direct
// per-element computation.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeFp8E4M3, dequantizeBlocks, FP8_E4M3_VALUES, scaleGridShape } from '../../../src/model/io/index.js';
import * as T from '../../../src/tensor/index.js';

const u32 = new Uint32Array(1);
const f32 = new Float32Array(u32.buffer);

/** e4m3fn by construction: a normal code is a float32 with exponent e-7 and the 3 mantissa bits on top; a subnormal is m·2^-9. */
function reference(code: number): number {
  const s = code >> 7;
  const e = (code >> 3) & 0xf;
  const m = code & 0x7;
  if (e === 0xf && m === 0x7) return NaN;
  if (e === 0) return ((s ? -1 : 1) * m) / 512;
  u32[0] = ((s << 31) | ((e - 7 + 127) << 23) | (m << 20)) >>> 0;
  return f32[0]!;
}

test('all 256 e4m3fn codes decode to the format definition', () => {
  const out = new Float32Array(256);
  decodeFp8E4M3(out, Uint8Array.from({ length: 256 }, (_, i) => i));
  for (let code = 0; code < 256; code++) {
    assert.ok(Object.is(out[code], reference(code)), `code 0x${code.toString(16)}: ${out[code]} vs ${reference(code)}`);
    assert.ok(Object.is(FP8_E4M3_VALUES[code], out[code]));
  }
});

test('e4m3fn anchors: ±448 max, 2^-6 smallest normal, 2^-9 smallest subnormal, 1.0, -0, two NaNs', () => {
  const v = (code: number): number => FP8_E4M3_VALUES[code]!;
  assert.equal(v(0x7e), 448);
  assert.equal(v(0xfe), -448);
  assert.equal(v(0x08), 2 ** -6);
  assert.equal(v(0x07), 7 * 2 ** -9);
  assert.equal(v(0x01), 2 ** -9);
  assert.equal(v(0x38), 1);
  assert.equal(v(0x40), 2);
  assert.equal(v(0x39), 1.125);
  assert.ok(Object.is(v(0x80), -0));
  assert.deepEqual([...FP8_E4M3_VALUES.keys()].filter((c) => Number.isNaN(v(c))), [0x7f, 0xff]);
  assert.equal(Math.max(...FP8_E4M3_VALUES.filter((x) => !Number.isNaN(x))), 448);
});

test('scale grids are ceil-sized: the R1 shapes of reference §5.1', () => {
  assert.deepEqual(scaleGridShape([576, 7168]), [5, 56]);
  assert.deepEqual(scaleGridShape([1536, 7168]), [12, 56]);
  assert.deepEqual(scaleGridShape([32768, 512]), [256, 4]);
  assert.deepEqual(scaleGridShape([200, 300]), [2, 3]);
  assert.deepEqual(scaleGridShape([129, 1]), [2, 1]);
  assert.deepEqual(scaleGridShape([200, 300], [64, 128]), [4, 3]);
});

for (const block of [[128, 128], [64, 100]] as [number, number][]) {
  test(`block dequantisation of [200, 300] in ${block.join('×')} blocks, partial edge blocks included`, () => {
    const rng = new T.Rng(5);
    const [rows, cols] = [200, 300];
    const codes = Uint8Array.from({ length: rows * cols }, () => {
      const c = rng.int(256);
      return (c & 0x7f) === 0x7f ? c - 1 : c; // NaN codes become ±448
    });
    const grid = scaleGridShape([rows, cols], block);
    const scale = Float32Array.from({ length: grid[0] * grid[1] }, () => 1e-3 * (1 + rng.uniform()));
    const w = new Float32Array(rows * cols);
    decodeFp8E4M3(w, codes);
    dequantizeBlocks(w, [rows, cols], scale, block);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const s = scale[Math.floor(i / block[0]) * grid[1] + Math.floor(j / block[1])]!;
        const want = Math.fround(reference(codes[i * cols + j]!) * s);
        assert.ok(Object.is(w[i * cols + j], want), `[${i}, ${j}]: ${w[i * cols + j]} vs ${want}`);
      }
    }
  });
}
