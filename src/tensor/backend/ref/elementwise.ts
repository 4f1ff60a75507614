// Elementwise kernels: unary (+backward), broadcasting binary ops, where.
import type { BinaryOp, FloatArray, StridedArg, UnaryOp } from '../kernels.js';
import { forEachStrided } from './strided.js';

// C's pow (and so PyTorch and the native backend) gives 1 for 1^y and (-1)^±Inf, where JS gives NaN.
function cpow(a: number, b: number): number {
  if (a === 1 || (a === -1 && (b === Infinity || b === -Infinity))) return 1;
  return Math.pow(a, b);
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function unaryFn(op: UnaryOp, alpha: number, beta: number): (x: number) => number {
  switch (op) {
    case 'neg': return (x) => -x;
    case 'exp': return Math.exp;
    case 'log': return Math.log;
    case 'sqrt': return Math.sqrt;
    case 'rsqrt': return (x) => 1 / Math.sqrt(x);
    case 'abs': return Math.abs;
    case 'sigmoid': return sigmoid;
    case 'silu': return (x) => x * sigmoid(x);
    case 'tanh': return Math.tanh;
    case 'relu': return (x) => Math.max(x, 0); // Math.max keeps NaN, as torch.relu does
    case 'pow': return (x) => cpow(x, alpha);
    case 'clamp': return (x) => Math.min(Math.max(x, alpha), beta);
    case 'affine': return (x) => alpha * x + beta;
    case 'square': return (x) => x * x;
  }
  throw new RangeError(`unary: unknown op '${String(op)}'`);
}

/** f'(x) given x and y = f(x). */
function unaryDerivative(op: UnaryOp, alpha: number, beta: number): (x: number, y: number) => number {
  switch (op) {
    case 'neg': return () => -1;
    case 'exp': return (_x, y) => y;
    case 'log': return (x) => 1 / x;
    case 'sqrt': return (_x, y) => 0.5 / y;
    case 'rsqrt': return (_x, y) => -0.5 * y * y * y;
    case 'abs': return (x) => (x > 0 ? 1 : x < 0 ? -1 : 0);
    case 'sigmoid': return (_x, y) => y * (1 - y);
    case 'silu': return (x) => {
      const s = sigmoid(x);
      return s * (1 + x * (1 - s));
    };
    case 'tanh': return (_x, y) => 1 - y * y;
    case 'relu': return (x) => (x > 0 ? 1 : 0);
    // x^0 is constant: its derivative is 0 even at x = 0, where 0 · 0^-1 would be NaN (as in PyTorch).
    case 'pow': return (x) => (alpha === 0 ? 0 : alpha * cpow(x, alpha - 1));
    case 'clamp': return (x) => (alpha <= x && x <= beta ? 1 : 0);
    case 'affine': return () => alpha;
    case 'square': return (x) => 2 * x;
  }
  throw new RangeError(`unaryBackward: unknown op '${String(op)}'`);
}

export function unary(op: UnaryOp, out: FloatArray, x: FloatArray, n: number, alpha: number, beta: number): void {
  const f = unaryFn(op, alpha, beta);
  for (let i = 0; i < n; i++) out[i] = f(x[i]);
}

export function unaryBackward(
  op: UnaryOp, gx: FloatArray, gy: FloatArray, x: FloatArray, y: FloatArray, n: number, alpha: number, beta: number,
): void {
  const df = unaryDerivative(op, alpha, beta);
  for (let i = 0; i < n; i++) gx[i] = gy[i] * df(x[i], y[i]);
}

function binaryFn(op: BinaryOp): (a: number, b: number) => number {
  switch (op) {
    case 'add': return (a, b) => a + b;
    case 'sub': return (a, b) => a - b;
    case 'mul': return (a, b) => a * b;
    case 'div': return (a, b) => a / b;
    case 'maximum': return Math.max; // propagates NaN, like torch.maximum
    case 'minimum': return Math.min;
    case 'pow': return cpow;
    case 'eq': return (a, b) => (a === b ? 1 : 0);
    case 'ne': return (a, b) => (a !== b ? 1 : 0);
    case 'lt': return (a, b) => (a < b ? 1 : 0);
    case 'le': return (a, b) => (a <= b ? 1 : 0);
    case 'gt': return (a, b) => (a > b ? 1 : 0);
    case 'ge': return (a, b) => (a >= b ? 1 : 0);
  }
  throw new RangeError(`binary: unknown op '${String(op)}'`);
}

export function binary(op: BinaryOp, out: FloatArray, a: StridedArg, b: StridedArg, shape: readonly number[]): void {
  const f = binaryFn(op);
  const ad = a.data;
  const bd = b.data;
  forEachStrided(shape, [a, b], (i, o) => {
    out[i] = f(ad[o[0]], bd[o[1]]);
  });
}

export function where(out: FloatArray, cond: StridedArg, a: StridedArg, b: StridedArg, shape: readonly number[]): void {
  const cd = cond.data;
  const ad = a.data;
  const bd = b.data;
  forEachStrided(shape, [cond, a, b], (i, o) => {
    out[i] = cd[o[0]] !== 0 ? ad[o[1]] : bd[o[2]];
  });
}
