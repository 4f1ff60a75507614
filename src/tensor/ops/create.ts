// Creating tensors: from values, constants, seeded random values, and dtype conversions.

import { kernelsFor, record } from '../autograd.js';
import type { HalfDtype } from '../backend/kernels.js';
import type { DType, FloatDtype } from '../dtype.js';
import { isHalf } from '../dtype.js';
import { TensorError } from '../errors.js';
import type { Rng } from '../random.js';
import type { Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { dense, empty, fromArray } from '../tensor.js';
import { contiguous } from './views.js';

export interface CreateOptions {
  readonly dtype?: DType;
  readonly requiresGrad?: boolean;
}

function finish(t: Tensor, opts: CreateOptions): Tensor {
  if (opts.requiresGrad) t.requiresGrad = true;
  return t;
}

/** A tensor of the given values (a flat array) and shape. */
export function tensor(values: ArrayLike<number>, shape: Shape, opts: CreateOptions = {}): Tensor {
  return finish(fromArray(values, shape, opts.dtype ?? 'float32'), opts);
}

export function zeros(shape: Shape, opts: CreateOptions = {}): Tensor {
  return finish(empty(shape, opts.dtype ?? 'float32'), opts);
}

export function full(shape: Shape, value: number, opts: { dtype?: FloatDtype; requiresGrad?: boolean } = {}): Tensor {
  const t = empty(shape, opts.dtype ?? 'float32');
  kernelsFor(t).fill(dense(t), value, 0, t.size);
  return finish(t, opts);
}

export const ones = (shape: Shape, opts: { dtype?: FloatDtype; requiresGrad?: boolean } = {}): Tensor => full(shape, 1, opts);

/** Normal(mean, std) values from a seeded generator. */
export function randn(shape: Shape, rng: Rng, opts: { std?: number; mean?: number; dtype?: FloatDtype; requiresGrad?: boolean } = {}): Tensor {
  const t = empty(shape, opts.dtype ?? 'float32');
  const d = dense(t);
  const std = opts.std ?? 1;
  const mean = opts.mean ?? 0;
  for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal();
  return finish(t, opts);
}

/** Uniform values in [lo, hi) from a seeded generator. */
export function rand(shape: Shape, rng: Rng, opts: { lo?: number; hi?: number; dtype?: FloatDtype; requiresGrad?: boolean } = {}): Tensor {
  const t = empty(shape, opts.dtype ?? 'float32');
  const d = dense(t);
  const lo = opts.lo ?? 0;
  const hi = opts.hi ?? 1;
  for (let i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * rng.uniform();
  return finish(t, opts);
}

/** A float32 copy of a bfloat16/float16 (or float64) tensor; float32 returns itself. */
export function toFloat32(t: Tensor): Tensor {
  if (t.dtype === 'float32') return t;
  const c = contiguous(t);
  const out = empty(t.shape, 'float32', false);
  if (isHalf(t.dtype)) kernelsFor(out).halfToFloat(dense(out), (c.data as Uint16Array).subarray(c.offset, c.offset + t.size), t.dtype, t.size);
  else dense(out).set(dense(c));
  c.dispose();
  return out;
}

/** A float64 copy (ref backend only; for finite-difference checks). */
export function toFloat64(t: Tensor): Tensor {
  const f = toFloat32(t);
  const out = empty(t.shape, 'float64', false);
  const c = contiguous(f);
  dense(out).set(dense(c));
  c.dispose();
  if (f !== t) f.dispose();
  return record(out, 'toFloat64', [t], [], (g) => [toFloat32(g)]);
}

/** Rounds a float tensor to bfloat16 or float16 storage (half the memory; matmul reads it). */
export function toHalf(t: Tensor, dtype: HalfDtype): Tensor {
  if (isHalf(t.dtype)) throw new TensorError('toHalf', `tensor is already ${t.dtype}`);
  const f = t.dtype === 'float32' ? t : toFloat32(t);
  const c = contiguous(f);
  const out = empty(t.shape, dtype, false);
  kernelsFor(c).floatToHalf(out.data as Uint16Array, dense(c), dtype, t.size);
  c.dispose();
  if (f !== t) f.dispose();
  return out;
}
