// The task families by name: the CLI, generateTasks and taskReward look families up here, so adding a
// family is one file and one line.

import { arithmeticFamily } from './arithmetic.js';
import { countdownFamily } from './countdown.js';
import { linearFamily } from './linear.js';
import type { FamilyName, TaskFamily } from './types.js';
import { FAMILY_NAMES } from './types.js';

export const TASK_FAMILIES: Readonly<Record<FamilyName, TaskFamily>> = Object.freeze({
  arithmetic: arithmeticFamily,
  countdown: countdownFamily,
  linear: linearFamily,
});

export function isFamilyName(name: unknown): name is FamilyName {
  return typeof name === 'string' && (FAMILY_NAMES as readonly string[]).includes(name);
}

/** The family of that name; the error lists the known ones. */
export function taskFamily(name: string): TaskFamily {
  if (!isFamilyName(name)) throw new Error(`unknown task family ${JSON.stringify(name)}: use one of ${FAMILY_NAMES.join(', ')}`);
  return TASK_FAMILIES[name];
}
