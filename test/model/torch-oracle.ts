// Runs the PyTorch model oracle (test/oracle/torch_model.py) on a checkpoint folder.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SafetensorsFile } from '../../src/model/index.js';

export interface Oracle {
  get(name: string): Float32Array;
  has(name: string): boolean;
}

/** Runs the PyTorch oracle on a checkpoint folder. */
export function runOracle(dir: string, request: object): Oracle {
  const req = join(dir, 'request.json');
  const out = join(dir, 'oracle.safetensors');
  writeFileSync(req, JSON.stringify(request));
  const r = spawnSync('/usr/bin/python3', ['test/oracle/torch_model.py', dir, req, out], { encoding: 'utf8' });
  assert.equal(r.status, 0, `oracle failed: ${r.stderr}`);
  const f = SafetensorsFile.open(out);
  const values = new Map(f.names.map((n) => [n, f.readFloat32(n)]));
  f.close();
  return { get: (n) => values.get(n) ?? assert.fail(`oracle has no ${n}`), has: (n) => values.has(n) };
}
