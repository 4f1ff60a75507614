// The GRPO training loop (DeepSeekMath §4.2 Algorithm 1, with DAPO's and Dr. GRPO's options). One step:
//   1. take the step's prompts (a seeded shuffle per epoch: a pure function of the step, so resuming
//      needs no data state);
//   2. roll out G completions per prompt through the Engine (seeded per request);
//   3. score them with the combined reward;
//   4. group-relative advantages; dynamic sampling drops groups of equal rewards; truncation masking
//      takes cut-off completions out of the loss;
//   5. π_old (and the entropy) by a no-grad forward at the sampling temperature, π_ref when β > 0;
//   6. μ passes × mini-batches of clipped-surrogate updates (update.ts);
//   7. refresh π_ref when due; record the step's metrics.
// train() repeats step() with the metrics log, the progress line and checkpoints in the run folder,
// resuming from the folder's newest checkpoint. All that a resumed run needs is in GrpoState.

import { join } from 'node:path';
import type { Completion, Engine } from '../../engine/index.js';
import type { CausalLM } from '../../model/index.js';
import { AdamW } from '../../nn/index.js';
import type { CombinedReward, CombinedRewardFn } from '../../rewards/index.js';
import { scoreAll } from '../../rewards/index.js';
import * as T from '../../tensor/index.js';
import type { Tokenizer } from '../../tokenizer/index.js';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from '../run/checkpoint.js';
import { MetricsLog } from '../run/metrics.js';
import { Progress } from '../run/progress.js';
import { groupAdvantages } from './advantages.js';
import { informativeGroups, rowsOfGroups, truncationMask } from './filters.js';
import { scoreRows } from './logprobs.js';
import { completionMetrics, maskedMean, rewardMetrics } from './metrics.js';
import type { GrpoOptions, GrpoOptionsInput } from './options.js';
import { grpoOptions } from './options.js';
import { copyModel, copyWeights, pruneReferenceSnapshots, restoreReferenceSnapshot, saveReferenceSnapshot } from './reference.js';
import type { GrpoTask } from './rollout.js';
import { promptIds, requestSeed, rollout, rolloutRequests } from './rollout.js';
import { rowTokens, tokenRows } from './rows.js';
import type { RolloutBatch } from './update.js';
import { policyUpdate } from './update.js';

export interface GrpoTrainerArgs {
  readonly policy: CausalLM;
  readonly tokenizer: Tokenizer;
  /** Generates from the policy's current weights: a LocalEngine over `policy` does; others need syncEngine. */
  readonly engine: Engine;
  readonly tasks: readonly GrpoTask[];
  readonly reward: CombinedRewardFn;
  readonly options?: GrpoOptionsInput;
  /** Metrics (metrics.jsonl), checkpoints and reference snapshots go here; without it nothing is written. */
  readonly runDir?: string;
  /** Tokenizer files copied into each checkpoint, so it loads as a chat model. */
  readonly tokenizerDir?: string;
  /** Called before each rollout to bring a remote engine up to the policy's weights. */
  readonly syncEngine?: (policy: CausalLM) => Promise<void>;
  readonly onStep?: (step: number, metrics: Readonly<Record<string, number>>) => void;
}

/** Everything the loop carries from one step to the next (and a checkpoint restores). */
export interface GrpoState {
  /** GRPO steps done. */
  step: number;
  /** Optimizer steps taken (skipped non-finite ones not counted). */
  updates: number;
  /** Optimizer steps skipped in a row for a non-finite loss or gradient. */
  nonFiniteStreak: number;
  /** The step whose policy π_ref is (0: the initial one); null when β = 0 and there is no reference. */
  referenceStep: number | null;
}

const now = (): number => performance.now() / 1000;

/** The few figures the progress line shows (those that exist this step). */
function shown(m: Readonly<Record<string, number>>): Record<string, number> {
  const pick = { reward: m['reward/mean'], len: m['completion/length_mean'], kl: m.kl, clip: m['clip/total'] };
  return Object.fromEntries(Object.entries(pick).filter((e): e is [string, number] => Number.isFinite(e[1])));
}

