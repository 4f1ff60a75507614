// Boundary validation for config.json: a small field reader that throws ConfigError naming the file,
// the field, what was wrong and what is expected. Hand-written rather than zod so that src/model has
// no runtime dependency; it checks only the few JSON shapes a model config uses.

import { show } from '../util/index.js';

/** The one error type of config parsing, e.g. `config.json: num_attention_heads must be a positive integer, got "8"`. */
export class ConfigError extends Error {
  constructor(
    /** Dotted path of the offending field (`rope_scaling.factor`), or '' for the whole object. */
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Json = Readonly<Record<string, unknown>>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads typed fields from one JSON object. `source` names the file (`config.json`) and `prefix` the
 * nesting (`rope_scaling.`), so every message points at the exact field. A field passed with a
 * default may be missing (or null); one without a default must be present.
 */
export class FieldReader {
  constructor(
    readonly obj: Json,
    readonly source: string,
    readonly prefix = '',
  ) {}

  fail(key: string, what: string): never {
    const field = this.prefix + key;
    throw new ConfigError(field, `${this.source}: ${field} ${what}`);
  }

  private get(key: string, expected: string): unknown {
    const v = this.obj[key];
    if (v === undefined) this.fail(key, `is missing; expected ${expected}`);
    return v;
  }

  private wrong(key: string, expected: string, v: unknown): never {
    return this.fail(key, `must be ${expected}, got ${show(v)}`);
  }

  /** An integer ≥ min (min 1: "a positive integer", min 0: "a non-negative integer"). */
  int(key: string, opts: { min?: number; default?: number } = {}): number {
    const min = opts.min ?? 1;
    const expected = min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : `an integer ≥ ${min}`;
    if (this.obj[key] == null && opts.default !== undefined) return opts.default;
    const v = this.get(key, expected);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) this.wrong(key, expected, v);
    return v;
  }

  /** A positive integer, or null where the field allows it (q_lora_rank). */
  intOrNull(key: string): number | null {
    const v = this.obj[key];
    if (v === null) return null;
    return this.int(key);
  }

  /** A finite number > 0. */
  positive(key: string, def?: number): number {
    const expected = 'a positive number';
    if (this.obj[key] == null && def !== undefined) return def;
    const v = this.get(key, expected);
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) this.wrong(key, expected, v);
    return v;
  }

  /** A finite number ≥ 0. */
  nonNegative(key: string, def?: number): number {
    const expected = 'a non-negative number';
    if (this.obj[key] == null && def !== undefined) return def;
    const v = this.get(key, expected);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) this.wrong(key, expected, v);
    return v;
  }

  bool(key: string, def?: boolean): boolean {
    if (this.obj[key] == null && def !== undefined) return def;
    const v = this.get(key, 'true or false');
    if (typeof v !== 'boolean') this.wrong(key, 'true or false', v);
    return v;
  }

  /** One of a fixed set of strings. */
  oneOf<T extends string>(key: string, allowed: readonly T[], def?: T): T {
    const expected = `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
    if (this.obj[key] == null && def !== undefined) return def;
    const v = this.get(key, expected);
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) this.wrong(key, expected, v);
    return v as T;
  }

  /** A token id or a list of them (Llama 3.1 lists several eos ids); undefined when absent. */
  tokenIds(key: string): number | readonly number[] | undefined {
    const v = this.obj[key];
    if (v == null) return undefined;
    const ok = (x: unknown): boolean => typeof x === 'number' && Number.isInteger(x) && x >= 0;
    if (ok(v)) return v as number;
    if (Array.isArray(v) && v.length > 0 && v.every(ok)) return Object.freeze([...(v as number[])]);
    return this.wrong(key, 'a token id or a non-empty list of token ids', v);
  }

  /** A nested object, read with its own prefix; null when absent or null. */
  objectOrNull(key: string): FieldReader | null {
    const v = this.obj[key];
    if (v == null) return null;
    if (!isObject(v)) this.wrong(key, 'an object or null', v);
    return new FieldReader(v, this.source, `${this.prefix}${key}.`);
  }
}
