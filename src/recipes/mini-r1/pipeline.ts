// The mini-R1 recipe end to end, resumable. Stages (each folder under runDir):
//   1. problems (seeded) and a byte-level BPE trained on them → tokenizer/
//   2. cold-start SFT of the main DeepSeek-V3 MoE model on the teacher's solutions, some of them
//      answer-only → cold-start/
//   3. GRPO of that model with accuracy + format rewards on held-in problems → grpo/
//   4. distillation: the GRPO model's verified traces, with the teacher's worked solutions, teach a
//      fresh dense student → student-distill/
//   5. direct RL of the same student for comparison: its own cold start → student-cold-start/, then
//      GRPO → student-grpo/
// Every model is evaluated on the held-out split (eval/<stage>.json); then summary.json, report.html
// and the stage table. A stage that finished in an earlier call is read back, one that was interrupted
// continues from its newest checkpoint, so Ctrl-C leaves a run that the same command resumes.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { LocalEngine } from '../../engine/index.js';
import type { CausalLM } from '../../model/index.js';
import { latestCheckpoint } from '../../train/run/index.js';
import { renderReport } from '../report.js';
import type { ProblemSets } from './data.js';
import { answerOnlyCount, coldStartExamples, problemSets, tokenizerCorpus } from './data.js';
import { distillStage } from './distill-stage.js';
import type { StageEval } from './evaluate-stage.js';
import { evaluateStage } from './evaluate-stage.js';
import { grpoStage } from './grpo-stage.js';
import type { MiniR1Options, ResolvedMiniR1Options } from './options.js';
import { resolveMiniR1Options } from './options.js';
import type { StageSummary } from './run-report.js';
import { formatStageTable, reportInput, runPlots } from './run-report.js';
import { sftStage } from './sft-stage.js';
import { tokenizerStage } from './tokenizer-stage.js';

export interface MiniR1Result {
  readonly options: ResolvedMiniR1Options;
  readonly problems: ProblemSets;
  /** Evaluated stages in table order. */
  readonly stages: readonly StageSummary[];
  /** Final checkpoint folder of each stage's model. */
  readonly checkpoints: Readonly<Record<string, string>>;
  readonly report: string;
  /** The stage table as printed. */
  readonly table: string;
}

/** Training seconds per stage, summed over the calls that worked on the run (timings.json). */
class Timings {
  private readonly file: string;
  private readonly seconds: Record<string, number>;
  constructor(runDir: string) {
    this.file = join(runDir, 'timings.json');
    this.seconds = existsSync(this.file) ? (JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, number>) : {};
  }
  async time<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const result = await work();
    this.seconds[stage] = (this.seconds[stage] ?? 0) + (performance.now() - started) / 1000;
    writeFileSync(this.file, `${JSON.stringify(this.seconds, null, 2)}\n`);
    return result;
  }
  of(stage: string): number {
    return this.seconds[stage] ?? 0;
  }
  total(): number {
    return Object.values(this.seconds).reduce((a, b) => a + b, 0);
  }
  toJSON(): Readonly<Record<string, number>> {
    return this.seconds;
  }
}

/** The newest checkpoint of a stage that has just finished (its last step's). */
function finalCheckpoint(dir: string): string {
  const last = latestCheckpoint(dir);
  if (last === null) throw new Error(`miniR1: ${dir} has no checkpoint after its stage finished; this is a bug`);
  return last;
}

function announce(o: ResolvedMiniR1Options, text: string): void {
  if (o.progress) process.stderr.write(`\n== ${text}\n`);
}

