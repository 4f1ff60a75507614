// Matrix products: a [..., M, K] @ b [..., K, N] with broadcast batch dimensions. Transposed views
// are passed to GEMM as transpose flags (no copy); b may be a bfloat16/float16 weight, widened inside
// the kernel. A rank-2 b against a batched a folds the batch into M, making one large GEMM.

import { kernelsFor, noGrad, record } from '../autograd.js';
import type { FloatArray, HalfArray } from '../backend/kernels.js';
import { isHalf } from '../dtype.js';
import { TensorError, fmtShape } from '../errors.js';
import { broadcastShapes, numel } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { empty } from '../tensor.js';
import { clone, expand, reshape, sumTo, transpose } from './views.js';

/** How GEMM reads one operand: transpose flag, leading dimension and per-batch stride. */
interface Operand {
  t: Tensor;
  trans: boolean;
  ld: number;
  batchStride: number;
  owned: boolean;
}

/** Describes the last two dims of t as a GEMM operand, copying only when no flag/stride fits. */
function operand(t: Tensor, batchShape: readonly number[], force: boolean): Operand {
  const r = t.rank;
  const rows = t.shape[r - 2]!;
  const cols = t.shape[r - 1]!;
  const sr = t.strides[r - 2]!;
  const sc = t.strides[r - 1]!;
  const batchStride = uniformBatchStride(t, batchShape);
  if (!force && batchStride !== null) {
    if ((sc === 1 || cols === 1) && (rows === 1 || sr >= cols)) return { t, trans: false, ld: rows === 1 ? Math.max(cols, 1) : sr, batchStride, owned: false };
    if ((sr === 1 || rows === 1) && (cols === 1 || sc >= rows)) return { t, trans: true, ld: cols === 1 ? Math.max(rows, 1) : sc, batchStride, owned: false };
  }
  if (isHalf(t.dtype)) throw new TensorError('matmul', `a ${t.dtype} operand ${fmtShape(t.shape)} must be laid out as stored (a transposed view of the weight is fine)`);
  // Materialise the broadcast batch too, so the copy has one uniform batch stride.
  const c = noGrad(() => {
    const wide = expand(t, [...batchShape, rows, cols]);
    const copy = clone(wide);
    wide.dispose();
    return copy;
  });
  return { t: c, trans: false, ld: Math.max(cols, 1), batchStride: rows * cols, owned: true };
}

/** One stride that walks all batch matrices of t in order (0 when t is broadcast), else null. */
function uniformBatchStride(t: Tensor, batchShape: readonly number[]): number | null {
  const lead = batchShape.length - (t.rank - 2);
  let stride: number | null = null;
  let expected = 0;
  for (let i = batchShape.length - 1; i >= 0; i--) {
    const size = batchShape[i]!;
    if (size === 1) continue;
    const s = i < lead || t.shape[i - lead] === 1 ? 0 : t.strides[i - lead]!;
    if (stride === null) stride = s;
    else if (s !== expected) return null;
    expected = s * size;
  }
  return stride ?? 0;
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank < 2 || b.rank < 2) throw new TensorError('matmul', `needs tensors of rank ≥ 2, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  if (isHalf(a.dtype)) throw new TensorError('matmul', `the left operand is ${a.dtype}; only the right operand (a weight) may be half precision`);
  const M = a.shape[a.rank - 2]!;
  const K = a.shape[a.rank - 1]!;
  const N = b.shape[b.rank - 1]!;
  if (b.shape[b.rank - 2] !== K) throw new TensorError('matmul', `inner dimensions differ: ${fmtShape(a.shape)} @ ${fmtShape(b.shape)}`);
  if (a.dtype === 'float64' !== (b.dtype === 'float64')) throw new TensorError('matmul', `dtypes differ: ${a.dtype} and ${b.dtype}`);
  const batchShape = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  // GEMM with beta = 0 writes every element of the output and never reads it: skip zero-filling.
  const out = empty([...batchShape, M, N], a.dtype === 'float64' ? 'float64' : 'float32', K === 0);
  const folds = b.rank === 2 && a.rank > 2 && a.strides[a.rank - 1] === 1 && a.isContiguous();
  if (folds) gemm(operand(reshape(a, [-1, K]), [], false), operand(b, [], false), out, numel(batchShape) * M, N, K, 1);
  else gemm(operand(a, batchShape, false), operand(b, batchShape, false), out, M, N, K, numel(batchShape));
  return record(out, 'matmul', [a, b], [a, b], (g) => {
    const ga = a.requiresGrad ? sumTo(matmul(g, transpose(b)), a.shape) : null;
    let gb: Tensor | null = null;
    if (b.requiresGrad && b.rank === 2) {
      const a2 = a.rank > 2 ? reshape(a, [-1, K]) : a;
      const g2 = g.rank > 2 ? reshape(g, [-1, N]) : g;
      // b = transpose(W) (a Linear layer): produce the gradient in W's own layout, so the leaf receives
      // a dense [N, K] tensor instead of a transposed view that autograd would have to copy.
      if (b.strides[0] === 1 && b.shape[1]! > 1) {
        const gw = matmul(transpose(g2), a2);
        gb = transpose(gw);
        gw.dispose(); // the view alone holds the storage, so autograd can hand it on without a copy
      } else gb = matmul(transpose(a2), g2);
    } else if (b.requiresGrad) gb = sumTo(matmul(transpose(a), g), b.shape);
    return [ga, gb];
  });
}

function gemm(A: Operand, B: Operand, out: Tensor, M: number, N: number, K: number, batch: number): void {
  kernelsFor(A.t, out).gemm({
    transA: A.trans, transB: B.trans, M, N, K, alpha: 1, beta: 0,
    a: A.t.data as FloatArray, aOffset: A.t.offset, lda: A.ld, strideA: batch > 1 ? A.batchStride : 0,
    b: B.t.data as FloatArray | HalfArray, bDtype: isHalf(B.t.dtype) ? B.t.dtype : 'float', bOffset: B.t.offset, ldb: B.ld, strideB: batch > 1 ? B.batchStride : 0,
    c: out.data as FloatArray, cOffset: out.offset, ldc: Math.max(N, 1), strideC: M * N, batch,
  });
  if (A.owned) A.t.dispose();
  if (B.owned) B.t.dispose();
}
