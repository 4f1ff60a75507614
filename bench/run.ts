// `npm run bench`: GEMM through the Tensor API vs the raw BLAS call and vs our own GEMM, fused ops vs
// PyTorch (same thread count and OpenBLAS core type, measured in the same run), and per-op dispatch
// overhead. Every timed computation is first checked against a reference. Writes
// bench/results/latest.json and the tables in bench/README.md.

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as T from '../src/tensor/index.js';
import { loadNativeKernels } from '../src/tensor/backend/native.js';
import type { GemmArgs } from '../src/tensor/index.js';
import { cpuFacts } from '../src/util/index.js';
import { fmt, maxAbsDiff, medianMs } from './timing.js';

const native = loadNativeKernels();
if (!native) {
  console.error(`bench: the native backend is not available (${T.nativeLoadError()}); run npm install first.`);
  process.exit(1);
}
T.setBackend('native');
const threads = Number(native.info().threads);
// OpenBLAS (ours and PyTorch's) uses the same thread count as our pool.
process.env.OPENBLAS_NUM_THREADS = String(threads);

// ---- GEMM --------------------------------------------------------------------------------------
const gemmShapes: [number, number, number][] = [[256, 256, 256], [512, 512, 512], [1024, 1024, 1024], [4096, 256, 768], [64, 256, 1024]];

function gemmArgs(a: Float32Array, b: Float32Array, c: Float32Array, M: number, K: number, N: number): GemmArgs {
  return { transA: false, transB: false, M, N, K, alpha: 1, beta: 0, a, aOffset: 0, lda: K, strideA: 0, b, bDtype: 'float', bOffset: 0, ldb: N, strideB: 0, c, cOffset: 0, ldc: N, strideC: 0, batch: 1 };
}

interface GemmRow { shape: string; oursGflops: number; blasGflops: number; ratio: number; ownGflops: number; ownVsBlas: number }
const gemmRows: GemmRow[] = [];
const hasBlas = native.info().blas !== 'none';
for (const [M, K, N] of gemmShapes) {
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
  gemmRows.push({ shape: `${M}x${K}x${N}`, oursGflops: g(tOurs), blasGflops: g(tBlas), ratio: tBlas / tOurs, ownGflops: g(tOwn), ownVsBlas: tBlas / tOwn });
  a.dispose();
  b.dispose();
}

// ---- fused ops vs PyTorch ----------------------------------------------------------------------
interface OpCase { name: string; op: string; shape?: number[]; mkn?: number[]; run: () => void; check: () => number }
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

/** Native vs ref on the same inputs: the largest difference of the op's outputs. */
function vsRef(fn: () => T.Tensor[]): number {
  const ours = T.tidy(() => fn().map((t) => t.toArray()));
  const ref = T.withBackend('ref', () => T.tidy(() => fn().map((t) => t.toArray())));
  return Math.max(...ours.map((o, i) => maxAbsDiff(o, ref[i]!)));
}

/** Forward and backward of causal attention; returns the fresh gradients of q, k, v. */
function attentionStep(): T.Tensor[] {
  T.zeroGrad([q, k, v]);
  T.backward(T.attention(q, k, v, { causal: true }), go);
  return [q.grad!, k.grad!, v.grad!];
}

const opCases: OpCase[] = [
  ...gemmShapes.map(([M, K, N]): OpCase => {
    const a = T.randn([M, K], rng);
    const b = T.randn([K, N], rng);
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

for (const c of opCases) {
  const diff = c.check();
  if (!(diff < 1e-3)) throw new Error(`bench: ${c.name}: native differs from ref by ${diff}; not timing a wrong kernel`);
}
const oursMs = Object.fromEntries(opCases.map((c) => [c.name, medianMs(c.run)]));

const peerScript = fileURLToPath(new URL('./torch_peer.py', import.meta.url));
const request = { version: 1, threads, cases: opCases.map(({ name, op, shape, mkn }) => ({ name, op, shape, mkn })) };
const peer = spawnSync('/usr/bin/python3', [peerScript], { input: JSON.stringify(request), encoding: 'utf8', env: process.env, maxBuffer: 1 << 24 });
if (peer.status !== 0) throw new Error(`bench: the PyTorch peer failed: ${peer.stderr}`);
const torch = JSON.parse(peer.stdout) as { torch: string; threads: number; results: Record<string, number> };

const opRows = opCases.map((c) => ({ op: c.name, oursMs: oursMs[c.name]!, torchMs: torch.results[c.name]!, ratio: torch.results[c.name]! / oursMs[c.name]! }));

// ---- report ------------------------------------------------------------------------------------
const env = { date: new Date().toISOString(), cpu: cpuFacts(), native: native.info(), torch: torch.torch, torchThreads: torch.threads, openblasCoretype: process.env.OPENBLAS_CORETYPE ?? '' };
const results = { env, gemm: gemmRows, ops: opRows };
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
writeFileSync(here('./results/latest.json'), JSON.stringify(results, null, 2) + '\n');

const gemmTable = [
  '| GEMM (M×K×N) | ours via Tensor API GFLOP/s | raw BLAS GFLOP/s | ours / BLAS | own fallback GEMM GFLOP/s | fallback / BLAS |',
  '|---|---|---|---|---|---|',
  ...gemmRows.map((r) => `| ${r.shape} | ${fmt(r.oursGflops, 1)} | ${fmt(r.blasGflops, 1)} | ${fmt(r.ratio)} | ${fmt(r.ownGflops, 1)} | ${fmt(r.ownVsBlas)} |`),
].join('\n');
const opTable = [
  '| op | r1ts ms | PyTorch ms | PyTorch / r1ts (≥ 1 means r1ts is faster) |',
  '|---|---|---|---|',
  ...opRows.map((r) => `| ${r.op} | ${fmt(r.oursMs, r.oursMs < 0.1 ? 4 : 3)} | ${fmt(r.torchMs, r.torchMs < 0.1 ? 4 : 3)} | ${fmt(r.ratio)} |`),
].join('\n');
const summary = `Measured ${env.date} on ${env.cpu.model} (${env.cpu.cores} cores), ${threads} threads, BLAS ${String(env.native.blas)}, OPENBLAS_CORETYPE=${env.openblasCoretype || 'unset'}, PyTorch ${torch.torch} with ${torch.threads} threads.`;
console.log(`${summary}\n\n${gemmTable}\n\n${opTable}`);

const readmePath = here('./README.md');
const readme = readFileSync(readmePath, 'utf8');
const marker = '<!-- results -->';
const head = readme.includes(marker) ? readme.slice(0, readme.indexOf(marker)) : `${readme.trimEnd()}\n\n`;
writeFileSync(readmePath, `${head}${marker}\n${summary}\n\n${gemmTable}\n\n${opTable}\n`);
