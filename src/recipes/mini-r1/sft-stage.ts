// An SFT stage of the recipe: a fresh model of a preset (vocabulary and end token sized to the run's
// tokenizer) fine-tuned on conversations. The main model's cold start, the student's cold start and the
// distilled student are all this. Checkpoints go to <dir>/checkpoints as Hugging Face folders with the
// tokenizer, so every r1ts command loads them; an interrupted run resumes from the newest one.

import { CausalLM, getPreset, parseConfig } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { trainSft } from '../../train/sft/index.js';
import type { SftExample, SftResult } from '../../train/sft/index.js';

export interface SftStageSettings {
  readonly preset: string;
  readonly seed: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly warmupSteps: number;
  readonly progress: boolean;
}

export interface SftStage {
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

export function parameterCount(model: CausalLM): number {
  return model.parameters().reduce((a, p) => a + p.size, 0);
}

/** Trains a fresh `s.preset` model on `data` in `dir` (or finishes an interrupted run there). */
export async function sftStage(dir: string, tokenizer: Tokenizer, tokenizerDir: string, data: readonly SftExample[], s: SftStageSettings): Promise<SftStage> {
  const model = freshModel(s.preset, tokenizer, s.seed);
  try {
    const sft = await trainSft({
      model, tokenizer, tokenizerDir, data, runDir: dir,
      maxSteps: s.steps, batchSize: s.batchSize, microBatchSize: s.batchSize, lr: s.lr, warmupSteps: s.warmupSteps,
      seed: s.seed, progress: s.progress,
      // A checkpoint every quarter of the run: Ctrl-C loses at most that much.
      checkpointEvery: Math.max(1, Math.ceil(s.steps / 4)),
    });
    if (sft.checkpoint === null) throw new Error(`miniR1: the SFT in ${dir} wrote no checkpoint; this is a bug`);
    return { model, sft, checkpoint: sft.checkpoint, parameters: parameterCount(model) };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
