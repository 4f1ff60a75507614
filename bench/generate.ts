// The `generate` section of `npm run bench`: greedy generation through our continuous batcher
// (generateTokens over the KV cache) against PyTorch eager with a Hugging Face style KV cache
// (bench/torch_generate_peer.py on test/oracle/reference_model.py), the very same weights, prompts and
// thread count, measured in the same run. B requests of one prompt length P each generate exactly G
// tokens (no stop tokens), so both sides do identical work:
//   prefill tok/s = B·P / time to the first step's tokens (the prompts' pass plus sampling the first token)
//   decode tok/s  = B·(G − 1) / time from there to the last token (G − 1 passes of B new tokens)
// Steps per preset: save our seed-0 weights and the prompts for the peer → the peer's untimed greedy
// token ids (mode check) → our untimed run (also our warm-up) must give the same ids, or the bench stops
// → the peer times its runs (mode time) → we time ours → medians, ratios, batch-32-over-batch-1 speedups.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as T from '../src/tensor/index.js';
import type { PickToken } from '../src/generate/index.js';
import { generateTokens } from '../src/generate/index.js';
import { CausalLM, getPreset, saveModel } from '../src/model/index.js';
import type { BenchContext, Measured } from './timing.js';
import { fmt, measured, median, summaryLine } from './timing.js';

/** What is timed: preset, prompt length, the batch sizes with their new tokens, runs per side. */
const CASES = [
  { preset: 'tiny-moe', promptLen: 64, runs: [{ batch: 1, newTokens: 64 }, { batch: 32, newTokens: 64 }], warmup: 2, iters: 9 },
  { preset: 'small-moe', promptLen: 64, runs: [{ batch: 1, newTokens: 64 }, { batch: 32, newTokens: 64 }], warmup: 1, iters: 5 },
] as const;
type Case = (typeof CASES)[number];
/**
 * Where the two sides' greedy ids part, our logit of our token minus our logit of PyTorch's must be at
 * most this for the step to count as a near tie (float32 rounding picks either); anything larger is a
 * wrong model and stops the bench. Logits of these models are O(0.1–1); the two float32 implementations
 * agree to ~1e-6 there.
 */
const TIE_GAP = 1e-4;
const SEED = 0;
const PROMPT_SEED = 4321;

export interface GenerateRow {
  model: string;
  batch: number;
  promptLen: number;
  newTokens: number;
  /** Greedy ids that matched PyTorch's before timing: B·G, less each near tie and what follows it. */
  checkedTokens: number;
  /** Near ties where the greedy ids parted: request, step, our logit gap between the two tokens. */
  nearTies: { request: number; step: number; gap: number }[];
  oursPrefillMs: number[];
  oursDecodeMs: number[];
  torchPrefillMs: number[];
  torchDecodeMs: number[];
  oursPrefillTokensPerS: number;
  torchPrefillTokensPerS: number;
  /** r1ts over PyTorch: ≥ 1 means r1ts is faster. */
  prefillRatio: number;
  oursDecodeTokensPerS: number;
  torchDecodeTokensPerS: number;
  decodeRatio: number;
}

export interface BatchSpeedup {
  model: string;
  fromBatch: number;
  toBatch: number;
  /** Decode tok/s at toBatch over decode tok/s at fromBatch. */
  ours: number;
  torch: number;
}

export interface GenerateResult {
  measured: Measured;
  rows: GenerateRow[];
  speedups: BatchSpeedup[];
}

interface PeerCase { batch: number; new_tokens: number; prompt_len: number; tokens: number[][]; prefill_ms?: number[]; decode_ms?: number[] }
interface PeerResult { torch: string; threads: number; cases: PeerCase[] }

function runPeer(ctx: BenchContext, dir: string, promptsFile: string, c: Case, mode: 'check' | 'time'): PeerResult {
  const script = fileURLToPath(new URL('./torch_generate_peer.py', import.meta.url));
  const args = {
    prompts: promptsFile, threads: ctx.threads, mode, warmup: c.warmup, iters: c.iters,
    cases: c.runs.map((r) => ({ batch: r.batch, new_tokens: r.newTokens })),
  };
  const peer = spawnSync('/usr/bin/python3', [script, dir, JSON.stringify(args)], { encoding: 'utf8', env: process.env, maxBuffer: 1 << 26 });
  if (peer.status !== 0) throw new Error(`bench: the PyTorch generate peer failed (${c.preset} ${mode}): ${peer.stderr}`);
  return JSON.parse(peer.stdout.trim().split('\n').at(-1)!) as PeerResult;
}

function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/** Greedy, without a log-probability (the peer computes none either). */
const greedy: PickToken = (logits) => ({ token: argmax(logits), logprob: 0 });

