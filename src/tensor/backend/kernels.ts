// The backend contract: every kernel the tensor engine needs, as plain functions on flat typed arrays.
//
// Two implementations exist: `ref` (plain TypeScript, the oracle) and `native` (the C++ N-API addon).
// Both pass the same conformance tests. Conventions, as in llm.c:
// - outputs first, then inputs, then sizes; every array is dense and row-major unless strides are given;
// - a kernel never allocates its outputs: the caller passes them, already sized;
// - "accumulates" in a comment means the kernel adds into the output (+=) instead of overwriting it;
// - float arrays are Float32Array, or Float64Array on the ref backend only (finite-difference checks);
// - half-precision storage (bf16, f16) is a Uint16Array of raw bits; only `gemm` and `halfToFloat`
//   read it directly.

/** Float storage a kernel computes on. Native accepts Float32Array only. */
export type FloatArray = Float32Array | Float64Array;
/** Raw bits of bfloat16 or IEEE float16 values. */
export type HalfArray = Uint16Array;
export type HalfDtype = 'bfloat16' | 'float16';

/**
 * Elementwise ops of one input. `alpha` and `beta` are the op's scalar parameters:
 * pow: x^alpha; clamp: min(max(x, alpha), beta); affine: alpha*x + beta. Others ignore them.
 */
export type UnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'abs' | 'sigmoid' | 'silu' | 'tanh' | 'relu' | 'pow' | 'clamp' | 'affine' | 'square';

/** Elementwise ops of two inputs. Comparisons (eq, ne, lt, le, gt, ge) write 1 or 0. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum' | 'pow' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/** A strided view into a flat array: element (i0, i1, …) is at `offset + Σ ik·strides[k]`. */
export interface StridedArg<A = FloatArray> {
  readonly data: A;
  readonly offset: number;
  /** One stride per dimension of the iteration shape; 0 broadcasts that dimension. */
  readonly strides: readonly number[];
}

export interface ExpertMlpArgs {
  readonly out: FloatArray;
  readonly x: FloatArray;
  readonly rows: number;
  readonly d: number;
  readonly inter: number;
  readonly starts: Int32Array;
  readonly counts: Int32Array;
  readonly gates: readonly (FloatArray | HalfArray)[];
  readonly ups: readonly (FloatArray | HalfArray)[];
  readonly downs: readonly (FloatArray | HalfArray)[];
  readonly dtype: 'float' | HalfDtype;
}

export interface GemmArgs {
  /** C[M,N] = alpha · op(A)[M,K] · op(B)[K,N] + beta · C, repeated `batch` times. */
  readonly transA: boolean;
  readonly transB: boolean;
  readonly M: number;
  readonly N: number;
  readonly K: number;
  readonly alpha: number;
  readonly beta: number;
  readonly a: FloatArray;
  readonly aOffset: number;
  /** Leading dimension of A as stored (row stride). */
  readonly lda: number;
  /** Element distance between consecutive batch matrices of A (0 broadcasts one A). */
  readonly strideA: number;
  /** B may be half precision (weights kept in bf16/f16); it is widened to float inside the kernel. */
  readonly b: FloatArray | HalfArray;
  readonly bDtype: 'float' | HalfDtype;
  readonly bOffset: number;
  readonly ldb: number;
  readonly strideB: number;
  readonly c: FloatArray;
  readonly cOffset: number;
  readonly ldc: number;
  readonly strideC: number;
  readonly batch: number;
}

export interface AttentionArgs {
  /** q [B, H, Tq, D], k [B, Hk, Tk, D], v [B, Hk, Tk, Dv], out [B, H, Tq, Dv]; H % Hk === 0 (grouped heads). */
  readonly B: number;
  readonly H: number;
  readonly Hk: number;
  readonly Tq: number;
  readonly Tk: number;
  readonly D: number;
  readonly Dv: number;
  readonly scale: number;
  /** Query i may see key j only when j <= i + (Tk - Tq) (the queries are the last Tq positions). */
  readonly causal: boolean;
  /**
   * Optional additive mask broadcast to [B, H, Tq, Tk] through its strides (0 strides broadcast);
   * -Infinity hides a key. Key padding is expressed this way too.
   */
  readonly mask: StridedArg<FloatArray> | null;
  /**
   * Forward only: where the rows of k and v lie when they are views (e.g. a KV cache's slots), read in
   * place; absent means dense. The backward pass takes dense k and v.
   */
  readonly kLayout?: KvLayout | null;
  readonly vLayout?: KvLayout | null;
}

