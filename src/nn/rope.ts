// Rotary position tables (RoPE, Su et al. 2021) with the two context extensions R1's models use:
// YaRN as DeepSeek-V3 applies it (V3 paper §4.3; reference sheet §1.3, §2.2) and Llama-3.1's
// frequency scaling (the R1-Distill-Llama models). Letters: D = rotary dimension, P = positions,
// i = pair index 0..D/2-1. The fused T.rope op reads the tables; the layout (interleaved or halves)
// is its concern, not theirs.

import type { Tensor } from '../tensor/index.js';
import * as T from '../tensor/index.js';

/** YaRN scaling; field names are the Hugging Face `rope_scaling` names, so a config flows in as is. */
export type YarnScaling = Readonly<{
  rope_type: 'yarn';
  factor: number;
  original_max_position_embeddings: number;
  beta_fast: number;
  beta_slow: number;
  mscale: number;
  mscale_all_dim: number;
}>;

/** Llama-3.1 frequency scaling (Hugging Face `rope_scaling` names). */
export type Llama3Scaling = Readonly<{
  rope_type: 'llama3';
  factor: number;
  low_freq_factor: number;
  high_freq_factor: number;
  original_max_position_embeddings: number;
}>;

export type RopeScalingSpec = YarnScaling | Llama3Scaling;

export interface RopeTableOptions {
  /** Rotary dimension D (DeepSeek-V3: qk_rope_head_dim = 64; Qwen/Llama: head_dim). */
  readonly rotaryDim: number;
  /** Number of positions P the tables cover. */
  readonly maxPositions: number;
  /** rope_theta, the frequency base. */
  readonly theta: number;
  readonly scaling?: RopeScalingSpec | null;
  /** Table dtype (default float32; float64 for finite-difference checks). */
  readonly dtype?: 'float32' | 'float64';
}

/** YaRN's attention temperature: 0.1·m·ln(s) + 1, and 1 when the scale s does not extend (s ≤ 1). */
export function yarnMscale(scale: number, mscale = 1): number {
  return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
}

/**
 * The attention softmax scale: qkHeadDim^-0.5, times mscale(factor, mscale_all_dim)² under YaRN, as
 * HF, transformers and llama.cpp apply it (always, not only past the original context).
 */
export function attentionScale(qkHeadDim: number, scaling?: RopeScalingSpec | null): number {
  const base = 1 / Math.sqrt(qkHeadDim);
  if (!scaling || scaling.rope_type !== 'yarn' || !scaling.mscale_all_dim) return base;
  const m = yarnMscale(scaling.factor, scaling.mscale_all_dim);
  return base * m * m;
}

/** The D/2 inverse frequencies, after the context extension if one is given. */
export function inverseFrequencies(rotaryDim: number, theta: number, scaling?: RopeScalingSpec | null): Float64Array {
  const half = rotaryDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = Math.pow(theta, (-2 * i) / rotaryDim);
  if (!scaling) return inv;
  if (scaling.rope_type === 'yarn') return yarn(inv, rotaryDim, theta, scaling);
  return llama3(inv, scaling);
}

/** The dimension (in D units) whose wavelength completes `rotations` turns over the original context. */
function correctionDim(rotations: number, dim: number, theta: number, original: number): number {
  return (dim * Math.log(original / (rotations * 2 * Math.PI))) / (2 * Math.log(theta));
}

function yarn(extra: Float64Array, dim: number, theta: number, s: YarnScaling): Float64Array {
  const L0 = s.original_max_position_embeddings;
  const low = Math.max(Math.floor(correctionDim(s.beta_fast, dim, theta, L0)), 0);
  let high = Math.min(Math.ceil(correctionDim(s.beta_slow, dim, theta, L0)), dim - 1);
  if (low === high) high += 0.001; // avoids a division by zero, as the reference does
  const out = new Float64Array(extra.length);
  for (let i = 0; i < extra.length; i++) {
    // ramp 0: keep the original (extrapolated) frequency; ramp 1: interpolate it by the factor.
    const ramp = Math.min(Math.max((i - low) / (high - low), 0), 1);
    out[i] = (extra[i]! / s.factor) * ramp + extra[i]! * (1 - ramp);
  }
  return out;
}

function llama3(inv: Float64Array, s: Llama3Scaling): Float64Array {
  const L0 = s.original_max_position_embeddings;
  const lowWavelen = L0 / s.low_freq_factor;
  const highWavelen = L0 / s.high_freq_factor;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / s.factor;
    const smooth = (L0 / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
    return (1 - smooth) * (f / s.factor) + smooth * f;
  });
}

/** cos/sin tables [P, D/2] of the angles pos·inv_freq[i], computed in float64 then stored. */
export function ropeTables(opts: RopeTableOptions): { cos: Tensor; sin: Tensor } {
  const { rotaryDim, maxPositions } = opts;
  if (!Number.isInteger(rotaryDim) || rotaryDim <= 0 || rotaryDim % 2 !== 0) throw new RangeError(`ropeTables: rotaryDim must be a positive even integer, got ${rotaryDim}`);
  if (!Number.isInteger(maxPositions) || maxPositions <= 0) throw new RangeError(`ropeTables: maxPositions must be a positive integer, got ${maxPositions}`);
  const inv = inverseFrequencies(rotaryDim, opts.theta, opts.scaling);
  const half = rotaryDim / 2;
  const c = new Float64Array(maxPositions * half);
  const s = new Float64Array(maxPositions * half);
  for (let p = 0; p < maxPositions; p++) {
    for (let i = 0; i < half; i++) {
      const a = p * inv[i]!;
      c[p * half + i] = Math.cos(a);
      s[p * half + i] = Math.sin(a);
    }
  }
  const dtype = opts.dtype ?? 'float32';
  return { cos: T.tensor(c, [maxPositions, half], { dtype }), sin: T.tensor(s, [maxPositions, half], { dtype }) };
}
