// Optimizers over a list of parameter tensors: AdamW (one fused kernel per parameter) and SGD with
// momentum. State tensors live outside any tidy() scope, like the parameters.

import type { Tensor } from '../tensor/index.js';
import { TensorError, dense, empty, fmtShape, keep, kernels, noGrad } from '../tensor/index.js';

export interface Optimizer {
  /** Applies one update from the parameters' .grad (parameters without a gradient are skipped). */
  step(): void;
  /** Learning rate used by the next step (schedules set it). */
  lr: number;
  readonly params: readonly Tensor[];
}

export interface AdamWOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/** Float32 parameters only: the fused kernels update them in place. */
function checkParams(op: string, params: readonly Tensor[]): void {
  for (const p of params) {
    if (p.dtype !== 'float32' || !p.isContiguous() || p.offset !== 0) {
      throw new TensorError(op, `parameter ${fmtShape(p.shape)} must be a dense float32 tensor (got ${p.dtype}${p.isContiguous() ? '' : ', a strided view'})`);
    }
  }
}

export class AdamW implements Optimizer {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Steps taken per parameter: a parameter without a gradient (an idle expert) does not advance. */
  private readonly steps: number[];
  private readonly m: Tensor[];
  private readonly v: Tensor[];

  constructor(
    readonly params: readonly Tensor[],
    opts: AdamWOptions = {},
  ) {
    checkParams('AdamW', params);
    this.lr = opts.lr ?? 1e-3;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    this.steps = params.map(() => 0);
    this.m = params.map((p) => keep(empty(p.shape)));
    this.v = params.map((p) => keep(empty(p.shape)));
  }

  step(): void {
    noGrad(() => {
      this.params.forEach((p, i) => {
        if (!p.grad) return;
        const args = { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay, step: ++this.steps[i]! };
        kernels().adamw(dense(p) as Float32Array, gradOf(p), dense(this.m[i]!) as Float32Array, dense(this.v[i]!) as Float32Array, p.size, args);
      });
    });
  }
}

function gradOf(p: Tensor): Float32Array {
  const g = p.grad!;
  if (g.dtype !== 'float32' || !g.isContiguous()) throw new TensorError('optimizer', `gradient of ${fmtShape(p.shape)} must be dense float32`);
  return dense(g) as Float32Array;
}

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  weightDecay?: number;
}

/** SGD with optional momentum and L2 weight decay (PyTorch semantics: v = μv + g; p −= lr·v). */
export class SGD implements Optimizer {
  lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  private readonly velocity: (Float32Array | null)[];

  constructor(
    readonly params: readonly Tensor[],
    opts: SGDOptions = {},
  ) {
    checkParams('SGD', params);
    this.lr = opts.lr ?? 1e-2;
    this.momentum = opts.momentum ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.velocity = params.map(() => null);
  }

  step(): void {
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      const w = dense(p);
      const g = gradOf(p);
      let v = this.velocity[i];
      if (this.momentum !== 0 && !v) {
        v = new Float32Array(p.size);
        this.velocity[i] = v;
      }
      for (let j = 0; j < w.length; j++) {
        let d = g[j]! + this.weightDecay * w[j]!;
        if (v) d = v[j] = this.momentum * v[j]! + d;
        w[j] = w[j]! - this.lr * d;
      }
    });
  }
}

/**
 * Scales all gradients so their global L2 norm is at most maxNorm; returns the norm before clipping
 * (as torch.nn.utils.clip_grad_norm_ does).
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
  let sq = 0;
  for (const p of params) if (p.grad) sq += kernels().sumSquares(gradOf(p), p.size);
  const norm = Math.sqrt(sq);
  const scale = maxNorm / (norm + 1e-6);
  if (scale < 1) {
    for (const p of params) {
      if (!p.grad) continue;
      const g = gradOf(p);
      kernels().unary('affine', g, g, p.size, scale, 0);
    }
  }
  return norm;
}
