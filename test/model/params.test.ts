// countParams and kvCacheElementsPerToken against the published figures of the reference sheet
// (/work/shared/reference/deepseek-architecture.md §1.4, §4.2, §7), computed from shapes alone.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeepseekV3Config } from '../../src/model/index.js';
import { countParams, getPreset, kvCacheElementsPerToken, parseConfig } from '../../src/model/index.js';

test('DeepSeek-V3/R1 671B: exact counts of sheet §4.2', () => {
  for (const name of ['deepseek-v3', 'deepseek-r1']) {
    const p = countParams(getPreset(name));
    // The sheet's figures are exact integers computed from the checkpoint shapes, so we match exactly
    // (tolerance 0), which is well inside the ±1% the headline "671B / 37B" would allow.
    assert.equal(p.embedding, 926_679_040);
    assert.equal(p.lmHead, 926_679_040);
    assert.equal(p.attention, 61 * 187_107_328);
    assert.equal(p.norms, 61 * 14_336 + 7168);
    assert.equal(p.denseMlp, 3 * 396_361_728);
    // One expert is 3·7168·2048 = 44,040,192; an MoE layer holds 256 routed + 1 shared + gate + bias.
    assert.equal(p.moeRouted, 58 * 256 * 44_040_192);
    assert.equal(p.moeShared, 58 * 44_040_192);
    assert.equal((p.moeRouted + p.moeShared + p.moeGate) / 58, 11_320_164_608);
    assert.equal(p.total, 671_026_419_200); // "671.03B main"
    // Activated counts both embedding and head (≈37.55B); 36.63B without the embedding.
    assert.equal(p.activated, 37_552_297_472);
    assert.equal(p.activated - p.embedding, 36_625_618_432);
    // MTP unique tensors, separately: 11.61B; ≈0.69B of them activated per token.
    assert.equal(p.mtp, 11_610_068_224);
    assert.ok(Math.abs(p.mtpActivated / 1e9 - 0.69) < 0.005, `MTP activated ${p.mtpActivated}`);
    // Stored total = main + MTP + MTP's duplicated embed_tokens and shared_head.head.
    assert.equal(p.total + p.mtp + p.embedding + p.lmHead, 684_489_845_504);
  }
});

test('the six R1 distills match the parameter column of sheet §7', () => {
  // Sheet §7 "params" column: Llama-8B exact [VERIFIED]; the others are given as ≈ to 4 significant
  // digits, so the computed count must round to the same figure (within half a unit of the last digit).
  const published: [string, number, number][] = [
    ['deepseek-r1-distill-qwen-1.5b', 1.777e9, 0.0005e9],
    ['deepseek-r1-distill-qwen-7b', 7.616e9, 0.0005e9],
    ['deepseek-r1-distill-llama-8b', 8_030_261_248, 0],
    ['deepseek-r1-distill-qwen-14b', 14.77e9, 0.005e9],
    ['deepseek-r1-distill-qwen-32b', 32.76e9, 0.005e9],
    ['deepseek-r1-distill-llama-70b', 70.55e9, 0.005e9],
  ];
  for (const [name, want, tol] of published) {
    const p = countParams(getPreset(name));
    assert.ok(Math.abs(p.total - want) <= tol, `${name}: ${p.total} vs ${want} ± ${tol}`);
    assert.equal(p.activated, p.total, `${name} is dense`);
    assert.equal(p.moeRouted + p.moeShared + p.moeGate + p.mtp, 0);
  }
});

test('Qwen2 biases, tied embeddings and Llama attention_bias change the count as HF would', () => {
  // Qwen2-1.5B-shaped layer by hand: q [1536,1536]+b, k/v [256,1536]+b, o [1536,1536] (no bias).
  const q = countParams(getPreset('deepseek-r1-distill-qwen-1.5b'));
  const attnLayer = 1536 * 1536 + 1536 + 2 * (256 * 1536 + 256) + 1536 * 1536;
  assert.equal(q.attention, 28 * attnLayer);
  assert.equal(q.denseMlp, 28 * 3 * 1536 * 8960);
  const tiedJson = { ...getPreset('deepseek-r1-distill-qwen-1.5b'), tie_word_embeddings: true };
  assert.equal(countParams(parseConfig(tiedJson)).total, q.total - 151936 * 1536);
  const llama = getPreset('tiny-llama');
  const biased = countParams(parseConfig({ ...llama, attention_bias: true }));
  // q, k, v and o biases: 64 + 2·(2·16) + 64 per layer, 5 layers.
  assert.equal(biased.attention - countParams(llama).attention, 5 * (64 + 64 + 64));
});

