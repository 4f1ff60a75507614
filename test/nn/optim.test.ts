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

// Resuming from a checkpoint: the state exported after k steps and loaded into a fresh optimizer over
// fresh copies of the parameters must continue bit for bit as the optimizer that never stopped.
describe('optimizer state round trip', () => {
  const shapes = [[3, 4], [5], [2, 2]];
  const init = shapes.map((s) => f32s(s.reduce((a, b) => a * b, 1)));
  // Parameter 2 has no gradient for the first three steps (an idle expert): its step count lags.
  const grads = Array.from({ length: 8 }, (_, s) => shapes.map((sh, i) => (i === 2 && s < 3 ? null : f32s(sh.reduce((a, b) => a * b, 1), 0.5 + s / 4))));
  const lrs = grads.map((_, s) => 0.01 * (1 + (s % 3)));
  const builders = {
    adamw: (ps: Tensor[]) => new AdamW(ps, { lr: 0.01, beta1: 0.8, beta2: 0.95, weightDecay: 0.1 }),
    'sgd+momentum': (ps: Tensor[]) => new SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 0.01 }),
  };

  /** Steps `from` … `to`−1 on params; returns their values. */
  function steps(opt: Optimizer, params: Tensor[], from: number, to: number): number[][] {
    for (let s = from; s < to; s++) {
      opt.lr = lrs[s]!;
      params.forEach((p, i) => setGrad(p, grads[s]![i]!));
      opt.step();
    }
    T.zeroGrad(params);
    return params.map((p) => p.toArray());
  }

  for (const backend of backends) {
    for (const [name, build] of Object.entries(builders)) {
      test(`${backend}: ${name} resumed after 4 of 8 steps equals the uninterrupted run bit for bit`, () =>
        T.withBackend(backend, () => {
          const whole = init.map((d, i) => T.tensor(d, shapes[i]!));
          const first = init.map((d, i) => T.tensor(d, shapes[i]!));
          let resumed: Tensor[] = [];
          try {
            const wholeOpt = build(whole);
            const want = steps(wholeOpt, whole, 0, 8);
            const before = build(first);
            const mid = steps(before, first, 0, 4);
            const saved = before.stateDict();
            // What a checkpoint holds survives a trip through JSON and plain copies.
            const state = { kind: saved.kind, steps: JSON.parse(JSON.stringify(saved.steps)) as number[], tensors: Object.fromEntries(Object.entries(saved.tensors).map(([k, v]) => [k, v.slice()])) };
            resumed = mid.map((d, i) => T.tensor(d, shapes[i]!));
            const after = build(resumed);
            after.loadStateDict(state);
            assert.deepEqual(after.stateDict(), saved);
            const got = steps(after, resumed, 4, 8);
            got.forEach((g, i) => assert.deepEqual(g, want[i], `parameter ${i}`));
            // The uninterrupted optimizer's state equals the resumed one's too.
            assert.deepEqual(after.stateDict(), wholeOpt.stateDict());
          } finally {
            [...whole, ...first, ...resumed].forEach((p) => p.dispose());
          }
        }));
    }
  }

  test('stateDict is a copy unless asked for views, and the step counts are per parameter', () => {
    const ps = init.map((d, i) => T.tensor(d, shapes[i]!));
    try {
      const opt = new AdamW(ps);
      steps(opt, ps, 0, 4);
      const s = opt.stateDict();
      assert.deepEqual(s.steps, [4, 4, 1]);
      assert.deepEqual(Object.keys(s.tensors).sort(), ['m.0', 'm.1', 'm.2', 'v.0', 'v.1', 'v.2']);
      const m0 = s.tensors['m.0']![0]!;
      s.tensors['m.0']![0] = 123;
      assert.equal(opt.stateDict().tensors['m.0']![0], m0);
      const view = opt.stateDict({ copy: false }).tensors['m.0']!;
      assert.equal(view, opt.stateDict({ copy: false }).tensors['m.0'], '{ copy: false } gives the live buffer');
      assert.equal(view[0], m0);
      const sgd = new SGD(ps, { momentum: 0 });
      steps(sgd, ps, 0, 2);
      assert.deepEqual(sgd.stateDict(), { kind: 'sgd', steps: [2, 2, 0], tensors: {} }, 'no momentum, no buffers');
    } finally {
      ps.forEach((p) => p.dispose());
    }
  });

  test('loading a state of another optimizer or model fails with a clear error and changes nothing', () => {
    const ps = init.map((d, i) => T.tensor(d, shapes[i]!));
    try {
      const adam = new AdamW(ps);
      steps(adam, ps, 0, 4);
      const good = adam.stateDict();
      const fresh = new AdamW(ps);
      const untouched = fresh.stateDict();
      const sgd = new SGD(ps, { momentum: 0.9 });
      assert.throws(() => sgd.loadStateDict(good), /state is of a adamw optimizer, this one is sgd/);
      assert.throws(() => fresh.loadStateDict({ ...good, steps: good.steps.slice(0, 2) }), /step counts for 2 parameters, this optimizer has 3/);
      assert.throws(() => fresh.loadStateDict({ ...good, tensors: { ...good.tensors, 'm.1': new Float32Array(4) } }), /buffer "m.1" has 4 values, parameter 1 has 5/);
      const { 'v.2': _dropped, ...partial } = good.tensors;
      assert.throws(() => fresh.loadStateDict({ ...good, tensors: partial }), /lacks v\.2/);
      assert.throws(() => fresh.loadStateDict({ ...good, tensors: { ...good.tensors, 'w.0': new Float32Array(12) } }), /buffer "w.0" this optimizer does not know/);
      assert.throws(() => fresh.loadStateDict({ ...good, steps: [1, -1, 0] }), /step count 1 is -1/);
      assert.deepEqual(fresh.stateDict(), untouched);
    } finally {
      ps.forEach((p) => p.dispose());
    }
  });
});
