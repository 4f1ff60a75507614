// The `ref` backend: every kernel in plain TypeScript, the oracle the native addon is tested against.
import type { Kernels } from '../kernels.js';
import { attention, attentionBackward } from './attention.js';
import { allocFloat, copy, fill, floatToHalf, free, halfToFloat } from './copy.js';
import { binary, unary, unaryBackward, where } from './elementwise.js';
import { expertMlp } from './experts.js';
import { gemm } from './gemm.js';
import { gather, indexAdd, indexCopy, indexSelect, scatterAdd, topk } from './indexing.js';
import { rmsnorm, rmsnormBackward, rope, swiglu, swigluBackward } from './layers.js';
import { adamw } from './optim.js';
import {
  logSoftmax, logSoftmaxBackward, max, softmax, softmaxBackward, sum, sumSquares, tokenLogprobs, tokenLogprobsBackward,
} from './reduce.js';

export const refKernels: Kernels = {
  name: 'ref',
  info: () => ({ backend: 'ref', blas: 'none', threads: 1 }),
  allocFloat, free, copy, fill, halfToFloat, floatToHalf,
  unary, unaryBackward, binary, where,
  sum, max, sumSquares,
  softmax, softmaxBackward, logSoftmax, logSoftmaxBackward, tokenLogprobs, tokenLogprobsBackward,
  rmsnorm, rmsnormBackward, swiglu, swigluBackward, rope,
  indexSelect, indexAdd, indexCopy, gather, scatterAdd, topk,
  gemm, expertMlp,
  attention, attentionBackward,
  adamw,
};
