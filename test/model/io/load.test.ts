// loadWeights / saveModel: a module's parameters and buffers survive a save and load bit for bit in
// every storage dtype; a checkpoint that does not fit (missing names, other shapes, undecodable
// dtypes) is refused before any tensor changes; tied weights and ignored extras are handled.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { describe, test } from 'node:test';
import { CheckpointReader, loadWeights, saveModel, writeCheckpoint } from '../../../src/model/io/index.js';
import { Embedding, Linear, Module, ModuleList, RMSNorm } from '../../../src/nn/index.js';
import * as T from '../../../src/tensor/index.js';
import { rawSafetensors, tempDir, throwsCheckpointError, tinyConfig, writeConfig } from './helpers.js';

/** HF-shaped names: model.embed_tokens, model.layers.{0,1}, model.norm, a buffer, and lm_head. */
class Inner extends Module {
  constructor(rng: T.Rng, layers: number) {
    super();
    this.child('embed_tokens', new Embedding(10, 4, { rng }));
    this.child('layers', new ModuleList(Array.from({ length: layers }, () => new Linear(4, 4, { rng, bias: true }))));
    this.child('norm', new RMSNorm(4));
    this.buffer('inv_freq', T.tensor([1, 0.5], [2]));
  }
}
class Net extends Module {
  readonly inner: Inner;
  readonly head: Linear;
  constructor(seed: number, layers = 2) {
    super();
    const rng = new T.Rng(seed);
    this.inner = this.child('model', new Inner(rng, layers));
    this.head = this.child('lm_head', new Linear(4, 10, { rng }));
  }
}

/** A module whose lm_head shares the embedding tensor (registered under both names). */
class TiedNet extends Module {
  constructor(seed: number) {
    super();
    const embed = this.param('embed.weight', T.randn([10, 4], new T.Rng(seed)));
    this.param('lm_head.weight', embed);
  }
}

/** Every tensor's bytes by name, to show a module changed or did not. */
function snapshot(m: Module): Map<string, Uint8Array> {
  return new Map(m.namedTensors().map(([n, t]) => [n, new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength))]));
}

function save(t: TestContext, m: Module, dtype: 'float32' | 'bfloat16' | 'float16' = 'float32'): CheckpointReader {
  const dir = tempDir(t);
  saveModel(dir, m, tinyConfig, { dtype });
  const r = CheckpointReader.open(dir);
  t.after(() => r.close());
  return r;
}

describe('round trips', () => {
  test('float32: every parameter and buffer comes back bit exact into a differently initialised module', (t) => {
    const src = new Net(1);
    const dst = new Net(2);
    const r = save(t, src);
    assert.notDeepEqual(snapshot(dst), snapshot(src));
    const result = loadWeights(dst, r);
    assert.deepEqual(result, { loaded: 8, ignored: [] });
    assert.deepEqual(snapshot(dst), snapshot(src));
  });

  test('a bf16 checkpoint into float32 tensors gives the bf16-rounded values', (t) => {
    const src = new Net(1);
    const dst = new Net(2);
    loadWeights(dst, save(t, src, 'bfloat16'));
    for (const [[name, a], [, b]] of src.namedTensors().map((e, i) => [e, dst.namedTensors()[i]!] as const)) {
      assert.deepEqual(b.toArray(), T.toFloat32(T.toHalf(a, 'bfloat16')).toArray(), name);
    }
  });

  for (const dtype of ['bfloat16', 'float16'] as const) {
    test(`${dtype} tensors: raw bits from a ${dtype} file, rounded values from a float32 file`, (t) => {
      const src = new Net(1);
      src.head.setWeight(T.toHalf(src.head.weight, dtype));
      const dst = new Net(2);
      dst.head.setWeight(T.toHalf(dst.head.weight, dtype));
      loadWeights(dst, save(t, src, dtype));
      assert.deepEqual(snapshot(dst).get('lm_head.weight'), snapshot(src).get('lm_head.weight'));

      const f32 = new Net(1);
      const again = new Net(2);
      again.head.setWeight(T.toHalf(again.head.weight, dtype));
      loadWeights(again, save(t, f32));
      assert.deepEqual([...(again.head.weight.data as Uint16Array)], [...(T.toHalf(f32.head.weight, dtype).data as Uint16Array)]);
    });
  }
});

