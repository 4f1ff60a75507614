// DeepSeek-R1's prompt format as data: its special-token strings (deepseek-architecture.md §6.1; `｜`
// is U+FF5C and `▁` U+2581) and an R1-style chat template for the tokenizers we train ourselves.

/** The control tokens of DeepSeek-V3/R1, in the id order our trained tokenizers give them. */
export const R1_TOKENS = Object.freeze({
  bos: '<｜begin▁of▁sentence｜>',
  eos: '<｜end▁of▁sentence｜>',
  pad: '<｜▁pad▁｜>',
  user: '<｜User｜>',
  assistant: '<｜Assistant｜>',
  thinkStart: '<think>',
  thinkEnd: '</think>',
});

/**
 * R1's template (§6.2) without tool calls: BOS, the last system prompt, `<｜User｜>` + text per user
 * turn, `<｜Assistant｜>` + text + EOS per assistant turn, and `<｜Assistant｜><think>\n` as the
 * generation prompt. Like R1's, it keeps only the text after the last `</think>` of an assistant turn,
 * but only for turns before the last user turn, so a full training sample keeps its own reasoning.
 */
export const R1_CHAT_TEMPLATE = [
  "{%- set ns = namespace(system='', last_user=-1) -%}",
  '{%- for message in messages -%}',
  "{%- if message['role'] == 'system' -%}{%- set ns.system = message['content'] -%}{%- endif -%}",
  "{%- if message['role'] == 'user' -%}{%- set ns.last_user = loop.index0 -%}{%- endif -%}",
  '{%- endfor -%}',
  '{{- bos_token + ns.system -}}',
  '{%- for message in messages -%}',
  "{%- if message['role'] == 'user' -%}",
  `{{- '${R1_TOKENS.user}' + message['content'] -}}`,
  "{%- elif message['role'] == 'assistant' -%}",
  "{%- set content = message['content'] -%}",
  "{%- if loop.index0 < ns.last_user and '</think>' in content -%}{%- set content = content.split('</think>')[-1] -%}{%- endif -%}",
  `{{- '${R1_TOKENS.assistant}' + content + '${R1_TOKENS.eos}' -}}`,
  '{%- endif -%}',
  '{%- endfor -%}',
  `{%- if add_generation_prompt is defined and add_generation_prompt -%}{{- '${R1_TOKENS.assistant}<think>\\n' -}}{%- endif -%}`,
].join('\n');
