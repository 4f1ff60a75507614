// An SFT stage of the recipe: a fresh model of a preset (vocabulary and end token sized to the run's
// tokenizer) fine-tuned on conversations. The main model's cold start, the student's cold start and the
// distilled student are all this. Checkpoints go to <dir>/checkpoints as Hugging Face folders with the
// tokenizer, so every r1ts command loads them; an interrupted run resumes from the newest one.

import { CausalLM, getPreset, parseConfig } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { trainSft } from '../../train/sft/index.js';
import type { SftExample, SftOptions, SftResult } from '../../train/sft/index.js';

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

/** Checkpoint interval of a stage: one every quarter of its steps, so Ctrl-C loses at most that much. */
export function quarterly(steps: number): number {
  return Math.max(1, Math.ceil(steps / 4));
}

/** trainSft's options for a stage's model in `dir` (whole batches in one pass), all but the data. */
export function stageSftOptions(dir: string, model: CausalLM, tokenizer: Tokenizer, tokenizerDir: string, s: SftStageSettings): Omit<SftOptions, 'data'> {
  return {
    model, tokenizer, tokenizerDir, runDir: dir, maxSteps: s.steps, batchSize: s.batchSize, microBatchSize: s.batchSize,
    lr: s.lr, warmupSteps: s.warmupSteps, seed: s.seed, progress: s.progress, checkpointEvery: quarterly(s.steps),
  };
}

/** Trainable parameters (the router's correction biases are buffers, not counted). */
export function parameterCount(model: CausalLM): number {
  return model.parameters().reduce((a, p) => a + p.size, 0);
}

/** Trains a fresh `s.preset` model on `data` in `dir` (or finishes an interrupted run there). */
export async function sftStage(dir: string, tokenizer: Tokenizer, tokenizerDir: string, data: readonly SftExample[], s: SftStageSettings): Promise<SftStage> {
  const model = freshModel(s.preset, tokenizer, s.seed);
  try {
    const sft = await trainSft({ ...stageSftOptions(dir, model, tokenizer, tokenizerDir, s), data });
    if (sft.checkpoint === null) throw new Error(`miniR1: the SFT in ${dir} wrote no checkpoint; this is a bug`);
    return { model, sft, checkpoint: sft.checkpoint, parameters: parameterCount(model) };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
