// A Hugging Face tokenizer (tokenizer.json + tokenizer_config.json) behind a small typed surface:
// encode/decode, the named special tokens and their ids, the chat templates. The tokenization itself
// is @huggingface/tokenizers (pure JS: byte-level BPE, WordPiece, Unigram, with the normalizers,
// pre-tokenizers and decoders of the Rust library); this class adds the file handling, the checks at
// the boundary and the two conventions the library leaves to transformers: `add_bos_token` /
// `add_eos_token` from tokenizer_config.json, and decoding ids that the vocabulary lacks as nothing.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { checkTokenizerJson, parseTokenizerConfig } from './config.js';
import type { TokenizerConfig } from './config.js';
import { show, TokenizerError } from './errors.js';

export interface EncodeOptions {
  /** Add the tokenizer's own special tokens (BOS for DeepSeek/Llama files). Default true, as in transformers. */
  readonly addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Drop tokens marked `special` (BOS, EOS, pad); R1's `<think>` and role tokens are not special. Default false. */
  readonly skipSpecialTokens?: boolean;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new TokenizerError(`${path} is not valid JSON (${(e as Error).message}); re-download or re-save the file`);
  }
}

export class Tokenizer {
  /** Size of the id space: the largest id in the vocabulary or the added tokens, plus one. */
  readonly vocabSize: number;
  readonly bosToken: string | null;
  readonly bosTokenId: number | null;
  readonly eosToken: string | null;
  readonly eosTokenId: number | null;
  readonly padToken: string | null;
  readonly padTokenId: number | null;
  /** Ids of the tokens marked special (skipped by `decode(ids, {skipSpecialTokens: true})`), ascending. */
  readonly specialTokenIds: readonly number[];
  /** Chat templates by name ("default" for a plain `chat_template` string). */
  readonly chatTemplates: ReadonlyMap<string, string>;
  private readonly special: ReadonlySet<number>;
  /** Whether the file's post-processor adds special tokens itself (then add_bos/add_eos are not applied again). */
  private readonly postProcessorAdds: boolean;

