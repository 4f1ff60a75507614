// An SFT example as token ids and a loss mask, rendered through the tokenizer's chat template with the
// R1 conventions, so that training text is exactly what generation sees (LocalEngine renders prompts
// with the same function and options).
//
// The learned span of an assistant turn is found by rendering, not by searching for marker tokens:
//   1. apply the R1 conventions once to the whole conversation (prepareR1Messages), then render the
//      result with the template alone: the full text;
//   2. for each learned turn, render the messages before it with the generation prompt (ending in
//      `<think>\n` under forceThink, or the bare assistant opening when the turn does not start with
//      one): the span starts where that text ends;
//   3. render the messages up to and including the turn: the span ends there (with the EOS the
//      template closes the turn with);
//   4. both renders must be text prefixes of the full text; their token ids are compared with the
//      full text's ids, and a token that straddles a boundary (a BPE merge across it) is learned.
// A turn whose reasoning the template drops (R1's own template keeps only the text after </think>)
// is refused rather than silently trained as an answer without thinking.

import type { ChatMessage, ChatTemplateOptions, R1Options, Tokenizer } from '../../tokenizer/index.js';
import { applyChatTemplate, prepareR1Messages, R1_DEFAULTS, R1_OFF } from '../../tokenizer/index.js';
import type { SftExample } from './data.js';
import { SftDataError } from './data.js';

/** Token ids and, per position, whether the loss learns that token. */
export interface TokenizedExample {
  readonly ids: Int32Array;
  /** 1 where the token is part of a learned assistant turn. */
  readonly mask: Uint8Array;
  readonly origin?: string;
}

export interface RenderOptions {
  /** R1 conventions (each defaults to on, as in applyChatTemplate and the engine). */
  readonly r1?: R1Options;
  /** A chat template to use instead of the tokenizer's, or the name of one of its templates. */
  readonly chatTemplate?: string;
  readonly templateName?: string;
}

/** Renders one example and marks its learned tokens. */
export function tokenizeExample(tokenizer: Tokenizer, example: SftExample, options: RenderOptions = {}): TokenizedExample {
  const where = example.origin ?? 'example';
  const r1 = { ...R1_DEFAULTS, ...options.r1 };
  const prepared = prepareR1Messages(example.messages, r1);
  const base: ChatTemplateOptions = {
    r1: { ...R1_OFF, forceThink: r1.forceThink },
    ...(options.chatTemplate !== undefined ? { chatTemplate: options.chatTemplate } : {}),
    ...(options.templateName !== undefined ? { templateName: options.templateName } : {}),
  };
  const render = (messages: readonly ChatMessage[], o: ChatTemplateOptions = {}) => applyChatTemplate(tokenizer, messages, { ...base, ...o });
  const encode = (text: string) => tokenizer.encode(text, { addSpecialTokens: false });

  const fullText = render(prepared);
  const ids = encode(fullText);
  const mask = new Uint8Array(ids.length);
  const assistantAt = prepared.flatMap((m, i) => (m.role === 'assistant' ? [i] : []));
  for (const ordinal of example.learn ?? assistantAt.map((_, k) => k)) {
    const at = assistantAt[ordinal];
    if (at === undefined) throw new SftDataError(`${where}: asks to learn assistant turn ${ordinal + 1} but the conversation has ${assistantAt.length}`);
    const turn = `${where}: assistant turn ${ordinal + 1}`;
    const before = prepared.slice(0, at);
    const through = render(prepared.slice(0, at + 1));
    const content = prepared[at]!.content;
    const reasoning = content.slice(0, content.lastIndexOf('</think>')).trim();
    if (reasoning !== '' && !through.includes(reasoning)) {
      throw new SftDataError(`${turn}: the chat template drops the reasoning (it keeps only the text after </think>, as R1's ` +
        'own template does), so the model would learn answers without thinking; pass a template that keeps it (e.g. R1_CHAT_TEMPLATE) as chatTemplate');
    }
    const opening = [render(before, { addGenerationPrompt: true }), render(before, { addGenerationPrompt: true, r1: R1_OFF })]
      .find((t) => fullText.startsWith(t));
    if (opening === undefined) {
      throw new SftDataError(`${turn}: the chat template renders the conversation before this turn differently from the ` +
        'start of the full conversation, so the turn cannot be located; use a template whose rendering of a prefix is a prefix (pass chatTemplate)');
    }
    if (!fullText.startsWith(through)) {
      throw new SftDataError(`${turn}: the chat template renders this turn differently inside the conversation than at its end ` +
        '(it probably strips the reasoning of earlier turns); keep r1.stripReasoning on, learn only the last turn (turns: \'last\'), or pass a chatTemplate that renders turns the same way');
    }
    const start = sharedPrefix(ids, encode(opening));
    const end = boundaryEnd(ids, encode(through));
    mask.fill(1, start, end);
  }
  if (!mask.some((m) => m === 1)) throw new SftDataError(`${where}: no token is learned (every learned turn renders empty)`);
  return { ids: Int32Array.from(ids), mask, ...(example.origin !== undefined ? { origin: example.origin } : {}) };
}

/** Length of the common prefix of two id lists. */
function sharedPrefix(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Where the turn ends in the full ids: after its last token, or after a token merged across the boundary. */
function boundaryEnd(full: readonly number[], through: readonly number[]): number {
  const common = sharedPrefix(full, through);
  return common === through.length ? common : Math.min(full.length, common + 1);
}

/** Learned tokens of an example: positions whose token the loss predicts (never the first). */
export function learnedTokens(ex: TokenizedExample): number {
  let n = 0;
  for (let i = 1; i < ex.mask.length; i++) n += ex.mask[i]!;
  return n;
}

export type Overflow = 'truncate' | 'drop';

/**
 * Fits an example into maxLength tokens: cut at the end (truncate) or removed (drop → null). A cut
 * that leaves nothing to learn also gives null.
 */
export function fitLength(ex: TokenizedExample, maxLength: number, overflow: Overflow): TokenizedExample | null {
  if (ex.ids.length <= maxLength) return ex;
  if (overflow === 'drop') return null;
  const cut = { ...ex, ids: ex.ids.slice(0, maxLength), mask: ex.mask.slice(0, maxLength) };
  return learnedTokens(cut) > 0 ? cut : null;
}
