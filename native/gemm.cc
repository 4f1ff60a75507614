// GEMM: C = alpha · op(A) · op(B) + beta · C, batched, with B in float, bfloat16 or float16.
//
// Two engines:
// - the system BLAS (cblas_sgemm) when built with R1TS_HAVE_CBLAS; a half-precision B is widened to
//   float one bounded panel at a time, so the scratch memory stays small whatever the matrix size;
// - our own GEMM (gemm_kernels.h): packed SIMD micro-kernels picked at run time (AVX-512, AVX2+FMA or
//   portable 4-wide vectors), so one binary runs on any x86-64; products with M ≤ 4 (decoding) skip
//   packing and stream B once (gemm_skinny.cc).
// This file holds the drivers that split a batch over the thread pool, the argument checks, and the
// entry points: `gemm` chooses an engine; `blasGemm` and `ownGemm` force one (benchmarks and tests);
// `info()` reports the BLAS, threads and SIMD level.
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <string>

#include "gemm_kernels.h"
#include "kernel_util.h"

#ifdef R1TS_HAVE_CBLAS
#include <cblas.h>
#endif

namespace r1ts {
namespace gemm {
namespace {

// ---- drivers ----------------------------------------------------------------------------------
// C = beta · C, for the degenerate cases (K = 0 or alpha = 0) where A and B are not read.
void ScaleC(const Problem& p) {
  for (int64_t bi = 0; bi < p.batch; bi++) {
    float* c = p.c + bi * p.sC;
    for (int64_t i = 0; i < p.M; i++) {
      float* row = c + i * p.ldc;
      if (p.beta == 0) std::fill(row, row + p.N, 0.f);
      else if (p.beta != 1)
        for (int64_t j = 0; j < p.N; j++) row[j] *= p.beta;
    }
  }
}

// Splits the batch into batch · tm · tn rectangles so that the pool's threads get one each (or more
// batch items than threads), and runs them in parallel. Rectangles are whole MR×NR tiles.
void OwnGemm(const Problem& p) {
  const Engine& e = GetEngine();
  const bool skinny = p.M <= kSkinnyM;
  const int64_t unitM = skinny ? p.M : e.MR, unitN = skinny ? 128 : e.NR;
  const int64_t blocksM = (p.M + unitM - 1) / unitM, blocksN = (p.N + unitN - 1) / unitN;
  const double flops = 2.0 * p.M * p.N * p.K * p.batch;
  const int threads = flops < 2e6 ? 1 : NumThreads();
  int64_t tm = 1, tn = 1;
  if (p.batch < threads) {
    // Per matrix, want ≈ threads / batch rectangles; choose the split with the smallest perimeter.
    const int64_t want = (threads + p.batch - 1) / p.batch;
    double best = 1e300;
    for (int64_t a = 1; a <= want; a++) {
      const int64_t b = (want + a - 1) / a;
      if (a > blocksM || b > blocksN) continue;
      const double cost = static_cast<double>(p.M) / a + static_cast<double>(p.N) / b;
      if (cost < best) best = cost, tm = a, tn = b;
    }
  }
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t it = begin; it < end; it++) {
      const int64_t bi = it / (tm * tn), ti = it / tn % tm, tj = it % tn;
      const Mat m = Item(p, bi);
      const int64_t m0 = blocksM * ti / tm * unitM, m1 = std::min(p.M, blocksM * (ti + 1) / tm * unitM);
      const int64_t n0 = blocksN * tj / tn * unitN, n1 = std::min(p.N, blocksN * (tj + 1) / tn * unitN);
      if (m0 >= m1 || n0 >= n1) continue;
      if (skinny) SkinnyTile(m, n0, n1);
      else OwnTile(m, m0, m1, n0, n1);
    }
  };
  const int64_t items = p.batch * tm * tn;
  if (threads == 1) run(0, items);
  else ParallelFor(items, 1, run);
}

#ifdef R1TS_HAVE_CBLAS
constexpr int64_t kBlasMax = 2147483647;
thread_local Scratch halfPanel;  // half B widened for the BLAS (below)

bool FitsBlas(const Problem& p) {
  return p.M <= kBlasMax && p.N <= kBlasMax && p.K <= kBlasMax && p.lda <= kBlasMax && p.ldb <= kBlasMax && p.ldc <= kBlasMax;
}

// One product through cblas_sgemm on the calling thread (OpenBLAS runs single-threaded here, see
// InitGemm). A half-precision B is widened one kb×nb panel at a time (8 MiB of scratch at most) and
// multiplied into the matching columns of C; a transposed B stays transposed, so widening is a copy.
void BlasMatrix(const Mat& m) {
  const CBLAS_TRANSPOSE ta = m.ta ? CblasTrans : CblasNoTrans, tb = m.tb ? CblasTrans : CblasNoTrans;
  const int lda = static_cast<int>(std::max<int64_t>(m.lda, 1)), ldc = static_cast<int>(std::max<int64_t>(m.ldc, 1));
  if (m.bt == kF32) {
    cblas_sgemm(CblasRowMajor, ta, tb, m.M, m.N, m.K, m.alpha, m.a, lda, static_cast<const float*>(m.b),
                static_cast<int>(std::max<int64_t>(m.ldb, 1)), m.beta, m.c, ldc);
    return;
  }
  const int64_t kb = std::min<int64_t>(m.K, 512), nb = std::min<int64_t>(m.N, std::max<int64_t>(64, (int64_t(2) << 20) / kb));
  float* panel = halfPanel.Get(static_cast<size_t>(kb * nb));
  for (int64_t n0 = 0; n0 < m.N; n0 += nb) {
    const int64_t nw = std::min(nb, m.N - n0);
    for (int64_t k0 = 0; k0 < m.K; k0 += kb) {
      const int64_t kw = std::min(kb, m.K - k0);
      const int64_t rows = m.tb ? nw : kw, cols = m.tb ? kw : nw, ld = m.tb ? kw : nw;
      for (int64_t r = 0; r < rows; r++) {
        const int64_t off = m.tb ? (n0 + r) * m.ldb + k0 : (k0 + r) * m.ldb + n0;
        Widen(panel + r * ld, m.b, m.bt, off, cols);
      }
      const float* a = m.ta ? m.a + k0 * m.lda : m.a + k0;
      cblas_sgemm(CblasRowMajor, ta, tb, m.M, nw, kw, m.alpha, a, lda, panel, static_cast<int>(ld), k0 == 0 ? m.beta : 1.0f,
                  m.c + n0, ldc);
    }
  }
}

// Rows [m0, m1) and columns [n0, n1) of a product: the same operands, offset.
Mat SubMatrix(const Mat& m, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  Mat s = m;
  s.M = m1 - m0;
  s.N = n1 - n0;
  s.a = m.ta ? m.a + m0 : m.a + m0 * m.lda;
  const int64_t bOff = m.tb ? n0 * m.ldb : n0;
  s.b = static_cast<const char*>(m.b) + bOff * (m.bt == kF32 ? 4 : 2);
  s.c = m.c + m0 * m.ldc + n0;
  return s;
}

// OpenBLAS's own threads and our pool's would compete for the same cores (measured: a training step's
// GEMMs took twice as long with both), so OpenBLAS runs single-threaded and our pool splits each
// product into one block of C per thread: rows when C is taller than wide, else columns.
void BlasGemm(const Problem& p) {
  const double flops = 2.0 * p.M * p.N * p.K;
  const int threads = NumThreads();
  if (threads == 1 || flops * p.batch < 4e6) {
    for (int64_t bi = 0; bi < p.batch; bi++) BlasMatrix(Item(p, bi));
    return;
  }
  if (p.batch >= threads || flops < 2e6) {
    ParallelFor(p.batch, std::max<int64_t>(1, static_cast<int64_t>(4e6 / flops)), [&](int64_t b, int64_t e) {
      for (int64_t bi = b; bi < e; bi++) BlasMatrix(Item(p, bi));
    });
    return;
  }
  const bool byRows = p.M >= p.N;
  const int64_t extent = byRows ? p.M : p.N, unit = 16;
  const int64_t parts = std::min<int64_t>(threads, (extent + unit - 1) / unit);
  for (int64_t bi = 0; bi < p.batch; bi++) {
    const Mat m = Item(p, bi);
    ParallelFor(parts, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; t++) {
        const int64_t lo = (extent * t / parts) / unit * unit, hi = t + 1 == parts ? extent : (extent * (t + 1) / parts) / unit * unit;
        if (lo >= hi) continue;
        BlasMatrix(byRows ? SubMatrix(m, lo, hi, 0, m.N) : SubMatrix(m, 0, m.M, lo, hi));
      }
    });
  }
}
#endif

