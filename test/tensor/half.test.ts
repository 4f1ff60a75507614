// bfloat16 / float16 storage against PyTorch: rounding float32 to half bits (toHalf), widening every
// half bit pattern (toFloat32), and matmul reading a half weight directly, on every backend.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, describe, test } from 'node:test';
import type { HalfDtype, Tensor } from '../../src/tensor/index.js';
import * as T from '../../src/tensor/index.js';
import { availableBackends } from './backends.js';

const backends = availableBackends();
const formats: HalfDtype[] = ['bfloat16', 'float16'];

// Float32 values travel to PyTorch as int32 bit patterns (JSON has no -0, NaN or Inf), and half values
// come back as int16 bit patterns; widened values come back as float32 bit patterns.
const TORCH_HALF = `
import json, sys, torch
req = json.load(sys.stdin)
x = torch.tensor(req["bits"], dtype=torch.int32).view(torch.float32)
every = torch.tensor([b - 65536 if b >= 32768 else b for b in range(65536)], dtype=torch.int16)
out = {}
for name, dt in (("bfloat16", torch.bfloat16), ("float16", torch.float16)):
    out[name] = x.to(dt).view(torch.int16).tolist()
    out[name + "_wide"] = every.view(dt).to(torch.float32).view(torch.int32).tolist()
json.dump(out, sys.stdout)
`;

type TorchHalf = Record<string, number[]>;

const u32 = new Uint32Array(1);
const f32 = new Float32Array(u32.buffer);
const fromBits = (b: number): number => ((u32[0] = b), f32[0]!);
const toBits = (x: number): number => ((f32[0] = x), u32[0]!);

/** Float32 inputs: specials, round-to-nearest-even ties (±1 ulp) in both formats, f16 subnormals, random. */
function testValues(): Float32Array {
  const rng = new T.Rng(77);
  const bits: number[] = [];
  const specials = [
    0, -0, 1, -1, 65504, 65519, 65520, -65520, 1e-8, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 6e-5, 6.1e-5, 2 ** -14, 1e-40,
    3.4e38, -3.4e38, 1e30, NaN, Infinity, -Infinity, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -11, 1 + 3 * 2 ** -11, Math.PI, 0.1,
  ];
  for (const x of specials) bits.push(toBits(x));
  bits.push(0x7f800001, 0xffc00000, 0x7fffffff, 0x00000001, 0x807fffff, 0x7f7fffff); // NaNs, f32 subnormals, f32 max
  for (let i = 0; i < 1000; i++) {
    // bf16 keeps the high 16 bits: a tie sits at low bits 0x8000. Exponent 0xff (Inf/NaN) is avoided.
    const hi = rng.nextU32() >>> 16;
    const hiFinite = (hi & 0x7f80) === 0x7f80 ? hi & 0xbfff : hi;
    for (const low of [0x7fff, 0x8000, 0x8001]) bits.push(((hiFinite << 16) | low) >>> 0);
    // f16 normals (exponents 2^-14..2^15) keep 10 of the 23 mantissa bits: a tie at low 13 bits 0x1000.
    const exp = 113 + rng.int(30);
    const top = ((rng.nextU32() & 1) << 31) | (exp << 23) | ((rng.nextU32() & 0x3ff) << 13);
    for (const low of [0x0fff, 0x1000, 0x1001]) bits.push((top | low) >>> 0);
    // Anywhere in float32's range, either sign.
    bits.push(toBits((rng.uniform() < 0.5 ? -1 : 1) * 2 ** (-140 + 270 * rng.uniform())));
  }
  // f16 subnormals are multiples of 2^-24: odd multiples of 2^-25 are exact ties.
  for (let k = 1; k <= 2048; k++) bits.push(toBits(k * 2 ** -25));
  return new Float32Array(new Uint32Array(bits).buffer);
}

