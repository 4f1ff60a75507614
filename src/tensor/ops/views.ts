// Views and layout: reshape, permute/transpose, slice, expand, squeeze/unsqueeze share storage;
// contiguous() copies only when the layout requires it; cat copies into one new tensor.

import { isGradEnabled, kernelsFor, record } from '../autograd.js';
import type { StridedArg } from '../backend/kernels.js';
import { computeDtype } from '../dtype.js';
import { TensorError, fmtShape } from '../errors.js';
import type { Shape } from '../shape.js';
import { denseStrides, normDim, numel, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { dense, empty, view } from '../tensor.js';

export function strided(t: Tensor, strides: Shape = t.strides): StridedArg {
  return { data: t.data as StridedArg['data'], offset: t.offset, strides };
}

/** A dense copy of t (always a new tensor). */
export function clone(t: Tensor): Tensor {
  const out = empty(t.shape, t.dtype, false);
  kernelsFor(t).copy(strided(out), strided(t), t.shape);
  return record(out, 'clone', [t], [], (g) => [view(g, g.shape, g.strides, g.offset)]);
}

/** t itself as a new view when already contiguous, else a dense copy. */
export function contiguous(t: Tensor): Tensor {
  if (t.isContiguous()) return record(view(t, t.shape, denseStrides(t.shape), t.offset), 'contiguous', [t], [], (g) => [view(g, g.shape, g.strides, g.offset)]);
  return clone(t);
}

export function reshape(t: Tensor, shape: Shape): Tensor {
  const target = inferShape(t, shape);
  const src = t.isContiguous() ? t : contiguous(t);
  const out = view(src, target, denseStrides(target), src.offset);
  if (src !== t) src.dispose();
  return record(out, 'reshape', [t], [], (g) => [reshape(g, t.shape)]);
}

function inferShape(t: Tensor, shape: Shape): number[] {
  const out = [...shape];
  const free = out.indexOf(-1);
  if (free >= 0) {
    const known = numel(out.filter((_, i) => i !== free));
    if (known === 0 || t.size % known !== 0) throw new TensorError('reshape', `cannot reshape ${fmtShape(t.shape)} to ${fmtShape(shape)}`);
    out[free] = t.size / known;
  }
  if (numel(out) !== t.size || out.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new TensorError('reshape', `cannot reshape ${fmtShape(t.shape)} (${t.size} elements) to ${fmtShape(shape)}`);
  }
  return out;
}

export function permute(t: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== t.rank) throw new TensorError('permute', `got ${dims.length} dims for a tensor of shape ${fmtShape(t.shape)}`);
  const order = dims.map((d) => normDim('permute', d, t.rank));
  if (new Set(order).size !== order.length) throw new TensorError('permute', `dims ${fmtShape(dims)} repeat a dimension`);
  const out = view(t, order.map((d) => t.shape[d]!), order.map((d) => t.strides[d]!), t.offset);
  const inverse = new Array<number>(order.length);
  order.forEach((d, i) => (inverse[d] = i));
  return record(out, 'permute', [t], [], (g) => [permute(g, inverse)]);
}

export function transpose(t: Tensor, dim0 = -2, dim1 = -1): Tensor {
  const order = t.shape.map((_, i) => i);
  const a = normDim('transpose', dim0, t.rank);
  const b = normDim('transpose', dim1, t.rank);
  order[a] = b;
  order[b] = a;
  return permute(t, order);
}

/** Elements start ≤ i < end along dim (a view). */
export function slice(t: Tensor, dim: number, start: number, end: number): Tensor {
  const d = normDim('slice', dim, t.rank);
  const size = t.shape[d]!;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > size || start > end) {
    throw new TensorError('slice', `range [${start}, ${end}) is outside dimension ${d} of size ${size} (shape ${fmtShape(t.shape)})`);
  }
  const shape = [...t.shape];
  shape[d] = end - start;
  const out = view(t, shape, t.strides, t.offset + start * t.strides[d]!);
  return record(out, 'slice', [t], [], (g) => [{ region: true, dim: d, start, grad: view(g, g.shape, g.strides, g.offset) }]);
}

/** Broadcasts size-1 dimensions (and new leading ones) to `shape` without copying. */
export function expand(t: Tensor, shape: Shape): Tensor {
  if (shape.length < t.rank) throw new TensorError('expand', `cannot expand ${fmtShape(t.shape)} to fewer dims ${fmtShape(shape)}`);
  const lead = shape.length - t.rank;
  const strides = shape.map((d, i) => {
    if (i < lead) return 0;
    const own = t.shape[i - lead]!;
    if (own === d) return t.strides[i - lead]!;
    if (own === 1) return 0;
    throw new TensorError('expand', `cannot expand ${fmtShape(t.shape)} to ${fmtShape(shape)}`);
  });
  const out = view(t, shape, strides, t.offset);
  return record(out, 'expand', [t], [], (g) => [sumTo(g, t.shape)]);
}

