// The whole causal language model under Hugging Face names: `model.embed_tokens`, `model.layers.N.…`,
// `model.norm` and `lm_head` (absent when the head is tied to the embedding), so parameter names are
// checkpoint names. One class for DeepSeek-V3 and the dense Qwen2/Llama students; the config decides.
//
// Two modes: training (no cache; gradients through everything; the MoE balance loss returned) and
// inference (a KVCache per batch of sequences; prefill then incremental decode).

import os from 'node:os';

import type { Tensor } from '../tensor/index.js';
import * as T from '../tensor/index.js';
import { Embedding, Linear, Module, ModuleList, RMSNorm } from '../nn/index.js';
import type { InitOptions } from '../nn/index.js';
import type { ModelConfig } from './config.js';
import { ConfigError, headDim } from './config.js';
import { KVCache } from './kv-cache.js';
import type { LayerContext } from './layers/context.js';
import { DecoderLayer } from './layers/decoder.js';
import type { MlaPath } from './layers/mla.js';
import { MoE } from './layers/moe.js';
import { Rotary } from './layers/rotary.js';
import { countParams } from './params.js';

export interface ForwardOptions {
  /** Rows in `ids` (equal-length sequences, row-major). Default 1. */
  readonly batch?: number;
  /** Inference: append to this cache and attend over everything in it. */
  readonly cache?: KVCache | null;
  /** MLA path without a cache (with one, the cache's layout decides). Default 'expanded'. */
  readonly mla?: MlaPath;
  /** Logits of every position (default) or only of each row's last real token (prefill for generation). */
  readonly logits?: 'all' | 'last';
  /** With a cache: the slot each row continues (default: row b → slot b, all slots). */
  readonly slots?: Int32Array;
  /**
   * Real tokens per row when rows are right-padded to a common length (default: all). Padding is
   * computed but never attended to, and the cache advances each slot by its real count only.
   */
  readonly lengths?: Int32Array;
}

export interface ForwardResult {
  /** [B, T, vocab], or [B, 1, vocab] with logits: 'last'. */
  readonly logits: Tensor;
  /** Sum over MoE layers of the sequence-wise balance loss; null when not computed. */
  readonly auxLoss: Tensor | null;
  /** For each MoE layer in order: the share of token-slot assignments each expert received. */
  readonly expertLoad: Float32Array[];
}

export interface LossResult extends ForwardResult {
  /** Cross-entropy plus the balance loss: what training minimises. */
  readonly loss: Tensor;
  readonly ce: Tensor;
}

class DecoderStack extends Module {
  readonly embed_tokens: Embedding;
  readonly layers: ModuleList<DecoderLayer>;
  readonly norm: RMSNorm;

  constructor(cfg: ModelConfig, init: InitOptions) {
    super();
    this.embed_tokens = this.child('embed_tokens', new Embedding(cfg.vocab_size, cfg.hidden_size, init));
    this.layers = this.child('layers', new ModuleList(Array.from({ length: cfg.num_hidden_layers }, (_, i) => new DecoderLayer(cfg, i, init))));
    this.norm = this.child('norm', new RMSNorm(cfg.hidden_size, cfg.rms_norm_eps));
  }
}

export interface CreateModelOptions {
  /** Seed of the initial weights (normal, std = 0.02 as HF's initializer_range). Default 0. */
  readonly seed?: number;
  /** 'none' allocates zero weights for a checkpoint to fill (skips drawing billions of normals). */
  readonly init?: 'random' | 'none';
  /** Storage of the Linear weights: float32 (trainable, default) or bfloat16/float16 (inference). */
  readonly linearDtype?: T.FloatDtype | T.HalfDtype;
}

export class CausalLM extends Module {
  readonly model: DecoderStack;
  readonly lm_head: Linear | null;
  private readonly rotary: Rotary;

