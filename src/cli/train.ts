// `r1ts train sft | distill | grpo --config run.yaml [--key value …]`: loads the run config (flags override the
// file by dotted key, e.g. --sft.lr 3e-4), opens the models, runs the trainer with a progress line, and
// says where the trained model is and how to talk to it. A run folder that holds checkpoints resumes.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { LocalEngine } from '../engine/index.js';
import { openModel } from '../model/index.js';
import type { CausalLM } from '../model/index.js';
import { Tokenizer } from '../tokenizer/index.js';
import { combineRewards, namedReward } from '../rewards/index.js';
import { distill } from '../train/distill/index.js';
import { GrpoTrainer } from '../train/grpo/index.js';
import type { Problem } from '../train/distill/index.js';
import { latestCheckpoint, loadRunConfig } from '../train/run/index.js';
import { trainSft } from '../train/sft/index.js';
import type { SftOptions, SftResult } from '../train/sft/index.js';
import { UsageError } from './errors.js';
import type { DistillConfig, GrpoConfig, SftConfig } from './train-config.js';
import { distillConfig, grpoConfig, modelSource, sftConfig } from './train-config.js';

export const TRAIN_USAGE = [
  'r1ts train sft --config run.yaml [--key value …]',
  'r1ts train distill --config run.yaml [--key value …]',
  'r1ts train grpo --config run.yaml [--key value …]',
  '',
  '  --config FILE     the run config (YAML or JSON); keys below',
  '  --KEY VALUE       override a config value by its dotted key, e.g. --sft.lr 3e-4 --runDir runs/b',
  '',
  'sft:      model (folder or preset), tokenizer (for presets), data (JSONL of {"messages"} or',
  '          {"prompt", "completion"}), evalData, runDir, resume, sft: {epochs, maxSteps, batchSize,',
  '          microBatchSize, lr, schedule, warmupSteps, maxGradNorm, evalEvery, checkpointEvery, maxLength, …}',
  'distill:  teacher: {model, tokenizer}, student: {model, tokenizer, seed}, problems (JSONL with problem',
  '          and answer; problemField / answerField rename them), runDir, traces: {samplesPerProblem,',
  '          keepPerProblem, maxTokens, temperature, topP, language, minLanguageShare, …}, kd: {temperature,',
  '          weight} (logit distillation from a local teacher with the student\'s vocabulary), sft: {…}',
  'grpo:     model, problems (+ problemField / answerField), runDir, rewards: [{name, weight, options}]',
  '          (accuracy, format, strict-format, tag-count, reasoning-steps, cosine, overlong, repetition,',
  '          language; default accuracy 1 + format 0.5), grpo: {steps, promptsPerStep, groupSize, maxTokens,',
  '          sampling: {temperature, topP}, iterations, miniBatches, loss: {epsilonLow, epsilonHigh, beta,',
  '          aggregation}, advantages: {scale}, dynamicSampling, maskTruncated, optimizer: {lr}, …}',
  '',
  'Progress goes to stderr; metrics to RUN_DIR/metrics.jsonl; checkpoints (Hugging Face folders) to',
  'RUN_DIR/checkpoints/. Running again with the same runDir resumes from the newest checkpoint.',
].join('\n');

/** --config FILE and every other `--key value` / `--key=value` pair (the overrides). */
export function parseTrainArgs(args: readonly string[]): { config: string | null; overrides: Record<string, string> } {
  let config: string | null = null;
  const overrides: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(a)}: options are --config FILE and --key value overrides`);
    const eq = a.indexOf('=');
    const key = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const value = eq >= 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) throw new UsageError(`${a} needs a value`);
    if (key === 'config') config = value;
    else overrides[key] = value;
  }
  return { config, overrides };
}

interface Opened {
  readonly model: CausalLM;
  readonly tokenizer: Tokenizer;
  /** Folder whose tokenizer files go into checkpoints. */
  readonly tokenizerDir: string;
}

/** Opens a model and its tokenizer, from the model folder unless `tokenizer` names another one. */
function open(source: z.infer<typeof modelSource>, role: string): Opened {
  const tokenizerDir = source.tokenizer ?? source.model;
  if (!existsSync(join(tokenizerDir, 'tokenizer.json'))) {
    throw new UsageError(`${role}: no tokenizer.json in ${tokenizerDir}; ${source.tokenizer ? 'check the tokenizer folder' : 'a preset needs `tokenizer:` naming a folder with tokenizer.json'}`);
  }
  const tokenizer = Tokenizer.fromFiles(tokenizerDir);
  const { model } = openModel(source.model, source.seed ?? 0);
  return { model, tokenizer, tokenizerDir };
}

function report(kind: string, result: SftResult, runDir: string): void {
  const lines = [
    `${kind}: ${result.steps} steps on ${result.examples} examples; final loss ${result.loss?.toFixed(4) ?? '—'}${result.evalLoss !== null && result.evalLoss !== undefined ? `, eval loss ${result.evalLoss.toFixed(4)}` : ''}`,
    `metrics: ${join(runDir, 'metrics.jsonl')}`,
  ];
  if (result.checkpoint) lines.push(`model: ${result.checkpoint}`, `try it: r1ts chat ${result.checkpoint}`);
  console.log(lines.join('\n'));
}

function sftOptions(c: SftConfig['sft'], opened: Opened, runDir: string, resume: boolean | undefined): Omit<SftOptions, 'data'> {
  return { ...(c ?? {}), model: opened.model, tokenizer: opened.tokenizer, tokenizerDir: opened.tokenizerDir, runDir, ...(resume !== undefined ? { resume } : {}) };
}

export async function trainSftCommand(config: SftConfig): Promise<number> {
  const student = open(config, 'model');
  const result = await trainSft({ ...sftOptions(config.sft, student, config.runDir, config.resume), data: config.data, ...(config.evalData ? { evalData: config.evalData } : {}) });
  report('sft', result, config.runDir);
  return 0;
}

/** Problems from JSONL, with the configured field names; a bad line is named. */
function readProblems(file: string, problemField: string, answerField: string): Problem[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the problems file ${file}: ${(e as Error).message}`);
  }
  return text.split('\n').flatMap((line, i) => {
    if (line.trim() === '') return [];
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new UsageError(`${file}:${i + 1}: not a JSON object`);
    }
    const problem = row[problemField], answer = row[answerField];
    if (typeof problem !== 'string' || (typeof answer !== 'string' && typeof answer !== 'number')) {
      throw new UsageError(`${file}:${i + 1}: needs a text "${problemField}" and a "${answerField}" (rename them with problemField / answerField)`);
    }
    return [{ problem, answer: String(answer), id: typeof row.id === 'string' || typeof row.id === 'number' ? String(row.id) : `${i + 1}` }];
  });
}

