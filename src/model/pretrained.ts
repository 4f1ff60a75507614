// Opening a model: a Hugging Face folder (config.json + safetensors) becomes a CausalLM with its
// weights, or a preset name becomes a freshly initialised one (for experiments and debugging).

import { existsSync } from 'node:fs';
import { CausalLM } from './causal-lm.js';
import type { CreateModelOptions } from './causal-lm.js';
import type { ModelConfig } from './config.js';
import { CheckpointReader } from './io/checkpoint.js';
import { CheckpointError } from './io/errors.js';
import { loadWeights } from './io/load.js';
import { getPreset, PRESET_NAMES } from './presets.js';

export interface OpenedModel {
  readonly model: CausalLM;
  readonly config: ModelConfig;
  /** Where the weights came from, for messages: the folder, or "preset X (random init, seed N)". */
  readonly source: string;
  /** Checkpoint tensors the model does not use (e.g. the MTP layer). */
  readonly ignored: readonly string[];
}

export interface LoadModelOptions {
  /** Storage of the Linear weights; bfloat16 halves the memory of inference. Default float32. */
  readonly linearDtype?: CreateModelOptions['linearDtype'];
}

/** Loads a model folder; the reader validates every file before a single weight is copied. */
export function loadPretrained(dir: string, opts: LoadModelOptions = {}): OpenedModel {
  const reader = CheckpointReader.open(dir);
  try {
    const model = new CausalLM(reader.config, { init: 'none', linearDtype: opts.linearDtype ?? 'float32' });
    try {
      const { ignored } = loadWeights(model, reader);
      return { model, config: reader.config, source: dir, ignored };
    } catch (e) {
      model.dispose();
      throw e;
    }
  } finally {
    reader.close();
  }
}

/** A model folder if `target` exists on disk, else a preset with seeded random weights. */
export function openModel(target: string, seed = 0): OpenedModel {
  const preset = (PRESET_NAMES as readonly string[]).includes(target);
  if (!existsSync(target) && !preset) throw new CheckpointError(target, `no such model folder, and not a preset name (${PRESET_NAMES.join(', ')})`);
  if (!preset || existsSync(target)) return loadPretrained(target);
  const config = getPreset(target);
  return { model: new CausalLM(config, { seed }), config, source: `preset ${target} (random weights, seed ${seed})`, ignored: [] };
}
