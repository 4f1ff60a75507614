// Stage evaluation under the R1 protocol, family by family: pass@1 over k samples at T = 0.6, top-p
// 0.95, cons@k (majority vote), mean completion length, the share cut off and format compliance, plus
// a few sample transcripts for the report. The figures are written to runDir/eval/<stage>.json; a run
// that has the file reads it back.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../../engine/index.js';
import { completionText } from '../../engine/index.js';
import { evaluate } from '../../eval/index.js';
import type { FamilyName, Task } from '../../tasks/index.js';
import { taskReward } from '../../tasks/index.js';
import { Progress } from '../../train/run/index.js';
import { evalItems } from './data.js';

/** One family's figures (the per-problem records stay out: the report needs only these). */
export interface FamilyScores {
  readonly problems: number;
  readonly k: number;
  readonly pass1: number;
  readonly consK: number;
  readonly meanTokens: number;
  readonly truncated: number;
  readonly formatOk: number;
  readonly seconds: number;
}

/** One sampled answer to a held-out problem, as the report shows it. */
export interface StageTranscript {
  readonly family: FamilyName;
  readonly prompt: string;
  readonly completion: string;
  readonly correct: boolean;
}

export interface StageEval {
  readonly stage: string;
  readonly families: Readonly<Partial<Record<FamilyName, FamilyScores>>>;
  /** Unweighted means over the families. */
  readonly mean: Readonly<Omit<FamilyScores, 'problems' | 'k' | 'seconds'>>;
  readonly transcripts: readonly StageTranscript[];
}

/** Held-out problems per family shown as transcripts. */
const TRANSCRIPTS_PER_FAMILY = 2;

export interface EvalSettings {
  readonly k: number;
  readonly maxTokens: number;
  readonly temperature: number;
  readonly topP: number;
  readonly seed: number;
  readonly progress: boolean;
}

export async function evaluateStage(engine: Engine, stage: string, heldout: Readonly<Partial<Record<FamilyName, readonly Task[]>>>, runDir: string, s: EvalSettings): Promise<StageEval> {
  const file = join(runDir, 'eval', `${stage}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as StageEval;
  const families: Partial<Record<FamilyName, FamilyScores>> = {};
  // The template opens <think> itself, so completions start inside the reasoning.
  const correct = taskReward({ reasoningOpened: true });
  const sampling = { temperature: s.temperature, topP: s.topP, seed: s.seed };
  const entries = Object.entries(heldout) as [FamilyName, readonly Task[]][];
  const total = entries.reduce((a, [, tasks]) => a + tasks.length, 0);
  const progress = new Progress(total, { label: `eval ${stage}`, enabled: s.progress });
  let done = 0;
  for (const [family, tasks] of entries) {
    const started = performance.now();
    const r = await evaluate(engine, evalItems(tasks), {
      k: s.k, maxTokens: s.maxTokens, sampling, correct, chunk: 32, onProgress: (n) => progress.update(done + n, {}),
    });
    done += tasks.length;
    families[family] = {
      problems: r.problems, k: r.k, pass1: r.pass1, consK: r.consK, meanTokens: r.meanTokens, truncated: r.truncated, formatOk: r.formatOk,
      seconds: (performance.now() - started) / 1000,
    };
  }
  progress.done();
  const transcripts: StageTranscript[] = [];
  for (const [family, tasks] of entries) {
    const shown = tasks.slice(0, TRANSCRIPTS_PER_FAMILY);
    const completions = await engine.generate(evalItems(shown).map((it) => ({ ...it.request, maxTokens: s.maxTokens, sampling })));
    for (const c of completions) {
      const completion = completionText(c);
      transcripts.push({ family, prompt: shown[c.request]!.problem, completion, correct: correct(completion, shown[c.request]!).reward === 1 });
    }
  }
  const all = Object.values(families);
  const mean = (f: (x: FamilyScores) => number) => all.reduce((a, x) => a + f(x), 0) / all.length;
  const result: StageEval = {
    stage, families,
    mean: { pass1: mean((x) => x.pass1), consK: mean((x) => x.consK), meanTokens: mean((x) => x.meanTokens), truncated: mean((x) => x.truncated), formatOk: mean((x) => x.formatOk) },
    transcripts,
  };
  mkdirSync(join(runDir, 'eval'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
