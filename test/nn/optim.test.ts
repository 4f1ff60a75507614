// Optimizers against PyTorch (float64): AdamW and SGD step by step, clipGradNorm; then a small
// linear regression trained end to end with autograd, AdamW, a schedule and tidy().

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Optimizer } from '../../src/nn/index.js';
import { AdamW, SGD, clipGradNorm, learningRate } from '../../src/nn/index.js';
import type { Tensor } from '../../src/tensor/index.js';
import * as T from '../../src/tensor/index.js';
import { availableBackends } from '../tensor/backends.js';

const backends = availableBackends();

interface Param {
  data: number[];
  shape: number[];
}

/** One oracle case; field names are those of test/oracle/torch_optim.py. */
interface OptimCase {
  name: string;
  kind: 'adamw' | 'sgd' | 'clip_grad_norm';
  params: Param[];
  /** Per step, one flat gradient per parameter (null: the parameter has no gradient that step). */
  grads: (number[] | null)[][];
  lr?: number[];
  betas?: [number, number];
  eps?: number;
  weight_decay?: number;
  momentum?: number;
  max_norm?: number;
  /** Construct our AdamW without options, to check that its defaults are torch's. */
  defaults?: boolean;
}

interface OracleResult {
  steps: number[][][];
  norm: number | null;
  grads: (number[] | null)[] | null;
}

// Values are float32-representable, so torch (float64) and we start from the same numbers.
const rng = new T.Rng(2024);
const f32s = (n: number, scale = 1): number[] => Array.from({ length: n }, () => Math.fround(scale * rng.normal()));
const param = (shape: number[]): Param => ({ data: f32s(shape.reduce((a, b) => a * b, 1)), shape });
const stepGrads = (params: Param[], scales: (number | null)[]): (number[] | null)[] =>
  params.map((p, i) => (scales[i] === null ? null : f32s(p.data.length, scales[i])));

const p3 = [param([2, 3]), param([4]), param([1])];
const p2 = [param([3]), param([2, 2])];

const cases: OptimCase[] = [
  {
    name: 'AdamW, 5 steps, changing lr',
    kind: 'adamw',
    params: p3,
    // Gradient scales differ per step and parameter; one gradient element is exactly 0 at step 0.
    grads: [[1, 0.1, 3], [2, 0.5, 0.01], [0.5, 1, 1], [1, 3, 0.2], [0.1, 0.1, 5]].map((s) => stepGrads(p3, s)),
    lr: [0.01, 0.01, 0.005, 0.02, 0.003],
    betas: [0.8, 0.95],
    eps: 1e-6,
    weight_decay: 0.1,
  },
  {
    name: 'AdamW with torch defaults',
    kind: 'adamw',
    params: p2,
    grads: [[1, 1], [0.3, 2], [1, 0.5]].map((s) => stepGrads(p2, s)),
    lr: [1e-3, 1e-3, 1e-3],
    betas: [0.9, 0.999],
    eps: 1e-8,
    weight_decay: 0.01,
    defaults: true,
  },
  {
    // torch keeps a step count per parameter: the second one sees its first update at step 2.
    name: 'AdamW, a parameter without gradient for two steps',
    kind: 'adamw',
    params: p2,
    grads: [[1, null], [1, null], [1, 1], [0.5, 2], [1, 1]].map((s) => stepGrads(p2, s)),
    lr: [0.01, 0.01, 0.01, 0.01, 0.01],
    betas: [0.9, 0.99],
    eps: 1e-8,
    weight_decay: 0.05,
  },
  {
    name: 'SGD with momentum and weight decay',
    kind: 'sgd',
    params: p3,
    grads: [[1, 1, 1], [0.5, 2, null], [1, 0.1, 1], [2, 1, 0.5], [1, 1, 1]].map((s) => stepGrads(p3, s)),
    lr: [0.1, 0.1, 0.05, 0.05, 0.2],
    momentum: 0.9,
    weight_decay: 0.01,
  },
  {
    name: 'plain SGD',
    kind: 'sgd',
    params: p2,
    grads: [[1, 1], [2, 0.5]].map((s) => stepGrads(p2, s)),
    lr: [0.1, 0.3],
    momentum: 0,
    weight_decay: 0,
  },
  // Global norm of 3 + 4 + 1 = 8 unit-normal values ≈ 2.8 (scaled ×5 here), so 1 clips.
  { name: 'clipGradNorm clips', kind: 'clip_grad_norm', params: p3, grads: [stepGrads(p3, [5, 5, null])], max_norm: 1 },
  { name: 'clipGradNorm leaves small norms', kind: 'clip_grad_norm', params: p3, grads: [stepGrads(p3, [1, 1, 1])], max_norm: 100 },
];

