// The token layout of a rollout batch for the trainer's forward passes: each row is one completion with
// its prompt; the loss sees only completion tokens, padded to a common width L, with a mask of the
// tokens that count (1) and those that do not (padding, masked truncations: 0).

export interface TokenRows {
  readonly prompts: readonly (readonly number[])[];
  readonly completions: readonly (readonly number[])[];
  /** The widest completion: the loss's L. */
  readonly width: number;
  /** [R·width], 1 where a completion token counts in the loss. */
  readonly mask: Float32Array;
}

/** Rows from prompts and completions; `rowMask[i]` = 0 takes row i out of the loss (truncation masking). */
export function tokenRows(prompts: readonly (readonly number[])[], completions: readonly (readonly number[])[], rowMask: ArrayLike<number>): TokenRows {
  if (prompts.length !== completions.length || rowMask.length !== completions.length) {
    throw new RangeError(`tokenRows: ${prompts.length} prompts, ${completions.length} completions and ${rowMask.length} row masks; give one of each per row`);
  }
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new RangeError(`tokenRows: row ${i} has an empty prompt; every row needs at least one prompt token (e.g. BOS)`);
  });
  const width = Math.max(1, ...completions.map((c) => c.length));
  const mask = new Float32Array(completions.length * width);
  completions.forEach((c, i) => {
    if (rowMask[i]! > 0) mask.fill(1, i * width, i * width + c.length);
  });
  return { prompts, completions, width, mask };
}

/** Rows [start, end) with the same width, so their per-token arrays are slices of the whole batch's. */
export function sliceRows(rows: TokenRows, start: number, end: number): TokenRows {
  return { prompts: rows.prompts.slice(start, end), completions: rows.completions.slice(start, end), width: rows.width, mask: rows.mask.slice(start * rows.width, end * rows.width) };
}

/** Tokens through the model for these rows (prompt + completion), for throughput figures. */
export function rowTokens(rows: TokenRows): number {
  return rows.prompts.reduce((a, p, i) => a + p.length + rows.completions[i]!.length, 0);
}

/** [start, end) ranges of at most `size` rows covering `count` rows. */
export function chunks(count: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let a = 0; a < count; a += size) out.push([a, Math.min(count, a + size)]);
  return out;
}

/** `count` rows split into `parts` contiguous ranges of near-equal size (fewer when there are fewer rows). */
export function evenSplit(count: number, parts: number): [number, number][] {
  const n = Math.min(parts, count);
  return Array.from({ length: n }, (_, k) => [Math.floor((k * count) / n), Math.floor(((k + 1) * count) / n)] as [number, number]);
}
