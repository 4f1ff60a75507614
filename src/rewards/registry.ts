// Reward functions by name, for run configs (`rewards: [{name: accuracy, weight: 1}, …]`): each name
// maps to its factory; the options object is passed through and the factory checks it. R1's template
// opens <think> in the prompt, so completions start inside the reasoning unless the caller says not.

import { accuracyReward } from './accuracy.js';
import { lenientFormatReward, strictFormatReward, tagCountReward } from './format.js';
import { languageConsistencyReward } from './language.js';
import { cosineScaledReward, softOverlongPunishment } from './length.js';
import { reasoningStepsReward } from './reasoning-steps.js';
import { repetitionPenaltyReward } from './repetition.js';
import type { RewardFn } from './types.js';

type Options = Record<string, unknown>;

/** Each factory gets the config's options; `opened` is whether the prompt opened the think block. */
const FACTORIES = {
  accuracy: (o: Options, opened: boolean) => accuracyReward({ reasoningOpened: opened, ...o }),
  format: (o: Options, opened: boolean) => lenientFormatReward({ reasoningOpened: opened, ...o }),
  'strict-format': (o: Options, opened: boolean) => strictFormatReward({ reasoningOpened: opened, ...o }),
  'tag-count': (o: Options, opened: boolean) => tagCountReward({ reasoningOpened: opened, ...o }),
  'reasoning-steps': (o: Options) => reasoningStepsReward(o),
  cosine: (o: Options, opened: boolean) => cosineScaledReward({ correctness: accuracyReward({ reasoningOpened: opened }), ...o }),
  overlong: (o: Options) => softOverlongPunishment(o),
  repetition: (o: Options) => repetitionPenaltyReward(o),
  language: (o: Options, opened: boolean) => languageConsistencyReward({ reasoningOpened: opened, ...o }),
} satisfies Record<string, (o: Options, opened: boolean) => RewardFn>;

export type RewardName = keyof typeof FACTORIES;
export const REWARD_NAMES = Object.keys(FACTORIES) as RewardName[];

/**
 * The reward called `name`, built with `options`. `reasoningOpened` (default true: R1's template opens
 * <think> in the prompt) goes to the rewards that read the think block.
 * Example: `namedReward('cosine', { maxLength: 512 })`.
 */
export function namedReward(name: string, options: Options = {}, reasoningOpened = true): RewardFn {
  const factory = (FACTORIES as Record<string, (o: Options, opened: boolean) => RewardFn>)[name];
  if (!factory) throw new RangeError(`unknown reward ${JSON.stringify(name)}; known: ${REWARD_NAMES.join(', ')}`);
  return factory(options, reasoningOpened);
}
