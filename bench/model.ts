// The `model` section of `npm run bench`: whole-model throughput of a training step (forward +
// cross-entropy + balance loss, backward, AdamW) and of prefill (forward, logits at every position)
// against the same model in PyTorch eager (bench/torch_model_peer.py on test/oracle/reference_model.py)
// with the very same weights, token ids, thread count and AdamW settings, measured in the same run.
// Before timing, both sides' loss on the initial weights must agree; achieved FLOP/s is reported as a
// fraction of the GEMM peak measured in this run (bench/README.md gives the FLOP count).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as T from '../src/tensor/index.js';
import { AdamW } from '../src/nn/index.js';
import type { ModelConfig } from '../src/model/index.js';
import { CausalLM, getPreset, headDim, isMoeLayer, saveModel } from '../src/model/index.js';
import type { BenchContext, Measured } from './timing.js';
import { fmt, measured, median, summaryLine, timeIters } from './timing.js';

/** What is timed: preset, batch × sequence, untimed warm-up and timed iterations per mode and side. */
const CASES = [
  { preset: 'tiny-moe', batch: 8, seq: 128, warmup: 2, iters: 7 },
  { preset: 'small-moe', batch: 8, seq: 128, warmup: 2, iters: 5 },
] as const;
/** Prefill first: our training steps change the weights, and each check needs the initial ones. */
const MODES = ['prefill', 'train'] as const;
type Mode = (typeof MODES)[number];
const ADAMW = { lr: 1e-3, beta1: 0.9, beta2: 0.95, weightDecay: 0.1 } as const;
/** Same weights and tokens in float32 on both sides: the first losses agree far closer than this. */
const LOSS_RTOL = 1e-4;
const SEED = 0;

export interface ModelRow {
  model: string;
  mode: Mode;
  batch: number;
  seq: number;
  /** Matmul FLOPs per token of this mode (training = 3 × forward). */
  flopsPerToken: number;
  oursLoss: number;
  torchLoss: number;
  oursMs: number[];
  torchMs: number[];
  oursTokensPerS: number;
  torchTokensPerS: number;
  /** r1ts tokens/s over PyTorch tokens/s: ≥ 1 means r1ts is faster. */
  ratio: number;
  oursGflops: number;
  torchGflops: number;
  oursPeakFraction: number;
  torchPeakFraction: number;
}

export interface ModelResult {
  measured: Measured;
  gemmPeak: { gflops: number; source: string };
  rows: ModelRow[];
}

/**
 * Forward FLOPs per token at sequence length `seq`: 2 × every Linear weight a token passes through
 * (attention projections, the dense FFN or router + shared + top-k routed experts, lm_head; not the
 * embedding lookup), plus causal attention's QKᵀ and PV: a query at position t (1-based) meets t keys,
 * 2·H·t·(Dqk + Dv) FLOPs, which averages to H·(Dqk + Dv)·(T + 1) per token per layer.
 */
export function forwardFlopsPerToken(cfg: ModelConfig, seq: number): { matmul: number; attention: number } {
  const d = cfg.hidden_size;
  const H = cfg.num_attention_heads;
  const swiglu = (inter: number) => 3 * d * inter;
  let weights = cfg.vocab_size * d; // lm_head (or the tied embedding used as the head)
  let headDims: number;
  if (cfg.model_type === 'deepseek_v3') {
    const qk = cfg.qk_nope_head_dim + cfg.qk_rope_head_dim;
    headDims = qk + cfg.v_head_dim;
    const q = cfg.q_lora_rank === null ? d * H * qk : d * cfg.q_lora_rank + cfg.q_lora_rank * H * qk;
    const attn = q + d * (cfg.kv_lora_rank + cfg.qk_rope_head_dim) + cfg.kv_lora_rank * H * (cfg.qk_nope_head_dim + cfg.v_head_dim) + H * cfg.v_head_dim * d;
    for (let i = 0; i < cfg.num_hidden_layers; i++) {
      const moe = cfg.n_routed_experts * d + (cfg.n_shared_experts + cfg.num_experts_per_tok) * swiglu(cfg.moe_intermediate_size);
      weights += attn + (isMoeLayer(cfg, i) ? moe : swiglu(cfg.intermediate_size));
    }
  } else {
    const hd = headDim(cfg);
    headDims = 2 * hd;
    const attn = 2 * d * H * hd + 2 * d * cfg.num_key_value_heads * hd;
    weights += cfg.num_hidden_layers * (attn + swiglu(cfg.intermediate_size));
  }
  return { matmul: 2 * weights, attention: cfg.num_hidden_layers * H * headDims * (seq + 1) };
}

