// Reductions over [outer, n, inner], sumSquares, the softmax family and token log-probabilities.
import type { FloatArray } from '../kernels.js';

export function sum(out: FloatArray, x: FloatArray, outer: number, n: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc = 0;
      for (let j = 0; j < n; j++) acc += x[(o * n + j) * inner + i];
      out[o * inner + i] = acc;
    }
  }
}

export function max(out: FloatArray, idx: Int32Array, x: FloatArray, outer: number, n: number, inner: number): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      // An empty reduction has no maximum: report -Infinity at index -1 rather than read past the row.
      let best = -Infinity;
      let at = -1;
      for (let j = 0; j < n; j++) {
        const v = x[(o * n + j) * inner + i];
        if (at < 0 || v > best || (v !== v && best === best)) {
          best = v;
          at = j;
        }
      }
      out[o * inner + i] = best;
      idx[o * inner + i] = at;
    }
  }
}

export function sumSquares(x: FloatArray, n: number): number {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += x[i] * x[i];
  return acc;
}

function rowMax(x: FloatArray, start: number, n: number): number {
  let m = -Infinity;
  for (let j = 0; j < n; j++) m = Math.max(m, x[start + j]);
  return m;
}

/** Σ exp(row − m): subtracting the row max m keeps every exp ≤ 1. */
function sumExp(x: FloatArray, start: number, n: number, m: number): number {
  let s = 0;
  for (let j = 0; j < n; j++) s += Math.exp(x[start + j] - m);
  return s;
}

export function softmax(out: FloatArray, x: FloatArray, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const start = r * n;
    const m = rowMax(x, start, n);
    const s = sumExp(x, start, n, m);
    for (let j = 0; j < n; j++) out[start + j] = Math.exp(x[start + j] - m) / s;
  }
}

export function softmaxBackward(gx: FloatArray, gy: FloatArray, y: FloatArray, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const start = r * n;
    let dot = 0;
    for (let j = 0; j < n; j++) dot += gy[start + j] * y[start + j];
    for (let j = 0; j < n; j++) gx[start + j] = y[start + j] * (gy[start + j] - dot);
  }
}

export function logSoftmax(out: FloatArray, x: FloatArray, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const start = r * n;
    const m = rowMax(x, start, n);
    const logS = Math.log(sumExp(x, start, n, m));
    for (let j = 0; j < n; j++) out[start + j] = x[start + j] - m - logS;
  }
}

export function logSoftmaxBackward(gx: FloatArray, gy: FloatArray, y: FloatArray, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const start = r * n;
    let total = 0;
    for (let j = 0; j < n; j++) total += gy[start + j];
    for (let j = 0; j < n; j++) gx[start + j] = gy[start + j] - Math.exp(y[start + j]) * total;
  }
}

function checkTarget(kernel: string, t: number, n: number): void {
  if (t >= n) throw new RangeError(`${kernel}: target ${t} out of range for n = ${n}`);
}

export function tokenLogprobs(
  out: FloatArray, lse: FloatArray, logits: FloatArray, targets: Int32Array, rows: number, n: number,
): void {
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    checkTarget('tokenLogprobs', t, n);
    const m = rowMax(logits, r * n, n);
    // A row of −Infinity has logsumexp −Infinity (m − m would be NaN).
    const l = m === -Infinity ? -Infinity : m + Math.log(sumExp(logits, r * n, n, m));
    lse[r] = l;
    out[r] = t < 0 ? 0 : logits[r * n + t] - l;
  }
}

export function tokenLogprobsBackward(
  glogits: FloatArray, gout: FloatArray, logits: FloatArray, lse: FloatArray, targets: Int32Array, rows: number, n: number,
): void {
  for (let r = 0; r < rows; r++) {
    const t = targets[r];
    checkTarget('tokenLogprobsBackward', t, n);
    const start = r * n;
    if (t < 0) {
      glogits.fill(0, start, start + n);
      continue;
    }
    const g = gout[r];
    for (let j = 0; j < n; j++) glogits[start + j] = g * ((j === t ? 1 : 0) - Math.exp(logits[start + j] - lse[r]));
  }
}
