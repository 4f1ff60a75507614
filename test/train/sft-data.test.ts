// SFT data: records parsed with clear errors, and the loss mask checked token by token on the real
// DeepSeek-V3 tokenizer (its template and its special tokens), on R1's files and on the tiny trained one.
// The expected ids are built independently: the template's special tokens are atomic, so the full ids
// are the concatenation of the pieces between them, each encoded alone, with the learned pieces known.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  fitLength, learnedTokens, parseSftJsonl, prepareSftData, readSftFile, SftDataError, sftExample, tokenizeExample,
} from '../../src/train/sft/index.js';
import type { SftExample } from '../../src/train/sft/index.js';
import { applyChatTemplate, MATH_DIRECTIVE, R1_CHAT_TEMPLATE, R1_TOKENS } from '../../src/tokenizer/index.js';
import type { Tokenizer } from '../../src/tokenizer/index.js';
import { tinyChatModel } from '../engine/fixture.js';
import { r1Tokenizer, v3Tokenizer } from '../tokenizer/fixtures.js';

/** Expected ids and mask from pieces: [text, learned?]; special-token strings are looked up whole. */
function expected(tok: Tokenizer, pieces: readonly (readonly [string, 0 | 1])[]): { ids: number[]; mask: number[] } {
  const ids: number[] = [];
  const mask: number[] = [];
  const specials = new Set<string>(Object.values(R1_TOKENS));
  for (const [text, learned] of pieces) {
    const part = tok.encode(text, { addSpecialTokens: false });
    if (specials.has(text)) assert.equal(part.length, 1, `${text} is one token`);
    ids.push(...part);
    mask.push(...part.map(() => learned));
  }
  return { ids, mask };
}

const { bos, eos, user, assistant } = R1_TOKENS;

function assertMask(tok: Tokenizer, ex: SftExample, pieces: readonly (readonly [string, 0 | 1])[], options = {}): void {
  const got = tokenizeExample(tok, ex, options);
  const want = expected(tok, pieces);
  assert.deepEqual(Array.from(got.ids), want.ids);
  assert.deepEqual(Array.from(got.mask), want.mask);
}

test('V3 tokenizer: one turn with reasoning_content — the loss starts after the generation prompt and ends with EOS', () => {
  const tok = v3Tokenizer();
  const ex = sftExample({ messages: [{ role: 'user', content: 'What is 2+2?' }, { role: 'assistant', content: 'The answer is 4.', reasoning_content: 'Easy: 4.' }] }, 't');
  assertMask(tok, ex, [[bos, 0], [user, 0], [`What is 2+2?\n${MATH_DIRECTIVE}`, 0], [assistant, 0], ['<think>\n', 0], ['Easy: 4.\n</think>\n\nThe answer is 4.', 1], [eos, 1]]);
  // The unlearned prefix is exactly the prompt the engine renders for generation.
  const got = tokenizeExample(tok, ex);
  const prompt = tok.encode(applyChatTemplate(tok, [{ role: 'user', content: 'What is 2+2?' }], { addGenerationPrompt: true }), { addSpecialTokens: false });
  assert.deepEqual(Array.from(got.ids.slice(0, prompt.length)), prompt);
  assert.equal(got.mask.indexOf(1), prompt.length);
});

test('V3 tokenizer: multi-turn — every assistant turn learned, earlier reasoning stripped, system folded', () => {
  const tok = v3Tokenizer();
  const messages = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: '<think>\ngreet\n</think>\n\nHello!' },
    { role: 'user', content: '1+1?' },
    { role: 'assistant', content: '<think>\nsum\n</think>\n\n2' },
  ];
  assertMask(tok, sftExample({ messages }, 't'), [
    [bos, 0], [user, 0], ['Be brief.\n\nHi', 0], [assistant, 0], ['\n\nHello!', 1], [eos, 1],
    [user, 0], [`1+1?\n${MATH_DIRECTIVE}`, 0], [assistant, 0], ['<think>\n', 0], ['sum\n</think>\n\n2', 1], [eos, 1],
  ]);
  assertMask(tok, sftExample({ messages }, 't', { turns: 'last' }), [
    [bos, 0], [user, 0], ['Be brief.\n\nHi', 0], [assistant, 0], ['\n\nHello!', 0], [eos, 0],
    [user, 0], [`1+1?\n${MATH_DIRECTIVE}`, 0], [assistant, 0], ['<think>\n', 0], ['sum\n</think>\n\n2', 1], [eos, 1],
  ]);
});

test('V3 tokenizer: R1 conventions off — an answer without <think> is learned from the assistant opening', () => {
  const tok = v3Tokenizer();
  const ex = sftExample({ prompt: 'Say hi', completion: 'hi' }, 't');
  assertMask(tok, ex, [[bos, 0], [user, 0], ['Say hi', 0], [assistant, 0], ['hi', 1], [eos, 1]], { r1: { forceThink: false, mathDirective: false } });
  // forceThink on, but the completion does not think: the bare opening is the boundary.
  assertMask(tok, ex, [[bos, 0], [user, 0], ['Say hi', 0], [assistant, 0], ['hi', 1], [eos, 1]], { r1: { mathDirective: false } });
});

