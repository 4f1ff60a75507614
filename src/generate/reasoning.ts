// Separating the chain of thought from the answer as text streams in. R1 writes
// `<think>\n…\n</think>\n\nanswer`; its chat template usually opens `<think>\n` itself, so the output
// has only the closer (deepseek-architecture.md §6.2, serving-evaluation-hardware.md §1). The parser
// works on text, so the tags must survive detokenization (do not skip them as special tokens); a tag
// split across chunks is held back until it is complete or cannot be one.
//
// Rules (one think block per generation):
//   - startsInReasoning (the template opened the block): text is reasoning from the start; an opener
//     generated anyway at the very start (after newlines) is dropped, once.
//   - otherwise text is content until the first opener, then reasoning. Newlines before the opener are
//     dropped when nothing else came first; any other text before it stays content.
//   - the first closer ends the reasoning; everything after is content and no tag is parsed again. A
//     closer before any opener (startsInReasoning false) is ordinary content.
//   - no closer by the end (max tokens hit while thinking): all of it is reasoning and finish()
//     reports truncatedReasoning.
//   - newlines next to the tags belong to the format, not the text: those right after the opener (or
//     at the start when the template opened it), right before the closer and right after the closer
//     are dropped, so `<think>\nR\n</think>\n\nA` gives reasoning "R" and content "A", as the DeepSeek API
//     returns them. Other whitespace is kept as is.

import { partialMatchLength } from './stop.js';

export interface ReasoningDelta {
  readonly reasoning: string;
  readonly content: string;
}

export interface ReasoningEnd extends ReasoningDelta {
  /** The output ended inside the think block: no closer was generated. */
  readonly truncatedReasoning: boolean;
}

export interface ReasoningOptions {
  /** The prompt already opened the think block (R1's template ends with `<think>\n`). */
  readonly startsInReasoning?: boolean;
  readonly openTag?: string;
  readonly closeTag?: string;
}

/** The interface every reasoning parser implements (one conformance suite for all). */
export interface StreamingReasoningParser {
  /** Feeds a chunk of generated text; returns what can be emitted now. */
  push(text: string): ReasoningDelta;
  /** At the end of the generation: the rest, and whether the reasoning was cut off. */
  finish(): ReasoningEnd;
  /** Whether text pushed now would be reasoning (for counting reasoning tokens). */
  readonly inReasoning: boolean;
}

export const THINK_OPEN = '<think>';
export const THINK_CLOSE = '</think>';

type Phase = 'before' | 'reasoning' | 'content';

export class ThinkTagParser implements StreamingReasoningParser {
  private readonly open: string;
  private readonly close: string;
  private phase: Phase;
  /** Unconsumed text: a possible partial tag, held newlines, or a possible duplicate opener. */
  private buf = '';
  /** At the start of a phase: leading newlines are still to be dropped. */
  private atPhaseStart = true;
  /** The template opened the block and nothing but newlines has come yet: a generated opener is a duplicate. */
  private duplicateOpenerPossible: boolean;
  /** Something other than newlines was emitted as content before an opener. */
  private contentBeforeOpener = false;
  private finished = false;

  constructor(options: ReasoningOptions = {}) {
    this.open = options.openTag ?? THINK_OPEN;
    this.close = options.closeTag ?? THINK_CLOSE;
    if (this.open === '' || this.close === '') throw new RangeError('reasoning parser: the tags must not be empty');
    const starts = options.startsInReasoning ?? false;
    this.phase = starts ? 'reasoning' : 'before';
    this.duplicateOpenerPossible = starts;
  }

  get inReasoning(): boolean {
    return this.phase === 'reasoning';
  }

  push(text: string): ReasoningDelta {
    if (this.finished) throw new Error('reasoning parser: push() after finish()');
    this.buf += text;
    return this.drain(false);
  }

