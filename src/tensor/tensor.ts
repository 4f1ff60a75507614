// Tensor: a shape, strides and an offset into a Storage. Views (reshape, transpose, slice, expand)
// share the storage; the storage is released when its last tensor is disposed.

import type { FloatArray, HalfArray } from './backend/kernels.js';
import { kernels, refKernels } from './backend/select.js';
import type { DType } from './dtype.js';
import { allocArray, isHalf } from './dtype.js';
import { TensorError, fmtShape } from './errors.js';
import { markTrackedClass, track } from './scope.js';
import type { Shape } from './shape.js';
import { checkShape, denseStrides, numel } from './shape.js';

/** A recorded op in the autograd graph: how to turn the output's gradient into the inputs'. */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Tensors the backward pass reads; it refuses to run if one was disposed. */
  readonly saved: readonly Tensor[];
  /** Saved tensors the node made itself (not inputs, not the output): freed with the node. */
  readonly temps: readonly Tensor[];
  /** Set once backward() has run through the node and freed its temps. */
  released: boolean;
  backward(grad: Tensor): readonly (Tensor | RegionGrad | null)[];
}

/**
 * An input gradient that is zero outside rows [start, start + grad.shape[dim]) of `dim`: what a slice
 * passes back. Autograd adds it into that region of the input's gradient instead of materialising a
 * mostly-zero tensor, so N slices of one tensor (MoE experts over their token blocks) cost O(size)
 * rather than O(N · size).
 */
export interface RegionGrad {
  readonly region: true;
  readonly dim: number;
  readonly start: number;
  readonly grad: Tensor;
}

const live = { storages: 0, bytes: 0 };

/** Storages (tensor buffers) alive now and their bytes: a leak check for training loops. */
export function memoryStats(): { readonly storages: number; readonly bytes: number } {
  return { ...live };
}

export class Storage {
  refs = 0;
  freed = false;
  constructor(
    readonly data: FloatArray | HalfArray,
    private readonly release: ((a: Float32Array) => void) | null,
  ) {
    live.storages++;
    live.bytes += data.byteLength;
  }

  unref(): void {
    if (--this.refs > 0 || this.freed) return;
    this.freed = true;
    live.storages--;
    live.bytes -= this.data.byteLength;
    if (this.release && this.data instanceof Float32Array) this.release(this.data);
  }
}

export class Tensor {
  requiresGrad = false;
  grad: Tensor | null = null;
  node: GradNode | null = null;
  disposed = false;
  kept = false;
  readonly size: number;

  constructor(
    readonly storage: Storage,
    readonly shape: Shape,
    readonly strides: Shape,
    readonly offset: number,
    readonly dtype: DType,
  ) {
    this.size = numel(shape);
    storage.refs++;
    track(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The storage array; throws if the tensor was disposed. */
  get data(): FloatArray | HalfArray {
    if (this.disposed) throw new TensorError('data', `tensor ${fmtShape(this.shape)} was disposed`);
    return this.storage.data;
  }

  isContiguous(): boolean {
    let expected = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.strides[i] !== expected) return false;
      expected *= this.shape[i]!;
    }
    return true;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // The node stays so gradients can still flow through this tensor; what it saved is freed, and a
    // backward() that needs it reports so.
    if (this.node) for (const t of this.node.temps) t.dispose();
    this.grad?.dispose();
    this.grad = null;
    this.storage.unref();
  }

  /** The elements in row-major (logical) order as a plain JS array, whatever the strides. */
  toArray(): number[] {
    const out = new Array<number>(this.size);
    const data = this.data;
    if (isHalf(this.dtype)) throw new TensorError('toArray', `${this.dtype} tensor: call toFloat32() first`);
    const idx = new Array<number>(this.rank).fill(0);
    for (let i = 0; i < this.size; i++) {
      let off = this.offset;
      for (let d = 0; d < this.rank; d++) off += idx[d]! * this.strides[d]!;
      out[i] = data[off]!;
      for (let d = this.rank - 1; d >= 0; d--) {
        if (++idx[d]! < this.shape[d]!) break;
        idx[d] = 0;
      }
    }
    return out;
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new TensorError('item', `tensor ${fmtShape(this.shape)} has ${this.size} elements, not 1`);
    if (isHalf(this.dtype)) throw new TensorError('item', `${this.dtype} tensor: call toFloat32() first`);
    return this.data[this.offset]!;
  }

  toString(): string {
    return `Tensor(${fmtShape(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

markTrackedClass(Tensor.prototype);

/**
 * Below this many elements a buffer is an ordinary typed array: allocating off-heap memory through
 * the addon costs more than the op itself, and V8 frees small arrays cheaply.
 */
const SMALL = 4096;

/**
 * R1TS_POISON_EMPTY=1 (set by the test runner) fills every buffer an op claimed it would overwrite with
 * NaN, so an op that leaves an element unwritten fails its tests instead of reading stale memory.
 */
const POISON = process.env.R1TS_POISON_EMPTY === '1';

/**
 * A new dense tensor, zero-filled unless `zeroed` is false (only for an op that overwrites every
 * element: skipping the fill saves a pass over memory). float64 lives on the ref backend only.
 */
export function empty(shape: Shape, dtype: DType = 'float32', zeroed = true): Tensor {
  checkShape('empty', shape);
  const n = numel(shape);
  const k = dtype === 'float32' && n >= SMALL ? kernels() : refKernels;
  const data = allocArray(dtype, n, (m) => k.allocFloat(m, zeroed));
  if (POISON && !zeroed) data.fill(isHalf(dtype) ? 0x7fc0 : NaN);
  const release = k === refKernels ? null : (a: Float32Array) => k.free(a);
  return new Tensor(new Storage(data, release), shape, denseStrides(shape), 0, dtype);
}

/** A tensor over existing data (copied, so the caller's array stays its own). */
export function fromArray(values: ArrayLike<number>, shape: Shape, dtype: DType = 'float32'): Tensor {
  const t = empty(shape, dtype);
  if (values.length !== t.size) {
    throw new TensorError('tensor', `${values.length} values do not fill shape ${fmtShape(shape)} (${t.size} elements)`);
  }
  (t.storage.data as FloatArray | HalfArray).set(values);
  return t;
}

/** A view of `base` with other shape/strides/offset over the same storage. */
export function view(base: Tensor, shape: Shape, strides: Shape, offset: number): Tensor {
  return new Tensor(base.storage, shape, strides, offset, base.dtype);
}

/** The dense elements of a contiguous tensor as one typed array (a subarray when offset > 0). */
export function dense(t: Tensor): FloatArray {
  const data = t.data;
  if (isHalf(t.dtype)) throw new TensorError('dense', `${t.dtype} tensor: only matmul reads half precision; call toFloat32() first`);
  const f = data as FloatArray;
  return t.offset === 0 && f.length === t.size ? f : f.subarray(t.offset, t.offset + t.size);
}
