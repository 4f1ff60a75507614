// Format rewards: does the completion have the layout the training template asks for? Two templates:
//   'think'        R1's `<think>\n…\n</think>\n\nanswer` (DESIGN.md, "Reasoning format");
//   'think-answer' the R1-Zero template `<think>…</think><answer>…</answer>` (grpo-and-rewards.md §2.2).
// Strict demands open-r1's exact newlines (§4: `<think>\n…\n</think>\n<answer>\n…\n</answer>`); lenient
// accepts any whitespace around the tags. Both demand the same structure: each tag exactly once, in order,
// non-blank reasoning and answer, and nothing but whitespace outside the tags. open-r1's regex (`.*?` with
// DOTALL and MULTILINE, matched from the start only) lets a second think/answer pair or text after
// `</answer>\n` pass; counting the tags closes that door. A truncated output (no closer) fails both.
//
// R1's chat template ends the prompt with `<think>\n`, so the completion starts inside the block: with
// `reasoningOpened` the rewards judge `<think>\n` + completion. A model that writes the opener again anyway
// fails strict (two openers) and is forgiven once by lenient, as the streaming reasoning parser does.

import type { RewardResult, RewardSample } from './types.js';

export type FormatTemplate = 'think' | 'think-answer';

export interface FormatOptions {
  readonly template?: FormatTemplate;
  /** The prompt already opened the think block (R1's template ends with `<think>\n`). */
  readonly reasoningOpened?: boolean;
}

const FORMAT_DEFAULTS: Required<FormatOptions> = { template: 'think', reasoningOpened: false };

const THINK_OPEN = '<think>';

/** A stretch of text between two tags (or before the first, after the last) and what it must look like. */
interface Segment {
  readonly what: string;
  readonly lenient: RegExp;
  readonly strict: RegExp;
  /** What the segment needs, said for the reason when a test fails. */
  readonly lenientNeed: string;
  readonly strictNeed: string;
}

const onlySpace = (what: string, strictExactly: RegExp, strictNeed: string): Segment => ({
  what, lenient: /^\s*$/, strict: strictExactly, lenientNeed: 'nothing but whitespace', strictNeed,
});
const textOnOwnLines = (what: string, opener: string, closer: string): Segment => ({
  what,
  lenient: /\S/,
  strict: /^\n(?=[^]*\S)[^]*\n$/,
  lenientNeed: 'some text',
  strictNeed: `a newline right after ${opener} and right before ${closer}`,
});

interface Layout {
  readonly tags: readonly string[];
  /** One more segment than tags: before the first tag, between each pair, after the last. */
  readonly segments: readonly Segment[];
  /** The newline-bearing pieces open-r1's tag_count_reward counts, each expected exactly once. */
  readonly countedPieces: readonly string[];
}

const LAYOUTS: Readonly<Record<FormatTemplate, Layout>> = {
  think: {
    tags: ['<think>', '</think>'],
    segments: [
      onlySpace('the text before <think>', /^$/, 'nothing'),
      textOnOwnLines('the reasoning', '<think>', '</think>'),
      { what: 'the answer', lenient: /\S/, strict: /^\n\n\S/, lenientNeed: 'some text', strictNeed: 'a blank line after </think>, then the answer' },
    ],
    countedPieces: ['<think>\n', '\n</think>\n'],
  },
  'think-answer': {
    tags: ['<think>', '</think>', '<answer>', '</answer>'],
    segments: [
      onlySpace('the text before <think>', /^$/, 'nothing'),
      textOnOwnLines('the reasoning', '<think>', '</think>'),
      onlySpace('the text between </think> and <answer>', /^\n$/, 'one newline'),
      textOnOwnLines('the answer', '<answer>', '</answer>'),
      onlySpace('the text after </answer>', /^\s*$/, 'nothing but whitespace'),
    ],
    countedPieces: ['<think>\n', '\n</think>\n', '\n<answer>\n', '\n</answer>'],
  },
};

