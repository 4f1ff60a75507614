// Scaled dot-product attention (causal, grouped heads, additive strided mask) and its backward.
import type { AttentionArgs, FloatArray, KvLayout } from '../kernels.js';

/** Index of row (b, kv head, key j) of k or v: through the view's layout (forward), or dense. */
function rowStart(layout: KvLayout | null | undefined, b: number, kh: number, j: number, Hk: number, Tk: number, D: number): number {
  if (!layout) return ((b * Hk + kh) * Tk + j) * D;
  const [sb, sh, st] = layout.strides;
  return layout.offset + b * sb + kh * sh + j * st;
}

/**
 * The masked, scaled scores of query i against every key of one (b, h): scores[j] is −Infinity for
 * a key the query may not see. Shared by the forward and backward passes so both see the same logits.
 */
function scoresRow(
  scores: Float64Array, q: FloatArray, k: FloatArray, args: AttentionArgs, b: number, h: number, i: number,
): void {
  const { H, Hk, Tq, Tk, D, scale, causal, mask } = args;
  const kh = Math.floor(h / (H / Hk));
  const qRow = ((b * H + h) * Tq + i) * D;
  for (let j = 0; j < Tk; j++) {
    if (causal && j > i + (Tk - Tq)) {
      scores[j] = -Infinity;
      continue;
    }
    const kRow = rowStart(args.kLayout, b, kh, j, Hk, Tk, D);
    let dot = 0;
    for (let d = 0; d < D; d++) dot += q[qRow + d] * k[kRow + d];
    let s = scale * dot;
    if (mask) {
      const st = mask.strides;
      s += mask.data[mask.offset + b * st[0] + h * st[1] + i * st[2] + j * st[3]];
    }
    scores[j] = s;
  }
}

export function attention(out: FloatArray, lse: FloatArray, q: FloatArray, k: FloatArray, v: FloatArray, args: AttentionArgs): void {
  const { B, H, Hk, Tq, Tk, Dv } = args;
  const scores = new Float64Array(Tk);
  const acc = new Float64Array(Dv); // sums in double even when out is float32
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const kh = Math.floor(h / (H / Hk));
      for (let i = 0; i < Tq; i++) {
        scoresRow(scores, q, k, args, b, h, i);
        const row = (b * H + h) * Tq + i;
        const oRow = row * Dv;
        let m = -Infinity;
        for (let j = 0; j < Tk; j++) m = Math.max(m, scores[j]);
        if (m === -Infinity) {
          out.fill(0, oRow, oRow + Dv);
          lse[row] = -Infinity;
          continue;
        }
        acc.fill(0);
        let l = 0;
        for (let j = 0; j < Tk; j++) {
          const p = Math.exp(scores[j] - m);
          if (p === 0) continue;
          l += p;
          const vRow = rowStart(args.vLayout, b, kh, j, Hk, Tk, Dv);
          for (let d = 0; d < Dv; d++) acc[d] += p * v[vRow + d];
        }
        for (let d = 0; d < Dv; d++) out[oRow + d] = acc[d] / l;
        lse[row] = m + Math.log(l);
      }
    }
  }
}

export function attentionBackward(
  gq: FloatArray, gk: FloatArray, gv: FloatArray, gout: FloatArray,
  q: FloatArray, k: FloatArray, v: FloatArray, out: FloatArray, lse: FloatArray, args: AttentionArgs,
): void {
  const { B, H, Hk, Tq, Tk, D, Dv, scale } = args;
  // Accumulate in double (even for float32 outputs), then overwrite. gk and gv gather over every
  // query of every head in the group, since several query heads share one key/value head.
  const dq = new Float64Array(B * H * Tq * D);
  const dk = new Float64Array(B * Hk * Tk * D);
  const dv = new Float64Array(B * Hk * Tk * Dv);
  const scores = new Float64Array(Tk);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const kh = Math.floor(h / (H / Hk));
      for (let i = 0; i < Tq; i++) {
        const row = (b * H + h) * Tq + i;
        if (lse[row] === -Infinity) continue; // saw no key: out was 0 whatever q, k, v were
        scoresRow(scores, q, k, args, b, h, i);
        const qRow = row * D;
        const oRow = row * Dv;
        // Σ_j p_j·dp_j equals gout·out, since out = Σ_j p_j v_j (the FlashAttention identity).
        let delta = 0;
        for (let d = 0; d < Dv; d++) delta += gout[oRow + d] * out[oRow + d];
        for (let j = 0; j < Tk; j++) {
          const p = Math.exp(scores[j] - lse[row]);
          if (p === 0) continue;
          const kRow = ((b * Hk + kh) * Tk + j) * D;
          const vRow = ((b * Hk + kh) * Tk + j) * Dv;
          let dp = 0;
          for (let d = 0; d < Dv; d++) {
            dp += gout[oRow + d] * v[vRow + d];
            dv[vRow + d] += p * gout[oRow + d];
          }
          const ds = p * (dp - delta) * scale;
          for (let d = 0; d < D; d++) {
            dq[qRow + d] += ds * k[kRow + d];
            dk[kRow + d] += ds * q[qRow + d];
          }
        }
      }
    }
  }
  gq.set(dq);
  gk.set(dk);
  gv.set(dv);
}
