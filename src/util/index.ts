// Small helpers shared by every layer.

export { cpuFacts } from './cpu.js';
export type { CpuFacts } from './cpu.js';
export { show } from './show.js';
export { largestIndices, sortBest } from './top.js';
export { hashText, SeededRandom } from './random.js';
export { Rng } from './rng.js';
