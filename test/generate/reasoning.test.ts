// The think-tag parser: a table of whole outputs with their expected reasoning/content, each checked
// whole, streamed with every split point (one and two cuts) and character by character, so a tag split
// anywhere, an opener injected by the template or generated twice, and an unclosed block are all covered.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReasoningEnd, ReasoningOptions } from '../../src/generate/reasoning.js';
import { ThinkTagParser, promptOpensReasoning, splitReasoning } from '../../src/generate/reasoning.js';

interface Case {
  readonly name: string;
  readonly text: string;
  readonly opts: ReasoningOptions;
  readonly want: ReasoningEnd;
  /** Content comes before the reasoning (text before a generated opener). */
  readonly contentFirst?: boolean;
}

const R: ReasoningOptions = { startsInReasoning: true };
const G: ReasoningOptions = { startsInReasoning: false };
const out = (reasoning: string, content: string, truncatedReasoning = false): ReasoningEnd => ({ reasoning, content, truncatedReasoning });

const cases: Case[] = [
  { name: 'template-opened, closed', text: 'Okay, 2+2=4.\n</think>\n\nThe answer is 4.', opts: R, want: out('Okay, 2+2=4.', 'The answer is 4.') },
  { name: 'generated opener', text: '<think>\nOkay.\n</think>\n\nAnswer.', opts: G, want: out('Okay.', 'Answer.') },
  { name: 'duplicate opener after the template\'s', text: '<think>\nOkay.\n</think>\n\nAnswer.', opts: R, want: out('Okay.', 'Answer.') },
  { name: 'duplicate opener after newlines', text: '\n<think>\nOkay.</think>Answer.', opts: R, want: out('Okay.', 'Answer.') },
  { name: 'template-opened, unclosed (truncated)', text: 'Let me think\nabout it\n', opts: R, want: out('Let me think\nabout it\n', '', true) },
  { name: 'generated opener, unclosed', text: '<think>\nhmm', opts: G, want: out('hmm', '', true) },
  { name: 'no think block at all', text: 'Just an answer.\n', opts: G, want: out('', 'Just an answer.\n') },
  { name: 'no think block, leading newlines kept', text: '\n\nHi', opts: G, want: out('', '\n\nHi') },
  { name: 'text before the opener is content', text: 'Sure. <think>why</think>Because.', opts: G, want: out('why', 'Sure. Because.'), contentFirst: true },
  { name: 'newlines before the opener are dropped', text: '\n\n<think>\nx\n</think>\n\ny', opts: G, want: out('x', 'y') },
  { name: 'empty reasoning, template-opened', text: '\n\n</think>\n\nAnswer', opts: R, want: out('', 'Answer') },
  { name: 'empty think block', text: '<think>\n\n</think>\n\nAnswer', opts: G, want: out('', 'Answer') },
  { name: 'a later opener inside reasoning is text', text: 'a <think> b</think>c', opts: R, want: out('a <think> b', 'c') },
  { name: 'tags after the closer are text', text: 'r</think>\n\nUse <think> and </think> tags.', opts: R, want: out('r', 'Use <think> and </think> tags.') },
  { name: 'a closer without an opener is content', text: 'a</think>b', opts: G, want: out('', 'a</think>b') },
  { name: 'tag look-alikes, unclosed', text: 'x </thin y < z </th', opts: R, want: out('x </thin y < z </th', '', true) },
  { name: 'opener look-alike at the start', text: '<thinking>x</think>y', opts: R, want: out('<thinking>x', 'y') },
  { name: 'nothing generated, template-opened', text: '', opts: R, want: out('', '', true) },
  { name: 'nothing generated', text: '', opts: G, want: out('', '') },
  { name: 'only newlines, unclosed', text: '\n\n', opts: R, want: out('', '', true) },
  { name: 'only a duplicate opener', text: '<think>', opts: R, want: out('', '', true) },
  { name: 'CRLF around the tags', text: 'r\r\n</think>\r\n\r\nc', opts: R, want: out('r', 'c') },
  { name: 'inner newlines are kept', text: 'a\n\nb\n</think>\n\nc\n\nd\n', opts: R, want: out('a\n\nb', 'c\n\nd\n') },
  { name: 'spaces are not stripped', text: '<think> a </think> b', opts: G, want: out(' a ', ' b') },
  { name: 'custom tags', text: '<reasoning>\na\n</reasoning>\nb', opts: { openTag: '<reasoning>', closeTag: '</reasoning>' }, want: out('a', 'b') },
  { name: 'unicode around a split tag', text: '思考😀\n</think>\n\n答え🇯🇵', opts: R, want: out('思考😀', '答え🇯🇵') },
];

