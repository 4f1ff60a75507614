// The one error type of the tokenizer layer. Its message names the file (or template) at fault, what
// was wrong and what to do, so the CLI can print it alone, without a stack trace.

export class TokenizerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerError';
  }
}

export { show } from '../util/index.js';