test('prompt/completion: only the completion is learned, assistant turns inside the prompt are not', () => {
  const tok = v3Tokenizer();
  const ex = sftExample({
    prompt: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }],
    completion: [{ role: 'assistant', content: 'd' }],
  }, 't');
  assert.deepEqual(ex.learn, [1]);
  assertMask(tok, ex, [[bos, 0], [user, 0], ['a', 0], [assistant, 0], ['b', 0], [eos, 0], [user, 0], ['c', 0], [assistant, 0], ['d', 1], [eos, 1]], { r1: { forceThink: false, mathDirective: false } });
  const withReasoning = sftExample({ question: 'q', answer: 'a', thoughts: 'r' }, 't', { fields: { prompt: 'question', completion: 'answer', reasoning: 'thoughts' } });
  assert.deepEqual(withReasoning.messages, [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a', reasoning_content: 'r' }]);
});

test('R1 files: its own template drops the reasoning — refused with advice; R1_CHAT_TEMPLATE keeps it', () => {
  const tok = r1Tokenizer();
  const ex = sftExample({ messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: '<think>\nr\n</think>\n\ny' }] }, 'data.jsonl:7');
  assert.throws(() => tokenizeExample(tok, ex), (e: Error) => e instanceof SftDataError && /data\.jsonl:7: assistant turn 1: .*drops the reasoning.*chatTemplate/.test(e.message));
  // <think> is one (non-special) token in R1's vocabulary.
  const got = tokenizeExample(tok, ex, { chatTemplate: R1_CHAT_TEMPLATE });
  const think = tok.encode('<think>', { addSpecialTokens: false });
  assert.equal(think.length, 1);
  assertMask(tok, ex, [[bos, 0], [user, 0], [`x\n${MATH_DIRECTIVE}`, 0], [assistant, 0], ['<think>', 0], ['\n', 0], ['r\n', 1], ['</think>', 1], ['\n\ny', 1], [eos, 1]], { chatTemplate: R1_CHAT_TEMPLATE });
  assert.ok(got.mask.includes(1));
});

test('tiny trained tokenizer: the mask matches the engine prompt and the reasoning + answer + EOS', () => {
  const { tokenizer: tok, model } = tinyChatModel();
  model.dispose();
  const messages = [{ role: 'user' as const, content: 'The sum of 17 and 25?' }, { role: 'assistant' as const, content: '<think>\nstep by step\n</think>\n\nThe answer is 42.' }];
  const got = tokenizeExample(tok, sftExample({ messages }, 't'));
  const prompt = tok.encode(applyChatTemplate(tok, messages.slice(0, 1), { addGenerationPrompt: true }), { addSpecialTokens: false });
  assert.deepEqual(Array.from(got.ids.slice(0, prompt.length)), prompt);
  assert.deepEqual(Array.from(got.mask), Array.from(got.mask, (_, i) => (i >= prompt.length ? 1 : 0)));
  assert.equal(tok.decode(Array.from(got.ids.slice(prompt.length))), `step by step\n</think>\n\nThe answer is 42.${eos}`);
  assert.equal(got.ids.at(-1), tok.eosTokenId);
});

test('a template that renders a prefix differently is refused, naming the turn', () => {
  const { tokenizer: tok, model } = tinyChatModel();
  model.dispose();
  // Renders the number of messages up front: a prefix of the conversation is not a prefix of its text.
  const template = "{{ bos_token }}{{ messages|length }}{% for m in messages %}{{ '<｜' + m['role'] + '｜>' + m['content'] }}{% endfor %}{% if add_generation_prompt %}<｜Assistant｜>{% endif %}";
  const ex = sftExample({ messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }] }, 'f:2');
  assert.throws(() => tokenizeExample(tok, ex, { chatTemplate: template }), /f:2: assistant turn 1: the chat template renders the conversation before this turn differently/);
});

