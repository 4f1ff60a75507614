// The SFT loop. Steps:
//   1. prepare the data: read, render through the chat template with the loss mask, fit the length;
//   2. build AdamW and, when a checkpoint exists (or one is named), restore weights, optimizer state,
//      the data cursor and the shuffle Rng from it;
//   3. each step: take the next step of the epoch plan (planning a new epoch, shuffled and
//      length-bucketed, when one ends) → set the scheduled lr → forward/backward over its
//      micro-batches, gradients accumulated → clip → apply the update if loss and gradients are finite,
//      otherwise skip it (and abort after maxNonFiniteSteps in a row) → metrics to the log and the
//      progress line → evaluation loss every evalEvery steps → checkpoint every checkpointEvery steps;
//   4. at the end: evaluation and a checkpoint of the last step.
// All mutable loop state lives in one LoopState object; what a resume needs of it goes into TrainState.

import { join } from 'node:path';
import { AdamW, learningRate } from '../../nn/index.js';
import type { Schedule } from '../../nn/index.js';
import * as T from '../../tensor/index.js';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint } from '../run/checkpoint.js';
import type { TrainState } from '../run/checkpoint.js';
import { MetricsLog } from '../run/metrics.js';
import { Progress } from '../run/progress.js';
import type { EpochPlan, MicroBatch } from './batching.js';
import { collate, planEpoch } from './batching.js';
import type { PreparedData } from './dataset.js';
import { prepareSftData } from './dataset.js';
import { accumulateGradients, evaluateLoss, nextTokenLoss } from './loss.js';
import type { ResolvedSftOptions, SftOptions } from './options.js';
import { resolveSftOptions } from './options.js';
import type { TokenizedExample } from './render.js';

export interface SftResult {
  /** Optimizer steps done (including skipped ones), over the whole run when resumed. */
  readonly steps: number;
  /** Loss of the last step. */
  readonly loss: number;
  /** Last evaluation loss, or null without evalData. */
  readonly evalLoss: number | null;
  /** The last checkpoint written, or null without a runDir. */
  readonly checkpoint: string | null;
  /** The checkpoint this run continued from, or null. */
  readonly resumedFrom: string | null;
  /** Steps skipped for a non-finite loss or gradient. */
  readonly skippedSteps: number;
  /** Training examples used, and what was set aside while preparing them. */
  readonly examples: number;
  readonly skippedRecords: PreparedData['skipped'];
  readonly dropped: number;
  readonly truncated: number;
}

/** Thrown when too many steps in a row had a non-finite loss or gradient. */
export class SftAbortError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SftAbortError';
  }
}

interface LoopState {
  /** Optimizer steps done (skipped ones included). */
  step: number;
  epoch: number;
  /** Steps of the current epoch's plan already taken. */
  stepInEpoch: number;
  /** The shuffle generator, and its state when the current epoch was planned (what a resume replays). */
  rng: T.Rng;
  epochRngState: number[];
  plan: EpochPlan | null;
  nonFiniteRun: number;
  skippedSteps: number;
  loss: number;
  evalLoss: number | null;
  checkpoint: string | null;
}

/** What identifies a run's data order: a checkpoint of a run with other values cannot be resumed here. */
interface Fingerprint {
  readonly examples: number;
  readonly batchSize: number;
  readonly microBatchSize: number;
  readonly bucketWindow: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly totalSteps: number;
}

