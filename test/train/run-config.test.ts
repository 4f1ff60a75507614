// Run configs: YAML and JSON files validated by a zod schema, dotted overrides, and errors that name
// the field, the value and what is expected (wrong type, unknown key, missing key, bad YAML with its
// line), all problems at once.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { z } from 'zod';
import { RunConfigError, loadRunConfig } from '../../src/train/run/index.js';

const tmp = mkdtempSync(join(os.tmpdir(), 'r1ts-run-config-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const schema = z.object({
  model: z.string(),
  seed: z.number().int().default(0),
  optim: z.object({
    lr: z.number().positive(),
    betas: z.tuple([z.number(), z.number()]).default([0.9, 0.999]),
    kind: z.enum(['adamw', 'sgd']).default('adamw'),
  }),
  data: z.object({ files: z.array(z.string()), name: z.string().optional() }),
  rewards: z.array(z.object({ name: z.string(), weight: z.number() })).default([]),
  extra: z.looseObject({ note: z.string().optional() }).optional(),
});

function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

/** The RunConfigError that loading throws, for its message and problems. */
function configError(fn: () => unknown): RunConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof RunConfigError, `expected a RunConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a RunConfigError');
}

const goodYaml = `# a run
model: tiny-moe
optim:
  lr: 1e-3
data:
  files: [a.jsonl, b.jsonl]
rewards:
  - { name: accuracy, weight: 1 }
extra: { note: free text, anything: goes }
`;

describe('loadRunConfig', () => {
  test('reads YAML, fills defaults and applies dotted overrides with the right types', () => {
    const path = file('good.yaml', goodYaml);
    const cfg = loadRunConfig(schema, path, { 'optim.lr': '3e-4', 'optim.betas': '[0.8, 0.95]', seed: '7', 'data.name': '123', 'optim.kind': 'sgd' });
    assert.deepEqual(cfg, {
      model: 'tiny-moe',
      seed: 7,
      optim: { lr: 3e-4, betas: [0.8, 0.95], kind: 'sgd' },
      // A string field given "123" keeps the text; a number field parses it.
      data: { files: ['a.jsonl', 'b.jsonl'], name: '123' },
      rewards: [{ name: 'accuracy', weight: 1 }],
      extra: { note: 'free text', anything: 'goes' },
    });
  });

  test('reads JSON, and overrides alone build a config', () => {
    const path = file('good.json', JSON.stringify({ model: 'm', optim: { lr: 0.5 }, data: { files: [] } }, null, 2));
    assert.equal(loadRunConfig(schema, path, {}).optim.lr, 0.5);
    const cfg = loadRunConfig(schema, null, { model: 'tiny-qwen2', 'optim.lr': '0.01', 'data.files': '[x.jsonl]' });
    assert.deepEqual(cfg.data.files, ['x.jsonl']);
    assert.equal(cfg.seed, 0);
  });

  test('a wrong type names the field, the value and what is expected; an override says it was one', () => {
    const path = file('type.yaml', goodYaml.replace('lr: 1e-3', 'lr: fast'));
    const e = configError(() => loadRunConfig(schema, path, {}));
    assert.equal(e.message, `${path}: optim.lr: Invalid input: expected number, received string; got "fast"`);
    const o = configError(() => loadRunConfig(schema, file('ok.yaml', goodYaml), { 'optim.kind': 'adam' }));
    assert.match(o.message, /optim\.kind \(set by override optim\.kind=adam\): Invalid option: expected one of "adamw"\|"sgd"; got "adam"/);
  });

  test('an unknown key is an error listing the known ones, in plain and strict objects, also inside lists', () => {
    const path = file('unknown.yaml', goodYaml.replace('lr: 1e-3', 'lr: 1e-3\n  lrr: 2').replace('weight: 1', 'wieght: 1, weight: 1'));
    const e = configError(() => loadRunConfig(schema, path, {}));
    assert.deepEqual(e.problems, [
      `${path}: optim.lrr: unknown key; expected one of: lr, betas, kind`,
      `${path}: rewards.0.wieght: unknown key; expected one of: name, weight`,
    ]);
    const strict = z.strictObject({ a: z.number() });
    const s = configError(() => loadRunConfig(strict, null, { a: '1', b: '2' }));
    assert.equal(s.message, 'config: b (set by override b=2): unknown key; expected one of: a');
  });

  test('a missing key says so, and every problem is reported at once', () => {
    const path = file('missing.yaml', 'optim: { lr: -1 }\ndata: {}\n');
    const e = configError(() => loadRunConfig(schema, path, {}));
    assert.deepEqual(e.problems, [
      `${path}: model: Invalid input: expected string, received undefined; got nothing (the key is missing)`,
      `${path}: optim.lr: Too small: expected number to be >0; got -1`,
      `${path}: data.files: Invalid input: expected array, received undefined; got nothing (the key is missing)`,
    ]);
    assert.ok(e.message.startsWith('invalid config:\n  '));
  });

  test('bad YAML gives the line and column', () => {
    const path = file('bad.yaml', 'model: m\noptim:\n  lr: [1, 2\ndata: {}\n');
    const e = configError(() => loadRunConfig(schema, path, {}));
    assert.match(e.message, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4:1: invalid YAML: `));
    const dup = configError(() => loadRunConfig(schema, file('dup.yaml', 'model: a\nmodel: b\n'), {}));
    assert.match(dup.message, /dup\.yaml:2:1: invalid YAML: Map keys must be unique/);
    const list = configError(() => loadRunConfig(schema, file('list.yaml', '- 1\n- 2\n'), {}));
    assert.match(list.message, /must be a mapping of keys to values at the top level, got \[1,2\]/);
  });

  test('unreadable files and impossible overrides are explained', () => {
    assert.throws(() => loadRunConfig(schema, join(tmp, 'none.yaml'), {}), /none\.yaml: cannot read the config file \(ENOENT/);
    assert.throws(() => loadRunConfig(schema, file('m.yaml', goodYaml), { 'model.name': 'x' }), /override "model\.name": model is "tiny-moe", not a mapping that could hold name/);
    assert.throws(() => loadRunConfig(schema, null, { 'optim..lr': '1' }), /a key is a dotted path of names/);
    assert.throws(() => loadRunConfig(schema, null, { '__proto__.x': '1' }), RunConfigError);
  });
});
