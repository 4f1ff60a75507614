// Shared machinery of the op tests: builds the inputs of an OpCase (as dense tensors or
// non-contiguous views), runs our op forward and backward, and asks PyTorch for the same.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FloatDtype, Tensor } from '../../src/tensor/index.js';
import * as T from '../../src/tensor/index.js';
import type { InputSpec, OpCase } from './op-cases.js';

export interface Values {
  readonly data: number[];
  readonly shape: number[];
}

/** Random input values and output gradients of a case, fixed once so every run sees the same. */
export interface CaseData {
  readonly inputs: Values[];
  readonly gradOutputs: Values[];
}

export interface RunResult {
  readonly outputs: Values[];
  /** null where an input takes no gradient. */
  readonly grads: (Values | null)[];
}

function values(spec: InputSpec, rng: T.Rng): Values {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.values) return { data: [...spec.values], shape: [...spec.shape] };
  const [lo, hi] = spec.range ?? [-2, 2];
  return { data: Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform()), shape: [...spec.shape] };
}

/** Input values, then output shapes from a forward run on the ref backend, then gradient values. */
export function makeCaseData(c: OpCase, seed: number): CaseData {
  const rng = new T.Rng(seed);
  const inputs = c.inputs.map((s) => values(s, rng));
  const outs = T.withBackend('ref', () =>
    T.tidy(() => {
      const xs = inputs.map((v) => T.tensor(v.data, v.shape));
      return asList(T.noGrad(() => c.run(xs))).map((o) => [...o.shape]);
    }),
  );
  const gradOutputs = c.backward === false ? [] : outs.map((shape) => values({ shape }, rng));
  return { inputs, gradOutputs };
}

function asList(x: Tensor | Tensor[]): Tensor[] {
  return Array.isArray(x) ? x : [x];
}

/** Lays an input out as its spec says; `leaf` is the tensor gradients accumulate into. */
function layout(spec: InputSpec, v: Values, dtype: FloatDtype): { leaf: Tensor; view: (t: Tensor) => Tensor } {
  const logical = T.tensor(v.data, v.shape, { dtype });
  const kind = spec.layout ?? 'dense';
  if (kind === 'dense' || v.shape.length === 0) return { leaf: logical, view: (t) => t };
  if (kind === 'transposed' && v.shape.length >= 2) {
    const leaf = T.contiguous(T.transpose(logical, -1, -2));
    return { leaf, view: (t) => T.transpose(t, -1, -2) };
  }
  // Sliced: the values sit in the middle of a wider last dimension.
  const last = v.shape.length - 1;
  const padShape = [...v.shape];
  padShape[last] = 1;
  const pad = T.full(padShape, 7, { dtype });
  const leaf = T.cat([pad, logical, pad], last);
  return { leaf, view: (t) => T.slice(t, last, 1, v.shape[last]! + 1) };
}

/** Runs our op on the current backend in `dtype`; returns the outputs and the inputs' gradients. */
export function runOurs(c: OpCase, data: CaseData, dtype: FloatDtype = 'float32'): RunResult {
  return T.tidy(() => {
    const laid = c.inputs.map((spec, i) => layout(spec, data.inputs[i]!, dtype));
    laid.forEach(({ leaf }, i) => {
      if (c.backward !== false && c.inputs[i]!.grad !== false) T.requireGrad(leaf);
    });
    const outs = asList(c.run(laid.map(({ leaf, view }) => view(leaf))));
    const outputs = outs.map((o) => ({ data: o.toArray(), shape: [...o.shape] }));
    if (c.backward === false) return { outputs, grads: laid.map(() => null) };
    // Σ out·gradOut as one scalar, so one backward() covers several outputs.
    const terms = outs.map((o, i) => T.sum(T.mul(o, T.tensor(data.gradOutputs[i]!.data, data.gradOutputs[i]!.shape, { dtype }))));
    const loss = terms.reduce((a, b) => T.add(a, b));
    T.backward(loss);
    const grads = laid.map(({ leaf, view }, i) => {
      if (c.inputs[i]!.grad === false) return null;
      const g = leaf.grad ? view(leaf.grad) : T.zeros(data.inputs[i]!.shape, { dtype });
      return { data: g.toArray(), shape: [...g.shape] };
    });
    return { outputs, grads };
  });
}

const oracleScript = fileURLToPath(new URL('../oracle/torch_ops.py', import.meta.url));

function encode(x: number): number | string {
  return Number.isFinite(x) ? x : String(x);
}

/** Runs every case through PyTorch (float64) in one Python process. */
export function torchResults(cases: readonly OpCase[], data: readonly CaseData[]): RunResult[] {
  const request = {
    version: 1,
    cases: cases.map((c, i) => ({
      op: c.torch.op,
      params: c.torch.params ?? {},
      inputs: data[i]!.inputs.map((v, j) => ({ data: v.data.map(encode), shape: v.shape, grad: c.backward !== false && c.inputs[j]!.grad !== false })),
      grad_outputs: data[i]!.gradOutputs.map((v) => ({ data: v.data.map(encode), shape: v.shape })),
    })),
  };
  const proc = spawnSync('/usr/bin/python3', [oracleScript], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (proc.status !== 0) throw new Error(`PyTorch oracle failed (is Debian's python3-torch installed?): ${proc.stderr || proc.error?.message}`);
  const parsed = JSON.parse(proc.stdout, (_k, v: unknown) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v)) as {
    version: number;
    results: { outputs: Values[]; grads?: (Values | null)[] }[];
  };
  if (parsed.version !== 1) throw new Error(`oracle answered format version ${parsed.version}, expected 1`);
  return parsed.results.map((r, i) => ({ outputs: r.outputs, grads: r.grads ?? cases[i]!.inputs.map(() => null) }));
}

/** Largest |a−b| / (atol + rtol·|b|) over the elements; ≤ 1 means within tolerance. NaN/±Inf must match. */
export function closeness(a: readonly number[], b: readonly number[], atol: number, rtol: number): { ratio: number; at: number } {
  if (a.length !== b.length) return { ratio: Infinity, at: -1 };
  let worst = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!Number.isFinite(y) || !Number.isFinite(x)) {
      if (Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y))) continue;
      return { ratio: Infinity, at: i };
    }
    const r = Math.abs(x - y) / (atol + rtol * Math.abs(y));
    if (r > worst) {
      worst = r;
      at = i;
    }
  }
  return { ratio: worst, at };
}
