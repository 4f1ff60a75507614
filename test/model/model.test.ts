// Model behaviour that needs no outside oracle: the absorbed MLA path equals the expanded one, cached
// incremental decode equals one full forward pass, MLA's cache is the size the formula says, the
// aux-loss-free bias follows its sign rule, and bad input is refused with a message.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelConfig } from '../../src/model/index.js';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CausalLM, countParams, getPreset, loadPretrained, parseConfig, saveModel } from '../../src/model/index.js';
import * as T from '../../src/tensor/index.js';
import { TINY_MODELS, tinyV2Lite, tinyV3, tokens } from './tiny-configs.js';

function values(t: T.Tensor): Float32Array {
  return Float32Array.from(T.dense(T.contiguous(t)));
}

/** max |a − b| / max |a|: differences relative to the logits' scale. */
function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(a[i]!));
  }
  return d / m;
}

// float32 with a different summation order on each path: differences are a few ulps of the logits.
const TOL = 1e-5;

test('absorbed MLA gives the logits of expanded MLA (q_lora + YaRN, and plain q_proj)', () => {
  for (const cfg of [tinyV3, tinyV2Lite]) {
    const m = new CausalLM(cfg, { seed: 3 });
    const ids = tokens(2 * 20, cfg.vocab_size, 1);
    T.noGrad(() => {
      const expanded = values(m.forward(ids, { batch: 2, mla: 'expanded' }).logits);
      const absorbed = values(m.forward(ids, { batch: 2, mla: 'absorbed' }).logits);
      assert.ok(relDiff(expanded, absorbed) < TOL, `${cfg.model_type}: ${relDiff(expanded, absorbed)}`);
    });
    m.dispose();
  }
});

test('prefill + incremental decode with the cache gives the logits of one full forward pass', () => {
  const B = 2;
  const S = 12;
  const prompt = 7;
  const cases: [string, ModelConfig, 'absorbed' | 'expanded'][] = [
    ['v3 absorbed', tinyV3, 'absorbed'],
    ['v3 expanded', tinyV3, 'expanded'],
    ['v2-lite absorbed', tinyV2Lite, 'absorbed'],
    ['qwen2', TINY_MODELS.tinyQwen2, 'absorbed'],
    ['llama', TINY_MODELS.tinyLlama, 'absorbed'],
  ];
  for (const [name, cfg, mla] of cases) {
    const m = new CausalLM(cfg, { seed: 5 });
    const V = cfg.vocab_size;
    const ids = tokens(B * S, V, 2);
    T.noGrad(() => {
      const full = values(m.forward(ids, { batch: B }).logits); // [B, S, V]
      const cache = m.newCache(B, 16, { mla });
      const rows = (from: number, to: number) => Int32Array.from({ length: B * (to - from) }, (_, i) => ids[Math.floor(i / (to - from)) * S + from + (i % (to - from))]!);
      const pre = values(m.forward(rows(0, prompt), { batch: B, cache, logits: 'last' }).logits); // [B, 1, V]
      const want = (s: number) => Float32Array.from({ length: B * V }, (_, i) => full[(Math.floor(i / V) * S + s) * V + (i % V)]!);
      assert.ok(relDiff(want(prompt - 1), pre) < TOL, `${name} prefill`);
      for (let s = prompt; s < S; s++) {
        const step = values(m.forward(rows(s, s + 1), { batch: B, cache }).logits);
        assert.ok(relDiff(want(s), step) < TOL, `${name} decode step ${s}: ${relDiff(want(s), step)}`);
      }
      assert.deepEqual([...cache.lengths], [S, S]);
      cache.dispose();
    });
    m.dispose();
  }
});

test('the absorbed MLA cache holds kv_lora_rank + rope dims per token per layer', () => {
  const m = new CausalLM(tinyV3, { seed: 1 });
  const cfg = tinyV3 as Extract<ModelConfig, { model_type: 'deepseek_v3' }>;
  const absorbed = m.newCache(1, 8, { mla: 'absorbed' });
  const expanded = m.newCache(1, 8, { mla: 'expanded' });
  const L = cfg.num_hidden_layers;
  assert.equal(absorbed.elementsPerToken(), L * (cfg.kv_lora_rank + cfg.qk_rope_head_dim));
  assert.equal(expanded.elementsPerToken(), L * cfg.num_attention_heads * (cfg.qk_nope_head_dim + cfg.qk_rope_head_dim + cfg.v_head_dim));
  absorbed.dispose();
  expanded.dispose();
  m.dispose();
});

