// Timing helpers for the benchmarks (warm up, then the median of repeated runs) and what every section
// shares: the run's context and the record of where and when it was measured.

import type { loadNativeKernels } from '../src/tensor/backend/native.js';
import type { CpuFacts } from '../src/util/index.js';
import { cpuFacts } from '../src/util/index.js';

export function medianMs(fn: () => void, minTime = 0.4, maxReps = 200): number {
  for (let i = 0; i < 3; i++) fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < maxReps && (performance.now() - start < minTime * 1000 || times.length < 5)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Milliseconds of each of `iters` timed calls after `warmup` untimed ones (for long steps: seconds each). */
export function timeIters(fn: () => void, warmup: number, iters: number): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return times;
}

/** The median (the mean of the middle two for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Largest absolute difference between two arrays (benchmarks validate before they time). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

export function fmt(x: number, digits = 2): string {
  return x.toFixed(digits);
}

// ---- what every section shares -----------------------------------------------------------------

export type NativeKernels = NonNullable<ReturnType<typeof loadNativeKernels>>;

/** Set up once by run.ts: the native backend is active and OPENBLAS_NUM_THREADS equals our pool's. */
export interface BenchContext {
  readonly native: NativeKernels;
  readonly threads: number;
}

/** Where and when a section was measured; each section keeps its own, as a run may measure only one. */
export interface Measured {
  readonly date: string;
  readonly cpu: CpuFacts;
  readonly native: Record<string, string | number | boolean>;
  readonly threads: number;
  readonly openblasCoretype: string;
  readonly torch: string;
  readonly torchThreads: number;
}

export function measured(ctx: BenchContext, torch: { version: string; threads: number }): Measured {
  return {
    date: new Date().toISOString(), cpu: cpuFacts(), native: ctx.native.info(), threads: ctx.threads,
    openblasCoretype: process.env.OPENBLAS_CORETYPE ?? '', torch: torch.version, torchThreads: torch.threads,
  };
}

/** The line above a section's tables. */
export function summaryLine(m: Measured): string {
  return `Measured ${m.date} on ${m.cpu.model} (${m.cpu.cores} cores), ${m.threads} threads, BLAS ${String(m.native.blas)}, OPENBLAS_CORETYPE=${m.openblasCoretype || 'unset'}, PyTorch ${m.torch} with ${m.torchThreads} threads.`;
}
