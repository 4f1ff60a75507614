// The one error type of the tokenizer layer. Its message names the file (or template) at fault, what
// was wrong and what to do, so the CLI can print it alone, without a stack trace.

export class TokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerError';
  }
}

/** How a bad value is shown in a message: JSON, cut short, so that "8" (a string) and 8 (a number) differ. */
export function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  try {
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return String(v);
  }
}
