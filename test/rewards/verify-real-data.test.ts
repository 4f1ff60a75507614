// The verifier on real benchmark data shipped in data/ (see data/SOURCES.md):
// - MATH-500: the answer extracted from each reference solution is verified against the `answer` field;
// - GSM8K test: each worked solution, with its "#### N" line rewritten the way a model writes its final
//   answer ("The final answer is $\boxed{N}$."), goes through extraction and verification;
// - cross rejection: each problem's answer against the next problem's answer must be rejected, except
//   where the two are genuinely the same value (counted and printed).
// The figures (acceptance, misses, verifications per second, worst case) are printed for the notes.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { extractAnswer } from '../../src/rewards/extract.js';
import { verifyAnswer } from '../../src/rewards/verify.js';

const dataDir = fileURLToPath(new URL('../../data/', import.meta.url));

function readJsonl<T>(file: string): T[] {
  return readFileSync(`${dataDir}${file}`, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

interface MathProblem {
  readonly solution: string;
  readonly answer: string;
  readonly unique_id: string;
}

interface Gsm8kProblem {
  readonly answer: string;
}

/** Problems whose reference solution does not verify against their answer, each with the reason. */
const MATH500_KNOWN_MISSES: Readonly<Record<string, string>> = {};

/** Times every call, so the figures come from the same runs as the verdicts. */
function timed<T>(fn: () => T, stats: { calls: number; ms: number; worst: number }): T {
  const started = performance.now();
  const result = fn();
  const ms = performance.now() - started;
  stats.calls++;
  stats.ms += ms;
  stats.worst = Math.max(stats.worst, ms);
  return result;
}

function report(name: string, stats: { calls: number; ms: number; worst: number }): string {
  return `${name}: ${stats.calls} verifications, ${Math.round((stats.calls / stats.ms) * 1000)} verifications/s, worst ${stats.worst.toFixed(1)} ms`;
}

/** The answer after the last "#### " of a GSM8K worked solution. */
function gsm8kFinal(solution: string): string {
  const m = /####\s*(.*)\s*$/.exec(solution);
  assert.ok(m !== null, `no #### line in ${solution.slice(-80)}`);
  return m[1].trim();
}

test('MATH-500: the reference solutions verify against their answers (≥ 99%)', () => {
  const problems = readJsonl<MathProblem>('math500/test.jsonl');
  assert.equal(problems.length, 500);
  const stats = { calls: 0, ms: 0, worst: 0 };
  const misses: Record<string, string> = {};
  for (const p of problems) {
    const extracted = extractAnswer(p.solution);
    const verdict = timed(() => verifyAnswer(p.answer, extracted?.text ?? ''), stats);
    if (!verdict.equal) misses[p.unique_id] = `${extracted === null ? 'nothing extracted' : `[${verdict.method}] ${verdict.reason}`}`;
  }
  const accepted = problems.length - Object.keys(misses).length;
  console.log(`MATH-500 accepted ${accepted}/${problems.length} (${((100 * accepted) / problems.length).toFixed(1)}%); ${report('MATH-500', stats)}`);
  assert.deepEqual(Object.keys(misses).sort(), Object.keys(MATH500_KNOWN_MISSES).sort(), JSON.stringify(misses, null, 2));
  assert.ok(accepted / problems.length >= 0.99);
});

test('GSM8K test: worked solutions ending in a boxed final answer verify (≥ 99.9%)', () => {
  const problems = readJsonl<Gsm8kProblem>('gsm8k/test.jsonl');
  assert.equal(problems.length, 1319);
  const stats = { calls: 0, ms: 0, worst: 0 };
  const misses: string[] = [];
  for (const p of problems) {
    const gold = gsm8kFinal(p.answer);
    // As a model would end it: the worked steps (with their <<…>> calculator notes and $ signs), then a box.
    const completion = p.answer.replace(/####.*$/, `The final answer is $\\boxed{${gold}}$.`);
    const extracted = extractAnswer(completion);
    assert.equal(extracted?.source, 'boxed');
    const verdict = timed(() => verifyAnswer(gold, extracted?.text ?? ''), stats);
    if (!verdict.equal) misses.push(`${gold}: ${verdict.reason}`);
  }
  const accepted = problems.length - misses.length;
  console.log(`GSM8K accepted ${accepted}/${problems.length} (${((100 * accepted) / problems.length).toFixed(2)}%); ${report('GSM8K', stats)}`);
  assert.deepEqual(misses, []);
});

/** Each answer against the next problem's answer; returns rejections, coincidences and the accepted pairs. */
function crossCheck(answers: readonly string[], stats: { calls: number; ms: number; worst: number }) {
  let rejected = 0;
  const accepted: string[] = [];
  for (let i = 0; i < answers.length; i++) {
    const [a, b] = [answers[i], answers[(i + 1) % answers.length]];
    if (timed(() => verifyAnswer(a, b), stats).equal) accepted.push(`${a} | ${b}`);
    else rejected++;
  }
  return { rejected, accepted };
}

test('cross rejection: each answer against the next problem\'s answer is rejected (≥ 99.5%, coincidences excepted)', () => {
  const math = readJsonl<MathProblem>('math500/test.jsonl').map((p) => p.answer);
  const gsm = readJsonl<Gsm8kProblem>('gsm8k/test.jsonl').map((p) => gsm8kFinal(p.answer));
  const stats = { calls: 0, ms: 0, worst: 0 };
  // Genuine coincidences: neighbouring problems whose answers are the same value, written alike or not.
  const mathCoincidences = ['5 | x=5', '7 | 7', '3 | 3'];
  const gsmCoincidences = ['40 | 40', '10 | 10', '98 | 98', '5 | 5', '300 | 300', '10 | 10', '4 | 4', '50 | 50', '10 | 10', '6 | 6', '60 | 60', '10 | 10', '2 | 2', '2 | 2', '17 | 17'];
  for (const [name, answers, coincidences] of [
    ['MATH-500', math, mathCoincidences],
    ['GSM8K', gsm, gsmCoincidences],
  ] as const) {
    const { rejected, accepted } = crossCheck(answers, stats);
    const pairs = answers.length - coincidences.length;
    console.log(`${name} cross rejection: ${rejected}/${pairs} different pairs rejected (${((100 * rejected) / pairs).toFixed(2)}%), ${accepted.length} accepted, ${coincidences.length} of them genuine coincidences`);
    assert.deepEqual(accepted, coincidences, `${name}: accepted pairs that are not the same value`);
    assert.ok(rejected / pairs >= 0.995);
  }
  console.log(report('cross rejection', stats));
});
