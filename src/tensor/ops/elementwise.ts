// Elementwise ops with NumPy broadcasting. Unary ops have their own backward kernel; binary ops'
// gradients are built from other ops and summed back to each input's shape.

import { kernelsFor, record } from '../autograd.js';
import type { BinaryOp, UnaryOp } from '../backend/kernels.js';
import { computeDtype } from '../dtype.js';
import { TensorError } from '../errors.js';
import { broadcastShapes, broadcastStrides, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { dense, empty, view } from '../tensor.js';
import { contiguous, strided, sumTo } from './views.js';

/** A one-element tensor holding a scalar operand. */
function scalar(v: number, like: Tensor): Tensor {
  const t = empty([], like.dtype === 'float64' ? 'float64' : 'float32', false);
  dense(t)[0] = v;
  return t;
}

function unaryOp(op: UnaryOp, x: Tensor, alpha = 0, beta = 0): Tensor {
  const dtype = computeDtype(op, x);
  const xc = contiguous(x);
  const out = empty(x.shape, dtype, false);
  const k = kernelsFor(x);
  k.unary(op, dense(out), dense(xc), x.size, alpha, beta);
  return record(out, op, [x], [xc, out], (g) => {
    const gc = contiguous(g);
    const gx = empty(x.shape, dtype, false);
    k.unaryBackward(op, dense(gx), dense(gc), dense(xc), dense(out), x.size, alpha, beta);
    gc.dispose();
    return [gx];
  });
}

export const neg = (x: Tensor): Tensor => unaryOp('neg', x);
export const exp = (x: Tensor): Tensor => unaryOp('exp', x);
export const log = (x: Tensor): Tensor => unaryOp('log', x);
export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x);
export const rsqrt = (x: Tensor): Tensor => unaryOp('rsqrt', x);
export const abs = (x: Tensor): Tensor => unaryOp('abs', x);
export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x);
export const silu = (x: Tensor): Tensor => unaryOp('silu', x);
export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x);
export const relu = (x: Tensor): Tensor => unaryOp('relu', x);
export const square = (x: Tensor): Tensor => unaryOp('square', x);
/** min(max(x, lo), hi); pass ±Infinity for a one-sided clamp. */
export const clamp = (x: Tensor, lo: number, hi: number): Tensor => unaryOp('clamp', x, lo, hi);
/** a·x + b. */
export const affine = (x: Tensor, a: number, b: number): Tensor => unaryOp('affine', x, a, b);

function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const dtype = computeDtype(op, a, b);
  if (sameShape(a.shape, b.shape)) {
    const out = empty(a.shape, dtype, false);
    kernelsFor(a, b).binary(op, dense(out), strided(a), strided(b), a.shape);
    return out;
  }
  const shape = broadcastShapes(op, a.shape, b.shape);
  const out = empty(shape, dtype, false);
  kernelsFor(a, b).binary(op, dense(out), strided(a, broadcastStrides(a.shape, a.strides, shape)), strided(b, broadcastStrides(b.shape, b.strides, shape)), shape);
  return out;
}

type Operand = Tensor | number;

function binaryOp(op: BinaryOp, a: Operand, b: Operand, grads: (g: Tensor, a: Tensor, b: Tensor, out: Tensor) => [Tensor | null, Tensor | null]): Tensor {
  if (typeof a === 'number' && typeof b === 'number') throw new TensorError(op, 'needs at least one tensor operand');
  const ta = typeof a === 'number' ? scalar(a, b as Tensor) : a;
  const tb = typeof b === 'number' ? scalar(b, ta) : b;
  const out = binaryRaw(op, ta, tb);
  return record(out, op, [ta, tb], [ta, tb, out], (g) => {
    const [ga, gb] = grads(g, ta, tb, out);
    return [ga && reduceTo(ga, ta), gb && reduceTo(gb, tb)];
  });
}

/** Sums a broadcast gradient back to the input's shape, disposing the intermediate. */
function reduceTo(g: Tensor, input: Tensor): Tensor {
  const r = sumTo(g, input.shape);
  g.dispose();
  return r;
}

