// The AdamW optimizer step (PyTorch semantics: decoupled weight decay, bias-corrected moments).
import type { AdamWArgs } from '../kernels.js';

export function adamw(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, n: number, args: AdamWArgs): void {
  const { lr, beta1, beta2, eps, weightDecay, step } = args;
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  for (let i = 0; i < n; i++) {
    const g = grad[i];
    const mi = beta1 * m[i] + (1 - beta1) * g;
    const vi = beta2 * v[i] + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    // Decay first, from the parameter before this step's update, as torch.optim.AdamW does.
    const p = param[i] * (1 - lr * weightDecay);
    param[i] = p - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
  }
}