test('tiny and small presets fall in their size ranges', () => {
  const tiny = countParams(getPreset('tiny-moe'));
  const small = countParams(getPreset('small-moe'));
  assert.ok(tiny.total >= 1e6 && tiny.total <= 5e6, `tiny-moe ${tiny.total}`);
  assert.ok(small.total >= 20e6 && small.total <= 50e6, `small-moe ${small.total}`);
  // Routing sends each token through 4 of 16 (32) experts, so far fewer parameters are active.
  assert.ok(tiny.activated < tiny.total && small.activated < small.total);
  for (const student of ['tiny-qwen2', 'tiny-llama']) {
    const ratio = tiny.total / countParams(getPreset(student)).total;
    assert.ok(ratio >= 3 && ratio <= 5, `${student} is ${ratio.toFixed(2)}× smaller than tiny-moe`);
  }
  // small-moe's dense student: about 4× fewer parameters, about as many as small-moe activates.
  const smallStudent = countParams(getPreset('small-qwen2'));
  const ratio = small.total / smallStudent.total;
  assert.ok(ratio >= 3 && ratio <= 5, `small-qwen2 is ${ratio.toFixed(2)}× smaller than small-moe`);
  assert.ok(Math.abs(smallStudent.total / small.activated - 1) < 0.5, `small-qwen2 ${smallStudent.total} vs small-moe active ${small.activated}`);
});

test('MTP layers count separately and follow num_nextn_predict_layers', () => {
  const base = getPreset('tiny-moe') as DeepseekV3Config;
  const one = countParams(parseConfig({ ...base, num_nextn_predict_layers: 1 }));
  const two = countParams(parseConfig({ ...base, num_nextn_predict_layers: 2 }));
  assert.equal(countParams(base).mtp, 0);
  assert.equal(one.total, countParams(base).total, 'MTP is not part of the main model');
  // An MoE block like layer 3, plus eh_proj [d, 2d] and enorm/hnorm/shared_head.norm.
  const p = countParams(base);
  const moeLayers = base.num_hidden_layers - base.first_k_dense_replace;
  const block = p.attention / base.num_hidden_layers + 2 * base.hidden_size
    + (p.moeRouted + p.moeShared + p.moeGate) / moeLayers;
  assert.equal(one.mtp, block + 2 * base.hidden_size ** 2 + 3 * base.hidden_size);
  assert.equal(two.mtp, 2 * one.mtp);
});

test('KV cache per token: MLA caches 576 per layer, 71.1× less than the equivalent MHA', () => {
  const v3 = getPreset('deepseek-v3');
  const latent = kvCacheElementsPerToken(v3);
  const naive = kvCacheElementsPerToken(v3, 'naive');
  // Sheet §1.4: c_kv 512 + k_pe 64 per layer; naive K [128, 192] + V [128, 128] = 40,960 per layer.
  assert.equal(latent, 61 * 576);
  assert.equal(naive, 61 * 40_960);
  assert.equal(naive / latent, 40_960 / 576);
  assert.equal((naive / latent).toFixed(1), '71.1');
  // In bf16: 70,272 bytes per token across 61 layers.
  assert.equal(2 * latent, 70_272);
  // GQA: 2 · kv_heads · head_dim per layer, e.g. Llama-8B 2·8·128·32.
  assert.equal(kvCacheElementsPerToken(getPreset('deepseek-r1-distill-llama-8b')), 2 * 8 * 128 * 32);
  assert.equal(kvCacheElementsPerToken(getPreset('deepseek-r1-distill-qwen-1.5b')), 2 * 2 * 128 * 28);
});
