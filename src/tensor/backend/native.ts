// The native backend: the C++ N-API addon (native/, built by node-gyp into build/Release) behind the
// `Kernels` contract. The addon takes positional arguments (native/README.md): a StridedArg becomes
// `data, offset, strides` and the GemmArgs / AttentionArgs / AdamWArgs objects are spread in order.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuFacts } from '../../util/index.js';
import type { AdamWArgs, AttentionArgs, GemmArgs, Kernels, KvLayout, StridedArg } from './kernels.js';

type AddonFn = (...args: unknown[]) => unknown;
type Addon = Record<string, AddonFn>;

/** Every function the addon must export: the Kernels methods plus the benchmark entry points. */
const REQUIRED = [
  'info', 'allocFloat', 'free', 'copy', 'fill', 'halfToFloat', 'floatToHalf', 'unary', 'unaryBackward', 'binary', 'where',
  'sum', 'max', 'sumSquares', 'softmax', 'softmaxBackward', 'logSoftmax', 'logSoftmaxBackward', 'tokenLogprobs',
  'tokenLogprobsBackward', 'rmsnorm', 'rmsnormBackward', 'swiglu', 'swigluBackward', 'rope', 'indexSelect', 'indexAdd', 'indexCopy',
  'gather', 'scatterAdd', 'topk', 'gemm', 'expertMlp', 'attention', 'attentionBackward', 'adamw', 'blasGemm', 'ownGemm',
] as const;

/**
 * OpenBLAS picks its kernels when the library loads, and OPENBLAS_CORETYPE overrides its CPU detection.
 * A stale or generic value (our dev machines preset OPENBLAS_CORETYPE=Haswell) or an OpenBLAS older than the CPU
 * gives AVX2 or older kernels: on an AVX-512 Zen 5, 1024³ sgemm runs at 124 GFLOP/s per core with
 * Haswell or Zen kernels against 230 with SkylakeX or Cooperlake ones (Prescott: ~40). So name the core
 * from the CPU flags, before the addon (which links libopenblas) is first required: OpenBLAS reads the
 * variable in its load-time constructor. R1TS_KEEP_OPENBLAS_CORETYPE=1 keeps the user's value.
 */
function chooseOpenblasCoretype(): void {
  if (process.env.R1TS_KEEP_OPENBLAS_CORETYPE) return;
  if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'ia32')) return;
  const flags = new Set(cpuFacts().features);
  let core: string | undefined;
  if (flags.has('avx512_bf16')) core = 'Cooperlake';
  else if (flags.has('avx512f') && flags.has('avx512vl') && flags.has('avx512bw')) core = 'SkylakeX';
  else if (flags.has('avx2')) core = 'Haswell';
  if (core) process.env.OPENBLAS_CORETYPE = core;
}

let loaded: (Kernels & NativeExtras) | null = null;
let loadError: string | null = null;
let attempted = false;

/** Why the native backend is unavailable (null when it loaded, or before the first attempt). */
export function nativeLoadError(): string | null {
  return loadError;
}

/** The native kernels, or null (see nativeLoadError) when the addon is missing or broken. Never throws. */
export function loadNativeKernels(): (Kernels & NativeExtras) | null {
  if (attempted) return loaded;
  attempted = true;
  // This file is src/tensor/backend/native.ts or dist/tensor/backend/native.js: the root is 3 up.
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const file = join(root, 'build', 'Release', 'r1ts_native.node');
  try {
    chooseOpenblasCoretype();
    const addon = createRequire(import.meta.url)(file) as Addon;
    const missing = REQUIRED.filter((name) => typeof addon[name] !== 'function');
    if (missing.length > 0) throw new Error(`the addon lacks ${missing.join(', ')} (stale build? run \`npm rebuild r1ts\`)`);
    loaded = wrap(addon);
  } catch (err) {
    // First line only: Node appends the require stack to a missing-module message.
    loadError = `cannot load ${file}: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`;
  }
  return loaded;
}

/** The positional flattening of a StridedArg. */
const s = (x: StridedArg): [StridedArg['data'], number, readonly number[]] => [x.data, x.offset, x.strides];

function attentionTail(a: AttentionArgs): unknown[] {
  const mask = a.mask;
  return [a.B, a.H, a.Hk, a.Tq, a.Tk, a.D, a.Dv, a.scale, a.causal, mask ? mask.data : null, mask ? mask.offset : 0, mask ? mask.strides : []];
}

/** A k/v view's [offset, strideB, strideHk, strideTk], or null for dense rows. */
function layout(l: KvLayout | null | undefined): number[] | null {
  return l ? [l.offset, ...l.strides] : null;
}

function gemmArgs(g: GemmArgs): unknown[] {
  return [g.transA, g.transB, g.M, g.N, g.K, g.alpha, g.a, g.aOffset, g.lda, g.strideA, g.b, g.bDtype, g.bOffset, g.ldb, g.strideB,
    g.beta, g.c, g.cOffset, g.ldc, g.strideC, g.batch];
}

