// RoPE tables against an independent PyTorch float64 implementation of the published formulas
// (DeepSeek-V3 YaRN, reference sheet §2.2; Llama-3.1 scaling, sheet §7), the YaRN softmax scale
// (sheet §1.3), and the fused T.rope op rotating pairs by the tables' angles on every backend.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, describe, test } from 'node:test';
import type { Llama3Scaling, YarnScaling } from '../../src/nn/index.js';
import { attentionScale, inverseFrequencies, ropeTables, yarnMscale } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';
import { availableBackends } from '../tensor/backends.js';

const V3_YARN: YarnScaling = {
  rope_type: 'yarn', factor: 40, original_max_position_embeddings: 4096, beta_fast: 32, beta_slow: 1, mscale: 1, mscale_all_dim: 1,
};
const LLAMA3: Llama3Scaling = { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
const POSITIONS = [0, 1, 7, 100, 4095, 4096, 4097, 10000, 65535, 131071];
const MAX_POS = 131072;

// Written from the formulas, not from our code: torch.arange/pow for frequencies, torch.outer for angles.
const SCRIPT = `
import json, math, sys, torch
torch.set_default_dtype(torch.float64)
pos = torch.tensor(${JSON.stringify(POSITIONS)}, dtype=torch.float64)

def plain(dim, base):
    return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim))

def yarn(dim, base, factor, orig, beta_fast, beta_slow):
    extra = plain(dim, base)
    inter = extra / factor
    cd = lambda r: (dim * math.log(orig / (r * 2 * math.pi))) / (2 * math.log(base))
    low = max(math.floor(cd(beta_fast)), 0)
    high = min(math.ceil(cd(beta_slow)), dim - 1)
    if low == high: high += 0.001
    ramp = torch.clamp((torch.arange(dim // 2, dtype=torch.float64) - low) / (high - low), 0, 1)
    mask = 1 - ramp   # 1 where the original frequency is kept
    return inter * (1 - mask) + extra * mask, low, high

def llama3(dim, base, factor, lo, hi, orig):
    f = plain(dim, base)
    wl = 2 * math.pi / f
    out = torch.where(wl > orig / lo, f / factor, f)
    smooth = (orig / wl - lo) / (hi - lo)
    blended = (1 - smooth) * out / factor + smooth * out
    mid = (wl >= orig / hi) & (wl <= orig / lo)
    return torch.where(mid, blended, out)

def tables(inv):
    a = torch.outer(pos, inv)
    return {'inv': inv.tolist(), 'cos': torch.cos(a).flatten().tolist(), 'sin': torch.sin(a).flatten().tolist()}

y, low, high = yarn(64, 10000.0, 40.0, 4096, 32, 1)
out = {'plain': tables(plain(64, 10000.0)), 'yarn': tables(y), 'low': low, 'high': high,
       'llama3': tables(llama3(128, 500000.0, 8.0, 1.0, 4.0, 8192))}
json.dump(out, sys.stdout)
`;

interface Tables { inv: number[]; cos: number[]; sin: number[] }
interface Oracle { plain: Tables; yarn: Tables; llama3: Tables; low: number; high: number }

let oracle: Oracle;
before(() => {
  const r = spawnSync('/usr/bin/python3', ['-c', SCRIPT], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, `the torch oracle failed: ${r.stderr}`);
  oracle = JSON.parse(r.stdout) as Oracle;
});

function closeAll(actual: ArrayLike<number>, expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!);
    assert.ok(err <= tol * Math.max(1, Math.abs(expected[i]!)), `${what}[${i}]: ${actual[i]} vs ${expected[i]} (error ${err})`);
  }
}

/** The rows of a [P, D/2] table at POSITIONS, flattened. */
function rowsAt(t: T.Tensor): number[] {
  const half = t.shape[1]!;
  const all = t.data;
  return POSITIONS.flatMap((p) => Array.from(all.subarray(p * half, (p + 1) * half)));
}

const cases = [
  { name: 'plain RoPE (theta 10000, D 64)', key: 'plain', dim: 64, theta: 10000, scaling: null },
  { name: 'DeepSeek-V3 YaRN (factor 40 from 4096)', key: 'yarn', dim: 64, theta: 10000, scaling: V3_YARN },
  { name: 'Llama-3.1 scaling (theta 500000, D 128)', key: 'llama3', dim: 128, theta: 500000, scaling: LLAMA3 },
] as const;

