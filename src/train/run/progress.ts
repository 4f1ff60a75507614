// One status line for long loops: "label  step/total  pct  rate  ETA  metric value …". On a terminal
// it is redrawn in place (at most every redrawSeconds); elsewhere (CI logs, files) a full line is
// printed every intervalSeconds, so logs stay short; disabled, it prints nothing. The rate counts
// from the first update, so a resumed run's rate and ETA are not inflated by the steps it skipped.

export interface ProgressOptions {
  /** Text at the start of the line, e.g. 'grpo'. */
  readonly label?: string;
  /** Where the line goes. Default process.stderr (stdout stays free for results). */
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** False prints nothing at all. Default true. */
  readonly enabled?: boolean;
  /** Seconds between lines when the stream is not a terminal. Default 10. */
  readonly intervalSeconds?: number;
  /** Seconds between redraws on a terminal. Default 0.1. */
  readonly redrawSeconds?: number;
  /** Monotonic seconds (tests pass a fake clock). Default performance.now() / 1000. */
  readonly clock?: () => number;
}

const DEFAULTS: Required<Pick<ProgressOptions, 'label' | 'enabled' | 'intervalSeconds' | 'redrawSeconds'>> = { label: '', enabled: true, intervalSeconds: 10, redrawSeconds: 0.1 };

/** 3725 → "1h02m", 125 → "2m05s", 7.2 → "7s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Four significant digits, without exponent for everyday magnitudes. */
export function formatMetric(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e6 ? String(Number(v.toPrecision(4))) : v.toExponential(2);
}

export class Progress {
  private readonly opts: ProgressOptions & typeof DEFAULTS;
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly tty: boolean;
  private start: { time: number; step: number } | null = null;
  private lastDraw = -Infinity;
  private lastDrawnStep = -1;
  private last: { step: number; metrics: Readonly<Record<string, number>> } = { step: 0, metrics: {} };
  private finished = false;

  constructor(
    readonly total: number,
    options: ProgressOptions = {},
  ) {
    this.opts = { ...DEFAULTS, ...options };
    this.stream = options.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
  }

  private now(): number {
    return this.opts.clock ? this.opts.clock() : performance.now() / 1000;
  }

  /** The status line for `step` at time `now`. */
  private line(step: number, metrics: Readonly<Record<string, number>>, now: number): string {
    const parts: string[] = [];
    if (this.opts.label) parts.push(this.opts.label);
    parts.push(`${step}/${this.total}`);
    if (this.total > 0) parts.push(`${Math.floor((100 * step) / this.total)}%`);
    const elapsed = now - this.start!.time;
    const done = step - this.start!.step;
    if (elapsed > 0 && done > 0) {
      const rate = done / elapsed;
      parts.push(rate >= 1 ? `${formatMetric(rate)} step/s` : `${formatMetric(1 / rate)} s/step`);
      parts.push(`ETA ${formatDuration((this.total - step) / rate)}`);
    }
    for (const [k, v] of Object.entries(metrics)) parts.push(`${k} ${formatMetric(v)}`);
    return parts.join('  ');
  }

  private draw(text: string): void {
    if (this.tty) this.stream.write(`\r${text}\x1b[K`);
    else this.stream.write(`${text}\n`);
  }

  /** Reports that `step` steps are done; prints when a redraw or a log line is due. */
  update(step: number, metrics: Readonly<Record<string, number>> = {}): void {
    if (!this.opts.enabled || this.finished) return;
    const now = this.now();
    this.start ??= { time: now, step };
    this.last = { step, metrics };
    const gap = this.tty ? this.opts.redrawSeconds : this.opts.intervalSeconds;
    if (now - this.lastDraw < gap && step < this.total) return;
    this.lastDraw = now;
    this.lastDrawnStep = step;
    this.draw(this.line(step, metrics, now));
  }

  /** Prints the final state (if not already shown) and ends the line. */
  done(): void {
    if (!this.opts.enabled || this.finished) return;
    this.finished = true;
    if (this.start === null) return;
    const text = this.line(this.last.step, this.last.metrics, this.now());
    if (this.tty) this.stream.write(`\r${text}\x1b[K\n`);
    else if (this.last.step !== this.lastDrawnStep) this.stream.write(`${text}\n`);
  }
}