/** Rows of k or v as a view: element offset and strides over [B, Hk, Tk]; the last dimension is dense. */
export interface KvLayout {
  readonly offset: number;
  readonly strides: readonly [number, number, number];
}

export interface AdamWArgs {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** The step number after this update (1 for the first), for bias correction. */
  readonly step: number;
}

export interface Kernels {
  readonly name: 'ref' | 'native';
  /** Human-readable facts for `r1ts doctor`: BLAS in use, threads, SIMD. */
  info(): Record<string, string | number | boolean>;

  /** A zero-filled float32 array of n elements whose memory lives outside the V8 heap. */
  /**
   * With zeroed = false the contents are unspecified (a recycled buffer), for outputs that a kernel
   * overwrites entirely; backends may still return zeros.
   */
  allocFloat(n: number, zeroed?: boolean): Float32Array;
  /** Releases an array from allocFloat now; it must not be used afterwards. */
  free(a: Float32Array): void;

  // ---- copies and conversions ---------------------------------------------------------------
  /** dst[i] = src[i] over `shape`, both strided (a transpose or a slice becomes dense this way). */
  copy(dst: StridedArg, src: StridedArg, shape: readonly number[]): void;
  fill(out: FloatArray, value: number, offset: number, n: number): void;
  /** out[i] = float(src[i]) for bf16 or f16 bits. */
  halfToFloat(out: FloatArray, src: HalfArray, dtype: HalfDtype, n: number): void;
  /** out[i] = bits of src[i] rounded to nearest even in the half format. */
  floatToHalf(out: HalfArray, src: FloatArray, dtype: HalfDtype, n: number): void;

  // ---- elementwise ---------------------------------------------------------------------------
  /** out[i] = f(x[i]), dense. */
  unary(op: UnaryOp, out: FloatArray, x: FloatArray, n: number, alpha: number, beta: number): void;
  /** gx[i] = gy[i] · f'(x[i]); y = f(x) is passed too so kernels can reuse it (exp, sqrt, sigmoid). */
  unaryBackward(op: UnaryOp, gx: FloatArray, gy: FloatArray, x: FloatArray, y: FloatArray, n: number, alpha: number, beta: number): void;
  /** out (dense, `shape`) = a ∘ b, with a and b strided over `shape` (broadcasting by 0 strides). */
  binary(op: BinaryOp, out: FloatArray, a: StridedArg, b: StridedArg, shape: readonly number[]): void;
  /** out (dense) = cond != 0 ? a : b, all three strided over `shape`. */
  where(out: FloatArray, cond: StridedArg, a: StridedArg, b: StridedArg, shape: readonly number[]): void;

  // ---- reductions (x viewed as [outer, n, inner], reduced over n) -----------------------------
  sum(out: FloatArray, x: FloatArray, outer: number, n: number, inner: number): void;
  /** Max and the first index reaching it (NaN counts as the max, as in PyTorch). */
  max(out: FloatArray, idx: Int32Array, x: FloatArray, outer: number, n: number, inner: number): void;
  /** Σ x[i]² over a dense array, in double precision. */
  sumSquares(x: FloatArray, n: number): number;

  // ---- softmax family over the last dimension (x viewed as [rows, n]) ------------------------
  softmax(out: FloatArray, x: FloatArray, rows: number, n: number): void;
  /** gx = y ⊙ (gy − Σ gy⊙y). */
  softmaxBackward(gx: FloatArray, gy: FloatArray, y: FloatArray, rows: number, n: number): void;
  logSoftmax(out: FloatArray, x: FloatArray, rows: number, n: number): void;
  /** gx = gy − exp(y) · Σ gy. */
  logSoftmaxBackward(gx: FloatArray, gy: FloatArray, y: FloatArray, rows: number, n: number): void;
  /**
   * Token log-probabilities straight from logits, without a softmax copy:
   * out[r] = logits[r, t_r] − logsumexp(logits[r]); lse[r] = logsumexp(logits[r]).
   * A negative target (ignore index) gives out[r] = 0.
   */
  tokenLogprobs(out: FloatArray, lse: FloatArray, logits: FloatArray, targets: Int32Array, rows: number, n: number): void;
  /** glogits[r, j] = gout[r] · (1[j = t_r] − softmax(logits[r])_j); rows with a negative target get 0. */
  tokenLogprobsBackward(glogits: FloatArray, gout: FloatArray, logits: FloatArray, lse: FloatArray, targets: Int32Array, rows: number, n: number): void;