// ---- argument parsing and validation -------------------------------------------------------------
// The sizes of a problem, for error messages (built only when a check fails).
std::string Sizes(const Problem& p) {
  return "M=" + std::to_string(p.M) + " N=" + std::to_string(p.N) + " K=" + std::to_string(p.K) +
         " transA=" + (p.ta ? "true" : "false") + " transB=" + (p.tb ? "true" : "false") + " lda=" + std::to_string(p.lda) +
         " ldb=" + std::to_string(p.ldb) + " ldc=" + std::to_string(p.ldc) + " batch=" + std::to_string(p.batch);
}

// Where an operand's matrices lie in its array: offset, leading dimension (row stride), batch stride.
struct Layout {
  int64_t off, ld, stride;
};

// The Layout arguments info[i .. i+3), named for errors.
Layout ReadLayout(const Napi::CallbackInfo& info, int i, const char* kernel, const char* off, const char* ld, const char* stride) {
  return Layout{Size(info[i], kernel, off), Size(info[i + 1], kernel, ld), Size(info[i + 2], kernel, stride)};
}

// Checks that the batch of `rows`×`cols` matrices at `l` fits in the array.
void CheckMatrix(const Napi::Value& arr, const char* kernel, const char* name, const Problem& p, const Layout& l, int64_t rows,
                 int64_t cols) {
  const int64_t off = l.off, ld = l.ld, s = l.stride;
  if (ld < cols) {
    RangeFail(arr.Env(), Name(kernel, name) + ": leading dimension " + std::to_string(ld) + " is smaller than the row length " +
                             std::to_string(cols) + " (" + Sizes(p) + ")");
  }
  if (rows == 0 || cols == 0 || p.batch == 0) return;
  const __int128 last =
      static_cast<__int128>(off) + static_cast<__int128>(p.batch - 1) * s + static_cast<__int128>(rows - 1) * ld + cols - 1;
  const size_t have = Length(arr);
  if (last >= static_cast<__int128>(have)) {
    const std::string need = last < INT64_MAX ? std::to_string(static_cast<int64_t>(last + 1)) : std::string("more than 2^63");
    RangeFail(arr.Env(), Name(kernel, name) + ": needs " + need + " elements but the array has " + std::to_string(have) + " (" +
                             Sizes(p) + ")");
  }
}

