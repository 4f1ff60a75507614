// Which backends this machine can run: ref always, native when the addon built and loads.

import type { BackendName } from '../../src/tensor/index.js';
import * as T from '../../src/tensor/index.js';

export function availableBackends(): BackendName[] {
  try {
    T.withBackend('native', () => 0);
    return ['ref', 'native'];
  } catch {
    if (process.env.R1TS_REQUIRE_NATIVE === '1') throw new Error(`the native backend is required here but did not load: ${T.nativeLoadError()}`);
    return ['ref'];
  }
}