/** One generation of every prompt: each request's token ids, and the prefill and decode times. */
function generateOnce(model: CausalLM, prompts: number[][], newTokens: number, pick: PickToken): { tokens: number[][]; prefillMs: number; decodeMs: number } {
  const requests = prompts.map((prompt) => ({ prompt, maxTokens: newTokens }));
  const tokens = prompts.map((): number[] => []);
  const t0 = performance.now();
  let t1 = NaN;
  for (const events of generateTokens(model, requests, pick, { maxBatch: prompts.length })) {
    if (Number.isNaN(t1)) t1 = performance.now();
    for (const e of events) tokens[e.sequence]!.push(e.token);
  }
  const t2 = performance.now();
  return { tokens, prefillMs: t1 - t0, decodeMs: t2 - t1 };
}

/**
 * Our untimed run against the peer's greedy ids: every token must match; where the ids part, it must be
 * a near tie (our logit gap between the two tokens ≤ TIE_GAP), and that request is compared no further.
 */
function checkAgainstPeer(model: CausalLM, preset: string, prompts: number[][], newTokens: number, peerTokens: number[][]): { tokens: number[][]; checked: number; nearTies: GenerateRow['nearTies'] } {
  const P = prompts[0]!.length;
  const parted = new Map<number, { step: number; gap: number; ours: number; theirs: number }>();
  const pick: PickToken = (logits, history, sequence) => {
    const token = argmax(logits);
    const step = history.length - P;
    const theirs = peerTokens[sequence]![step]!;
    if (!parted.has(sequence) && token !== theirs) parted.set(sequence, { step, gap: logits[token]! - logits[theirs]!, ours: token, theirs });
    return { token, logprob: 0 };
  };
  const { tokens } = generateOnce(model, prompts, newTokens, pick);
  const nearTies: GenerateRow['nearTies'] = [];
  let checked = prompts.length * newTokens;
  for (const [request, p] of [...parted].sort((a, b) => a[0] - b[0])) {
    if (!(p.gap <= TIE_GAP)) {
      throw new Error(`bench: ${preset} B=${prompts.length}: request ${request}, token ${p.step}: r1ts picks ${p.ours}, PyTorch ${p.theirs}, and our logits differ by ${p.gap.toExponential(2)} > ${TIE_GAP} (not a near tie) on the same weights and prompt; not timing a wrong model`);
    }
    nearTies.push({ request, step: p.step, gap: p.gap });
    checked -= newTokens - p.step;
  }
  return { tokens, checked, nearTies };
}