/** Streams `chunks` through a parser; checks the phases come in order and returns the totals. */
function streamed(chunks: string[], c: Case): ReasoningEnd {
  const p = new ThinkTagParser(c.opts);
  let reasoning = '';
  let content = '';
  let sawContent = false;
  const take = (d: { reasoning: string; content: string }): void => {
    if (d.reasoning !== '') {
      assert.ok(!sawContent || c.contentFirst, `${c.name}: reasoning after content in ${JSON.stringify(chunks)}`);
      reasoning += d.reasoning;
    }
    if (d.content !== '') {
      sawContent = true;
      content += d.content;
    }
  };
  for (const ch of chunks) take(p.push(ch));
  const end = p.finish();
  take(end);
  return { reasoning, content, truncatedReasoning: end.truncatedReasoning };
}

test('the table, whole', () => {
  for (const c of cases) assert.deepEqual(splitReasoning(c.text, c.opts), c.want, c.name);
});

test('the table, streamed with one and two cuts at every position and character by character', () => {
  for (const c of cases) {
    const t = c.text;
    for (let i = 0; i <= t.length; i++) {
      assert.deepEqual(streamed([t.slice(0, i), t.slice(i)], c), c.want, `${c.name}, cut at ${i}`);
      for (let j = i; j <= t.length; j++) {
        assert.deepEqual(streamed([t.slice(0, i), t.slice(i, j), t.slice(j)], c), c.want, `${c.name}, cuts at ${i}, ${j}`);
      }
    }
    assert.deepEqual(streamed([...t], c), c.want, `${c.name}, by code point`);
    assert.deepEqual(streamed(t.split(''), c), c.want, `${c.name}, by UTF-16 unit`);
  }
});

test('text is released as soon as it cannot be part of a tag', () => {
  const p = new ThinkTagParser(R);
  assert.deepEqual(p.push('Okay so'), { reasoning: 'Okay so', content: '' });
  assert.deepEqual(p.push(' x </th'), { reasoning: ' x ', content: '' });
  assert.deepEqual(p.push('e'), { reasoning: '</the', content: '' });
  assert.deepEqual(p.push('n\n'), { reasoning: 'n', content: '' }); // a newline before a possible closer waits
  assert.equal(p.inReasoning, true);
  assert.deepEqual(p.push('</think>'), { reasoning: '', content: '' });
  assert.equal(p.inReasoning, false);
  assert.deepEqual(p.push('\n\nHi'), { reasoning: '', content: 'Hi' });
  assert.deepEqual(p.finish(), { reasoning: '', content: '', truncatedReasoning: false });
  assert.throws(() => p.push('x'), /after finish/);
});

test('with startsInReasoning false, the parser enters reasoning at the opener', () => {
  const p = new ThinkTagParser(G);
  assert.equal(p.inReasoning, false);
  assert.deepEqual(p.push('\n<thi'), { reasoning: '', content: '' });
  assert.deepEqual(p.push('nk>\nA'), { reasoning: 'A', content: '' });
  assert.equal(p.inReasoning, true);
});

test('promptOpensReasoning: R1\'s template ends with the opener', () => {
  assert.equal(promptOpensReasoning('<｜begin▁of▁sentence｜><｜User｜>What is 2+2?<｜Assistant｜><think>\n'), true);
  assert.equal(promptOpensReasoning('<｜begin▁of▁sentence｜><｜User｜>What is 2+2?<｜Assistant｜>'), false);
  assert.equal(promptOpensReasoning('…<｜Assistant｜><reasoning>', { openTag: '<reasoning>' }), true);
  assert.throws(() => new ThinkTagParser({ openTag: '' }), RangeError);
});