test('aux-loss-free balancing: each bias moves by γ toward the mean load, from the loads since the last update', () => {
  const m = new CausalLM(tinyV3, { seed: 9 });
  const ids = tokens(3 * 10, tinyV3.vocab_size, 4);
  const loads: Float32Array[] = [];
  for (let step = 0; step < 2; step++) {
    T.tidy(() => {
      const out = m.loss(ids.map((x) => (x + step * 5) % tinyV3.vocab_size), ids, { batch: 3 });
      loads.push(...out.expertLoad);
    });
  }
  // A forward without gradients (inference) must not count toward the balance.
  T.noGrad(() => m.forward(ids, { batch: 3 }));
  const moeLayers = m.model.layers.items.filter((l) => 'gate' in l.mlp);
  assert.equal(moeLayers.length, 2);
  const gamma = 0.001;
  m.updateRouterBias(gamma);
  moeLayers.forEach((layer, j) => {
    // Both passes had the same number of tokens, so summed shares rank experts as summed counts do.
    const total = loads[j]!.map((x, e) => x + loads[j + 2]![e]!);
    const mean = total.reduce((a, b) => a + b, 0) / total.length;
    const bias = values((layer.mlp as unknown as { gate: { e_score_correction_bias: T.Tensor } }).gate.e_score_correction_bias);
    bias.forEach((b, e) => assert.equal(b, Math.fround(gamma * Math.sign(mean - total[e]!)), `layer ${j} expert ${e}`));
    assert.ok(Math.abs(total.reduce((a, b) => a + b, 0) - 2) < 1e-5, 'each pass shares out all assignments');
  });
  // A second update with no training pass in between sees no load and leaves the bias alone.
  const before = moeLayers.map((l) => values((l.mlp as unknown as { gate: { e_score_correction_bias: T.Tensor } }).gate.e_score_correction_bias));
  m.updateRouterBias(gamma);
  moeLayers.forEach((l, j) => assert.deepEqual(values((l.mlp as unknown as { gate: { e_score_correction_bias: T.Tensor } }).gate.e_score_correction_bias), before[j]));
  m.dispose();
});

test('bad input is refused with a message that says what to do', () => {
  const m = new CausalLM(tinyV3, { seed: 1 });
  assert.throws(() => m.forward(Int32Array.from([1, 97])), /token id 97 at position 1 is outside the vocabulary \(0 … 96\)/);
  assert.throws(() => m.forward(Int32Array.from([1, 2, 3]), { batch: 2 }), /3 token ids cannot form 2 equal non-empty rows/);
  const cache = m.newCache(1, 4);
  T.noGrad(() => m.forward(Int32Array.from([1, 2, 3]), { cache }));
  assert.throws(() => T.noGrad(() => m.forward(Int32Array.from([4, 5]), { cache })), /5 tokens do not fit the cache capacity of 4; create a larger cache/);
  const dense = new CausalLM(TINY_MODELS.tinyQwen2, { seed: 1 });
  assert.throws(() => T.noGrad(() => dense.forward(Int32Array.from([1]), { cache })), /a mla-absorbed cache does not fit this qwen2 model/);
  assert.throws(() => new CausalLM(getPreset('deepseek-r1')), /671\.0B parameters .* cannot be instantiated/);
  cache.dispose();
  m.dispose();
  dense.dispose();
});

