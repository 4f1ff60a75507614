// Run configs: a YAML file (JSON, a subset of YAML 1.2, reads the same way) validated by a zod schema,
// with command-line overrides under dotted keys ('optim.lr' → { optim: { lr } }). Every problem is
// reported at once, each naming the field, the value found and what is expected; YAML syntax errors
// give the file's line and column.
//
// A misspelt key is an error, not a silently ignored setting: plain z.object() schemas are treated as
// strict here (z.looseObject() lets extra keys through).

import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { show } from '../../util/index.js';

/** A config that cannot be used; the message lists every problem, one a line. */
export class RunConfigError extends Error {
  constructor(
    message: string,
    /** Each problem alone, for callers that present them their own way. */
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
    this.name = 'RunConfigError';
  }
}

type Json = Record<string, unknown>;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The file's top-level mapping; YAML errors name the line and column. */
function readConfigFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new RunConfigError(`${file}: cannot read the config file (${(e as Error).message})`);
  }
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { prettyErrors: false, lineCounter });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const at = lineCounter.linePos(e.pos[0]);
      return `${file}:${at.line}:${at.col}: invalid YAML: ${e.message}`;
    });
    throw new RunConfigError(problems.join('\n'), problems);
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) throw new RunConfigError(`${file}: the config must be a mapping of keys to values at the top level, got ${show(value)}`);
  return value;
}

/** The schema inside optional/default/nullable/readonly/pipe wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    const def = s._zod.def as { innerType?: z.ZodType; in?: z.ZodType; type: string };
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else return s;
  }
}

/** The schema of the field at `path`, or null when the schema does not say (unions, records, unknown keys). */
function schemaAt(schema: z.ZodType, path: readonly string[]): z.ZodType | null {
  let s: z.ZodType = schema;
  for (const key of path) {
    const inner = unwrap(s);
    if (inner instanceof z.ZodArray && /^\d+$/.test(key)) s = inner.element as z.ZodType;
    else if (inner instanceof z.ZodObject && Object.hasOwn(inner.shape, key)) s = inner.shape[key] as z.ZodType;
    else return null;
  }
  return s;
}

/** Keys that a plain z.object() would drop silently, as dotted paths with the keys it knows. */
function unknownKeys(schema: z.ZodType, value: unknown, path: string[], out: { path: string[]; known: string[] }[]): void {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject && isPlainObject(value)) {
    const known = Object.keys(inner.shape);
    // A catchall (strictObject, looseObject, .catchall()) already decides about extra keys.
    const checkExtra = inner._zod.def.catchall === undefined;
    for (const [k, v] of Object.entries(value)) {
      if (Object.hasOwn(inner.shape, k)) unknownKeys(inner.shape[k] as z.ZodType, v, [...path, k], out);
      else if (checkExtra) out.push({ path: [...path, k], known });
    }
  } else if (inner instanceof z.ZodArray && Array.isArray(value)) {
    value.forEach((v, i) => unknownKeys(inner.element as z.ZodType, v, [...path, String(i)], out));
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) v = isPlainObject(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/**
 * The value an override string stands for: parsed as a YAML scalar or flow collection ("3e-4" → a
 * number, "[1, 2]" → a list, "true" → a boolean), except that a field which takes the text as it is
 * (a string field given "123") gets the text.
 */
function overrideValue(field: z.ZodType | null, text: string): unknown {
  let parsed: unknown = text;
  try {
    parsed = YAML.parse(text);
  } catch {
    return text;
  }
  if (field && !field.safeParse(parsed).success && field.safeParse(text).success) return text;
  return parsed;
}

function applyOverride(config: Json, schema: z.ZodType, key: string, text: string): void {
  const path = key.split('.');
  if (path.some((k) => k === '' || FORBIDDEN_KEYS.has(k))) {
    throw new RunConfigError(`override "${key}": a key is a dotted path of names, like optim.lr`);
  }
  let node = config;
  path.slice(0, -1).forEach((k, i) => {
    if (node[k] === undefined || node[k] === null) node[k] = {};
    const next = node[k];
    if (!isPlainObject(next)) throw new RunConfigError(`override "${key}": ${path.slice(0, i + 1).join('.')} is ${show(next)}, not a mapping that could hold ${path.slice(i + 1).join('.')}`);
    node = next;
  });
  node[path.at(-1)!] = overrideValue(schemaAt(schema, path), text);
}

/**
 * Reads a YAML (or JSON) run config and validates it with a zod schema; flags (dotted keys like
 * 'optim.lr') override file values; errors name the field, the value and what is expected.
 */
export function loadRunConfig<S extends z.ZodTypeAny>(schema: S, file: string | null, overrides: Readonly<Record<string, string>>): z.infer<S> {
  const source = file ?? 'config';
  const raw: Json = file === null ? {} : readConfigFile(file);
  for (const [key, text] of Object.entries(overrides)) applyOverride(raw, schema, key, text);

  const where = (path: readonly PropertyKey[]): string => {
    const dotted = path.map(String).join('.');
    const flag = Object.hasOwn(overrides, dotted) ? ` (set by override ${dotted}=${overrides[dotted]})` : '';
    return `${source}: ${dotted || '(top level)'}${flag}`;
  };
  const problems: string[] = [];
  const extra: { path: string[]; known: string[] }[] = [];
  unknownKeys(schema, raw, [], extra);
  for (const { path, known } of extra) problems.push(`${where(path)}: unknown key; expected one of: ${known.join(', ')}`);

  const result = schema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        const known = Object.keys((unwrap(schemaAt(schema, issue.path.map(String)) ?? schema) as z.ZodObject).shape ?? {});
        for (const k of issue.keys) problems.push(`${where([...issue.path, k])}: unknown key; expected one of: ${known.join(', ')}`);
        continue;
      }
      const value = valueAt(raw, issue.path);
      const got = value === undefined ? 'nothing (the key is missing)' : show(value);
      problems.push(`${where(issue.path)}: ${issue.message}; got ${got}`);
    }
  }
  if (problems.length > 0) throw new RunConfigError(problems.length === 1 ? problems[0]! : `invalid config:\n  ${problems.join('\n  ')}`, problems);
  return result.data as z.infer<S>;
}