describe('rope tables vs PyTorch float64', () => {
  for (const c of cases) {
    test(c.name, () => {
      const want = oracle[c.key];
      closeAll(inverseFrequencies(c.dim, c.theta, c.scaling), want.inv, 1e-13, 'inv_freq');
      const f64 = ropeTables({ rotaryDim: c.dim, maxPositions: MAX_POS, theta: c.theta, scaling: c.scaling, dtype: 'float64' });
      assert.deepEqual(f64.cos.shape, [MAX_POS, c.dim / 2]);
      // Angles reach ~1.3e5 rad: float64 agreement is limited by the angle's ulp, ~1e-11.
      closeAll(rowsAt(f64.cos), want.cos, 1e-9, 'cos64');
      closeAll(rowsAt(f64.sin), want.sin, 1e-9, 'sin64');
      const f32 = ropeTables({ rotaryDim: c.dim, maxPositions: MAX_POS, theta: c.theta, scaling: c.scaling });
      assert.equal(f32.cos.dtype, 'float32');
      closeAll(rowsAt(f32.cos), want.cos, 1e-7, 'cos32');
      closeAll(rowsAt(f32.sin), want.sin, 1e-7, 'sin32');
      for (const t of [f64.cos, f64.sin, f32.cos, f32.sin]) t.dispose();
    });
  }

  test('YaRN correction range is [10, 23] for V3 and blends only between them', () => {
    assert.equal(oracle.low, 10);
    assert.equal(oracle.high, 23);
    const plain = inverseFrequencies(64, 10000);
    const y = inverseFrequencies(64, 10000, V3_YARN);
    for (let i = 0; i <= 10; i++) assert.equal(y[i], plain[i], `pair ${i} keeps its frequency`);
    for (let i = 23; i < 32; i++) assert.ok(Math.abs(y[i]! - plain[i]! / 40) <= 1e-18 + 1e-15 * y[i]!, `pair ${i} is divided by 40`);
    for (let i = 11; i < 23; i++) assert.ok(y[i]! < plain[i]! && y[i]! > plain[i]! / 40, `pair ${i} is blended`);
  });
});

describe('YaRN mscale and softmax scale', () => {
  test('yarnMscale', () => {
    assert.equal(yarnMscale(40, 1), 0.1 * Math.log(40) + 1);
    assert.equal(yarnMscale(40, 0.707), 0.1 * 0.707 * Math.log(40) + 1);
    assert.equal(yarnMscale(1, 1), 1);
    assert.equal(yarnMscale(0.5, 1), 1);
  });

  test('attentionScale: V3/R1 0.13523378, plain 1/sqrt(192)', () => {
    assert.ok(Math.abs(attentionScale(192, V3_YARN) - 0.13523378) < 5e-9);
    assert.equal(attentionScale(192), 1 / Math.sqrt(192));
    assert.equal(attentionScale(128, LLAMA3), 1 / Math.sqrt(128));
    // mscale_all_dim 0 (transformers' default when absent) leaves the scale alone.
    assert.equal(attentionScale(192, { ...V3_YARN, mscale_all_dim: 0 }), 1 / Math.sqrt(192));
  });

  test('bad table options throw', () => {
    assert.throws(() => ropeTables({ rotaryDim: 63, maxPositions: 4, theta: 10000 }), /even/);
    assert.throws(() => ropeTables({ rotaryDim: 64, maxPositions: 0, theta: 10000 }), /maxPositions/);
  });
});

for (const backend of availableBackends()) {
  describe(`fused rope op with YaRN tables [${backend}]`, () => {
    for (const interleaved of [true, false]) {
      test(interleaved ? 'interleaved pairs (DeepSeek)' : 'half-split pairs (Qwen/Llama)', () => T.withBackend(backend, () => {
        const D = 64;
        const pos = Int32Array.from([0, 3, 4096, 5000, 20000]);
        const H = 2;
        const { cos, sin } = ropeTables({ rotaryDim: D, maxPositions: 20001, theta: 10000, scaling: V3_YARN });
        const inv = inverseFrequencies(D, 10000, V3_YARN);
        const x = T.randn([pos.length, H, D], new T.Rng(7));
        const y = T.rope(x, cos, sin, pos, { interleaved });
        const xv = x.toArray();
        const yv = y.toArray();
        for (let t = 0; t < pos.length; t++) {
          for (let h = 0; h < H; h++) {
            const base = (t * H + h) * D;
            for (let i = 0; i < D / 2; i++) {
              const [a, b] = interleaved ? [base + 2 * i, base + 2 * i + 1] : [base + i, base + i + D / 2];
              const angle = pos[t]! * inv[i]!;
              const ea = xv[a]! * Math.cos(angle) - xv[b]! * Math.sin(angle);
              const eb = xv[a]! * Math.sin(angle) + xv[b]! * Math.cos(angle);
              assert.ok(Math.abs(yv[a]! - ea) < 2e-5 && Math.abs(yv[b]! - eb) < 2e-5, `t ${t} h ${h} pair ${i}: (${yv[a]}, ${yv[b]}) vs (${ea}, ${eb})`);
            }
          }
        }
        for (const u of [cos, sin, x, y]) u.dispose();
      }));
    }
  });
}
