// Kernel-level conformance: every method of the `Kernels` contract, run on the native addon and on
// the ref oracle with the same inputs, at sizes that reach the native kernels' SIMD, blocked and
// multithreaded paths (the op tests only use small shapes), plus odd sizes around block boundaries.
//
// Each case builds its buffers once from a seeded Rng; `conform` runs the kernel on a fresh copy for
// each backend, compares the output buffers with a float32-appropriate tolerance and requires the
// native kernel to leave every input buffer untouched. Without the native addon no test is
// registered, unless R1TS_REQUIRE_NATIVE=1, where availableBackends() throws and the file fails.
// Try other thread counts and SIMD fallbacks with R1TS_THREADS=7 or R1TS_ATTENTION_ISA=avx2|base.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type {
  AdamWArgs, AttentionArgs, BinaryOp, GemmArgs, HalfDtype, Kernels, StridedArg, UnaryOp,
} from '../../src/tensor/backend/kernels.js';
import type { NativeExtras } from '../../src/tensor/backend/native.js';
import { loadNativeKernels } from '../../src/tensor/backend/native.js';
import { refKernels as ref } from '../../src/tensor/backend/ref/index.js';
import { Rng } from '../../src/tensor/random.js';
import { availableBackends } from './backends.js';

// ---- comparison ---------------------------------------------------------------------------------

/**
 * |native − ref| ≤ atol + rtol·|ref| + rms·RMS(ref) + ulps·ε·terms[i], elementwise. `rms` scales the
 * absolute slack with the output's typical magnitude, for outputs that accumulate many terms; `terms`
 * (with `ulps`) gives each element the size of the terms it is computed from, for results that cancel
 * (the error of a float32 a − b is about ε·(|a| + |b|), however small a − b is). NaN must meet NaN and
 * ±Infinity must match exactly. `bits` instead requires Object.is equality (−0 ≠ +0), for copies.
 */
interface Tol {
  readonly rtol?: number;
  readonly atol?: number;
  readonly rms?: number;
  readonly ulps?: number;
  readonly terms?: ArrayLike<number>;
  readonly bits?: boolean;
}

const EXACT: Tol = {};
const BITS: Tol = { bits: true };
const F32_EPS = 2 ** -23;

type Buf = Float32Array | Int32Array | Uint16Array;
type Bufs = Record<string, Buf>;

function rmsOf(x: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isFinite(x[i])) {
      s += x[i] * x[i];
      n++;
    }
  }
  return n > 0 ? Math.sqrt(s / n) : 0;
}

function expectClose(label: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: Tol): void {
  assert.equal(got.length, want.length, `${label}: length`);
  const atol = (tol.atol ?? 0) + (tol.rms ? tol.rms * rmsOf(want) : 0);
  const rtol = tol.rtol ?? 0;
  const { terms, ulps = 0 } = tol;
  const allowed = (i: number, w: number): number => atol + rtol * Math.abs(w) + (terms ? ulps * F32_EPS * terms[i] : 0);
  let bad = 0;
  let first = -1;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    let ok: boolean;
    if (tol.bits) ok = Object.is(g, w) || (g !== g && w !== w);
    else if (g === w || (g !== g && w !== w)) ok = true;
    else if (!Number.isFinite(g) || !Number.isFinite(w)) ok = false; // NaN vs number, or a mismatched infinity
    else ok = Math.abs(g - w) <= allowed(i, w);
    if (ok) continue;
    bad++;
    if (first < 0) first = i;
    const excess = Number.isFinite(g - w) ? Math.abs(g - w) / (allowed(i, w) || Number.MIN_VALUE) : Infinity;
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (bad === 0) return;
  const at = (i: number): string =>
    `[${i}]: native ${fmt(got[i])} vs ref ${fmt(want[i])}${terms ? ` (allowed ±${allowed(i, want[i]).toExponential(2)})` : ''}`;
  assert.fail(
    `${label}: ${bad} of ${want.length} elements differ (rtol ${rtol}, atol ${atol.toExponential(2)}${tol.bits ? ', bitwise' : ''}` +
      `${terms ? `, ${ulps} ulps of the terms` : ''}); ` +
      `first ${at(first)}; worst ${at(worst)}`,
  );
}

/** Runs check(item) for every item and reports every failure together (not just the first size that fails). */
function checkAll<T>(items: readonly T[], check: (item: T) => void): void {
  const errors: string[] = [];
  for (const item of items) {
    try {
      check(item);
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (errors.length > 0) assert.fail(errors.join('\n'));
}

function fmt(v: number): string {
  return Object.is(v, -0) ? '-0' : String(v);
}

function clone<B extends Bufs>(bufs: B): B {
  return Object.fromEntries(Object.entries(bufs).map(([k, v]) => [k, v.slice()])) as B;
}

/** Runs fn on a fresh copy of bufs and returns the copy. */
function runOn<B extends Bufs>(bufs: B, fn: (b: B) => void): B {
  const copy = clone(bufs);
  fn(copy);
  return copy;
}

/**
 * Compares the buffers named in `outputs` between the native and ref results, and requires every
 * other buffer to have come back from native exactly as it went in (kernels must not write inputs).
 */
function expectBufs<B extends Bufs>(label: string, inputs: B, nat: B, want: B, outputs: { [K in keyof B]?: Tol }): void {
  for (const name of Object.keys(inputs)) {
    const tol = outputs[name];
    if (tol) expectClose(`${label}${label ? ': ' : ''}${name}`, nat[name], want[name], tol);
    else expectClose(`${label}${label ? ': ' : ''}input ${name} was modified`, nat[name], inputs[name], BITS);
  }
}

let native: (Kernels & NativeExtras) | null = null;

/** Runs `call` with the ref and the native kernels, each on its own copy of `bufs`, and compares. */
function conform<B extends Bufs>(
  bufs: B, outputs: { [K in keyof B]?: Tol }, call: (k: Kernels, b: B) => void, label = '',
): void {
  const nat = native!;
  const want = runOn(bufs, (b) => call(ref, b));
  const got = runOn(bufs, (b) => call(nat, b));
  expectBufs(label, bufs, got, want, outputs);
}

// ---- data ---------------------------------------------------------------------------------------

/** A seed from a test's name, so every case has its own reproducible data whatever runs before it. */
function rngFor(name: string): Rng {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return new Rng(h >>> 0);
}

function normal(rng: Rng, n: number, scale = 1): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = scale * rng.normal();
  return x;
}

function ints(rng: Rng, n: number, lo: number, hi: number): Int32Array {
  const x = new Int32Array(n);
  for (let i = 0; i < n; i++) x[i] = lo + rng.int(hi - lo);
  return x;
}

/** Half continuous normals, half small integers (so ties and equal pairs are common). */
function mixed(rng: Rng, n: number, scale = 3): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.uniform() < 0.5 ? scale * rng.normal() : rng.int(7) - 3;
  return x;
}

const SPECIALS = [0, -0, NaN, Infinity, -Infinity, 1, -1, 0.5, -2, 1e-40, -1e-40, 1e-30, 3e38, -3e38, 100, -100, 88.7, -88.7, 89, -104];

/**
 * Writes `values` at the first positions, the last ones (the scalar tail of a vector loop), the
 * middle (a thread boundary) and a few random places; returns x.
 */
function sprinkle(rng: Rng, x: Float32Array, values: readonly number[] = SPECIALS): Float32Array {
  const n = x.length;
  if (n === 0) return x;
  const spots = [0, n - 1, n >> 1, (n >> 1) - 1, n - 2, 1, 2].filter((i) => i >= 0 && i < n);
  values.forEach((v, i) => {
    x[i < spots.length ? spots[i] : rng.int(n)] = v;
    x[rng.int(n)] = v;
  });
  return x;
}

/** Elements a strided view reaches: its buffer needs this length (plus any tail). */
function extent(shape: readonly number[], strides: readonly number[], offset: number): number {
  let hi = offset;
  let lo = offset;
  shape.forEach((d, k) => {
    const span = strides[k] * (d - 1);
    if (d === 0) return;
    if (span > 0) hi += span;
    else lo += span;
  });
  assert.ok(lo >= 0, 'a test view reaches below its buffer');
  return shape.includes(0) ? offset : hi + 1;
}

