// The `ops` section of `npm run bench`: GEMM through the Tensor API vs the raw BLAS call and vs our own
// GEMM, fused ops vs PyTorch (same thread count and OpenBLAS core type, measured in the same run), and
// per-op dispatch overhead. Every timed computation is first checked against a reference.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as T from '../src/tensor/index.js';
import type { GemmArgs } from '../src/tensor/index.js';
import type { BenchContext, Measured } from './timing.js';
import { fmt, maxAbsDiff, measured, medianMs, summaryLine } from './timing.js';

export interface GemmRow { shape: string; oursGflops: number; blasGflops: number; ratio: number; ownGflops: number; ownVsBlas: number }
export interface OpRow { op: string; oursMs: number; torchMs: number; ratio: number }
export interface OpsResult { measured: Measured; gemm: GemmRow[]; ops: OpRow[] }

// ---- GEMM --------------------------------------------------------------------------------------
const gemmShapes: [number, number, number][] = [[256, 256, 256], [512, 512, 512], [1024, 1024, 1024], [4096, 256, 768], [64, 256, 1024]];

function gemmArgs(a: Float32Array, b: Float32Array, c: Float32Array, M: number, K: number, N: number): GemmArgs {
  return { transA: false, transB: false, M, N, K, alpha: 1, beta: 0, a, aOffset: 0, lda: K, strideA: 0, b, bDtype: 'float', bOffset: 0, ldb: N, strideB: 0, c, cOffset: 0, ldc: N, strideC: 0, batch: 1 };
}

/** One GEMM shape three ways (Tensor API, raw BLAS, own fallback), each checked against the others first. */
export function measureGemm({ native }: BenchContext, [M, K, N]: readonly [number, number, number]): GemmRow {
  const hasBlas = native.info().blas !== 'none';
  const rng = new T.Rng(M + K + N);
  const a = T.randn([M, K], rng);
  const b = T.randn([K, N], rng);
  const flop = 2 * M * N * K;
  const c = new Float32Array(M * N);
  const raw = gemmArgs(T.dense(a) as Float32Array, T.dense(b) as Float32Array, c, M, K, N);
  const ours = T.tidy(() => T.matmul(a, b).toArray());
  (hasBlas ? native.blasGemm : native.ownGemm)(raw);
  const own = new Float32Array(M * N);
  native.ownGemm({ ...raw, c: own });
  const tol = 1e-3 * Math.sqrt(K);
  if (maxAbsDiff(ours, c) > tol || maxAbsDiff(own, c) > tol) throw new Error(`bench: GEMM ${M}x${K}x${N} results disagree; not timing a wrong kernel`);
  const tOurs = medianMs(() => T.tidy(() => void T.matmul(a, b)));
  const tBlas = hasBlas ? medianMs(() => native.blasGemm(raw)) : NaN;
  const tOwn = medianMs(() => native.ownGemm({ ...raw, c: own }));
  const g = (ms: number) => flop / ms / 1e6;
  a.dispose();
  b.dispose();
  return { shape: `${M}x${K}x${N}`, oursGflops: g(tOurs), blasGflops: g(tBlas), ratio: tBlas / tOurs, ownGflops: g(tOwn), ownVsBlas: tBlas / tOwn };
}

/** The best GFLOP/s among the rows' measurements (Tensor API, raw BLAS, own GEMM): the run's GEMM peak. */
export function gemmPeakGflops(rows: readonly GemmRow[]): number {
  return Math.max(...rows.flatMap((r) => [r.oursGflops, r.blasGflops, r.ownGflops]).filter(Number.isFinite));
}

// ---- fused ops vs PyTorch ----------------------------------------------------------------------
interface OpCase { name: string; op: string; shape?: number[]; mkn?: number[]; run: () => void; check: () => number }

/** Native vs ref on the same inputs: the largest difference of the op's outputs. */
function vsRef(fn: () => T.Tensor[]): number {
  const ours = T.tidy(() => fn().map((t) => t.toArray()));
  const ref = T.withBackend('ref', () => T.tidy(() => fn().map((t) => t.toArray())));
  return Math.max(...ours.map((o, i) => maxAbsDiff(o, ref[i]!)));
}

