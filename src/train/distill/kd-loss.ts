// Logit-level knowledge distillation (Hinton et al. 2015), the optional extra over R1's trace-only
// distillation when the teacher runs locally and shares the student's vocabulary: the forward KL from the
// teacher's to the student's next-token distribution, both softened by a temperature T, averaged over the
// positions that carry loss (the assistant tokens) and multiplied by T² so its gradients keep their size
// as T changes:  L = T² · mean_t Σ_v p_T(v) · (log p_T(v) − log q_T(v)),  p = softmax(teacher/T), q = softmax(student/T).

import type { CausalLM } from '../../model/index.js';
import type { Tensor } from '../../tensor/index.js';
import * as T from '../../tensor/index.js';
import type { SftLossFn } from '../sft/index.js';

/**
 * studentLogits and teacherLogits [rows, V] (any leading shape flattened); `mask` marks the rows that
 * count (1) or not (0), e.g. the SFT loss mask. The teacher carries no gradient.
 */
export function distillationKl(studentLogits: Tensor, teacherLogits: Tensor, mask: ArrayLike<number>, temperature = 1): Tensor {
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new RangeError(`distillationKl: the temperature must be a positive number, got ${temperature}`);
  const V = studentLogits.shape[studentLogits.rank - 1]!;
  if (teacherLogits.shape[teacherLogits.rank - 1] !== V || teacherLogits.size !== studentLogits.size) {
    throw new RangeError(`distillationKl: teacher logits ${T.fmtShape(teacherLogits.shape)} do not match the student's ${T.fmtShape(studentLogits.shape)} (the same vocabulary and positions are needed)`);
  }
  const rows = studentLogits.size / V;
  if (mask.length !== rows) throw new RangeError(`distillationKl: ${mask.length} mask entries for ${rows} positions`);
  const counted = Array.from(mask).filter((m) => m !== 0).length;
  if (counted === 0) throw new RangeError('distillationKl: the mask selects no position; there is nothing to distil');
  const logQ = T.logSoftmax(T.affine(T.reshape(studentLogits, [rows, V]), 1 / temperature, 0));
  const logP = T.noGrad(() => T.logSoftmax(T.affine(T.reshape(teacherLogits, [rows, V]), 1 / temperature, 0)));
  const perRow = T.sum(T.mul(T.exp(logP), T.sub(logP, logQ)), -1); // [rows]
  const weights = T.tensor(Array.from(mask, (m) => (m !== 0 ? (temperature * temperature) / counted : 0)), [rows], { dtype: perRow.dtype });
  return T.sum(T.mul(perRow, weights));
}

export interface KdLossOptions {
  /** Softening temperature T (default 1). */
  readonly temperature?: number;
  /** Weight α of the KL term: loss = (1 − α)·cross-entropy + α·KL (default 0.5). */
  readonly weight?: number;
}

/**
 * The SFT micro-batch loss with logit-level distillation from a local teacher sharing the student's
 * vocabulary: both models see the same padded rows; the KL counts where the cross-entropy does (the
 * learned tokens). Logs `ce` and `kd` apart.
 */
export function distillationLoss(teacher: CausalLM, options: KdLossOptions = {}): SftLossFn {
  const temperature = options.temperature ?? 1;
  const weight = options.weight ?? 0.5;
  if (!(weight >= 0 && weight <= 1)) throw new RangeError(`distillationLoss: the KL weight must be in [0, 1], got ${weight}`);
  return (model, batch) => {
    const V = model.config.vocab_size;
    if (teacher.config.vocab_size !== V) {
      throw new RangeError(`distillationLoss: the teacher's vocabulary (${teacher.config.vocab_size}) differs from the student's (${V}); logit distillation needs one tokenizer — use trace-only distillation`);
    }
    const rows = batch.rows * batch.width;
    const out = model.forward(batch.ids, { batch: batch.rows, lengths: batch.lengths });
    const logits = T.reshape(out.logits, [rows, V]);
    const teacherLogits = T.noGrad(() => T.reshape(teacher.forward(batch.ids, { batch: batch.rows, lengths: batch.lengths }).logits, [rows, V]));
    const ce = T.crossEntropy(logits, batch.targets);
    const kd = distillationKl(logits, teacherLogits, Array.from(batch.targets, (t) => (t >= 0 ? 1 : 0)), temperature);
    const loss = T.add(T.affine(ce, 1 - weight, 0), T.affine(kd, weight, 0));
    return { loss, aux: out.auxLoss, parts: { ce, kd } };
  };
}
