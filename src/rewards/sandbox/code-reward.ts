// Code-correctness reward: the last ```python block of the answer, run in the sandbox against the
// sample's tests; the reward is the share of tests passed (or 1/0 with `binary`).
//
// Two test styles, as the datasets carry them:
//   HumanEval  `test` is Python code defining check(candidate) and `entry_point` names the function:
//              one test, passed when check returns.
//   stdin/out  `tests` is a list of {input, output}: the program is run once per case with the input on
//              stdin, and passes a case when its output equals the expected one line by line, each line
//              stripped of surrounding whitespace (blank lines at either end ignored).
// Each test's outcome (passed / failed / timeout / memory / error, with a short stderr tail) is in the
// details, so a trainer's logs show why code failed.

import { answerRegion } from '../extract.js';
import type { RewardResult, RewardSample } from '../types.js';
import type { SandboxJob, SandboxOptions, SandboxRun } from './sandbox.js';
import { runPython } from './sandbox.js';

export interface CodeRewardOptions extends SandboxOptions {
  /**
   * 1 when every test passes, else 0. Stops at the first test that does not pass, so details.tests may
   * be shorter than details.total. Default false: the share of tests passed.
   */
  readonly binary?: boolean;
  /** The chat template already opened <think>, so without a </think> there is no answer. Default false. */
  readonly reasoningOpened?: boolean;
}

export type TestOutcome = 'passed' | 'failed' | 'timeout' | 'memory' | 'error';

export interface TestReport {
  readonly outcome: TestOutcome;
  /** Why it did not pass: the exception, the limit hit, or where the output differed. */
  readonly reason?: string;
  /** The last lines of the program's stderr, when it wrote any. */
  readonly stderrTail?: string;
}

/** How much of stderr a test report keeps. */
const STDERR_TAIL_CHARS = 400;

// ```python, ```py or ```python3 (any case, anything after the language tag on that line), up to the closing fence.
const PYTHON_BLOCK = /```(?:python3?|py)\b[^\n]*\n([^]*?)```/gi;

/** The code of the last ```python fenced block in `text`, or null when there is none. */
export function lastPythonBlock(text: string): string | null {
  let code: string | null = null;
  for (const match of text.matchAll(PYTHON_BLOCK)) code = match[1]!;
  return code;
}

interface StdioCase {
  readonly input: string;
  readonly output: string;
}

/** The sandbox jobs for a sample's tests, or why the sample has none we can run. */
function jobsFor(sample: RewardSample, program: string): { jobs: SandboxJob[]; expected: (string | null)[] } | string {
  const { test, entry_point: entryPoint, tests } = sample;
  if (typeof test === 'string' && typeof entryPoint === 'string') {
    return { jobs: [{ mode: 'check', program, test, entryPoint }], expected: [null] };
  }
  if (Array.isArray(tests) && tests.length > 0 && tests.every(isStdioCase)) {
    return {
      jobs: tests.map((c) => ({ mode: 'script', program, stdin: c.input })),
      expected: tests.map((c) => c.output),
    };
  }
  return 'the sample has no tests: it needs test + entry_point (HumanEval) or tests: {input, output}[]';
}

function isStdioCase(value: unknown): value is StdioCase {
  const c = value as Partial<StdioCase> | null;
  return typeof c === 'object' && c !== null && typeof c.input === 'string' && typeof c.output === 'string';
}

/** Output lines as the comparison sees them: each stripped, blank lines at either end dropped. */
function outputLines(text: string): string[] {
  return text.trim().split(/\r?\n/).map((line) => line.trim());
}

/** The outcome of one test from its sandbox run; `expected` is the stdout a stdin/stdout case wants. */
function judge(run: SandboxRun, expected: string | null): TestReport {
  const stderrTail = run.stderr.trim().slice(-STDERR_TAIL_CHARS);
  const withTail = (report: TestReport): TestReport => (stderrTail === '' ? report : { ...report, stderrTail });
  switch (run.outcome) {
    case 'completed': {
      if (expected === null) return { outcome: 'passed' };
      const got = outputLines(run.stdout);
      const want = outputLines(expected);
      const line = want.findIndex((wanted, k) => got[k] !== wanted);
      if (line < 0 && got.length === want.length) return { outcome: 'passed' };
      const at = line < 0 ? want.length : line;
      return withTail({ outcome: 'failed', reason: `output line ${at + 1}: expected ${JSON.stringify(want[at] ?? '(end)')}, got ${JSON.stringify(got[at] ?? '(end)')}` });
    }
    case 'failed':
    case 'timeout':
    case 'memory':
    case 'error':
      return withTail({ outcome: run.outcome, reason: run.message });
    case 'output-limit':
      return withTail({ outcome: 'error', reason: run.message });
  }
}

/**
 * The code-correctness reward. Bad model output (no answer, no code, code that crashes, hangs or attacks
 * the host) gives 0 with the reason in the details; a sample without tests gives null. Throws (rejects)
 * only when the sandbox cannot run safely here: see runPython.
 * Example: with sample `{ tests: [{ input: '2 3', output: '5' }] }`, the completion
 * "<think>…</think>\n```python\na, b = map(int, input().split())\nprint(a + b)\n```" gets reward 1.
 */
export function codeReward(options: CodeRewardOptions = {}): (completion: string, sample: RewardSample) => Promise<RewardResult> {
  const { binary = false, reasoningOpened = false, ...sandbox } = options;
  return async (completion: string, sample: RewardSample): Promise<RewardResult> => {
    const answer = answerRegion(completion, { reasoningOpened });
    if (answer === null) return { reward: 0, details: { reason: 'no answer: the think block is not closed' } };
    const program = lastPythonBlock(answer);
    if (program === null) return { reward: 0, details: { reason: 'no ```python block in the answer' } };
    const planned = jobsFor(sample, program);
    if (typeof planned === 'string') return { reward: null, details: { reason: planned } };

    const tests: TestReport[] = [];
    for (const [k, job] of planned.jobs.entries()) {
      const report = judge(await runPython(job, sandbox), planned.expected[k]!);
      tests.push(report);
      if (binary && report.outcome !== 'passed') break;
    }
    const total = planned.jobs.length;
    const passed = tests.filter((t) => t.outcome === 'passed').length;
    const reward = binary ? Number(passed === total) : passed / total;
    return { reward, details: { passed, total, tests } };
  };
}
