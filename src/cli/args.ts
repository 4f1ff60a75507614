// Parsing option values shared by several commands: whole numbers, decimals and the sampling flags.

import type { SamplingParams } from '../generate/index.js';
import { UsageError } from './errors.js';

/** A non-negative integer option, or its default when absent. */
export function wholeNumber(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

/** A number option (e.g. a temperature), or undefined when absent. */
export function decimal(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw new UsageError(`${flag} must be a number, got ${JSON.stringify(text)}`);
  return v;
}

export const SAMPLING_OPTIONS = {
  temperature: { type: 'string' }, 'top-p': { type: 'string' }, 'top-k': { type: 'string' }, 'min-p': { type: 'string' },
  'repetition-penalty': { type: 'string' }, seed: { type: 'string' },
} as const;

export const SAMPLING_HELP = [
  '  --temperature T     default 0.6 (R1\'s recommendation; 0 = greedy)',
  '  --top-p P           default 0.95',
  '  --top-k K           default 0 (off)',
  '  --min-p P           default 0 (off)',
  '  --repetition-penalty R   default 1 (off)',
  '  --seed N            random seed (default: a fresh one)',
];

export function samplingFlags(v: Partial<Record<keyof typeof SAMPLING_OPTIONS, string>>): Partial<SamplingParams> {
  const out: Record<string, number> = {};
  const set = (key: keyof SamplingParams, x: number | undefined) => x !== undefined && (out[key] = x);
  set('temperature', decimal('--temperature', v.temperature));
  set('topP', decimal('--top-p', v['top-p']));
  set('topK', v['top-k'] === undefined ? undefined : wholeNumber('--top-k', v['top-k'], 0));
  set('minP', decimal('--min-p', v['min-p']));
  set('repetitionPenalty', decimal('--repetition-penalty', v['repetition-penalty']));
  set('seed', v.seed === undefined ? undefined : wholeNumber('--seed', v.seed, 0));
  return out as Partial<SamplingParams>;
}
