// `r1ts doctor`: what r1ts will run on — backend, BLAS, threads, CPU features — and a quick check
// that the native backend computes what the reference backend computes.

import * as T from '../tensor/index.js';
import { cpuFacts } from '../util/index.js';

export interface DoctorReport {
  readonly node: string;
  readonly backend: string;
  readonly nativeError: string | null;
  readonly kernels: Record<string, string | number | boolean>;
  readonly cpu: ReturnType<typeof cpuFacts>;
  readonly selfTest: string;
}

/** Multiplies two random matrices on the backend in use and on ref, and reports the largest difference. */
function selfTest(): string {
  if (T.backendName() === 'ref') return 'skipped (ref backend is the reference)';
  const rng = new T.Rng(1);
  const a = T.randn([64, 48], rng);
  const b = T.randn([48, 32], rng);
  const ours = T.matmul(a, b).toArray();
  const ref = T.withBackend('ref', () => T.matmul(a, b).toArray());
  const diff = Math.max(...ours.map((v, i) => Math.abs(v - ref[i]!)));
  return diff < 1e-3 ? `ok (matmul matches ref, max |diff| ${diff.toExponential(1)})` : `FAILED: matmul differs from ref by ${diff}`;
}

export function doctor(): DoctorReport {
  const k = T.kernels();
  return {
    node: process.version,
    backend: k.name,
    nativeError: T.nativeLoadError(),
    kernels: k.info(),
    cpu: cpuFacts(),
    selfTest: T.tidy(selfTest),
  };
}

export function formatDoctor(r: DoctorReport): string {
  const rows: [string, string][] = [
    ['node', r.node],
    ['backend', `${r.backend}${r.nativeError ? `  (native unavailable: ${r.nativeError})` : ''}`],
    ...Object.entries(r.kernels).filter(([key]) => key !== 'backend').map(([key, v]): [string, string] => [key, String(v)]),
    ['cpu', `${r.cpu.model} (${r.cpu.arch}, ${r.cpu.cores} cores)`],
    ['features', r.cpu.features.join(' ') || 'unknown'],
    ['self-test', r.selfTest],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => k.padEnd(width) + v).join('\n');
}
