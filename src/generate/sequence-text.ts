// The text side of one generated sequence: token ids → UTF-8-safe text deltas → stop strings →
// reasoning/content split. Every engine that produces tokens (local, llama.cpp) shares it.

import { ThinkTagParser } from './reasoning.js';
import type { ReasoningDelta } from './reasoning.js';
import { StopMatcher } from './stop.js';
import { StreamDecoder } from './stream-decoder.js';
import type { Detokenizer } from './stream-decoder.js';

export interface SequenceTextOptions {
  /** The last prompt ids: left context for decoding the first generated tokens. */
  readonly context?: readonly number[];
  /** Strings that end the generation; the text stops before them. */
  readonly stop?: readonly string[];
  /** The prompt already opened the think block (R1's template). */
  readonly startsInReasoning?: boolean;
}

export interface SequenceDelta extends ReasoningDelta {
  /** A stop string was found: the sequence must end now. */
  readonly stopped: boolean;
}

export class SequenceText {
  private readonly decoder: StreamDecoder;
  private readonly stops: StopMatcher;
  private readonly parser: ThinkTagParser;
  reasoning = '';
  content = '';

  constructor(tokenizer: Detokenizer, opts: SequenceTextOptions = {}) {
    this.decoder = new StreamDecoder(tokenizer, { context: opts.context ? [...opts.context] : [] });
    this.stops = new StopMatcher(opts.stop ?? []);
    this.parser = new ThinkTagParser({ startsInReasoning: opts.startsInReasoning ?? false });
  }

  /** Whether the text so far is inside the think block (for counting reasoning tokens). */
  get inReasoning(): boolean {
    return this.parser.inReasoning;
  }

  /** Feeds one generated token; returns the text that can be shown now. */
  push(token: number): SequenceDelta {
    if (this.stops.stopped !== null) return { reasoning: '', content: '', stopped: true };
    const r = this.stops.push(this.decoder.push(token));
    const d = this.record(this.parser.push(r.text));
    return { ...d, stopped: r.stop !== null };
  }

  /** At the end: the held-back text, and whether the output ended inside the think block. */
  finish(): ReasoningDelta & { truncatedReasoning: boolean } {
    let tail = '';
    if (this.stops.stopped === null) tail = this.stops.push(this.decoder.flush()).text + this.stops.flush();
    const d = this.record(this.parser.push(tail));
    const end = this.parser.finish();
    const last = this.record(end);
    return { reasoning: d.reasoning + last.reasoning, content: d.content + last.content, truncatedReasoning: end.truncatedReasoning };
  }

  private record(d: ReasoningDelta): ReasoningDelta {
    this.reasoning += d.reasoning;
    this.content += d.content;
    return d;
  }
}
