// Define-by-run autograd. An op whose inputs need gradients records a GradNode on its output;
// backward() walks the nodes in reverse topological order, turning each output gradient into input
// gradients, and accumulates (+=) into the leaves' .grad. Gradients of intermediate tensors are
// disposed as soon as they have been consumed.

import type { Kernels } from './backend/kernels.js';
import { kernels, refKernels } from './backend/select.js';
import { TensorError, fmtShape } from './errors.js';
import { keep } from './scope.js';
import { sameShape } from './shape.js';
import type { GradNode, RegionGrad, Tensor } from './tensor.js';
import { dense, empty, view } from './tensor.js';

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn without recording ops for autograd (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const saved = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = saved;
  }
}

/** The kernels for these tensors: float64 always runs on the ref backend. */
export function kernelsFor(...ts: readonly (Tensor | null | undefined)[]): Kernels {
  for (const t of ts) if (t?.dtype === 'float64') return refKernels;
  return kernels();
}

/** True when an op on these inputs must be recorded. */
export function needsGrad(...inputs: readonly (Tensor | null | undefined)[]): boolean {
  return gradEnabled && inputs.some((t) => t?.requiresGrad === true);
}

/** Attaches a node to an op's output when grad is on and an input needs it. Returns the output. */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], saved: readonly Tensor[], backward: GradNode['backward']): Tensor {
  const temps = saved.filter((s) => s !== out && !inputs.includes(s));
  if (!needsGrad(...inputs)) {
    for (const t of temps) t.dispose();
    return out;
  }
  out.requiresGrad = true;
  out.node = { op, inputs, saved, temps, released: false, backward };
  return out;
}

/** Disposes an intermediate now unless the autograd graph still needs it (then its scope frees it). */
export function release(t: Tensor): void {
  if (!t.requiresGrad) t.dispose();
}

/** Marks a tensor as a leaf whose gradient backward() accumulates into .grad. */
export function requireGrad(t: Tensor): Tensor {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new TensorError('requireGrad', `${t.dtype} tensors cannot require grad`);
  t.requiresGrad = true;
  return t;
}

/** into += g, where `into` is dense and owned (see owned()) and g may be any view. */
function accumulate(into: Tensor, g: Tensor): void {
  const a = dense(into);
  const gData = g.data as Float32Array;
  kernelsFor(into, g).binary('add', a, { data: a, offset: 0, strides: into.strides }, { data: gData, offset: g.offset, strides: g.strides }, into.shape);
}

/** g itself when it is dense and its storage is its own, else a dense copy (g is then disposed). */
function owned(g: Tensor): Tensor {
  if (g.isContiguous() && g.offset === 0 && g.storage.refs === 1) return g;
  const copy = ownCopy(g);
  g.dispose();
  return copy;
}

/** A dense copy of g (gradients handed to leaves must not alias another tensor's storage). */
function ownCopy(g: Tensor): Tensor {
  const out = empty(g.shape, g.dtype, false);
  kernelsFor(g).copy({ data: dense(out), offset: 0, strides: out.strides }, { data: g.data as Float32Array, offset: g.offset, strides: g.strides }, g.shape);
  return out;
}

/** Back-propagates from a scalar (or from `grad` for a non-scalar output). */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) throw new TensorError('backward', `tensor ${fmtShape(root.shape)} does not require grad (no input needed gradients, or it was computed under noGrad)`);
  if (!grad && root.size !== 1) throw new TensorError('backward', `called on a tensor of shape ${fmtShape(root.shape)}; pass a gradient or reduce to a scalar first`);
  const order = topoSort(root);
  const grads = new Map<Tensor, Tensor>();
  if (grad) {
    if (!sameShape(grad.shape, root.shape)) throw new TensorError('backward', `gradient ${fmtShape(grad.shape)} does not match output ${fmtShape(root.shape)}`);
    grads.set(root, ownCopy(grad));
  } else {
    const one = empty(root.shape, root.dtype === 'float64' ? 'float64' : 'float32');
    dense(one)[0] = 1;
    grads.set(root, one);
  }
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const g = grads.get(t);
    if (!g) continue;
    grads.delete(t);
    const node = t.node;
    if (!node) {
      if (!t.grad) t.grad = keep(owned(g));
      else {
        accumulate(t.grad, g);
        g.dispose();
      }
      continue;
    }
    if (node.released) {
      throw new TensorError('backward', `op '${node.op}' was already back-propagated and its saved tensors freed; compute the forward pass again before a second backward()`);
    }
    for (const s of node.saved) {
      if (s.disposed) {
        throw new TensorError('backward', `op '${node.op}' needs a tensor of shape ${fmtShape(s.shape)} that was disposed before backward(); dispose tensors only after backward()`);
      }
    }
    const inputGrads = noGrad(() => node.backward(g));
    g.dispose();
    node.released = true;
    for (const tmp of node.temps) tmp.dispose();
    node.inputs.forEach((input, j) => {
      const ig = inputGrads[j];
      if (!ig || !input.requiresGrad) {
        if (ig) (isRegion(ig) ? ig.grad : ig).dispose();
        return;
      }
      if (isRegion(ig)) {
        grads.set(input, addRegion(grads.get(input), input, ig));
        return;
      }
      const prev = grads.get(input);
      if (!prev) grads.set(input, ig);
      else {
        const sum = owned(prev);
        accumulate(sum, ig);
        ig.dispose();
        grads.set(input, sum);
      }
    });
  }
}

function isRegion(g: Tensor | RegionGrad): g is RegionGrad {
  return (g as RegionGrad).region === true;
}

/** prev (or zeros of input's shape) with r.grad added into its region along r.dim. */
function addRegion(prev: Tensor | undefined, input: Tensor, r: RegionGrad): Tensor {
  const sum = prev ? owned(prev) : empty(input.shape, r.grad.dtype);
  const region = view(sum, r.grad.shape, sum.strides, r.start * sum.strides[r.dim]!);
  const k = kernelsFor(sum, r.grad);
  const g = { data: r.grad.data as Float32Array, offset: r.grad.offset, strides: r.grad.strides };
  if (region.isContiguous()) {
    const out = dense(region);
    k.binary('add', out, { data: out, offset: 0, strides: region.strides }, g, region.shape);
  } else {
    // A region that is not one block of memory (a slice of an inner dimension): spread it first.
    const full = empty(input.shape, r.grad.dtype);
    const dst = view(full, r.grad.shape, full.strides, r.start * full.strides[r.dim]!);
    k.copy({ data: dense(full), offset: dst.offset, strides: dst.strides }, g, region.shape);
    dst.dispose();
    accumulate(sum, full);
    full.dispose();
  }
  region.dispose();
  r.grad.dispose();
  return sum;
}

function topoSort(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: model graphs are deep enough to overflow a recursive walk.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const child = inputs[i]!;
      if (child.requiresGrad && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/** Drops the accumulated gradients of these tensors. */
export function zeroGrad(params: Iterable<Tensor>): void {
  for (const p of params) {
    p.grad?.dispose();
    p.grad = null;
  }
}