/** Non-overlapping occurrences of `piece` in `text` (as Python's str.count, which open-r1 uses). */
export function countOccurrences(text: string, piece: string): number {
  let n = 0;
  for (let i = text.indexOf(piece); i >= 0; i = text.indexOf(piece, i + piece.length)) n++;
  return n;
}

/** The text as the model's whole turn reads, the template's opener included. */
function withOpener(completion: string, reasoningOpened: boolean, forgiveDuplicateOpener: boolean): string {
  if (!reasoningOpened) return completion;
  const start = completion.trimStart();
  const body = forgiveDuplicateOpener && start.startsWith(THINK_OPEN) ? start.slice(THINK_OPEN.length) : completion;
  return `${THINK_OPEN}\n${body}`;
}

/** Why `text` does not have the layout, or null when it does. */
function formatProblem(text: string, layout: Layout, strict: boolean): string | null {
  const positions: number[] = [];
  for (const tag of layout.tags) {
    const n = countOccurrences(text, tag);
    if (n !== 1) return `expected one ${tag}, found ${n}`;
    positions.push(text.indexOf(tag));
  }
  for (let k = 1; k < positions.length; k++) {
    if (positions[k]! < positions[k - 1]!) return `${layout.tags[k]} comes before ${layout.tags[k - 1]}`;
  }
  for (let k = 0; k < layout.segments.length; k++) {
    const from = k === 0 ? 0 : positions[k - 1]! + layout.tags[k - 1]!.length;
    const to = k < positions.length ? positions[k]! : text.length;
    const segment = layout.segments[k]!;
    const piece = text.slice(from, to);
    if (!segment.lenient.test(piece)) return `${segment.what} needs ${segment.lenientNeed}`;
    if (strict && !segment.strict.test(piece)) return `${segment.what} needs ${segment.strictNeed}`;
  }
  return null;
}

function formatReward(strict: boolean, options: FormatOptions): (completion: string, sample?: RewardSample) => RewardResult {
  const { template, reasoningOpened } = { ...FORMAT_DEFAULTS, ...options };
  const layout = LAYOUTS[template];
  return (completion) => {
    const problem = formatProblem(withOpener(completion, reasoningOpened, !strict), layout, strict);
    return { reward: problem === null ? 1 : 0, details: { template, strict, reason: problem ?? 'format ok' } };
  };
}

/**
 * 1 when the completion has the template's exact layout, newlines included; else 0 with the reason.
 * Example: `strictFormatReward()('<think>\nx\n</think>\n\n4', {}).reward === 1`.
 */
export function strictFormatReward(options: FormatOptions = {}): (completion: string, sample?: RewardSample) => RewardResult {
  return formatReward(true, options);
}

/**
 * 1 when the completion has the template's tags, once each and in order, around non-blank text,
 * whatever the whitespace; else 0 with the reason.
 * Example: `lenientFormatReward({ template: 'think-answer' })('<think>x</think> <answer>4</answer>', {}).reward === 1`.
 */
export function lenientFormatReward(options: FormatOptions = {}): (completion: string, sample?: RewardSample) => RewardResult {
  return formatReward(false, options);
}

/**
 * Partial credit on the way to the format (open-r1's tag_count_reward, §4): an equal share of 1 for each
 * newline-bearing tag piece (`<think>\n`, `\n</think>\n`, and for 'think-answer' `\n<answer>\n`,
 * `\n</answer>`) that occurs exactly once. Example: `tagCountReward()('<think>\nx\n</think>\n4', {}).reward === 1`.
 */
export function tagCountReward(options: FormatOptions = {}): (completion: string, sample?: RewardSample) => RewardResult {
  const { template, reasoningOpened } = { ...FORMAT_DEFAULTS, ...options };
  const pieces = LAYOUTS[template].countedPieces;
  return (completion) => {
    const text = withOpener(completion, reasoningOpened, false);
    const counts = Object.fromEntries(pieces.map((piece) => [piece, countOccurrences(text, piece)]));
    const once = pieces.filter((piece) => counts[piece] === 1).length;
    return { reward: once / pieces.length, details: { template, counts } };
  };
}