interface PeerResult { tokens_per_s: number; ms_per_iter: number[]; first_loss: number; torch: string; threads: number }

function runPeer(ctx: BenchContext, dir: string, tokensFile: string, cfg: ModelConfig, c: (typeof CASES)[number], mode: Mode): PeerResult {
  const script = fileURLToPath(new URL('./torch_model_peer.py', import.meta.url));
  const args = {
    batch: c.batch, seq: c.seq, threads: ctx.threads, warmup: c.warmup, iters: c.iters, lr: ADAMW.lr,
    aux_loss_alpha: cfg.model_type === 'deepseek_v3' ? cfg.aux_loss_alpha : 0, mode, tokens: tokensFile, report_loss: true,
  };
  const peer = spawnSync('/usr/bin/python3', [script, dir, JSON.stringify(args)], { encoding: 'utf8', env: process.env, maxBuffer: 1 << 24 });
  if (peer.status !== 0) throw new Error(`bench: the PyTorch model peer failed (${c.preset} ${mode}): ${peer.stderr}`);
  return JSON.parse(peer.stdout.trim().split('\n').at(-1)!) as PeerResult;
}

/** Random ids and targets [B, T] (their content only matters for routing; both sides get these). */
function randomTokens(vocab: number, n: number, rng: T.Rng): { ids: Int32Array; targets: Int32Array } {
  const ids = Int32Array.from({ length: n }, () => rng.int(vocab));
  const targets = Int32Array.from({ length: n }, () => rng.int(vocab));
  return { ids, targets };
}

function rowsOf(flat: Int32Array, batch: number): number[][] {
  const seq = flat.length / batch;
  return Array.from({ length: batch }, (_, b) => Array.from(flat.subarray(b * seq, (b + 1) * seq)));
}

