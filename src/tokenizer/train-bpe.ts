// A byte-level BPE trainer for the miniature models. It writes a standard Hugging Face tokenizer.json
// (model BPE, Split + ByteLevel pre-tokenizer, ByteLevel decoder, as Qwen2's file) and a
// tokenizer_config.json in DeepSeek's style (LlamaTokenizerFast, add_bos_token, R1 chat template), so
// a trained tokenizer loads through Tokenizer.fromFiles like any downloaded one.
//
// Ids: the R1 control tokens first (0 BOS, 1 EOS, 2 pad, 3 User, 4 Assistant, 5 <think>, 6 </think>),
// then any extra special tokens, then the 256 bytes in byte order, then one token per merge.
//
// Training, in steps:
//   1. cut the corpus at special-token strings, then into words (PRETOKENIZE_PATTERN); count each word;
//   2. spell every distinct word as bytes; count adjacent pairs (times the word's count) and note which
//      words hold each pair;
//   3. repeat until the vocabulary is full or no pair occurs minFrequency times: take the most frequent
//      pair (ties: the smaller left id, then the smaller right id), make it a token, and rewrite only
//      the words that hold it, updating the pair counts by the difference (no recount).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BYTE_TO_CHAR, PRETOKENIZE_PATTERN } from './byte-level.js';
import { TokenizerError } from './errors.js';
import { R1_CHAT_TEMPLATE, R1_TOKENS } from './r1-format.js';

export interface TrainBpeOptions {
  /** Total vocabulary: special tokens + 256 bytes + merges (TINY_VOCAB_SIZE = 1024 for the tiny presets). */
  readonly vocabSize: number;
  /** A pair must occur at least this often to be merged. Default 2. */
  readonly minFrequency?: number;
  /** More special tokens after R1's seven (ids 7, 8, …). */
  readonly extraSpecialTokens?: readonly string[];
  /** tokenizer_config.json's model_max_length. Default 2048 (the tiny presets' context). */
  readonly modelMaxLength?: number;
}

export interface TrainedBpe {
  /** The tokenizer.json object. */
  readonly tokenizerJson: Readonly<Record<string, unknown>>;
  /** The tokenizer_config.json object. */
  readonly tokenizerConfig: Readonly<Record<string, unknown>>;
  /** Tokens in the vocabulary (≤ vocabSize when the corpus runs out of pairs). */
  readonly vocabSize: number;
  readonly merges: number;
}

/** [special?] of R1's control tokens: BOS, EOS and pad are special (skipped on decode), the rest are not, as in R1. */
const R1_SPECIALS: readonly (readonly [string, boolean])[] = [
  [R1_TOKENS.bos, true], [R1_TOKENS.eos, true], [R1_TOKENS.pad, true], [R1_TOKENS.user, false],
  [R1_TOKENS.assistant, false], [R1_TOKENS.thinkStart, false], [R1_TOKENS.thinkEnd, false],
];

/** Pair key: left id · 2²¹ + right id (exact in a double for ids < 2²¹). */
const SHIFT = 2 ** 21;

