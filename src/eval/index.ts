// Evaluation: the R1 protocol's scores (pass@k, cons@k); the benchmark harness builds on them.

export { majorityVote, passAtK } from './metrics.js';
export type { Vote } from './metrics.js';