  private constructor(
    private readonly hf: HfTokenizer,
    private readonly config: TokenizerConfig,
    /** Where the tokenizer came from, for messages. */
    readonly source: string,
  ) {
    let maxId = -1;
    for (const id of hf.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    const idOf = (field: string, token: string | null): number | null => {
      if (token === null) return null;
      const id = hf.token_to_id(token);
      if (id === undefined) {
        throw new TokenizerError(`${config.source}: ${field} ${show(token)} is not in the vocabulary of ${source}; ` +
          'the two files do not belong together');
      }
      return id;
    };
    this.bosToken = config.bosToken;
    this.bosTokenId = idOf('bos_token', config.bosToken);
    this.eosToken = config.eosToken;
    this.eosTokenId = idOf('eos_token', config.eosToken);
    this.padToken = config.padToken;
    this.padTokenId = idOf('pad_token', config.padToken);
    const special = new Set<number>();
    for (const [id, t] of hf.get_added_tokens_decoder()) if (t.special) special.add(id);
    const extra = config.raw.additional_special_tokens;
    if (Array.isArray(extra)) for (const t of extra) if (typeof t === 'string') special.add(idOf('additional_special_tokens', t) as number);
    this.special = special;
    this.specialTokenIds = Object.freeze([...special].sort((a, b) => a - b));
    this.chatTemplates = config.chatTemplates;
    this.postProcessorAdds = hf.encode('a', { add_special_tokens: true }).ids.length !==
      hf.encode('a', { add_special_tokens: false }).ids.length;
  }

  /**
   * Loads a Hugging Face tokenizer folder: tokenizer.json (required), tokenizer_config.json (optional:
   * special tokens, chat template) and chat_template.jinja (newer transformers write the template there).
   * A path to the tokenizer.json itself is accepted too.
   */
  static fromFiles(dir: string): Tokenizer {
    if (!existsSync(dir)) throw new TokenizerError(`tokenizer folder ${dir} does not exist`);
    if (statSync(dir).isFile()) {
      if (basename(dir) !== 'tokenizer.json') {
        throw new TokenizerError(`${dir} is a file; pass the folder that holds tokenizer.json and tokenizer_config.json`);
      }
      dir = dirname(dir);
    }
    const jsonPath = join(dir, 'tokenizer.json');
    if (!existsSync(jsonPath)) {
      const hint = existsSync(join(dir, 'tokenizer.model'))
        ? 'only tokenizer.model (SentencePiece) is there; save the tokenizer with transformers (save_pretrained) to get tokenizer.json'
        : 'a Hugging Face tokenizer folder holds tokenizer.json and tokenizer_config.json';
      throw new TokenizerError(`${dir} has no tokenizer.json: ${hint}`);
    }
    const configPath = join(dir, 'tokenizer_config.json');
    const config = existsSync(configPath) ? readJson(configPath) : {};
    const jinjaPath = join(dir, 'chat_template.jinja');
    if (existsSync(jinjaPath) && typeof config === 'object' && config !== null && !('chat_template' in config)) {
      (config as Record<string, unknown>).chat_template = readFileSync(jinjaPath, 'utf8');
    }
    return Tokenizer.fromJson(readJson(jsonPath), config, jsonPath);
  }

  /** Builds a tokenizer from the parsed files; `source` names them in error messages. */
  static fromJson(tokenizerJson: unknown, tokenizerConfig: unknown = {}, source = 'tokenizer.json'): Tokenizer {
    checkTokenizerJson(tokenizerJson, source);
    const configSource = source.endsWith('tokenizer.json') ? source.replace(/tokenizer\.json$/, 'tokenizer_config.json') : source;
    const config = parseTokenizerConfig(tokenizerConfig, configSource);
    let hf: HfTokenizer;
    try {
      hf = new HfTokenizer({ added_tokens: [], ...tokenizerJson }, config.raw);
    } catch (e) {
      throw new TokenizerError(`${source}: cannot be loaded: ${(e as Error).message}`);
    }
    return new Tokenizer(hf, config, source);
  }

  /** Token ids of `text`; special-token strings in the text (`<｜User｜>`) become their single ids. */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const add = opts.addSpecialTokens ?? true;
    const ids: (number | undefined)[] = this.hf.encode(text, { add_special_tokens: add }).ids;
    const missing = ids.indexOf(undefined);
    if (missing >= 0) {
      const token = this.hf.encode(text, { add_special_tokens: add }).tokens[missing];
      throw new TokenizerError(`${this.source}: ${show(token)} is not in the vocabulary and the tokenizer has no unk_token`);
    }
    const out = ids as number[];
    if (add && !this.postProcessorAdds) {
      if (this.config.addBosToken && this.bosTokenId !== null) out.unshift(this.bosTokenId);
      if (this.config.addEosToken && this.eosTokenId !== null) out.push(this.eosTokenId);
    }
    return out;
  }

  /** The text of `ids`. Ids outside the vocabulary decode to nothing (as in the Rust library). */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    const kept: number[] = [];
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0) throw new TokenizerError(`decode: token ids must be non-negative integers, got ${show(id)}`);
      if (this.hf.id_to_token(id) === undefined) continue;
      if (opts.skipSpecialTokens && this.special.has(id)) continue;
      kept.push(id);
    }
    return kept.length === 0 ? '' : this.hf.decode(kept, { skip_special_tokens: false });
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  /** The vocabulary string of `id` (byte-level BPE shows bytes as GPT-2 characters: `Ġ` is a space). */
  idToToken(id: number): string | undefined {
    return Number.isInteger(id) && id >= 0 ? this.hf.id_to_token(id) : undefined;
  }

  isSpecial(id: number): boolean {
    return this.special.has(id);
  }
}