export class GrpoTrainer {
  readonly options: GrpoOptions;
  readonly state: GrpoState;
  readonly optimizer: AdamW;
  private readonly reference: CausalLM | null;
  private readonly promptCache = new Map<number, number[]>();
  private epochOrder: { epoch: number; order: number[] } = { epoch: -1, order: [] };

  constructor(private readonly args: GrpoTrainerArgs) {
    this.options = grpoOptions(args.options);
    if (args.tasks.length === 0) throw new RangeError('GrpoTrainer: no tasks; give at least one prompt to train on');
    const o = this.options;
    this.optimizer = new AdamW(args.policy.parameters(), { ...o.optimizer });
    // β = 0: no reference model at all (TRL ≥ 0.19 does not even load it).
    this.reference = o.loss.beta > 0 ? copyModel(args.policy) : null;
    this.state = { step: 0, updates: 0, nonFiniteStreak: 0, referenceStep: this.reference ? 0 : null };
  }

  /** Loads the run folder's newest checkpoint (and reference snapshot); returns its step, or null when there is none. */
  resume(): number | null {
    const dir = this.args.runDir === undefined ? null : latestCheckpoint(this.args.runDir);
    if (dir === null) {
      // A fresh start (or a run killed before its first checkpoint): snapshots of lost work go.
      if (this.reference && this.args.runDir !== undefined) restoreReferenceSnapshot(this.args.runDir, this.reference, 0, 0);
      return null;
    }
    const saved = loadCheckpoint(dir, { model: this.args.policy, optimizer: this.optimizer });
    const data = this.dataState();
    if (JSON.stringify(saved.data) !== JSON.stringify(data)) {
      throw new Error(`${dir}: the checkpoint was made with data settings ${JSON.stringify(saved.data)}, this run has ${JSON.stringify(data)}; resume with the same tasks, seed and promptsPerStep, or use a fresh run folder`);
    }
    const extra = (saved.extra ?? {}) as Partial<GrpoState>;
    Object.assign(this.state, { step: saved.step, updates: extra.updates ?? 0, nonFiniteStreak: extra.nonFiniteStreak ?? 0 });
    if (this.reference) {
      const referenceStep = extra.referenceStep ?? 0;
      restoreReferenceSnapshot(this.args.runDir!, this.reference, saved.step, referenceStep);
      this.state.referenceStep = referenceStep;
    }
    return saved.step;
  }

  /** Runs to options.steps: resumes first, logs every step, checkpoints every checkpointEvery steps and at the end. */
  async train(): Promise<Record<string, number>[]> {
    const o = this.options;
    const runDir = this.args.runDir;
    const resumed = this.resume();
    const log = runDir === undefined ? null : new MetricsLog(join(runDir, 'metrics.jsonl'), resumed === null ? {} : { resumeAfterStep: resumed });
    const progress = new Progress(o.steps, { label: 'grpo', enabled: o.progress });
    const history: Record<string, number>[] = [];
    try {
      while (this.state.step < o.steps) {
        const metrics = await this.step();
        history.push(metrics);
        log?.write(this.state.step, metrics);
        progress.update(this.state.step, shown(metrics));
        const due = (o.checkpointEvery > 0 && this.state.step % o.checkpointEvery === 0) || this.state.step === o.steps;
        if (runDir !== undefined && due) {
          log!.sync();
          this.checkpoint(runDir);
        }
      }
    } finally {
      progress.done();
      log?.close();
    }
    return history;
  }

