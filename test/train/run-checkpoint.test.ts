// Checkpoints of a training run: the Rng state round trip; a checkpoint folder that loadPretrained,
// openModel and the tokenizer read as a model (same logits bit for bit); loadCheckpoint restoring
// weights, optimizer and trainer state exactly; pruning to `keep`; temp and damaged folders ignored;
// clear errors for a checkpoint that does not fit.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CausalLM, CheckpointError, loadPretrained, openModel } from '../../src/model/index.js';
import { AdamW, SGD } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';
import { Tokenizer } from '../../src/tokenizer/index.js';
import type { TrainState } from '../../src/train/run/index.js';
import { checkpointName, latestCheckpoint, loadCheckpoint, saveCheckpoint } from '../../src/train/run/index.js';
import { saveTinyChatModel, tinyChatModel } from '../engine/fixture.js';

const tmp = mkdtempSync(join(os.tmpdir(), 'r1ts-run-ckpt-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('Rng state', () => {
  /** A mix of every kind of draw, so the spare normal and both word paths are exercised. */
  const draws = (r: T.Rng, n: number): number[] => Array.from({ length: n }, (_, i) => [r.nextU32(), r.uniform(), r.normal(), r.int(1000), r.normal()][i % 5]!);

  test('a restored generator continues exactly, also with a spare normal pending', () => {
    for (const pending of [false, true]) {
      const r = new T.Rng(7);
      draws(r, 37);
      if (pending) r.normal();
      const state = r.state();
      assert.equal(state.length, pending ? 5 : 4, 'the spare normal is part of the state');
      const copy = T.Rng.fromState(JSON.parse(JSON.stringify(state)) as number[]);
      assert.deepEqual(draws(copy, 500), draws(r, 500));
    }
  });

  test('a state that no Rng could have is refused with what was expected', () => {
    assert.throws(() => T.Rng.fromState([1, 2, 3]), /four 32-bit unsigned words/);
    assert.throws(() => T.Rng.fromState([0, 0, 0, 0]), /not all zero/);
    assert.throws(() => T.Rng.fromState([1, 2, 3, 2 ** 32]), /got \[1, 2, 3, 4294967296\]/);
    assert.throws(() => T.Rng.fromState([1, 2, 3, 4, NaN]), /finite spare normal/);
  });
});