/** The cases, and every input tensor they use (disposed once timed, so later sections start clean). */
function opCases(): { cases: OpCase[]; inputs: T.Tensor[] } {
  const rng = new T.Rng(42);
  const rows = 4096;
  const width = 1024;
  const x = T.randn([rows, width], rng);
  const x2 = T.randn([rows, width], rng);
  const w = T.randn([width], rng);
  const [B, H, S, D] = [8, 8, 256, 64];
  const q = T.randn([B, H, S, D], rng, { requiresGrad: true });
  const k = T.randn([B, H, S, D], rng, { requiresGrad: true });
  const v = T.randn([B, H, S, D], rng, { requiresGrad: true });
  const go = T.randn([B, H, S, D], rng);
  const tiny = [T.randn([4], rng), T.randn([4], rng)] as const;

  /** Forward and backward of causal attention; returns the fresh gradients of q, k, v. */
  function attentionStep(): T.Tensor[] {
    T.zeroGrad([q, k, v]);
    T.backward(T.attention(q, k, v, { causal: true }), go);
    return [q.grad!, k.grad!, v.grad!];
  }

  const inputs = [x, x2, w, q, k, v, go, ...tiny];
  const cases: OpCase[] = [
    ...gemmShapes.map(([M, K, N]): OpCase => {
      const a = T.randn([M, K], rng);
      const b = T.randn([K, N], rng);
      inputs.push(a, b);
      return { name: `matmul ${M}x${K}x${N}`, op: 'matmul', mkn: [M, K, N], run: () => T.tidy(() => void T.matmul(a, b)), check: () => vsRef(() => [T.matmul(a, b)]) / Math.sqrt(K) };
    }),
    { name: `softmax [${rows}, ${width}]`, op: 'softmax', shape: [rows, width], run: () => T.tidy(() => void T.softmax(x)), check: () => vsRef(() => [T.softmax(x)]) },
    { name: `rmsNorm [${rows}, ${width}]`, op: 'rmsnorm', shape: [rows, width], run: () => T.tidy(() => void T.rmsNorm(x, w)), check: () => vsRef(() => [T.rmsNorm(x, w)]) },
    { name: `swiglu [${rows}, ${width}]`, op: 'swiglu', shape: [rows, width], run: () => T.tidy(() => void T.swiglu(x, x2)), check: () => vsRef(() => [T.swiglu(x, x2)]) },
    {
      name: `attention fwd+bwd [${B}, ${H}, ${S}, ${D}] causal`, op: 'attention_fwd_bwd', shape: [B, H, S, D],
      run: () => T.tidy(() => void attentionStep()),
      check: () => vsRef(attentionStep),
    },
    { name: 'add [4] (dispatch overhead)', op: 'add_tiny', shape: [4], run: () => T.tidy(() => void T.add(tiny[0], tiny[1])), check: () => vsRef(() => [T.add(tiny[0], tiny[1])]) },
  ];
  return { cases, inputs };
}

export function runOps(ctx: BenchContext): OpsResult {
  const gemm = gemmShapes.map((shape) => measureGemm(ctx, shape));

  const { cases, inputs } = opCases();
  for (const c of cases) {
    const diff = c.check();
    if (!(diff < 1e-3)) throw new Error(`bench: ${c.name}: native differs from ref by ${diff}; not timing a wrong kernel`);
  }
  const oursMs = Object.fromEntries(cases.map((c) => [c.name, medianMs(c.run)]));
  T.zeroGrad(inputs);
  for (const t of inputs) t.dispose();

  const peerScript = fileURLToPath(new URL('./torch_peer.py', import.meta.url));
  const request = { version: 1, threads: ctx.threads, cases: cases.map(({ name, op, shape, mkn }) => ({ name, op, shape, mkn })) };
  const peer = spawnSync('/usr/bin/python3', [peerScript], { input: JSON.stringify(request), encoding: 'utf8', env: process.env, maxBuffer: 1 << 24 });
  if (peer.status !== 0) throw new Error(`bench: the PyTorch peer failed: ${peer.stderr}`);
  const torch = JSON.parse(peer.stdout) as { torch: string; threads: number; results: Record<string, number> };

  const ops = cases.map((c) => ({ op: c.name, oursMs: oursMs[c.name]!, torchMs: torch.results[c.name]!, ratio: torch.results[c.name]! / oursMs[c.name]! }));
  return { measured: measured(ctx, { version: torch.torch, threads: torch.threads }), gemm, ops };
}

// ---- report ------------------------------------------------------------------------------------
export function renderOps(r: OpsResult): string {
  const gemmTable = [
    '| GEMM (M×K×N) | ours via Tensor API GFLOP/s | raw BLAS GFLOP/s | ours / BLAS | own fallback GEMM GFLOP/s | fallback / BLAS |',
    '|---|---|---|---|---|---|',
    ...r.gemm.map((g) => `| ${g.shape} | ${fmt(g.oursGflops, 1)} | ${fmt(g.blasGflops, 1)} | ${fmt(g.ratio)} | ${fmt(g.ownGflops, 1)} | ${fmt(g.ownVsBlas)} |`),
  ].join('\n');
  const opTable = [
    '| op | r1ts ms | PyTorch ms | PyTorch / r1ts (≥ 1 means r1ts is faster) |',
    '|---|---|---|---|',
    ...r.ops.map((o) => `| ${o.op} | ${fmt(o.oursMs, o.oursMs < 0.1 ? 4 : 3)} | ${fmt(o.torchMs, o.torchMs < 0.1 ? 4 : 3)} | ${fmt(o.ratio)} |`),
  ].join('\n');
  return `${summaryLine(r.measured)}\n\n${gemmTable}\n\n${opTable}`;
}
