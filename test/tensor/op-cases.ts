// The op cases every backend is checked on: against PyTorch (op-torch.test.ts) and against central
// finite differences in float64 (op-gradcheck.test.ts). Each case names the PyTorch op that
// computes the same thing (test/oracle/torch_ops.py) and runs ours on possibly non-contiguous views.

import type { Tensor } from '../../src/tensor/index.js';
import * as T from '../../src/tensor/index.js';

export interface InputSpec {
  readonly shape: readonly number[];
  /** How the input is laid out in memory: a dense tensor, a transposed view, or a slice of a larger one. */
  readonly layout?: 'dense' | 'transposed' | 'sliced';
  /** Values are uniform in this range (default [-2, 2]). */
  readonly range?: readonly [number, number];
  /** Fixed values instead of random ones. */
  readonly values?: readonly number[];
  /** False for inputs that take no gradient (masks, conditions). */
  readonly grad?: boolean;
}

export interface OpCase {
  readonly name: string;
  readonly inputs: readonly InputSpec[];
  readonly torch: { readonly op: string; readonly params?: Record<string, unknown> };
  run(xs: Tensor[]): Tensor | Tensor[];
  /** Absolute/relative tolerance against the float64 oracle (default 2e-5 / 2e-4 scaled by size). */
  readonly tol?: number;
  /** False when finite differences do not apply (a non-smooth point, an op without gradient). */
  readonly gradcheck?: boolean;
  /** False for ops without a gradient. */
  readonly backward?: boolean;
}

const pos: [number, number] = [0.5, 2];
const unary = (name: string, fn: (x: Tensor) => Tensor, range?: [number, number], params?: Record<string, unknown>, torchOp = name): OpCase[] => [
  { name: `${name} dense`, inputs: [{ shape: [3, 4], range }], torch: { op: torchOp, params }, run: ([x]) => fn(x!) },
  { name: `${name} transposed`, inputs: [{ shape: [4, 5], layout: 'transposed', range }], torch: { op: torchOp, params }, run: ([x]) => fn(x!) },
];

const binaryShapes: { a: InputSpec; b: InputSpec; label: string }[] = [
  { label: 'same shape, sliced', a: { shape: [2, 3], layout: 'sliced' }, b: { shape: [2, 3] } },
  { label: 'broadcast row', a: { shape: [2, 3, 4] }, b: { shape: [4] } },
  { label: 'outer broadcast, transposed', a: { shape: [3, 1], layout: 'transposed' }, b: { shape: [1, 5] } },
];
const binary = (name: string, fn: (a: Tensor, b: Tensor) => Tensor, range?: [number, number]): OpCase[] =>
  binaryShapes.map(({ a, b, label }) => ({
    name: `${name} ${label}`,
    inputs: [{ ...a, range }, { ...b, range }],
    torch: { op: name },
    run: ([x, y]) => fn(x!, y!),
  }));

// RoPE tables for positions 0..7 and D/2 = 3 frequencies (theta 10000).
function ropeTables(half: number, positions: number): { cos: number[]; sin: number[] } {
  const cos: number[] = [];
  const sin: number[] = [];
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p / Math.pow(10000, (2 * i) / (2 * half));
      cos.push(Math.cos(angle));
      sin.push(Math.sin(angle));
    }
  }
  return { cos, sin };
}
const tables = ropeTables(3, 8);
const ropeCase = (interleaved: boolean): OpCase => {
  const positions = [0, 3, 5, 7, 1, 2];
  return {
    name: `rope ${interleaved ? 'interleaved' : 'half-split'}`,
    inputs: [{ shape: [2, 3, 2, 6] }],
    torch: { op: 'rope', params: { ...tables, pos: positions, interleaved } },
    run: ([x]) => T.rope(x!, T.tensor(tables.cos, [8, 3]), T.tensor(tables.sin, [8, 3]), Int32Array.from(positions), { interleaved }),
  };
};

