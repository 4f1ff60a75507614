// The models against an independent PyTorch implementation (test/oracle/reference_model.py, written from
// the published definitions), both loading the very same safetensors file: logits, cross-entropy, the
// MoE balance loss, per-expert load and the gradient of every parameter, on each backend.
//
// Tolerance: the oracle runs in float64, so differences measure our float32 error alone. Each value
// is a sum of at most a few hundred float32 products through ~10 layers; with ε = 6e-8 that stays
// below ~1e-5 of the tensor's scale, so 1e-4 of max|oracle| leaves margin while any real mistake (a
// wrong scale, mask, rotation pair or routing choice) moves values by percents.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ModelConfig } from '../../src/model/index.js';
import { CausalLM, CheckpointReader, loadWeights, saveModel } from '../../src/model/index.js';
import * as T from '../../src/tensor/index.js';
import { availableBackends } from '../tensor/backends.js';
import { TINY_MODELS, tokens } from './tiny-configs.js';
import { runOracle } from './torch-oracle.js';

const TOL = 1e-4;
const B = 2;
const S = 9;

function assertClose(name: string, ours: ArrayLike<number>, want: Float32Array): void {
  assert.equal(ours.length, want.length, `${name}: length`);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    scale = Math.max(scale, Math.abs(want[i]!));
    worst = Math.max(worst, Math.abs(ours[i]! - want[i]!));
  }
  assert.ok(worst <= TOL * scale + 1e-9, `${name}: max difference ${worst.toExponential(2)} vs scale ${scale.toExponential(2)}`);
}

/**
 * Weights with more spread than the 0.02 initialisation (sharper attention and routing, so a wrong
 * mask or choice shows), norm weights away from 1, and a router bias that changes selections.
 */
function randomise(m: CausalLM, seed: number): void {
  const rng = new T.Rng(seed);
  for (const [name, t] of m.namedTensors()) {
    const d = T.dense(t);
    if (name.endsWith('norm.weight')) for (let i = 0; i < d.length; i++) d[i] = 1 + 0.2 * rng.normal();
    else if (name.endsWith('e_score_correction_bias')) for (let i = 0; i < d.length; i++) d[i] = 0.05 * rng.normal();
    else for (let i = 0; i < d.length; i++) d[i] = (name.includes('embed') ? 1 : 0.15) * rng.normal();
  }
}

function checkModel(name: string, cfg: ModelConfig, dtype: 'float32' | 'bfloat16'): void {
  const dir = mkdtempSync(join(tmpdir(), 'r1ts-oracle-'));
  try {
    const source = new CausalLM(cfg, { seed: 1 });
    randomise(source, 11);
    saveModel(dir, source, cfg, { dtype });
    source.dispose();
    const V = cfg.vocab_size;
    const ids = tokens(B * S, V, 3);
    const targets = Int32Array.from(ids, (_, i) => (i % S === S - 1 ? -100 : ids[i + 1]!));
    const rowsOf = (a: Int32Array) => Array.from({ length: B }, (_, b) => Array.from(a.subarray(b * S, (b + 1) * S)));
    const alpha = cfg.model_type === 'deepseek_v3' ? cfg.aux_loss_alpha : 0;
    const oracle = runOracle(dir, { tokens: rowsOf(ids), targets: rowsOf(targets), aux_loss_alpha: alpha, grads: true, dtype: 'float64' });

    for (const backend of availableBackends()) {
      T.withBackend(backend, () => {
        const m = new CausalLM(cfg, { seed: 2 });
        const reader = CheckpointReader.open(dir);
        const { ignored } = loadWeights(m, reader);
        reader.close();
        assert.deepEqual(ignored, []);
        T.tidy(() => {
          const out = m.loss(ids, targets, { batch: B });
          T.backward(out.loss);
          const tag = `${name} ${dtype} on ${backend}`;
          assertClose(`${tag} logits`, T.dense(out.logits), oracle.get('logits'));
          assertClose(`${tag} ce`, [out.ce.item()], oracle.get('ce_loss'));
          assertClose(`${tag} aux`, [out.auxLoss ? out.auxLoss.item() : 0], oracle.get('aux_loss'));
          assertClose(`${tag} loss`, [out.loss.item()], oracle.get('loss'));
          const moeLayers = m.model.layers.items.flatMap((l, i) => ('gate' in l.mlp ? [i] : []));
          assert.equal(out.expertLoad.length, moeLayers.length);
          moeLayers.forEach((layer, j) => assert.deepEqual([...out.expertLoad[j]!], [...oracle.get(`expert_load.${layer}`)], `${tag} expert load of layer ${layer}`));
          for (const [pname, p] of m.namedParameters()) {
            const want = oracle.get(`grad.${pname}`);
            assertClose(`${tag} grad ${pname}`, p.grad ? T.dense(p.grad) : new Float32Array(want.length), want);
          }
        });
        m.dispose();
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const [name, cfg] of Object.entries(TINY_MODELS)) {
  test(`${name}: logits, losses, expert load and every gradient agree with the PyTorch reference`, () => checkModel(name, cfg, 'float32'));
}

test('tinyV3 from a bfloat16 checkpoint agrees with PyTorch reading the same file', () => checkModel('tinyV3', TINY_MODELS.tinyV3, 'bfloat16'));
