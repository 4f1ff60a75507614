// `r1ts recipe`: the main job — the DeepSeek-R1 recipe in miniature (src/recipes/mini-r1), end to end in
// a run folder, resumable: running the same command again after Ctrl-C continues where it stopped.

import { parseArgs } from 'node:util';
import { runMiniR1 } from '../recipes/mini-r1/index.js';
import { FAMILY_NAMES, isFamilyName } from '../tasks/index.js';
import type { FamilyName } from '../tasks/index.js';
import { wholeNumber } from './args.js';
import { UsageError } from './errors.js';

export const RECIPE_USAGE = [
  'r1ts recipe [mini-r1] [--quick] [--run-dir DIR] [--seed S] [--families a,b]',
  '',
  'The R1 recipe in miniature on this machine: a tokenizer and cold-start SFT of a DeepSeek-V3 MoE model',
  '(tiny-moe) on worked and answer-only solutions, GRPO with accuracy + format rewards, distillation',
  'of the RL model into a ~4× smaller dense student (tiny-qwen2) against the same student trained by RL,',
  'held-out evaluation of every stage (pass@1 over k samples at T = 0.6, cons@k, length, format), and',
  'a report (report.html with plots and transcripts). About 15 minutes on 2 cores; --quick about 2.',
  '',
  '  --quick            the ≤ 2 minute version (fewer problems, steps and samples)',
  '  --run-dir DIR      where checkpoints, metrics, evaluations and the report go',
  '                     (default runs/mini-r1, or runs/mini-r1-quick with --quick)',
  '  --seed S           seed of the problems, the weights and every sample (default 0)',
  `  --families LIST    comma-separated task families of ${FAMILY_NAMES.join(', ')} (default arithmetic)`,
  '',
  'Interrupt it at any time: the same command resumes from the newest checkpoints in the run folder.',
].join('\n');

export async function recipeCommand(args: string[]): Promise<number> {
  // main.ts answers --help and turns parse errors into usage errors.
  const { values, positionals } = parseArgs({
    args,
    options: { quick: { type: 'boolean' }, 'run-dir': { type: 'string' }, seed: { type: 'string' }, families: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length > 1 || (positionals.length === 1 && positionals[0] !== 'mini-r1')) {
    throw new UsageError(`the only recipe is mini-r1, got ${JSON.stringify(positionals.join(' '))}`);
  }
  const quick = values.quick ?? false;
  const runDir = values['run-dir'] ?? (quick ? 'runs/mini-r1-quick' : 'runs/mini-r1');
  if (runDir === '') throw new UsageError('--run-dir needs a folder name');
  const seed = wholeNumber('--seed', values.seed, 0);
  let families: FamilyName[] | undefined;
  if (values.families !== undefined) {
    const names = values.families.split(',').map((f) => f.trim()).filter((f) => f !== '');
    const unknown = names.filter((f) => !isFamilyName(f));
    if (names.length === 0 || unknown.length > 0) throw new UsageError(`--families takes some of ${FAMILY_NAMES.join(', ')}, got ${JSON.stringify(values.families)}`);
    families = names as FamilyName[];
  }
  console.error(`mini-R1 run in ${runDir}${quick ? ' (quick)' : ''}; Ctrl-C to stop, the same command resumes`);
  const result = await runMiniR1({ runDir, quick, seed, ...(families ? { families } : {}) });
  console.log(`\n${result.table}\n`);
  console.log(`Report: ${result.report}`);
  const best = result.checkpoints.grpo;
  if (best) console.log(`Chat with the RL-trained model: r1ts chat ${best}`);
  console.log(`Checkpoints (Hugging Face folders): ${Object.values(result.checkpoints).join(', ')}`);
  return 0;
}
