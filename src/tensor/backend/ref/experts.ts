// The MoE experts' MLPs, composed from the reference GEMM and SwiGLU (the oracle for native expertMlp).
import type { ExpertMlpArgs, FloatArray, GemmArgs } from '../kernels.js';
import { gemm } from './gemm.js';
import { swiglu } from './layers.js';

export function expertMlp(e: ExpertMlpArgs): void {
  const linear = (y: FloatArray, yOff: number, x: FloatArray, xOff: number, rows: number, K: number, N: number, w: ExpertMlpArgs['gates'][number]) => {
    const args: GemmArgs = {
      transA: false, transB: true, M: rows, N, K, alpha: 1, beta: 0, a: x, aOffset: xOff, lda: K, strideA: 0,
      b: w, bDtype: e.dtype, bOffset: 0, ldb: K, strideB: 0, c: y, cOffset: yOff, ldc: N, strideC: 0, batch: 1,
    };
    gemm(args);
  };
  e.starts.forEach((start, i) => {
    const count = e.counts[i]!;
    if (count === 0) return;
    const g = new Float64Array(count * e.inter);
    const u = new Float64Array(count * e.inter);
    linear(g, 0, e.x, start * e.d, count, e.d, e.inter, e.gates[i]!);
    linear(u, 0, e.x, start * e.d, count, e.d, e.inter, e.ups[i]!);
    swiglu(g, g, u, count * e.inter);
    linear(e.out, start * e.d, g, 0, count, e.inter, e.d, e.downs[i]!);
  });
}
