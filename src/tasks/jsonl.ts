// Tasks as JSONL, one problem a line: {"id", "family", "difficulty", "split", "problem", "answer", the
// family's fields, and "solution" when asked}, so `r1ts eval`, the trainers and other tools read them by
// their "problem" and "answer" fields. Reading checks every field and names the line at fault.

import { readFileSync, writeFileSync } from 'node:fs';
import { isFamilyName } from './registry.js';
import type { Task } from './types.js';
import { DIFFICULTIES, SPLITS } from './types.js';

type WithoutSolution<T> = T extends unknown ? Omit<T, 'solution'> & { readonly solution?: string } : never;
/** A task read back from JSONL: the solution is there only if it was written. */
export type TaskRecord = WithoutSolution<Task>;

export interface JsonlOptions {
  /** Write the teacher's worked solution too. Default false. */
  readonly solutions?: boolean;
}

/** The JSON object of one line; field order is fixed so files diff cleanly. */
export function taskRecord(task: Task, options: JsonlOptions = {}): Record<string, unknown> {
  const { id, family, difficulty, split, problem, answer, solution, ...fields } = task;
  return { id, family, difficulty, split, problem, answer, ...fields, ...(options.solutions === true ? { solution } : {}) };
}

/** One line per task, each ending in a newline. */
export function tasksToJsonl(tasks: readonly Task[], options: JsonlOptions = {}): string {
  return tasks.map((t) => `${JSON.stringify(taskRecord(t, options))}\n`).join('');
}

export function writeTasksFile(file: string, tasks: readonly Task[], options: JsonlOptions = {}): void {
  writeFileSync(file, tasksToJsonl(tasks, options));
}

const FAMILY_FIELDS: Readonly<Record<Task['family'], (row: Record<string, unknown>) => string | null>> = {
  arithmetic: (row) => (typeof row.expression === 'string' ? null : 'a text "expression"'),
  countdown: (row) =>
    Array.isArray(row.numbers) && row.numbers.length > 0 && row.numbers.every((n) => Number.isSafeInteger(n) && (n as number) >= 0) && Number.isSafeInteger(row.target)
      ? null
      : '"numbers" (a list of whole numbers) and a whole "target"',
  linear: (row) => (typeof row.equation === 'string' ? null : 'a text "equation"'),
};

/** Parses JSONL text of tasks; `source` names it in errors ("tasks.jsonl:3: …"). Blank lines are skipped. */
export function parseTasksJsonl(text: string, source = 'tasks'): TaskRecord[] {
  const out: TaskRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${source}:${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      throw new Error(`${where}: not JSON (${(e as Error).message})`);
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new Error(`${where}: not a JSON object`);
    const r = row as Record<string, unknown>;
    const need = (ok: boolean, what: string): void => {
      if (!ok) throw new Error(`${where}: needs ${what}`);
    };
    need(typeof r.problem === 'string' && typeof r.answer === 'string', 'text fields "problem" and "answer"');
    need(typeof r.id === 'string', 'a text "id"');
    need(isFamilyName(r.family), '"family": arithmetic, countdown or linear');
    need((DIFFICULTIES as readonly unknown[]).includes(r.difficulty), '"difficulty": 1, 2 or 3');
    need((SPLITS as readonly unknown[]).includes(r.split), '"split": train or heldout');
    need(r.solution === undefined || typeof r.solution === 'string', '"solution" as text, when present');
    const missing = FAMILY_FIELDS[r.family as Task['family']](r);
    if (missing !== null) throw new Error(`${where}: a ${r.family as string} task needs ${missing}`);
    out.push(r as unknown as TaskRecord);
  });
  return out;
}

export function readTasksFile(file: string): TaskRecord[] {
  return parseTasksJsonl(readFileSync(file, 'utf8'), file);
}
