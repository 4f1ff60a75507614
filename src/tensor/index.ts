// The tensor engine's public surface.

export type { AdamWArgs, AttentionArgs, BinaryOp, ExpertMlpArgs, FloatArray, GemmArgs, KvLayout, HalfArray, HalfDtype, Kernels, StridedArg, UnaryOp } from './backend/kernels.js';
export { backendName, kernels, nativeLoadError, refKernels, setBackend, withBackend } from './backend/select.js';
export type { BackendName } from './backend/select.js';
export { backward, isGradEnabled, noGrad, release, requireGrad, zeroGrad } from './autograd.js';
export type { DType, FloatDtype } from './dtype.js';
export { TensorError, fmtShape } from './errors.js';
export { Rng } from './random.js';
export { keep, scopeSize, tidy } from './scope.js';
export type { Shape } from './shape.js';
export { numel } from './shape.js';
export { Tensor, dense, empty, memoryStats } from './tensor.js';
export type { GradNode } from './tensor.js';

export { full, ones, rand, randn, tensor, toFloat32, toFloat64, toHalf, zeros } from './ops/create.js';
export type { CreateOptions } from './ops/create.js';
export { assign, cat, clone, contiguous, expand, permute, reshape, slice, split, squeeze, sumTo, transpose, unsqueeze } from './ops/views.js';
export {
  abs, add, affine, clamp, div, eq, exp, ge, gt, le, log, lt, maximum, minimum, mul, ne, neg, pow, relu, rsqrt, sigmoid, silu, sqrt, square, sub, tanh, where,
} from './ops/elementwise.js';
export { argmax, max, mean, sum } from './ops/reduce.js';
export { matmul } from './ops/matmul.js';
export { logSoftmax, rmsNorm, rope, softmax, swiglu } from './ops/layers.js';
export type { RopeOptions } from './ops/layers.js';
export { embedding, gather, indexAdd, indexCopyInto, indexSelect, topk } from './ops/indexing.js';
export type { IndexTensor } from './ops/indexing.js';
export { attention } from './ops/attention.js';
export type { AttentionOptions } from './ops/attention.js';
export { crossEntropy, tokenLogprobs } from './ops/loss.js';
