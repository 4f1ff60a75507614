// float8 e4m3fn weights with 128×128 block scales, as DeepSeek-V3/R1 checkpoints store every linear
// layer except embeddings, lm_head, the router and the MTP projections (reference §5.2).
// Letters: W [out, in] is the weight, S [ceil(out/128), ceil(in/128)] its `weight_scale_inv` grid.

/** Rows and columns of one scale block; config.json's quantization_config.weight_block_size may differ. */
export const FP8_BLOCK = 128;

/** The value of one e4m3fn code: no infinities, S.1111.111 is NaN, the largest finite value is ±448. */
function e4m3ToFloat(code: number): number {
  const sign = code & 0x80 ? -1 : 1;
  const e = (code >> 3) & 0xf;
  const m = code & 0x7;
  if (e === 0xf && m === 0x7) return NaN;
  return sign * (e === 0 ? 2 ** -6 * (m / 8) : 2 ** (e - 7) * (1 + m / 8));
}

/** Every e4m3fn code's float value, indexed by the byte. */
export const FP8_E4M3_VALUES: Float32Array = Float32Array.from({ length: 256 }, (_, code) => e4m3ToFloat(code));

/** out[i] = value of the e4m3fn code src[i]. */
export function decodeFp8E4M3(out: Float32Array, src: Uint8Array): void {
  for (let i = 0; i < src.length; i++) out[i] = FP8_E4M3_VALUES[src[i]];
}

/** The scale grid [ceil(out/bRows), ceil(in/bCols)] of a weight [out, in]; edge blocks may be partial. */
export function scaleGridShape(weightShape: readonly [number, number], block: readonly [number, number] = [FP8_BLOCK, FP8_BLOCK]): [number, number] {
  return [Math.ceil(weightShape[0] / block[0]), Math.ceil(weightShape[1] / block[1])];
}

/**
 * In place: W[i, j] *= S[floor(i/bRows), floor(j/bCols)] over W [rows, cols] (already decoded from
 * fp8). Despite the name `scale_inv`, the stored scale multiplies. S must have scaleGridShape's shape.
 */
export function dequantizeBlocks(
  w: Float32Array,
  weightShape: readonly [number, number],
  scaleInv: Float32Array,
  block: readonly [number, number] = [FP8_BLOCK, FP8_BLOCK],
): void {
  const [rows, cols] = weightShape;
  const [bRows, bCols] = block;
  const gridCols = Math.ceil(cols / bCols);
  for (let i = 0; i < rows; i++) {
    const sRow = Math.floor(i / bRows) * gridCols;
    const wRow = i * cols;
    for (let jb = 0; jb < gridCols; jb++) {
      const s = scaleInv[sRow + jb];
      const end = wRow + Math.min(cols, (jb + 1) * bCols);
      for (let k = wRow + jb * bCols; k < end; k++) w[k] *= s;
    }
  }
}