// gemm(transA, transB, M, N, K, alpha, a, aOffset, lda, strideA, b, bDtype, bOffset, ldb, strideB, beta, c, cOffset,
// ldc, strideC, batch), checked against the arrays.
Problem Parse(const Napi::CallbackInfo& info, const char* kernel) {
  NeedArgs(info, 21, kernel);
  const std::string a = Name(kernel, "a"), b = Name(kernel, "b"), c = Name(kernel, "c");  // short: no allocation
  Problem p{};
  p.ta = Flag(info[0], kernel, "transA");
  p.tb = Flag(info[1], kernel, "transB");
  p.M = Size(info[2], kernel, "M");
  p.N = Size(info[3], kernel, "N");
  p.K = Size(info[4], kernel, "K");
  p.alpha = static_cast<float>(Num(info[5], kernel, "alpha"));
  p.a = F32(info[6], a.c_str());
  const Layout la = ReadLayout(info, 7, kernel, "aOffset", "lda", "strideA");
  const std::string bd = info[11].IsString() ? info[11].As<Napi::String>().Utf8Value() : "";
  if (bd == "float") p.bt = kF32, p.b = F32(info[10], b.c_str());
  else if (bd == "bfloat16") p.bt = kBf16, p.b = U16(info[10], b.c_str());
  else if (bd == "float16") p.bt = kF16, p.b = U16(info[10], b.c_str());
  else ArgTypeFail(info.Env(), kernel, "bDtype", "expected 'float', 'bfloat16' or 'float16'");
  const Layout lb = ReadLayout(info, 12, kernel, "bOffset", "ldb", "strideB");
  p.beta = static_cast<float>(Num(info[15], kernel, "beta"));
  p.c = F32(info[16], c.c_str());
  const Layout lc = ReadLayout(info, 17, kernel, "cOffset", "ldc", "strideC");
  p.batch = Size(info[20], kernel, "batch");
  p.lda = la.ld, p.sA = la.stride, p.ldb = lb.ld, p.sB = lb.stride, p.ldc = lc.ld, p.sC = lc.stride;

  CheckMatrix(info[6], kernel, "a", p, la, p.ta ? p.K : p.M, p.ta ? p.M : p.K);
  CheckMatrix(info[10], kernel, "b", p, lb, p.tb ? p.N : p.K, p.tb ? p.K : p.N);
  CheckMatrix(info[16], kernel, "c", p, lc, p.M, p.N);
  if (p.batch > 1 && p.sC == 0 && p.M > 0 && p.N > 0) {
    RangeFail(info.Env(), c + ": strideC is 0 with batch " + std::to_string(p.batch) + ", so the outputs would overlap");
  }
  p.a += la.off;
  p.b = static_cast<const char*>(p.b) + lb.off * (p.bt == kF32 ? 4 : 2);
  p.c += lc.off;
  return p;
}
// Handles the cases without a product; returns true when nothing is left to do.
bool Trivial(const Problem& p) {
  if (p.M == 0 || p.N == 0 || p.batch == 0) return true;
  if (p.K == 0 || p.alpha == 0) {
    ScaleC(p);
    return true;
  }
  return false;
}

