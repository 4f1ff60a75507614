// Walks an N-d iteration shape over several strided views at once (shared by copy, binary, where).
import type { StridedArg } from '../kernels.js';

/**
 * Calls `body(i, offsets)` for every element of `shape` in row-major order, where `i` is the dense
 * position and `offsets[k]` the element's position in `args[k]`. `offsets` is reused: read it, never keep it.
 */
export function forEachStrided(
  shape: readonly number[],
  args: readonly StridedArg<ArrayLike<number>>[],
  body: (i: number, offsets: readonly number[]) => void,
): void {
  const rank = shape.length;
  for (const a of args) {
    if (a.strides.length !== rank) throw new RangeError(`strided view has ${a.strides.length} strides for a rank-${rank} shape`);
  }
  let total = 1;
  for (const s of shape) total *= s;
  const pos = new Array<number>(rank).fill(0);
  const offsets = args.map((a) => a.offset);
  for (let i = 0; i < total; i++) {
    body(i, offsets);
    // Odometer step: bump the last dimension, carrying into earlier ones.
    for (let d = rank - 1; d >= 0; d--) {
      pos[d]++;
      for (let k = 0; k < args.length; k++) offsets[k] += args[k].strides[d];
      if (pos[d] < shape[d]) break;
      for (let k = 0; k < args.length; k++) offsets[k] -= args[k].strides[d] * shape[d];
      pos[d] = 0;
    }
  }
}
