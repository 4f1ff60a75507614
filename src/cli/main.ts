// The r1ts command line: parses the subcommand and hands off; every command has --help.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { doctor, formatDoctor } from './doctor.js';
import { UsageError, reportError } from './errors.js';
import { formatInspect, inspect } from './inspect.js';
import { SAMPLING_HELP, SAMPLING_OPTIONS, samplingFlags, wholeNumber } from './args.js';
import { chatCommand, generateCommand } from './generate.js';
import { formatLogits, logits } from './logits.js';
import { isPercentMode, negativeAnswersAsPositionals, verifyJsonlCommand, verifyPairCommand } from './verify.js';
import { TASKS_USAGE, tasksCommand } from './tasks.js';
import { TRAIN_USAGE, trainCommand } from './train.js';
import { RECIPE_USAGE, recipeCommand } from './recipe.js';

interface Command {
  readonly summary: string;
  readonly usage: string;
  run(args: string[]): Promise<number> | number;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string };
  return pkg.version;
}

const commands: Record<string, Command> = {
  version: {
    summary: 'print the r1ts version',
    usage: 'r1ts version',
    run: () => {
      console.log(packageVersion());
      return 0;
    },
  },
  doctor: {
    summary: 'report the compute backend, BLAS, threads and CPU features',
    usage: 'r1ts doctor [--json]\n\n  --json   machine-readable output\n\nEnvironment: R1TS_BACKEND=ref|native|auto, R1TS_THREADS=N.',
    run: (args) => {
      const { values } = parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true });
      const report = doctor();
      console.log(values.json ? JSON.stringify(report, null, 2) : formatDoctor(report));
      return report.selfTest.startsWith('FAILED') ? 1 : 0;
    },
  },
  inspect: {
    summary: 'print a model config summary and its parameter counts',
    usage: 'r1ts inspect <preset | config.json | model folder> [--json]\n\n  --json   machine-readable output\n\nPresets: deepseek-r1, deepseek-v3, the six R1 distilled models, tiny-moe, small-moe, small-qwen2, tiny-qwen2, tiny-llama.',
    run: (args) => {
      const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true, strict: true });
      if (positionals.length !== 1) throw new UsageError('inspect takes one model: a preset name, a config.json or a model folder');
      const report = inspect(positionals[0]!);
      console.log(values.json ? JSON.stringify(report, null, 2) : formatInspect(report));
      return 0;
    },
  },
  logits: {
    summary: 'print the next-token logits of a model for given token ids',
    usage: [
      'r1ts logits <model folder | preset> --tokens 1,2,3 [--all] [--json] [--top N] [--seed N]',
      '',
      '  --tokens  comma-separated input token ids (required)',
      '  --all     logits of every position, not only the last',
      '  --json    machine-readable output with the full logit vectors',
      '  --top N   how many of the highest logits to list per position (default 10)',
      '  --seed N  weight seed when the model is a preset (random weights; default 0)',
      '',
      'A model folder holds config.json and model.safetensors (or shards with model.safetensors.index.json).',
    ].join('\n'),
    run: (args) => {
      const { values, positionals } = parseArgs({
        args,
        options: { tokens: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'boolean' }, top: { type: 'string' }, seed: { type: 'string' } },
        allowPositionals: true,
        strict: true,
      });
      if (positionals.length !== 1) throw new UsageError('logits takes one model: a model folder or a preset name');
      if (values.tokens === undefined) throw new UsageError('logits needs --tokens, e.g. --tokens 1,2,3');
      const top = wholeNumber('--top', values.top, 10);
      const report = logits(positionals[0]!, { tokens: values.tokens, all: values.all ?? false, seed: wholeNumber('--seed', values.seed, 0) });
      console.log(values.json ? JSON.stringify(report) : formatLogits(report, top));
      return 0;
    },
  },
  generate: {
    summary: 'generate text with a model folder (R1 chat template and sampling by default)',
    usage: [
      'r1ts generate <model folder> --prompt TEXT [--stream] [--json] [--raw] [sampling options]',
      '',
      '  --prompt TEXT       the user message (or, with --raw, the whole prompt text)',
      '  --raw               use the prompt as is, without the chat template',
      '  --stream            print the text as it is generated (thinking dimmed)',
      '  --json              print the completions as JSON (tokens, logprobs, usage)',
      '  --max-tokens N      tokens to generate at most (default 1024)',
      '  --n N               independent samples (default 1)',
      '  --stop TEXT         a stop string (repeatable)',
      '  --no-math           leave out the \\boxed{} math directive R1 is prompted with',
      ...SAMPLING_HELP,
      '',
      'The folder holds config.json, model.safetensors and tokenizer.json / tokenizer_config.json.',
    ].join('\n'),
    run: async (args) => {
      const { values, positionals } = parseArgs({ args, options: { prompt: { type: 'string' }, raw: { type: 'boolean' }, stream: { type: 'boolean' }, json: { type: 'boolean' }, 'max-tokens': { type: 'string' }, n: { type: 'string' }, stop: { type: 'string', multiple: true }, 'no-math': { type: 'boolean' }, ...SAMPLING_OPTIONS }, allowPositionals: true, strict: true });
      if (positionals.length !== 1) throw new UsageError('generate takes one model folder');
      if (values.prompt === undefined) throw new UsageError('generate needs --prompt, e.g. --prompt "What is 2 + 3?"');
      return generateCommand(positionals[0]!, {
        prompt: values.prompt, raw: values.raw ?? false, stream: values.stream ?? false, json: values.json ?? false,
        maxTokens: wholeNumber('--max-tokens', values['max-tokens'], 1024), n: wholeNumber('--n', values.n, 1),
        stop: values.stop ?? [], math: !values['no-math'], sampling: samplingFlags(values),
      });
    },
  },
  chat: {
    summary: 'chat with a model folder in the terminal (thinking shown dimmed)',
    usage: ['r1ts chat <model folder> [--max-tokens N] [--no-math] [sampling options]', '', ...SAMPLING_HELP, '', 'Type /reset to start over, /exit or Ctrl-D to quit.'].join('\n'),
    run: async (args) => {
      const { values, positionals } = parseArgs({ args, options: { 'max-tokens': { type: 'string' }, 'no-math': { type: 'boolean' }, ...SAMPLING_OPTIONS }, allowPositionals: true, strict: true });
      if (positionals.length !== 1) throw new UsageError('chat takes one model folder');
      return chatCommand(positionals[0]!, { maxTokens: wholeNumber('--max-tokens', values['max-tokens'], 1024), math: !values['no-math'], sampling: samplingFlags(values) });
    },
  },
  tasks: {
    summary: 'write procedurally generated reasoning problems (arithmetic, countdown, linear) as JSONL',
    usage: TASKS_USAGE,
    run: (args) => tasksCommand(args),
  },
  recipe: {
    summary: 'run the R1 recipe in miniature: cold start, GRPO, distillation vs RL, evaluation and a report',
    usage: RECIPE_USAGE,
    run: (args) => recipeCommand(args),
  },
  train: {
    summary: 'train a model: sft (supervised fine-tuning), distill (teacher traces → student) or grpo (RL)',
    usage: TRAIN_USAGE,
    run: (args) => trainCommand(args),
  },
  verify: {
    summary: 'judge a predicted answer against a gold one (the verifier GRPO and eval use)',
    usage: [
      'r1ts verify <gold> <prediction> [options]',
      'r1ts verify --jsonl FILE [--gold-field gold] [--pred-field pred] [options]',
      '',
      '  --jsonl FILE        judge one {"gold", "pred"} pair per line; prints a verdict per line and a summary',
      '  --gold-field NAME   the gold answer\'s field in --jsonl lines (default gold)',
      '  --pred-field NAME   the prediction\'s field in --jsonl lines (default pred)',
      '  --extract           the prediction is a whole completion: judge the answer extracted from it',
      '                      (after </think>: \\boxed{}, <answer>, #### N or "the answer is")',
      '  --percent MODE      how 50% reads: value (0.5), number (50) or either (default)',
      '  --ordered           several answers ("2, 3") must come in the gold\'s order',
      '  --json              machine-readable output',
      '',
      'Exit status: 0 when every pair is equal, 1 when one is not (or a line was skipped), 2 for bad usage.',
      'Example: r1ts verify \'\\frac{1}{2}\' 0.5',
    ].join('\n'),
    run: async (args) => {
      const { values, positionals } = parseArgs({
        args: negativeAnswersAsPositionals(args, new Set(['--jsonl', '--gold-field', '--pred-field', '--percent'])),
        options: { jsonl: { type: 'string' }, 'gold-field': { type: 'string' }, 'pred-field': { type: 'string' }, extract: { type: 'boolean' }, percent: { type: 'string' }, ordered: { type: 'boolean' }, json: { type: 'boolean' } },
        allowPositionals: true,
        strict: true,
      });
      const percent = values.percent;
      if (percent !== undefined && !isPercentMode(percent)) throw new UsageError(`--percent must be value, number or either; got ${JSON.stringify(percent)}`);
      const settings = { extract: values.extract ?? false, json: values.json ?? false, verify: { ...(percent ? { percent } : {}), orderedLists: values.ordered ?? false } };
      if (values.jsonl !== undefined) {
        if (positionals.length > 0) throw new UsageError('verify --jsonl FILE takes no answers on the command line');
        return verifyJsonlCommand(values.jsonl, { gold: values['gold-field'] ?? 'gold', pred: values['pred-field'] ?? 'pred' }, settings);
      }
      if (positionals.length !== 2) throw new UsageError('verify takes two answers, the gold one and the prediction (or --jsonl FILE), e.g. r1ts verify 42 "42.0"');
      return verifyPairCommand(positionals[0]!, positionals[1]!, settings);
    },
  },
};


function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'r1ts — DeepSeek-R1 in TypeScript',
    '',
    'Usage: r1ts <command> [options]      (r1ts <command> --help for details)',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/** `r1ts … | head` closes stdout early: stop quietly, as Unix tools do, instead of crashing on EPIPE. */
let watchingStdout = false;
function exitQuietlyOnClosedStdout(): void {
  if (watchingStdout) return;
  watchingStdout = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(process.exitCode ?? 0);
  });
}

export async function run(argv: string[]): Promise<number> {
  exitQuietlyOnClosedStdout();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return 0;
  }
  if (name === '--version' || name === '-v') return commands.version!.run([]);
  const command = commands[name];
  try {
    if (!command) throw new UsageError(`unknown command '${name}'.\n\n${help()}`);
    if (rest.includes('--help') || rest.includes('-h')) {
      console.log(`${command.summary}\n\nUsage: ${command.usage}`);
      return 0;
    }
    return await command.run(rest);
  } catch (e) {
    const usage = e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? new UsageError(`${e.message}\nUsage: ${command?.usage}`) : e;
    return reportError(usage);
  }
}

// Run directly (tsx src/cli/main.ts …): execute; imported (bin/r1ts.js, tests): only export run().
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await run(process.argv.slice(2));
}