export const add = (a: Operand, b: Operand): Tensor => binaryOp('add', a, b, (g) => [viewOf(g), viewOf(g)]);
export const sub = (a: Operand, b: Operand): Tensor => binaryOp('sub', a, b, (g) => [viewOf(g), neg(g)]);
export const mul = (a: Operand, b: Operand): Tensor => binaryOp('mul', a, b, (g, x, y) => [binaryRaw('mul', g, y), binaryRaw('mul', g, x)]);
export const div = (a: Operand, b: Operand): Tensor =>
  binaryOp('div', a, b, (g, _x, y, out) => {
    const ga = binaryRaw('div', g, y);
    const t = binaryRaw('mul', ga, out);
    const gb = neg(t);
    t.dispose();
    return [ga, gb];
  });

/** x^p elementwise; a number exponent uses the fused unary kernel. */
export function pow(x: Tensor, p: Operand): Tensor {
  if (typeof p === 'number') return unaryOp('pow', x, p);
  return binaryOp('pow', x, p, (g, a, b, out) => {
    // d/da a^b = b·a^(b−1) = b·out/a;  d/db a^b = out·ln a.
    const bOut = binaryRaw('mul', b, out);
    const ratio = binaryRaw('div', bOut, a);
    const ga = binaryRaw('mul', g, ratio);
    const la = log(a);
    const gOut = binaryRaw('mul', g, out);
    const gb = binaryRaw('mul', gOut, la);
    for (const t of [bOut, ratio, la, gOut]) t.dispose();
    return [ga, gb];
  });
}

/** Ties send half the gradient to each side, as PyTorch does. */
function minMax(op: 'maximum' | 'minimum', a: Operand, b: Operand): Tensor {
  return binaryOp(op, a, b, (g, x, y) => {
    const wins = binaryRaw(op === 'maximum' ? 'gt' : 'lt', x, y);
    const ties = binaryRaw('eq', x, y);
    const half = affine(ties, 0.5, 0);
    const wa = binaryRaw('add', wins, half);
    const wb = affine(wa, -1, 1);
    const ga = binaryRaw('mul', g, wa);
    const gb = binaryRaw('mul', g, wb);
    for (const t of [wins, ties, half, wa, wb]) t.dispose();
    return [ga, gb];
  });
}
export const maximum = (a: Operand, b: Operand): Tensor => minMax('maximum', a, b);
export const minimum = (a: Operand, b: Operand): Tensor => minMax('minimum', a, b);

/** Comparisons give 1/0 tensors and no gradient. */
function compare(op: BinaryOp, a: Operand, b: Operand): Tensor {
  const ta = typeof a === 'number' ? scalar(a, b as Tensor) : a;
  const tb = typeof b === 'number' ? scalar(b, ta) : b;
  return binaryRaw(op, ta, tb);
}
export const eq = (a: Operand, b: Operand): Tensor => compare('eq', a, b);
export const ne = (a: Operand, b: Operand): Tensor => compare('ne', a, b);
export const lt = (a: Operand, b: Operand): Tensor => compare('lt', a, b);
export const le = (a: Operand, b: Operand): Tensor => compare('le', a, b);
export const gt = (a: Operand, b: Operand): Tensor => compare('gt', a, b);
export const ge = (a: Operand, b: Operand): Tensor => compare('ge', a, b);

/** cond ≠ 0 ? a : b, broadcasting all three. */
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  const ta = typeof a === 'number' ? scalar(a, cond) : a;
  const tb = typeof b === 'number' ? scalar(b, cond) : b;
  const dtype = computeDtype('where', cond, ta, tb);
  const shape = broadcastShapes('where', cond.shape, ta.shape, tb.shape);
  const out = empty(shape, dtype, false);
  const bs = (t: Tensor) => strided(t, broadcastStrides(t.shape, t.strides, shape));
  const k = kernelsFor(cond, ta, tb);
  k.where(dense(out), bs(cond), bs(ta), bs(tb), shape);
  return record(out, 'where', [ta, tb], [cond], (g) => {
    const zero = scalar(0, g);
    const ga = empty(shape, dtype, false);
    const gb = empty(shape, dtype, false);
    const zeros = strided(zero, shape.map(() => 0));
    k.where(dense(ga), bs(cond), strided(g), zeros, shape);
    k.where(dense(gb), bs(cond), zeros, strided(g), shape);
    zero.dispose();
    return [reduceTo(ga, ta), reduceTo(gb, tb)];
  });
}

/** A new view of g: a gradient object of its own without copying (autograd copies before writing). */
function viewOf(g: Tensor): Tensor {
  return view(g, g.shape, g.strides, g.offset);
}
