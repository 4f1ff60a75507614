// A GRPO stage of the recipe: the policy (already cold-started) is trained on the run's GRPO problems
// with R1's rule-based rewards — accuracy (the family's own check: the verifier, or evaluating a
// Countdown expression) and format (<think>…</think> then an answer) — and a small KL penalty to the
// policy it started from, so the report can plot the KL. Rollouts come from a LocalEngine over the
// policy itself. Checkpoints and metrics.jsonl go to `dir`; an interrupted stage resumes there.

import type { Engine } from '../../engine/index.js';
import { LocalEngine } from '../../engine/index.js';
import type { CausalLM } from '../../model/index.js';
import { combineRewards, lenientFormatReward } from '../../rewards/index.js';
import type { Task } from '../../tasks/index.js';
import { taskReward } from '../../tasks/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { GrpoTrainer } from '../../train/grpo/index.js';
import type { GrpoTask } from '../../train/grpo/index.js';
import { quarterly } from './sft-stage.js';

export interface GrpoStageSettings {
  readonly steps: number;
  readonly promptsPerStep: number;
  readonly groupSize: number;
  readonly lr: number;
  readonly temperature: number;
  /** Nucleus sampling of the rollouts (the evaluation's top-p keeps them alike); undefined = none. */
  readonly topP?: number;
  readonly maxTokens: number;
  readonly seed: number;
  readonly progress: boolean;
}

/** Weight of the format reward next to accuracy (R1 used both; accuracy is what counts). */
export const FORMAT_WEIGHT = 0.2;

/** R1's rule-based reward for the recipe's tasks: accuracy + FORMAT_WEIGHT × format. */
export function recipeReward() {
  return combineRewards([
    { name: 'accuracy', fn: taskReward({ reasoningOpened: true }), weight: 1 },
    { name: 'format', fn: lenientFormatReward({ reasoningOpened: true }), weight: FORMAT_WEIGHT },
  ]);
}

export function grpoTasks(tasks: readonly Task[]): GrpoTask[] {
  return tasks.map((t) => ({ messages: [{ role: 'user', content: t.problem }], sample: t }));
}

/** Trains `policy` in place (or resumes the stage in `dir`); returns the engine over the trained policy. */
export async function grpoStage(dir: string, policy: CausalLM, tokenizer: Tokenizer, tokenizerDir: string, tasks: readonly Task[], s: GrpoStageSettings): Promise<Engine> {
  const engine = new LocalEngine(policy, tokenizer, { maxBatch: s.promptsPerStep * s.groupSize });
  const trainer = new GrpoTrainer({
    policy, tokenizer, engine, tasks: grpoTasks(tasks), reward: recipeReward(), runDir: dir, tokenizerDir,
    options: {
      steps: s.steps, promptsPerStep: s.promptsPerStep, groupSize: s.groupSize, maxTokens: s.maxTokens,
      sampling: { temperature: s.temperature, ...(s.topP !== undefined ? { topP: s.topP } : {}) }, optimizer: { lr: s.lr }, loss: { beta: 0.04 },
      seed: s.seed, progress: s.progress, checkpointEvery: quarterly(s.steps),
    },
  });
  try {
    await trainer.train();
  } finally {
    trainer.dispose();
  }
  return engine;
}
