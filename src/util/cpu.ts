// Facts about this CPU for `r1ts doctor` and backend set-up: model name and SIMD features.

import { readFileSync } from 'node:fs';
import os from 'node:os';

const INTERESTING = ['sse4_2', 'avx', 'avx2', 'fma', 'f16c', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_bf16', 'avx512_fp16', 'amx_tile', 'neon', 'asimd'];

export interface CpuFacts {
  readonly model: string;
  readonly cores: number;
  readonly arch: string;
  /** SIMD-related flags the CPU reports (Linux /proc/cpuinfo); empty elsewhere. */
  readonly features: readonly string[];
}

export function cpuFacts(): CpuFacts {
  let flags: string[] = [];
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const line = info.split('\n').find((l) => l.startsWith('flags') || l.startsWith('Features'));
    flags = line ? line.split(':')[1]!.trim().split(/\s+/) : [];
  } catch {
    // Not Linux: no feature list.
  }
  const cpus = os.cpus();
  return {
    model: cpus[0]?.model ?? 'unknown',
    cores: os.availableParallelism?.() ?? cpus.length,
    arch: process.arch,
    features: INTERESTING.filter((f) => flags.includes(f)),
  };
}
