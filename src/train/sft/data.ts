// SFT records: JSONL lines turned into conversations with the turns to learn marked. Two shapes, as TRL
// reads them, with the field names mappable:
//
//   {"messages": [{"role", "content", "reasoning_content"?}, …]}       every assistant turn is learned
//                                                                       (or the last one only: turns)
//   {"prompt": "…" | [messages], "completion": "…" | [messages]}       only the completion is learned;
//                                                                       a string prompt is one user turn
//
// Reasoning may sit inside an assistant content as `<think>…</think>` or in its own field; a string
// completion takes the record's reasoning field. Lines that are not valid fail with the file, line and
// field at fault, or are skipped and counted (onBadLine: 'skip').

import { readFileSync } from 'node:fs';
import type { ChatMessage, ChatRole } from '../../tokenizer/index.js';

/** A conversation and which of its assistant turns the loss covers. */
export interface SftExample {
  readonly messages: readonly ChatMessage[];
  /** Ordinals among the assistant messages (0 = the first one) that are learned; default: all of them. */
  readonly learn?: readonly number[];
  /** Where it came from, for messages ("data.jsonl:12"). */
  readonly origin?: string;
}

/** Names of the record fields (TRL's names by default). */
export interface SftFields {
  readonly messages: string;
  readonly prompt: string;
  readonly completion: string;
  readonly role: string;
  readonly content: string;
  /** Reasoning of an assistant message, or of a string completion. */
  readonly reasoning: string;
}

export interface SftDataOptions {
  readonly fields?: Partial<SftFields>;
  /** Learn every assistant turn of a conversation (default) or only its last one. */
  readonly turns?: 'all' | 'last';
  /** A bad line stops reading with an error (default) or is skipped and counted. */
  readonly onBadLine?: 'error' | 'skip';
  /** Role names of the data mapped to ours, e.g. ShareGPT's {human: 'user', gpt: 'assistant'}. */
  readonly roleNames?: Readonly<Record<string, ChatRole>>;
}

export const SFT_FIELDS: Readonly<SftFields> = Object.freeze({
  messages: 'messages', prompt: 'prompt', completion: 'completion', role: 'role', content: 'content', reasoning: 'reasoning_content',
});

const ROLES: readonly ChatRole[] = ['system', 'user', 'assistant'];

/** A record that does not fit either shape; the message names the line and the field. */
export class SftDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SftDataError';
  }
}

export interface SftFile {
  readonly examples: SftExample[];
  /** Lines skipped under onBadLine: 'skip', with the reason for each. */
  readonly skipped: { readonly line: number; readonly reason: string }[];
}

/** Reads a JSONL file of SFT records (blank lines are ignored). */
export function readSftFile(path: string, options: SftDataOptions = {}): SftFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SftDataError(`cannot read the SFT data file ${path}: ${(e as Error).message}`);
  }
  return parseSftJsonl(text, path, options);
}

/** Parses JSONL text; `source` names it in messages. */
export function parseSftJsonl(text: string, source: string, options: SftDataOptions = {}): SftFile {
  const examples: SftExample[] = [];
  const skipped: { line: number; reason: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const where = `${source}:${i + 1}`;
    try {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch (e) {
        throw new SftDataError(`${where}: not valid JSON (${(e as Error).message}); each line must hold one JSON object`);
      }
      examples.push(sftExample(record, where, options));
    } catch (e) {
      if (!(e instanceof SftDataError) || options.onBadLine !== 'skip') throw e;
      skipped.push({ line: i + 1, reason: e.message });
    }
  });
  return { examples, skipped };
}

/** One record (already parsed JSON) as an example; `where` prefixes error messages. */
export function sftExample(record: unknown, where: string, options: SftDataOptions = {}): SftExample {
  const f = { ...SFT_FIELDS, ...options.fields };
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new SftDataError(`${where}: a record must be a JSON object with "${f.messages}" or "${f.prompt}" and "${f.completion}"`);
  }
  const r = record as Record<string, unknown>;
  if (r[f.messages] !== undefined) {
    const messages = parseMessages(r[f.messages], f.messages, where, f, options.roleNames);
    const assistants = messages.filter((m) => m.role === 'assistant').length;
    if (assistants === 0) throw new SftDataError(`${where}: field "${f.messages}" has no assistant message, so there is nothing to learn`);
    const learn = options.turns === 'last' ? [assistants - 1] : Array.from({ length: assistants }, (_, k) => k);
    return { messages, learn, origin: where };
  }
  if (r[f.prompt] === undefined || r[f.completion] === undefined) {
    throw new SftDataError(`${where}: the record needs "${f.messages}", or both "${f.prompt}" and "${f.completion}" ` +
      `(it has ${Object.keys(r).map((k) => JSON.stringify(k)).join(', ') || 'no fields'}); map other names with the fields option`);
  }
  const prompt = typeof r[f.prompt] === 'string'
    ? [{ role: 'user' as const, content: r[f.prompt] as string }]
    : parseMessages(r[f.prompt], f.prompt, where, f, options.roleNames);
  let completion: ChatMessage[];
  if (typeof r[f.completion] === 'string') {
    const reasoning = r[f.reasoning];
    if (reasoning !== undefined && typeof reasoning !== 'string') throw new SftDataError(`${where}: field "${f.reasoning}" must be a string`);
    completion = [{ role: 'assistant', content: r[f.completion] as string, ...(reasoning !== undefined ? { reasoning_content: reasoning } : {}) }];
  } else {
    completion = parseMessages(r[f.completion], f.completion, where, f, options.roleNames);
  }
  const before = prompt.filter((m) => m.role === 'assistant').length;
  const learned = completion.filter((m) => m.role === 'assistant').length;
  if (learned === 0) throw new SftDataError(`${where}: field "${f.completion}" has no assistant message, so there is nothing to learn`);
  return { messages: [...prompt, ...completion], learn: Array.from({ length: learned }, (_, k) => before + k), origin: where };
}

function parseMessages(value: unknown, field: string, where: string, f: SftFields, roleNames: Readonly<Record<string, ChatRole>> = {}): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new SftDataError(`${where}: field "${field}" must be a non-empty array of {"${f.role}", "${f.content}"} messages`);
  }
  return value.map((m: unknown, j) => {
    const at = `${field}[${j}]`;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new SftDataError(`${where}: field "${at}" must be an object with "${f.role}" and "${f.content}"`);
    const o = m as Record<string, unknown>;
    const given = o[f.role];
    const role = typeof given === 'string' && Object.hasOwn(roleNames, given) ? roleNames[given] : given;
    if (!ROLES.includes(role as ChatRole)) {
      const names = [...ROLES, ...Object.keys(roleNames)].join(', ');
      throw new SftDataError(`${where}: field "${at}.${f.role}" is ${JSON.stringify(given) ?? 'missing'}; it must be one of ${names} (map other names with roleNames)`);
    }
    const content = o[f.content];
    if (typeof content !== 'string') throw new SftDataError(`${where}: field "${at}.${f.content}" must be a string (got ${content === null ? 'null' : typeof content})`);
    const reasoning = o[f.reasoning];
    if (reasoning !== undefined && reasoning !== null && typeof reasoning !== 'string') {
      throw new SftDataError(`${where}: field "${at}.${f.reasoning}" must be a string`);
    }
    if (typeof reasoning === 'string' && role !== 'assistant') {
      throw new SftDataError(`${where}: field "${at}.${f.reasoning}" is only allowed on assistant messages`);
    }
    return { role: role as ChatRole, content, ...(typeof reasoning === 'string' ? { reasoning_content: reasoning } : {}) };
  });
}
