// generateTasks: a reproducible list of distinct problems of one family, from one split.
//
// The train and held-out splits can never share a problem, whatever seeds and counts are asked for:
//   1. each split draws from its own random stream (seed, "family/split"), and
//   2. every problem's canonical key is hashed to a side (its lowest bit): a draw whose key belongs to
//      the other split is thrown away, and a draw whose key was already taken in this list is too.
// So disjointness does not rest on the streams alone; the test checks it on thousands of problems.

import { hashText, SeededRandom } from '../util/index.js';
import { taskFamily } from './registry.js';
import type { AnyDraft, Difficulty, FamilyName, Split, Task, TaskFamily } from './types.js';
import { DIFFICULTIES, SPLITS } from './types.js';

export interface GenerateOptions {
  readonly family: FamilyName;
  readonly count: number;
  /** Default 0. */
  readonly seed?: number;
  /** A level for every problem, or 'mixed' (default): each problem's level drawn uniformly from 1–3. */
  readonly difficulty?: Difficulty | 'mixed';
  /** Default 'train'. */
  readonly split?: Split;
  /** Return the distinct problems there are when the level runs out, instead of throwing (default false). */
  readonly allowFewer?: boolean;
}

export const GENERATE_DEFAULTS = Object.freeze({ seed: 0, difficulty: 'mixed', split: 'train' } as const);

// Consecutive draws that add nothing before giving up: the key test discards about half of all draws,
// so this many misses in a row means the level has (nearly) run out of distinct problems.
const MAX_MISSES = 5000;

/** The split a problem belongs to, from its canonical key alone. */
export function splitOfKey(key: string): Split {
  return (hashText(key) & 1) === 0 ? 'train' : 'heldout';
}

function checkOptions(o: GenerateOptions): void {
  if (!Number.isSafeInteger(o.count) || o.count < 0) throw new Error(`generateTasks: count must be a whole number >= 0, got ${o.count}`);
  if (o.seed !== undefined && (!Number.isSafeInteger(o.seed) || o.seed < 0)) throw new Error(`generateTasks: seed must be a whole number >= 0, got ${o.seed}`);
  if (o.difficulty !== undefined && o.difficulty !== 'mixed' && !DIFFICULTIES.includes(o.difficulty)) throw new Error(`generateTasks: difficulty must be 1, 2, 3 or 'mixed', got ${o.difficulty}`);
  if (o.split !== undefined && !SPLITS.includes(o.split)) throw new Error(`generateTasks: split must be 'train' or 'heldout', got ${o.split}`);
}

/**
 * `count` distinct problems of the family, all from the split; the same options give the same list,
 * and a longer list starts with the shorter one. When the level has fewer distinct problems it throws,
 * or with `allowFewer` returns those it found.
 */
export function generateTasks(options: GenerateOptions): Task[] {
  checkOptions(options);
  const family: TaskFamily = taskFamily(options.family);
  const seed = options.seed ?? GENERATE_DEFAULTS.seed;
  const split = options.split ?? GENERATE_DEFAULTS.split;
  const difficulty = options.difficulty ?? GENERATE_DEFAULTS.difficulty;
  const random = new SeededRandom(seed, `${family.name}/${split}`);
  const seen = new Set<string>();
  const tasks: Task[] = [];
  for (let misses = 0; tasks.length < options.count; misses++) {
    if (misses >= MAX_MISSES) {
      if (options.allowFewer) break;
      throw new Error(`generateTasks: found only ${tasks.length} distinct ${family.name} problems for the ${split} split at difficulty ${difficulty} (${MAX_MISSES} draws in a row gave nothing new); ask for fewer or use another difficulty`);
    }
    const level = difficulty === 'mixed' ? random.pick(DIFFICULTIES) : difficulty;
    const draft: AnyDraft = family.draft(random, level);
    const key = family.key(draft);
    if (splitOfKey(key) !== split || seen.has(key)) continue;
    seen.add(key);
    misses = -1;
    tasks.push({ ...draft, id: `${family.name}-${split}-${seed}-${tasks.length}`, split });
  }
  return tasks;
}

/** The canonical key of a problem (as its family defines it). */
export function taskKey(task: AnyDraft): string {
  return taskFamily(task.family).key(task);
}
