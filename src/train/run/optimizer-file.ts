// An optimizer's state as a safetensors file: every buffer a flat F32 tensor under its state name
// (`m.0`, `v.0`, `velocity.3` …), the kind and the per-parameter step counts in the header metadata.

import type { OptimizerState } from '../../nn/index.js';
import { CheckpointError, SafetensorsFile, writeSafetensors } from '../../model/index.js';

const FORMAT = 'r1ts-optimizer';

export function writeOptimizerFile(path: string, state: OptimizerState): void {
  const entries = Object.entries(state.tensors).map(([name, data]) => ({ name, dtype: 'F32' as const, shape: [data.length], data }));
  writeSafetensors(path, entries, { format: FORMAT, kind: state.kind, steps: JSON.stringify(state.steps) });
}

export function readOptimizerFile(path: string): OptimizerState {
  const file = SafetensorsFile.open(path);
  try {
    const { format, kind, steps: stepsJson } = file.metadata;
    if (format !== FORMAT) throw new CheckpointError(path, `is not an optimizer state written by r1ts (metadata format ${JSON.stringify(format)}, expected "${FORMAT}")`);
    if (kind !== 'adamw' && kind !== 'sgd') throw new CheckpointError(path, `names optimizer kind ${JSON.stringify(kind)}; expected "adamw" or "sgd"`);
    let steps: unknown;
    try {
      steps = JSON.parse(stepsJson ?? '');
    } catch {
      steps = undefined;
    }
    if (!Array.isArray(steps) || !steps.every((n) => Number.isSafeInteger(n) && n >= 0)) {
      throw new CheckpointError(path, 'has no valid "steps" metadata (a JSON list of step counts); the file is damaged');
    }
    const tensors: Record<string, Float32Array> = {};
    for (const name of file.names) tensors[name] = file.readFloat32(name);
    return { kind, steps: steps as number[], tensors };
  } finally {
    file.close();
  }
}
