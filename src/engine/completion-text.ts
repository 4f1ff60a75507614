// A completion as text in R1's layout (DESIGN.md): the reasoning, `\n</think>\n\n`, the answer. The
// engine's reasoning parser drops the newlines around the tags and a remote engine returns only the two
// texts, so scorers and trace writers rebuild the layout here, once. A sample cut off inside its
// reasoning has no closing tag (so no answer).

import type { Completion } from './types.js';

/**
 * The text after the template's `<think>\n` (what reward functions with `reasoningOpened` read), or with
 * `openTag` the whole assistant turn from `<think>\n` on (what SFT data holds).
 */
export function completionText(c: Pick<Completion, 'reasoning' | 'content' | 'truncatedReasoning'>, options: { openTag?: boolean } = {}): string {
  const body = c.truncatedReasoning ? c.reasoning.trim() : `${c.reasoning.trim()}\n</think>\n\n${c.content.trim()}`;
  return options.openTag ? `<think>\n${body}` : body;
}
