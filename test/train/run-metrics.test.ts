// The metrics log (JSONL lines, resume dropping the lines of lost work and a line cut short by a
// crash) and the progress line (exact text with a fake clock, terminal redraws, CI intervals, silence).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { formatDuration, formatMetric, MetricsLog, Progress } from '../../src/train/run/index.js';

const tmp = mkdtempSync(join(os.tmpdir(), 'r1ts-run-metrics-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const clock = () => 1000.5;
const lines = (file: string): unknown[] => readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));

describe('MetricsLog', () => {
  test('writes one {step, time, ...metrics} line per call; non-finite values become null', () => {
    const file = join(tmp, 'a', 'metrics.jsonl');
    const log = new MetricsLog(file, { clock });
    log.write(1, { loss: 2.5, lr: 1e-3 });
    log.write(2, { loss: NaN, gradNorm: Infinity });
    log.close();
    assert.equal(readFileSync(file, 'utf8'), '{"step":1,"time":1000.5,"loss":2.5,"lr":0.001}\n{"step":2,"time":1000.5,"loss":null,"gradNorm":null}\n');
    assert.throws(() => log.write(3, {}), /write after close/);
  });

  test('resuming keeps the lines up to the checkpoint step and drops later ones and a cut-short line', () => {
    const file = join(tmp, 'resume.jsonl');
    const full = [1, 2, 3, 4, 5].map((s) => JSON.stringify({ step: s, time: 1, loss: s / 10 })).join('\n');
    writeFileSync(file, `${full}\n{"step":6,"ti`);
    const log = new MetricsLog(file, { resumeAfterStep: 3, clock });
    log.write(4, { loss: 9 });
    log.close();
    assert.deepEqual(lines(file), [
      { step: 1, time: 1, loss: 0.1 },
      { step: 2, time: 1, loss: 0.2 },
      { step: 3, time: 1, loss: 0.3 },
      { step: 4, time: 1000.5, loss: 9 },
    ]);
    // Without resumeAfterStep the run starts afresh.
    new MetricsLog(file).close();
    assert.equal(readFileSync(file, 'utf8'), '');
  });

  test('a damaged line in the middle and reserved names are explained', () => {
    const file = join(tmp, 'bad.jsonl');
    writeFileSync(file, '{"step":1}\nnot json\n{"step":3}\n');
    assert.throws(() => new MetricsLog(file, { resumeAfterStep: 3 }), /bad\.jsonl:2: not a JSON line \("not json"\)/);
    writeFileSync(file, '{"loss":1}\n');
    assert.throws(() => new MetricsLog(file, { resumeAfterStep: 3 }), /bad\.jsonl:1: the line has no numeric "step"/);
    const log = new MetricsLog(file);
    assert.throws(() => log.write(1, { step: 2 }), /"step" and "time" are written by the log/);
    assert.throws(() => log.write(-1, {}), /step must be a non-negative integer/);
    log.close();
  });
});

/** A stream that records what is written, as a terminal or as a pipe. */
function sink(isTTY: boolean): { stream: Writable & { isTTY: boolean }; text: () => string } {
  const chunks: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString());
        done();
      },
    }),
    { isTTY },
  );
  return { stream, text: () => chunks.join('') };
}

describe('Progress', () => {
  test('in a log: a line at the start, then every intervalSeconds, then the final one', () => {
    let now = 0;
    const out = sink(false);
    const p = new Progress(10, { label: 'sft', stream: out.stream, clock: () => now });
    p.update(0, { loss: 2.5 });
    now = 5;
    p.update(2, { loss: 2.25 }); // within the interval: nothing
    now = 11;
    p.update(4, { loss: 2, kl: 0.0001234 });
    now = 20;
    p.update(6, { loss: 1.5 }); // within the interval again
    p.done();
    assert.equal(
      out.text(),
      'sft  0/10  0%  loss 2.5\n' +
        // 4 steps in 11 s: 2.75 s/step, 6 steps left: 16.5 s → "17s".
        'sft  4/10  40%  2.75 s/step  ETA 17s  loss 2  kl 1.23e-4\n' +
        'sft  6/10  60%  3.333 s/step  ETA 13s  loss 1.5\n',
    );
  });

  test('on a terminal: redraws in place and ends the line when done', () => {
    let now = 100;
    const out = sink(true);
    const p = new Progress(1000, { stream: out.stream, clock: () => now });
    p.update(10);
    now = 100.05;
    p.update(11); // faster than redrawSeconds: skipped
    now = 102;
    p.update(510, { reward: 0.5 });
    p.done();
    assert.equal(out.text(), '\r10/1000  1%\x1b[K\r510/1000  51%  250 step/s  ETA 2s  reward 0.5\x1b[K\r510/1000  51%  250 step/s  ETA 2s  reward 0.5\x1b[K\n');
  });

  test('the last step is always shown; disabled prints nothing', () => {
    let now = 0;
    const out = sink(false);
    const p = new Progress(3, { stream: out.stream, clock: () => now });
    p.update(0);
    now = 1;
    p.update(3);
    p.done();
    assert.equal(out.text(), '0/3  0%\n3/3  100%  3 step/s  ETA 0s\n');
    const quiet = sink(true);
    const q = new Progress(3, { stream: quiet.stream, enabled: false });
    q.update(1, { loss: 1 });
    q.done();
    assert.equal(quiet.text(), '');
  });

  test('durations and metric values read well', () => {
    assert.deepEqual([7.2, 59.6, 125, 3725, -1, Infinity].map(formatDuration), ['7s', '1m00s', '2m05s', '1h02m', '?', '?']);
    assert.deepEqual([0, 1.23456, -0.5, 1234567, 0.00001234, NaN].map(formatMetric), ['0', '1.235', '-0.5', '1.23e+6', '1.23e-5', 'NaN']);
  });
});