describe('names', () => {
  test('checkpoint tensors the module lacks are returned as ignored', (t) => {
    const src = new Net(1);
    const dir = tempDir(t);
    const extra = T.zeros([3]);
    writeCheckpoint(dir, { config: tinyConfig, tensors: [...src.namedTensors(), ['model.layers.61.eh_proj.weight', extra], ['model.rotary_emb.inv_freq', extra]], dtype: 'float32' });
    const r = CheckpointReader.open(dir);
    t.after(() => r.close());
    assert.deepEqual(loadWeights(new Net(2), r).ignored, ['model.layers.61.eh_proj.weight', 'model.rotary_emb.inv_freq']);
  });

  test('tiedAliases: a missing lm_head.weight is read from model.embed_tokens.weight', (t) => {
    const src = new Net(1);
    const dir = tempDir(t);
    writeCheckpoint(dir, { config: tinyConfig, tensors: src.namedTensors().filter(([n]) => n !== 'lm_head.weight'), dtype: 'float32' });
    const r = CheckpointReader.open(dir);
    t.after(() => r.close());
    // lm_head is [10, 4] like the embedding, so the alias fits.
    const dst = new Net(2);
    throwsCheckpointError(() => loadWeights(dst, r), dir, /lacks 1 tensor\(s\) the model needs: lm_head.weight;/);
    const result = loadWeights(dst, r, { tiedAliases: { 'lm_head.weight': 'model.embed_tokens.weight' } });
    assert.deepEqual(result, { loaded: 8, ignored: [] });
    const embed = new Map(src.namedTensors()).get('model.embed_tokens.weight')!;
    assert.deepEqual(dst.head.weight.toArray(), embed.toArray());
  });

  test('a tensor registered under two names is saved once and loads without an alias', (t) => {
    const r = save(t, new TiedNet(1));
    assert.deepEqual(r.names(), ['embed.weight']);
    const dst = new TiedNet(2);
    assert.deepEqual(loadWeights(dst, r), { loaded: 2, ignored: [] });
    assert.deepEqual(snapshot(dst), snapshot(new TiedNet(1)));
  });
});

describe('a checkpoint that does not fit changes nothing', () => {
  test('missing tensors: the first ten are listed, the rest counted', (t) => {
    const r = save(t, new Net(1, 1));
    const dst = new Net(2, 8); // layers 1..7 are missing: 14 tensors
    const before = snapshot(dst);
    const missing = [1, 2, 3, 4, 5].flatMap((i) => [`model.layers.${i}.weight`, `model.layers.${i}.bias`]).join(', ');
    throwsCheckpointError(() => loadWeights(dst, r), r.dir, new RegExp(`lacks 14 tensor\\(s\\) the model needs: ${missing.replaceAll('.', '\\.')} and 4 more; check that the checkpoint matches the model config`));
    assert.deepEqual(snapshot(dst), before);
  });

  test('a shape mismatch on the last tensor names both shapes; the tensors before it are untouched', (t) => {
    const src = new Net(1);
    const dir = tempDir(t);
    writeCheckpoint(dir, { config: tinyConfig, tensors: src.namedTensors().map(([n, x]) => [n, n === 'lm_head.weight' ? T.zeros([10, 5]) : x]), dtype: 'float32' });
    const r = CheckpointReader.open(dir);
    t.after(() => r.close());
    const dst = new Net(2);
    const before = snapshot(dst);
    throwsCheckpointError(() => loadWeights(dst, r), dir, /"lm_head.weight" is \[10, 5\] but the model's "lm_head.weight" is \[10, 4\]; the checkpoint was made for another config/);
    assert.deepEqual(snapshot(dst), before);
  });

  test('a tensor stored as integers', (t) => {
    const dir = tempDir(t);
    writeConfig(dir);
    rawSafetensors(join(dir, 'model.safetensors'), { weight: { dtype: 'I32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(16));
    const r = CheckpointReader.open(dir);
    t.after(() => r.close());
    const norm = new RMSNorm(4);
    throwsCheckpointError(() => loadWeights(norm, r), dir, /"weight" is I32, which does not load into a float tensor/);
    assert.deepEqual(norm.weight.toArray(), [1, 1, 1, 1]);
  });
});

test('an FP8 weight loads dequantised into a bf16 tensor', (t) => {
  const dir = tempDir(t);
  writeConfig(dir);
  // Codes 0x38 (1.0) and 0x40 (2.0), scale 0.5 → 0.5 and 1.0, exact in bf16.
  const codes = new Uint8Array([0x38, 0x40, 0x38, 0x40]);
  const scale = new Float32Array([0.5]);
  rawSafetensors(join(dir, 'model.safetensors'), {
    weight: { dtype: 'F8_E4M3', shape: [2, 2], data_offsets: [0, 4] },
    weight_scale_inv: { dtype: 'F32', shape: [1, 1], data_offsets: [4, 8] },
  }, Buffer.concat([codes, new Uint8Array(scale.buffer)]));
  const r = CheckpointReader.open(dir);
  t.after(() => r.close());
  const lin = new Linear(2, 2, { rng: new T.Rng(1) });
  lin.setWeight(T.toHalf(lin.weight, 'bfloat16'));
  assert.deepEqual(loadWeights(lin, r), { loaded: 1, ignored: [] });
  assert.deepEqual(T.toFloat32(lin.weight).toArray(), [0.5, 1, 0.5, 1]);
});
