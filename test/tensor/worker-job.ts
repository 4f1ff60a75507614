// Worker side of worker.test.ts: computes a seeded matmul + softmax on the requested backend.

import { parentPort, workerData } from 'node:worker_threads';
import * as T from '../../src/tensor/index.js';

const { backend, seed, size } = workerData as { backend: T.BackendName; seed: number; size: number };
const values = T.withBackend(backend, () =>
  T.tidy(() => {
    const rng = new T.Rng(seed);
    const a = T.randn([size, size], rng);
    const b = T.randn([size, size], rng);
    return T.softmax(T.matmul(a, b)).toArray();
  }),
);
parentPort!.postMessage(values);
