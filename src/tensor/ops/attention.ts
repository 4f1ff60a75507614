// Fused scaled-dot-product attention, forward and backward, saving only the output and the row
// log-sum-exp (the backward pass recomputes probabilities), so stored activations are not quadratic
// in the sequence length. Layout [B, H, T, D]; grouped K/V heads (Hk dividing H) for GQA students.

import { kernelsFor, needsGrad, record } from '../autograd.js';
import type { AttentionArgs, FloatArray, KvLayout, StridedArg } from '../backend/kernels.js';
import { TensorError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { dense, empty } from '../tensor.js';
import { contiguous, strided } from './views.js';

export interface AttentionOptions {
  /** Query i sees key j only when j ≤ i + (Tk − Tq) (queries are the last Tq positions). */
  readonly causal?: boolean;
  /** Additive mask broadcastable to [B, H, Tq, Tk]; −Infinity hides a key. */
  readonly mask?: Tensor | null;
  /** Per batch row, which keys are real (1) or padding (0): [B, Tk]. */
  readonly keyPadding?: Tensor | null;
  /** Softmax scale; 1/√D by default. */
  readonly scale?: number;
}

/** Whether the kernel can read t's rows in place: each row of the last dimension is dense. */
function rowsInPlace(t: Tensor): boolean {
  return t.strides[3] === 1 || t.shape[3] === 1;
}

function layoutOf(t: Tensor): KvLayout {
  return { offset: t.offset, strides: [t.strides[0]!, t.strides[1]!, t.strides[2]!] };
}

/** softmax(scale · q·kᵀ + mask) · v for q [B,H,Tq,D], k [B,Hk,Tk,D], v [B,Hk,Tk,Dv]. */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  for (const t of [q, k, v]) {
    if (t.rank !== 4) throw new TensorError('attention', `q, k, v must be [B, H, T, D]; got ${fmtShape(q.shape)}, ${fmtShape(k.shape)}, ${fmtShape(v.shape)}`);
    if (t.dtype !== q.dtype || (t.dtype !== 'float32' && t.dtype !== 'float64')) throw new TensorError('attention', `q, k, v must share a float dtype (got ${q.dtype}, ${k.dtype}, ${v.dtype})`);
  }
  const [B, H, Tq, D] = q.shape as [number, number, number, number];
  const [Bk, Hk, Tk, Dk] = k.shape as [number, number, number, number];
  const Dv = v.shape[3]!;
  if (Bk !== B || Dk !== D || v.shape[0] !== B || v.shape[1] !== Hk || v.shape[2] !== Tk || Hk === 0 || H % Hk !== 0) {
    throw new TensorError('attention', `incompatible shapes q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)}, v ${fmtShape(v.shape)} (need the same B, k/v with the same Hk dividing H, and matching D and Tk)`);
  }
  const maskTensor = combinedMask(opts, B, H, Tq, Tk);
  const args: AttentionArgs = {
    B, H, Hk, Tq, Tk, D, Dv,
    scale: opts.scale ?? 1 / Math.sqrt(D),
    causal: opts.causal ?? false,
    mask: maskTensor ? maskArg(maskTensor, B, H, Tq, Tk) : null,
  };
  const out = empty([B, H, Tq, Dv], q.dtype, false);
  const lse = empty([B, H, Tq], q.dtype, false);
  const kern = kernelsFor(q);
  const qc = contiguous(q);
  if (!needsGrad(q, k, v) && rowsInPlace(k) && rowsInPlace(v)) {
    // Inference over views (a KV cache's slots): the kernel reads the rows where they are.
    kern.attention(dense(out), dense(lse), dense(qc), k.data as FloatArray, v.data as FloatArray, { ...args, kLayout: layoutOf(k), vLayout: layoutOf(v) });
    for (const t of [qc, lse, maskTensor]) t?.dispose();
    return out;
  }
  const kc = contiguous(k);
  const vc = contiguous(v);
  kern.attention(dense(out), dense(lse), dense(qc), dense(kc), dense(vc), args);
  const saved = [qc, kc, vc, out, lse, ...(maskTensor ? [maskTensor] : [])];
  return record(out, 'attention', [q, k, v], saved, (g) => {
    const gc = contiguous(g);
    const gq = empty(q.shape, q.dtype);
    const gk = empty(k.shape, q.dtype);
    const gv = empty(v.shape, q.dtype);
    kern.attentionBackward(dense(gq), dense(gk), dense(gv), dense(gc), dense(qc), dense(kc), dense(vc), dense(out), dense(lse), args);
    gc.dispose();
    return [gq, gk, gv];
  });
}

/** The additive mask as a tensor, with key padding folded in as −Infinity entries. */
function combinedMask(opts: AttentionOptions, B: number, H: number, Tq: number, Tk: number): Tensor | null {
  const { mask, keyPadding } = opts;
  if (mask) {
    if (mask.rank > 4 || mask.shape.some((d, i) => d !== 1 && d !== [B, H, Tq, Tk][4 - mask.rank + i])) {
      throw new TensorError('attention', `mask ${fmtShape(mask.shape)} does not broadcast to [${B}, ${H}, ${Tq}, ${Tk}]`);
    }
  }
  if (!keyPadding) return mask ? contiguous(mask) : null;
  if (keyPadding.rank !== 2 || keyPadding.shape[0] !== B || keyPadding.shape[1] !== Tk) {
    throw new TensorError('attention', `keyPadding must be [B, Tk] = [${B}, ${Tk}], got ${fmtShape(keyPadding.shape)}`);
  }
  if (mask && mask.rank >= 3 && mask.shape[mask.rank - 3] !== 1) throw new TensorError('attention', 'a per-head mask cannot be combined with keyPadding; fold the padding into the mask');
  // Build [B, 1, Tq?, Tk]: the padding row, plus the mask when both are given.
  const withMask = mask ? mask.rank >= 2 && mask.shape[mask.rank - 2] !== 1 : false;
  const rows = withMask ? Tq : 1;
  const out = empty([B, 1, rows, Tk], mask?.dtype === 'float64' ? 'float64' : 'float32');
  const o = dense(out);
  const pad = keyPadding.toArray();
  const m = mask ? maskArg(mask, B, H, Tq, Tk) : null;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < Tk; j++) {
        const extra = m ? m.data[m.offset + b * m.strides[0]! + i * m.strides[2]! + j * m.strides[3]!]! : 0;
        o[(b * rows + i) * Tk + j] = pad[b * Tk + j] ? extra : -Infinity;
      }
    }
  }
  return out;
}

function maskArg(mask: Tensor, B: number, H: number, Tq: number, Tk: number): StridedArg {
  const lead = 4 - mask.rank;
  const full = [B, H, Tq, Tk];
  const strides = full.map((_, i) => (i < lead || mask.shape[i - lead] === 1 ? 0 : mask.strides[i - lead]!));
  return strided(mask, strides);
}