function measureCase(ctx: BenchContext, c: (typeof CASES)[number], peakGflops: number): { rows: ModelRow[]; torch: { version: string; threads: number } } {
  const cfg = getPreset(c.preset);
  const model = new CausalLM(cfg, { seed: SEED });
  const dir = mkdtempSync(join(os.tmpdir(), `r1ts-bench-${c.preset}-`));
  try {
    saveModel(dir, model, cfg, { dtype: 'float32' });
    const { ids, targets } = randomTokens(cfg.vocab_size, c.batch * c.seq, new T.Rng(1234));
    const tokensFile = join(dir, 'tokens.json');
    writeFileSync(tokensFile, JSON.stringify({ ids: rowsOf(ids, c.batch), targets: rowsOf(targets, c.batch) }));
    const params = model.parameters();
    const opt = new AdamW(params, ADAMW);
    const opts = { batch: c.batch };
    const steps: Record<Mode, { check: () => number; run: () => void }> = {
      prefill: {
        check: () => T.noGrad(() => T.tidy(() => T.crossEntropy(T.reshape(model.forward(ids, opts).logits, [ids.length, cfg.vocab_size]), targets).item())),
        run: () => T.noGrad(() => T.tidy(() => void model.forward(ids, opts))),
      },
      train: {
        check: () => T.tidy(() => model.loss(ids, targets, opts).loss.item()),
        run: () => T.tidy(() => {
          const out = model.loss(ids, targets, opts);
          T.backward(out.loss);
          opt.step();
          T.zeroGrad(params);
        }),
      },
    };
    const flops = forwardFlopsPerToken(cfg, c.seq);
    const torch = { version: '', threads: 0 };
    const rows = MODES.map((mode): ModelRow => {
      const oursLoss = steps[mode].check();
      const peer = runPeer(ctx, dir, tokensFile, cfg, c, mode);
      Object.assign(torch, { version: peer.torch, threads: peer.threads });
      const rel = Math.abs(oursLoss - peer.first_loss) / Math.abs(peer.first_loss);
      if (!(rel <= LOSS_RTOL)) {
        throw new Error(`bench: ${c.preset} ${mode}: r1ts loss ${oursLoss} vs PyTorch ${peer.first_loss} on the same weights and tokens (relative difference ${rel.toExponential(2)} > ${LOSS_RTOL}); not timing a wrong model`);
      }
      const oursMs = timeIters(steps[mode].run, c.warmup, c.iters);
      const tokens = c.batch * c.seq;
      const flopsPerToken = (mode === 'train' ? 3 : 1) * (flops.matmul + flops.attention);
      const oursTokensPerS = tokens / (median(oursMs) / 1000);
      const torchTokensPerS = tokens / (median(peer.ms_per_iter) / 1000);
      const gflops = (tps: number) => (tps * flopsPerToken) / 1e9;
      return {
        model: c.preset, mode, batch: c.batch, seq: c.seq, flopsPerToken, oursLoss, torchLoss: peer.first_loss,
        oursMs, torchMs: peer.ms_per_iter, oursTokensPerS, torchTokensPerS, ratio: oursTokensPerS / torchTokensPerS,
        oursGflops: gflops(oursTokensPerS), torchGflops: gflops(torchTokensPerS),
        oursPeakFraction: gflops(oursTokensPerS) / peakGflops, torchPeakFraction: gflops(torchTokensPerS) / peakGflops,
      };
    });
    return { rows, torch };
  } finally {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `gemmPeak`: the best GEMM GFLOP/s measured earlier in this run (and what it came from). */
export function runModel(ctx: BenchContext, gemmPeak: { gflops: number; source: string }): ModelResult {
  const rows: ModelRow[] = [];
  let torch = { version: '', threads: 0 };
  for (const c of CASES) {
    const done = measureCase(ctx, c, gemmPeak.gflops);
    torch = done.torch;
    const caseRows = done.rows;
    for (const r of caseRows) console.error(`bench model: ${r.model} ${r.mode}: loss r1ts ${r.oursLoss.toFixed(6)} PyTorch ${r.torchLoss.toFixed(6)}; ms r1ts [${r.oursMs.map((t) => t.toFixed(0)).join(' ')}] PyTorch [${r.torchMs.map((t) => t.toFixed(0)).join(' ')}]`);
    rows.push(...caseRows);
  }
  return { measured: measured(ctx, torch), gemmPeak, rows };
}

export function renderModel(r: ModelResult): string {
  const pct = (x: number) => `${fmt(100 * x, 1)} %`;
  const table = [
    '| model | mode | B×T | r1ts tok/s | PyTorch tok/s | r1ts / PyTorch (≥ 1 means r1ts is faster) | r1ts GFLOP/s | r1ts % of GEMM peak | PyTorch GFLOP/s | PyTorch % of GEMM peak |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...r.rows.map((m) => `| ${m.model} | ${m.mode} | ${m.batch}×${m.seq} | ${fmt(m.oursTokensPerS, 0)} | ${fmt(m.torchTokensPerS, 0)} | ${fmt(m.ratio)} | ${fmt(m.oursGflops, 1)} | ${pct(m.oursPeakFraction)} | ${fmt(m.torchGflops, 1)} | ${pct(m.torchPeakFraction)} |`),
  ].join('\n');
  return `${summaryLine(r.measured)} GEMM peak ${fmt(r.gemmPeak.gflops, 1)} GFLOP/s (${r.gemmPeak.source}).\n\n${table}`;
}
