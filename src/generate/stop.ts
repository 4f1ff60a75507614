// Stop strings and stop tokens. The matcher is fed the text deltas of one sequence; it reports the
// first stop string to complete (also across deltas) and passes on the text before it. A tail that could
// still become a stop string is held back, so a stream never shows part of a stop string that later
// matches; at the end of a generation without a match, flush() releases it.

export interface StopResult {
  /** Text safe to emit now; when stopped, everything up to (excluding) the stop string. */
  readonly text: string;
  /** The stop string that matched, or null. */
  readonly stop: string | null;
}

export class StopMatcher {
  private readonly stops: readonly string[];
  private held = '';
  private matched: string | null = null;

  constructor(stops: readonly string[]) {
    for (const s of stops) {
      if (typeof s !== 'string' || s === '') throw new RangeError('stop: stop strings must be non-empty strings');
    }
    this.stops = [...new Set(stops)];
  }

  /** The stop string that matched, or null while none has. */
  get stopped(): string | null {
    return this.matched;
  }

  /** Feeds a delta. After a match, further deltas are ignored and give ''. */
  push(delta: string): StopResult {
    if (this.matched !== null) return { text: '', stop: this.matched };
    const text = this.held + delta;
    // The stop string that is complete first wins (the earliest end; at the same end, the earliest
    // start), so the outcome does not depend on how the text was cut into deltas.
    let at = -1;
    let end = Infinity;
    let which: string | null = null;
    for (const s of this.stops) {
      const i = text.indexOf(s);
      if (i >= 0 && (i + s.length < end || (i + s.length === end && i < at))) {
        at = i;
        end = i + s.length;
        which = s;
      }
    }
    if (which !== null) {
      this.matched = which;
      this.held = '';
      return { text: text.slice(0, at), stop: which };
    }
    let keep = 0;
    for (const s of this.stops) keep = Math.max(keep, partialMatchLength(text, s));
    this.held = text.slice(text.length - keep);
    return { text: text.slice(0, text.length - keep), stop: null };
  }

  /** At the end of the generation: the held-back tail ('' after a match). */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `s` (text that may still become `s`). */
export function partialMatchLength(text: string, s: string): number {
  for (let n = Math.min(text.length, s.length - 1); n > 0; n--) {
    if (s.startsWith(text.slice(text.length - n))) return n;
  }
  return 0;
}

/**
 * The set of token ids that end a generation: the model's EOS (generation_config's eos_token_id is a
 * number or a list) plus any extra ones a request names.
 */
export function stopTokenIds(eos: number | readonly number[] | null | undefined, extra: readonly number[] = []): ReadonlySet<number> {
  const ids = [...(eos === null || eos === undefined ? [] : typeof eos === 'number' ? [eos] : eos), ...extra];
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0) throw new RangeError(`stop: stop token ids must be integers ≥ 0, got ${id}`);
  }
  return new Set(ids);
}
