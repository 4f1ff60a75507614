// Stage evaluation under the R1 protocol, family by family: pass@1 over k samples at T = 0.6, top-p
// 0.95, cons@k (majority vote), mean completion length, the share cut off and format compliance.
// The figures are written to runDir/eval/<stage>.json; a run that has the file reads it back.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../../engine/index.js';
import { evaluate } from '../../eval/index.js';
import type { FamilyName, Task } from '../../tasks/index.js';
import { taskReward } from '../../tasks/index.js';
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

export interface StageEval {
  readonly stage: string;
  readonly families: Readonly<Partial<Record<FamilyName, FamilyScores>>>;
  /** Unweighted means over the families. */
  readonly mean: Readonly<Omit<FamilyScores, 'problems' | 'k' | 'seconds'>>;
}

export interface EvalSettings {
  readonly k: number;
  readonly maxTokens: number;
  readonly temperature: number;
  readonly topP: number;
  readonly seed: number;
}

export async function evaluateStage(engine: Engine, stage: string, heldout: Readonly<Partial<Record<FamilyName, readonly Task[]>>>, runDir: string, s: EvalSettings): Promise<StageEval> {
  const file = join(runDir, 'eval', `${stage}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as StageEval;
  const families: Partial<Record<FamilyName, FamilyScores>> = {};
  // The template opens <think> itself, so completions start inside the reasoning.
  const correct = taskReward({ reasoningOpened: true });
  for (const [family, tasks] of Object.entries(heldout) as [FamilyName, readonly Task[]][]) {
    const started = performance.now();
    const r = await evaluate(engine, evalItems(tasks), { k: s.k, maxTokens: s.maxTokens, sampling: { temperature: s.temperature, topP: s.topP, seed: s.seed }, correct });
    families[family] = {
      problems: r.problems, k: r.k, pass1: r.pass1, consK: r.consK, meanTokens: r.meanTokens, truncated: r.truncated, formatOk: r.formatOk,
      seconds: (performance.now() - started) / 1000,
    };
  }
  const all = Object.values(families);
  const mean = (f: (x: FamilyScores) => number) => all.reduce((a, x) => a + f(x), 0) / all.length;
  const result: StageEval = {
    stage, families,
    mean: { pass1: mean((x) => x.pass1), consK: mean((x) => x.consK), meanTokens: mean((x) => x.meanTokens), truncated: mean((x) => x.truncated), formatOk: mean((x) => x.formatOk) },
  };
  mkdirSync(join(runDir, 'eval'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