function adamwArgs(a: AdamWArgs): unknown[] {
  return [a.lr, a.beta1, a.beta2, a.eps, a.weightDecay, a.step];
}

/** Extra native-only entry points, for benchmarks: force one GEMM engine. */
export interface NativeExtras {
  blasGemm(args: GemmArgs): void;
  ownGemm(args: GemmArgs): void;
}

function wrap(n: Addon): Kernels & NativeExtras {
  return {
    name: 'native',
    info: () => n.info() as Record<string, string | number | boolean>,
    allocFloat: (len, zeroed = true) => n.allocFloat(len, zeroed) as Float32Array,
    free: (a) => void n.free(a),
    copy: (dst, src, shape) => void n.copy(...s(dst), ...s(src), shape),
    fill: (out, value, offset, len) => void n.fill(out, value, offset, len),
    halfToFloat: (out, src, dtype, len) => void n.halfToFloat(out, src, dtype, len),
    floatToHalf: (out, src, dtype, len) => void n.floatToHalf(out, src, dtype, len),
    unary: (op, out, x, len, alpha, beta) => void n.unary(op, out, x, len, alpha, beta),
    unaryBackward: (op, gx, gy, x, y, len, alpha, beta) => void n.unaryBackward(op, gx, gy, x, y, len, alpha, beta),
    binary: (op, out, a, b, shape) => void n.binary(op, out, ...s(a), ...s(b), shape),
    where: (out, cond, a, b, shape) => void n.where(out, ...s(cond), ...s(a), ...s(b), shape),
    sum: (out, x, outer, len, inner) => void n.sum(out, x, outer, len, inner),
    max: (out, idx, x, outer, len, inner) => void n.max(out, idx, x, outer, len, inner),
    sumSquares: (x, len) => n.sumSquares(x, len) as number,
    softmax: (out, x, rows, len) => void n.softmax(out, x, rows, len),
    softmaxBackward: (gx, gy, y, rows, len) => void n.softmaxBackward(gx, gy, y, rows, len),
    logSoftmax: (out, x, rows, len) => void n.logSoftmax(out, x, rows, len),
    logSoftmaxBackward: (gx, gy, y, rows, len) => void n.logSoftmaxBackward(gx, gy, y, rows, len),
    tokenLogprobs: (out, lse, logits, targets, rows, len) => void n.tokenLogprobs(out, lse, logits, targets, rows, len),
    tokenLogprobsBackward: (glogits, gout, logits, lse, targets, rows, len) =>
      void n.tokenLogprobsBackward(glogits, gout, logits, lse, targets, rows, len),
    rmsnorm: (out, rstd, x, w, rows, len, eps) => void n.rmsnorm(out, rstd, x, w, rows, len, eps),
    rmsnormBackward: (gx, gw, gy, x, w, rstd, rows, len) => void n.rmsnormBackward(gx, gw, gy, x, w, rstd, rows, len),
    swiglu: (out, gate, up, len) => void n.swiglu(out, gate, up, len),
    swigluBackward: (ggate, gup, gy, gate, up, len) => void n.swigluBackward(ggate, gup, gy, gate, up, len),
    rope: (out, x, cos, sin, pos, S, H, D, interleaved, inverse) => void n.rope(out, x, cos, sin, pos, S, H, D, interleaved, inverse),
    indexSelect: (out, x, idx, outer, len, inner, m) => void n.indexSelect(out, x, idx, outer, len, inner, m),
    indexAdd: (out, src, idx, outer, len, inner, m) => void n.indexAdd(out, src, idx, outer, len, inner, m),
    indexCopy: (out, src, idx, outer, len, inner, m) => void n.indexCopy(out, src, idx, outer, len, inner, m),
    gather: (out, x, idx, outer, len, inner, m) => void n.gather(out, x, idx, outer, len, inner, m),
    scatterAdd: (out, src, idx, outer, len, inner, m) => void n.scatterAdd(out, src, idx, outer, len, inner, m),
    topk: (values, indices, x, rows, len, k) => void n.topk(values, indices, x, rows, len, k),
    gemm: (g) => void n.gemm(...gemmArgs(g)),
    expertMlp: (e) => void n.expertMlp(e.out, e.x, e.rows, e.d, e.inter, e.starts, e.counts, e.gates, e.ups, e.downs, e.dtype),
    blasGemm: (g) => void n.blasGemm(...gemmArgs(g)),
    ownGemm: (g) => void n.ownGemm(...gemmArgs(g)),
    attention: (out, lse, q, k, v, a) => void n.attention(out, lse, q, k, v, ...attentionTail(a), layout(a.kLayout), layout(a.vLayout)),
    attentionBackward: (gq, gk, gv, gout, q, k, v, out, lse, a) =>
      void n.attentionBackward(gq, gk, gv, gout, q, k, v, out, lse, ...attentionTail(a)),
    adamw: (param, grad, m, v, len, a) => void n.adamw(param, grad, m, v, len, ...adamwArgs(a)),
  };
}
