// Language-consistency reward, as R1's reasoning-oriented RL stage added to the accuracy reward
// (grpo-and-rewards.md §2.4): words of the thinking written in the target language / all its words.
//
// "Language" is judged by Unicode script, so it tells English from Chinese or Russian but not English
// from French (both Latin). Words: each Chinese/Japanese character is one word (those scripts put no
// spaces between words); elsewhere a run of letters is a word. Notation is not language, so these are
// left out before counting: think tags, math between $…$ (on one line), $$…$$, \(…\), \[…\], LaTeX
// commands (\frac), digits and punctuation (they are not letters), and single Latin letters (variables
// such as x, which the Chinese reasoning of a math problem is full of).

import type { RewardResult, RewardSample } from './types.js';

/** The scripts each supported language is written in. */
const LANGUAGE_SCRIPTS = {
  en: ['Latin'],
  zh: ['Han'],
  ja: ['Han', 'Hiragana', 'Katakana'],
  ko: ['Hangul', 'Han'],
  ru: ['Cyrillic'],
} as const;

export type ConsistencyLanguage = keyof typeof LANGUAGE_SCRIPTS;

export interface LanguageOptions {
  readonly language?: ConsistencyLanguage;
  /** The prompt already opened the think block, so the completion starts as thinking. */
  readonly reasoningOpened?: boolean;
}

const LANGUAGE_DEFAULTS: Required<LanguageOptions> = { language: 'en', reasoningOpened: false };

const THINK_OPEN = '<think>';
const THINK_CLOSE = '</think>';

const NOTATION = /<\/?think>|\$\$[^]*?\$\$|\$[^$\n]*\$|\\\([^]*?\\\)|\\\[[^]*?\\\]|\\[A-Za-z]+/g;
const WORD = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{M}])+/gu;
const SINGLE_LATIN_LETTER = /^\p{Script=Latin}$/u;

/**
 * The thinking of a completion: what follows the (template's or generated) `<think>` up to `</think>`, or
 * to the end when the output was cut off inside it; null when there is no think block.
 */
export function thinkingText(completion: string, reasoningOpened: boolean): string | null {
  let start = 0;
  if (!reasoningOpened) {
    const open = completion.indexOf(THINK_OPEN);
    if (open < 0) return null;
    start = open + THINK_OPEN.length;
  }
  const close = completion.indexOf(THINK_CLOSE, start);
  return completion.slice(start, close < 0 ? completion.length : close);
}

/** The words of `text` that count for language consistency (notation removed). */
export function languageWords(text: string): string[] {
  const words = text.replace(NOTATION, ' ').match(WORD) ?? [];
  return words.filter((word) => !SINGLE_LATIN_LETTER.test(word));
}

/**
 * Share of the thinking's words written in the target language's scripts; 0 when the thinking holds no
 * words (or there is no think block), since nothing was reasoned in the language.
 * Example: `languageConsistencyReward({ language: 'zh' })('<think>我们 check</think>', {}).reward === 2/3`.
 */
export function languageConsistencyReward(options: LanguageOptions = {}): (completion: string, sample?: RewardSample) => RewardResult {
  const { language, reasoningOpened } = { ...LANGUAGE_DEFAULTS, ...options };
  const scripts: readonly string[] = LANGUAGE_SCRIPTS[language];
  if (scripts === undefined) throw new RangeError(`languageConsistencyReward: unknown language ${language}; known: ${Object.keys(LANGUAGE_SCRIPTS).join(', ')}`);
  const inTarget = new RegExp(`^[${scripts.map((s) => `\\p{Script=${s}}`).join('')}]`, 'u');
  return (completion) => {
    const thinking = thinkingText(completion, reasoningOpened);
    if (thinking === null) return { reward: 0, details: { language, reason: 'no think block', words: 0, inLanguage: 0 } };
    const words = languageWords(thinking);
    const inLanguage = words.filter((word) => inTarget.test(word)).length;
    if (words.length === 0) return { reward: 0, details: { language, reason: 'no words in the thinking', words: 0, inLanguage: 0 } };
    return { reward: inLanguage / words.length, details: { language, words: words.length, inLanguage } };
  };
}