export async function trainSft(options: SftOptions): Promise<SftResult> {
  const o = resolveSftOptions(options);
  const { model } = o;
  const lossFn = o.loss ?? nextTokenLoss;
  const train = prepareSftData(o.data, o.tokenizer, o);
  if (train.examples.length === 0) {
    throw new RangeError(`trainSft: no training example is left (${train.skipped.length} skipped as bad, ${train.dropped} over maxLength ${o.maxLength}); check the data and maxLength`);
  }
  const evalBatches = o.evalData === undefined ? null : evaluationBatches(prepareSftData(o.evalData, o.tokenizer, o).examples, o.microBatchSize);
  const lengths = train.examples.map((e) => e.ids.length);
  const totalSteps = o.maxSteps ?? o.epochs * Math.ceil(train.examples.length / o.batchSize);
  const schedule: Schedule = { kind: o.schedule, lr: o.lr, warmupSteps: o.warmupSteps, totalSteps, minRatio: o.minLrRatio };
  const fingerprint: Fingerprint = {
    examples: train.examples.length, batchSize: o.batchSize, microBatchSize: o.microBatchSize, bucketWindow: o.bucketWindow, shuffle: o.shuffle, seed: o.seed, totalSteps,
  };

  const params = model.parameters();
  const half = params.find((p) => p.dtype !== 'float32');
  if (half) throw new RangeError(`trainSft: the model holds ${half.dtype} weights (loaded for inference); load it with float32 weights to train`);
  const optimizer = new AdamW(params, { lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay });
  const rng = new T.Rng(o.seed);
  const s: LoopState = {
    step: 0, epoch: 0, stepInEpoch: 0, rng, epochRngState: rng.state(), plan: null, nonFiniteRun: 0, skippedSteps: 0, loss: NaN, evalLoss: null, checkpoint: null,
  };
  const resumedFrom = resume(o, optimizer, fingerprint, s);
  const metrics = o.runDir ? new MetricsLog(join(o.runDir, 'metrics.jsonl'), resumedFrom ? { resumeAfterStep: s.step } : {}) : null;
  const progress = new Progress(totalSteps, { label: 'sft', enabled: o.progress });
  const planOptions = { batchSize: o.batchSize, microBatchSize: o.microBatchSize, bucketWindow: o.bucketWindow };

  try {
    while (s.step < totalSteps) {
      await new Promise((r) => setImmediate(r)); // let timers and I/O run between steps
      const micro = nextStep(s, () => planEpoch(lengths, o.shuffle ? s.rng : null, planOptions)).map((idx) => collate(idx.map((i) => train.examples[i]!)));
      const lr = learningRate(schedule, s.step);
      optimizer.lr = lr;
      const started = performance.now();
      const r = accumulateGradients(model, params, micro, lossFn, o.maxGradNorm);
      if (r.finite) {
        optimizer.step();
        if (o.routerBiasGamma > 0) model.updateRouterBias(o.routerBiasGamma);
        s.nonFiniteRun = 0;
      } else {
        s.nonFiniteRun++;
        s.skippedSteps++;
      }
      T.zeroGrad(params);
      s.step++;
      s.loss = r.loss;
      const m: Record<string, number> = {
        loss: r.loss, lr, grad_norm: r.gradNorm, tokens: r.learned, tokens_per_s: r.realTokens / ((performance.now() - started) / 1000), skipped: r.finite ? 0 : 1,
      };
      if (r.aux !== 0) m.aux_loss = r.aux;
      Object.assign(m, r.parts);
      const evalDue = evalBatches !== null && (s.step === totalSteps || (o.evalEvery > 0 && s.step % o.evalEvery === 0));
      if (evalDue) m.eval_loss = s.evalLoss = evaluateLoss(model, evalBatches, lossFn);
      metrics?.write(s.step, m);
      progress.update(s.step, { loss: m.loss!, ...(s.evalLoss !== null ? { eval: s.evalLoss } : {}), lr, 'tok/s': m.tokens_per_s! });
      o.onStep?.(s.step, m);
      if (s.nonFiniteRun >= o.maxNonFiniteSteps) {
        throw new SftAbortError(`trainSft: ${s.nonFiniteRun} steps in a row had a non-finite loss or gradient (last at step ${s.step}: loss ${r.loss}, gradient norm ${r.gradNorm}); ` +
          'lower the learning rate, check the data, or resume from an earlier checkpoint');
      }
      if (o.runDir && (s.step === totalSteps || (o.checkpointEvery > 0 && s.step % o.checkpointEvery === 0))) {
        metrics!.sync();
        s.checkpoint = saveCheckpoint(o.runDir, { model, optimizer, state: trainState(s, fingerprint), ...(o.tokenizerDir ? { tokenizerDir: o.tokenizerDir } : {}) }, { keep: o.keepCheckpoints });
      }
    }
  } finally {
    metrics?.close();
    progress.done();
  }
  return {
    steps: s.step, loss: s.loss, evalLoss: s.evalLoss, checkpoint: s.checkpoint, resumedFrom, skippedSteps: s.skippedSteps,
    examples: train.examples.length, skippedRecords: train.skipped, dropped: train.dropped, truncated: train.truncated,
  };
}

