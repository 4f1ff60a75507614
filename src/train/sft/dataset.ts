// From a JSONL file (or examples in memory) to tokenized examples that fit the length limit, with a
// count of what was skipped, dropped or cut on the way.

import type { Tokenizer } from '../../tokenizer/index.js';
import type { SftDataOptions, SftExample } from './data.js';
import { readSftFile, SftDataError } from './data.js';
import type { Overflow, RenderOptions, TokenizedExample } from './render.js';
import { fitLength, tokenizeExample } from './render.js';

export interface PrepareOptions extends SftDataOptions, RenderOptions {
  /** Longest example in tokens. */
  readonly maxLength: number;
  /** An example over maxLength is cut at the end (default) or dropped. */
  readonly overflow?: Overflow;
}

export interface PreparedData {
  readonly examples: TokenizedExample[];
  /** Records skipped as bad (onBadLine: 'skip'), with the reason. */
  readonly skipped: { readonly origin: string; readonly reason: string }[];
  /** Over maxLength and dropped (or cut down to nothing learned). */
  readonly dropped: number;
  readonly truncated: number;
}

/** Reads (when given a path), renders and length-fits SFT examples. */
export function prepareSftData(source: string | readonly SftExample[], tokenizer: Tokenizer, options: PrepareOptions): PreparedData {
  const skipped: { origin: string; reason: string }[] = [];
  let records: readonly SftExample[];
  if (typeof source === 'string') {
    const file = readSftFile(source, options);
    records = file.examples;
    for (const s of file.skipped) skipped.push({ origin: `${source}:${s.line}`, reason: s.reason });
  } else {
    records = source;
  }
  const examples: TokenizedExample[] = [];
  let dropped = 0;
  let truncated = 0;
  records.forEach((record, i) => {
    let tokenized: TokenizedExample;
    try {
      tokenized = tokenizeExample(tokenizer, withDefaults(record, i, options.turns), options);
    } catch (e) {
      if (!(e instanceof SftDataError) || options.onBadLine !== 'skip') throw e;
      skipped.push({ origin: record.origin ?? `example ${i}`, reason: e.message });
      return;
    }
    const fitted = fitLength(tokenized, options.maxLength, options.overflow ?? 'truncate');
    if (fitted === null) dropped++;
    else {
      if (fitted !== tokenized) truncated++;
      examples.push(fitted);
    }
  });
  return { examples, skipped, dropped, truncated };
}

/** An in-memory example named by its index, and learning only its last turn under turns: 'last'. */
function withDefaults(record: SftExample, i: number, turns: SftDataOptions['turns']): SftExample {
  const origin = record.origin ?? `example ${i}`;
  if (record.learn !== undefined || turns !== 'last') return { ...record, origin };
  const assistants = record.messages.filter((m) => m.role === 'assistant').length;
  return { ...record, origin, learn: assistants > 0 ? [assistants - 1] : [] };
}
