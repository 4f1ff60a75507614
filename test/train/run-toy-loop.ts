// A toy training run for the resume and crash tests, run as a child process so it can be SIGKILLed:
//   node --import tsx test/train/run-toy-loop.ts '<options JSON>'
// Steps: resume from the latest checkpoint (or start) → per step: next batch in a shuffled order
// (reshuffled each epoch from the 'data' Rng) → a random crop offset from the 'noise' Rng → loss,
// backward, clip, AdamW step at the scheduled lr, router-bias update → metrics line → a checkpoint
// every `checkpointEvery` steps and at the end. All state lives in one ToyState object.
// The child prints "step N" after each step (the parent times random kills from the first one) and
// "save N" / "saved N" around each checkpoint.

import { join } from 'node:path';
import { CausalLM, getPreset } from '../../src/model/index.js';
import type { PresetName } from '../../src/model/index.js';
import { AdamW, clipGradNorm, learningRate } from '../../src/nn/index.js';
import * as T from '../../src/tensor/index.js';
import type { SavePhase } from '../../src/train/run/index.js';
import { latestCheckpoint, loadCheckpoint, MetricsLog, saveCheckpoint } from '../../src/train/run/index.js';

export interface ToyOptions {
  readonly runDir: string;
  readonly totalSteps: number;
  readonly checkpointEvery: number;
  readonly keep?: number;
  readonly preset?: PresetName;
  /** SIGKILL this process right after the metrics of this step are written. */
  readonly killAfterStep?: number;
  /** SIGKILL this process inside the checkpoint of `step`, right after `phase`. */
  readonly killInSave?: { readonly step: number; readonly phase: SavePhase };
}

const SEQUENCES = 6;
const SEQ_LEN = 17;
const WINDOW = 12;
const BATCH = 2;

interface ToyState {
  step: number;
  epoch: number;
  order: number[];
  next: number;
  dataRng: T.Rng;
  noiseRng: T.Rng;
}

function shuffled(n: number, rng: T.Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export function runToy(opts: ToyOptions): void {
  const cfg = getPreset(opts.preset ?? 'tiny-moe');
  const dataset = (() => {
    const r = new T.Rng(5);
    return Array.from({ length: SEQUENCES }, () => Int32Array.from({ length: SEQ_LEN }, () => r.int(cfg.vocab_size)));
  })();
  const model = new CausalLM(cfg, { seed: 1 });
  const params = model.parameters();
  const optimizer = new AdamW(params, { lr: 3e-3, weightDecay: 0.1 });
  const schedule = { kind: 'cosine', lr: 3e-3, warmupSteps: 2, totalSteps: opts.totalSteps } as const;
  const s: ToyState = { step: 0, epoch: 0, order: [], next: SEQUENCES, dataRng: new T.Rng(11), noiseRng: new T.Rng(12) };

  const latest = latestCheckpoint(opts.runDir);
  if (latest) {
    const saved = loadCheckpoint(latest, { model, optimizer });
    const data = saved.data as { epoch: number; order: number[]; next: number };
    Object.assign(s, { step: saved.step, ...data, dataRng: T.Rng.fromState(saved.rng.data!), noiseRng: T.Rng.fromState(saved.rng.noise!) });
  }
  const metrics = new MetricsLog(join(opts.runDir, 'metrics.jsonl'), latest ? { resumeAfterStep: s.step } : {});

  while (s.step < opts.totalSteps) {
    if (s.next >= SEQUENCES) {
      s.epoch++;
      s.order = shuffled(SEQUENCES, s.dataRng);
      s.next = 0;
    }
    const rows = s.order.slice(s.next, s.next + BATCH);
    s.next += BATCH;
    const offset = s.noiseRng.int(SEQ_LEN - WINDOW);
    const ids = new Int32Array(BATCH * WINDOW);
    const targets = new Int32Array(BATCH * WINDOW);
    rows.forEach((r, b) => {
      const seq = dataset[r]!;
      for (let t = 0; t < WINDOW; t++) {
        ids[b * WINDOW + t] = seq[offset + t]!;
        targets[b * WINDOW + t] = offset + t + 1 < SEQ_LEN ? seq[offset + t + 1]! : -1;
      }
    });
    optimizer.lr = learningRate(schedule, s.step);
    const loss = T.tidy(() => {
      const out = model.loss(ids, targets, { batch: BATCH });
      T.backward(out.loss);
      return out.loss.item();
    });
    const gradNorm = clipGradNorm(params, 1);
    optimizer.step();
    T.zeroGrad(params);
    model.updateRouterBias(1e-3);
    s.step++;
    metrics.write(s.step, { loss, gradNorm, lr: optimizer.lr, epoch: s.epoch, offset });
    process.stdout.write(`step ${s.step}\n`);
    if (opts.killAfterStep === s.step) process.kill(process.pid, 'SIGKILL');

    if (s.step % opts.checkpointEvery === 0 || s.step === opts.totalSteps) {
      const kill = opts.killInSave?.step === s.step ? opts.killInSave.phase : null;
      process.stdout.write(`save ${s.step}\n`);
      saveCheckpoint(
        opts.runDir,
        { model, optimizer, state: { step: s.step, data: { epoch: s.epoch, order: s.order, next: s.next }, rng: { data: s.dataRng.state(), noise: s.noiseRng.state() } } },
        { keep: opts.keep ?? 2, onPhase: (phase) => phase === kill && process.kill(process.pid, 'SIGKILL') },
      );
      process.stdout.write(`saved ${s.step}\n`);
    }
  }
  metrics.close();
  model.dispose();
}

if (process.argv[1]?.endsWith('run-toy-loop.ts')) runToy(JSON.parse(process.argv[2]!) as ToyOptions);