/** Max-heap of (count, pair), ties to the smaller pair key; stale entries are skipped by the caller. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];

  get size(): number {
    return this.counts.length;
  }

  private above(i: number, j: number): boolean {
    const c = this.counts, k = this.keys;
    return c[i] > c[j] || (c[i] === c[j] && k[i] < k[j]);
  }

  private swap(i: number, j: number): void {
    const c = this.counts, k = this.keys;
    [c[i], c[j]] = [c[j], c[i]];
    [k[i], k[j]] = [k[j], k[i]];
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    for (let i = this.counts.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (!this.above(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Removes the top; returns [count, key]. Call only when size > 0. */
  pop(): [number, number] {
    const top: [number, number] = [this.counts[0], this.keys[0]];
    const lastC = this.counts.pop() as number, lastK = this.keys.pop() as number;
    const n = this.counts.length;
    if (n > 0) {
      this.counts[0] = lastC;
      this.keys[0] = lastK;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let best = i;
        if (l < n && this.above(l, best)) best = l;
        if (r < n && this.above(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Step 1: distinct words and their counts, special-token strings cut out. */
function countWords(corpus: string | readonly string[], specials: readonly string[]): Map<string, number> {
  const words = new Map<string, number>();
  const cut = new RegExp(specials.map(escapeRegExp).join('|'), 'gu');
  const split = new RegExp(PRETOKENIZE_PATTERN, 'gu');
  for (const doc of typeof corpus === 'string' ? [corpus] : corpus) {
    for (const piece of doc.split(cut)) {
      for (const m of piece.matchAll(split)) words.set(m[0], (words.get(m[0]) ?? 0) + 1);
    }
  }
  return words;
}

/** Trains a byte-level BPE on `corpus` (one text, or documents that merges never cross). Deterministic. */
export function trainBpe(corpus: string | readonly string[], opts: TrainBpeOptions): TrainedBpe {
  const specials: (readonly [string, boolean])[] = [...R1_SPECIALS, ...(opts.extraSpecialTokens ?? []).map((t): [string, boolean] => [t, true])];
  const specialNames = specials.map(([t]) => t);
  if (new Set(specialNames).size !== specialNames.length) throw new TokenizerError('trainBpe: extraSpecialTokens repeat a special token');
  const minVocab = specials.length + 256;
  if (!Number.isInteger(opts.vocabSize) || opts.vocabSize < minVocab || opts.vocabSize >= SHIFT) {
    throw new TokenizerError(`trainBpe: vocabSize must be an integer from ${minVocab} (special tokens + 256 bytes) to ${SHIFT - 1}, got ${opts.vocabSize}`);
  }
  const minFrequency = opts.minFrequency ?? 2;
  const specialSet = new Set(specialNames);

  // Step 2. Internal ids: 0–255 the bytes, 256… the merges; the file shifts them past the specials.
  const tokens: string[] = [...BYTE_TO_CHAR];
  const idOf = new Map<string, number>(tokens.map((t, i) => [t, i]));
  const words: number[][] = [];
  const freqs: number[] = [];
  const encoder = new TextEncoder();
  for (const [word, n] of countWords(corpus, specialNames)) {
    words.push([...encoder.encode(word)]);
    freqs.push(n);
  }
  const pairCount = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const note = (key: number, w: number): void => {
    let s = where.get(key);
    if (s === undefined) where.set(key, (s = new Set()));
    s.add(w);
  };
  words.forEach((syms, w) => {
    for (let i = 0; i + 1 < syms.length; i++) {
      const key = syms[i] * SHIFT + syms[i + 1];
      pairCount.set(key, (pairCount.get(key) ?? 0) + freqs[w]);
      note(key, w);
    }
  });
  const heap = new PairHeap();
  for (const [key, n] of pairCount) heap.push(n, key);

  // Step 3.
  const merges: [number, number][] = [];
  let size = minVocab;
  while (size < opts.vocabSize && heap.size > 0) {
    const [count, key] = heap.pop();
    const current = pairCount.get(key) ?? 0;
    if (current !== count) {
      if (current > 0 && current < count) heap.push(current, key); // counts of old pairs only fall
      continue;
    }
    if (count < minFrequency) break;
    const a = Math.floor(key / SHIFT), b = key % SHIFT;
    const text = tokens[a] + tokens[b];
    if (specialSet.has(text)) { // never learn a special token's string as an ordinary token
      pairCount.delete(key);
      continue;
    }
    let c = idOf.get(text);
    if (c === undefined) { // two merge paths can spell the same string: they share one id
      c = tokens.length;
      tokens.push(text);
      idOf.set(text, c);
      size++;
    }
    merges.push([a, b]);
    const grown = new Set<number>();
    for (const w of where.get(key) ?? []) {
      const syms = words[w];
      const next: number[] = [];
      for (let i = 0; i < syms.length;) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
          next.push(c);
          i += 2;
        } else next.push(syms[i++]);
      }
      if (next.length === syms.length) continue; // the word lost this pair in an earlier merge
      const delta = new Map<number, number>();
      for (let i = 0; i + 1 < syms.length; i++) {
        const k = syms[i] * SHIFT + syms[i + 1];
        delta.set(k, (delta.get(k) ?? 0) - 1);
      }
      for (let i = 0; i + 1 < next.length; i++) {
        const k = next[i] * SHIFT + next[i + 1];
        delta.set(k, (delta.get(k) ?? 0) + 1);
      }
      for (const [k, d] of delta) {
        if (d === 0) continue;
        pairCount.set(k, (pairCount.get(k) ?? 0) + d * freqs[w]);
        if (d > 0) {
          grown.add(k);
          note(k, w);
        }
      }
      words[w] = next;
    }
    pairCount.delete(key);
    where.delete(key);
    for (const k of grown) heap.push(pairCount.get(k) as number, k);
  }
  return build(specials, tokens, merges, opts.modelMaxLength ?? 2048);
}

/** The two files' objects, in the layout `tokenizers` writes. */
function build(specials: readonly (readonly [string, boolean])[], tokens: readonly string[], merges: readonly [number, number][], modelMaxLength: number): TrainedBpe {
  const offset = specials.length;
  const vocab: Record<string, number> = {};
  specials.forEach(([t], id) => (vocab[t] = id));
  tokens.forEach((t, i) => (vocab[t] = offset + i));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map(([content, special], id) => ({
      id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special,
    })),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: PRETOKENIZE_PATTERN }, behavior: 'Isolated', invert: false },
        byteLevel,
      ],
    },
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false,
      vocab,
      merges: merges.map(([a, b]) => `${tokens[a]} ${tokens[b]}`),
    },
  };
  const tokenizerConfig = {
    add_bos_token: true,
    add_eos_token: false,
    bos_token: R1_TOKENS.bos,
    eos_token: R1_TOKENS.eos,
    pad_token: R1_TOKENS.pad,
    unk_token: null,
    clean_up_tokenization_spaces: false,
    model_max_length: modelMaxLength,
    tokenizer_class: 'LlamaTokenizerFast',
    chat_template: R1_CHAT_TEMPLATE,
  };
  return { tokenizerJson, tokenizerConfig, vocabSize: offset + tokens.length, merges: merges.length };
}

/** Writes tokenizer.json and tokenizer_config.json into `dir` (created if missing). */
export function saveTrainedBpe(trained: TrainedBpe, dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tokenizer.json'), `${JSON.stringify(trained.tokenizerJson, null, 2)}\n`);
  writeFileSync(join(dir, 'tokenizer_config.json'), `${JSON.stringify(trained.tokenizerConfig, null, 2)}\n`);
}
