// `npm run bench` runs every section; `npx tsx bench/run.ts model` (or `ops`, `generate`) runs only those
// named:
//   ops       GEMM through the Tensor API vs raw BLAS and our own GEMM; fused ops vs PyTorch; dispatch
//             overhead (bench/ops.ts)
//   model     training step and prefill tokens/s of tiny-moe and small-moe vs the same model in PyTorch
//             eager, and achieved FLOP/s as a fraction of this run's GEMM peak (bench/model.ts)
//   generate  greedy generation of tiny-moe and small-moe through our continuous batcher vs PyTorch
//             eager with a KV cache: prefill and decode tokens/s at batch 1 and 32 (bench/generate.ts)
//   rewards   the answer verifier on MATH-500: verifications/s and the worst single case (bench/rewards.ts)
//   grpo      GRPO step throughput for tiny-moe: rollout, log-probability and update tokens/s (bench/grpo.ts)
// Steps: load the native backend and give PyTorch's OpenBLAS our thread count → run the sections in the
// order above (model takes its GEMM peak from ops when both run, else times one 1024³ GEMM) → merge
// with the previous bench/results/latest.json (a section not run keeps its last results and date) →
// write that file and the tables after the `<!-- results -->` marker of bench/README.md.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as T from '../src/tensor/index.js';
import { loadNativeKernels } from '../src/tensor/backend/native.js';
import type { GenerateResult } from './generate.js';
import { renderGenerate, runGenerate } from './generate.js';
import type { ModelResult } from './model.js';
import { renderModel, runModel } from './model.js';
import type { OpsResult } from './ops.js';
import type { GrpoResult } from './grpo.js';
import { renderGrpo, runGrpo } from './grpo.js';
import type { RewardsResult } from './rewards.js';
import { renderRewards, runRewards } from './rewards.js';
import { gemmPeakGflops, measureGemm, renderOps, runOps } from './ops.js';
import type { BenchContext } from './timing.js';

const SECTIONS = ['ops', 'model', 'generate', 'rewards', 'grpo'] as const;
type Section = (typeof SECTIONS)[number];
interface Results { ops?: OpsResult; model?: ModelResult; generate?: GenerateResult; rewards?: RewardsResult; grpo?: GrpoResult }
const TITLES: Record<Section, string> = { ops: '### GEMM and ops', model: '### Whole model', generate: '### Generation (KV cache)', rewards: '### Answer verification', grpo: '### GRPO steps' };

const requested = process.argv.slice(2);
const unknown = requested.filter((s) => !(SECTIONS as readonly string[]).includes(s));
if (unknown.length > 0) {
  console.error(`bench: unknown section ${unknown.join(', ')}; sections: ${SECTIONS.join(', ')} (none named = all)`);
  process.exit(2);
}
const selected = SECTIONS.filter((s) => requested.length === 0 || requested.includes(s));

const native = loadNativeKernels();
if (!native) {
  console.error(`bench: the native backend is not available (${T.nativeLoadError()}); run npm install first.`);
  process.exit(1);
}
T.setBackend('native');
const threads = Number(native.info().threads);
// OpenBLAS (ours and PyTorch's) uses the same thread count as our pool.
process.env.OPENBLAS_NUM_THREADS = String(threads);
const ctx: BenchContext = { native, threads };

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const resultsPath = here('./results/latest.json');

/** The previous run's sections, where they are in the current format (each carries `measured`). */
function previousResults(): Results {
  if (!existsSync(resultsPath)) return {};
  let old: unknown;
  try {
    old = JSON.parse(readFileSync(resultsPath, 'utf8'));
  } catch {
    return {};
  }
  const out: Record<string, unknown> = {};
  for (const s of SECTIONS) {
    const section = (old as Record<string, unknown> | null)?.[s];
    if (section && typeof section === 'object' && !Array.isArray(section) && 'measured' in section) out[s] = section;
  }
  return out as Results;
}

const fresh: Results = {};
if (selected.includes('ops')) {
  fresh.ops = runOps(ctx);
  console.log(`${renderOps(fresh.ops)}\n`);
}
if (selected.includes('model')) {
  const gemmPeak = fresh.ops
    ? { gflops: gemmPeakGflops(fresh.ops.gemm), source: 'best of the GEMM table above' }
    : { gflops: gemmPeakGflops([measureGemm(ctx, [1024, 1024, 1024])]), source: 'best of a 1024×1024×1024 GEMM via the Tensor API, raw BLAS and our own GEMM' };
  fresh.model = runModel(ctx, gemmPeak);
  console.log(`${renderModel(fresh.model)}\n`);
}
if (selected.includes('generate')) {
  fresh.generate = runGenerate(ctx);
  console.log(`${renderGenerate(fresh.generate)}\n`);
}
if (selected.includes('rewards')) {
  fresh.rewards = runRewards();
  console.log(`${renderRewards(fresh.rewards)}\n`);
}
if (selected.includes('grpo')) {
  fresh.grpo = await runGrpo(threads);
  console.log(`${renderGrpo(fresh.grpo)}\n`);
}

// ---- report ------------------------------------------------------------------------------------
const results: Results = { ...previousResults(), ...fresh };
writeFileSync(resultsPath, JSON.stringify(results, null, 2) + '\n');

const blocks = [
  results.ops ? `${TITLES.ops}\n\n${renderOps(results.ops)}` : '',
  results.model ? `${TITLES.model}\n\n${renderModel(results.model)}` : '',
  results.generate ? `${TITLES.generate}\n\n${renderGenerate(results.generate)}` : '',
  results.rewards ? `${TITLES.rewards}\n\n${renderRewards(results.rewards)}` : '',
  results.grpo ? `${TITLES.grpo}\n\n${renderGrpo(results.grpo)}` : '',
].filter((b) => b !== '');
const readmePath = here('./README.md');
const readme = readFileSync(readmePath, 'utf8');
const marker = '<!-- results -->';
const head = readme.includes(marker) ? readme.slice(0, readme.indexOf(marker)) : `${readme.trimEnd()}\n\n`;
writeFileSync(readmePath, `${head}${marker}\n${blocks.join('\n\n')}\n`);
