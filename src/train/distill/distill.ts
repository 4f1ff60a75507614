// Distillation as R1 did it (grpo-and-rewards.md §2.5): a teacher Engine writes reasoning traces for a
// problem set, rejection sampling keeps the verified readable ones, and a student is fine-tuned on
// them; optionally with logit-level KD when the teacher is a local model with the student's vocabulary.
// Steps: traces (or the ones a previous run already wrote to runDir/traces.jsonl) → SFT of the student
// on them (resumable through its own checkpoints) → both reports.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../../engine/index.js';
import type { CausalLM } from '../../model/index.js';
import type { SftExample, SftOptions, SftResult } from '../sft/index.js';
import { sftExample, trainSft } from '../sft/index.js';
import type { KdLossOptions } from './kd-loss.js';
import { distillationLoss } from './kd-loss.js';
import type { Problem, Trace, TraceOptions, TraceReport } from './traces.js';
import { collectTraces } from './traces.js';

export interface DistillOptions {
  readonly teacher: Engine;
  readonly problems: readonly Problem[];
  readonly traces?: TraceOptions;
  /** The student, its tokenizer and the SFT settings (data and loss are set here). */
  readonly sft: Omit<SftOptions, 'data' | 'loss'>;
  /** Logit-level distillation from a local teacher model sharing the student's vocabulary. */
  readonly kd?: KdLossOptions & { readonly teacherModel: CausalLM };
  /** Examples trained on alongside the traces (R1 mixed its cold-start data into the SFT set). */
  readonly extra?: readonly SftExample[];
}

export interface DistillResult {
  /** Null when the traces were read back from an earlier run. */
  readonly traces: TraceReport | null;
  readonly examples: number;
  readonly sft: SftResult;
}

export async function distill(o: DistillOptions): Promise<DistillResult> {
  const runDir = o.sft.runDir ?? null;
  const file = runDir ? join(runDir, 'traces.jsonl') : null;
  let report: TraceReport | null = null;
  let traces: readonly Pick<Trace, 'messages'>[];
  if (file && existsSync(file)) {
    traces = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Pick<Trace, 'messages'>);
  } else {
    report = await collectTraces(o.teacher, o.problems, o.traces);
    traces = report.traces;
    if (file && runDir) {
      mkdirSync(runDir, { recursive: true });
      // Whole or absent: a crash while writing must not leave a partial set that a resumed run would train on.
      writeFileSync(`${file}.tmp`, traces.map((t) => JSON.stringify(t)).join('\n') + (traces.length > 0 ? '\n' : ''));
      renameSync(`${file}.tmp`, file);
      const { traces: _kept, ...counts } = report;
      writeFileSync(join(runDir, 'traces-report.json'), JSON.stringify(counts, null, 2) + '\n');
    }
  }
  if (traces.length === 0 && (o.extra ?? []).length === 0) {
    throw new RangeError('distill: the teacher produced no trace that passed rejection sampling; give it more samples per problem, more tokens, or easier problems');
  }
  const data: SftExample[] = [...traces.map((t, i) => sftExample({ messages: t.messages }, `trace ${i + 1}`)), ...(o.extra ?? [])];
  const loss = o.kd ? distillationLoss(o.kd.teacherModel, o.kd) : undefined;
  const sft = await trainSft({ ...o.sft, data, ...(loss ? { loss } : {}) });
  return { traces: report, examples: data.length, sft };
}
