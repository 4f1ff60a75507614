// Learning-rate schedules: the rate for step s (0-based) of `total`, with linear warmup.

export type ScheduleKind = 'constant' | 'linear' | 'cosine';

export interface Schedule {
  readonly kind: ScheduleKind;
  /** Peak learning rate, reached at the end of warmup. */
  readonly lr: number;
  readonly warmupSteps?: number;
  readonly totalSteps: number;
  /** Floor for linear and cosine decay, as a fraction of lr (default 0). */
  readonly minRatio?: number;
}

export function learningRate(s: Schedule, step: number): number {
  const warmup = s.warmupSteps ?? 0;
  if (step < warmup) return (s.lr * (step + 1)) / warmup;
  if (s.kind === 'constant') return s.lr;
  const span = Math.max(1, s.totalSteps - warmup);
  const progress = Math.min(1, (step - warmup) / span);
  const floor = s.minRatio ?? 0;
  const shape = s.kind === 'linear' ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
  return s.lr * (floor + (1 - floor) * shape);
}