function isHalfNaN(h: number, dtype: HalfDtype): boolean {
  return dtype === 'bfloat16' ? (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0 : (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
}

describe('half precision vs PyTorch', () => {
  const values = testValues();
  let torch: TorchHalf = {};
  before(() => {
    const input = JSON.stringify({ bits: Array.from(new Int32Array(values.buffer)) });
    const proc = spawnSync('/usr/bin/python3', ['-c', TORCH_HALF], { input, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (proc.status !== 0) throw new Error(`PyTorch failed (is Debian's python3-torch installed?): ${proc.stderr || proc.error?.message}`);
    torch = JSON.parse(proc.stdout) as TorchHalf;
  });

  for (const backend of backends) {
    describe(`backend ${backend}`, () => {
      for (const dtype of formats) {
        test(`toHalf ${dtype} rounds like torch`, () => {
          const ours = T.withBackend(backend, () => T.tidy(() => Array.from(T.toHalf(T.tensor(values, [values.length]), dtype).data as Uint16Array)));
          const want = torch[dtype]!.map((b) => b & 0xffff);
          ours.forEach((h, i) => {
            // torch's own NaN bits vary (its vectorised bf16 path gives 0xffff): any NaN is right.
            if (isHalfNaN(want[i]!, dtype)) assert.ok(isHalfNaN(h, dtype), `${dtype}: NaN input ${i} gave 0x${h.toString(16)}`);
            else assert.equal(h, want[i], `${dtype}: ${values[i]} (bits 0x${toBits(values[i]!).toString(16)}) → ours 0x${h.toString(16)}, torch 0x${want[i]!.toString(16)}`);
          });
        });

        test(`toFloat32 widens every ${dtype} bit pattern like torch`, () => {
          const every = Array.from({ length: 65536 }, (_, i) => i);
          const ours = T.withBackend(backend, () => T.tidy(() => T.toFloat32(T.tensor(every, [65536], { dtype })).toArray()));
          const want = torch[`${dtype}_wide`]!.map(fromBits);
          ours.forEach((x, i) => {
            if (Number.isNaN(want[i])) assert.ok(Number.isNaN(x), `${dtype} 0x${i.toString(16)}: ours ${x}, torch NaN`);
            else assert.equal(toBits(x), toBits(want[i]!), `${dtype} 0x${i.toString(16)}: ours ${x}, torch ${want[i]}`);
          });
          // A view that starts inside the storage widens its own elements, not the storage's first ones.
          const tail = T.withBackend(backend, () => T.tidy(() => T.toFloat32(T.slice(T.tensor(every.slice(0, 16), [4, 4], { dtype }), 0, 2, 4)).toArray()));
          assert.deepEqual(tail.map(toBits), want.slice(8, 16).map(toBits));
        });
      }
    });
  }
});

/** |ours − want| ≤ 1e-6 · Σ_k |x_k·w_k| per output element (the size of float32 rounding in the sums). */
function assertMatmulClose(ours: Tensor, want: Tensor, x: Tensor, wT: Tensor, label: string): void {
  const scale = T.noGrad(() => T.matmul(T.abs(x), T.abs(wT))).toArray();
  const a = ours.toArray();
  const b = want.toArray();
  assert.deepEqual(ours.shape, want.shape, `${label}: shape`);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= 1e-6 * scale[i]! + 1e-30, `${label}[${i}]: ${v} vs ${b[i]}`));
}

describe('matmul with a half-precision weight', () => {
  for (const backend of backends) {
    for (const dtype of formats) {
      // [M, K, N] and batch dims of x; K values off multiples of 8 reach the kernels' tails, M = 1 is decode.
      const shapes: [number[], number, number][] = [[[5], 64, 7], [[1], 67, 33], [[3], 130, 16], [[2, 3], 40, 9]];
      for (const [lead, K, N] of shapes) {
        test(`${backend} ${dtype} x[${lead},${K}] · w[${N},${K}]ᵀ and w[${K},${N}]`, () => {
          T.withBackend(backend, () =>
            T.tidy(() => {
              const rng = new T.Rng(K * 31 + N);
              const x = T.randn([...lead, K], rng);
              // A weight stored [N, K] (nn.Linear layout) is used through a transposed view.
              const w = T.toHalf(T.randn([N, K], rng, { std: 0.5 }), dtype);
              const wideT = T.transpose(T.toFloat32(w));
              assertMatmulClose(T.matmul(x, T.transpose(w)), T.matmul(x, wideT), x, wideT, `${dtype} [N,K]ᵀ`);
              // A weight stored [K, N] is used as is.
              const w2 = T.toHalf(T.randn([K, N], rng), dtype);
              const wide2 = T.toFloat32(w2);
              assertMatmulClose(T.matmul(x, w2), T.matmul(x, wide2), x, wide2, `${dtype} [K,N]`);
            }),
          );
        });
      }
    }

    test(`${backend} toHalf of a transposed view rounds the logical elements`, () => {
      T.withBackend(backend, () =>
        T.tidy(() => {
          const a = T.randn([4, 6], new T.Rng(5));
          const viaView = T.toHalf(T.transpose(a), 'bfloat16');
          const viaCopy = T.toHalf(T.contiguous(T.transpose(a)), 'bfloat16');
          assert.deepEqual(viaView.shape, [6, 4]);
          assert.deepEqual(Array.from(viaView.data as Uint16Array), Array.from(viaCopy.data as Uint16Array));
        }),
      );
    });
  }
});
