// DeepSeekMoE (DeepSeek-V3 §2.1.2; reference sheet §3): fine-grained routed experts chosen per token
// plus always-on shared experts. Tokens are dispatched by grouping them per expert (gather → expert
// → weighted index-add), so each expert only sees its own tokens.
// Balancing: the router's e_score_correction_bias shifts selection only (aux-loss-free balancing,
// updated by a sign rule outside gradient descent), plus the small sequence-wise auxiliary loss.

import type { Tensor } from '../../tensor/index.js';
import * as T from '../../tensor/index.js';
import { Linear, Module, ModuleList } from '../../nn/index.js';
import type { InitOptions } from '../../nn/index.js';
import type { DeepseekV3Config } from '../config.js';
import { Mlp } from './mlp.js';
import type { DispatchPlan, RoutingRule } from './routing.js';
import { dispatchPlan, selectExperts } from './routing.js';

/** A Linear weight's elements as the kernel reads them: float32 values or half bits, all one dtype. */
function weightData(w: Tensor, dtype: T.DType): Float32Array | Uint16Array {
  if (w.dtype !== dtype || (dtype !== 'float32' && dtype !== 'bfloat16' && dtype !== 'float16')) {
    throw new T.TensorError('MoE', `expert weights must share one dtype of float32, bfloat16 or float16; got ${w.dtype} and ${dtype}`);
  }
  if (w.disposed) throw new T.TensorError('MoE', 'an expert weight was disposed; the model cannot run after dispose()');
  let view = weightViews.get(w);
  if (!view) {
    const data = w.data as Float32Array | Uint16Array;
    view = data.subarray(w.offset, w.offset + w.size);
    weightViews.set(w, view);
  }
  return view;
}

/** Each expert weight's element view, made once: decoding asks for every expert's weights every step. */
const weightViews = new WeakMap<Tensor, Float32Array | Uint16Array>();

/** The router: a bias-free linear map to one logit per routed expert, plus the selection bias. */
export class Gate extends Linear {
  /** Aux-loss-free balancing bias (V3): selection only, never in the mixing weights. */
  readonly e_score_correction_bias: Tensor | null;

  constructor(hidden: number, experts: number, withBias: boolean, init: InitOptions) {
    super(hidden, experts, init);
    this.e_score_correction_bias = withBias ? this.buffer('e_score_correction_bias', T.zeros([experts])) : null;
  }
}

export interface MoeOutput {
  readonly y: Tensor;
  /** The sequence-wise balance loss of this layer (null unless computed). */
  readonly auxLoss: Tensor | null;
  /** Share of the N·K token-slot assignments each routed expert received in this pass. */
  readonly load: Float32Array;
}

export class MoE extends Module {
  readonly gate: Gate;
  readonly experts: ModuleList<Mlp>;
  readonly shared_experts: Mlp | null;
  private readonly rule: RoutingRule;
  private readonly normTopk: boolean;
  private readonly scalingFactor: number;
  /** Assignments per expert since the last bias update (training passes only). */
  private readonly pendingLoad: Float64Array;

  constructor(cfg: DeepseekV3Config, init: InitOptions) {
    super();
    const d = cfg.hidden_size;
    const E = cfg.n_routed_experts;
    this.rule = {
      experts: E,
      topK: cfg.num_experts_per_tok,
      nGroup: cfg.n_group,
      topkGroup: cfg.topk_group,
      scoring: cfg.scoring_func,
      groupLimited: cfg.topk_method !== 'greedy',
    };
    this.normTopk = cfg.norm_topk_prob;
    this.scalingFactor = cfg.routed_scaling_factor;
    this.gate = this.child('gate', new Gate(d, E, cfg.topk_method === 'noaux_tc', init));
    this.experts = this.child('experts', new ModuleList(Array.from({ length: E }, () => new Mlp(d, cfg.moe_intermediate_size, init))));
    this.shared_experts = cfg.n_shared_experts > 0 ? this.child('shared_experts', new Mlp(d, cfg.moe_intermediate_size * cfg.n_shared_experts, init)) : null;
    this.pendingLoad = new Float64Array(E);
  }