test('the instantiated model holds exactly the parameters countParams computes from the config', () => {
  const variants: ModelConfig[] = [
    ...Object.values(TINY_MODELS),
    getPreset('tiny-moe'),
    parseConfig({ ...tinyV3, attention_bias: true }),
    parseConfig({ ...tinyV2Lite, attention_bias: true }),
    parseConfig({ ...TINY_MODELS.tinyLlama, attention_bias: true, tie_word_embeddings: true }),
  ];
  for (const cfg of variants) {
    const m = new CausalLM(cfg);
    const held = m.parameters().reduce((n, p) => n + p.size, 0);
    const buffers = m.namedTensors().length - m.parameters().length;
    // The router bias is a buffer here (its update rule is not gradient descent); countParams counts it.
    const routerBias = m.namedTensors().filter(([n]) => n.endsWith('e_score_correction_bias')).reduce((n, [, t]) => n + t.size, 0);
    assert.equal(buffers, m.namedTensors().filter(([n]) => n.endsWith('e_score_correction_bias')).length);
    assert.equal(held + routerBias, countParams(cfg).total, `${cfg.model_type} ${JSON.stringify({ bias: 'attention_bias' in cfg && cfg.attention_bias })}`);
    m.dispose();
  }
});

test('save → load is bit-exact for every tensor of every architecture, sharded or not', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ts-roundtrip-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, cfg] of Object.entries(TINY_MODELS)) {
    const m = new CausalLM(cfg, { seed: 21 });
    // A non-zero router bias, so the buffer's round trip is visible too.
    for (const [n, b] of m.namedTensors()) if (n.endsWith('e_score_correction_bias')) T.dense(b).forEach((_, i, a) => (a[i] = 0.01 * (i - 3)));
    for (const maxShardBytes of [undefined, 20_000]) {
      const out = join(dir, `${name}-${maxShardBytes ?? 'single'}`);
      saveModel(out, m, cfg, { dtype: 'float32', ...(maxShardBytes ? { maxShardBytes } : {}) });
      if (maxShardBytes) assert.ok(readdirSync(out).includes('model.safetensors.index.json'), `${name}: sharded`);
      const { model: back, ignored } = loadPretrained(out);
      assert.deepEqual(ignored, []);
      assert.deepEqual(back.config, cfg);
      const want = new Map(m.namedTensors());
      assert.equal(back.namedTensors().length, want.size);
      for (const [n, b] of back.namedTensors()) {
        const a = want.get(n)!;
        assert.deepEqual(new Uint32Array(Float32Array.from(T.dense(b)).buffer), new Uint32Array(Float32Array.from(T.dense(a)).buffer), `${name}: ${n}`);
      }
      back.dispose();
    }
    m.dispose();
  }
});

test('bfloat16 Linear weights (inference) give the logits of float32 weights holding the same values', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ts-bf16-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, cfg] of Object.entries(TINY_MODELS)) {
    const src = new CausalLM(cfg, { seed: 8 });
    saveModel(join(dir, name), src, cfg, { dtype: 'bfloat16' });
    src.dispose();
    const wide = loadPretrained(join(dir, name)).model;
    const half = loadPretrained(join(dir, name), { linearDtype: 'bfloat16' }).model;
    const linears = half.namedTensors().filter(([, w]) => w.dtype === 'bfloat16').length;
    assert.ok(linears >= 4 * cfg.num_hidden_layers, `${name}: ${linears} bf16 weights`);
    const ids = tokens(2 * 10, cfg.vocab_size, 6);
    T.noGrad(() => {
      const want = values(wide.forward(ids, { batch: 2 }).logits);
      for (const mla of ['expanded', 'absorbed'] as const) {
        assert.ok(relDiff(want, values(half.forward(ids, { batch: 2, mla }).logits)) < TOL, `${name} ${mla}`);
      }
      const cache = half.newCache(2, 10);
      half.forward(ids.filter((_, i) => i % 10 < 9), { batch: 2, cache });
      const last = values(half.forward(Int32Array.from([ids[9]!, ids[19]!]), { batch: 2, cache }).logits);
      const V = cfg.vocab_size;
      const wantLast = Float32Array.from({ length: 2 * V }, (_, i) => want[(Math.floor(i / V) * 10 + 9) * V + (i % V)]!);
      assert.ok(relDiff(wantLast, last) < TOL, `${name} decode`);
      cache.dispose();
    });
    wide.dispose();
    half.dispose();
  }
});

