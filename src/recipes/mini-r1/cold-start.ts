// Stage 1b: the cold-start model. A fresh DeepSeek-V3-architecture model (a MoE preset, vocabulary
// sized to the run's tokenizer) is fine-tuned on the teacher's worked solutions in R1 format. The
// checkpoints go to runDir/cold-start/checkpoints as Hugging Face folders with the tokenizer, so every
// r1ts command loads them; an interrupted run resumes from the newest one (trainSft's resume).

import { join } from 'node:path';
import { CausalLM, getPreset, parseConfig } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { trainSft } from '../../train/sft/index.js';
import type { SftExample, SftResult } from '../../train/sft/index.js';

export interface ColdStartSettings {
  readonly preset: string;
  readonly seed: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly microBatchSize: number;
  readonly lr: number;
  readonly warmupSteps: number;
  readonly progress: boolean;
}

export interface ColdStart {
  readonly model: CausalLM;
  readonly sft: SftResult;
  /** The final checkpoint folder (a complete chat model). */
  readonly checkpoint: string;
  readonly parameters: number;
}

/** A fresh model of the preset whose vocabulary and end token are the tokenizer's. */
export function freshModel(preset: string, tokenizer: Tokenizer, seed: number): CausalLM {
  const config = parseConfig({ ...getPreset(preset), vocab_size: tokenizer.vocabSize, eos_token_id: tokenizer.eosTokenId });
  return new CausalLM(config, { seed });
}

export async function coldStart(runDir: string, tokenizer: Tokenizer, tokenizerDir: string, data: readonly SftExample[], s: ColdStartSettings): Promise<ColdStart> {
  const model = freshModel(s.preset, tokenizer, s.seed);
  try {
    const sft = await trainSft({
      model, tokenizer, tokenizerDir, data, runDir: join(runDir, 'cold-start'),
      maxSteps: s.steps, batchSize: s.batchSize, microBatchSize: s.microBatchSize, lr: s.lr, warmupSteps: s.warmupSteps,
      seed: s.seed, progress: s.progress,
      // A checkpoint every quarter of the run: Ctrl-C loses at most that much.
      checkpointEvery: Math.max(1, Math.ceil(s.steps / 4)),
    });
    if (sft.checkpoint === null) throw new Error('miniR1: the cold-start SFT wrote no checkpoint; this is a bug');
    const parameters = model.parameters().reduce((a, p) => a + p.size, 0);
    return { model, sft, checkpoint: sft.checkpoint, parameters };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
