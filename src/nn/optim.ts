// Optimizers over a list of parameter tensors: AdamW (one fused kernel per parameter) and SGD with
// momentum. State tensors live outside any tidy() scope, like the parameters. Both export their state
// (stateDict) and take it back (loadStateDict), so a run resumed from a checkpoint steps exactly as an
// uninterrupted one.

import type { Tensor } from '../tensor/index.js';
import { TensorError, dense, empty, fmtShape, keep, kernels, noGrad } from '../tensor/index.js';

export interface Optimizer {
  /** Applies one update from the parameters' .grad (parameters without a gradient are skipped). */
  step(): void;
  /** Learning rate used by the next step (schedules set it). */
  lr: number;
  readonly params: readonly Tensor[];
  /**
   * The state a resumed run needs (see OptimizerState), copied; with { copy: false } the buffers are
   * views of the live ones, valid until the next step (a checkpoint writer uses them to save memory).
   */
  stateDict(opts?: { copy?: boolean }): OptimizerState;
  /** Throws, changing nothing, when `state` belongs to another kind of optimizer or another model. */
  checkStateDict(state: OptimizerState): void;
  /** Restores stateDict()'s result (checked first, as checkStateDict does). */
  loadStateDict(state: OptimizerState): void;
}

/**
 * An optimizer's state apart from the parameters: per-parameter step counts and named float32 buffers
 * (`m.3` is AdamW's first moment of parameter 3). stateDict() gives copies (changing them does not touch
 * the optimizer) unless asked for views.
 */
export interface OptimizerState {
  readonly kind: 'adamw' | 'sgd';
  readonly steps: number[];
  readonly tensors: Record<string, Float32Array>;
}

/** Throws unless `s` is a state of this kind for these parameters, with exactly the expected buffers. */
function checkState(s: OptimizerState, kind: OptimizerState['kind'], params: readonly Tensor[], expected: ReadonlyMap<string, number>): void {
  const bad = (what: string): TensorError => new TensorError('loadStateDict', `${what}; load a state saved by the same optimizer over the same model`);
  if (s.kind !== kind) throw bad(`the state is of a ${s.kind} optimizer, this one is ${kind}`);
  if (s.steps.length !== params.length) throw bad(`the state has step counts for ${s.steps.length} parameters, this optimizer has ${params.length}`);
  s.steps.forEach((n, i) => {
    if (!Number.isSafeInteger(n) || n < 0) throw bad(`step count ${i} is ${n}, not a non-negative integer`);
  });
  for (const [name, data] of Object.entries(s.tensors)) {
    const want = expected.get(name);
    if (want === undefined) throw bad(`the state has a buffer "${name}" this optimizer does not know`);
    if (data.length !== want) throw bad(`buffer "${name}" has ${data.length} values, parameter ${name.split('.')[1]} has ${want}`);
  }
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

  /** Step counts and both moments of every parameter (`m.i`, `v.i`). */
  stateDict(opts: { copy?: boolean } = {}): OptimizerState {
    const out = (t: Tensor): Float32Array => (opts.copy === false ? (dense(t) as Float32Array) : (dense(t) as Float32Array).slice());
    const tensors: Record<string, Float32Array> = {};
    this.params.forEach((_, i) => {
      tensors[`m.${i}`] = out(this.m[i]!);
      tensors[`v.${i}`] = out(this.v[i]!);
    });
    return { kind: 'adamw', steps: [...this.steps], tensors };
  }

  /** Throws, changing nothing, unless `s` is an AdamW state for exactly these parameters. */
  checkStateDict(s: OptimizerState): void {
    const expected = new Map(this.params.flatMap((p, i) => [[`m.${i}`, p.size], [`v.${i}`, p.size]] as const));
    checkState(s, 'adamw', this.params, expected);
    const missing = [...expected.keys()].filter((name) => !Object.hasOwn(s.tensors, name));
    if (missing.length > 0) throw new TensorError('loadStateDict', `the AdamW state lacks ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ' …' : ''}; it is incomplete`);
  }

  /** Restores a stateDict(); checks everything before changing anything. */
  loadStateDict(s: OptimizerState): void {
    this.checkStateDict(s);
    this.params.forEach((_, i) => {
      this.steps[i] = s.steps[i]!;
      (dense(this.m[i]!) as Float32Array).set(s.tensors[`m.${i}`]!);
      (dense(this.v[i]!) as Float32Array).set(s.tensors[`v.${i}`]!);
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
  /** Updates applied per parameter (kept for the state, as AdamW keeps its own). */
  private readonly steps: number[];
  /** Momentum buffers, created at a parameter's first update as torch does. */
  private readonly velocity: (Float32Array | null)[];

  constructor(
    readonly params: readonly Tensor[],
    opts: SGDOptions = {},
  ) {
    checkParams('SGD', params);
    this.lr = opts.lr ?? 1e-2;
    this.momentum = opts.momentum ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    this.steps = params.map(() => 0);
    this.velocity = params.map(() => null);
  }

  step(): void {
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      this.steps[i]!++;
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

  /** Step counts and the momentum buffers that exist (`velocity.i`). */
  stateDict(opts: { copy?: boolean } = {}): OptimizerState {
    const tensors: Record<string, Float32Array> = {};
    this.velocity.forEach((v, i) => {
      if (v) tensors[`velocity.${i}`] = opts.copy === false ? v : v.slice();
    });
    return { kind: 'sgd', steps: [...this.steps], tensors };
  }

  /** Throws, changing nothing, unless `s` is an SGD state for exactly these parameters. */
  checkStateDict(s: OptimizerState): void {
    checkState(s, 'sgd', this.params, new Map(this.params.map((p, i) => [`velocity.${i}`, p.size])));
  }

  /** Restores a stateDict(); checks everything before changing anything. */
  loadStateDict(s: OptimizerState): void {
    this.checkStateDict(s);
    this.params.forEach((_, i) => {
      this.steps[i] = s.steps[i]!;
      const v = s.tensors[`velocity.${i}`];
      this.velocity[i] = v ? v.slice() : null;
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