test('sequences of different lengths share one cache: padded prefill, staggered decode, a slot reused', () => {
  for (const [name, cfg] of Object.entries(TINY_MODELS)) {
    const m = new CausalLM(cfg, { seed: 13 });
    const V = cfg.vocab_size;
    const seqs = [tokens(9, V, 1), tokens(4, V, 2), tokens(7, V, 3)];
    T.noGrad(() => {
      // Reference: each sequence alone, all positions.
      const alone = seqs.map((s) => values(m.forward(s).logits));
      const at = (k: number, pos: number) => alone[k]!.subarray(pos * V, (pos + 1) * V);
      const cache = m.newCache(3, 16);
      // Prompts of 5, 2 and 3 tokens, right-padded to 5 with token 0, in one pass.
      const prompt = [5, 2, 3];
      const padded = Int32Array.from({ length: 15 }, (_, i) => (i % 5 < prompt[Math.floor(i / 5)]! ? seqs[Math.floor(i / 5)]![i % 5]! : 0));
      const first = values(m.forward(padded, { batch: 3, cache, lengths: Int32Array.from(prompt), logits: 'last' }).logits);
      prompt.forEach((p, k) => assert.ok(relDiff(at(k, p - 1), first.subarray(k * V, (k + 1) * V)) < TOL, `${name} prefill row ${k}`));
      assert.deepEqual([...cache.lengths], prompt);
      // Two decode steps with every row at its own position.
      for (let step = 0; step < 2; step++) {
        const next = Int32Array.from(prompt, (p, k) => seqs[k]![p + step]!);
        const out = values(m.forward(next, { batch: 3, cache }).logits);
        prompt.forEach((p, k) => assert.ok(relDiff(at(k, p + step), out.subarray(k * V, (k + 1) * V)) < TOL, `${name} decode ${step} row ${k}`));
      }
      // Row 1 finishes; a new sequence takes its slot and prefills alone while rows 0 and 2 wait.
      cache.resetSlot(1);
      const fresh = tokens(5, V, 4);
      const freshAlone = values(m.forward(fresh).logits);
      const pre = values(m.forward(fresh.subarray(0, 4), { cache, slots: Int32Array.from([1]), logits: 'last' }).logits);
      assert.ok(relDiff(freshAlone.subarray(3 * V, 4 * V), pre) < TOL, `${name} reused slot prefill`);
      // Then all three decode together again: rows at positions 7, 4 and 5.
      const next = Int32Array.from([seqs[0]![7]!, fresh[4]!, seqs[2]![5]!]);
      const out = values(m.forward(next, { batch: 3, cache }).logits);
      assert.ok(relDiff(at(0, 7), out.subarray(0, V)) < TOL, `${name} row 0 after reuse`);
      assert.ok(relDiff(freshAlone.subarray(4 * V, 5 * V), out.subarray(V, 2 * V)) < TOL, `${name} reused slot decode`);
      assert.ok(relDiff(at(2, 5), out.subarray(2 * V, 3 * V)) < TOL, `${name} row 2 after reuse`);
      assert.deepEqual([...cache.lengths], [8, 5, 6]);
      cache.dispose();
    });
    m.dispose();
  }
});

test('MoE inference runs every expert in one kernel call and matches the expert-by-expert (training) path', () => {
  for (const cfg of [tinyV3, tinyV2Lite]) {
    for (const backend of ['ref', 'native'] as const) {
      if (backend === 'native' && T.nativeLoadError()) continue;
      T.withBackend(backend, () => {
        const m = new CausalLM(cfg, { seed: 12 });
        const ids = tokens(3 * 7, cfg.vocab_size, 9);
        const k = T.kernels();
        let fusedCalls = 0;
        const original = k.expertMlp;
        (k as { expertMlp: typeof original }).expertMlp = (a) => {
          fusedCalls++;
          original.call(k, a);
        };
        try {
          const moeLayers = m.model.layers.items.filter((l) => 'gate' in l.mlp).length;
          const inference = T.noGrad(() => values(m.forward(ids, { batch: 3 }).logits));
          assert.equal(fusedCalls, moeLayers, `${cfg.model_type} ${backend}: one call per MoE layer`);
          const training = T.tidy(() => values(m.forward(ids, { batch: 3 }).logits));
          assert.equal(fusedCalls, moeLayers, 'the training path records each expert');
          assert.ok(relDiff(training, inference) < TOL, `${cfg.model_type} ${backend}: ${relDiff(training, inference)}`);
        } finally {
          (k as { expertMlp: typeof original }).expertMlp = original;
        }
        m.dispose();
      });
    }
  }
});
