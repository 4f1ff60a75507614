// The seeded generator lives in src/util (layers above tensor use it too); tensor re-exports it.

export { Rng } from '../util/index.js';
