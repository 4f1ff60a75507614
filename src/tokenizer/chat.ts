// Chat prompts: the file's own Jinja `chat_template`, rendered with @huggingface/jinja, after the
// DeepSeek-R1 conventions (deepseek-architecture.md §6.2–6.3) have been applied to the messages:
//
//   foldSystem      R1 advises against a system prompt: system text goes to the front of the first
//                   user turn (joined with "\n\n") instead of after BOS.
//   stripReasoning  assistant turns before the last user turn lose their reasoning (R1's template keeps
//                   only the text after the last `</think>`). A turn after the last user turn (the
//                   answer of a training sample) keeps it, written `<think>\n…\n</think>\n\n` + content.
//   mathDirective   "Please reason step by step, and put your final answer within \boxed{}." is
//                   appended to the last user turn ("\n" + directive), unless it is already there.
//   forceThink      the generation prompt ends in `<think>\n`, so the model cannot skip thinking.
//
// All four default to on. They add what a template lacks (DeepSeek-V3's template has none of them)
// and leave alone what a template already does: R1's own template ends in `<think>\n` and strips
// reasoning itself, so switching an option off cannot undo that.

import { Template } from '@huggingface/jinja';
import { TokenizerError } from './errors.js';
import type { Tokenizer } from './tokenizer.js';

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
  /** The reasoning of an assistant turn, apart from its answer (as the DeepSeek API returns it). */
  readonly reasoning_content?: string;
}

export interface R1Options {
  readonly foldSystem?: boolean;
  readonly forceThink?: boolean;
  readonly stripReasoning?: boolean;
  /** true: the standard directive; a string: that directive instead; false: none. */
  readonly mathDirective?: boolean | string;
}

export interface ChatTemplateOptions {
  /** End with the opening of an assistant turn (`<｜Assistant｜>`), ready to generate. Default false, as in transformers. */
  readonly addGenerationPrompt?: boolean;
  /** The R1 conventions; each defaults to on (R1_DEFAULTS). */
  readonly r1?: R1Options;
  /** Which of the file's named templates to use; default "default" (or the only one). */
  readonly templateName?: string;
  /** A template to use instead of the file's. */
  readonly chatTemplate?: string;
  /** Extra template variables (transformers' chat_template_kwargs, e.g. `{thinking: true}`). */
  readonly variables?: Readonly<Record<string, unknown>>;
}

export const MATH_DIRECTIVE = 'Please reason step by step, and put your final answer within \\boxed{}.';

export const R1_DEFAULTS: Readonly<Required<R1Options>> = Object.freeze({
  foldSystem: true,
  forceThink: true,
  stripReasoning: true,
  mathDirective: true,
});

/** The options with every R1 convention off: the template's output, unchanged. */
export const R1_OFF: Readonly<Required<R1Options>> = Object.freeze({
  foldSystem: false,
  forceThink: false,
  stripReasoning: false,
  mathDirective: false,
});

/** An assistant turn as the model writes it: `<think>\n{reasoning}\n</think>\n\n{answer}`. */
function withReasoning(m: ChatMessage): string {
  if (m.reasoning_content === undefined || m.content.includes('</think>')) return m.content;
  return `<think>\n${m.reasoning_content}\n</think>\n\n${m.content}`;
}

/** The answer alone: the text after the last `</think>` (exactly what R1's template keeps). */
function answerOnly(content: string): string {
  const at = content.lastIndexOf('</think>');
  return at < 0 ? content : content.slice(at + '</think>'.length);
}

/**
 * Applies foldSystem, stripReasoning and mathDirective to a conversation (pure: data in, data out).
 * The result holds plain {role, content} messages, reasoning already written into the content.
 */
export function prepareR1Messages(messages: readonly ChatMessage[], r1: R1Options = {}): ChatMessage[] {
  const o = { ...R1_DEFAULTS, ...r1 };
  const lastUser = messages.findLastIndex((m) => m.role === 'user');
  let out: ChatMessage[] = messages.map((m, i) => {
    if (m.role !== 'assistant') return { role: m.role, content: m.content };
    const strip = o.stripReasoning && i < lastUser;
    return { role: m.role, content: strip ? answerOnly(m.content) : withReasoning(m) };
  });
  if (o.mathDirective !== false && lastUser >= 0) {
    const directive = o.mathDirective === true ? MATH_DIRECTIVE : o.mathDirective;
    const m = out[lastUser];
    if (!m.content.includes(directive)) out[lastUser] = { role: 'user', content: `${m.content}\n${directive}` };
  }
  if (o.foldSystem) {
    const system = out.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
    const firstUser = out.findIndex((m) => m.role === 'user');
    if (system !== '' && firstUser >= 0) {
      out = out.map((m, i) => (i === firstUser ? { role: 'user', content: `${system}\n\n${m.content}` } : m));
      out = out.filter((m) => m.role !== 'system');
    }
  }
  return out;
}

/** The template text: an explicit one, else the file's named one, else its default. */
function templateOf(tokenizer: Tokenizer, opts: ChatTemplateOptions): string {
  if (opts.chatTemplate !== undefined) return opts.chatTemplate;
  const all = tokenizer.chatTemplates;
  if (all.size === 0) {
    throw new TokenizerError(`${tokenizer.source}: tokenizer_config.json has no chat_template; ` +
      'use a tokenizer that ships one or pass {chatTemplate}');
  }
  const name = opts.templateName ?? (all.size === 1 ? [...all.keys()][0] : 'default');
  const text = all.get(name);
  if (text === undefined) {
    throw new TokenizerError(`${tokenizer.source}: no chat template named ${JSON.stringify(name)}; ` +
      `it has ${[...all.keys()].map((k) => JSON.stringify(k)).join(', ')}`);
  }
  return text;
}

const parsed = new Map<string, Template>();

function compile(text: string, source: string): Template {
  let t = parsed.get(text);
  if (t === undefined) {
    try {
      t = new Template(text);
    } catch (e) {
      throw new TokenizerError(`${source}: the chat template does not parse: ${(e as Error).message}`);
    }
    if (parsed.size >= 16) parsed.clear();
    parsed.set(text, t);
  }
  return t;
}

/** The prompt text of a conversation, BOS included (so encode it without adding special tokens). */
export function applyChatTemplate(tokenizer: Tokenizer, messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): string {
  const r1 = { ...R1_DEFAULTS, ...opts.r1 };
  const addGenerationPrompt = opts.addGenerationPrompt ?? false;
  const template = compile(templateOf(tokenizer, opts), tokenizer.source);
  let text: string;
  try {
    text = template.render({
      ...opts.variables,
      messages: prepareR1Messages(messages, r1),
      add_generation_prompt: addGenerationPrompt,
      bos_token: tokenizer.bosToken ?? '',
      eos_token: tokenizer.eosToken ?? '',
      pad_token: tokenizer.padToken ?? '',
    }); // raise_exception(message) is built in: it throws, and lands below
  } catch (e) {
    throw new TokenizerError(`${tokenizer.source}: the chat template failed: ${(e as Error).message}`);
  }
  if (r1.forceThink && addGenerationPrompt && !text.endsWith('<think>\n')) {
    text += text.endsWith('<think>') ? '\n' : '<think>\n';
  }
  return text;
}

/** The prompt's token ids: applyChatTemplate, encoded without adding special tokens a second time. */
export function encodeChat(tokenizer: Tokenizer, messages: readonly ChatMessage[], opts: ChatTemplateOptions = {}): number[] {
  return tokenizer.encode(applyChatTemplate(tokenizer, messages, opts), { addSpecialTokens: false });
}
