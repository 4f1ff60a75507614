// The distillation stage: the GRPO-trained model writes reasoning traces for a prompt set, the verifier
// keeps the right ones (for Countdown: any expression that reaches the target), and a fresh dense
// student is fine-tuned on them together with the teacher's worked solutions to the cold-start
// problems: every reply it sees reasons, as the RL model has learned to. (The answer-only replies of
// the cold start are left out: mixed in, the student answers at once as often as the cold start did.)
// The direct-RL arm instead goes through the main model's recipe: its cold start, then GRPO. The
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