const attn = (name: string, q: number[], k: number[], v: number[], params: { causal?: boolean; scale: number }, mask?: InputSpec): OpCase => ({
  name: `attention ${name}`,
  inputs: [{ shape: q }, { shape: k }, { shape: v }, ...(mask ? [mask] : [])],
  torch: { op: 'attention', params },
  run: ([a, b, c, m]) => T.attention(a!, b!, c!, { causal: params.causal, scale: params.scale, mask: m ?? null }),
});

// A mask with -Infinity entries, including one fully hidden query row.
const maskValues = [0, -1e30, 0.5, 0, 0, 0, -Infinity, 0.25, -Infinity, -Infinity, -Infinity, -Infinity].map((v) => (v === -1e30 ? -Infinity : v));

// Left padding in row 0 (as batched generation pads prompts), one hidden middle key in row 1.
const keyPadding = [[0, 0, 1, 1, 1], [1, 1, 0, 1, 1]];

export const opCases: readonly OpCase[] = [
  ...unary('neg', T.neg),
  ...unary('exp', T.exp),
  ...unary('log', T.log, pos),
  ...unary('sqrt', T.sqrt, pos),
  ...unary('rsqrt', T.rsqrt, pos),
  ...unary('abs', T.abs),
  ...unary('sigmoid', T.sigmoid),
  ...unary('silu', T.silu),
  ...unary('tanh', T.tanh),
  ...unary('relu', T.relu),
  ...unary('square', T.square),
  ...unary('clamp', (x) => T.clamp(x, -0.7, 1.1), undefined, { lo: -0.7, hi: 1.1 }),
  ...unary('affine', (x) => T.affine(x, -1.5, 0.25), undefined, { a: -1.5, b: 0.25 }),
  ...unary('pow scalar', (x) => T.pow(x, 2.5), pos, { p: 2.5 }, 'pow_scalar'),
  ...binary('add', T.add),
  ...binary('sub', T.sub),
  ...binary('mul', T.mul),
  ...binary('div', T.div, pos),
  ...binary('maximum', T.maximum),
  ...binary('minimum', T.minimum),
  ...binary('pow', T.pow, pos),
  {
    name: 'where broadcast',
    inputs: [{ shape: [2, 3], values: [1, 0, 1, 0, 0, 1], grad: false }, { shape: [2, 3], layout: 'transposed' }, { shape: [3] }],
    torch: { op: 'where' },
    run: ([c, a, b]) => T.where(c!, a!, b!),
  },
  { name: 'sum all', inputs: [{ shape: [3, 4, 5] }], torch: { op: 'sum', params: {} }, run: ([x]) => T.sum(x!) },
  { name: 'sum dims 0,2 keepdim', inputs: [{ shape: [3, 4, 5], layout: 'transposed' }], torch: { op: 'sum', params: { dims: [0, 2], keepdim: true } }, run: ([x]) => T.sum(x!, [0, 2], true) },
  { name: 'sum dim 1', inputs: [{ shape: [3, 4, 5] }], torch: { op: 'sum', params: { dims: [1], keepdim: false } }, run: ([x]) => T.sum(x!, 1) },
  { name: 'mean dim -1', inputs: [{ shape: [3, 6], layout: 'sliced' }], torch: { op: 'mean', params: { dims: [-1], keepdim: false } }, run: ([x]) => T.mean(x!, -1) },
  { name: 'max dim 1', inputs: [{ shape: [3, 5, 2] }], torch: { op: 'max', params: { dim: 1, keepdim: false } }, run: ([x]) => T.max(x!, 1) },
  { name: 'max dim -1 keepdim transposed', inputs: [{ shape: [4, 3], layout: 'transposed' }], torch: { op: 'max', params: { dim: -1, keepdim: true } }, run: ([x]) => T.max(x!, -1, true) },
  { name: 'softmax last', inputs: [{ shape: [3, 7], range: [-4, 4] }], torch: { op: 'softmax', params: { dim: -1 } }, run: ([x]) => T.softmax(x!) },
  { name: 'softmax dim 0 transposed', inputs: [{ shape: [5, 3], layout: 'transposed' }], torch: { op: 'softmax', params: { dim: 0 } }, run: ([x]) => T.softmax(x!, 0) },
  { name: 'logSoftmax last', inputs: [{ shape: [2, 3, 9], range: [-6, 6] }], torch: { op: 'log_softmax', params: { dim: -1 } }, run: ([x]) => T.logSoftmax(x!) },
  { name: 'rmsNorm', inputs: [{ shape: [2, 3, 8] }, { shape: [8] }], torch: { op: 'rmsnorm', params: { eps: 1e-6 } }, run: ([x, w]) => T.rmsNorm(x!, w!, 1e-6) },
  { name: 'rmsNorm transposed', inputs: [{ shape: [4, 6], layout: 'transposed' }, { shape: [6], layout: 'sliced' }], torch: { op: 'rmsnorm', params: { eps: 1e-5 } }, run: ([x, w]) => T.rmsNorm(x!, w!, 1e-5) },
  { name: 'swiglu', inputs: [{ shape: [3, 8] }, { shape: [3, 8], layout: 'sliced' }], torch: { op: 'swiglu' }, run: ([g, u]) => T.swiglu(g!, u!) },
  ropeCase(true),
  ropeCase(false),
  { name: 'matmul 2d', inputs: [{ shape: [3, 4] }, { shape: [4, 5] }], torch: { op: 'matmul' }, run: ([a, b]) => T.matmul(a!, b!) },
  { name: 'matmul transposed operands', inputs: [{ shape: [3, 4], layout: 'transposed' }, { shape: [4, 5], layout: 'transposed' }], torch: { op: 'matmul' }, run: ([a, b]) => T.matmul(a!, b!) },
  { name: 'matmul batched x weight (folded)', inputs: [{ shape: [2, 3, 4] }, { shape: [4, 6] }], torch: { op: 'matmul' }, run: ([a, b]) => T.matmul(a!, b!) },
  { name: 'matmul batched both', inputs: [{ shape: [2, 3, 4] }, { shape: [2, 4, 5], layout: 'transposed' }], torch: { op: 'matmul' }, run: ([a, b]) => T.matmul(a!, b!) },
  { name: 'matmul broadcast batch', inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }], torch: { op: 'matmul' }, run: ([a, b]) => T.matmul(a!, b!) },
  { name: 'matmul sliced rows', inputs: [{ shape: [5, 4], layout: 'sliced' }, { shape: [4, 3] }], torch: { op: 'matmul' }, run: ([a, b]) => T.matmul(a!, b!) },
  {
    name: 'embedding',
    inputs: [{ shape: [6, 4] }],
    torch: { op: 'embedding', params: { idx: [1, 5, 1, 0, 3, 5], shape: [2, 3] } },
    run: ([w]) => T.embedding(w!, { data: Int32Array.from([1, 5, 1, 0, 3, 5]), shape: [2, 3] }),
  },
  { name: 'indexSelect dim 1', inputs: [{ shape: [3, 5, 2] }], torch: { op: 'index_select', params: { dim: 1, idx: [4, 0, 4, 2] } }, run: ([x]) => T.indexSelect(x!, 1, Int32Array.from([4, 0, 4, 2])) },
  {
    name: 'indexAdd dim 0',
    inputs: [{ shape: [4, 3] }, { shape: [5, 3] }],
    torch: { op: 'index_add', params: { dim: 0, idx: [3, 1, 3, 0, 3] } },
    run: ([x, s]) => T.indexAdd(x!, 0, Int32Array.from([3, 1, 3, 0, 3]), s!),
  },
  {
    name: 'gather dim 1',
    inputs: [{ shape: [3, 5] }],
    torch: { op: 'gather', params: { dim: 1, idx: [4, 0, 0, 1, 1, 1, 2, 3, 2], shape: [3, 3] } },
    run: ([x]) => T.gather(x!, 1, { data: Int32Array.from([4, 0, 0, 1, 1, 1, 2, 3, 2]), shape: [3, 3] }),
  },
  { name: 'topk', inputs: [{ shape: [3, 8], layout: 'sliced' }], torch: { op: 'topk', params: { k: 3 } }, run: ([x]) => T.topk(x!, 3).values, backward: false, gradcheck: false },
  { name: 'cat dim 1', inputs: [{ shape: [2, 3] }, { shape: [2, 2], layout: 'transposed' }, { shape: [2, 1] }], torch: { op: 'cat', params: { dim: 1 } }, run: (xs) => T.cat(xs, 1) },
  { name: 'split dim 0', inputs: [{ shape: [5, 3] }], torch: { op: 'split', params: { sizes: [2, 3], dim: 0 } }, run: ([x]) => T.split(x!, [2, 3], 0) },
  { name: 'reshape of transposed', inputs: [{ shape: [3, 4], layout: 'transposed' }], torch: { op: 'reshape', params: { shape: [2, 6] } }, run: ([x]) => T.reshape(x!, [2, 6]) },
  { name: 'permute', inputs: [{ shape: [2, 3, 4] }], torch: { op: 'permute', params: { dims: [2, 0, 1] } }, run: ([x]) => T.permute(x!, [2, 0, 1]) },
  { name: 'slice', inputs: [{ shape: [4, 5] }], torch: { op: 'slice', params: { dim: 1, start: 1, end: 4 } }, run: ([x]) => T.slice(x!, 1, 1, 4) },
  { name: 'expand', inputs: [{ shape: [3, 1] }], torch: { op: 'expand', params: { shape: [2, 3, 4] } }, run: ([x]) => T.expand(x!, [2, 3, 4]) },
  attn('plain', [2, 2, 3, 4], [2, 2, 5, 4], [2, 2, 5, 3], { scale: 0.5 }),
  attn('causal', [1, 2, 6, 8], [1, 2, 6, 8], [1, 2, 6, 8], { causal: true, scale: 1 / Math.sqrt(8) }),
  attn('causal decode offset, grouped heads', [2, 4, 2, 4], [2, 2, 5, 4], [2, 2, 5, 6], { causal: true, scale: 0.5 }),
  attn('additive mask with hidden row', [1, 2, 3, 4], [1, 2, 4, 4], [1, 2, 4, 4], { scale: 0.5 }, { shape: [1, 1, 3, 4], values: maskValues, grad: false }),
  {
    name: 'attention causal with key padding and a mask',
    inputs: [{ shape: [2, 2, 3, 4] }, { shape: [2, 2, 5, 4] }, { shape: [2, 2, 5, 4] }, { shape: [1, 1, 3, 5], grad: false }],
    torch: { op: 'attention', params: { causal: true, scale: 0.5, key_padding: keyPadding } },
    run: ([q, k, v, m]) => T.attention(q!, k!, v!, { causal: true, scale: 0.5, mask: m!, keyPadding: T.tensor(keyPadding.flat(), [2, 5]) }),
  },
  {
    name: 'tokenLogprobs with ignored',
    inputs: [{ shape: [2, 3, 7], range: [-3, 3] }],
    torch: { op: 'token_logprobs', params: { targets: [0, 6, -100, 3, 2, 5] } },
    run: ([x]) => T.tokenLogprobs(x!, Int32Array.from([0, 6, -100, 3, 2, 5])),
  },
  {
    name: 'crossEntropy',
    inputs: [{ shape: [4, 9], layout: 'transposed' }],
    torch: { op: 'cross_entropy', params: { targets: [8, 0, -100, 4] } },
    run: ([x]) => T.crossEntropy(x!, Int32Array.from([8, 0, -100, 4])),
  },
];