Napi::Value GemmAuto(const Napi::CallbackInfo& info) {
  const Problem p = Parse(info, "gemm");
  if (!Trivial(p)) RunGemm(p);
  return info.Env().Undefined();
}

Napi::Value GemmOwn(const Napi::CallbackInfo& info) {
  const Problem p = Parse(info, "ownGemm");
  if (!Trivial(p)) OwnGemm(p);
  return info.Env().Undefined();
}

Napi::Value GemmBlas(const Napi::CallbackInfo& info) {
#ifdef R1TS_HAVE_CBLAS
  const Problem p = Parse(info, "blasGemm");
  if (!FitsBlas(p)) RangeFail(info.Env(), "blasGemm: a size or leading dimension exceeds the BLAS's 32-bit range");
  if (!Trivial(p)) BlasGemm(p);
  return info.Env().Undefined();
#else
  throw Napi::Error::New(info.Env(), "blasGemm: the native addon was built without a BLAS (R1TS_BLAS=none or libopenblas-dev missing)");
#endif
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
#ifdef R1TS_HAVE_CBLAS
  o.Set("blas", "openblas");
  o.Set("openblasCore", openblas_get_corename());
#else
  o.Set("blas", "none");
#endif
  o.Set("threads", NumThreads());
  o.Set("simd", IsaName());
  const char* ct = std::getenv("OPENBLAS_CORETYPE");
  o.Set("openblasCoretype", ct ? ct : "");
  return o;
}

}  // namespace

// Chooses the engine for a validated, non-trivial problem (see GemmAuto); other kernels call it too.
void RunGemm(const Problem& p) {
#ifdef R1TS_HAVE_CBLAS
  // Skinny products stream B without packing, which beats sgemm (no GEMV path in OpenBLAS's sgemm);
  // everything else goes to the BLAS when it can take the sizes.
  // Batches of mid-sized float products: OpenBLAS threads each product separately and poorly
  // (measured 120 vs our 160 GFLOP/s at 32 × 128·128·64 on 2 cores); ours splits the batch instead.
  const double mnk = static_cast<double>(p.M) * p.N * p.K;
  const bool midBatch = p.bt == kF32 && p.batch >= NumThreads() && p.batch > 1 && mnk > 262144 && mnk <= (1 << 22);
  // Single products up to 2^24 multiply-adds (e.g. 256³, 64×256×1024): ours matched or beat OpenBLAS
  // (bench/README.md: 0.97× at 256³, 1.16× at 64×256×1024) and skips its thread hand-off; below 64
  // rows (batched decoding) OpenBLAS was faster (measured 75 vs 96 µs at 32×1024×256).
  const bool smallProduct = p.bt == kF32 && p.batch == 1 && mnk <= (1 << 24) && p.M >= 64;
  if (p.M > kSkinnyM && !midBatch && !smallProduct && FitsBlas(p)) {
    BlasGemm(p);
    return;
  }
#endif
  OwnGemm(p);
}
}  // namespace gemm

void InitGemm(Napi::Env env, Napi::Object exports) {
#ifdef R1TS_HAVE_CBLAS
  openblas_set_num_threads(1);  // our pool does the threading (BlasGemm)
#endif
  exports.Set("gemm", Napi::Function::New(env, gemm::GemmAuto, "gemm"));
  exports.Set("ownGemm", Napi::Function::New(env, gemm::GemmOwn, "ownGemm"));
  exports.Set("blasGemm", Napi::Function::New(env, gemm::GemmBlas, "blasGemm"));
  exports.Set("info", Napi::Function::New(env, gemm::Info, "info"));
}

}  // namespace r1ts
