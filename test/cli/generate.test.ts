// `r1ts generate` and `r1ts chat` as a user runs them, on a tiny model folder made here: the CLI
// prints what the engine computes in-process, streams the same text, chats over stdin, and refuses
// bad input with a message.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalEngine } from '../../src/engine/index.js';
import { saveTinyChatModel, tinyChatModel } from '../engine/fixture.js';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function r1ts(args: string[], input = ''): { code: number; out: string; err: string } {
  const p = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8', input });
  return { code: p.status ?? -1, out: p.stdout, err: p.stderr };
}

test('generate prints the engine\'s completion (JSON and streamed) and chat answers over stdin', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ts-cli-gen-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  saveTinyChatModel(dir);
  const { model, tokenizer } = tinyChatModel();
  const [want] = await new LocalEngine(model, tokenizer).generate([{ messages: [{ role: 'user', content: 'What is 17 + 25?' }], maxTokens: 10, sampling: { temperature: 0 } }]);
  const json = r1ts(['generate', dir, '--prompt', 'What is 17 + 25?', '--temperature', '0', '--max-tokens', '10', '--json']);
  assert.equal(json.code, 0, json.err);
  const [got] = JSON.parse(json.out) as { tokens: number[]; reasoning: string; content: string; finishReason: string }[];
  assert.deepEqual({ tokens: got!.tokens, reasoning: got!.reasoning, content: got!.content, finish: got!.finishReason }, { tokens: want!.tokens, reasoning: want!.reasoning, content: want!.content, finish: want!.finishReason });
  const streamed = r1ts(['generate', dir, '--prompt', 'What is 17 + 25?', '--temperature', '0', '--max-tokens', '10', '--stream']);
  assert.equal(streamed.code, 0, streamed.err);
  assert.ok(streamed.out.includes(want!.reasoning), `streamed output ${JSON.stringify(streamed.out)} lacks the reasoning`);
  assert.match(streamed.out, new RegExp(`\\[${want!.finishReason}\\]`));
  const chat = r1ts(['chat', dir, '--temperature', '0', '--max-tokens', '10'], 'What is 17 + 25?\n/exit\n');
  assert.equal(chat.code, 0, chat.err);
  assert.ok(chat.out.includes(want!.reasoning), `chat output ${JSON.stringify(chat.out)}`);
});

test('generate and chat refuse bad input with a message and no stack trace', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ts-cli-gen-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const noPrompt = r1ts(['generate', dir]);
  assert.equal(noPrompt.code, 2);
  assert.match(noPrompt.err, /generate needs --prompt/);
  const badTemp = r1ts(['generate', dir, '--prompt', 'x', '--temperature', 'warm']);
  assert.equal(badTemp.code, 2);
  assert.match(badTemp.err, /--temperature must be a number, got "warm"/);
  const noTokenizer = r1ts(['generate', dir, '--prompt', 'x']);
  assert.equal(noTokenizer.code, 1);
  assert.match(noTokenizer.err, /tokenizer\.json/);
  for (const r of [noPrompt, badTemp, noTokenizer]) assert.doesNotMatch(r.err, /\n +at /);
  assert.match(r1ts(['chat', '--help']).out, /Usage: r1ts chat <model folder>/);
});
