// Reductions along dimensions: sum, mean, max (gradient to the arg-max), argmax.

import { kernelsFor, record } from '../autograd.js';
import { computeDtype } from '../dtype.js';
import { TensorError, fmtShape } from '../errors.js';
import { denseStrides, normDim, numel } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { dense, empty, view } from '../tensor.js';
import { affine } from './elementwise.js';
import { contiguous, expand, reshape } from './views.js';

function normDims(op: string, t: Tensor, dims: number | readonly number[] | undefined): number[] {
  if (dims === undefined) return t.shape.map((_, i) => i);
  const list = typeof dims === 'number' ? [dims] : dims;
  return [...new Set(list.map((d) => normDim(op, d, t.rank)))].sort((a, b) => a - b);
}

function reducedShape(t: Tensor, dims: readonly number[], keepdim: boolean): number[] {
  return keepdim ? t.shape.map((s, i) => (dims.includes(i) ? 1 : s)) : t.shape.filter((_, i) => !dims.includes(i));
}

/** Σ over dims (all by default). */
export function sum(x: Tensor, dims?: number | readonly number[], keepdim = false): Tensor {
  computeDtype('sum', x);
  const ds = normDims('sum', x, dims);
  const k = kernelsFor(x);
  let cur = contiguous(x);
  let shape: number[] = [...x.shape];
  // Reduce one dimension at a time, last first, keeping size-1 dims until the end.
  for (let i = ds.length - 1; i >= 0; i--) {
    const d = ds[i]!;
    const next = empty(shape.map((s, j) => (j === d ? 1 : s)), x.dtype);
    k.sum(dense(next), dense(cur), numel(shape.slice(0, d)), shape[d]!, numel(shape.slice(d + 1)));
    cur.dispose();
    cur = next;
    shape = [...next.shape];
  }
  const outShape = reducedShape(x, ds, keepdim);
  const out = view(cur, outShape, denseStrides(outShape), cur.offset);
  cur.dispose();
  return record(out, 'sum', [x], [], (g) => [expand(reshape(g, reducedShape(x, ds, true)), x.shape)]);
}


/** Arithmetic mean over dims (all by default). */
export function mean(x: Tensor, dims?: number | readonly number[], keepdim = false): Tensor {
  const ds = normDims('mean', x, dims);
  const count = numel(ds.map((d) => x.shape[d]!));
  const s = sum(x, ds, keepdim);
  const out = affine(s, 1 / count, 0);
  s.dispose();
  return out;
}

function maxAlong(x: Tensor, dim: number): { values: Tensor; indices: Int32Array; outer: number; n: number; inner: number } {
  computeDtype('max', x);
  if (x.shape[dim] === 0) throw new TensorError('max', `cannot take the max over an empty dimension ${dim} of ${fmtShape(x.shape)}`);
  const xc = contiguous(x);
  const outer = numel(x.shape.slice(0, dim));
  const n = x.shape[dim]!;
  const inner = numel(x.shape.slice(dim + 1));
  const values = empty(x.shape.map((s, i) => (i === dim ? 1 : s)), x.dtype);
  const indices = new Int32Array(outer * inner);
  kernelsFor(x).max(dense(values), indices, dense(xc), outer, n, inner);
  xc.dispose();
  return { values, indices, outer, n, inner };
}

/** Maximum along one dimension; the gradient goes to the first arg-max (as torch.max(dim) does). */
export function max(x: Tensor, dim: number, keepdim = false): Tensor {
  const d = normDim('max', dim, x.rank);
  const { values, indices, outer, n, inner } = maxAlong(x, d);
  const outShape = reducedShape(x, [d], keepdim);
  const out = view(values, outShape, denseStrides(outShape), 0);
  values.dispose();
  return record(out, 'max', [x], [], (g) => {
    const gc = contiguous(g);
    const gx = empty(x.shape, g.dtype);
    kernelsFor(g).scatterAdd(dense(gx), dense(gc), indices, outer, n, inner, 1);
    gc.dispose();
    return [gx];
  });
}

/** Indices of the maximum along one dimension (no gradient). */
export function argmax(x: Tensor, dim: number): Int32Array {
  const { values, indices } = maxAlong(x, normDim('argmax', dim, x.rank));
  values.dispose();
  return indices;
}