  /**
   * x [B, T, d] → y [B, T, d]. With auxAlpha > 0 also the sequence-wise balance loss over each of the
   * B sequences (V3 eq. 17–20), averaged over sequences.
   */
  forward(x: Tensor, batch: number, auxAlpha: number): MoeOutput {
    const d = x.shape[x.rank - 1]!;
    const N = x.size / d;
    const { experts: E, topK: K } = this.rule;
    const flat = T.reshape(x, [N, d]);
    const logits = this.gate.forward(flat); // [N, E]
    const scores = this.rule.scoring === 'sigmoid' ? T.sigmoid(logits) : T.softmax(logits, -1);
    const bias = this.gate.e_score_correction_bias;
    const chosen = selectExperts(scores.data as ArrayLike<number>, bias ? (bias.data as ArrayLike<number>) : null, N, this.rule);
    const weights = this.mixingWeights(scores, chosen, N);
    const plan = dispatchPlan(chosen, K, E);

    // Gather every assignment's token in expert order; each expert runs on its contiguous block.
    const routedIn = T.indexSelect(flat, 0, plan.token); // [N·K, d]
    const routedOut = T.isGradEnabled() || routedIn.dtype !== 'float32' ? this.expertsOneByOne(routedIn, plan) : this.expertsInOneCall(routedIn, plan);
    const w = T.indexSelect(T.reshape(weights, [N * K, 1]), 0, plan.slot); // [N·K, 1] in expert order
    let y = T.indexAdd(T.zeros([N, d], { dtype: routedOut.dtype }), 0, plan.token, T.mul(routedOut, w));
    if (this.shared_experts) y = T.add(y, this.shared_experts.forward(flat));

    const load = new Float32Array(E);
    for (let e = 0; e < E; e++) load[e] = plan.count[e]! / (N * K);
    if (T.isGradEnabled()) for (let e = 0; e < E; e++) this.pendingLoad[e] += plan.count[e]!;
    const auxLoss = auxAlpha > 0 ? this.sequenceAuxLoss(scores, chosen, batch, N / batch, auxAlpha) : null;
    return { y: T.reshape(y, x.shape), auxLoss, load };
  }

  /** Training: each expert as its own module, so autograd records every product. */
  private expertsOneByOne(routedIn: Tensor, plan: DispatchPlan): Tensor {
    const outs: Tensor[] = [];
    this.experts.items.forEach((expert, e) => {
      if (plan.count[e] === 0) return;
      outs.push(expert.forward(T.slice(routedIn, 0, plan.start[e]!, plan.start[e]! + plan.count[e]!)));
    });
    return outs.length === 1 ? outs[0]! : T.cat(outs, 0);
  }

  /** Inference: every active expert's MLP in one kernel call (decoding gives each expert few rows). */
  private expertsInOneCall(routedIn: Tensor, plan: DispatchPlan): Tensor {
    const active = this.experts.items.flatMap((expert, e) => (plan.count[e]! > 0 ? [{ expert, e }] : []));
    const dtype = active[0]!.expert.gate_proj.weight.dtype;
    const x = T.contiguous(routedIn);
    const [rows, d] = x.shape as [number, number];
    const out = T.empty([rows, d], 'float32', false);
    T.kernels().expertMlp({
      out: T.dense(out), x: T.dense(x), rows, d, inter: active[0]!.expert.intermediate,
      starts: Int32Array.from(active, ({ e }) => plan.start[e]!), counts: Int32Array.from(active, ({ e }) => plan.count[e]!),
      gates: active.map(({ expert }) => weightData(expert.gate_proj.weight, dtype)),
      ups: active.map(({ expert }) => weightData(expert.up_proj.weight, dtype)),
      downs: active.map(({ expert }) => weightData(expert.down_proj.weight, dtype)),
      dtype: dtype === 'float32' ? 'float' : (dtype as T.HalfDtype),
    });
    x.dispose();
    return out;
  }

  /** The chosen experts' unbiased scores, normalised to sum 1 if configured, times the scaling factor. */
  private mixingWeights(scores: Tensor, chosen: Int32Array, N: number): Tensor {
    const K = this.rule.topK;
    const picked = T.gather(scores, 1, { data: chosen, shape: [N, K] });
    const normed = this.normTopk ? T.div(picked, T.affine(T.sum(picked, -1, true), 1, 1e-20)) : picked;
    return T.affine(normed, this.scalingFactor, 0);
  }

  /**
   * α · Σ_i f_i · P_i per sequence, averaged: f_i = E/(K·T) · (tokens of the sequence routed to i),
   * P_i = mean over the sequence of the token's normalised affinity s_i / Σ_j s_j.
   */
  private sequenceAuxLoss(scores: Tensor, chosen: Int32Array, batch: number, steps: number, alpha: number): Tensor {
    const { experts: E, topK: K } = this.rule;
    const normalised = this.rule.scoring === 'sigmoid' ? T.div(scores, T.sum(scores, -1, true)) : scores;
    const P = T.mean(T.reshape(normalised, [batch, steps, E]), 1); // [B, E]
    const f = new Float32Array(batch * E);
    for (let a = 0; a < chosen.length; a++) {
      const b = Math.floor(a / (steps * K));
      f[b * E + chosen[a]!] += E / (K * steps);
    }
    const total = T.sum(T.mul(P, T.tensor(f, [batch, E], { dtype: scores.dtype })));
    return T.affine(total, alpha / batch, 0);
  }

  /**
   * The aux-loss-free balancing step (V3 §2.1.2): after a training step, each expert's bias moves by
   * γ toward balance, b_i += γ · sign(mean load − load_i), using the loads seen since the last call.
   */
  updateBias(gamma: number): void {
    const bias = this.gate.e_score_correction_bias;
    if (!bias) return;
    const loads = this.pendingLoad;
    const mean = loads.reduce((a, b) => a + b, 0) / loads.length;
    const b = bias.data as Float32Array;
    for (let e = 0; e < loads.length; e++) b[bias.offset + e] += gamma * Math.sign(mean - loads[e]!);
    loads.fill(0);
  }
}
