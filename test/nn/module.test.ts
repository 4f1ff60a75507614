// Modules: Linear/Embedding forward and gradients against hand-computed values, RMSNorm against
// PyTorch float64, dotted HF parameter names for a nested module, and a bf16 Linear weight.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { Embedding, Linear, Module, ModuleList, RMSNorm } from '../../src/nn/index.js';
import type { Tensor } from '../../src/tensor/index.js';
import * as T from '../../src/tensor/index.js';
import { availableBackends } from '../tensor/backends.js';

function close(actual: readonly number[], expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i]! - e) <= tol, `${what}[${i}]: ${actual[i]} vs ${e}`));
}

// A nested module shaped like one HF decoder layer's names.
class Mlp extends Module {
  readonly up_proj: Linear;
  readonly down_proj: Linear;
  constructor(rng: T.Rng) {
    super();
    this.up_proj = this.child('up_proj', new Linear(4, 8, { rng }));
    this.down_proj = this.child('down_proj', new Linear(8, 4, { rng, bias: true }));
  }
}
class Layer extends Module {
  constructor(rng: T.Rng) {
    super();
    this.child('input_layernorm', new RMSNorm(4));
    this.child('mlp', new Mlp(rng));
  }
}
class Tiny extends Module {
  constructor(rng: T.Rng) {
    super();
    this.child('embed_tokens', new Embedding(10, 4, { rng }));
    this.child('layers', new ModuleList([new Layer(rng), new Layer(rng)]));
    this.child('norm', new RMSNorm(4));
  }
}

test('parameter names are dotted, complete and in order', () => {
  const m = new Tiny(new T.Rng(1));
  const layer = (i: number): string[] => ['input_layernorm.weight', 'mlp.up_proj.weight', 'mlp.down_proj.weight', 'mlp.down_proj.bias'].map((n) => `layers.${i}.${n}`);
  assert.deepEqual(m.namedParameters().map(([n]) => n), ['embed_tokens.weight', ...layer(0), ...layer(1), 'norm.weight']);
  assert.equal(m.parameters().length, 10);
  assert.deepEqual(m.namedParameters('model.')[0]![0], 'model.embed_tokens.weight');
  assert.ok(m.parameters().every((p) => p.requiresGrad));
});

test('initialisation is seeded and uses the configured std', () => {
  const a = new Linear(64, 64, { rng: new T.Rng(3), std: 0.5 });
  const b = new Linear(64, 64, { rng: new T.Rng(3), std: 0.5 });
  assert.deepEqual(a.weight.toArray(), b.weight.toArray());
  const w = a.weight.toArray();
  const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
  assert.ok(Math.abs(std - 0.5) < 0.03, `std ${std}`);
  assert.equal(a.bias, null);
});

// RMSNorm oracle: y = x / sqrt(mean(x²) + eps) · w and the gradients of sum(y · g).
const X = [0.5, -1.25, 2, 0.75, -0.5, 1.5, 0.25, -2];
const W = [1, 0.5, -1.5, 2];
const G = [1, -2, 0.5, 3, -1, 0.25, 2, -0.5];
const RMS_SCRIPT = `
import json, torch
x = torch.tensor(${JSON.stringify(X)}, dtype=torch.float64).reshape(2, 4).requires_grad_()
w = torch.tensor(${JSON.stringify(W)}, dtype=torch.float64).requires_grad_()
g = torch.tensor(${JSON.stringify(G)}, dtype=torch.float64).reshape(2, 4)
y = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w
(y * g).sum().backward()
print(json.dumps({'y': y.flatten().tolist(), 'gx': x.grad.flatten().tolist(), 'gw': w.grad.tolist()}))
`;

for (const backend of availableBackends()) {
  describe(`modules forward and backward [${backend}]`, () => {
    test('Linear: y = x·Wᵀ + b and its gradients', () => T.withBackend(backend, () => {
      const lin = new Linear(3, 2, { rng: new T.Rng(5), bias: true });
      const w = [1, 2, 3, -1, 0.5, 2];
      const b = [0.5, -1];
      lin.weight.data.set(w);
      lin.bias!.data.set(b);
      const xs = [1, -1, 2, 0.5, 3, -2];
      const gs = [1, 2, -1, 0.5];
      const x = T.tensor(xs, [2, 3], { requiresGrad: true });
      const y = lin.forward(x);
      // Row 0: [1-2+6+0.5, -1-0.5+4-1] ; row 1: [0.5+6-6+0.5, -0.5+1.5-4-1]
      close(y.toArray(), [5.5, 1.5, 1, -4], 1e-6, 'y');
      T.backward(T.sum(T.mul(y, T.tensor(gs, [2, 2]))));
      // dW = gᵀ·x, db = Σ_rows g, dx = g·W
      close(lin.weight.grad!.toArray(), [1 - 0.5, -1 - 3, 2 + 2, 2 + 0.25, -2 + 1.5, 4 - 1], 1e-6, 'dW');
      close(lin.bias!.grad!.toArray(), [0, 2.5], 1e-6, 'db');
      close(x.grad!.toArray(), [1 - 2, 2 + 1, 3 + 4, -1 - 0.5, -2 + 0.25, -3 + 1], 1e-6, 'dx');
    }));

    test('Embedding: rows by id, gradient scattered back (repeated id adds)', () => T.withBackend(backend, () => {
      const emb = new Embedding(4, 2, { rng: new T.Rng(6) });
      emb.weight.data.set([0, 1, 10, 11, 20, 21, 30, 31]);
      const y = emb.forward({ data: Int32Array.from([2, 0, 2]), shape: [1, 3] });
      assert.deepEqual(y.shape, [1, 3, 2]);
      close(y.toArray(), [20, 21, 0, 1, 20, 21], 0, 'y');
      T.backward(T.sum(T.mul(y, T.tensor([1, 2, 3, 4, 5, 6], [1, 3, 2]))));
      close(emb.weight.grad!.toArray(), [3, 4, 0, 0, 6, 8, 0, 0], 1e-6, 'dW');
    }));

    test('RMSNorm against PyTorch float64', () => T.withBackend(backend, () => {
      const r = spawnSync('/usr/bin/python3', ['-c', RMS_SCRIPT], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const want = JSON.parse(r.stdout) as { y: number[]; gx: number[]; gw: number[] };
      const norm = new RMSNorm(4, 1e-6);
      norm.weight.data.set(W);
      const x = T.tensor(X, [2, 4], { requiresGrad: true });
      const y = norm.forward(x);
      close(y.toArray(), want.y, 1e-5, 'y');
      T.backward(T.sum(T.mul(y, T.tensor(G, [2, 4]))));
      close(x.grad!.toArray(), want.gx, 1e-5, 'dx');
      close(norm.weight.grad!.toArray(), want.gw, 1e-5, 'dw');
    }));

    test('a bf16 Linear weight gives the output of its float32 widening', () => T.withBackend(backend, () => T.noGrad(() => {
      const lin = new Linear(16, 8, { rng: new T.Rng(9), std: 1, bias: true });
      lin.bias!.data.set(Array.from({ length: 8 }, (_, i) => i / 4));
      const half: Tensor = T.toHalf(lin.weight, 'bfloat16');
      const widened = T.toFloat32(half);
      const x = T.randn([3, 16], new T.Rng(10));
      lin.setWeight(widened);
      const want = lin.forward(x).toArray();
      lin.setWeight(half);
      assert.equal(lin.weight.dtype, 'bfloat16');
      close(lin.forward(x).toArray(), want, 1e-5, 'y');
      assert.throws(() => lin.setWeight(T.zeros([16, 8])), /does not match/);
    })));
  });
}