  /** One GRPO step (see the file comment); returns its metrics. */
  async step(): Promise<Record<string, number>> {
    const o = this.options;
    const s = this.state.step;
    const t0 = now();
    const tasks = this.stepTasks(s);
    const completions = await this.rolloutStep(s, tasks);
    const t1 = now();
    const scored = await this.score(tasks, completions);
    const t2 = now();
    const { batch, groups, zeroStdGroups, entropy } = this.trainingBatch(tasks, completions, scored.map((r) => r.reward));
    const t3 = now();
    const perStep = o.iterations * o.miniBatches;
    const update = policyUpdate({ model: this.args.policy, optimizer: this.optimizer, options: o, firstUpdate: s * perStep, totalUpdates: Math.max(1, o.steps * perStep) }, batch, this.state);
    const t4 = now();

    this.state.step++;
    this.state.updates += update.updates;
    this.refreshReference();

    const { rows } = batch;
    const trained = groups.flatMap((g) => completions.slice(g * o.groupSize, (g + 1) * o.groupSize));
    const metrics: Record<string, number> = {
      ...rewardMetrics(scored),
      ...completionMetrics(completions),
      'groups/zero_std': zeroStdGroups / tasks.length,
      'groups/kept': groups.length,
      loss: update.loss,
      'clip/low': update.clipLow,
      'clip/high': update.clipHigh,
      'clip/total': update.clipTotal,
      kl: update.kl,
      ratio: update.ratio,
      entropy: entropy ? maskedMean(entropy, rows.mask) : NaN,
      grad_norm: update.gradNorm,
      lr: update.lr,
      updates: this.state.updates,
      'updates/skipped': update.skipped,
      'rollout/logprob_gap': this.logprobGap(trained, batch.oldLogprobs, rows.width),
      'time/rollout_s': t1 - t0,
      'time/reward_s': t2 - t1,
      'time/logprobs_s': t3 - t2,
      'time/update_s': t4 - t3,
      'time/step_s': now() - t0,
      'perf/rollout_tokens_per_s': completions.reduce((a, c) => a + c.tokens.length, 0) / (t1 - t0),
      'perf/update_tokens_per_s': update.tokens / (t4 - t3),
      'perf/logprob_tokens_per_s': (rowTokens(rows) * (this.reference ? 2 : 1)) / (t3 - t2),
    };
    this.args.onStep?.(this.state.step, metrics);
    return metrics;
  }

  /** Steps 1–2: G completions for each of the step's tasks, from the policy's current weights. */
  private async rolloutStep(step: number, tasks: readonly number[]): Promise<Completion[]> {
    const o = this.options;
    await this.args.syncEngine?.(this.args.policy);
    const settings = { groupSize: o.groupSize, maxTokens: o.maxTokens, sampling: o.sampling, ...(o.stop ? { stop: o.stop } : {}) };
    const requests = rolloutRequests(tasks.map((k) => this.args.tasks[k]!), settings, tasks.map((_, k) => requestSeed(o.seed, step, k)));
    return rollout(this.args.engine, requests);
  }

  /** Step 3: the combined reward of each completion's text (special tokens left out) against its task. */
  private async score(tasks: readonly number[], completions: readonly Completion[]): Promise<CombinedReward[]> {
    const G = this.options.groupSize;
    const items = completions.map((c, i) => ({
      completion: this.args.tokenizer.decode(c.tokens, { skipSpecialTokens: true }),
      sample: { ...this.args.tasks[tasks[Math.floor(i / G)]!]!.sample, completionTokens: c.tokens.length },
    }));
    return scoreAll(this.args.reward, items, { concurrency: this.options.rewardConcurrency });
  }

  /** Steps 4–5: advantages, filters, the token rows, π_old (with the entropy) and π_ref. */
  private trainingBatch(tasks: readonly number[], completions: readonly Completion[], rewards: readonly (number | null)[]) {
    const o = this.options;
    const G = o.groupSize;
    const temperature = o.sampling.temperature ?? 1;
    const adv = groupAdvantages(rewards, G, o.advantages);
    const groups = o.dynamicSampling ? informativeGroups(rewards, G) : tasks.map((_, g) => g);
    const kept = rowsOfGroups(groups, G);
    const prompts = tasks.map((k, g) => this.promptOf(k, completions[g * G]!));
    const finish = truncationMask(kept.map((i) => completions[i]!.finishReason), o.maskTruncated);
    const rows = tokenRows(kept.map((i) => prompts[Math.floor(i / G)]!), kept.map((i) => completions[i]!.tokens), finish);
    const microRows = o.microBatchRows || Math.max(1, kept.length);
    const old = scoreRows(this.args.policy, rows, temperature, { microRows, entropy: o.entropy });
    const ref = this.reference ? scoreRows(this.reference, rows, temperature, { microRows, entropy: false }).logprobs : null;
    const batch: RolloutBatch = { rows, oldLogprobs: old.logprobs, refLogprobs: ref, advantages: Float64Array.from(kept, (i) => adv.advantages[i]!) };
    return { batch, groups, zeroStdGroups: adv.zeroStdGroups, entropy: old.entropy };
  }

