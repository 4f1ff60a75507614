// Batched GEMM, C = alpha·op(A)·op(B) + beta·C, with B in float or raw bf16/f16 bits.
import type { GemmArgs } from '../kernels.js';
import { halfBitsToFloat } from './half.js';

export function gemm(args: GemmArgs): void {
  const { transA, transB, M, N, K, alpha, beta, a, lda, b, bDtype, ldb, c, ldc } = args;
  const readB: (at: number) => number =
    bDtype === 'float' ? (at) => b[at] : (at) => halfBitsToFloat(b[at], bDtype);
  for (let batch = 0; batch < args.batch; batch++) {
    const a0 = args.aOffset + batch * args.strideA;
    const b0 = args.bOffset + batch * args.strideB;
    const c0 = args.cOffset + batch * args.strideC;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) {
          const av = a[a0 + (transA ? k * lda + m : m * lda + k)];
          const bv = readB(b0 + (transB ? n * ldb + k : k * ldb + n));
          acc += av * bv;
        }
        const at = c0 + m * ldc + n;
        // As in BLAS, beta = 0 means C is not read, so NaN or garbage already in C cannot leak through.
        c[at] = beta === 0 ? alpha * acc : alpha * acc + beta * c[at];
      }
    }
  }
}
