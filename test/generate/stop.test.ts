// Stop strings: each case is fed whole, cut at every one or two positions, and character by character;
// the text passed on and the stop string reported must not depend on the cuts, and no emitted text may
// hold the start of a stop string that then matches.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StopMatcher, stopTokenIds } from '../../src/generate/stop.js';

interface Outcome {
  readonly text: string;
  readonly stop: string | null;
}

function feed(stops: string[], chunks: string[]): Outcome {
  const m = new StopMatcher(stops);
  let text = '';
  let stop: string | null = null;
  for (const ch of chunks) {
    const r = m.push(ch);
    if (stop !== null) {
      assert.deepEqual(r, { text: '', stop }, 'nothing after the match');
      continue;
    }
    text += r.text;
    stop = r.stop;
  }
  if (stop === null) text += m.flush();
  else assert.equal(m.flush(), '');
  assert.equal(m.stopped, stop);
  return { text, stop };
}

const cases: [string, string[], Outcome][] = [
  ['hello STOP world', ['STOP'], { text: 'hello ', stop: 'STOP' }],
  ['STOPabc', ['STOP'], { text: '', stop: 'STOP' }],
  ['abcSTOP', ['STOP'], { text: 'abc', stop: 'STOP' }],
  ['no stop here, only ST and STO', ['STOP'], { text: 'no stop here, only ST and STO', stop: null }],
  ['ends in a partial ST', ['STOP'], { text: 'ends in a partial ST', stop: null }],
  ['aaab', ['aab'], { text: 'a', stop: 'aab' }],
  ['x\n\nQuestion: next', ['\n\nQuestion:', '</s>'], { text: 'x', stop: '\n\nQuestion:' }],
  ['a</s>b\n\nQuestion:', ['\n\nQuestion:', '</s>'], { text: 'a', stop: '</s>' }],
  // The first to complete wins: "bc" is complete before "abcd" is.
  ['xabcdy', ['abcd', 'bc'], { text: 'xa', stop: 'bc' }],
  ['a Question: b', ['Question:', 'Question'], { text: 'a ', stop: 'Question' }],
  // Same end: the earlier start (the longer string).
  ['xabcd', ['bcd', 'abcd'], { text: 'x', stop: 'abcd' }],
  ['日本語😀のテキスト', ['😀の'], { text: '日本語', stop: '😀の' }],
  ['anything', [], { text: 'anything', stop: null }],
];

test('stop strings: whole, cut at every position (once and twice), and character by character', () => {
  for (const [t, stops, want] of cases) {
    const what = `${JSON.stringify(t)} / ${JSON.stringify(stops)}`;
    assert.deepEqual(feed(stops, [t]), want, what);
    assert.deepEqual(feed(stops, [...t]), want, `${what} by character`);
    for (let i = 0; i <= t.length; i++) {
      assert.deepEqual(feed(stops, [t.slice(0, i), t.slice(i)]), want, `${what} cut at ${i}`);
      for (let j = i; j <= t.length; j++) {
        assert.deepEqual(feed(stops, [t.slice(0, i), t.slice(i, j), t.slice(j)]), want, `${what} cut at ${i}, ${j}`);
      }
    }
  }
});

test('only a tail that could start a stop string is held back', () => {
  const m = new StopMatcher(['</answer>', 'END']);
  assert.deepEqual(m.push('The answer is 4 </ans'), { text: 'The answer is 4 ', stop: null });
  assert.deepEqual(m.push('wer was'), { text: '</answer was', stop: null });
  assert.deepEqual(m.push(' E'), { text: ' ', stop: null });
  assert.deepEqual(m.push('N'), { text: '', stop: null });
  assert.equal(m.flush(), 'EN');
  const n = new StopMatcher(['</answer>']);
  assert.deepEqual(n.push('4</'), { text: '4', stop: null });
  assert.deepEqual(n.push('answer>ignored'), { text: '', stop: '</answer>' });
});

test('bad stop strings are refused; stop token ids from generation_config forms', () => {
  assert.throws(() => new StopMatcher(['ok', '']), RangeError);
  assert.deepEqual([...stopTokenIds(1)], [1]);
  assert.deepEqual([...stopTokenIds([151643, 151645], [7])], [151643, 151645, 7]);
  assert.deepEqual([...stopTokenIds(undefined, [2, 2])], [2]);
  assert.throws(() => stopTokenIds(-1), /integers ≥ 0/);
});
