// The engine runs inside worker threads (the server keeps model compute off its event loop this
// way): two workers compute at once and agree with the main thread.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import * as T from '../../src/tensor/index.js';
import { availableBackends } from './backends.js';

function inWorker(backend: T.BackendName, seed: number, size: number): Promise<number[]> {
  // Workers do not inherit the TypeScript loader: register tsx in the worker, then load the job.
  const job = new URL('./worker-job.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(job)}); });`;
  const worker = new Worker(boot, { eval: true, workerData: { backend, seed, size } });
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

for (const backend of availableBackends()) {
  test(`kernels run in worker threads, concurrently (${backend})`, async () => {
    const size = 96;
    const [w1, w2] = await Promise.all([inWorker(backend, 7, size), inWorker(backend, 8, size)]);
    const main = T.withBackend(backend, () =>
      T.tidy(() => {
        const rng = new T.Rng(7);
        const a = T.randn([size, size], rng);
        const b = T.randn([size, size], rng);
        return T.softmax(T.matmul(a, b)).toArray();
      }),
    );
    assert.deepEqual(w1, main);
    assert.notDeepEqual(w2, main);
  });
}