function measureCase(ctx: BenchContext, c: Case): { rows: GenerateRow[]; torch: { version: string; threads: number } } {
  const cfg = getPreset(c.preset);
  const model = new CausalLM(cfg, { seed: SEED });
  const dir = mkdtempSync(join(os.tmpdir(), `r1ts-bench-generate-${c.preset}-`));
  try {
    saveModel(dir, model, cfg, { dtype: 'float32' });
    const rng = new T.Rng(PROMPT_SEED);
    const maxBatch = Math.max(...c.runs.map((r) => r.batch));
    const prompts = Array.from({ length: maxBatch }, () => Array.from({ length: c.promptLen }, () => rng.int(cfg.vocab_size)));
    const promptsFile = join(dir, 'prompts.json');
    writeFileSync(promptsFile, JSON.stringify({ ids: prompts }));

    // Validate first: the peer's greedy ids, then ours (untimed; it is also our warm-up).
    const reference = runPeer(ctx, dir, promptsFile, c, 'check');
    const checks = c.runs.map((r, i) => {
      const peerTokens = reference.cases[i]!.tokens;
      const check = checkAgainstPeer(model, c.preset, prompts.slice(0, r.batch), r.newTokens, peerTokens);
      const shown = check.tokens.slice(0, 2).map((t, q) => `request ${q} r1ts [${t.slice(0, 12).join(' ')} …] PyTorch [${peerTokens[q]!.slice(0, 12).join(' ')} …]`);
      const ties = check.nearTies.length > 0 ? `; near ties (compared up to them): ${check.nearTies.map((t) => `request ${t.request} token ${t.step} gap ${t.gap.toExponential(1)}`).join(', ')}` : '';
      console.error(`bench generate: ${c.preset} B=${r.batch}: greedy ids agree on ${check.checked} of ${r.batch}×${r.newTokens} tokens${ties}; ${shown.join('; ')}`);
      return check;
    });

    // Then time: the peer's runs, then ours (each must reproduce the ids just checked).
    const timed = runPeer(ctx, dir, promptsFile, c, 'time');
    const rows = c.runs.map((r, i): GenerateRow => {
      const peer = timed.cases[i]!;
      if (JSON.stringify(peer.tokens) !== JSON.stringify(reference.cases[i]!.tokens)) throw new Error(`bench: ${c.preset} B=${r.batch}: the PyTorch peer's timed runs produced other ids than its checked run`);
      const batchPrompts = prompts.slice(0, r.batch);
      for (let w = 0; w < c.warmup; w++) generateOnce(model, batchPrompts, r.newTokens, greedy);
      const oursPrefillMs: number[] = [];
      const oursDecodeMs: number[] = [];
      for (let it = 0; it < c.iters; it++) {
        const run = generateOnce(model, batchPrompts, r.newTokens, greedy);
        if (JSON.stringify(run.tokens) !== JSON.stringify(checks[i]!.tokens)) throw new Error(`bench: ${c.preset} B=${r.batch}: a timed r1ts run produced other ids than the checked run`);
        oursPrefillMs.push(run.prefillMs);
        oursDecodeMs.push(run.decodeMs);
      }
      const prefillTokens = r.batch * c.promptLen;
      const decodeTokens = r.batch * (r.newTokens - 1);
      const perS = (tokens: number, ms: number[]) => tokens / (median(ms) / 1000);
      const oursPrefillTokensPerS = perS(prefillTokens, oursPrefillMs);
      const torchPrefillTokensPerS = perS(prefillTokens, peer.prefill_ms!);
      const oursDecodeTokensPerS = perS(decodeTokens, oursDecodeMs);
      const torchDecodeTokensPerS = perS(decodeTokens, peer.decode_ms!);
      return {
        model: c.preset, batch: r.batch, promptLen: c.promptLen, newTokens: r.newTokens,
        checkedTokens: checks[i]!.checked, nearTies: checks[i]!.nearTies,
        oursPrefillMs, oursDecodeMs, torchPrefillMs: peer.prefill_ms!, torchDecodeMs: peer.decode_ms!,
        oursPrefillTokensPerS, torchPrefillTokensPerS, prefillRatio: oursPrefillTokensPerS / torchPrefillTokensPerS,
        oursDecodeTokensPerS, torchDecodeTokensPerS, decodeRatio: oursDecodeTokensPerS / torchDecodeTokensPerS,
      };
    });
    return { rows, torch: { version: timed.torch, threads: timed.threads } };
  } finally {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function runGenerate(ctx: BenchContext): GenerateResult {
  const rows: GenerateRow[] = [];
  const speedups: BatchSpeedup[] = [];
  let torch = { version: '', threads: 0 };
  for (const c of CASES) {
    const done = measureCase(ctx, c);
    torch = done.torch;
    const ms = (xs: number[]) => `[${xs.map((t) => t.toFixed(1)).join(' ')}]`;
    for (const r of done.rows) {
      console.error(`bench generate: ${r.model} B=${r.batch}: prefill ms r1ts ${ms(r.oursPrefillMs)} PyTorch ${ms(r.torchPrefillMs)}; decode ms r1ts ${ms(r.oursDecodeMs)} PyTorch ${ms(r.torchDecodeMs)}`);
    }
    rows.push(...done.rows);
    const [low, high] = [done.rows[0]!, done.rows.at(-1)!];
    if (high.batch > low.batch) {
      speedups.push({
        model: c.preset, fromBatch: low.batch, toBatch: high.batch,
        ours: high.oursDecodeTokensPerS / low.oursDecodeTokensPerS, torch: high.torchDecodeTokensPerS / low.torchDecodeTokensPerS,
      });
    }
  }
  return { measured: measured(ctx, torch), rows, speedups };
}

export function renderGenerate(r: GenerateResult): string {
  const rows = [
    '| model | B | prompt + new tokens | r1ts prefill tok/s | PyTorch prefill tok/s | prefill r1ts / PyTorch (≥ 1 means r1ts is faster) | r1ts decode tok/s | PyTorch decode tok/s | decode r1ts / PyTorch |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.rows.map((g) => `| ${g.model} | ${g.batch} | ${g.promptLen} + ${g.newTokens} | ${fmt(g.oursPrefillTokensPerS, 0)} | ${fmt(g.torchPrefillTokensPerS, 0)} | ${fmt(g.prefillRatio)} | ${fmt(g.oursDecodeTokensPerS, 0)} | ${fmt(g.torchDecodeTokensPerS, 0)} | ${fmt(g.decodeRatio)} |`),
  ].join('\n');
  const speedups = [
    '| model | decode tok/s of batch … over batch … | r1ts speedup (goal ≥ 8×) | PyTorch speedup |',
    '|---|---|---|---|',
    ...r.speedups.map((s) => `| ${s.model} | ${s.toBatch} over ${s.fromBatch} | ${fmt(s.ours, 1)}× | ${fmt(s.torch, 1)}× |`),
  ].join('\n');
  return `${summaryLine(r.measured)}\n\n${rows}\n\n${speedups}`;
}