  constructor(readonly config: ModelConfig, opts: CreateModelOptions = {}) {
    super();
    refuseOversized(config, opts.linearDtype);
    const init = { rng: opts.init === 'none' ? null : new T.Rng(opts.seed ?? 0), std: 0.02, linearDtype: opts.linearDtype ?? 'float32' };
    this.model = this.child('model', new DecoderStack(config, init));
    this.lm_head = config.tie_word_embeddings ? null : this.child('lm_head', new Linear(config.hidden_size, config.vocab_size, init));
    this.rotary = config.model_type === 'deepseek_v3'
      ? new Rotary(config.qk_rope_head_dim, config.rope_theta, config.rope_scaling, true)
      : new Rotary(headDim(config), config.rope_theta, config.rope_scaling, false);
  }

  /** A cache for `batch` sequences of up to `capacity` tokens (MLA: absorbed latent cache by default). */
  newCache(batch: number, capacity: number, opts: { mla?: MlaPath } = {}): KVCache {
    const path = opts.mla ?? 'absorbed';
    const layers = this.model.layers.items;
    return new KVCache(batch, capacity, layers.map((l) => l.cacheShape(path)), this.cacheLayout(path));
  }

  private cacheLayout(path: MlaPath): string {
    return this.config.model_type === 'deepseek_v3' ? `mla-${path}` : 'gqa';
  }

  /**
   * Runs the model on `ids` (batch rows of equal length). Under gradient recording (training) the
   * balance loss is computed when the config's aux_loss_alpha is positive.
   */
  forward(ids: Int32Array, opts: ForwardOptions = {}): ForwardResult {
    const B = opts.batch ?? 1;
    if (!Number.isInteger(B) || B <= 0 || ids.length % B !== 0 || ids.length === 0) {
      throw new RangeError(`forward: ${ids.length} token ids cannot form ${B} equal non-empty rows`);
    }
    const S = ids.length / B;
    this.checkIds(ids);
    const cache = opts.cache ?? null;
    const path = this.pathFor(cache, opts.mla);
    const lengths = opts.lengths ?? new Int32Array(B).fill(S);
    if (lengths.length !== B || lengths.some((n) => !(n >= 1 && n <= S))) {
      throw new RangeError(`forward: lengths must give 1 … ${S} real tokens for each of the ${B} rows`);
    }
    const slots = opts.slots ?? (cache ? cache.allSlots() : new Int32Array(0));
    if (cache) {
      if (slots.length !== B) throw new RangeError(`forward: ${slots.length} cache slots given for ${B} rows${opts.slots ? '' : ` (the cache has ${cache.batch} slots; pass slots to use some of them)`}`);
      if (new Set(slots).size !== slots.length) throw new RangeError('forward: two rows cannot continue the same cache slot');
    }
    const starts = Int32Array.from(slots, (s) => cache!.lengths[s]!);
    const positions = Int32Array.from({ length: B * S }, (_, i) => (cache ? starts[Math.floor(i / S)]! : 0) + (i % S));
    const mask = cache && starts.some((s) => s !== starts[0]) ? T.keep(staggeredMask(starts, S)) : null;
    const auxAlpha = T.isGradEnabled() && this.config.model_type === 'deepseek_v3' ? this.config.aux_loss_alpha : 0;
    let h = this.model.embed_tokens.forward({ data: ids, shape: [B, S] });
    const auxLosses: Tensor[] = [];
    const expertLoad: Float32Array[] = [];
    try {
      this.model.layers.items.forEach((layer, i) => {
        const ctx: LayerContext = { batch: B, steps: S, positions, rotary: this.rotary, cache, slots, mask, layerIndex: i };
        const run = () => layer.forward(h, ctx, path, auxAlpha);
        // Without a tape nothing else needs a layer's intermediates: free them layer by layer.
        const out = T.isGradEnabled() ? run() : T.tidy(run);
        h = out.h;
        if (out.auxLoss) auxLosses.push(out.auxLoss);
        if (out.load) expertLoad.push(out.load);
      });
    } finally {
      mask?.dispose();
    }
    cache?.commit(slots, lengths);
    const last = opts.logits === 'last' ? lastRealTokens(h, lengths) : h;
    const normed = this.model.norm.forward(last);
    const logits = this.lm_head ? this.lm_head.forward(normed) : T.matmul(normed, T.transpose(this.model.embed_tokens.weight, 0, 1));
    const auxLoss = auxLosses.length === 0 ? null : auxLosses.reduce((a, b) => T.add(a, b));
    return { logits, auxLoss, expertLoad };
  }

