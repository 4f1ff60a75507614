// Evaluation: the R1 protocol (k samples per problem, pass@1, pass@k, cons@k, lengths, format) over any
// Engine; the benchmark harness builds on it.

export { majorityVote, passAtK } from './metrics.js';
export type { Vote } from './metrics.js';
export { evaluate } from './evaluate.js';
export type { EvalItem, EvalOptions, EvalResult, ProblemRecord } from './evaluate.js';
