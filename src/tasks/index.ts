// Procedurally generated, verifiable reasoning tasks: multi-step arithmetic, Countdown and linear
// equations, each with a seed, difficulty levels 1–3 and a teacher that writes an R1-format worked
// solution; disjoint train / held-out splits; a reward that judges completions per family; JSONL I/O.

export type {
  AnyDraft, ArithmeticDraft, CountdownDraft, Difficulty, FamilyName, LinearDraft, Split, Task, TaskDraft, TaskFamily,
} from './types.js';
export { DIFFICULTIES, FAMILY_NAMES, SPLITS } from './types.js';

export { isFamilyName, TASK_FAMILIES, taskFamily } from './registry.js';
export { GENERATE_DEFAULTS, generateTasks, splitOfKey, taskKey } from './generate.js';
export type { GenerateOptions } from './generate.js';
export { taskReward } from './reward.js';
export type { TaskRewardOptions } from './reward.js';
export { countdownReward } from './countdown.js';
export type { CountdownOptions } from './countdown.js';
export { answerOnlyCompletion, finalLine, teacherCompletion } from './teacher.js';
export { parseTasksJsonl, readTasksFile, taskRecord, tasksToJsonl, writeTasksFile } from './jsonl.js';
export type { JsonlOptions, TaskRecord } from './jsonl.js';

export { evaluateExpression, ExpressionError, formatExpression, literals, parseExpression } from './expression.js';
export type { BinaryOp as ArithmeticOp, EvaluateOptions, Expr, ParseOptions } from './expression.js';
export { rational } from './rational.js';
export type { Rational } from './rational.js';
