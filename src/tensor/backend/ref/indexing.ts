// Index kernels over x viewed as [outer, n, inner]: index-select/add, gather/scatter-add, top-k.
import type { FloatArray } from '../kernels.js';

function checkIndex(kernel: string, k: number, n: number): void {
  if (!(k >= 0 && k < n)) throw new RangeError(`${kernel}: index ${k} out of range for n = ${n}`);
}

export function indexSelect(out: FloatArray, x: FloatArray, idx: Int32Array, outer: number, n: number, inner: number, m: number): void {
  for (let j = 0; j < m; j++) checkIndex('indexSelect', idx[j], n);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const src = (o * n + idx[j]) * inner;
      const dst = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) out[dst + i] = x[src + i];
    }
  }
}

export function indexAdd(out: FloatArray, src: FloatArray, idx: Int32Array, outer: number, n: number, inner: number, m: number): void {
  for (let j = 0; j < m; j++) checkIndex('indexAdd', idx[j], n);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const dst = (o * n + idx[j]) * inner;
      const from = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) out[dst + i] += src[from + i];
    }
  }
}

export function indexCopy(out: FloatArray, src: FloatArray, idx: Int32Array, outer: number, n: number, inner: number, m: number): void {
  for (let j = 0; j < m; j++) checkIndex('indexCopy', idx[j], n);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      const dst = (o * n + idx[j]) * inner;
      const from = (o * m + j) * inner;
      for (let i = 0; i < inner; i++) out[dst + i] = src[from + i];
    }
  }
}

export function gather(out: FloatArray, x: FloatArray, idx: Int32Array, outer: number, n: number, inner: number, m: number): void {
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < inner; i++) {
        const at = (o * m + j) * inner + i;
        const k = idx[at];
        checkIndex('gather', k, n);
        out[at] = x[(o * n + k) * inner + i];
      }
    }
  }
}

export function scatterAdd(out: FloatArray, src: FloatArray, idx: Int32Array, outer: number, n: number, inner: number, m: number): void {
  // Check every index first so a bad one leaves out untouched (out accumulates, so a partial write would stick).
  for (let a = 0; a < outer * m * inner; a++) checkIndex('scatterAdd', idx[a], n);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < inner; i++) {
        const at = (o * m + j) * inner + i;
        out[(o * n + idx[at]) * inner + i] += src[at];
      }
    }
  }
}

export function topk(values: FloatArray, indices: Int32Array, x: FloatArray, rows: number, n: number, k: number): void {
  if (!(k >= 0 && k <= n)) throw new RangeError(`topk: k = ${k} out of range for n = ${n}`);
  const order = new Int32Array(n);
  for (let r = 0; r < rows; r++) {
    const start = r * n;
    for (let j = 0; j < n; j++) order[j] = j;
    // Descending, NaN first (it counts as the largest, as in max), ties by lower index.
    order.sort((p, q) => {
      const a = x[start + p];
      const b = x[start + q];
      const aNaN = a !== a;
      const bNaN = b !== b;
      if (aNaN !== bNaN) return aNaN ? -1 : 1;
      if (!aNaN && a !== b) return a > b ? -1 : 1;
      return p - q;
    });
    for (let j = 0; j < k; j++) {
      indices[r * k + j] = order[j];
      values[r * k + j] = x[start + order[j]];
    }
  }
}
