// The metrics of a run as JSONL, one {step, time, ...metrics} object a line, appended as the run goes.
// `time` is wall-clock seconds since the Unix epoch; non-finite values are written as null (JSON has
// no NaN). A resumed run opens the log with the step of its checkpoint: lines of later steps belong to
// work the crash lost and are dropped first, and so is a line cut short by the crash, so that the
// resumed run's file equals an uninterrupted run's (apart from `time`). For that to hold, a trainer
// writes a step's metrics before it saves that step's checkpoint.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface MetricsLogOptions {
  /**
   * Resume after this step: keep the lines of steps up to it and drop the rest. Without it the log
   * starts empty (a run without a checkpoint to resume from has no metrics worth keeping).
   */
  readonly resumeAfterStep?: number;
  /** Wall-clock seconds for `time` (tests pass a fixed clock). Default: Date.now() / 1000. */
  readonly clock?: () => number;
}

/** The lines of `text` whose step is at most `step`; a cut-short last line is dropped. */
function linesUpTo(file: string, text: string, step: number): string[] {
  const lines = text.split('\n');
  // A file written to the end finishes with '\n', so the last piece is ''; anything else was cut short.
  lines.pop();
  return lines.filter((line, i) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${i + 1}: not a JSON line (${JSON.stringify(line.slice(0, 60))}); fix or remove the line to resume`);
    }
    const s = (parsed as { step?: unknown } | null)?.step;
    if (typeof s !== 'number') throw new Error(`${file}:${i + 1}: the line has no numeric "step"; fix or remove it to resume`);
    return s <= step;
  });
}

export class MetricsLog {
  private fd: number | null;
  private readonly clock: () => number;

  constructor(
    readonly file: string,
    options: MetricsLogOptions = {},
  ) {
    this.clock = options.clock ?? (() => Date.now() / 1000);
    mkdirSync(dirname(file), { recursive: true });
    const after = options.resumeAfterStep;
    const kept = after !== undefined && existsSync(file) ? linesUpTo(file, readFileSync(file, 'utf8'), after) : [];
    // Rewritten through a temp file and a rename: a crash now leaves the old log or the new one.
    writeFileSync(`${file}.tmp`, kept.map((l) => `${l}\n`).join(''));
    renameSync(`${file}.tmp`, file);
    this.fd = openSync(file, 'a');
  }

  /** Appends one line; values that are not finite numbers are written as null. */
  write(step: number, metrics: Readonly<Record<string, number>>): void {
    if (this.fd === null) throw new Error(`MetricsLog ${this.file}: write after close(); open a new MetricsLog to append`);
    if (!Number.isSafeInteger(step) || step < 0) throw new RangeError(`MetricsLog.write: step must be a non-negative integer, got ${step}`);
    if ('step' in metrics || 'time' in metrics) throw new RangeError('MetricsLog.write: "step" and "time" are written by the log; rename those metrics');
    // One write call per line: a kill leaves at most one partial line, which resuming drops.
    writeSync(this.fd, `${JSON.stringify({ step, time: this.clock(), ...metrics })}\n`);
  }

  /** Forces the lines written so far to disk (call before a checkpoint to survive a power loss too). */
  sync(): void {
    if (this.fd !== null) fsyncSync(this.fd);
  }

  /** Flushes to disk and closes the file. */
  close(): void {
    if (this.fd === null) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
  }
}
