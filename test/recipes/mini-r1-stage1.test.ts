// Stage 1 of the mini-R1 recipe in its quick setting: the checkpoints are Hugging Face folders that
// loadPretrained and Tokenizer.fromFiles read back to the very model that was trained, the evaluation
// figures are shares, the cold-start model writes in the R1 format it was taught, and a second call
// on the same run folder resumes (nothing is trained again; the figures are read back).

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadPretrained } from '../../src/model/index.js';
import { runMiniR1Stage1 } from '../../src/recipes/mini-r1/index.js';
import * as T from '../../src/tensor/index.js';
import { Tokenizer } from '../../src/tokenizer/index.js';

test('quick stage 1: loadable checkpoints, figures in [0, 1], the R1 format learned, resumable', async () => {
  const runDir = mkdtempSync(join(tmpdir(), 'mini-r1-'));
  try {
    const first = await runMiniR1Stage1({ runDir, quick: true, progress: false });
    assert.ok(existsSync(join(runDir, 'tokenizer', 'tokenizer.json')));
    assert.ok(first.checkpoint.startsWith(join(runDir, 'cold-start')), first.checkpoint);
    assert.ok(first.sftLoss < 2, `the SFT loss fell to ${first.sftLoss}`);

    // The checkpoint is a complete chat model: the same weights (same logits) and the same tokenizer.
    const loaded = loadPretrained(first.checkpoint);
    const tokenizer = Tokenizer.fromFiles(first.checkpoint);
    const ids = Int32Array.from(tokenizer.encode('What is 3 + 4 × 2?'));
    assert.equal(tokenizer.vocabSize, first.tokenizer.vocabSize);
    assert.deepEqual(tokenizer.encode('Solve for x: 3x + 8 = -13'), first.tokenizer.encode('Solve for x: 3x + 8 = -13'));
    const logits = (m: typeof first.model) => T.noGrad(() => T.tidy(() => Float32Array.from(T.dense(m.forward(ids).logits))));
    assert.deepEqual(logits(loaded.model), logits(first.model));
    loaded.model.dispose();

    const families = Object.entries(first.eval.families);
    assert.deepEqual(families.map(([f]) => f), ['arithmetic', 'countdown', 'linear']);
    for (const [family, s] of families) {
      for (const k of ['pass1', 'consK', 'truncated', 'formatOk'] as const) assert.ok(s[k] >= 0 && s[k] <= 1, `${family} ${k} = ${s[k]}`);
      assert.ok(s.meanTokens > 10, `${family}: ${s.meanTokens} tokens on average`);
      // Measured: 1.0 for every family (an untrained model: 0).
      assert.ok(s.formatOk >= 0.9, `${family}: format compliance ${s.formatOk}`);
    }
    const written = JSON.parse(readFileSync(join(runDir, 'stage1.json'), 'utf8')) as { eval: unknown };
    assert.deepEqual(written.eval, first.eval);

    // A second call finds every step done: the model is the checkpoint's, the figures are read back.
    const again = await runMiniR1Stage1({ runDir, quick: true, progress: false });
    assert.equal(again.checkpoint, first.checkpoint);
    assert.deepEqual(again.eval, first.eval);
    assert.deepEqual(logits(again.model), logits(first.model));
    again.model.dispose();
    first.model.dispose();
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
});
