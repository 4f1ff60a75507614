// Module: a tree of named parameters with Hugging Face style dotted names ("layers.0.mlp.up_proj.weight"),
// so a checkpoint's tensor names map onto ours one to one. Plus the three leaf modules every model
// uses: Linear, Embedding and RMSNorm. Forward passes are plain calls into the tensor engine.

import type { FloatDtype, IndexTensor, Tensor } from '../tensor/index.js';
import * as T from '../tensor/index.js';

export class Module {
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  /** Registers (or replaces, e.g. when loading a checkpoint) a parameter under a local name. */
  protected param(name: string, t: Tensor): Tensor {
    this.params.set(name, t);
    return t;
  }

  /**
   * Registers (or replaces) a buffer: state saved with the checkpoint but not trained by gradients
   * (e.g. DeepSeek-V3's router bias, which has its own update rule).
   */
  protected buffer(name: string, t: Tensor): Tensor {
    this.buffers.set(name, t);
    return t;
  }

  /** Registers a child module; its parameters appear under `name.`. */
  protected child<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /** [dotted name, tensor] for every parameter, own parameters first, then children in registration order. */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.params) out.push([prefix + n, t]);
    for (const [n, c] of this.children) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Parameters and buffers under their dotted names: everything a checkpoint holds. */
  namedTensors(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.params) out.push([prefix + n, t]);
    for (const [n, t] of this.buffers) out.push([prefix + n, t]);
    for (const [n, c] of this.children) out.push(...c.namedTensors(`${prefix}${n}.`));
    return out;
  }
}

/** A list of modules named 0, 1, 2 … as HF names repeated layers ("layers.3.…"). */
export class ModuleList<M extends Module> extends Module {
  readonly items: readonly M[];

  constructor(items: readonly M[]) {
    super();
    items.forEach((m, i) => this.child(String(i), m));
    this.items = items;
  }
}

export interface InitOptions {
  /** Seeded generator for the initial weights; null leaves them zero (a checkpoint will fill them). */
  readonly rng: T.Rng | null;
  /** Standard deviation of the normal initialisation (default 0.02, HF's initializer_range). */
  readonly std?: number;
  /**
   * Storage of Linear weights: float32 (trainable) or bfloat16/float16 for inference, half the memory;
   * matmul reads them directly. Other parameters (embeddings, norms) stay float32.
   */
  readonly linearDtype?: T.FloatDtype | T.HalfDtype;
}

/** A [rows, cols] weight drawn from N(0, std²), or zeros without a generator; trainable when float. */
function initWeight(shape: readonly number[], opts: InitOptions, dtype: T.FloatDtype | T.HalfDtype = 'float32'): Tensor {
  const half = dtype === 'bfloat16' || dtype === 'float16';
  if (!opts.rng) return half ? T.zeros(shape, { dtype }) : T.zeros(shape, { dtype, requiresGrad: true });
  const w = T.randn(shape, opts.rng, { std: opts.std ?? 0.02 });
  if (half) {
    const half = T.toHalf(w, dtype);
    w.dispose();
    return half;
  }
  return T.requireGrad(w);
}

export interface LinearOptions extends InitOptions {
  readonly bias?: boolean;
}

/** y = x · Wᵀ + b with W [out, in] as HF stores it; W may be bf16/f16 (inference), x stays float. */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions) {
    super();
    this.weight = this.param('weight', initWeight([outFeatures, inFeatures], opts, opts.linearDtype));
    this.bias = opts.bias ? this.param('bias', T.zeros([outFeatures], { requiresGrad: true })) : null;
  }

  /** Replaces the weight (e.g. with a bf16 copy from a checkpoint); the shape must match. */
  setWeight(w: Tensor): void {
    if (w.rank !== 2 || w.shape[0] !== this.outFeatures || w.shape[1] !== this.inFeatures) {
      throw new T.TensorError('Linear', `weight ${T.fmtShape(w.shape)} does not match [${this.outFeatures}, ${this.inFeatures}]`);
    }
    this.weight = this.param('weight', w);
  }

  forward(x: Tensor): Tensor {
    const wt = T.transpose(this.weight, 0, 1); // [in, out]
    const y = T.matmul(x, wt); // [..., out]
    T.release(wt);
    if (!this.bias) return y;
    const out = T.add(y, this.bias);
    T.release(y);
    return out;
  }
}

/** Token embedding table [vocab, dim]. */
export class Embedding extends Module {
  readonly weight: Tensor;

  constructor(readonly numEmbeddings: number, readonly dim: number, opts: InitOptions) {
    super();
    this.weight = this.param('weight', initWeight([numEmbeddings, dim], opts));
  }

  forward(ids: IndexTensor): Tensor {
    return T.embedding(this.weight, ids); // [...ids, dim]
  }
}

/** RMSNorm over the last dimension, weight initialised to ones (no bias, as in DeepSeek/Qwen/Llama). */
export class RMSNorm extends Module {
  readonly weight: Tensor;

  constructor(readonly dim: number, readonly eps = 1e-6, dtype: FloatDtype = 'float32') {
    super();
    this.weight = this.param('weight', T.ones([dim], { dtype, requiresGrad: true }));
  }

  forward(x: Tensor): Tensor {
    return T.rmsNorm(x, this.weight, this.eps);
  }
}