/** A [rows, n] array from a per-row setup returning the per-element value. */
function perRow(rows: number, n: number, row: (r: number) => (j: number) => number): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const at = row(r);
    for (let j = 0; j < n; j++) out[r * n + j] = at(j);
  }
  return out;
}

const prod = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
const view = (data: Float32Array, offset: number, strides: readonly number[]): StridedArg => ({ data, offset, strides });

/** Odd sizes around vector widths and block boundaries, plus sizes that split across threads. */
const SIZES = [1, 7, 63, 65, 1000, 70001, 262147];

// =================================================================================================

function conformanceSuite(): void {
  describe('allocation and info', () => {
    test('allocFloat gives a zeroed Float32Array kernels can use; free releases it', () => {
      const nat = native!;
      for (const n of [0, 1, 70001]) {
        const a = nat.allocFloat(n);
        assert.ok(a instanceof Float32Array, 'allocFloat returns a Float32Array');
        assert.equal(a.length, n);
        expectClose(`allocFloat(${n}) zeroed`, a, ref.allocFloat(n), BITS);
        nat.fill(a, 2.5, 0, n);
        assert.equal(nat.sumSquares(a, n), 6.25 * n);
        nat.free(a);
      }
    });

    test('info describes the backend', () => {
      const info = native!.info();
      assert.ok(Object.keys(info).length > 0);
      for (const v of Object.values(info)) assert.ok(['string', 'number', 'boolean'].includes(typeof v));
    });
  });

  // ---- copies and conversions -------------------------------------------------------------------

  describe('copy', () => {
    // shape, then the dst and src views as [offset, strides]; dst elements outside the view keep their sentinel.
    const cases: { name: string; shape: number[]; dst: [number, number[]]; src: [number, number[]] }[] = [
      { name: 'dense 1-d, 300007 (threaded memmove)', shape: [300007], dst: [5, [1]], src: [3, [1]] },
      { name: 'dense 3-d merges into one row', shape: [4, 63, 65], dst: [0, [63 * 65, 65, 1]], src: [1, [63 * 65, 65, 1]] },
      { name: 'transpose [513, 700]', shape: [513, 700], dst: [0, [700, 1]], src: [0, [1, 513]] },
      { name: 'batched transpose [3, 129, 65]', shape: [3, 129, 65], dst: [2, [129 * 65, 65, 1]], src: [1, [65 * 129, 1, 129]] },
      { name: 'broadcast-0 source rows [1000, 300]', shape: [1000, 300], dst: [0, [300, 1]], src: [4, [0, 1]] },
      { name: 'broadcast-0 source columns [300, 1000]', shape: [300, 1000], dst: [0, [1000, 1]], src: [4, [1, 0]] },
      { name: 'scalar broadcast [70001]', shape: [70001], dst: [0, [1]], src: [9, [0]] },
      { name: 'slice of wider rows [200, 63]', shape: [200, 63], dst: [0, [63, 1]], src: [10, [100, 1]] },
      { name: 'strided destination [300, 129]', shape: [300, 129], dst: [1, [259, 2]], src: [0, [129, 1]] },
      { name: 'reversed source [70001]', shape: [70001], dst: [0, [1]], src: [70000, [-1]] },
      { name: 'permuted 4-d [5, 7, 9, 11]', shape: [5, 7, 9, 11], dst: [0, [693, 99, 11, 1]], src: [0, [1, 45, 5, 315]] },
      { name: 'size-1 dims [1, 1000, 1, 65]', shape: [1, 1000, 1, 65], dst: [0, [7, 65, 3, 1]], src: [2, [0, 1, 11, 1000]] },
      { name: 'single element, rank 0', shape: [], dst: [3, []], src: [7, []] },
      { name: 'empty [0, 10]', shape: [0, 10], dst: [0, [10, 1]], src: [0, [10, 1]] },
    ];
    for (const c of cases) {
      test(c.name, () => {
        const rng = rngFor(`copy ${c.name}`);
        const src = sprinkle(rng, normal(rng, extent(c.shape, c.src[1], c.src[0]) + 3));
        const dst = new Float32Array(extent(c.shape, c.dst[1], c.dst[0]) + 3).fill(-7.25);
        conform({ dst, src }, { dst: BITS }, (k, b) =>
          k.copy(view(b.dst, c.dst[0], c.dst[1]), view(b.src, c.src[0], c.src[1]), c.shape));
      });
    }
  });

  describe('fill', () => {
    for (const [offset, n, value] of [[0, 1, 2.5], [3, 7, -0], [5, 70001, NaN], [1, 300000, -1.5], [2, 65, 0.1], [0, 63, 1e40], [10, 0, 1]]) {
      test(`offset ${offset}, n ${n}, value ${fmt(value)}`, () => {
        const out = new Float32Array(offset + n + 5).fill(-7.25);
        conform({ out }, { out: BITS }, (k, b) => k.fill(b.out, value, offset, n));
      });
    }
  });

  describe('halfToFloat / floatToHalf', () => {
    const N = 100003;
    for (const dtype of ['bfloat16', 'float16'] as const) {
      test(`halfToFloat ${dtype}: every bit pattern, then random ones (n ${N})`, () => {
        const rng = rngFor(`halfToFloat ${dtype}`);
        const src = new Uint16Array(N);
        for (let i = 0; i < N; i++) src[i] = i < 65536 ? i : rng.int(65536);
        conform({ out: new Float32Array(N), src }, { out: BITS }, (k, b) => k.halfToFloat(b.out, b.src, dtype, N));
      });

      test(`floatToHalf ${dtype}: random bits, ties, subnormals, overflow (n ${N})`, () => {
        const rng = rngFor(`floatToHalf ${dtype}`);
        const src = new Float32Array(N);
        const bits = new Uint32Array(src.buffer);
        const halfAsFloat = new Float32Array(1);
        for (let i = 0; i < N; i++) {
          switch (i % 5) {
            case 0: bits[i] = rng.nextU32(); break; // anything: NaN payloads, infinities, subnormals
            case 1: src[i] = rng.normal() * 2 ** (rng.int(60) - 30); break;
            case 2: {
              // Exactly halfway between two neighbouring halves (and a hair either side): rounding ties.
              const h = rng.int(dtype === 'bfloat16' ? 0x7f80 : 0x7c00) | (rng.uniform() < 0.5 ? 0x8000 : 0);
              ref.halfToFloat(halfAsFloat, Uint16Array.of(h), dtype, 1);
              const lo = halfAsFloat[0];
              ref.halfToFloat(halfAsFloat, Uint16Array.of(h + 1), dtype, 1);
              const mid = (lo + halfAsFloat[0]) / 2;
              src[i] = mid;
              if (Number.isFinite(mid) && rng.uniform() < 0.3) bits[i] += rng.uniform() < 0.5 ? 1 : -1;
              break;
            }
            case 3: src[i] = (rng.uniform() < 0.5 ? -1 : 1) * 2 ** -rng.int(30) * (1 + rng.uniform()) * 2 ** -10; break; // f16 subnormals
            default: src[i] = (rng.uniform() < 0.5 ? -1 : 1) * (65504 + rng.uniform() * 32); // f16 overflow edge
          }
        }
        sprinkle(rng, src, [...SPECIALS, 65520, 65519.996, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -25 * 1.0000001, 3.3895314e38, 3.4e38]);
        conform({ out: new Uint16Array(N), src }, { out: EXACT }, (k, b) => k.floatToHalf(b.out, b.src, dtype, N));
      });
    }
  });

  // ---- elementwise --------------------------------------------------------------------------------

  describe('unary / unaryBackward', () => {
    // Tolerances: ops exact in float32 compare exactly; libm-style ones get a few ulp; the derivative of
    // ops with a zero crossing (silu) or a cancelling 1 − y² (tanh) needs an absolute floor too.
    const TRANSCENDENTAL: Tol = { rtol: 2e-5, atol: 1e-30 };
    const ops: { op: UnaryOp; alpha?: number; beta?: number; scale?: number; positive?: boolean; fwd: Tol; bwd: Tol }[] = [
      { op: 'neg', fwd: EXACT, bwd: EXACT },
      { op: 'exp', scale: 30, fwd: TRANSCENDENTAL, bwd: { rtol: 1e-6 } },
      { op: 'log', positive: true, fwd: { rtol: 1e-6, atol: 1e-7 }, bwd: { rtol: 1e-6 } },
      { op: 'sqrt', positive: true, fwd: { rtol: 1e-6 }, bwd: { rtol: 1e-6 } },
      { op: 'rsqrt', positive: true, fwd: { rtol: 1e-6 }, bwd: { rtol: 1e-6 } },
      { op: 'abs', fwd: EXACT, bwd: EXACT },
      { op: 'sigmoid', scale: 8, fwd: TRANSCENDENTAL, bwd: { rtol: 2e-5, atol: 1e-30 } },
      { op: 'silu', scale: 8, fwd: TRANSCENDENTAL, bwd: { rtol: 2e-5, atol: 1e-6 } },
      { op: 'tanh', scale: 2, fwd: { rtol: 2e-5, atol: 1e-30 }, bwd: { rtol: 1e-5, atol: 1e-6 } },
      { op: 'relu', fwd: EXACT, bwd: EXACT },
      { op: 'clamp', alpha: -0.75, beta: 1.5, fwd: EXACT, bwd: EXACT },
      { op: 'affine', alpha: 1.5, beta: -0.25, fwd: { rtol: 1e-6, atol: 1e-7 }, bwd: { rtol: 1e-6 } },
      { op: 'square', fwd: EXACT, bwd: EXACT },
      ...[2, 1, 0, -1, 3, 0.5, -1.5, Infinity].map((alpha) => ({
        op: 'pow' as const, alpha, positive: alpha % 1 !== 0, fwd: { rtol: 1e-6, atol: 1e-37 }, bwd: { rtol: 1e-6, atol: 1e-37 },
      })),
    ];
    for (const { op, alpha = 0, beta = 0, scale = 4, positive = false, fwd, bwd } of ops) {
      const name = op === 'pow' ? `pow α=${alpha}` : op;
      const inputs = (n: number, backward: boolean): { x: Float32Array; gy: Float32Array; y: Float32Array } => {
        const rng = rngFor(`unary ${name} ${n}`);
        const x = normal(rng, n, scale);
        // Domain-limited ops mostly get positive inputs, with every 17th negative (NaN results).
        if (positive) for (let i = 0; i < n; i++) x[i] = i % 17 === 5 ? -Math.abs(x[i]) : Math.abs(x[i]);
        // Gradients next to FLT_MAX (where 2·x overflows) have their own test below.
        sprinkle(rng, x, backward ? SPECIALS.filter((v) => Math.abs(v) < 1e38) : SPECIALS);
        const y = new Float32Array(n);
        ref.unary(op, y, x, n, alpha, beta);
        return { x, gy: normal(rng, n), y };
      };
      test(`unary ${name}, n ∈ {${SIZES.join(', ')}}`, () => {
        checkAll(SIZES, (n) => {
          const { x } = inputs(n, false);
          conform({ out: new Float32Array(n), x }, { out: fwd }, (k, b) => k.unary(op, b.out, b.x, n, alpha, beta), `n ${n}`);
        });
      });
      test(`unaryBackward ${name}, n ∈ {${SIZES.join(', ')}}`, () => {
        checkAll(SIZES, (n) => {
          const { x, gy, y } = inputs(n, true);
          conform({ gx: new Float32Array(n), gy, x, y }, { gx: bwd }, (k, b) =>
            k.unaryBackward(op, b.gx, b.gy, b.x, b.y, n, alpha, beta), `n ${n}`);
        });
      });
    }

    test('unaryBackward square and pow α=2 near FLT_MAX: gy·2x is finite when |gy| < 1/2', () => {
      const n = 1000;
      const rng = rngFor('unaryBackward near FLT_MAX');
      const x = new Float32Array(n);
      const gy = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        x[i] = (i % 2 ? -1 : 1) * (1.8e38 + rng.uniform() * 1.5e38);
        gy[i] = (rng.uniform() - 0.5) * 0.9;
      }
      checkAll([['square', 0], ['pow', 2]] as const, ([op, alpha]) => {
        const y = new Float32Array(n);
        ref.unary(op, y, x, n, alpha, 0);
        conform({ gx: new Float32Array(n), gy, x, y }, { gx: { rtol: 1e-6 } }, (k, b) =>
          k.unaryBackward(op, b.gx, b.gy, b.x, b.y, n, alpha, 0), op === 'pow' ? 'pow α=2' : op);
      });
    });
  });

  describe('binary / where', () => {
    // Iteration shape, then each operand's [offset, strides].
    const layouts: { name: string; shape: number[]; a: [number, number[]]; b: [number, number[]] }[] = [
      { name: 'dense [262147]', shape: [262147], a: [0, [1]], b: [0, [1]] },
      { name: 'dense [70001] with offsets', shape: [70001], a: [3, [1]], b: [5, [1]] },
      { name: 'dense [7]', shape: [7], a: [0, [1]], b: [1, [1]] },
      { name: 'scalar b [100003]', shape: [100003], a: [0, [1]], b: [2, [0]] },
      { name: 'scalar a [65]', shape: [65], a: [2, [0]], b: [0, [1]] },
      { name: 'row broadcast [600, 500]', shape: [600, 500], a: [0, [500, 1]], b: [1, [0, 1]] },
      { name: 'column broadcast [500, 600]', shape: [500, 600], a: [0, [600, 1]], b: [1, [1, 0]] },
      { name: 'transposed a [300, 700]', shape: [300, 700], a: [0, [1, 300]], b: [0, [700, 1]] },
      { name: 'both broadcast [64, 3, 1000]', shape: [64, 3, 1000], a: [0, [1000, 0, 1]], b: [0, [0, 1000, 1]] },
      { name: '3-d padded rows [7, 63, 129]', shape: [7, 63, 129], a: [3, [0, 129, 1]], b: [5, [63 * 130, 130, 1]] },
      { name: 'size-1 dims [1, 1000, 1, 65]', shape: [1, 1000, 1, 65], a: [0, [5, 65, 9, 1]], b: [0, [0, 1, 0, 1000]] },
      { name: 'reversed b [70001]', shape: [70001], a: [0, [1]], b: [70000, [-1]] },
      { name: 'rank 0', shape: [], a: [4, []], b: [2, []] },
      { name: 'empty [0, 5]', shape: [0, 5], a: [0, [5, 1]], b: [0, [5, 1]] },
    ];
    const binaryOps: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'pow', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];
    for (const op of binaryOps) {
      for (const l of layouts) {
        test(`binary ${op} ${l.name}`, () => {
          const rng = rngFor(`binary ${op} ${l.name}`);
          const a = sprinkle(rng, mixed(rng, extent(l.shape, l.a[1], l.a[0]) + 2));
          const b = sprinkle(rng, mixed(rng, extent(l.shape, l.b[1], l.b[0]) + 2));
          // +, −, ×, ÷, max, min and comparisons are exact in float32; pow is within an ulp.
          const tol: Tol = op === 'pow' ? { rtol: 1e-6, atol: 1e-37 } : EXACT;
          conform({ out: new Float32Array(prod(l.shape)), a, b }, { out: tol }, (k, x) =>
            k.binary(op, x.out, view(x.a, l.a[0], l.a[1]), view(x.b, l.b[0], l.b[1]), l.shape));
        });
      }
    }

    const whereLayouts: { name: string; shape: number[]; cond: [number, number[]]; a: [number, number[]]; b: [number, number[]] }[] = [
      { name: 'dense [262147]', shape: [262147], cond: [0, [1]], a: [1, [1]], b: [2, [1]] },
      { name: 'row-broadcast cond, scalar a, column b [500, 600]', shape: [500, 600], cond: [0, [0, 1]], a: [3, [0, 0]], b: [0, [1, 0]] },
      { name: 'transposed a, padded b [129, 300]', shape: [129, 300], cond: [0, [300, 1]], a: [0, [1, 129]], b: [1, [301, 1]] },
      { name: '3-d mixed [7, 63, 65]', shape: [7, 63, 65], cond: [2, [65, 0, 1]], a: [0, [0, 65, 1]], b: [5, [63 * 65, 65, 1]] },
      { name: 'odd [63]', shape: [63], cond: [0, [1]], a: [0, [1]], b: [0, [0]] },
    ];
    for (const l of whereLayouts) {
      test(`where ${l.name}`, () => {
        const rng = rngFor(`where ${l.name}`);
        const cond = new Float32Array(extent(l.shape, l.cond[1], l.cond[0]) + 1);
        const choices = [0, 1, -0, NaN, 2.5, -1, 1e-40]; // NaN and subnormals are non-zero: true
        for (let i = 0; i < cond.length; i++) cond[i] = choices[rng.int(choices.length)];
        const a = sprinkle(rng, normal(rng, extent(l.shape, l.a[1], l.a[0]) + 1));
        const b = sprinkle(rng, normal(rng, extent(l.shape, l.b[1], l.b[0]) + 1));
        conform({ out: new Float32Array(prod(l.shape)), cond, a, b }, { out: BITS }, (k, x) =>
          k.where(x.out, view(x.cond, l.cond[0], l.cond[1]), view(x.a, l.a[0], l.a[1]), view(x.b, l.b[0], l.b[1]), l.shape));
      });
    }
  });

  // ---- reductions ---------------------------------------------------------------------------------

  describe('sum / max / sumSquares', () => {
    const shapes: [number, number, number][] = [
      ...SIZES.map((n): [number, number, number] => [1, n, 1]),
      [1, (1 << 18) * 3 + 5, 1], // several 64K blocks summed in parallel
      [1000, 300, 1],
      [7, 70001, 1],
      [3, 500, 1000],
      [2, 300, 2500], // inner wider than one column tile
      [1, 65, 7],
      [5000, 3, 2],
      [64, 1, 4096],
      [2, 0, 3],
    ];
    for (const [outer, n, inner] of shapes) {
      const label = `[outer ${outer}, n ${n}, inner ${inner}]`;
      test(`sum ${label}`, () => {
        const rng = rngFor(`sum ${label}`);
        const x = normal(rng, outer * n * inner);
        if (outer * inner > 2 && n > 0) {
          x[x.length - 1] = NaN; // poisons the last output
          x[inner] = Infinity; // the first output becomes Infinity
        }
        // Both backends accumulate in double: the slack covers float rounding of long sums.
        conform({ out: new Float32Array(outer * inner).fill(-7), x }, { out: { rtol: 1e-6, atol: 1e-7 * Math.sqrt(n) } }, (k, b) =>
          k.sum(b.out, b.x, outer, n, inner));
      });
      test(`max ${label}`, () => {
        const rng = rngFor(`max ${label}`);
        const x = ints(rng, outer * n * inner, -20, 21).reduce((f, v, i) => ((f[i] = v), f), new Float32Array(outer * n * inner));
        for (let i = 0; i < x.length; i += 997) x[i] = rng.normal() * 30; // continuous values among ties
        if (outer * inner > 2 && x.length > 1000) {
          // A NaN counts as the max: one in the middle of a long stretch and one near the end.
          x[(x.length >> 1) + 3] = NaN;
          x[x.length - 2] = NaN;
          x[7] = Infinity;
          x[8] = -Infinity;
        }
        conform(
          { out: new Float32Array(outer * inner).fill(-7), idx: new Int32Array(outer * inner).fill(-7), x },
          { out: EXACT, idx: EXACT },
          (k, b) => k.max(b.out, b.idx, b.x, outer, n, inner),
        );
      });
    }
    test('max: rows of -Infinity, rows of NaN, first index of ties', () => {
      const [outer, n, inner] = [6, 1000, 1];
      const x = new Float32Array(outer * n).fill(3);
      x.fill(-Infinity, 0, n); // row 0: all -inf, index 0
      x.fill(NaN, n + 500, n + 510); // row 1: first NaN at 500
      x[2 * n + 999] = 4; // row 2: max at the very end
      x[3 * n + 64] = 4; // row 3: ties at 64 and 128
      x[3 * n + 128] = 4;
      x.fill(-0, 4 * n, 5 * n); // row 4: ±0 ties
      x[4 * n + 5] = 0;
      conform({ out: new Float32Array(outer), idx: new Int32Array(outer), x }, { out: EXACT, idx: EXACT }, (k, b) =>
        k.max(b.out, b.idx, b.x, outer, n, inner));
      // The same data as columns (inner > 1): the column path.
      const t = new Float32Array(outer * n);
      for (let r = 0; r < outer; r++) for (let j = 0; j < n; j++) t[j * outer + r] = x[r * n + j];
      conform({ out: new Float32Array(outer), idx: new Int32Array(outer), t }, { out: EXACT, idx: EXACT }, (k, b) =>
        k.max(b.out, b.idx, b.t, 1, n, outer), 'columns');
    });
    test(`sumSquares n ∈ {${SIZES.join(', ')}, 1048579}`, () => {
      checkAll([...SIZES, (1 << 20) + 3], (n) => {
        const rng = rngFor(`sumSquares ${n}`);
        const x = normal(rng, n, 3);
        const want = ref.sumSquares(x, n);
        const got = native!.sumSquares(x, n);
        // Computed in double on both sides: only summation order differs.
        assert.ok(Math.abs(got - want) <= 1e-12 * n * (want / n + 1), `sumSquares n ${n}: native ${got} vs ref ${want}`);
      });
    });
  });

  // ---- softmax family -----------------------------------------------------------------------------

  describe('softmax / logSoftmax / tokenLogprobs', () => {
    const shapes: [number, number][] = [[40, 5000], [3, 65], [1000, 7], [2, 70001], [1, 1], [5, 2048 * 3 + 1], [64, 63]];
    /**
     * Logits with a few distinctive rows: constant, masked (-inf) entries, shifted by +100 (exp would
     * overflow without the max subtraction), one dominant logit. `shift` moves every row.
     */
    const logits = (rng: Rng, rows: number, n: number, shift = 0): Float32Array => {
      const x = normal(rng, rows * n, 5);
      if (rows >= 4) {
        x.fill(1.25, n, 2 * n); // row 1 constant: uniform probabilities
        for (let j = 1; j < n; j += 3) x[2 * n + j] = -Infinity; // row 2 partly masked
        for (let j = 0; j < n; j++) x[3 * n + j] += 100; // row 3 large values
        x[rows * n - 1] = 80; // last row: one dominant logit
      }
      if (shift) for (let i = 0; i < x.length; i++) x[i] += shift;
      return x;
    };
    for (const [rows, n] of shapes) {
      const label = `[rows ${rows}, n ${n}]`;
      test(`softmax + softmaxBackward ${label}`, () => {
        const rng = rngFor(`softmax ${label}`);
        const x = logits(rng, rows, n);
        const y = new Float32Array(rows * n);
        ref.softmax(y, x, rows, n);
        conform({ out: new Float32Array(rows * n), x }, { out: { rtol: 2e-5, atol: 1e-30 } }, (k, b) => k.softmax(b.out, b.x, rows, n));
        const gy = normal(rng, rows * n);
        // gx = y·(gy − dot) cancels where gy ≈ dot: allow for the size of the terms, y·(|gy| + |dot|).
        const terms = perRow(rows, n, (r) => {
          let dot = 0;
          for (let j = 0; j < n; j++) dot += gy[r * n + j] * y[r * n + j];
          return (j) => y[r * n + j] * (Math.abs(gy[r * n + j]) + Math.abs(dot));
        });
        conform({ gx: new Float32Array(rows * n), gy, y }, { gx: { rtol: 1e-5, atol: 1e-30, ulps: 4, terms } }, (k, b) =>
          k.softmaxBackward(b.gx, b.gy, b.y, rows, n), 'backward');
      });
      test(`logSoftmax + logSoftmaxBackward ${label}`, () => {
        const rng = rngFor(`logSoftmax ${label}`);
        const x = logits(rng, rows, n);
        const y = new Float32Array(rows * n);
        ref.logSoftmax(y, x, rows, n);
        // out = (x − max) − log Σ: the rounding of both terms, |out| and log Σ = −max(out).
        const outTerms = perRow(rows, n, (r) => {
          let logSum = 0;
          for (let j = 0; j < n; j++) logSum = Math.max(logSum, -y[r * n + j]);
          return (j) => Math.abs(y[r * n + j]) + logSum;
        });
        conform({ out: new Float32Array(rows * n), x }, { out: { rtol: 1e-6, atol: 1e-6, ulps: 8, terms: outTerms } }, (k, b) =>
          k.logSoftmax(b.out, b.x, rows, n));
        const gy = normal(rng, rows * n);
        // gx = gy − exp(y)·Σgy cancels too.
        const terms = perRow(rows, n, (r) => {
          let sum = 0;
          for (let j = 0; j < n; j++) sum += gy[r * n + j];
          return (j) => Math.abs(gy[r * n + j]) + Math.exp(y[r * n + j]) * Math.abs(sum);
        });
        conform({ gx: new Float32Array(rows * n), gy, y }, { gx: { rtol: 1e-5, atol: 1e-30, ulps: 4, terms } }, (k, b) =>
          k.logSoftmaxBackward(b.gx, b.gy, b.y, rows, n), 'backward');
      });
    }

    test('softmax, logSoftmax, tokenLogprobs [rows 8, n 5000] on logits shifted by 1e4', () => {
      // Shift invariance: the results are those of unshifted logits, to float32 accuracy of the outputs.
      const [rows, n] = [8, 5000];
      const rng = rngFor('softmax family shifted');
      const x = logits(rng, rows, n, 1e4);
      const y = new Float32Array(rows * n);
      ref.logSoftmax(y, x, rows, n);
      const targets = ints(rng, rows, 0, n);
      checkAll(['softmax', 'logSoftmax', 'tokenLogprobs'] as const, (kernel) => {
        if (kernel === 'softmax') {
          conform({ out: new Float32Array(rows * n), x }, { out: { rtol: 2e-5, atol: 1e-30 } }, (k, b) => k.softmax(b.out, b.x, rows, n), kernel);
        } else if (kernel === 'logSoftmax') {
          const terms = perRow(rows, n, (r) => {
            let logSum = 0;
            for (let j = 0; j < n; j++) logSum = Math.max(logSum, -y[r * n + j]);
            return (j) => Math.abs(y[r * n + j]) + logSum;
          });
          conform({ out: new Float32Array(rows * n), x }, { out: { rtol: 1e-6, atol: 1e-6, ulps: 8, terms } }, (k, b) =>
            k.logSoftmax(b.out, b.x, rows, n), kernel);
        } else {
          conform(
            { out: new Float32Array(rows), lse: new Float32Array(rows), x, targets },
            { out: { rtol: 1e-5, atol: 1e-5 }, lse: { rtol: 1e-6 } },
            (k, b) => k.tokenLogprobs(b.out, b.lse, b.x, b.targets, rows, n),
            kernel,
          );
        }
      });
    });

    const tokenShapes: [number, number][] = [[16, 32000], [3, 65], [1000, 7], [2, 70001], [4, 1]];
    for (const [rows, n] of tokenShapes) {
      const label = `[rows ${rows}, vocab ${n}]`;
      test(`tokenLogprobs + tokenLogprobsBackward ${label}, ignored targets`, () => {
        const rng = rngFor(`tokenLogprobs ${label}`);
        const x = logits(rng, rows, n);
        const targets = ints(rng, rows, 0, n);
        targets[0] = n - 1;
        if (rows > 1) targets[1] = -100; // ignore index
        if (rows > 2) targets[rows - 1] = 0;
        if (rows > 5) targets[5] = -1;
        conform(
          { out: new Float32Array(rows).fill(-7), lse: new Float32Array(rows).fill(-7), x, targets },
          { out: { rtol: 1e-5, atol: 1e-5 }, lse: { rtol: 1e-6, atol: 1e-5 } },
          (k, b) => k.tokenLogprobs(b.out, b.lse, b.x, b.targets, rows, n),
        );
        const out = new Float32Array(rows);
        const lse = new Float32Array(rows);
        ref.tokenLogprobs(out, lse, x, targets, rows, n);
        const gout = normal(rng, rows);
        // g = gout·(1[j = t] − p_j) cancels at the target when p_t ≈ 1: terms |gout|·(p_j + 1[j = t]).
        const terms = perRow(rows, n, (r) => (j) =>
          targets[r] < 0 ? 0 : Math.abs(gout[r]) * (Math.exp(x[r * n + j] - lse[r]) + (j === targets[r] ? 1 : 0)));
        conform({ g: new Float32Array(rows * n).fill(-7), gout, x, lse, targets }, { g: { rtol: 3e-5, atol: 1e-30, ulps: 4, terms } }, (k, b) =>
          k.tokenLogprobsBackward(b.g, b.gout, b.x, b.lse, b.targets, rows, n), 'backward');
      });
    }

    test('tokenLogprobs: a row of all -Infinity logits has lse = -Infinity (kernels.ts: logsumexp of the row)', () => {
      // Checked against the contract on both backends rather than native against ref.
      const [rows, n] = [3, 1000];
      const rng = rngFor('tokenLogprobs all -inf');
      const x = normal(rng, rows * n);
      x.fill(-Infinity, n, 2 * n);
      const targets = Int32Array.of(5, -100, 999);
      checkAll([ref, native!], (k) => {
        const out = new Float32Array(rows);
        const lse = new Float32Array(rows);
        k.tokenLogprobs(out, lse, x, targets, rows, n);
        assert.ok(lse[1] === -Infinity && out[1] === 0, `${k.name}: row of -Infinity gives lse ${lse[1]}, out ${out[1]}; want -Infinity and 0`);
      });
    });
  });

  // ---- fused layers -------------------------------------------------------------------------------

  describe('rmsnorm / swiglu / rope', () => {
    for (const [rows, n] of [[64, 4096], [3, 65], [1000, 7], [1, 70001], [2, 1], [33, 63]]) {
      const label = `[rows ${rows}, n ${n}]`;
      test(`rmsnorm + rmsnormBackward ${label} (gw accumulates)`, () => {
        const rng = rngFor(`rmsnorm ${label}`);
        const x = normal(rng, rows * n, 2);
        if (rows > 2) {
          x.fill(0, 0, n); // an all-zero row: rstd = 1/sqrt(eps)
          for (let j = 0; j < n; j++) x[n + j] *= 1000;
        }
        const w = normal(rng, n);
        const eps = 1e-5;
        conform(
          { out: new Float32Array(rows * n), rstd: new Float32Array(rows), x, w },
          { out: { rtol: 1e-5, atol: 1e-6 }, rstd: { rtol: 1e-6 } },
          (k, b) => k.rmsnorm(b.out, b.rstd, b.x, b.w, rows, n, eps),
        );
        const out = new Float32Array(rows * n);
        const rstd = new Float32Array(rows);
        ref.rmsnorm(out, rstd, x, w, rows, n, eps);
        const gy = normal(rng, rows * n);
        const gw0 = normal(rng, n);
        // gx = gy·w·rs − x·rs³·Σ(gy·w·x)/n cancels (completely when n = 1): allow for the size of both terms.
        // gw = gw0 + Σ_rows gy·x·rs accumulates in float32: allow for the sum of magnitudes.
        const gxTerms = perRow(rows, n, (r) => {
          let dot = 0;
          for (let j = 0; j < n; j++) dot += Math.abs(gy[r * n + j] * w[j] * x[r * n + j]);
          const c = (rstd[r] ** 3 * dot) / n;
          return (j) => Math.abs(gy[r * n + j] * w[j] * rstd[r]) + Math.abs(x[r * n + j]) * c;
        });
        const gwTerms = Float64Array.from(gw0, (g, j) => {
          let s = Math.abs(g);
          for (let r = 0; r < rows; r++) s += Math.abs(gy[r * n + j] * x[r * n + j] * rstd[r]);
          return s;
        });
        conform(
          { gx: new Float32Array(rows * n).fill(-7), gw: gw0, gy, x, w, rstd },
          { gx: { rtol: 1e-5, atol: 1e-30, ulps: 8, terms: gxTerms }, gw: { rtol: 1e-5, atol: 1e-30, ulps: 8, terms: gwTerms } },
          (k, b) => k.rmsnormBackward(b.gx, b.gw, b.gy, b.x, b.w, b.rstd, rows, n),
          'backward',
        );
      });
    }

    test(`swiglu + swigluBackward, n ∈ {${SIZES.join(', ')}}`, () => {
      checkAll(SIZES, (n) => {
        const rng = rngFor(`swiglu ${n}`);
        const gate = sprinkle(rng, normal(rng, n, 4), [0, -0, NaN, 100, -100, 30, -30, 1e4, -1e4]);
        const up = normal(rng, n);
        conform({ out: new Float32Array(n), gate, up }, { out: { rtol: 2e-5, atol: 1e-30 } }, (k, b) => k.swiglu(b.out, b.gate, b.up, n), `n ${n}`);
        const gy = normal(rng, n);
        conform(
          { ggate: new Float32Array(n), gup: new Float32Array(n), gy, gate, up },
          { ggate: { rtol: 2e-5, atol: 1e-6 }, gup: { rtol: 2e-5, atol: 1e-30 } },
          (k, b) => k.swigluBackward(b.ggate, b.gup, b.gy, b.gate, b.up, n),
          `backward n ${n}`,
        );
      });
    });

    /** Real rotary tables [P, D/2] (θ = p · 10000^(−2i/D)). */
    const tables = (P: number, D: number): { cos: Float32Array; sin: Float32Array } => {
      const half = D / 2;
      const cos = new Float32Array(P * half);
      const sin = new Float32Array(P * half);
      for (let p = 0; p < P; p++) {
        for (let i = 0; i < half; i++) {
          const th = p * 10000 ** (-2 * i / D);
          cos[p * half + i] = Math.cos(th);
          sin[p * half + i] = Math.sin(th);
        }
      }
      return { cos, sin };
    };
    for (const [S, H, D] of [[512, 16, 128], [4096, 8, 16], [7, 3, 6], [65, 1, 2], [1, 1, 64]]) {
      for (const interleaved of [false, true]) {
        for (const inverse of [false, true]) {
          for (const inPlace of [false, true]) {
            const label = `S ${S}, H ${H}, D ${D}, ${interleaved ? 'interleaved' : 'half-split'}${inverse ? ', inverse' : ''}${inPlace ? ', in place' : ''}`;
            test(`rope ${label}`, () => {
              const rng = rngFor(`rope ${label}`);
              const P = 1024;
              const { cos, sin } = tables(P, D);
              const pos = ints(rng, S, 0, P);
              pos[0] = P - 1;
              if (S > 2) pos[1] = pos[2]; // repeated positions
              const x = normal(rng, S * H * D);
              if (inPlace) {
                conform({ x, cos, sin, pos }, { x: { rtol: 1e-6, atol: 1e-6 } }, (k, b) =>
                  k.rope(b.x, b.x, b.cos, b.sin, b.pos, S, H, D, interleaved, inverse));
              } else {
                conform({ out: new Float32Array(S * H * D), x, cos, sin, pos }, { out: { rtol: 1e-6, atol: 1e-6 } }, (k, b) =>
                  k.rope(b.out, b.x, b.cos, b.sin, b.pos, S, H, D, interleaved, inverse));
              }
            });
          }
        }
      }
    }
  });

  // ---- indexing -----------------------------------------------------------------------------------

  describe('indexSelect / indexAdd / gather / scatterAdd / topk', () => {
    // [outer, n, inner, m]; the last ones pile many indices onto few rows.
    const shapes: [number, number, number, number][] = [
      [1, 5000, 256, 3000], [4, 100, 33, 250], [300, 1000, 1, 7], [1, 7, 1, 65], [2, 65, 63, 1], [1, 10, 64, 20000], [3, 5, 300, 4000],
    ];
    /** m indices in [0, n) with repeats, hitting both ends. */
    const indices = (rng: Rng, count: number, n: number): Int32Array => {
      const idx = ints(rng, count, 0, n);
      idx[0] = n - 1;
      if (count > 1) idx[count - 1] = 0;
      if (count > 3) idx[2] = idx[1];
      return idx;
    };
    // Repeated indices accumulate in float32, possibly in another order: slack grows with the sums.
    const ACCUM: Tol = { rtol: 1e-5, rms: 1e-6 };
    for (const [outer, n, inner, m] of shapes) {
      const label = `[outer ${outer}, n ${n}, inner ${inner}, m ${m}]`;
      test(`indexSelect + indexAdd ${label}`, () => {
        const rng = rngFor(`indexSelect ${label}`);
        const idx = indices(rng, m, n);
        const x = normal(rng, outer * n * inner);
        conform({ out: new Float32Array(outer * m * inner).fill(-7), x, idx }, { out: BITS }, (k, b) =>
          k.indexSelect(b.out, b.x, b.idx, outer, n, inner, m));
        const src = normal(rng, outer * m * inner);
        conform({ out: normal(rng, outer * n * inner), src, idx }, { out: ACCUM }, (k, b) =>
          k.indexAdd(b.out, b.src, b.idx, outer, n, inner, m), 'indexAdd');
      });
      test(`indexCopy ${label}`, () => {
        if (m > n) return; // indexCopy takes distinct rows
        const rng = rngFor(`indexCopy ${label}`);
        // m distinct rows of n, in a shuffled order that hits both ends.
        const order = Int32Array.from({ length: n }, (_, i) => i);
        for (let i = n - 1; i > 0; i--) {
          const j = ints(rng, 1, 0, i + 1)[0]!;
          [order[i], order[j]] = [order[j]!, order[i]!];
        }
        const idx = order.slice(0, m);
        const src = normal(rng, outer * m * inner);
        conform({ out: normal(rng, outer * n * inner), src, idx }, { out: BITS }, (k, b) =>
          k.indexCopy(b.out, b.src, b.idx, outer, n, inner, m), 'indexCopy');
      });
      test(`gather + scatterAdd ${label}`, () => {
        const rng = rngFor(`gather ${label}`);
        const idx = indices(rng, outer * m * inner, n);
        const x = normal(rng, outer * n * inner);
        conform({ out: new Float32Array(outer * m * inner).fill(-7), x, idx }, { out: BITS }, (k, b) =>
          k.gather(b.out, b.x, b.idx, outer, n, inner, m));
        const src = normal(rng, outer * m * inner);
        conform({ out: normal(rng, outer * n * inner), src, idx }, { out: ACCUM }, (k, b) =>
          k.scatterAdd(b.out, b.src, b.idx, outer, n, inner, m), 'scatterAdd');
      });
    }
    test('gather one logit per row [outer 64, n 32000, inner 1, m 1]', () => {
      const rng = rngFor('gather logits');
      const [outer, n] = [64, 32000];
      const x = normal(rng, outer * n);
      const idx = indices(rng, outer, n);
      conform({ out: new Float32Array(outer), x, idx }, { out: BITS }, (k, b) => k.gather(b.out, b.x, b.idx, outer, n, 1, 1));
    });

    // [rows, n, k]: heap selection (k ≪ n) and full selection (k a large fraction of n).
    const topkCases: [number, number, number][] = [
      [4, 50000, 1], [4, 50000, 8], [4, 50000, 64], [2, 50000, 5000], [1000, 65, 63], [3, 7, 7], [5, 1000, 0], [2, 70001, 9],
    ];
    for (const [rows, n, k] of topkCases) {
      for (const data of ['continuous', 'ties'] as const) {
        const label = `[rows ${rows}, n ${n}, k ${k}] ${data}`;
        test(`topk ${label}`, () => {
          const rng = rngFor(`topk ${label}`);
          const x = data === 'ties' ? ints(rng, rows * n, -50, 51).reduce((f, v, i) => ((f[i] = v), f), new Float32Array(rows * n)) : normal(rng, rows * n);
          if (n > 100) {
            // Row 0: a NaN (ranks first) and ±Infinity; row 1 (if any): constant, so ties decide everything.
            x[n >> 1] = NaN;
            x[n - 1] = Infinity;
            x[3] = -Infinity;
            if (rows > 1) x.fill(2, n, 2 * n);
          }
          conform(
            { values: new Float32Array(rows * k).fill(-7), indices: new Int32Array(rows * k).fill(-7), x },
            { values: EXACT, indices: EXACT },
            (kern, b) => kern.topk(b.values, b.indices, b.x, rows, n, k),
          );
        });
      }
    }
  });

  // ---- gemm ---------------------------------------------------------------------------------------

  describe('gemm', () => {
    interface GemmCase {
      readonly M: number;
      readonly N: number;
      readonly K: number;
      readonly transA: boolean;
      readonly transB: boolean;
      readonly alpha?: number;
      readonly beta?: number;
      readonly batch?: number;
      /** 'A' or 'B': that operand is shared by every batch item (batch stride 0). */
      readonly shared?: 'A' | 'B';
      readonly bDtype?: 'float' | HalfDtype;
      /** Offsets and leading dimensions wider than the rows. */
      readonly padded?: boolean;
    }
    type GemmBufs = { a: Float32Array; b: Float32Array | Uint16Array; c: Float32Array };
    interface GemmSetup {
      readonly bufs: GemmBufs;
      readonly args: (b: GemmBufs) => GemmArgs;
      readonly want: GemmBufs;
    }
    const dims = [1, 17, 64, 129, 300, 513];
    const cases: GemmCase[] = [];
    // Two Latin squares over dims: every size in every role, with all four transpose combinations.
    dims.forEach((_, i) => {
      for (const [M, N, K] of [[dims[i], dims[(i + 1) % 6], dims[(i + 2) % 6]], [dims[i], dims[(i + 3) % 6], dims[(i + 5) % 6]]]) {
        for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]]) {
          cases.push({ M, N, K, transA, transB, alpha: 1, beta: 0 });
        }
      }
    });
    cases.push(
      { M: 513, N: 513, K: 129, transA: false, transB: true },
      { M: 300, N: 300, K: 300, transA: true, transB: false, alpha: 0.5, beta: 1 },
      { M: 64, N: 64, K: 64, transA: false, transB: false },
      { M: 1, N: 1, K: 1, transA: false, transB: false, alpha: 2, beta: -1 },
      // Skinny products (M ≤ 16 take the addon's own streaming kernel, four rows at a time) and the
      // first size past them.
      { M: 4, N: 513, K: 300, transA: false, transB: true },
      { M: 3, N: 129, K: 513, transA: true, transB: false, alpha: -1.25, beta: 0.75 },
      { M: 5, N: 300, K: 129, transA: false, transB: false },
      { M: 7, N: 129, K: 300, transA: false, transB: true, alpha: 0.5, beta: 1 },
      { M: 6, N: 65, K: 129, transA: true, transB: false },
      { M: 8, N: 300, K: 64, transA: true, transB: true, beta: -0.5 },
      { M: 9, N: 129, K: 300, transA: false, transB: true },
      { M: 13, N: 77, K: 129, transA: true, transB: true, alpha: 0.5, beta: 1 },
      { M: 16, N: 300, K: 64, transA: false, transB: false },
      { M: 17, N: 129, K: 300, transA: false, transB: true },
      // Row blocks of a transposed B (up to 12 rows at once for one row of A) with a remainder.
      { M: 1, N: 301, K: 129, transA: false, transB: true, beta: 0.5 },
      { M: 2, N: 77, K: 300, transA: true, transB: true },
      // alpha and beta, beta = 0 with NaN already in C (must not be read), the trivial paths.
      { M: 129, N: 65, K: 300, transA: false, transB: false, alpha: -1.25, beta: 0.75 },
      { M: 129, N: 65, K: 300, transA: true, transB: true, alpha: 0.5, beta: 0 },
      { M: 17, N: 300, K: 64, transA: false, transB: true, alpha: 0, beta: 0.5 },
      { M: 17, N: 300, K: 0, transA: false, transB: false, alpha: 1, beta: 2 },
      // Batches: one shared operand (stride 0), or all strided; offsets and wide leading dimensions.
      { M: 129, N: 64, K: 300, transA: false, transB: false, batch: 3, shared: 'A', beta: 0.5 },
      { M: 64, N: 129, K: 300, transA: false, transB: true, batch: 3, shared: 'B' },
      { M: 1, N: 300, K: 129, transA: false, transB: true, batch: 4, shared: 'B', beta: 1 },
      { M: 65, N: 63, K: 129, transA: true, transB: false, batch: 4, padded: true, alpha: 1.5, beta: -0.5 },
      { M: 300, N: 17, K: 513, transA: false, transB: true, padded: true },
      { M: 2, N: 129, K: 64, transA: true, transB: true, padded: true, beta: 1 },
    );
    // Half-precision weights, in the layouts a model uses (x · Wᵀ with W [N, K]) and the others.
    for (const bDtype of ['bfloat16', 'float16'] as const) {
      cases.push(
        { M: 1, N: 513, K: 300, transA: false, transB: true, bDtype }, // decode
        { M: 3, N: 129, K: 513, transA: false, transB: false, bDtype },
        { M: 12, N: 129, K: 300, transA: false, transB: true, bDtype }, // a busy expert while decoding
        { M: 129, N: 300, K: 513, transA: false, transB: true, bDtype },
        { M: 300, N: 129, K: 64, transA: true, transB: false, bDtype, alpha: 0.5, beta: 1 },
        { M: 64, N: 65, K: 129, transA: false, transB: true, bDtype, batch: 3, shared: 'B', padded: true, beta: 0.25 },
        { M: 17, N: 513, K: 129, transA: true, transB: true, bDtype, padded: true },
      );
    }

    const nat = (): Kernels & NativeExtras => native!;
    const engines: { name: string; run: (g: GemmArgs) => void; available: () => boolean }[] = [
      { name: 'gemm', run: (g) => nat().gemm(g), available: () => true },
      { name: 'ownGemm', run: (g) => nat().ownGemm(g), available: () => true },
      { name: 'blasGemm', run: (g) => nat().blasGemm(g), available: () => nat().info().blas !== 'none' },
    ];

    for (const c of cases) {
      const { M, N, K, transA, transB, alpha = 1, beta = 0, batch = 1, shared, bDtype = 'float', padded = false } = c;
      const label =
        `M ${M}, N ${N}, K ${K}${transA ? ', Aᵀ' : ''}${transB ? ', Bᵀ' : ''}, α ${alpha}, β ${beta}` +
        `${batch > 1 ? `, batch ${batch}${shared ? ` (shared ${shared})` : ''}` : ''}${bDtype !== 'float' ? `, B ${bDtype}` : ''}${padded ? ', padded' : ''}`;
      // Built lazily and shared by the engines: the ref product is the slow part.
      let setup: GemmSetup | null = null;
      const prepare = (): GemmSetup => {
        if (setup) return setup;
        const rng = rngFor(`gemm ${label}`);
        const pad = padded ? 3 : 0;
        const [aRows, aCols] = transA ? [K, M] : [M, K];
        const [bRows, bCols] = transB ? [N, K] : [K, N];
        const lda = aCols + pad;
        const ldb = bCols + pad;
        const ldc = N + pad;
        const aOffset = padded ? 5 : 0;
        const bOffset = padded ? 7 : 0;
        const cOffset = padded ? 2 : 0;
        const strideA = shared === 'A' ? 0 : aRows * lda + pad;
        const strideB = shared === 'B' ? 0 : bRows * ldb + pad;
        const strideC = M * ldc + pad;
        const a = normal(rng, aOffset + (batch - 1) * strideA + aRows * lda + pad);
        const bFloat = normal(rng, bOffset + (batch - 1) * strideB + bRows * ldb + pad);
        let b: Float32Array | Uint16Array = bFloat;
        if (bDtype !== 'float') {
          b = new Uint16Array(bFloat.length);
          ref.floatToHalf(b, bFloat, bDtype, bFloat.length);
        }
        // beta = 0: C holds NaN, which must not leak into the product (BLAS semantics, as ref does).
        const cLen = cOffset + (batch - 1) * strideC + M * ldc + pad;
        const cInit = beta === 0 ? new Float32Array(cLen).fill(NaN) : normal(rng, cLen);
        const args = (x: GemmBufs): GemmArgs => ({
          transA, transB, M, N, K, alpha, beta, a: x.a, aOffset, lda, strideA, b: x.b, bDtype, bOffset, ldb, strideB,
          c: x.c, cOffset, ldc, strideC, batch,
        });
        const bufs: GemmBufs = { a, b, c: cInit };
        const want = runOn(bufs, (x) => ref.gemm(args(x)));
        setup = { bufs, args, want };
        return setup;
      };
      // float32 products of K terms: rounding grows like √K times the size of the result (√K·|α| + |β|).
      const tol: Tol = { rtol: 1e-5, atol: 5e-7 * Math.sqrt(Math.max(K, 1)) * (Math.abs(alpha) * Math.sqrt(K) + Math.abs(beta)) + 1e-30 };
      for (const engine of engines) {
        test(`${engine.name} ${label}`, (t) => {
          if (!engine.available()) {
            t.diagnostic(`${engine.name}: the addon was built without a BLAS`);
            return;
          }
          const { bufs, args, want } = prepare();
          const got = runOn(bufs, (x) => engine.run(args(x)));
          expectBufs('', bufs, got, want, { c: tol });
        });
      }
    }
  });

  // ---- attention ----------------------------------------------------------------------------------

  describe('attention / attentionBackward', () => {
    interface AttnCase extends Pick<AttentionArgs, 'B' | 'H' | 'Hk' | 'Tq' | 'Tk' | 'D' | 'Dv' | 'causal'> {
      readonly name: string;
      /** none; `rows`: a strided [B, 1, Tq, Tk] mask with -Infinity holes and one fully hidden row;
       *  `keys`: key padding [B, 1, 1, Tk]; `bias`: finite per-head bias [1, H, Tq, Tk] with holes. */
      readonly mask?: 'rows' | 'keys' | 'bias';
    }
    const base = { B: 2, H: 4, Hk: 2, Tq: 200, Tk: 200, D: 64, Dv: 48 };
    const cases: AttnCase[] = [
      { name: 'GQA', ...base, causal: false },
      { name: 'GQA causal', ...base, causal: true },
      { name: 'GQA causal + strided mask with a fully masked row', ...base, causal: true, mask: 'rows' },
      { name: 'GQA + strided mask with a fully masked row', ...base, causal: false, mask: 'rows' },
      { name: 'GQA + key padding', ...base, causal: false, mask: 'keys' },
      { name: 'decode', ...base, Tq: 1, Tk: 300, causal: false },
      { name: 'decode causal + key padding', ...base, Tq: 1, Tk: 300, causal: true, mask: 'keys' },
      { name: 'chunked prefill (Tq < Tk) causal', ...base, Tq: 64, Tk: 200, causal: true, mask: 'bias' },
      { name: 'Tq > Tk causal: the first rows see no key', ...base, Tq: 150, Tk: 100, causal: true },
      { name: 'one kv head (backward splits key/query blocks)', B: 1, H: 2, Hk: 1, Tq: 200, Tk: 200, D: 64, Dv: 48, causal: true },
      { name: 'odd sizes, per-head bias', B: 1, H: 3, Hk: 3, Tq: 65, Tk: 129, D: 17, Dv: 5, causal: false, mask: 'bias' },
      { name: 'MQA, D 128', B: 1, H: 8, Hk: 1, Tq: 33, Tk: 33, D: 128, Dv: 128, causal: true },
    ];
    for (const c of cases) {
      const { B, H, Hk, Tq, Tk, D, Dv, causal } = c;
      const label = `${c.name} [B ${B}, H ${H}, Hk ${Hk}, Tq ${Tq}, Tk ${Tk}, D ${D}, Dv ${Dv}]`;
      test(`attention + attentionBackward ${label}`, () => {
        const rng = rngFor(`attention ${label}`);
        // The mask as data (a buffer every backend gets its own copy of) plus its offset and strides.
        let maskData: Float32Array = new Float32Array(0);
        let maskView: { offset: number; strides: number[] } | null = null;
        if (c.mask === 'rows') {
          const pitch = Tk + 3;
          maskData = new Float32Array(2 + B * Tq * pitch);
          for (let i = 0; i < maskData.length; i++) maskData[i] = rng.uniform() < 0.1 ? -Infinity : 0;
          const hidden = 2 + (B - 1) * Tq * pitch + Math.min(17, Tq - 1) * pitch;
          maskData.fill(-Infinity, hidden, hidden + Tk); // the last batch item's row 17 sees nothing
          maskView = { offset: 2, strides: [Tq * pitch, 0, pitch, 1] };
        } else if (c.mask === 'keys') {
          maskData = new Float32Array(B * Tk);
          maskData.fill(-Infinity, B * Tk - 30); // the last batch item's last 30 keys are padding
          maskView = { offset: 0, strides: [Tk, 0, 0, 1] };
        } else if (c.mask === 'bias') {
          maskData = normal(rng, H * Tq * Tk);
          for (let i = 0; i < maskData.length; i += 7) maskData[i] = -Infinity;
          maskView = { offset: 0, strides: [0, Tq * Tk, Tk, 1] };
        }
        const argsWith = (data: Float32Array): AttentionArgs => ({
          B, H, Hk, Tq, Tk, D, Dv, scale: 1 / Math.sqrt(D), causal, mask: maskView ? { data, ...maskView } : null,
        });
        const q = normal(rng, B * H * Tq * D);
        const k = normal(rng, B * Hk * Tk * D);
        const v = normal(rng, B * Hk * Tk * Dv);
        conform(
          { out: new Float32Array(B * H * Tq * Dv).fill(-7), lse: new Float32Array(B * H * Tq).fill(-7), q, k, v, mask: maskData },
          { out: { rtol: 1e-4, atol: 2e-6 }, lse: { rtol: 1e-5, atol: 1e-5 } },
          (kern, b) => kern.attention(b.out, b.lse, b.q, b.k, b.v, argsWith(b.mask)),
        );
        const out = new Float32Array(B * H * Tq * Dv);
        const lse = new Float32Array(B * H * Tq);
        ref.attention(out, lse, q, k, v, argsWith(maskData));
        const gout = normal(rng, B * H * Tq * Dv);
        // Gradients sum over keys (gq) or over the queries of every head in the group (gk, gv).
        const g: Tol = { rtol: 1e-4, rms: 2e-5 };
        conform(
          {
            gq: new Float32Array(q.length).fill(-7), gk: new Float32Array(k.length).fill(-7), gv: new Float32Array(v.length).fill(-7),
            gout, q, k, v, out, lse, mask: maskData,
          },
          { gq: g, gk: g, gv: g },
          (kern, b) => kern.attentionBackward(b.gq, b.gk, b.gv, b.gout, b.q, b.k, b.v, b.out, b.lse, argsWith(b.mask)),
          'backward',
        );
      });
    }
  });

  // ---- optimizer ----------------------------------------------------------------------------------

  describe('adamw', () => {
    const cases: { n: number; steps: number; first: number; args: Omit<AdamWArgs, 'step'> }[] = [
      { n: 100003, steps: 5, first: 1, args: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 } },
      { n: 70001, steps: 3, first: 1000, args: { lr: 0.1, beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1 } },
      { n: 65, steps: 4, first: 1, args: { lr: 3e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 } },
      { n: 7, steps: 2, first: 2, args: { lr: 1e-2, beta1: 0.5, beta2: 0.5, eps: 1e-8, weightDecay: 1 } },
    ];
    for (const { n, steps, first, args } of cases) {
      const label = `n ${n}, ${steps} steps from step ${first}, lr ${args.lr}, wd ${args.weightDecay}`;
      test(`adamw ${label}`, () => {
        const rng = rngFor(`adamw ${label}`);
        const grads = normal(rng, n * steps);
        for (let i = 0; i < grads.length; i += 11) grads[i] = 0;
        for (let i = 5; i < grads.length; i += 101) grads[i] *= 1e4;
        for (let i = 7; i < grads.length; i += 103) grads[i] *= 1e-20;
        conform(
          { param: normal(rng, n), m: new Float32Array(n), v: new Float32Array(n), grads },
          { param: { rtol: 2e-6, atol: 1e-7 }, m: { rtol: 1e-6, atol: 1e-30 }, v: { rtol: 1e-6, atol: 1e-37 } },
          (k, b) => {
            for (let s = 0; s < steps; s++) k.adamw(b.param, b.grads.subarray(s * n, (s + 1) * n), b.m, b.v, n, { ...args, step: first + s });
          },
        );
      });
    }
  });
}

// The native tests exist only where the addon loads; R1TS_REQUIRE_NATIVE=1 makes its absence an error
// (availableBackends throws, so this file fails instead of passing with nothing run).
if (availableBackends().includes('native')) {
  native = loadNativeKernels();
  if (!native) throw new Error('the native backend loaded for availableBackends() but loadNativeKernels() returned null');
  conformanceSuite();
}
