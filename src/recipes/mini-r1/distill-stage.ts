// The distillation stage: the GRPO-trained model writes reasoning traces for a prompt set, the verifier
// keeps the right ones (for Countdown: any expression that reaches the target), and a fresh dense
// student is fine-tuned on them together with the cold-start worked solutions, as R1 mixed its
// cold-start data into the SFT set of its distilled models. The direct-RL arm starts from the same
// worked solutions, so the two arms differ in what comes after them: verified traces or GRPO. The
// traces land in <dir>/traces.jsonl and the student's checkpoints in <dir>/checkpoints; a resumed run
// reuses both.

import type { Engine } from '../../engine/index.js';
import type { Task } from '../../tasks/index.js';
import { taskReward } from '../../tasks/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { distill } from '../../train/distill/index.js';
import type { SftExample } from '../../train/sft/index.js';
import type { TraceReport } from '../../train/distill/index.js';
import type { SftStage, SftStageSettings } from './sft-stage.js';
import { freshModel, parameterCount, stageSftOptions } from './sft-stage.js';

export interface DistillStageSettings extends SftStageSettings {
  /** Teacher samples per prompt; one verified trace per prompt is kept. */
  readonly samples: number;
  readonly maxTokens: number;
  readonly temperature: number;
  readonly topP: number;
}

export interface DistillStage extends SftStage {
  /** Null when the traces were read back from an earlier run. */
  readonly traces: TraceReport | null;
  readonly examples: number;
}

export async function distillStage(dir: string, teacher: Engine, prompts: readonly Task[], worked: readonly SftExample[], tokenizer: Tokenizer, tokenizerDir: string, s: DistillStageSettings): Promise<DistillStage> {
  const model = freshModel(s.preset, tokenizer, s.seed);
  try {
    const result = await distill({
      teacher,
      extra: worked,
      problems: prompts.map((t) => ({ problem: t.problem, answer: t.answer, id: t.id, sample: t })),
      traces: {
        samplesPerProblem: s.samples, keepPerProblem: 1, maxTokens: s.maxTokens, chunk: 32,
        sampling: { temperature: s.temperature, topP: s.topP, seed: s.seed },
        // The trace holds its own <think>, so the check reads it as a whole completion.
        filters: { correct: taskReward() },
      },
      sft: stageSftOptions(dir, model, tokenizer, tokenizerDir, s),
    });
    if (result.sft.checkpoint === null) throw new Error(`miniR1: the distillation in ${dir} wrote no checkpoint; this is a bug`);
    return { model, sft: result.sft, checkpoint: result.sft.checkpoint, parameters: parameterCount(model), traces: result.traces, examples: result.examples };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
