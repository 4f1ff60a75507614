// Boundary checks for the two Hugging Face tokenizer files. tokenizer.json is only checked for the
// shape the library needs (a `model` with a supported `type`); tokenizer_config.json is read into a
// typed object: the named special tokens, add_bos/add_eos and the chat templates.

import { show, TokenizerError } from './errors.js';

type Json = Readonly<Record<string, unknown>>;

/** Tokenization models the library implements (`model.type` in tokenizer.json). */
export const SUPPORTED_MODELS = ['BPE', 'WordPiece', 'Unigram'] as const;

export interface TokenizerConfig {
  readonly bosToken: string | null;
  readonly eosToken: string | null;
  readonly padToken: string | null;
  readonly unkToken: string | null;
  /** Prepend bos_token on encode (LlamaTokenizerFast files, DeepSeek-V3/R1 among them). */
  readonly addBosToken: boolean;
  /** Append eos_token on encode. */
  readonly addEosToken: boolean;
  /** Chat templates by name; a plain `chat_template` string is stored as "default". */
  readonly chatTemplates: ReadonlyMap<string, string>;
  /** The file's name, for messages. */
  readonly source: string;
  /** The file's object with every AddedToken dict replaced by its content, as the library expects it. */
  readonly raw: Json;
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Throws unless `json` looks like a tokenizer.json the library can load. */
export function checkTokenizerJson(json: unknown, source: string): asserts json is Json {
  if (!isObject(json) || !isObject(json.model)) {
    throw new TokenizerError(`${source}: not a Hugging Face tokenizer.json (no "model" object); ` +
      'pass the tokenizer.json of a tokenizers-format ("fast") tokenizer');
  }
  const type = json.model.type;
  if (type === undefined && isObject(json.model.vocab) && Array.isArray(json.model.merges)) return; // old BPE files
  if (typeof type !== 'string' || !(SUPPORTED_MODELS as readonly string[]).includes(type)) {
    throw new TokenizerError(`${source}: model.type ${show(type)} is not supported; ` +
      `supported: ${SUPPORTED_MODELS.join(', ')}`);
  }
  if (json.added_tokens !== undefined && !Array.isArray(json.added_tokens)) {
    throw new TokenizerError(`${source}: added_tokens must be a list, got ${show(json.added_tokens)}`);
  }
}

/** A special token as tokenizer_config.json writes it: a string, an AddedToken dict, or null. */
function tokenField(obj: Json, key: string, source: string): string | null {
  return tokenValue(obj[key], key, source);
}

function tokenValue(v: unknown, key: string, source: string): string | null {
  if (v == null) return null;
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v.content === 'string') return v.content;
  throw new TokenizerError(`${source}: ${key} must be a string or an AddedToken {"content": ...}, got ${show(v)}`);
}

function boolField(obj: Json, key: string, source: string): boolean {
  const v = obj[key];
  if (v == null) return false;
  if (typeof v !== 'boolean') throw new TokenizerError(`${source}: ${key} must be true or false, got ${show(v)}`);
  return v;
}

/** `chat_template`: one string, or a list of {name, template} (the default one is named "default"). */
function chatTemplates(obj: Json, source: string): Map<string, string> {
  const v = obj.chat_template;
  const out = new Map<string, string>();
  if (v == null) return out;
  if (typeof v === 'string') return out.set('default', v);
  const bad = (): never => {
    throw new TokenizerError(`${source}: chat_template must be a string or a list of {"name", "template"}, got ${show(v)}`);
  };
  if (!Array.isArray(v)) return bad();
  for (const item of v) {
    if (!isObject(item) || typeof item.name !== 'string' || typeof item.template !== 'string') return bad();
    out.set(item.name, item.template);
  }
  return out;
}

const TOKEN_KEYS = ['bos_token', 'eos_token', 'pad_token', 'unk_token', 'sep_token', 'cls_token', 'mask_token'];

/** Reads tokenizer_config.json ({} when the folder has none). */
export function parseTokenizerConfig(json: unknown, source: string): TokenizerConfig {
  if (!isObject(json)) throw new TokenizerError(`${source}: must be a JSON object, got ${show(json)}`);
  const raw: Record<string, unknown> = { ...json };
  for (const key of TOKEN_KEYS) if (key in raw) raw[key] = tokenField(json, key, source);
  if (Array.isArray(json.additional_special_tokens)) {
    raw.additional_special_tokens = json.additional_special_tokens.map((t: unknown, i) =>
      tokenValue(t, `additional_special_tokens[${i}]`, source));
  }
  return {
    bosToken: tokenField(json, 'bos_token', source),
    eosToken: tokenField(json, 'eos_token', source),
    padToken: tokenField(json, 'pad_token', source),
    unkToken: tokenField(json, 'unk_token', source),
    addBosToken: boolField(json, 'add_bos_token', source),
    addEosToken: boolField(json, 'add_eos_token', source),
    chatTemplates: chatTemplates(json, source),
    source,
    raw,
  };
}
