// Stage 1 of the mini-R1 recipe, end to end and resumable. Steps:
//   1. problems: seeded train problems at the cold-start levels and held-out problems, per family;
//   2. tokenizer: a byte-level BPE on the problems and the teacher's solutions → runDir/tokenizer;
//   3. cold start: SFT of a DeepSeek-V3 MoE model on the worked solutions → runDir/cold-start;
//   4. evaluation of the cold-start model on the held-out split → runDir/eval/cold-start.json;
//   5. runDir/stage1.json: the settings, the figures and how long each step took.
// Each step finds its output in runDir when an earlier run got that far and takes it from there.
// The GRPO and distillation stages continue from the returned model and problem sets.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalEngine } from '../../engine/index.js';
import type { CausalLM } from '../../model/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { coldStart } from './cold-start.js';
import { coldStartExamples, problemSets, tokenizerCorpus } from './data.js';
import type { ProblemSets } from './data.js';
import type { StageEval } from './evaluate-stage.js';
import { evaluateStage } from './evaluate-stage.js';
import type { MiniR1Options, ResolvedMiniR1Options } from './options.js';
import { resolveMiniR1Options } from './options.js';
import { tokenizerStage } from './tokenizer-stage.js';

export interface Stage1Result {
  readonly options: ResolvedMiniR1Options;
  readonly problems: ProblemSets;
  readonly tokenizer: Tokenizer;
  readonly tokenizerDir: string;
  /** The cold-start model (the caller disposes of it). */
  readonly model: CausalLM;
  readonly checkpoint: string;
  readonly parameters: number;
  readonly sftLoss: number;
  readonly eval: StageEval;
  /** Wall seconds of each step in this call (a step read back from an earlier run takes ~0). */
  readonly seconds: Readonly<Record<'problems' | 'tokenizer' | 'coldStart' | 'evaluate', number>>;
}

/** Runs (or resumes) stage 1 in options.runDir; see the file comment for the steps. */
export async function runMiniR1Stage1(options: MiniR1Options): Promise<Stage1Result> {
  const o = resolveMiniR1Options(options);
  mkdirSync(o.runDir, { recursive: true });
  const clock = timer();
  const problems = problemSets(o.families, o.sftDifficulties, o.sftPerFamily, o.heldoutPerFamily, o.seed);
  const tProblems = clock();
  const tok = tokenizerStage(o.runDir, () => tokenizerCorpus(problems.train), o.vocabSize);
  const tTokenizer = clock();
  const cold = await coldStart(o.runDir, tok.tokenizer, tok.dir, coldStartExamples(problems.train), {
    preset: o.preset, seed: o.seed, steps: o.sftSteps, batchSize: o.batchSize, microBatchSize: o.microBatchSize, lr: o.lr, warmupSteps: o.warmupSteps, progress: o.progress,
  });
  const tCold = clock();
  const evaluation = await evaluateStage(new LocalEngine(cold.model, tok.tokenizer), 'cold-start', problems.heldout, o.runDir, {
    k: o.evalK, maxTokens: o.evalMaxTokens, temperature: o.temperature, topP: o.topP, seed: o.seed,
  });
  const seconds = { problems: tProblems, tokenizer: tTokenizer, coldStart: tCold, evaluate: clock() };
  writeFileSync(join(o.runDir, 'stage1.json'), `${JSON.stringify({
    options: o, tokenizerVocab: tok.tokenizer.vocabSize, parameters: cold.parameters, checkpoint: cold.checkpoint, sftLoss: cold.sft.loss, seconds, eval: evaluation,
  }, null, 2)}\n`);
  return {
    options: o, problems, tokenizer: tok.tokenizer, tokenizerDir: tok.dir, model: cold.model, checkpoint: cold.checkpoint,
    parameters: cold.parameters, sftLoss: cold.sft.loss, eval: evaluation, seconds,
  };
}

/** Seconds since the previous call (or since creation). */
function timer(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const s = (now - last) / 1000;
    last = now;
    return s;
  };
}
