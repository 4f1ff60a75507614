// Teacher traces for distillation: any Engine (our model, llama.cpp, a vLLM or DeepSeek API endpoint)
// answers each problem several times with R1's template and sampling; rejection sampling (filters.ts)
// keeps the verified, readable traces, which become SFT conversations for the student.
// Steps: problems in chunks → engine.generate (n samples each) → judge every completion → keep up to
// `keepPerProblem` distinct traces per problem → count what was rejected and why.

import type { Completion, Engine, GenerateRequest } from '../../engine/index.js';
import type { SamplingParams } from '../../generate/index.js';
import type { RewardSample } from '../../rewards/index.js';
import type { Rejection, TraceFilterOptions } from './filters.js';
import { judgeTrace, traceText } from './filters.js';

export interface Problem {
  readonly problem: string;
  readonly answer: string;
  readonly id?: string;
  /** Further fields the filters' `correct` check reads (a Countdown problem's numbers and target). */
  readonly sample?: RewardSample;
}

export interface TraceOptions {
  /** Teacher samples per problem (default 4). */
  readonly samplesPerProblem?: number;
  /** Distinct accepted traces kept per problem (default 1). */
  readonly keepPerProblem?: number;
  /** Tokens the teacher may generate per sample (default 1024). */
  readonly maxTokens?: number;
  /** Default: R1's recommended temperature 0.6, top-p 0.95. */
  readonly sampling?: Partial<SamplingParams>;
  /** Problems per engine call: bounds memory and lets progress be reported (default 16). */
  readonly chunk?: number;
  readonly filters?: TraceFilterOptions;
  /** Called after each chunk with problems done so far. */
  readonly onProgress?: (done: number, total: number, kept: number) => void;
}

export const TRACE_DEFAULTS = { samplesPerProblem: 4, keepPerProblem: 1, maxTokens: 1024, chunk: 16 } as const;

/** One kept trace, as a conversation the SFT trainer reads (the thinking inside the assistant message). */
export interface Trace {
  readonly problemIndex: number;
  readonly id?: string;
  readonly messages: readonly [{ role: 'user'; content: string }, { role: 'assistant'; content: string }];
  readonly tokens: number;
}

export interface TraceReport {
  readonly traces: Trace[];
  readonly samples: number;
  readonly kept: number;
  /** Problems with at least one kept trace. */
  readonly problemsCovered: number;
  readonly rejected: Readonly<Record<Rejection, number>>;
}

export async function collectTraces(engine: Engine, problems: readonly Problem[], options: TraceOptions = {}): Promise<TraceReport> {
  const o = { ...TRACE_DEFAULTS, ...options };
  for (const [name, v] of [['samplesPerProblem', o.samplesPerProblem], ['keepPerProblem', o.keepPerProblem], ['maxTokens', o.maxTokens], ['chunk', o.chunk]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`collectTraces: ${name} must be a positive integer, got ${v}`);
  }
  const sampling: Partial<SamplingParams> = { temperature: 0.6, topP: 0.95, ...o.sampling };
  const rejected: Record<Rejection, number> = { truncated: 0, 'unclosed-think': 0, 'too-short': 0, 'too-long': 0, 'no-gold': 0, 'wrong-answer': 0, 'language-mixing': 0 };
  const traces: Trace[] = [];
  let samples = 0;
  for (let start = 0; start < problems.length; start += o.chunk) {
    const chunk = problems.slice(start, start + o.chunk);
    const requests: GenerateRequest[] = chunk.map((p) => ({ messages: [{ role: 'user', content: p.problem }], n: o.samplesPerProblem, maxTokens: o.maxTokens, sampling }));
    const completions = await engine.generate(requests);
    samples += completions.length;
    const byRequest = new Map<number, Completion[]>();
    for (const c of completions) byRequest.set(c.request, [...(byRequest.get(c.request) ?? []), c]);
    chunk.forEach((p, r) => {
      const seen = new Set<string>();
      for (const c of byRequest.get(r) ?? []) {
        const verdict = judgeTrace(c, { ...p.sample, answer: p.answer }, o.filters);
        if (!verdict.keep) {
          rejected[verdict.rejection!]++;
          continue;
        }
        const text = traceText(c);
        if (seen.size >= o.keepPerProblem || seen.has(text)) continue;
        seen.add(text);
        traces.push({ problemIndex: start + r, ...(p.id !== undefined ? { id: p.id } : {}), messages: [{ role: 'user', content: p.problem }, { role: 'assistant', content: text }], tokens: c.tokens.length });
      }
    });
    o.onProgress?.(Math.min(start + o.chunk, problems.length), problems.length, traces.length);
  }
  const covered = new Set(traces.map((t) => t.problemIndex)).size;
  return { traces, samples, kept: traces.length, problemsCovered: covered, rejected };
}
