// Incremental detokenization with fake tokenizers whose tokens are raw UTF-8 byte pieces (multi-byte
// characters split across tokens at every position), and a SentencePiece-like one that drops the
// leading space of what it decodes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Detokenizer } from '../../src/generate/stream-decoder.js';
import { StreamDecoder } from '../../src/generate/stream-decoder.js';
import * as T from '../../src/tensor/index.js';

const utf8 = new TextEncoder();

/** Tokens are byte strings; decode concatenates them and replaces broken UTF-8 with U+FFFD, as byte-level BPE does. */
class ByteTokenizer implements Detokenizer {
  private readonly pieces: Uint8Array[] = [];
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  maxWindow = 0;
  work = 0;

  /** Splits `text`'s bytes into tokens of 1..maxLen bytes at random cut points. */
  encode(text: string, rng: T.Rng, maxLen = 4): number[] {
    const bytes = utf8.encode(text);
    const ids: number[] = [];
    for (let i = 0; i < bytes.length;) {
      const n = Math.min(bytes.length - i, 1 + rng.int(maxLen));
      ids.push(this.pieces.push(bytes.slice(i, i + n)) - 1);
      i += n;
    }
    return ids;
  }

  decode(ids: readonly number[]): string {
    this.maxWindow = Math.max(this.maxWindow, ids.length);
    this.work += ids.length;
    const parts = ids.map((id) => this.pieces[id]!);
    const all = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return this.decoder.decode(all);
  }
}

const TEXT = 'héllo wörld 😀 日本語のテキスト 🇯🇵 café ñ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 Ωμέγα — “quotes” 👩‍👩‍👧 done';

function stream(dec: StreamDecoder, ids: readonly number[]): string[] {
  const deltas = ids.map((id) => dec.push(id));
  deltas.push(dec.flush());
  return deltas;
}

test('deltas never split a character and add up to the full decode, for many random byte splits', () => {
  const rng = new T.Rng(42);
  for (let trial = 0; trial < 200; trial++) {
    const tok = new ByteTokenizer();
    const ids = tok.encode(TEXT, rng, 1 + (trial % 6));
    const dec = new StreamDecoder(tok);
    const deltas = stream(dec, ids);
    for (const d of deltas) assert.ok(!d.includes('\uFFFD'), `trial ${trial}: delta ${JSON.stringify(d)} holds U+FFFD`);
    assert.equal(deltas.join(''), TEXT, `trial ${trial}`);
    assert.equal(deltas.at(-1), '', 'nothing left for flush() when the text is complete');
    assert.equal(dec.text, TEXT);
  }
});

test('one byte per token: a four-byte emoji comes out whole, on its fourth byte', () => {
  const tok = new ByteTokenizer();
  const ids = tok.encode('a😀b', new T.Rng(1), 1);
  assert.equal(ids.length, 6);
  const dec = new StreamDecoder(tok);
  assert.deepEqual(ids.map((id) => dec.push(id)), ['a', '', '', '', '😀', 'b']);
});

test('a generation cut inside a character: flush() emits the rest with U+FFFD, matching decode()', () => {
  const tok = new ByteTokenizer();
  const ids = tok.encode('ab😀', new T.Rng(1), 1).slice(0, -1);
  const dec = new StreamDecoder(tok);
  assert.deepEqual(ids.map((id) => dec.push(id)), ['a', 'b', '', '', '']);
  const rest = dec.flush();
  assert.ok(rest.includes('\uFFFD'));
  assert.equal('ab' + rest, tok.decode(ids));
  assert.equal(dec.flush(), '');
});

test('each step decodes a short window, whatever the length of the generation', () => {
  const tok = new ByteTokenizer();
  const ids = tok.encode(TEXT.repeat(20), new T.Rng(7), 1);
  const dec = new StreamDecoder(tok, { context: [] });
  assert.equal(stream(dec, ids).join(''), TEXT.repeat(20));
  // Window = the last emitted chunk (≤ 4 bytes, the ZWJ family emoji aside: one character per chunk) + pending bytes.
  assert.ok(tok.maxWindow <= 9, `max window ${tok.maxWindow}`);
  assert.ok(tok.work <= 20 * ids.length, `decoded ${tok.work} ids for ${ids.length} tokens`);
});

/** SentencePiece-like: pieces are words with a leading space, and decode drops the leading space of its result. */
class WordTokenizer implements Detokenizer {
  constructor(private readonly words: readonly string[]) {}
  decode(ids: readonly number[]): string {
    return ids.map((id) => this.words[id]!).join('').replace(/^ /, '');
  }
}

test('a tokenizer that drops the first leading space: the context keeps spaces between words', () => {
  // Id 7 decodes to nothing, as a special token does when the tokenizer skips it.
  const words = [' The', ' cat', ' sat', ' on', ' the', ' mat', '.', ''];
  const tok = new WordTokenizer(words);
  const ids = [1, 2, 3, 7, 4, 5, 6];
  // Decoding each token alone would lose every space: "catsatonthemat.".
  assert.equal(ids.map((id) => tok.decode([id])).join(''), 'catsatonthemat.');
  const plain = new StreamDecoder(tok);
  assert.equal(stream(plain, ids).join(''), tok.decode(ids)); // "cat sat on the mat."
  // With the prompt's last tokens as context, the first token keeps its space: decode(context + ids) − decode(context).
  const withContext = new StreamDecoder(tok, { context: [0, 0, 0, 0, 0, 0, 0, 0] });
  const got = stream(withContext, ids);
  assert.equal(got.join(''), ' cat sat on the mat.');
  assert.equal(got[3], '', 'a token that decodes to nothing gives an empty delta');
  assert.equal(withContext.pushAll([2, 6]), ' sat.');
});