test('bad lines: errors name the file, line and field; skip mode counts them', () => {
  const text = [
    '{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}',
    '',
    '{"messages": [{"role": "bot", "content": "x"}]}',
    'not json',
    '{"prompt": "p"}',
    '{"messages": [{"role": "user", "content": 5}]}',
    '{"messages": [{"role": "user", "content": "only a question"}]}',
    '{"prompt": "p", "completion": "c"}',
  ].join('\n');
  assert.throws(() => parseSftJsonl(text, 'd.jsonl'), (e: Error) => e instanceof SftDataError && /^d\.jsonl:3: field "messages\[0\]\.role" is "bot"; it must be one of system, user, assistant/.test(e.message));
  const { examples, skipped } = parseSftJsonl(text, 'd.jsonl', { onBadLine: 'skip' });
  assert.equal(examples.length, 2);
  assert.deepEqual(skipped.map((s) => s.line), [3, 4, 5, 6, 7]);
  assert.match(skipped[1]!.reason, /d\.jsonl:4: not valid JSON/);
  assert.match(skipped[2]!.reason, /d\.jsonl:5: the record needs "messages", or both "prompt" and "completion" \(it has "prompt"\)/);
  assert.match(skipped[3]!.reason, /d\.jsonl:6: field "messages\[0\]\.content" must be a string \(got number\)/);
  assert.match(skipped[4]!.reason, /d\.jsonl:7: field "messages" has no assistant message/);
  assert.equal(examples[1]!.origin, 'd.jsonl:8');
});

test('mapped field and role names (ShareGPT style)', () => {
  const ex = sftExample({ conversations: [{ from: 'human', value: 'q' }, { from: 'gpt', value: 'a' }] }, 't', {
    fields: { messages: 'conversations', role: 'from', content: 'value' }, roleNames: { human: 'user', gpt: 'assistant' },
  });
  assert.deepEqual(ex.messages, [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }]);
  assert.throws(() => sftExample({ conversations: [{ from: 'robot', value: 'q' }] }, 'x:1', { fields: { messages: 'conversations', role: 'from', content: 'value' }, roleNames: { gpt: 'assistant' } }),
    /x:1: field "conversations\[0\]\.from" is "robot"; it must be one of system, user, assistant, gpt/);
});

test('max length: truncate keeps the head, drop removes; a cut with nothing learned is dropped', () => {
  const tok = v3Tokenizer();
  const ex = tokenizeExample(tok, sftExample({ prompt: 'Say hi', completion: 'hi there friend' }, 't'));
  const n = ex.ids.length;
  const learned = learnedTokens(ex);
  const cut = fitLength(ex, n - 2, 'truncate')!;
  assert.deepEqual(Array.from(cut.ids), Array.from(ex.ids.slice(0, n - 2)));
  assert.equal(learnedTokens(cut), learned - 2);
  assert.equal(fitLength(ex, n - 2, 'drop'), null);
  assert.equal(fitLength(ex, n - learned, 'truncate'), null);
  assert.equal(fitLength(ex, n, 'drop'), ex);

  const dir = mkdtempSync(join(tmpdir(), 'sft-data-'));
  const file = join(dir, 'd.jsonl');
  writeFileSync(file, [
    JSON.stringify({ prompt: 'Say hi', completion: 'hi there friend' }),
    JSON.stringify({ prompt: 'a', completion: 'b' }),
    JSON.stringify({ prompt: 'a', completion: [{ role: 'tool', content: 'b' }] }),
  ].join('\n'));
  assert.throws(() => readSftFile(file), /d\.jsonl:3: field "completion\[0\]\.role" is "tool"/);
  const short = tokenizeExample(tok, sftExample({ prompt: 'a', completion: 'b' }, 't')).ids.length;
  const prepared = prepareSftData(file, tok, { maxLength: short, overflow: 'drop', onBadLine: 'skip' });
  assert.equal(prepared.examples.length, 1);
  assert.equal(prepared.dropped, 1);
  assert.equal(prepared.skipped.length, 1);
  assert.equal(prepared.skipped[0]!.origin, `${file}:3`);
  const truncated = prepareSftData(file, tok, { maxLength: n - 1, onBadLine: 'skip' });
  assert.equal(truncated.truncated, 1);
  assert.equal(truncated.examples.length, 2);
  rmSync(dir, { recursive: true });
});

test('in-memory conversations (e.g. distillation traces) learn every assistant turn, or the last with turns: last', () => {
  const tok = v3Tokenizer();
  const messages = [
    { role: 'user' as const, content: 'a' }, { role: 'assistant' as const, content: 'b' },
    { role: 'user' as const, content: 'c' }, { role: 'assistant' as const, content: 'd' },
  ];
  const r1 = { forceThink: false, mathDirective: false };
  const all = prepareSftData([{ messages }], tok, { maxLength: 100, r1 }).examples[0]!;
  const last = prepareSftData([{ messages }], tok, { maxLength: 100, r1, turns: 'last' }).examples[0]!;
  const want = (learnB: 0 | 1) => expected(tok, [[bos, 0], [user, 0], ['a', 0], [assistant, 0], ['b', learnB], [eos, learnB], [user, 0], ['c', 0], [assistant, 0], ['d', 1], [eos, 1]]);
  assert.deepEqual(Array.from(all.mask), want(1).mask);
  assert.deepEqual(Array.from(last.mask), want(0).mask);
  assert.throws(() => prepareSftData([{ messages: messages.slice(0, 1) }], tok, { maxLength: 100 }), /example 0: no token is learned/);
});
