// `r1ts inspect <preset | config.json | model folder>`: the config summary and parameter counts
// computed from it (total, activated per token, per component, MTP) and the KV cache per token.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelConfig, ParamCounts } from '../model/index.js';
import { PRESET_NAMES, countParams, getPreset, kvCacheElementsPerToken, parseConfig } from '../model/index.js';
import { UsageError } from './errors.js';

export interface InspectReport {
  readonly source: string;
  readonly architecture: string;
  readonly layers: number;
  readonly hidden: number;
  readonly params: ParamCounts;
  /** Cached elements per token over all layers (MLA latent + rope key, or GQA K and V). */
  readonly kvCachePerToken: number;
}

/** A preset name, a config.json file, or a folder holding one. */
export function loadModelConfig(target: string): { config: ModelConfig; source: string } {
  if (!existsSync(target)) {
    if ((PRESET_NAMES as readonly string[]).includes(target)) return { config: getPreset(target), source: `preset ${target}` };
    throw new UsageError(`'${target}' is neither a preset (${PRESET_NAMES.join(', ')}) nor a file or folder`);
  }
  const file = statSync(target).isDirectory() ? join(target, 'config.json') : target;
  if (!existsSync(file)) throw new UsageError(`${target} has no config.json`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  return { config: parseConfig(json, file), source: file };
}

export function inspect(target: string): InspectReport {
  const { config, source } = loadModelConfig(target);
  return {
    source,
    architecture: config.architectures[0],
    layers: config.num_hidden_layers,
    hidden: config.hidden_size,
    params: countParams(config),
    kvCachePerToken: kvCacheElementsPerToken(config),
  };
}

function billions(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}K` : `${n}`;
}

export function formatInspect(r: InspectReport): string {
  const p = r.params;
  const rows: [string, string][] = [
    ['source', r.source],
    ['architecture', `${r.architecture}, ${r.layers} layers, hidden ${r.hidden}`],
    ['total params', `${billions(p.total)} (${p.total.toLocaleString('en-US')})`],
    ['activated/token', `${billions(p.activated)} (${p.activated.toLocaleString('en-US')})`],
    ...(p.mtp > 0 ? [['MTP (separate)', `${billions(p.mtp)}, ${billions(p.mtpActivated)} activated`] as [string, string]] : []),
    ['  embedding', billions(p.embedding)],
    ['  attention', billions(p.attention)],
    ['  dense MLP', billions(p.denseMlp)],
    ['  MoE routed', billions(p.moeRouted)],
    ['  MoE shared', billions(p.moeShared)],
    ['  MoE gate', billions(p.moeGate)],
    ['  norms', billions(p.norms)],
    ['  lm_head', p.lmHead === 0 ? 'tied to the embedding' : billions(p.lmHead)],
    ['KV cache/token', `${r.kvCachePerToken.toLocaleString('en-US')} elements`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => k.padEnd(width) + v).join('\n');
}