export function unsqueeze(t: Tensor, dim: number): Tensor {
  const d = normDim('unsqueeze', dim, t.rank + 1);
  const shape = [...t.shape];
  shape.splice(d, 0, 1);
  return reshape(t, shape);
}

export function squeeze(t: Tensor, dim: number): Tensor {
  const d = normDim('squeeze', dim, t.rank);
  if (t.shape[d] !== 1) throw new TensorError('squeeze', `dimension ${d} of ${fmtShape(t.shape)} has size ${t.shape[d]}, not 1`);
  return reshape(t, t.shape.filter((_, i) => i !== d));
}

/** Sums g down to `shape` (the reverse of broadcasting); a new view when no reduction is needed. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return view(g, g.shape, g.strides, g.offset);
  const lead = g.rank - shape.length;
  const k = kernelsFor(g);
  let cur = g.isContiguous() ? g : clone(g);
  let curShape = [...cur.shape];
  for (let d = 0; d < g.rank; d++) {
    const want = d < lead ? 1 : shape[d - lead]!;
    if (curShape[d] === want) continue;
    const outer = numel(curShape.slice(0, d));
    const inner = numel(curShape.slice(d + 1));
    const nextShape = [...curShape];
    nextShape[d] = 1;
    const next = empty(nextShape, g.dtype);
    k.sum(dense(next), dense(cur), outer, curShape[d]!, inner);
    if (cur !== g) cur.dispose();
    cur = next;
    curShape = nextShape;
  }
  const out = view(cur, shape, denseStrides(shape), cur.offset);
  if (cur !== g) cur.dispose();
  return out;
}

/** Joins tensors along dim into a new tensor. */
export function cat(ts: readonly Tensor[], dim: number): Tensor {
  if (ts.length === 0) throw new TensorError('cat', 'needs at least one tensor');
  const first = ts[0]!;
  const d = normDim('cat', dim, first.rank);
  for (const t of ts) {
    if (t.rank !== first.rank || t.shape.some((s, i) => i !== d && s !== first.shape[i]) || t.dtype !== first.dtype) {
      throw new TensorError('cat', `shapes ${ts.map((x) => fmtShape(x.shape)).join(', ')} (${ts.map((x) => x.dtype).join(', ')}) differ outside dimension ${d}`);
    }
  }
  const shape = [...first.shape];
  shape[d] = ts.reduce((s, t) => s + t.shape[d]!, 0);
  const out = empty(shape, first.dtype, false);
  const k = kernelsFor(...ts);
  const starts: number[] = [];
  let at = 0;
  for (const t of ts) {
    starts.push(at);
    const dst = view(out, t.shape, out.strides, out.offset + at * out.strides[d]!);
    k.copy(strided(dst), strided(t), t.shape);
    dst.dispose();
    at += t.shape[d]!;
  }
  return record(out, 'cat', ts, [], (g) => ts.map((t, i) => slice(g, d, starts[i]!, starts[i]! + t.shape[d]!)));
}

/** Splits along dim into views of the given sizes. */
export function split(t: Tensor, sizes: readonly number[], dim: number): Tensor[] {
  const d = normDim('split', dim, t.rank);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== t.shape[d]) throw new TensorError('split', `sizes ${fmtShape(sizes)} add up to ${total}, not dimension ${d} of ${fmtShape(t.shape)}`);
  let at = 0;
  return sizes.map((s) => {
    const part = slice(t, d, at, at + s);
    at += s;
    return part;
  });
}

/**
 * Copies src into the (possibly strided) view dst, in place and outside autograd: the write path of
 * KV caches and checkpoint loading. dst must not be part of a recorded graph.
 */
export function assign(dst: Tensor, src: Tensor): void {
  if (!sameShape(dst.shape, src.shape)) throw new TensorError('assign', `source ${fmtShape(src.shape)} does not match destination ${fmtShape(dst.shape)}`);
  computeDtype('assign', dst, src);
  if (dst.dtype !== src.dtype) throw new TensorError('assign', `dtypes differ: destination ${dst.dtype}, source ${src.dtype}`);
  if (dst.requiresGrad && isGradEnabled()) throw new TensorError('assign', 'the destination requires grad; write into it under noGrad()');
  kernelsFor(dst, src).copy(strided(dst), strided(src), src.shape);
}