  finish(): ReasoningEnd {
    if (this.finished) throw new Error('reasoning parser: finish() called twice');
    const out = this.drain(true);
    this.finished = true;
    return { ...out, truncatedReasoning: this.phase === 'reasoning' };
  }

  private drain(final: boolean): ReasoningDelta {
    let reasoning = '';
    let content = '';
    for (;;) {
      if (this.phase === 'before') {
        const i = this.buf.indexOf(this.open);
        if (i >= 0) {
          const before = this.buf.slice(0, i);
          if (this.contentBeforeOpener || !isNewlines(before)) content += before;
          this.enter('reasoning', i + this.open.length);
          continue;
        }
        const keep = final ? 0 : partialMatchLength(this.buf, this.open);
        const emit = this.buf.slice(0, this.buf.length - keep);
        // Newlines alone at the start may precede an opener: hold them.
        if (!final && !this.contentBeforeOpener && isNewlines(emit)) break;
        content += emit;
        this.buf = this.buf.slice(emit.length);
        if (emit !== '') this.contentBeforeOpener = true;
        break;
      }
      if (this.phase === 'reasoning') {
        if (this.atPhaseStart) {
          this.buf = dropLeadingNewlines(this.buf);
          if (this.buf === '') break;
          if (this.duplicateOpenerPossible) {
            if (this.buf.startsWith(this.open)) {
              this.duplicateOpenerPossible = false;
              this.buf = this.buf.slice(this.open.length);
              continue;
            }
            if (!final && this.open.startsWith(this.buf)) break;
            this.duplicateOpenerPossible = false;
          }
          this.atPhaseStart = false;
        }
        const i = this.buf.indexOf(this.close);
        if (i >= 0) {
          reasoning += dropTrailingNewlines(this.buf.slice(0, i));
          this.enter('content', i + this.close.length);
          continue;
        }
        if (final) {
          reasoning += this.buf;
          this.buf = '';
          break;
        }
        // Hold a possible partial closer and the newlines before it (they go if the closer follows).
        const body = this.buf.slice(0, this.buf.length - partialMatchLength(this.buf, this.close));
        const emit = dropTrailingNewlines(body);
        reasoning += emit;
        this.buf = this.buf.slice(emit.length);
        break;
      }
      // content
      if (this.atPhaseStart) {
        this.buf = dropLeadingNewlines(this.buf);
        if (this.buf === '') break;
        this.atPhaseStart = false;
      }
      content += this.buf;
      this.buf = '';
      break;
    }
    return { reasoning, content };
  }

  private enter(phase: Phase, consumed: number): void {
    this.phase = phase;
    this.buf = this.buf.slice(consumed);
    this.atPhaseStart = true;
    this.duplicateOpenerPossible = false;
  }
}

function isNewline(c: string): boolean {
  return c === '\n' || c === '\r';
}

function isNewlines(s: string): boolean {
  for (const c of s) if (!isNewline(c)) return false;
  return true;
}

function dropLeadingNewlines(s: string): string {
  let i = 0;
  while (i < s.length && isNewline(s[i]!)) i++;
  return s.slice(i);
}

function dropTrailingNewlines(s: string): string {
  let i = s.length;
  while (i > 0 && isNewline(s[i - 1]!)) i--;
  return s.slice(0, i);
}

/** The whole output at once, through the same parser. */
export function splitReasoning(text: string, options: ReasoningOptions = {}): ReasoningEnd {
  const parser = new ThinkTagParser(options);
  const a = parser.push(text);
  const b = parser.finish();
  return { reasoning: a.reasoning + b.reasoning, content: a.content + b.content, truncatedReasoning: b.truncatedReasoning };
}

/** Whether a rendered prompt leaves the think block open (so the parser starts in reasoning). */
export function promptOpensReasoning(prompt: string, options: Pick<ReasoningOptions, 'openTag'> = {}): boolean {
  return prompt.trimEnd().endsWith(options.openTag ?? THINK_OPEN);
}
