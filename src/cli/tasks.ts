// `r1ts tasks`: write generated reasoning problems (src/tasks) as JSONL, to stdout or a file, for
// `r1ts eval`, the trainers and other tools. With "all", each family in turn gets --count problems.

import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { FAMILY_NAMES, GENERATE_DEFAULTS, TASK_FAMILIES, generateTasks, isFamilyName, tasksToJsonl } from '../tasks/index.js';
import type { Difficulty, FamilyName, Split, Task } from '../tasks/index.js';
import { wholeNumber } from './args.js';
import { UsageError } from './errors.js';

const DEFAULT_COUNT = 100;

export const TASKS_USAGE = [
  'r1ts tasks <family|all> [--count N] [--seed S] [--difficulty D] [--split train|heldout] [--out FILE] [--solutions]',
  '',
  `  --count N          problems per family (default ${DEFAULT_COUNT})`,
  `  --seed S           random seed, a whole number (default ${GENERATE_DEFAULTS.seed}); the same seed gives the same problems`,
  '  --difficulty D     1, 2, 3 or mixed (default mixed: each problem\'s level drawn from 1–3)',
  '  --split NAME       train (default) or heldout; the two never share a problem',
  '  --out FILE         write the JSONL there instead of to stdout',
  '  --solutions        add the teacher\'s worked solution ("solution": steps, then \\boxed{answer})',
  '',
  'Families:',
  ...FAMILY_NAMES.map((name) => `  ${name.padEnd(11)} ${TASK_FAMILIES[name].summary}`),
  ...FAMILY_NAMES.map((name) => `  ${name} levels: ${[1, 2, 3].map((d) => `${d}) ${TASK_FAMILIES[name].levels[d as Difficulty]}`).join('; ')}`),
  '',
  'Each line: {"id", "family", "difficulty", "split", "problem", "answer", family fields (expression;',
  'numbers, target; equation), "solution" with --solutions}. Countdown answers are one valid expression:',
  'any expression that reaches the target with the given numbers is right.',
  'Example: r1ts tasks countdown --count 500 --difficulty 2 --split heldout --out countdown-test.jsonl',
].join('\n');

function difficultyFlag(text: string | undefined): Difficulty | 'mixed' {
  if (text === undefined || text === 'mixed') return 'mixed';
  if (text === '1' || text === '2' || text === '3') return Number(text) as Difficulty;
  throw new UsageError(`--difficulty must be 1, 2, 3 or mixed, got ${JSON.stringify(text)}`);
}

function splitFlag(text: string | undefined): Split {
  if (text === undefined) return GENERATE_DEFAULTS.split;
  if (text === 'train' || text === 'heldout') return text;
  throw new UsageError(`--split must be train or heldout, got ${JSON.stringify(text)}`);
}

export function tasksCommand(args: string[]): number {
  // main.ts answers --help and turns parse errors into usage errors.
  const { values, positionals } = parseArgs({
    args,
    options: { count: { type: 'string' }, seed: { type: 'string' }, difficulty: { type: 'string' }, split: { type: 'string' }, out: { type: 'string' }, solutions: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new UsageError(`tasks takes one family (${FAMILY_NAMES.join(', ')}) or all, e.g. r1ts tasks arithmetic --count 10`);
  const which = positionals[0]!;
  if (which !== 'all' && !isFamilyName(which)) throw new UsageError(`unknown task family ${JSON.stringify(which)}: use ${FAMILY_NAMES.join(', ')} or all`);
  const families: readonly FamilyName[] = which === 'all' ? FAMILY_NAMES : [which as FamilyName];
  const count = wholeNumber('--count', values.count, DEFAULT_COUNT);
  const seed = wholeNumber('--seed', values.seed, GENERATE_DEFAULTS.seed);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed is too large, got ${values.seed}`);
  const difficulty = difficultyFlag(values.difficulty);
  const split = splitFlag(values.split);
  if (values.out === '') throw new UsageError('--out needs a file name');

  let tasks: Task[];
  try {
    tasks = families.flatMap((family) => generateTasks({ family, count, seed, difficulty, split }));
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^generateTasks: /, ''));
  }
  const text = tasksToJsonl(tasks, { solutions: values.solutions ?? false });
  if (values.out === undefined) {
    process.stdout.write(text);
    return 0;
  }
  try {
    writeFileSync(values.out, text);
  } catch (e) {
    throw new UsageError(`cannot write ${values.out}: ${(e as Error).message}`);
  }
  console.error(`wrote ${tasks.length} problems (${families.join(', ')}; ${split} split, seed ${seed}, difficulty ${difficulty}) to ${values.out}`);
  return 0;
}