  /** Frees the reference copy (the policy is the caller's). */
  dispose(): void {
    this.reference?.dispose();
  }

  private checkpoint(runDir: string): void {
    const { step, updates, nonFiniteStreak, referenceStep } = this.state;
    saveCheckpoint(runDir, {
      model: this.args.policy,
      optimizer: this.optimizer,
      state: { step, data: this.dataState(), rng: {}, extra: { updates, nonFiniteStreak, referenceStep } },
      ...(this.args.tokenizerDir ? { tokenizerDir: this.args.tokenizerDir } : {}),
    }, { keep: this.options.keepCheckpoints });
    if (this.reference) pruneReferenceSnapshots(runDir);
  }

  /** What fixes the prompt order: a resumed run must agree on it. */
  private dataState(): Record<string, number> {
    return { tasks: this.args.tasks.length, promptsPerStep: this.options.promptsPerStep, seed: this.options.seed };
  }

  private refreshReference(): void {
    const every = this.options.refRefreshSteps;
    if (!this.reference || every === 0 || this.state.step % every !== 0) return;
    copyWeights(this.args.policy, this.reference);
    this.state.referenceStep = this.state.step;
    if (this.args.runDir !== undefined) saveReferenceSnapshot(this.args.runDir, this.reference, this.state.step);
  }

  /** Task indices of step `step`: consecutive slices of a fresh seeded shuffle per epoch. */
  private stepTasks(step: number): number[] {
    const n = this.args.tasks.length;
    const P = this.options.promptsPerStep;
    return Array.from({ length: P }, (_, k) => {
      const pos = step * P + k;
      return this.orderOf(Math.floor(pos / n))[pos % n]!;
    });
  }

  private orderOf(epoch: number): number[] {
    if (this.epochOrder.epoch !== epoch) {
      const rng = new T.Rng(requestSeed(this.options.seed, epoch, 0x0dd5eed));
      const order = Array.from({ length: this.args.tasks.length }, (_, i) => i);
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      this.epochOrder = { epoch, order };
    }
    return this.epochOrder.order;
  }

  /** The task's prompt ids, checked against what the engine reports it saw. */
  private promptOf(task: number, first: Completion): number[] {
    let ids = this.promptCache.get(task);
    if (!ids) {
      ids = promptIds(this.args.tokenizer, this.args.tasks[task]!);
      this.promptCache.set(task, ids);
    }
    if (ids.length !== first.promptTokens) {
      throw new Error(`grpo: task ${task} encodes to ${ids.length} prompt tokens here but the ${this.args.engine.name} engine saw ${first.promptTokens}; the engine must use the policy's tokenizer and chat template`);
    }
    return ids;
  }

  /**
   * Mean |engine log-prob − π_old| over the trained tokens when sampling is plain temperature (then the
   * engine's log-probs are of the same distribution); NaN otherwise. A large gap means the rollouts did
   * not come from the policy being trained (stale engine weights, another tokenizer).
   */
  private logprobGap(rows: readonly Completion[], old: Float32Array, width: number): number {
    const s = this.options.sampling;
    const plain = (s.topP ?? 1) === 1 && (s.topK ?? 0) === 0 && (s.minP ?? 0) === 0 && (s.repetitionPenalty ?? 1) === 1 && (s.presencePenalty ?? 0) === 0 && (s.frequencyPenalty ?? 0) === 0;
    if (!plain || rows.length === 0) return NaN;
    let sum = 0, n = 0;
    rows.forEach((c, i) => c.logprobs.forEach((lp, t) => {
      sum += Math.abs(lp - old[i * width + t]!);
      n++;
    }));
    return sum / n;
  }
}
