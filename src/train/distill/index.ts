// Distillation: teacher traces with rejection sampling, then SFT of a student on them (and optional
// logit-level KD from a local teacher).

export { distill } from './distill.js';
export type { DistillOptions, DistillResult } from './distill.js';
export { judgeTrace, TRACE_FILTER_DEFAULTS, traceText } from './filters.js';
export type { Rejection, TraceFilterOptions, TraceVerdict } from './filters.js';
export { distillationKl, distillationLoss } from './kd-loss.js';
export type { KdLossOptions } from './kd-loss.js';
export { collectTraces, TRACE_DEFAULTS } from './traces.js';
export type { Problem, Trace, TraceOptions, TraceReport } from './traces.js';
