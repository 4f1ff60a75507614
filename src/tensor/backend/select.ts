// Which backend runs the kernels: `native` when the addon loaded, else `ref`. Override with the
// R1TS_BACKEND environment variable (ref | native | auto) or setBackend() at run time.

import type { Kernels } from './kernels.js';
import { refKernels } from './ref/index.js';
import { loadNativeKernels, nativeLoadError } from './native.js';

export type BackendName = 'ref' | 'native';

let current: Kernels | null = null;

function resolve(name: string): Kernels {
  if (name === 'ref') return refKernels;
  const native = loadNativeKernels();
  if (name === 'native') {
    if (!native) throw new Error(`R1TS backend 'native' is not available: ${nativeLoadError() ?? 'unknown reason'}. Run \`npm rebuild r1ts\` or use R1TS_BACKEND=ref.`);
    return native;
  }
  if (name !== 'auto') throw new Error(`unknown backend '${name}': use ref, native or auto`);
  return native ?? refKernels;
}

/** The kernels in use (chosen on first use from R1TS_BACKEND, default auto). */
export function kernels(): Kernels {
  current ??= resolve(process.env.R1TS_BACKEND ?? 'auto');
  return current;
}

export function setBackend(name: BackendName | 'auto'): Kernels {
  current = resolve(name);
  return current;
}

export function backendName(): BackendName {
  return kernels().name;
}

/** Runs fn with another backend, then restores the previous one (used by tests that compare backends). */
export function withBackend<T>(name: BackendName, fn: () => T): T {
  const saved = current;
  current = resolve(name);
  try {
    return fn();
  } finally {
    current = saved;
  }
}

export { refKernels, nativeLoadError };