  // ---- fused layers --------------------------------------------------------------------------
  /** out = x · rsqrt(mean(x²) + eps) · w, per row of n; rstd[r] = the row's rsqrt. */
  rmsnorm(out: FloatArray, rstd: FloatArray, x: FloatArray, w: FloatArray, rows: number, n: number, eps: number): void;
  /** gx overwritten; gw accumulates. */
  rmsnormBackward(gx: FloatArray, gw: FloatArray, gy: FloatArray, x: FloatArray, w: FloatArray, rstd: FloatArray, rows: number, n: number): void;
  /** out = silu(gate) ⊙ up. */
  swiglu(out: FloatArray, gate: FloatArray, up: FloatArray, n: number): void;
  swigluBackward(ggate: FloatArray, gup: FloatArray, gy: FloatArray, gate: FloatArray, up: FloatArray, n: number): void;
  /**
   * Rotary embedding. x and out are [S, H, D] (S token rows, H heads); row s uses position pos[s] and
   * the tables cos, sin [P, D/2]. Pair i is (x[2i], x[2i+1]) when interleaved, else (x[i], x[i+D/2]).
   * inverse = true rotates by −θ, which is the backward pass. out may alias x.
   */
  rope(out: FloatArray, x: FloatArray, cos: FloatArray, sin: FloatArray, pos: Int32Array, S: number, H: number, D: number, interleaved: boolean, inverse: boolean): void;

  // ---- indexing (x viewed as [outer, n, inner]) -----------------------------------------------
  /** out[o, j, i] = x[o, idx[j], i] for j < m: embedding lookup and index-select. */
  indexSelect(out: FloatArray, x: FloatArray, idx: Int32Array, outer: number, n: number, inner: number, m: number): void;
  /** Accumulates: out[o, idx[j], i] += src[o, j, i] for j < m (index-add, embedding backward). */
  indexAdd(out: FloatArray, src: FloatArray, idx: Int32Array, outer: number, n: number, inner: number, m: number): void;
  /** Overwrites: out[o, idx[j], i] = src[o, j, i] for j < m (distinct idx: rows written into a KV cache). */
  indexCopy(out: FloatArray, src: FloatArray, idx: Int32Array, outer: number, n: number, inner: number, m: number): void;
  /** out[o, j, i] = x[o, idx[o, j, i], i], idx and out [outer, m, inner] (torch.gather). */
  gather(out: FloatArray, x: FloatArray, idx: Int32Array, outer: number, n: number, inner: number, m: number): void;
  /** Accumulates: out[o, idx[o, j, i], i] += src[o, j, i] (gather's backward). */
  scatterAdd(out: FloatArray, src: FloatArray, idx: Int32Array, outer: number, n: number, inner: number, m: number): void;
  /** The k largest of each row of n, in descending order; ties keep the lower index first. */
  topk(values: FloatArray, indices: Int32Array, x: FloatArray, rows: number, n: number, k: number): void;

  // ---- matrix products -----------------------------------------------------------------------
  gemm(args: GemmArgs): void;
  /**
   * The SwiGLU MLPs of MoE experts in one call (inference): for each expert i, rows [starts[i],
   * starts[i] + counts[i]) of x [rows, d] go through down(silu(x·gateᵀ) ⊙ x·upᵀ) into the same rows
   * of out (overwritten). gate/up are [inter, d] and down [d, inter], as Linear weights, all of dtype.
   */
  expertMlp(args: ExpertMlpArgs): void;

  // ---- attention (memory-efficient: saves only out and the row log-sum-exp) ---------------------
  /** out [B, H, Tq, Dv]; lse [B, H, Tq] (−Infinity for a row that sees no key; its out row is 0). */
  attention(out: FloatArray, lse: FloatArray, q: FloatArray, k: FloatArray, v: FloatArray, args: AttentionArgs): void;
  /** Overwrites gq, gk, gv, recomputing probabilities from q, k and lse. */
  attentionBackward(gq: FloatArray, gk: FloatArray, gv: FloatArray, gout: FloatArray, q: FloatArray, k: FloatArray, v: FloatArray, out: FloatArray, lse: FloatArray, args: AttentionArgs): void;

  // ---- optimizer -----------------------------------------------------------------------------
  /** One decoupled-weight-decay Adam step, in place on param, m and v. */
  adamw(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, n: number, args: AdamWArgs): void;
}
