// Indexing ops for embeddings, expert dispatch and cache writes: embedding, indexSelect, indexAdd,
// indexCopyInto, gather, topk.
// Indices are plain Int32Arrays (with a shape where the op needs one); they carry no gradient.

import { isGradEnabled, kernelsFor, record, release } from '../autograd.js';
import { computeDtype } from '../dtype.js';
import { TensorError, fmtShape } from '../errors.js';
import { normDim, numel } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { dense, empty } from '../tensor.js';
import type { FloatArray } from '../backend/kernels.js';
import { contiguous, reshape } from './views.js';

/** Integer indices with a shape (for gather and topk). */
export interface IndexTensor {
  readonly data: Int32Array;
  readonly shape: readonly number[];
}

function checkIndices(op: string, idx: Int32Array, n: number): void {
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (v < 0 || v >= n) throw new TensorError(op, `index ${v} at position ${i} is out of range for a dimension of size ${n}`);
  }
}

/** Rows idx of x along dim: out has size idx.length there. */
export function indexSelect(x: Tensor, dim: number, idx: Int32Array): Tensor {
  const dtype = computeDtype('indexSelect', x);
  const d = normDim('indexSelect', dim, x.rank);
  const n = x.shape[d]!;
  checkIndices('indexSelect', idx, n);
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const xc = contiguous(x);
  const out = empty(x.shape.map((s, i) => (i === d ? idx.length : s)), dtype, false);
  const k = kernelsFor(x);
  k.indexSelect(dense(out), dense(xc), idx, outer, n, inner, idx.length);
  xc.dispose();
  return record(out, 'indexSelect', [x], [], (g) => {
    const gc = contiguous(g);
    const gx = empty(x.shape, dtype);
    k.indexAdd(dense(gx), dense(gc), idx, outer, n, inner, idx.length);
    gc.dispose();
    return [gx];
  });
}

/** Embedding lookup: weight [V, E], ids of any shape → [...ids shape, E]. */
export function embedding(weight: Tensor, ids: IndexTensor): Tensor {
  if (weight.rank !== 2) throw new TensorError('embedding', `weight must be [vocab, dim], got ${fmtShape(weight.shape)}`);
  if (numel(ids.shape) !== ids.data.length) throw new TensorError('embedding', `ids shape ${fmtShape(ids.shape)} does not match ${ids.data.length} ids`);
  const rows = indexSelect(weight, 0, ids.data);
  if (ids.shape.length === 1) return rows;
  const shaped = reshape(rows, [...ids.shape, weight.shape[1]!]);
  release(rows);
  return shaped;
}

/** x with src added at rows idx along dim (idx may repeat: contributions add up). */
export function indexAdd(x: Tensor, dim: number, idx: Int32Array, src: Tensor): Tensor {
  const dtype = computeDtype('indexAdd', x);
  const d = normDim('indexAdd', dim, x.rank);
  const n = x.shape[d]!;
  const expected = x.shape.map((s, i) => (i === d ? idx.length : s));
  if (src.rank !== x.rank || src.shape.some((s, i) => s !== expected[i])) {
    throw new TensorError('indexAdd', `src ${fmtShape(src.shape)} must be ${fmtShape(expected)} for x ${fmtShape(x.shape)} and ${idx.length} indices`);
  }
  checkIndices('indexAdd', idx, n);
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const k = kernelsFor(x, src);
  const out = contiguousCopy(x, dtype);
  const sc = contiguous(src);
  k.indexAdd(dense(out), dense(sc), idx, outer, n, inner, idx.length);
  sc.dispose();
  return record(out, 'indexAdd', [x, src], [], (g) => {
    const gc = contiguous(g);
    const gsrc = empty(src.shape, dtype, false);
    k.indexSelect(dense(gsrc), dense(gc), idx, outer, n, inner, idx.length);
    return [gc, gsrc];
  });
}

/**
 * In place, without autograd: x's rows idx along dim are overwritten with src's (x[..., idx[j], ...] =
 * src[..., j, ...]); idx must not repeat. For buffers written piecewise, e.g. a KV cache whose rows
 * each continue their own sequence at its own position.
 */
