// Incremental detokenization: token ids in, text deltas out, never ending inside a multi-byte
// character. A byte-level BPE token can carry part of a UTF-8 sequence ("😀" is four bytes, often two or
// more tokens); decoding such a prefix gives U+FFFD at the end, so that text is held back until the
// character is complete. The delta of a new token is decode(prefix + new) minus decode(prefix), where
// `prefix` is only the tokens since the previous emitted boundary (plus the tokens before it, for
// tokenizers such as SentencePiece that drop a leading space of the first token they decode), so each
// step decodes a handful of ids whatever the length of the generation — as vLLM and HF's streamers do.

/** Anything that turns token ids into text (a tokenizer, typically with special tokens as it prefers). */
export interface Detokenizer {
  decode(ids: readonly number[]): string;
}

export interface StreamDecoderOptions {
  /**
   * Ids that precede the generation (the end of the prompt): decoded as left context only, never
   * emitted. The last few suffice; more are ignored.
   */
  readonly context?: readonly number[];
}

const REPLACEMENT = '\uFFFD';
/** Context ids kept from `options.context` (vLLM keeps 5). */
const CONTEXT_IDS = 5;

export class StreamDecoder {
  /** The ids from the left-context boundary on: window[0, read) are emitted, window[read, …) not yet. */
  private window: number[];
  private read: number;
  private emitted = '';

  constructor(
    private readonly tokenizer: Detokenizer,
    options: StreamDecoderOptions = {},
  ) {
    this.window = (options.context ?? []).slice(-CONTEXT_IDS);
    this.read = this.window.length;
  }

  /** Feeds one id; returns the text that is now safe to emit (often ''). */
  push(id: number): string {
    this.window.push(id);
    return this.advance(false);
  }

  /** Feeds several ids; returns the concatenated delta. */
  pushAll(ids: Iterable<number>): string {
    let out = '';
    for (const id of ids) out += this.push(id);
    return out;
  }

  /** At the end of the generation: everything still held back, incomplete characters included (as U+FFFD). */
  flush(): string {
    return this.advance(true);
  }

  /** All text emitted so far. */
  get text(): string {
    return this.emitted;
  }

  private advance(final: boolean): string {
    if (this.read === this.window.length) return '';
    const prefixText = this.tokenizer.decode(this.window.slice(0, this.read));
    const fullText = this.tokenizer.decode(this.window);
    // Shorter or equal: the new ids add nothing visible yet (a skipped special token, or bytes that
    // merge into the previous character); a trailing U+FFFD: a character still incomplete.
    if (!final && (fullText.length <= prefixText.length || fullText.endsWith(REPLACEMENT))) return '';
    const delta = fullText.slice(prefixText.length);
    // The emitted ids become the new left context; the window restarts at the old boundary.
    this.window = this.window.slice(this.read);
    this.read = this.window.length;
    this.emitted += delta;
    return delta;
  }
}
