// Timing helpers for the benchmarks: warm up, then the median of repeated runs.

export function medianMs(fn: () => void, minTime = 0.4, maxReps = 200): number {
  for (let i = 0; i < 3; i++) fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < maxReps && (performance.now() - start < minTime * 1000 || times.length < 5)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Largest absolute difference between two arrays (benchmarks validate before they time). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

export function fmt(x: number, digits = 2): string {
  return x.toFixed(digits);
}