export function indexCopyInto(x: Tensor, dim: number, idx: Int32Array, src: Tensor): void {
  computeDtype('indexCopyInto', x);
  if (isGradEnabled() && (x.requiresGrad || src.requiresGrad)) throw new TensorError('indexCopyInto', 'writes in place and records no gradient: call it under noGrad(), on tensors that need none');
  if (!x.isContiguous()) throw new TensorError('indexCopyInto', `x ${fmtShape(x.shape)} must be contiguous (it is written in place)`);
  if (src.dtype !== x.dtype) throw new TensorError('indexCopyInto', `src is ${src.dtype}, x is ${x.dtype}`);
  const d = normDim('indexCopyInto', dim, x.rank);
  const n = x.shape[d]!;
  const expected = x.shape.map((s, i) => (i === d ? idx.length : s));
  if (src.rank !== x.rank || src.shape.some((s, i) => s !== expected[i])) {
    throw new TensorError('indexCopyInto', `src ${fmtShape(src.shape)} must be ${fmtShape(expected)} for x ${fmtShape(x.shape)} and ${idx.length} indices`);
  }
  checkIndices('indexCopyInto', idx, n);
  if (new Set(idx).size !== idx.length) throw new TensorError('indexCopyInto', 'an index repeats: which write wins would be undefined');
  const sc = contiguous(src);
  const out = (x.data as FloatArray).subarray(x.offset, x.offset + x.size);
  kernelsFor(x, src).indexCopy(out, dense(sc), idx, numel(x.shape.slice(0, d)), n, numel(x.shape.slice(d + 1)), idx.length);
  if (sc !== src) sc.dispose();
}

function contiguousCopy(x: Tensor, dtype: 'float32' | 'float64'): Tensor {
  const out = empty(x.shape, dtype, false);
  kernelsFor(x).copy({ data: dense(out), offset: 0, strides: out.strides }, { data: x.data as Float32Array, offset: x.offset, strides: x.strides }, x.shape);
  return out;
}

/** out[..., j, ...] = x[..., index[..., j, ...], ...] along dim (torch.gather); index has out's shape. */
export function gather(x: Tensor, dim: number, index: IndexTensor): Tensor {
  const dtype = computeDtype('gather', x);
  const d = normDim('gather', dim, x.rank);
  if (index.shape.length !== x.rank || index.shape.some((s, i) => i !== d && s !== x.shape[i]) || numel(index.shape) !== index.data.length) {
    throw new TensorError('gather', `index ${fmtShape(index.shape)} must match x ${fmtShape(x.shape)} outside dimension ${d}`);
  }
  const n = x.shape[d]!;
  checkIndices('gather', index.data, n);
  const outer = numel(x.shape.slice(0, d));
  const inner = numel(x.shape.slice(d + 1));
  const m = index.shape[d]!;
  const xc = contiguous(x);
  const out = empty(index.shape, dtype, false);
  const k = kernelsFor(x);
  k.gather(dense(out), dense(xc), index.data, outer, n, inner, m);
  xc.dispose();
  return record(out, 'gather', [x], [], (g) => {
    const gc = contiguous(g);
    const gx = empty(x.shape, dtype);
    k.scatterAdd(dense(gx), dense(gc), index.data, outer, n, inner, m);
    gc.dispose();
    return [gx];
  });
}

/** The k largest entries of each row of the last dimension, descending (no gradient). */
export function topk(x: Tensor, k: number): { values: Tensor; indices: IndexTensor } {
  const dtype = computeDtype('topk', x);
  const n = x.shape[x.rank - 1]!;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new TensorError('topk', `k = ${k} is not in [0, ${n}] for x ${fmtShape(x.shape)}`);
  const rows = n === 0 ? 0 : x.size / n;
  const shape = [...x.shape.slice(0, -1), k];
  const xc = contiguous(x);
  const values = empty(shape, dtype, false);
  const indices = new Int32Array(rows * k);
  kernelsFor(x).topk(dense(values), indices, dense(xc), rows, n, k);
  xc.dispose();
  return { values, indices: { data: indices, shape } };
}
