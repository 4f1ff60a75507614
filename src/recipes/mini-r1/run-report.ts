// The run's report: the stage table (terminal and report.html), the training curves read back from each
// stage's metrics.jsonl, and transcripts of the same held-out problems before and after RL.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plot, ReportInput, Series, StageRow, Transcript } from '../report.js';
import type { StageEval } from './evaluate-stage.js';

/** One evaluated stage of the run, in table order. */
export interface StageSummary {
  readonly stage: string;
  readonly model: string;
  readonly parameters: number;
  /** Wall seconds of the stage's training (and trace collection), over every call that worked on it. */
  readonly seconds: number;
  readonly eval: StageEval;
}

/** Columns of the stage table, in order. */
export function stageRow(s: StageSummary): StageRow {
  const values: Record<string, number | string> = {
    model: s.model, 'params (M)': Number((s.parameters / 1e6).toFixed(2)),
    'pass@1': s.eval.mean.pass1, [`cons@k`]: s.eval.mean.consK,
  };
  for (const [family, f] of Object.entries(s.eval.families)) values[`${family} pass@1`] = f!.pass1;
  Object.assign(values, { format: s.eval.mean.formatOk, 'mean tokens': Number(s.eval.mean.meanTokens.toFixed(1)), 'train s': Math.round(s.seconds) });
  return { stage: s.stage, values };
}

/** The stage table as aligned text for the terminal. */
export function formatStageTable(stages: readonly StageSummary[]): string {
  const rows = stages.map(stageRow);
  const columns = ['stage', ...new Set(rows.flatMap((r) => Object.keys(r.values)))];
  const cell = (r: StageRow, c: string): string => {
    const v = c === 'stage' ? r.stage : r.values[c];
    return v === undefined ? '—' : typeof v === 'number' && !Number.isInteger(v) && c !== 'params (M)' && c !== 'mean tokens' ? v.toFixed(3) : String(v);
  };
  const table = [columns, ...rows.map((r) => columns.map((c) => cell(r, c)))];
  const widths = columns.map((_, i) => Math.max(...table.map((line) => line[i]!.length)));
  return table.map((line) => line.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ')).join('\n');
}

type Row = Readonly<Record<string, number>>;

function readMetrics(file: string): Row[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Row);
}

function series(name: string, rows: readonly Row[], key: string): Series {
  return { name, points: rows.flatMap((r) => (Number.isFinite(r[key]) && Number.isFinite(r.step) ? [{ x: r.step!, y: r[key]! }] : [])) };
}

/** Training curves: GRPO runs (folder → legend) and SFT runs (folder → legend). */
export function runPlots(runDir: string, grpoRuns: Readonly<Record<string, string>>, sftRuns: Readonly<Record<string, string>>): Plot[] {
  const grpo = Object.entries(grpoRuns).map(([dir, name]) => ({ name, rows: readMetrics(join(runDir, dir, 'metrics.jsonl')) }));
  const sft = Object.entries(sftRuns).map(([dir, name]) => ({ name, rows: readMetrics(join(runDir, dir, 'metrics.jsonl')) }));
  const plot = (title: string, yLabel: string, key: string): Plot => ({ title, xLabel: 'GRPO step', yLabel, series: grpo.map((g) => series(g.name, g.rows, key)) });
  return [
    plot('Reward (accuracy + 0.2 × format)', 'mean reward', 'reward/mean'),
    plot('Accuracy on the rollouts', 'share correct', 'reward/accuracy/mean'),
    plot('Completion length', 'tokens', 'completion/length_mean'),
    plot('KL to the starting policy', 'KL', 'kl'),
    { title: 'SFT loss', xLabel: 'SFT step', yLabel: 'loss per token', series: sft.map((s) => series(s.name, s.rows, 'loss')) },
  ];
}

/** Transcripts of each listed stage, problem by problem (the same prompts in every stage). */
export function stageTranscripts(stages: readonly StageSummary[]): Transcript[] {
  const count = Math.max(0, ...stages.map((s) => s.eval.transcripts.length));
  const out: Transcript[] = [];
  for (let i = 0; i < count; i++) {
    for (const s of stages) {
      const t = s.eval.transcripts[i];
      if (t) out.push({ label: `${s.stage} · ${t.family} · ${t.correct ? 'right' : 'wrong'}`, prompt: t.prompt, completion: t.completion });
    }
  }
  return out;
}

export function reportInput(title: string, subtitle: string, stages: readonly StageSummary[], plots: readonly Plot[], transcriptStages: readonly StageSummary[]): ReportInput {
  return { title, subtitle, stages: stages.map(stageRow), barColumn: 'pass@1', plots, transcripts: stageTranscripts(transcriptStages) };
}
