// Fused layer kernels: RMSNorm, SwiGLU and rotary embedding (with their backward passes).
import type { FloatArray } from '../kernels.js';

export function rmsnorm(
  out: FloatArray, rstd: FloatArray, x: FloatArray, w: FloatArray, rows: number, n: number, eps: number,
): void {
  for (let r = 0; r < rows; r++) {
    const start = r * n;
    let ss = 0;
    for (let j = 0; j < n; j++) ss += x[start + j] * x[start + j];
    const rs = 1 / Math.sqrt(ss / n + eps);
    rstd[r] = rs;
    for (let j = 0; j < n; j++) out[start + j] = x[start + j] * rs * w[j];
  }
}

export function rmsnormBackward(
  gx: FloatArray, gw: FloatArray, gy: FloatArray, x: FloatArray, w: FloatArray, rstd: FloatArray, rows: number, n: number,
): void {
  for (let r = 0; r < rows; r++) {
    const start = r * n;
    const rs = rstd[r];
    // y_j = x_j·rs·w_j with rs = (mean(x²)+eps)^-1/2, so ∂rs/∂x_j = −rs³·x_j/n.
    let dot = 0;
    for (let j = 0; j < n; j++) dot += gy[start + j] * w[j] * x[start + j];
    const c = (rs * rs * rs * dot) / n;
    for (let j = 0; j < n; j++) {
      gx[start + j] = gy[start + j] * w[j] * rs - x[start + j] * c;
      gw[j] += gy[start + j] * x[start + j] * rs;
    }
  }
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export function swiglu(out: FloatArray, gate: FloatArray, up: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = gate[i] * sigmoid(gate[i]) * up[i];
}

export function swigluBackward(ggate: FloatArray, gup: FloatArray, gy: FloatArray, gate: FloatArray, up: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) {
    const g = gate[i];
    const s = sigmoid(g);
    const dy = gy[i];
    ggate[i] = dy * up[i] * s * (1 + g * (1 - s));
    gup[i] = dy * g * s;
  }
}

export function rope(
  out: FloatArray, x: FloatArray, cos: FloatArray, sin: FloatArray, pos: Int32Array,
  S: number, H: number, D: number, interleaved: boolean, inverse: boolean,
): void {
  const half = D / 2;
  const P = Math.floor(cos.length / half);
  for (let s = 0; s < S; s++) {
    const p = pos[s];
    if (!(p >= 0 && p < P)) throw new RangeError(`rope: position ${p} out of range for n = ${P}`);
    for (let h = 0; h < H; h++) {
      const base = (s * H + h) * D;
      for (let i = 0; i < half; i++) {
        const ia = base + (interleaved ? 2 * i : i);
        const ib = base + (interleaved ? 2 * i + 1 : i + half);
        const c = cos[p * half + i];
        const sn = inverse ? -sin[p * half + i] : sin[p * half + i];
        // Read both before writing: out may alias x.
        const a = x[ia];
        const b = x[ib];
        out[ia] = a * c - b * sn;
        out[ib] = a * sn + b * c;
      }
    }
  }
}