function oracle(cs: readonly OptimCase[]): OracleResult[] {
  const script = fileURLToPath(new URL('../oracle/torch_optim.py', import.meta.url));
  const proc = spawnSync('/usr/bin/python3', [script], { input: JSON.stringify({ version: 1, cases: cs }), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (proc.status !== 0) throw new Error(`PyTorch oracle failed (is Debian's python3-torch installed?): ${proc.stderr || proc.error?.message}`);
  const parsed = JSON.parse(proc.stdout) as { version: number; results: OracleResult[] };
  if (parsed.version !== 1) throw new Error(`oracle answered format version ${parsed.version}, expected 1`);
  return parsed.results;
}

/** |a−b| ≤ atol + rtol·|b| element-wise. */
function assertClose(actual: readonly number[], expected: readonly number[], label: string, atol = 1e-6, rtol = 1e-5): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  actual.forEach((a, i) => {
    const b = expected[i]!;
    assert.ok(Math.abs(a - b) <= atol + rtol * Math.abs(b), `${label}[${i}]: ours ${a} vs torch ${b}`);
  });
}

function setGrad(p: Tensor, g: number[] | null): void {
  T.zeroGrad([p]);
  if (g) p.grad = T.tensor(g, p.shape);
}

function makeOptimizer(c: OptimCase, params: Tensor[]): Optimizer {
  if (c.kind === 'sgd') return new SGD(params, { lr: c.lr![0]!, momentum: c.momentum!, weightDecay: c.weight_decay! });
  if (c.defaults) return new AdamW(params);
  return new AdamW(params, { lr: c.lr![0]!, beta1: c.betas![0], beta2: c.betas![1], eps: c.eps!, weightDecay: c.weight_decay! });
}

function runCase(c: OptimCase, want: OracleResult, backend: string): void {
  const params = c.params.map((p) => T.tensor(p.data, p.shape));
  try {
    if (c.kind === 'clip_grad_norm') {
      params.forEach((p, i) => setGrad(p, c.grads[0]![i]!));
      const norm = clipGradNorm(params, c.max_norm!);
      assertClose([norm], [want.norm!], `${backend} norm`, 0, 1e-6);
      params.forEach((p, i) => {
        const g = want.grads![i]!;
        if (g === null) assert.equal(p.grad, null, `${backend} param ${i} got a gradient`);
        else assertClose(p.grad!.toArray(), g, `${backend} clipped grad ${i}`, 1e-7, 1e-6);
      });
      if (want.norm! <= c.max_norm!) params.forEach((p, i) => assert.deepEqual(p.grad!.toArray(), c.grads[0]![i], `${backend} grad ${i} must stay unchanged`));
      return;
    }
    const opt = makeOptimizer(c, params);
    c.grads.forEach((grads, s) => {
      opt.lr = c.lr![s]!;
      params.forEach((p, i) => setGrad(p, grads[i]!));
      const before = params.map((p) => p.toArray());
      opt.step();
      params.forEach((p, i) => {
        if (grads[i] === null) assert.deepEqual(p.toArray(), before[i], `${backend} step ${s}: param ${i} has no gradient and must not move`);
        assertClose(p.toArray(), want.steps[s]![i]!, `${backend} step ${s} param ${i}`);
      });
    });
  } finally {
    T.zeroGrad(params);
    params.forEach((p) => p.dispose());
  }
}

describe('optimizers vs PyTorch', () => {
  let torch: OracleResult[] = [];
  before(() => {
    torch = oracle(cases);
  });
  for (const backend of backends) {
    describe(`backend ${backend}`, () => {
      cases.forEach((c, i) => test(c.name, () => T.withBackend(backend, () => runCase(c, torch[i]!, backend))));

      test('rejects parameters that are not dense float32', () => {
        T.withBackend(backend, () =>
          T.tidy(() => {
            assert.throws(() => new AdamW([T.transpose(T.zeros([2, 3]))]), T.TensorError);
            assert.throws(() => new SGD([T.toHalf(T.zeros([2]), 'bfloat16')]), T.TensorError);
          }),
        );
      });

      test('AdamW fits a noise-free linear regression; tidy frees every step', () => {
        T.withBackend(backend, () =>
          T.tidy(() => {
            const r = new T.Rng(11);
            const X = T.randn([64, 8], r);
            const y = T.noGrad(() => T.matmul(X, T.randn([8, 1], r)));
            const w = T.requireGrad(T.zeros([8, 1]));
            const opt = new AdamW([w], { lr: 0.1, weightDecay: 0 });
            const schedule = { kind: 'cosine', lr: 0.1, warmupSteps: 10, totalSteps: 200 } as const;
            const baseline = T.scopeSize();
            const stepTensors: Tensor[] = [];
            const losses: number[] = [];
            for (let s = 0; s < 200; s++) {
              opt.lr = learningRate(schedule, s);
              const loss = T.tidy(() => {
                const pred = T.matmul(X, w);
                const err = T.sub(pred, y);
                const l = T.mean(T.square(err));
                stepTensors.push(pred, err, l);
                T.backward(l);
                return l.item();
              });
              losses.push(loss);
              opt.step();
              const g = w.grad!;
              T.zeroGrad([w]);
              stepTensors.push(g);
              assert.equal(T.scopeSize(), baseline, `step ${s}: tensors leaked into the enclosing scope`);
            }
            assert.ok(stepTensors.every((t) => t.disposed), 'a tensor made inside a step survived it');
            assert.ok(!w.disposed && !X.disposed && !y.disposed);
            // y = X·w* exactly, so the minimum loss is 0 (float32 rounding aside, ~1e-12); starting from
            // w = 0 the loss is mean(y²) ≈ |w*|² ≈ 8. Five orders of magnitude down is a fit.
            assert.ok(losses[0]! > 1, `initial loss ${losses[0]}`);
            assert.ok(losses[199]! < 1e-4, `final loss ${losses[199]}`);
          }),
        );
      });
    });
  }
});
