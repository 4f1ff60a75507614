// The whole mini-R1 recipe in its quick setting (issue 7's acceptance test): every stage leaves a
// checkpoint that loadPretrained and Tokenizer.fromFiles read back as the model that was evaluated,
// the reward rose over the GRPO stage, the stage figures are shares and the taught format holds, a
// second call resumes (nothing is trained again), and report.html draws its plots in headless Chromium.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { loadPretrained } from '../../src/model/index.js';
import { runMiniR1 } from '../../src/recipes/mini-r1/index.js';
import { Tokenizer } from '../../src/tokenizer/index.js';

const CHROMIUM = '/usr/bin/chromium';
const STAGES = ['cold-start', 'grpo', 'student-distill', 'student-cold-start', 'student-grpo'];

/** The SVG element methods used in the page (the test's TypeScript has no DOM library). */
interface Drawn {
  getAttribute(name: string): string | null;
  getBBox(): { width: number; height: number };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test('quick mini-R1: loadable checkpoints, reward rises under GRPO, resumable, the report draws', { timeout: 600_000 }, async () => {
  const runDir = mkdtempSync(join(tmpdir(), 'mini-r1-'));
  try {
    const run = await runMiniR1({ runDir, quick: true, progress: false });
    assert.deepEqual(run.stages.map((s) => s.stage), STAGES);
    assert.deepEqual(Object.keys(run.checkpoints).sort(), [...STAGES].sort());

    // Every checkpoint is a complete chat model of the stage's architecture and the run's tokenizer.
    const runTokenizer = Tokenizer.fromFiles(join(runDir, 'tokenizer'));
    for (const s of run.stages) {
      const dir = run.checkpoints[s.stage]!;
      const { model } = loadPretrained(dir);
      assert.equal(model.config.vocab_size, runTokenizer.vocabSize, dir);
      assert.equal(model.parameters().reduce((a, p) => a + p.size, 0), s.parameters, dir);
      assert.equal(model.config.model_type, s.stage.startsWith('student') ? 'qwen2' : 'deepseek_v3', dir);
      model.dispose();
      assert.deepEqual(Tokenizer.fromFiles(dir).encode('What is 3 + 4 × 2?'), runTokenizer.encode('What is 3 + 4 × 2?'));
    }

    // GRPO raised the reward: the mean of its last quarter of steps is above the first quarter's.
    for (const dir of ['grpo', 'student-grpo']) {
      const rewards = readFileSync(join(runDir, dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as Record<string, number>)['reward/mean']!);
      const q = Math.max(1, Math.floor(rewards.length / 4));
      console.log(`${dir} reward: ${rewards.map((r) => r.toFixed(2)).join(' ')}`);
      if (dir === 'grpo') assert.ok(mean(rewards.slice(-q)) > mean(rewards.slice(0, q)), `${dir}: ${rewards}`);
    }

    for (const s of run.stages) {
      for (const [family, f] of Object.entries(s.eval.families)) {
        for (const k of ['pass1', 'consK', 'truncated', 'formatOk'] as const) assert.ok(f![k] >= 0 && f![k] <= 1, `${s.stage} ${family} ${k} = ${f![k]}`);
      }
      assert.ok(s.eval.transcripts.length > 0, s.stage);
    }
    // The quick cold start is cut short while the R1 format is half learned (an untrained model: 0);
    // GRPO's format reward carries over to the held-out problems (measured: 0.33 → 1).
    const [cold, grpo] = [run.stages[0]!.eval.mean.formatOk, run.stages[1]!.eval.mean.formatOk];
    assert.ok(cold > 0.3 && grpo > cold, `format compliance ${cold} → ${grpo}`);
    console.log(run.table);

    // A second call finds every stage done and reads the same figures back.
    const again = await runMiniR1({ runDir, quick: true, progress: false });
    assert.deepEqual(again.stages.map((s) => s.eval), run.stages.map((s) => s.eval));
    assert.deepEqual(again.checkpoints, run.checkpoints);

    await checkReport(run.report, run.stages.length);
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
});

async function checkReport(file: string, stages: number): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    assert.notEqual(process.env.R1TS_REQUIRE_CHROMIUM, '1', `no Chromium at ${CHROMIUM} (apt-get install chromium)`);
    console.log(`# report not opened: no Chromium at ${CHROMIUM}`);
    return;
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(file).href);
    // Reward, accuracy, length and KL plots carry both GRPO runs; the SFT loss plot the three SFT runs.
    const paths = await page.$$eval('svg path.series', (ps) => ps.map((el) => {
      const p = el as unknown as Drawn;
      const b = p.getBBox();
      return { name: p.getAttribute('data-name'), width: b.width, height: b.height };
    }));
    assert.equal(paths.length, 4 * 2 + 3, JSON.stringify(paths.map((p) => p.name)));
    assert.ok(paths.every((p) => p.width > 100), JSON.stringify(paths));
    const bars = await page.$$eval('svg rect.bar', (rs) => rs.map((el) => (el as unknown as Drawn).getAttribute('data-stage')));
    assert.equal(bars.length, stages);
    assert.equal(await page.$$eval('table.stages tr', (r) => r.length), stages + 1);
    assert.ok(await page.$$eval('details.transcript', (d) => d.length) >= 2);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
}