export async function trainDistillCommand(config: DistillConfig): Promise<number> {
  const teacher = open(config.teacher, 'teacher');
  const student = open(config.student, 'student');
  const problems = readProblems(config.problems, config.problemField ?? 'problem', config.answerField ?? 'answer');
  const t = config.traces ?? {};
  const result = await distill({
    teacher: new LocalEngine(teacher.model, teacher.tokenizer),
    problems,
    traces: {
      ...(t.samplesPerProblem ? { samplesPerProblem: t.samplesPerProblem } : {}),
      ...(t.keepPerProblem ? { keepPerProblem: t.keepPerProblem } : {}),
      ...(t.maxTokens ? { maxTokens: t.maxTokens } : {}),
      ...(t.chunk ? { chunk: t.chunk } : {}),
      sampling: { temperature: t.temperature ?? 0.6, topP: t.topP ?? 0.95, ...(t.seed !== undefined ? { seed: t.seed } : {}) },
      filters: {
        ...(t.language !== undefined ? { language: t.language } : {}),
        ...(t.minLanguageShare !== undefined ? { minLanguageShare: t.minLanguageShare } : {}),
        ...(t.minTokens ? { minTokens: t.minTokens } : {}),
        ...(t.maxTraceTokens ? { maxTokens: t.maxTraceTokens } : {}),
      },
      onProgress: (done, total, kept) => process.stderr.write(`\rtraces: ${done}/${total} problems, ${kept} kept`),
    },
    ...(config.kd ? { kd: { ...config.kd, teacherModel: teacher.model } } : {}),
    sft: sftOptions(config.sft, student, config.runDir, config.resume),
  });
  if (result.traces) {
    const r = result.traces;
    const rejected = Object.entries(r.rejected).filter(([, n]) => n > 0).map(([why, n]) => `${why} ${n}`).join(', ') || 'none';
    console.log(`\ntraces: ${r.kept} kept of ${r.samples} samples, ${r.problemsCovered}/${problems.length} problems covered; rejected: ${rejected}`);
  } else console.log(`traces: ${result.examples} read back from ${join(config.runDir, 'traces.jsonl')}`);
  report('distill', result.sft, config.runDir);
  return 0;
}

const DEFAULT_REWARDS: NonNullable<GrpoConfig['rewards']> = [{ name: 'accuracy', weight: 1 }, { name: 'format', weight: 0.5 }];

export async function trainGrpoCommand(config: GrpoConfig): Promise<number> {
  const policy = open(config, 'model');
  const problems = readProblems(config.problems, config.problemField ?? 'problem', config.answerField ?? 'answer');
  const parts = (config.rewards ?? DEFAULT_REWARDS).map((r) => ({ name: r.name, weight: r.weight, fn: namedReward(r.name, r.options ?? {}) }));
  const trainer = new GrpoTrainer({
    policy: policy.model, tokenizer: policy.tokenizer, engine: new LocalEngine(policy.model, policy.tokenizer),
    tasks: problems.map((p) => ({ messages: [{ role: 'user', content: p.problem }], sample: { answer: p.answer, ...(p.id ? { id: p.id } : {}) } })),
    reward: combineRewards(parts), options: config.grpo ?? {}, runDir: config.runDir, tokenizerDir: policy.tokenizerDir,
  });
  try {
    const last = (await trainer.train()).at(-1);
    const lines = [`grpo: ${trainer.state.step} steps, ${trainer.state.updates} optimizer updates; last reward mean ${last?.['reward/mean']?.toFixed(3) ?? '—'}`, `metrics: ${join(config.runDir, 'metrics.jsonl')}`];
    const checkpoint = latestCheckpoint(config.runDir);
    if (checkpoint) lines.push(`model: ${checkpoint}`, `try it: r1ts chat ${checkpoint}`);
    console.log(lines.join('\n'));
  } finally {
    trainer.dispose();
  }
  return 0;
}

export async function trainCommand(args: readonly string[]): Promise<number> {
  const [kind, ...rest] = args;
  const { config, overrides } = parseTrainArgs(rest);
  if (config === null && Object.keys(overrides).length === 0) throw new UsageError(`train ${kind ?? ''} needs --config FILE (or every setting as --key value)\n\nUsage: ${TRAIN_USAGE}`);
  if (kind === 'sft') return trainSftCommand(loadRunConfig(sftConfig, config, overrides));
  if (kind === 'distill') return trainDistillCommand(loadRunConfig(distillConfig, config, overrides));
  if (kind === 'grpo') return trainGrpoCommand(loadRunConfig(grpoConfig, config, overrides));
  throw new UsageError(`train takes sft, distill or grpo, got ${JSON.stringify(kind ?? '')}\n\nUsage: ${TRAIN_USAGE}`);
}