/** Runs (or resumes) the whole recipe in options.runDir; see the file comment for the stages. */
export async function runMiniR1(options: MiniR1Options): Promise<MiniR1Result> {
  const o = resolveMiniR1Options(options);
  mkdirSync(o.runDir, { recursive: true });
  const timings = new Timings(o.runDir);
  const problems = problemSets(o.families, o.sftDifficulties, o.grpoDifficulties, o, o.seed);
  const tok = await timings.time('tokenizer', async () => tokenizerStage(o.runDir, () => tokenizerCorpus([...problems.sft, ...problems.grpo]), o.vocabSize));
  const evalSettings = { k: o.evalK, maxTokens: o.maxTokens, temperature: o.temperature, topP: o.topP, seed: o.seed, progress: o.progress };
  const sftSettings = { seed: o.seed, batchSize: o.batchSize, warmupSteps: o.warmupSteps, progress: o.progress };
  const grpoSettings = {
    promptsPerStep: o.grpoPromptsPerStep, groupSize: o.grpoGroupSize, temperature: o.grpoTemperature, topP: o.grpoTopP, maxTokens: o.maxTokens, seed: o.seed, progress: o.progress,
  };
  const stages: StageSummary[] = [];
  const checkpoints: Record<string, string> = {};
  const evaluated = async (stage: string, model: CausalLM, preset: string, parameters: number, seconds: number): Promise<StageEval> => {
    const result = await evaluateStage(new LocalEngine(model, tok.tokenizer, { maxBatch: 128 }), stage, problems.heldout, o.runDir, evalSettings);
    stages.push({ stage, model: preset, parameters, seconds, eval: result });
    return result;
  };
  const solutions = coldStartExamples(problems.sft, o.answerOnlyShare);
  const answerOnly = answerOnlyCount(solutions.length, o.answerOnlyShare);

  announce(o, `cold start: SFT of ${o.preset} on ${solutions.length - answerOnly} worked and ${answerOnly} answer-only solutions (${o.sftSteps} steps)`);
  const cold = await timings.time('cold-start', () => sftStage(join(o.runDir, 'cold-start'), tok.tokenizer, tok.dir, solutions, { ...sftSettings, preset: o.preset, steps: o.sftSteps, lr: o.lr }));
  const main = cold.model;
  try {
    checkpoints['cold-start'] = cold.checkpoint;
    await evaluated('cold-start', main, o.preset, cold.parameters, timings.of('cold-start'));

    announce(o, `GRPO of ${o.preset}: ${o.grpoSteps} steps × ${o.grpoPromptsPerStep} prompts × ${o.grpoGroupSize} samples on ${problems.grpo.length} held-in problems`);
    const grpoDir = join(o.runDir, 'grpo');
    const teacher = await timings.time('grpo', () => grpoStage(grpoDir, main, tok.tokenizer, tok.dir, problems.grpo, { ...grpoSettings, steps: o.grpoSteps, lr: o.grpoLr }));
    checkpoints.grpo = finalCheckpoint(grpoDir);
    await evaluated('grpo', main, o.preset, cold.parameters, timings.of('cold-start') + timings.of('grpo'));

    announce(o, `distillation: ${o.preset} after GRPO writes traces for ${problems.distill.length} prompts; ${o.studentPreset} learns from the verified ones (${o.distillSteps} steps)`);
    const distilled = await timings.time('student-distill', () => distillStage(join(o.runDir, 'student-distill'), teacher, problems.distill, coldStartExamples(problems.sft), tok.tokenizer, tok.dir, {
      ...sftSettings, preset: o.studentPreset, steps: o.distillSteps, lr: o.studentLr, samples: o.distillSamples, maxTokens: o.maxTokens, temperature: o.temperature, topP: o.topP,
    }));
    try {
      checkpoints['student-distill'] = distilled.checkpoint;
      await evaluated('student-distill', distilled.model, o.studentPreset, distilled.parameters, timings.of('student-distill'));
    } finally {
      distilled.model.dispose();
    }
  } finally {
    main.dispose();
  }

  announce(o, `direct RL of the student: cold start of ${o.studentPreset} on the main model's cold-start solutions (${o.studentSftSteps} steps), then GRPO (${o.studentGrpoSteps} steps)`);
  const student = await timings.time('student-cold-start', () => sftStage(join(o.runDir, 'student-cold-start'), tok.tokenizer, tok.dir, solutions, { ...sftSettings, preset: o.studentPreset, steps: o.studentSftSteps, lr: o.studentLr }));
  try {
    checkpoints['student-cold-start'] = student.checkpoint;
    await evaluated('student-cold-start', student.model, o.studentPreset, student.parameters, timings.of('student-cold-start'));
    const studentGrpoDir = join(o.runDir, 'student-grpo');
    await timings.time('student-grpo', () => grpoStage(studentGrpoDir, student.model, tok.tokenizer, tok.dir, problems.grpo, { ...grpoSettings, steps: o.studentGrpoSteps, lr: o.grpoLr }));
    checkpoints['student-grpo'] = finalCheckpoint(studentGrpoDir);
    await evaluated('student-grpo', student.model, o.studentPreset, student.parameters, timings.of('student-cold-start') + timings.of('student-grpo'));
  } finally {
    student.model.dispose();
  }

  const table = formatStageTable(stages);
  const plots = runPlots(o.runDir, { grpo: `GRPO of ${o.preset}`, 'student-grpo': `GRPO of ${o.studentPreset}` }, {
    'cold-start': `${o.preset} cold start`, 'student-distill': `${o.studentPreset} distilled`, 'student-cold-start': `${o.studentPreset} cold start`,
  });
  const subtitle = `seed ${o.seed} · ${o.families.join(', ')} · ${cpus().length} CPU cores · ${(timings.total() / 60).toFixed(1)} min of training${o.quick ? ' · quick setting' : ''}`;
  const report = join(o.runDir, 'report.html');
  writeFileSync(report, renderReport(reportInput('mini-R1: the DeepSeek-R1 recipe in miniature', subtitle, stages, plots, stages.filter((s) => s.stage === 'cold-start' || s.stage === 'grpo'))));
  writeFileSync(join(o.runDir, 'summary.json'), `${JSON.stringify({ options: o, checkpoints, timings, stages }, null, 2)}\n`);
  return { options: o, problems, stages, checkpoints, report, table };
}
