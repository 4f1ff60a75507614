// Group-relative advantages (DeepSeekMath §4.1.2, outcome supervision): each completion's reward minus
// the mean reward of the G completions of the same prompt, divided by a standard deviation plus ε.
// GRPO has no value function: the group is the baseline. Rows are laid out group by group (G per prompt,
// contiguous), as the rollout produces them.
//
// Which standard deviation: the sample one (n − 1), as TRL (torch.std) and verl compute it; 'population'
// (n) is there for comparison with papers that write it that way. Scale modes (TRL's scale_rewards):
//   'group'  σ of the prompt's own group (original GRPO);
//   'batch'  σ over every reward of the batch, the mean staying per group;
//   'none'   no division (Dr. GRPO: dividing by σ up-weights prompts that are nearly always solved or failed).
// A null reward (no usable signal, e.g. an unparseable gold answer) is left out of the mean and σ and
// gets advantage 0, so it neither pulls the baseline nor is pushed up or down.

export type AdvantageScale = 'group' | 'batch' | 'none';
export type StdKind = 'sample' | 'population';

export interface AdvantageOptions {
  readonly scale: AdvantageScale;
  readonly std: StdKind;
  /** Added to σ so a group of equal rewards gives advantage 0, not 0/0 (TRL: 1e-4). */
  readonly epsilon: number;
}

export const DEFAULT_ADVANTAGE_OPTIONS: Readonly<AdvantageOptions> = Object.freeze({ scale: 'group', std: 'sample', epsilon: 1e-4 });

export interface GroupAdvantages {
  /** One advantage per completion, in the rewards' order. */
  readonly advantages: Float64Array;
  /** Per group: mean and σ of its non-null rewards (NaN mean when it has none). */
  readonly groupMean: Float64Array;
  readonly groupStd: Float64Array;
  /** Groups whose non-null rewards are all equal (σ = 0): they carry no gradient. */
  readonly zeroStdGroups: number;
}

/**
 * Advantages for `rewards` laid out as consecutive groups of `groupSize`.
 * Example: `groupAdvantages([1, 0, 0, 0], 4).advantages` ≈ [1.5, −0.5, −0.5, −0.5] (mean 0.25, sample σ 0.5).
 */
export function groupAdvantages(rewards: readonly (number | null)[], groupSize: number, options: Partial<AdvantageOptions> = {}): GroupAdvantages {
  const opts = { ...DEFAULT_ADVANTAGE_OPTIONS, ...options };
  checkLayout('groupAdvantages', rewards.length, groupSize);
  if (!(opts.epsilon >= 0)) throw new RangeError(`groupAdvantages: epsilon must be ≥ 0, got ${opts.epsilon}`);
  if (!['group', 'batch', 'none'].includes(opts.scale)) throw new RangeError(`groupAdvantages: scale must be 'group', 'batch' or 'none', got ${JSON.stringify(opts.scale)}`);
  if (!['sample', 'population'].includes(opts.std)) throw new RangeError(`groupAdvantages: std must be 'sample' or 'population', got ${JSON.stringify(opts.std)}`);
  rewards.forEach((r, i) => {
    if (r !== null && !Number.isFinite(r)) throw new RangeError(`groupAdvantages: reward ${i} is ${r}; rewards must be finite numbers or null (no signal)`);
  });
  const groups = rewards.length / groupSize;
  const groupMean = new Float64Array(groups);
  const groupStd = new Float64Array(groups);
  let zeroStdGroups = 0;
  for (let g = 0; g < groups; g++) {
    const { mean, std } = moments(rewards.slice(g * groupSize, (g + 1) * groupSize), opts.std);
    groupMean[g] = mean;
    groupStd[g] = std;
    if (std === 0) zeroStdGroups++;
  }
  const batchStd = moments(rewards, opts.std).std;
  const advantages = new Float64Array(rewards.length);
  rewards.forEach((r, i) => {
    if (r === null) return;
    const g = Math.floor(i / groupSize);
    const scale = opts.scale === 'group' ? groupStd[g]! + opts.epsilon : opts.scale === 'batch' ? batchStd + opts.epsilon : 1;
    advantages[i] = (r - groupMean[g]!) / scale;
  });
  return { advantages, groupMean, groupStd, zeroStdGroups };
}

/** Mean and σ of the non-null values; σ is 0 when there are too few values to estimate it. */
function moments(values: readonly (number | null)[], kind: StdKind): { mean: number; std: number } {
  const xs = values.filter((v): v is number => v !== null);
  if (xs.length === 0) return { mean: NaN, std: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const dof = kind === 'sample' ? xs.length - 1 : xs.length;
  if (dof <= 0) return { mean, std: 0 };
  const ss = xs.reduce((a, x) => a + (x - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / dof) };
}

/** Throws unless `count` rows split into whole groups of `groupSize`. */
export function checkLayout(fn: string, count: number, groupSize: number): void {
  if (!Number.isInteger(groupSize) || groupSize < 1) throw new RangeError(`${fn}: the group size must be a positive integer, got ${groupSize}`);
  if (count % groupSize !== 0) throw new RangeError(`${fn}: ${count} rows do not split into groups of ${groupSize}; lay the completions out G per prompt`);
}
