// Shared pieces of the checkpoint I/O tests: temp folders, hand-built (possibly hostile) safetensors
// files, and an assertion for CheckpointError messages.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { getPreset } from '../../../src/model/index.js';
import { CheckpointError } from '../../../src/model/io/index.js';

/** A fresh folder under the OS temp dir, removed when the test ends. */
export function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'r1ts-io-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A safetensors file from parts: the header (JSON-encoded unless a string), data, and optionally a lying length. */
export function rawSafetensors(path: string, header: unknown, data: Uint8Array = new Uint8Array(0), declaredLength?: bigint): void {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(declaredLength ?? BigInt(json.length));
  writeFileSync(path, Buffer.concat([length, json, data]));
}

/** fn must throw a CheckpointError whose message starts with `path` and matches `pattern`. */
export function throwsCheckpointError(fn: () => unknown, path: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CheckpointError, `expected CheckpointError, got ${String(e)}`);
    assert.ok(e.message.startsWith(`${path}: `), `message names ${path}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

/** The uint32 bit patterns of float32 values (so -0 and NaN payloads compare exactly). */
export function bits32(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

/** Bit-equal float32 arrays, except that any NaN matches any NaN (widening may quiet a signalling NaN). */
export function assertSameFloats(actual: Float32Array, expected: Float32Array, what: string): void {
  const a = bits32(actual);
  const e = bits32(expected);
  assert.equal(a.length, e.length, `${what}: length`);
  a.forEach((b, i) => {
    if (!(Number.isNaN(actual[i]) && Number.isNaN(expected[i]))) assert.equal(b, e[i], `${what}[${i}]: 0x${b.toString(16)} vs 0x${e[i]!.toString(16)}`);
  });
}

/** Float32 values from uint32 bit patterns. */
export function fromBits32(bits: readonly number[]): Float32Array {
  return new Float32Array(Uint32Array.from(bits, (b) => b >>> 0).buffer);
}

/** A small valid config.json for folders whose weights do not matter to the config. */
export const tinyConfig = getPreset('tiny-qwen2');

export function writeConfig(dir: string, extra: Record<string, unknown> = {}): void {
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...tinyConfig, ...extra }));
}