  /** Mean next-token cross-entropy against `targets` (one per id; negative = ignored) plus the balance loss. */
  loss(ids: Int32Array, targets: Int32Array, opts: Omit<ForwardOptions, 'cache' | 'logits'> = {}): LossResult {
    if (targets.length !== ids.length) throw new RangeError(`loss: ${targets.length} targets for ${ids.length} token ids`);
    const out = this.forward(ids, opts);
    const V = this.config.vocab_size;
    const ce = T.crossEntropy(T.reshape(out.logits, [ids.length, V]), targets);
    const loss = out.auxLoss ? T.add(ce, out.auxLoss) : ce;
    return { ...out, loss, ce };
  }

  /** The aux-loss-free balancing step for every MoE layer (call after each optimizer step). */
  updateRouterBias(gamma: number): void {
    for (const layer of this.model.layers.items) if (layer.mlp instanceof MoE) layer.mlp.updateBias(gamma);
  }

  /** Frees the rotary tables (parameters are freed by disposing them). */
  dispose(): void {
    this.rotary.dispose();
    for (const [, t] of this.namedTensors()) t.dispose();
  }

  private pathFor(cache: KVCache | null, requested: MlaPath | undefined): MlaPath {
    if (!cache) return requested ?? 'expanded';
    const path: MlaPath = cache.layout === 'mla-expanded' ? 'expanded' : 'absorbed';
    if (cache.layout !== this.cacheLayout(path)) throw new RangeError(`forward: a ${cache.layout} cache does not fit this ${this.config.model_type} model; create it with model.newCache()`);
    return path;
  }

  private checkIds(ids: Int32Array): void {
    const V = this.config.vocab_size;
    for (let i = 0; i < ids.length; i++) {
      if (!(ids[i]! >= 0 && ids[i]! < V)) throw new RangeError(`forward: token id ${ids[i]} at position ${i} is outside the vocabulary (0 … ${V - 1})`);
    }
  }
}

/**
 * The additive mask [B, 1, S, Tk] for rows that continue their slots at different positions: query i of
 * row b (position starts[b] + i) sees keys 0 … starts[b] + i, nothing later (stale or future entries).
 */
function staggeredMask(starts: Int32Array, steps: number): Tensor {
  const B = starts.length;
  const Tk = Math.max(...starts) + steps;
  const m = new Float32Array(B * steps * Tk);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < steps; i++) m.fill(-Infinity, (b * steps + i) * Tk + starts[b]! + i + 1, (b * steps + i + 1) * Tk);
  }
  return T.tensor(m, [B, 1, steps, Tk]);
}

/** h [B, S, d] → [B, 1, d]: each row's hidden state at its last real token. */
function lastRealTokens(h: Tensor, lengths: Int32Array): Tensor {
  const [B, S, d] = h.shape as [number, number, number];
  if (lengths.every((n) => n === S)) return T.slice(h, 1, S - 1, S);
  const rows = T.indexSelect(T.reshape(h, [B * S, d]), 0, Int32Array.from(lengths, (n, b) => b * S + n - 1));
  return T.reshape(rows, [B, 1, d]);
}

/** Refuses, with the figures, a model whose weights could not fit in this machine's memory. */
function refuseOversized(cfg: ModelConfig, linearDtype: CreateModelOptions['linearDtype']): void {
  const params = countParams(cfg).total;
  const half = linearDtype === 'bfloat16' || linearDtype === 'float16';
  const bytes = params * (half ? 2 : 4);
  if (bytes > os.totalmem()) {
    const gb = (n: number) => (n / 1e9).toFixed(1);
    throw new ConfigError('', `this config has ${gb(params)}B parameters (${gb(bytes)} GB in ${half ? linearDtype : 'float32'}) and cannot be instantiated on a machine with ${gb(os.totalmem())} GB of memory; use it for counting and planning (r1ts inspect), or run it through an engine such as llama.cpp or vLLM`);
  }
}
