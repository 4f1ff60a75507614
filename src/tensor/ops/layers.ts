// Fused layer ops, each one forward and one backward kernel: softmax, log-softmax, RMSNorm, SwiGLU
// and rotary position embedding.

import { kernelsFor, record, release } from '../autograd.js';
import { computeDtype } from '../dtype.js';
import { TensorError, fmtShape } from '../errors.js';
import { normDim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { dense, empty } from '../tensor.js';
import { contiguous, transpose } from './views.js';

/** Runs a last-dimension op on another dimension by moving that dimension last and back. */
function alongDim(x: Tensor, dim: number, op: string, fn: (x: Tensor) => Tensor): Tensor {
  const d = normDim(op, dim, x.rank);
  if (d === x.rank - 1) return fn(x);
  const moved = transpose(x, d, -1);
  const y = fn(moved);
  const back = transpose(y, d, -1);
  release(moved);
  release(y);
  return back;
}

function rowwise(op: 'softmax' | 'logSoftmax', x: Tensor): Tensor {
  const dtype = computeDtype(op, x);
  const n = x.shape[x.rank - 1] ?? 1;
  const rows = n === 0 ? 0 : x.size / n;
  const xc = contiguous(x);
  const out = empty(x.shape, dtype, false);
  const k = kernelsFor(x);
  if (op === 'softmax') k.softmax(dense(out), dense(xc), rows, n);
  else k.logSoftmax(dense(out), dense(xc), rows, n);
  xc.dispose();
  return record(out, op, [x], [out], (g) => {
    const gc = contiguous(g);
    const gx = empty(x.shape, dtype, false);
    if (op === 'softmax') k.softmaxBackward(dense(gx), dense(gc), dense(out), rows, n);
    else k.logSoftmaxBackward(dense(gx), dense(gc), dense(out), rows, n);
    gc.dispose();
    return [gx];
  });
}

export const softmax = (x: Tensor, dim = -1): Tensor => alongDim(x, dim, 'softmax', (t) => rowwise('softmax', t));
export const logSoftmax = (x: Tensor, dim = -1): Tensor => alongDim(x, dim, 'logSoftmax', (t) => rowwise('logSoftmax', t));

/** y = x · rsqrt(mean(x²) + eps) · weight over the last dimension. */
export function rmsNorm(x: Tensor, weight: Tensor, eps = 1e-6): Tensor {
  const dtype = computeDtype('rmsNorm', x, weight);
  const n = x.shape[x.rank - 1]!;
  if (weight.rank !== 1 || weight.shape[0] !== n) throw new TensorError('rmsNorm', `weight ${fmtShape(weight.shape)} does not match the last dimension of x ${fmtShape(x.shape)}`);
  const rows = x.size / n;
  const xc = contiguous(x);
  const wc = contiguous(weight);
  const out = empty(x.shape, dtype, false);
  const rstd = empty([rows], dtype, false);
  const k = kernelsFor(x, weight);
  k.rmsnorm(dense(out), dense(rstd), dense(xc), dense(wc), rows, n, eps);
  return record(out, 'rmsNorm', [x, weight], [xc, wc, rstd], (g) => {
    const gc = contiguous(g);
    const gx = empty(x.shape, dtype, false);
    const gw = empty(weight.shape, dtype);
    k.rmsnormBackward(dense(gx), dense(gw), dense(gc), dense(xc), dense(wc), dense(rstd), rows, n);
    gc.dispose();
    return [gx, gw];
  });
}

/** silu(gate) ⊙ up, the gated unit of a SwiGLU feed-forward layer. */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  const dtype = computeDtype('swiglu', gate, up);
  if (gate.rank !== up.rank || gate.shape.some((d, i) => d !== up.shape[i])) throw new TensorError('swiglu', `gate ${fmtShape(gate.shape)} and up ${fmtShape(up.shape)} differ`);
  const gc = contiguous(gate);
  const uc = contiguous(up);
  const out = empty(gate.shape, dtype, false);
  const k = kernelsFor(gate, up);
  k.swiglu(dense(out), dense(gc), dense(uc), gate.size);
  return record(out, 'swiglu', [gate, up], [gc, uc], (g) => {
    const go = contiguous(g);
    const ggate = empty(gate.shape, dtype, false);
    const gup = empty(up.shape, dtype, false);
    k.swigluBackward(dense(ggate), dense(gup), dense(go), dense(gc), dense(uc), gate.size);
    go.dispose();
    return [ggate, gup];
  });
}

export interface RopeOptions {
  /** Pairs (x[2i], x[2i+1]) as DeepSeek stores them (true), or halves (x[i], x[i+D/2]) as Llama/Qwen (false). */
  readonly interleaved: boolean;
}

/**
 * Rotary position embedding of x [B, T, H, D] (or [T, H, D]): token t of batch row b is rotated by
 * the angles of position pos[b·T + t], read from tables cos/sin [P, D/2] (see nn's rope tables).
 */
export function rope(x: Tensor, cos: Tensor, sin: Tensor, pos: Int32Array, opts: RopeOptions): Tensor {
  const dtype = computeDtype('rope', x, cos, sin);
  if (x.rank < 3) throw new TensorError('rope', `x must be [..., T, H, D], got ${fmtShape(x.shape)}`);
  const D = x.shape[x.rank - 1]!;
  const H = x.shape[x.rank - 2]!;
  const S = x.size / (H * D || 1);
  if (D % 2 !== 0) throw new TensorError('rope', `head dimension ${D} must be even`);
  if (cos.rank !== 2 || cos.shape[1] !== D / 2 || sin.shape.some((d, i) => d !== cos.shape[i])) {
    throw new TensorError('rope', `tables cos ${fmtShape(cos.shape)} and sin ${fmtShape(sin.shape)} must both be [positions, ${D / 2}]`);
  }
  if (pos.length !== S) throw new TensorError('rope', `${pos.length} positions given for ${S} token rows of ${fmtShape(x.shape)}`);
  const P = cos.shape[0]!;
  for (const p of pos) {
    if (!(p >= 0 && p < P)) throw new TensorError('rope', `position ${p} is outside the table of ${P} positions`);
  }
  const xc = contiguous(x);
  const cc = contiguous(cos);
  const sc = contiguous(sin);
  const out = empty(x.shape, dtype, false);
  const k = kernelsFor(x, cos);
  k.rope(dense(out), dense(xc), dense(cc), dense(sc), pos, S, H, D, opts.interleaved, false);
  xc.dispose();
  return record(out, 'rope', [x], [cc, sc], (g) => {
    const gc = contiguous(g);
    const gx = empty(x.shape, dtype, false);
    k.rope(dense(gx), dense(gc), dense(cc), dense(sc), pos, S, H, D, opts.interleaved, true);
    gc.dispose();
    return [gx];
  });
}
