// Token log-probabilities and cross-entropy straight from logits: one fused kernel each way, no
// softmax copy of the [rows, vocab] logits is kept (GRPO and SFT both reduce to these).

import { kernelsFor, record } from '../autograd.js';
import { computeDtype } from '../dtype.js';
import { TensorError, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { dense, empty } from '../tensor.js';
import { affine } from './elementwise.js';
import { sum } from './reduce.js';
import { contiguous } from './views.js';

/**
 * log p(target) for each row of logits [..., V]: returns [...]. A negative target marks a position
 * to ignore (log-prob 0, no gradient).
 */
export function tokenLogprobs(logits: Tensor, targets: Int32Array): Tensor {
  computeDtype('tokenLogprobs', logits);
  const V = logits.shape[logits.rank - 1] ?? 0;
  const rows = V === 0 ? 0 : logits.size / V;
  if (targets.length !== rows) throw new TensorError('tokenLogprobs', `${targets.length} targets for ${rows} rows of logits ${fmtShape(logits.shape)}`);
  for (let i = 0; i < targets.length; i++) {
    if (targets[i]! >= V) throw new TensorError('tokenLogprobs', `target ${targets[i]} at row ${i} is outside the vocabulary of ${V}`);
  }
  const lc = contiguous(logits);
  const out = empty(logits.shape.slice(0, -1), logits.dtype, false);
  const lse = empty([rows], logits.dtype, false);
  const k = kernelsFor(logits);
  k.tokenLogprobs(dense(out), dense(lse), dense(lc), targets, rows, V);
  return record(out, 'tokenLogprobs', [logits], [lc, lse], (g) => {
    const gc = contiguous(g);
    const gl = empty(logits.shape, logits.dtype, false);
    k.tokenLogprobsBackward(dense(gl), dense(gc), dense(lc), dense(lse), targets, rows, V);
    gc.dispose();
    return [gl];
  });
}

/** Mean negative log-likelihood over the targets that are not negative (ignored). */
export function crossEntropy(logits: Tensor, targets: Int32Array): Tensor {
  let counted = 0;
  for (const t of targets) if (t >= 0) counted++;
  if (counted === 0) throw new TensorError('crossEntropy', 'every target is ignored (negative); there is nothing to average');
  const lp = tokenLogprobs(logits, targets);
  const total = sum(lp);
  return affine(total, -1 / counted, 0);
}