describe('checkpoints', () => {
  let tokenizerDir = '';
  before(() => {
    tokenizerDir = saveTinyChatModel(join(tmp, 'base'));
  });

  const ids = Int32Array.from({ length: 24 }, (_, i) => (i * 37 + 5) % 300);
  const targets = Int32Array.from(ids, (_, i) => (i % 12 === 11 ? -1 : ids[(i + 1) % ids.length]!));

  /** The fixture model after `n` AdamW steps, so weights and optimizer state are not the initial ones. */
  function trained(n: number): { model: CausalLM; optimizer: AdamW } {
    const { model } = tinyChatModel();
    const optimizer = new AdamW(model.parameters(), { lr: 1e-2 });
    for (let s = 0; s < n; s++) {
      T.tidy(() => T.backward(model.loss(ids, targets, { batch: 2 }).loss));
      optimizer.step();
      T.zeroGrad(model.parameters());
    }
    return { model, optimizer };
  }

  const logits = (m: CausalLM): number[] => T.noGrad(() => T.tidy(() => m.forward(ids, { batch: 2 }).logits.toArray()));
  const weights = (m: CausalLM): number[][] => m.namedTensors().map(([, t]) => t.toArray());
  const state = (step: number): TrainState => ({
    step,
    data: { epoch: 1, order: [3, 0, 2, 1], next: step % 4 },
    rng: { data: new T.Rng(step).state(), noise: (() => { const r = new T.Rng(99); r.normal(); return r.state(); })() },
    extra: { bestLoss: 1.25 },
  });

  test('a checkpoint is a model folder every loader reads, with the same logits bit for bit', () => {
    const run = join(tmp, 'hf');
    const { model, optimizer } = trained(2);
    try {
      const dir = saveCheckpoint(run, { model, optimizer, state: state(2), tokenizerDir });
      assert.equal(dir, join(run, 'checkpoints', 'step-00000002'));
      for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'optimizer.safetensors', 'trainer_state.json']) {
        assert.ok(existsSync(join(dir, f)), `${f} is in the checkpoint`);
      }
      const loaded = loadPretrained(dir).model;
      const opened = openModel(dir).model;
      try {
        const want = logits(model);
        assert.deepEqual(logits(loaded), want);
        assert.deepEqual(logits(opened), want);
      } finally {
        loaded.dispose();
        opened.dispose();
      }
      const text = 'The answer is 42.';
      assert.deepEqual(Tokenizer.fromFiles(dir).encode(text), Tokenizer.fromFiles(tokenizerDir).encode(text));
    } finally {
      model.dispose();
    }
  });

  test('loadCheckpoint restores weights, optimizer and trainer state exactly, and training continues identically', () => {
    const run = join(tmp, 'resume');
    const a = trained(3);
    const b = tinyChatModel();
    const bOpt = new AdamW(b.model.parameters(), { lr: 1e-2 });
    try {
      // b's weights are the fixture's initial ones: different from a's until loaded.
      assert.notDeepEqual(weights(b.model), weights(a.model));
      const dir = saveCheckpoint(run, { model: a.model, optimizer: a.optimizer, state: state(3) });
      assert.equal(latestCheckpoint(run), dir);
      const got = loadCheckpoint(dir, { model: b.model, optimizer: bOpt });
      assert.deepEqual(got, state(3));
      assert.deepEqual(weights(b.model), weights(a.model));
      assert.deepEqual(bOpt.stateDict(), a.optimizer.stateDict());
      for (const { model, optimizer } of [a, { model: b.model, optimizer: bOpt }]) {
        T.tidy(() => T.backward(model.loss(ids, targets, { batch: 2 }).loss));
        optimizer.step();
        T.zeroGrad(model.parameters());
      }
      assert.deepEqual(weights(b.model), weights(a.model), 'one more step lands on the same weights');
    } finally {
      a.model.dispose();
      b.model.dispose();
    }
  });

  test('keeps the newest `keep` checkpoints, replaces a step saved again, refuses an older step', () => {
    const run = join(tmp, 'keep');
    const { model, optimizer } = trained(0);
    try {
      for (const step of [1, 2, 3, 4]) saveCheckpoint(run, { model, optimizer, state: state(step) }, { keep: 2 });
      assert.deepEqual(readdirSync(join(run, 'checkpoints')).sort(), ['step-00000003', 'step-00000004']);
      saveCheckpoint(run, { model, optimizer, state: { ...state(4), extra: { again: true } } }, { keep: 2 });
      assert.deepEqual(readdirSync(join(run, 'checkpoints')).sort(), ['step-00000003', 'step-00000004']);
      assert.deepEqual(loadCheckpoint(latestCheckpoint(run)!, { model, optimizer }).extra, { again: true });
      assert.throws(() => saveCheckpoint(run, { model, optimizer, state: state(2) }), /step-00000004: is newer than step 2 being saved; resume from it/);
      assert.throws(() => saveCheckpoint(run, { model, optimizer, state: state(5) }, { keep: 0 }), /keep must be a whole number ≥ 1/);
      assert.throws(() => saveCheckpoint(run, { model, optimizer, state: state(5), tokenizerDir: tmp }), /has no tokenizer.json/);
      assert.equal(checkpointName(123), 'step-00000123');
    } finally {
      model.dispose();
    }
  });

  test('latestCheckpoint skips temp folders and damaged checkpoints, and cleans temp folders of dead writers', () => {
    const run = join(tmp, 'latest');
    assert.equal(latestCheckpoint(run), null, 'no run folder yet');
    const { model, optimizer } = trained(0);
    try {
      const good = saveCheckpoint(run, { model, optimizer, state: state(4) });
      const root = join(run, 'checkpoints');
      // A newer checkpoint damaged after it was written (a partial copy), and two temp folders: one of a
      // writer that is gone (no process has pid 99999999 here), one of a live process (the test runner).
      const damaged = saveCheckpoint(run, { model, optimizer, state: state(6) }, { keep: 5 });
      truncateSync(join(damaged, 'model.safetensors'), 100);
      const dead = join(root, `.tmp-step-00000008-99999999-0`);
      const live = join(root, `.tmp-step-00000008-${process.ppid}-0`);
      for (const d of [dead, live]) {
        mkdirSync(d);
        writeFileSync(join(d, 'trainer_state.json'), '{"format":"r1ts-trainer-state","ver');
      }
      assert.equal(latestCheckpoint(run), good);
      assert.ok(!existsSync(dead), 'the dead writer\'s temp folder is removed');
      assert.ok(existsSync(live), 'a live writer\'s temp folder is left alone');
      assert.throws(() => loadCheckpoint(damaged, { model, optimizer }), /is not a complete training checkpoint: .*model\.safetensors has 100 bytes/);
      rmSync(live, { recursive: true });
    } finally {
      model.dispose();
    }
  });

  test('a checkpoint of another model or optimizer fails clearly and leaves the model as it was', () => {
    const run = join(tmp, 'mismatch');
    const { model, optimizer } = trained(1);
    const other = tinyChatModel().model;
    try {
      const dir = saveCheckpoint(run, { model, optimizer, state: state(1) });
      const before = weights(other);
      assert.throws(() => loadCheckpoint(dir, { model: other, optimizer: new SGD(other.parameters()) }), (e: unknown) => {
        assert.ok(e instanceof CheckpointError);
        assert.match(e.message, /optimizer\.safetensors: does not fit the optimizer to restore: .*adamw optimizer, this one is sgd/);
        return true;
      });
      assert.deepEqual(weights(other), before);
      const small = new CausalLM({ ...model.config, intermediate_size: 16 }, { seed: 1 });
      try {
        assert.throws(() => loadCheckpoint(dir, { model: small, optimizer: new AdamW(small.parameters()) }), /does not fit the optimizer|made for another config/);
      } finally {
        small.dispose();
      }
    } finally {
      model.dispose();
      other.dispose();
    }
  });
});
