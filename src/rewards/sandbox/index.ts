// Running untrusted Python: the sandbox (isolation levels, limits, the in-process guard) and the
// code-correctness reward built on it. What the sandbox does and does not protect against: docs/sandbox.md.

export { codeReward, lastPythonBlock } from './code-reward.js';
export type { CodeRewardOptions, TestOutcome, TestReport } from './code-reward.js';
export { ALL_PROTECTIONS } from './isolation.js';
export type { Isolation, Protection } from './isolation.js';
export { runPython, SANDBOX_DEFAULTS, SandboxError, sandboxReport } from './sandbox.js';
export type { SandboxJob, SandboxOptions, SandboxOutcome, SandboxReport, SandboxRun } from './sandbox.js';
