// The r1ts command as a user runs it: help, version, doctor, and errors without stack traces.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CausalLM, saveModel } from '../../src/model/index.js';
import { TINY_MODELS, tokens } from '../model/tiny-configs.js';
import { runOracle } from '../model/torch-oracle.js';
import { availableBackends } from '../tensor/backends.js';

const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;

function r1ts(args: string[], env: Record<string, string> = {}): { code: number; out: string; err: string } {
  const p = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: p.status ?? -1, out: p.stdout, err: p.stderr };
}

test('--help lists the commands', () => {
  const { code, out } = r1ts(['--help']);
  assert.equal(code, 0);
  for (const c of ['version', 'doctor', 'inspect', 'logits']) assert.match(out, new RegExp(`^  ${c} `, 'm'));
  assert.match(r1ts(['doctor', '--help']).out, /Usage: r1ts doctor \[--json\]/);
});

test('version is the package version', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(r1ts(['version']).out.trim(), pkg.version);
});

test('doctor reports the backend and passes its self-test', () => {
  const { code, out } = r1ts(['doctor', '--json']);
  assert.equal(code, 0);
  const report = JSON.parse(out) as { backend: string; selfTest: string; kernels: { threads: number } };
  const expected = availableBackends().includes('native') ? 'native' : 'ref';
  assert.equal(report.backend, expected);
  assert.ok(report.kernels.threads >= 1);
  if (expected === 'native') assert.match(report.selfTest, /^ok/);
  const forced = JSON.parse(r1ts(['doctor', '--json'], { R1TS_BACKEND: 'ref' }).out) as { backend: string };
  assert.equal(forced.backend, 'ref');
});

test('bad input: a message and a usage exit code, no stack trace', () => {
  const unknown = r1ts(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /^r1ts: unknown command 'frobnicate'/);
  const badFlag = r1ts(['doctor', '--bogus']);
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.err, /Unknown option '--bogus'/);
  assert.doesNotMatch(badFlag.err + unknown.err, /\n\s+at /);
  const badBackend = r1ts(['doctor'], { R1TS_BACKEND: 'gpu' });
  assert.equal(badBackend.code, 1);
  assert.match(badBackend.err, /unknown backend 'gpu': use ref, native or auto/);
});

test('inspect counts the 671B model from its config, and reads config files', () => {
  const { code, out } = r1ts(['inspect', 'deepseek-r1', '--json']);
  assert.equal(code, 0);
  const r = JSON.parse(out) as { params: { total: number; activated: number; mtp: number }; kvCachePerToken: number };
  // Published: 671.03B total, ≈37.55B activated, 11.61B MTP (reference sheet §4.2); 61 layers × (512 + 64) cached.
  assert.ok(Math.abs(r.params.total / 671.03e9 - 1) < 1e-4);
  assert.ok(Math.abs(r.params.activated / 37.55e9 - 1) < 1e-3);
  assert.ok(Math.abs(r.params.mtp / 11.61e9 - 1) < 1e-3);
  assert.equal(r.kvCachePerToken, 61 * 576);
  const dir = mkdtempSync(join(tmpdir(), 'r1ts-inspect-'));
  const cfg = JSON.parse(r1ts(['inspect', 'tiny-llama', '--json']).out) as { params: { total: number } };
  const bad = { architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 64, num_attention_heads: '8' };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(bad));
  const refused = r1ts(['inspect', dir]);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /num_attention_heads must be a positive integer, got "8"/);
  assert.ok(cfg.params.total > 0);
  const missing = r1ts(['inspect', 'no-such-model']);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /is neither a preset \(deepseek-v3, deepseek-r1/);
});

test('logits prints what the PyTorch reference computes from the same model folder', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ts-cli-logits-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cfg = TINY_MODELS.tinyLlama;
  const m = new CausalLM(cfg, { seed: 4 });
  saveModel(dir, m, cfg, { dtype: 'float32' });
  m.dispose();
  const ids = Array.from(tokens(5, cfg.vocab_size, 1));
  const want = runOracle(dir, { tokens: [ids], dtype: 'float64' }).get('logits'); // [1, 5, V]
  const { code, out, err } = r1ts(['logits', dir, '--tokens', ids.join(','), '--all', '--json']);
  assert.equal(code, 0, err);
  const report = JSON.parse(out) as { tokens: number[]; positions: { position: number; logits: number[] }[] };
  assert.deepEqual(report.tokens, ids);
  assert.deepEqual(report.positions.map((p) => p.position), [0, 1, 2, 3, 4]);
  const got = report.positions.flatMap((p) => p.logits);
  const scale = Math.max(...want.map(Math.abs));
  got.forEach((x, i) => assert.ok(Math.abs(x - want[i]!) <= 1e-4 * scale, `logit ${i}: ${x} vs ${want[i]}`));
  // Without --all: the last position only, as a readable table whose top entry is the largest logit.
  const last = r1ts(['logits', dir, '--tokens', ids.join(','), '--top', '1']);
  const lastRow = Array.from(want.subarray(4 * cfg.vocab_size));
  const best = lastRow.indexOf(Math.max(...lastRow));
  assert.match(last.out, new RegExp(`^ +1 +${best} `, 'm'));
});

test('logits refuses bad input with a message and no stack trace', () => {
  const missing = r1ts(['logits', 'tiny-llama']);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /^r1ts: logits needs --tokens, e\.g\. --tokens 1,2,3/);
  const bad = r1ts(['logits', 'tiny-llama', '--tokens', '1,,2']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--tokens must be comma-separated non-negative integers/);
  const range = r1ts(['logits', 'tiny-llama', '--tokens', '1,99999']);
  assert.equal(range.code, 1);
  assert.match(range.err, /token id 99999 at position 1 is outside the vocabulary \(0 … 1023\)/);
  const nowhere = r1ts(['logits', '/no/such/model', '--tokens', '1']);
  assert.equal(nowhere.code, 1);
  assert.match(nowhere.err, /no such model folder, and not a preset name/);
  for (const r of [missing, bad, range, nowhere]) assert.doesNotMatch(r.err, /\n +at /);
});

test('recipe: --help, and bad options say what was wrong without a stack trace', () => {
  const help = r1ts(['recipe', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: r1ts recipe \[mini-r1\] \[--quick\]/);
  for (const [args, why] of [
    [['recipe', 'mini-r2'], /the only recipe is mini-r1/],
    [['recipe', '--families', 'arithmetic,poetry'], /--families takes some of arithmetic, countdown, linear/],
    [['recipe', '--seed', '-1'], /--seed/],
    [['recipe', '--fast'], /Unknown option '--fast'/],
  ] as const) {
    const r = r1ts([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, why);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
  }
});
