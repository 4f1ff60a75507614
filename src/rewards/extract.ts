// Final-answer extraction from a model completion. Only the text after the reasoning block counts
// (R1's format is `<think>…</think> answer`), and a think block that never closes holds no answer: a
// completion cut off while still reasoning must not be scored on a number it happened to mention.
// Inside that region the answer comes from, in order of trust: \boxed{…}/\fbox{…}, <answer>…</answer>,
// GSM8K's `#### 42` line, a "the (final) answer is …" phrase, and, only when asked, the last number.

import { braceMatches } from './latex-groups.js';

export type AnswerSource = 'boxed' | 'answer-tag' | 'gsm8k' | 'phrase' | 'last-number';

export interface ExtractOptions {
  /** Which \boxed/\fbox wins when there are several; default 'last'. */
  boxed?: 'last' | 'first';
  /** Fall back to the last number in the answer region; default false (it rewards guessing). */
  lastNumberFallback?: boolean;
  /**
   * The chat template already opened <think> (R1's does), so the completion starts inside the
   * reasoning: without a </think> there is no answer. Default false.
   */
  reasoningOpened?: boolean;
}

export interface ExtractedAnswer {
  readonly text: string;
  readonly source: AnswerSource;
}

const THINK_OPEN = '<think>';
const THINK_CLOSE = '</think>';

/** The part of a completion that may hold the answer: after the last </think>; null when a think block is unclosed. */
export function answerRegion(completion: string, options: Pick<ExtractOptions, 'reasoningOpened'> = {}): string | null {
  if (typeof completion !== 'string') return null;
  const close = completion.lastIndexOf(THINK_CLOSE);
  let region: string;
  if (close >= 0) region = completion.slice(close + THINK_CLOSE.length);
  else if (options.reasoningOpened === true) return null;
  else region = completion;
  // A <think> after the last </think> (or with no </think> at all) opens a block that never closes.
  return region.includes(THINK_OPEN) ? null : region;
}

export function extractAnswer(completion: string, options: ExtractOptions = {}): ExtractedAnswer | null {
  const region = answerRegion(completion, options);
  if (region === null) return null;
  const found =
    fromBoxed(region, options.boxed ?? 'last') ??
    fromAnswerTag(region) ??
    fromGsm8kMarker(region) ??
    fromPhrase(region) ??
    (options.lastNumberFallback === true ? fromLastNumber(region) : null);
  return found !== null && found.text !== '' ? found : null;
}

// \boxed and \fbox, not \boxedfoo: the command name must end there.
const BOX_COMMAND = /\\(?:boxed|fbox)(?![a-zA-Z])/g;

function fromBoxed(region: string, which: 'last' | 'first'): ExtractedAnswer | null {
  const contents: string[] = [];
  let closes: Map<number, number> | null = null;
  for (const match of region.matchAll(BOX_COMMAND)) {
    closes ??= braceMatches(region);
    const content = boxArgument(region, match.index + match[0].length, closes);
    if (content !== null) contents.push(content.trim());
  }
  if (contents.length === 0) return null;
  const text = which === 'first' ? contents[0] : contents[contents.length - 1];
  return { text, source: 'boxed' };
}

/** The argument of a box command starting at `at`: a balanced {…} group, or one bare token (`\boxed 5`). */
function boxArgument(text: string, at: number, closes: ReadonlyMap<number, number>): string | null {
  let i = at;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  if (text[i] === '{') {
    const end = closes.get(i) ?? -1;
    return end < 0 ? null : text.slice(i + 1, end);
  }
  if (i === at) return null; // `\boxed5` is not LaTeX we accept; `\boxed 5` is
  const token = /^[^\s$]+/.exec(text.slice(i));
  return token === null ? null : token[0].replace(/[.,;:]+$/, '');
}

function fromAnswerTag(region: string): ExtractedAnswer | null {
  const close = region.lastIndexOf('</answer>');
  if (close < 0) return null;
  const open = region.lastIndexOf('<answer>', close);
  if (open < 0) return null;
  return { text: region.slice(open + '<answer>'.length, close).trim(), source: 'answer-tag' };
}

function fromGsm8kMarker(region: string): ExtractedAnswer | null {
  const lines = [...region.matchAll(/^[ \t]*####[ \t]*(.*)$/gm)];
  if (lines.length === 0) return null;
  return { text: lines[lines.length - 1][1].trim(), source: 'gsm8k' };
}

const ANSWER_PHRASE = /(?:the\s+)?(?:final\s+)?answer\s*(?:is|:)\s*:?/gi;

function fromPhrase(region: string): ExtractedAnswer | null {
  const matches = [...region.matchAll(ANSWER_PHRASE)];
  for (let k = matches.length - 1; k >= 0; k--) {
    const text = phraseTail(region.slice(matches[k].index + matches[k][0].length));
    if (text !== '') return { text, source: 'phrase' };
  }
  return null;
}

/** What follows "the answer is": a $…$ (or \(…\)) span if it starts with one, else the rest of the sentence. */
function phraseTail(rest: string): string {
  const math = /^\s*(\$\$?|\\\()/.exec(rest);
  if (math !== null) {
    const closer = math[1] === '\\(' ? '\\)' : math[1];
    const start = math[0].length;
    const end = rest.indexOf(closer, start);
    if (end >= 0) return rest.slice(start, end).trim();
  }
  const line = rest.split('\n', 1)[0];
  // A sentence ends at a period followed by a space or the end; a decimal point has a digit after it.
  const sentence = /^(.*?)\.(?:\s|$)/.exec(line);
  return (sentence !== null ? sentence[1] : line).trim().replace(/[.,;:!]+$/, '').trim();
}

const NUMBER = /-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|-?\.\d+/g;

function fromLastNumber(region: string): ExtractedAnswer | null {
  const numbers = region.match(NUMBER);
  return numbers === null ? null : { text: numbers[numbers.length - 1], source: 'last-number' };
}
