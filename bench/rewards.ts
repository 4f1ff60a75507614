// The `rewards` section of `npm run bench`: how fast the verifier judges real answers, and its worst
// single case, since GRPO judges every sample of every step and a slow case stalls a whole batch.
// Workloads on MATH-500 (data/math500/test.jsonl):
//   matching   each problem's `answer` against the \boxed{} answer of its own reference solution (mostly equal)
//   crossed    each problem's `answer` against the next problem's `answer` (mostly not equal: the slow path,
//              where the verifier tries every reading and the CAS before it says no)
// Steps: read the file → validate (the matching workload must accept ≥ 99%, the crossed one reject ≥ 99%,
// or the bench stops: a fast wrong verifier is no result) → one untimed pass → time `rounds` passes, each
// pair timed on its own → verifications/s from the total, the median and the worst case with its problem.
// There is no peer in this section: the Python graders (math-verify, sympy's LaTeX parser) cannot be
// installed offline here (Debian's antlr4 4.9 does not match sympy's required 4.10).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { extractAnswer, verifyAnswer } from '../src/rewards/index.js';
import type { CpuFacts } from '../src/util/index.js';
import { cpuFacts } from '../src/util/index.js';
import { fmt, median } from './timing.js';

const ROUNDS = 3;

interface Problem { readonly answer: string; readonly solution: string; readonly unique_id: string }

export interface VerifyWorkload {
  readonly name: 'matching' | 'crossed';
  readonly pairs: number;
  readonly accepted: number;
  readonly verificationsPerS: number;
  readonly medianMs: number;
  readonly worstMs: number;
  /** The pair behind the worst time: problem id, gold, prediction. */
  readonly worst: { readonly problem: string; readonly gold: string; readonly pred: string };
}

export interface RewardsResult {
  readonly measured: { readonly date: string; readonly cpu: CpuFacts; readonly node: string };
  readonly workloads: VerifyWorkload[];
}

function loadMath500(): Problem[] {
  const file = fileURLToPath(new URL('../data/math500/test.jsonl', import.meta.url));
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Problem);
}

function measure(name: VerifyWorkload['name'], problems: Problem[], pairs: { gold: string; pred: string }[]): VerifyWorkload {
  const accepted = pairs.filter((p) => verifyAnswer(p.gold, p.pred).equal).length;
  const share = accepted / pairs.length;
  if (name === 'matching' ? share < 0.99 : share > 0.01) {
    throw new Error(`bench: the verifier ${name === 'matching' ? 'accepts only' : 'accepts'} ${(100 * share).toFixed(1)}% of the ${name} MATH-500 pairs; not timing a wrong verifier`);
  }
  const times = new Float64Array(pairs.length * ROUNDS);
  const t0 = performance.now();
  for (let r = 0; r < ROUNDS; r++) {
    pairs.forEach((p, i) => {
      const start = performance.now();
      verifyAnswer(p.gold, p.pred);
      times[r * pairs.length + i] = performance.now() - start;
    });
  }
  const total = performance.now() - t0;
  let worstAt = 0;
  for (let i = 1; i < times.length; i++) if (times[i]! > times[worstAt]!) worstAt = i;
  const w = worstAt % pairs.length;
  return {
    name, pairs: pairs.length, accepted,
    verificationsPerS: (pairs.length * ROUNDS) / (total / 1000),
    medianMs: median(Array.from(times)), worstMs: times[worstAt]!,
    worst: { problem: problems[w]!.unique_id, gold: pairs[w]!.gold, pred: pairs[w]!.pred },
  };
}

export function runRewards(): RewardsResult {
  const problems = loadMath500();
  const matching = problems.map((p) => ({ gold: p.answer, pred: extractAnswer(p.solution)?.text ?? '' }));
  const crossed = problems.map((p, i) => ({ gold: p.answer, pred: problems[(i + 1) % problems.length]!.answer }));
  // Untimed pass: loads the CAS and warms the JIT for both workloads.
  for (const p of [...matching, ...crossed]) verifyAnswer(p.gold, p.pred);
  const workloads = [measure('matching', problems, matching), measure('crossed', problems, crossed)];
  return { measured: { date: new Date().toISOString(), cpu: cpuFacts(), node: process.version }, workloads };
}

/** Inline code in a Markdown table cell (a `|` would end the cell). */
function code(text: string): string {
  return `\`${text.replace(/\|/g, '\\|')}\``;
}

export function renderRewards(r: RewardsResult): string {
  const m = r.measured;
  const rows = [
    '| MATH-500 workload | pairs | accepted | verifications/s | median ms | worst ms | worst case (problem: gold vs prediction) |',
    '|---|---|---|---|---|---|---|',
    ...r.workloads.map((w) => `| ${w.name} | ${w.pairs} | ${w.accepted} | ${fmt(w.verificationsPerS, 0)} | ${fmt(w.medianMs, 3)} | ${fmt(w.worstMs, 1)} | ${w.worst.problem}: ${code(w.worst.gold)} vs ${code(w.worst.pred)} |`),
  ].join('\n');
  return `Measured ${m.date} on ${m.cpu.model} (${m.cpu.cores} cores), one JavaScript thread, Node ${m.node}; no peer (see bench/rewards.ts).\n\n${rows}`;
}