/** The next step's micro-batches (example indices), planning a new epoch when the current one is done. */
function nextStep(s: LoopState, plan: () => EpochPlan): number[][] {
  if (s.plan === null) {
    // A fresh run, or a resumed one replaying its epoch's plan from the saved Rng state.
    s.epochRngState = s.rng.state();
    s.plan = plan();
  }
  if (s.stepInEpoch >= s.plan.length) {
    s.epoch++;
    s.stepInEpoch = 0;
    s.epochRngState = s.rng.state();
    s.plan = plan();
  }
  return s.plan[s.stepInEpoch++]!;
}

function trainState(s: LoopState, fingerprint: Fingerprint): TrainState {
  return {
    step: s.step,
    data: { epoch: s.epoch, stepInEpoch: s.stepInEpoch },
    rng: { shuffle: s.epochRngState },
    extra: { fingerprint, nonFiniteRun: s.nonFiniteRun, skippedSteps: s.skippedSteps, loss: s.loss, evalLoss: s.evalLoss },
  };
}

/** Restores the loop from a checkpoint (the newest in runDir, or the named one); returns its folder or null. */
function resume(o: ResolvedSftOptions, optimizer: AdamW, fingerprint: Fingerprint, s: LoopState): string | null {
  if (o.resume === false || !o.runDir) return null;
  const dir = typeof o.resume === 'string' ? o.resume : latestCheckpoint(o.runDir);
  if (dir === null) return null;
  const saved = loadCheckpoint(dir, { model: o.model, optimizer });
  const extra = (saved.extra ?? {}) as { fingerprint?: Fingerprint; nonFiniteRun?: number; skippedSteps?: number; loss?: number | null; evalLoss?: number | null };
  const differs = Object.entries(fingerprint).filter(([k, v]) => extra.fingerprint?.[k as keyof Fingerprint] !== v);
  if (differs.length > 0) {
    throw new RangeError(`trainSft: the checkpoint ${dir} belongs to a run with other data or batching ` +
      `(${differs.map(([k, v]) => `${k} ${extra.fingerprint?.[k as keyof Fingerprint]} there, ${v} here`).join('; ')}); use a fresh runDir or resume: false`);
  }
  const data = saved.data as { epoch: number; stepInEpoch: number };
  const shuffle = saved.rng.shuffle;
  if (!shuffle) throw new RangeError(`trainSft: the checkpoint ${dir} has no shuffle Rng state; it was not written by trainSft`);
  s.step = saved.step;
  s.epoch = data.epoch;
  s.stepInEpoch = data.stepInEpoch;
  s.rng = T.Rng.fromState(shuffle);
  s.epochRngState = shuffle;
  s.plan = null;
  s.nonFiniteRun = extra.nonFiniteRun ?? 0;
  s.skippedSteps = extra.skippedSteps ?? 0;
  s.loss = extra.loss ?? NaN;
  s.evalLoss = extra.evalLoss ?? null;
  s.checkpoint = dir;
  return dir;
}

/** Evaluation micro-batches: examples sorted by length (least padding), no shuffling. */
function evaluationBatches(examples: readonly TokenizedExample[], size: number): MicroBatch[] {
  const order = examples.map((_, i) => i).sort((a, b) => examples[a]!.ids.length - examples[b]!.ids.length || a - b);
  const batches: MicroBatch[] = [];
  for (let i = 0; i < order.length; i += size) batches.push(collate(order.slice(i, i + size).map((j) => examples[j]!)));
  return batches;
}
