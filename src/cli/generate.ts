// `r1ts generate` and `r1ts chat`: our model and tokenizer from a Hugging Face folder, prompted the R1
// way (chat template, <think> opened, R1's sampling defaults), thinking shown dimmed.

import { createInterface } from 'node:readline/promises';
import type { Completion, GenerateRequest } from '../engine/index.js';
import { LocalEngine } from '../engine/index.js';
import type { SamplingParams } from '../generate/index.js';
import { loadPretrained } from '../model/index.js';
import type { ChatMessage } from '../tokenizer/index.js';
import { Tokenizer } from '../tokenizer/index.js';
import { UsageError } from './errors.js';

/** R1's recommended sampling (DeepSeek-R1 README): temperature 0.6, top-p 0.95. */
export const R1_SAMPLING: Partial<SamplingParams> = { temperature: 0.6, topP: 0.95 };

export interface GenerateCliOptions {
  readonly prompt: string;
  readonly raw: boolean;
  readonly stream: boolean;
  readonly json: boolean;
  readonly maxTokens: number;
  readonly n: number;
  readonly stop: readonly string[];
  readonly math: boolean;
  readonly sampling: Partial<SamplingParams>;
}

/** Our model and its tokenizer from one folder. */
export function openEngine(dir: string, maxBatch = 32): LocalEngine {
  const tokenizer = Tokenizer.fromFiles(dir);
  const { model } = loadPretrained(dir);
  if (tokenizer.vocabSize > model.config.vocab_size) {
    throw new UsageError(`${dir}: the tokenizer has ${tokenizer.vocabSize} tokens but the model only ${model.config.vocab_size}`);
  }
  return new LocalEngine(model, tokenizer, { maxBatch });
}

const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

export async function generateCommand(dir: string, o: GenerateCliOptions): Promise<number> {
  const engine = openEngine(dir);
  const request: GenerateRequest = {
    ...(o.raw ? { prompt: o.prompt } : { messages: [{ role: 'user', content: o.prompt }], r1: { mathDirective: o.math } }),
    maxTokens: o.maxTokens,
    n: o.n,
    stop: o.stop,
    sampling: { ...R1_SAMPLING, ...o.sampling },
  };
  if (o.stream && !o.json) {
    let inThinking = false;
    for await (const d of engine.stream([request])) {
      if (d.reasoning) {
        if (!inThinking) process.stdout.write(dim(o.n > 1 ? `\n[sample ${d.sample}] thinking: ` : 'thinking: '));
        inThinking = true;
        process.stdout.write(dim(d.reasoning));
      }
      if (d.content) {
        if (inThinking) process.stdout.write('\n\n');
        inThinking = false;
        process.stdout.write(d.content);
      }
      if (d.finishReason) process.stdout.write(`\n${dim(`[${d.finishReason}]`)}\n`);
    }
    return 0;
  }
  const done = await engine.generate([request]);
  console.log(o.json ? JSON.stringify(done.map(summary), null, 2) : done.map(format).join('\n\n'));
  return 0;
}

function summary(c: Completion) {
  return {
    sample: c.sample, reasoning: c.reasoning, content: c.content, finishReason: c.finishReason, truncatedReasoning: c.truncatedReasoning,
    usage: { promptTokens: c.promptTokens, completionTokens: c.tokens.length, reasoningTokens: c.reasoningTokens },
    tokens: c.tokens, logprobs: c.logprobs,
  };
}

function format(c: Completion, _i: number, all: readonly Completion[]): string {
  const head = all.length > 1 ? `[sample ${c.sample}]\n` : '';
  const thinking = c.reasoning ? `${dim(`thinking: ${c.reasoning}`)}\n\n` : '';
  return `${head}${thinking}${c.content}\n${dim(`[${c.finishReason}${c.truncatedReasoning ? ', reasoning cut off' : ''}; ${c.tokens.length} tokens]`)}`;
}

/** An interactive chat on stdin/stdout; earlier turns' reasoning is left out of the history (R1's rule). */
export async function chatCommand(dir: string, o: Pick<GenerateCliOptions, 'maxTokens' | 'sampling' | 'math'>): Promise<number> {
  const engine = openEngine(dir, 1);
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  const history: ChatMessage[] = [];
  console.log(dim('r1ts chat — /reset starts over, /exit (or Ctrl-D) quits'));
  try {
    for (;;) {
      let line: string;
      try {
        line = (await rl.question('> ')).trim();
      } catch {
        break; // input closed
      }
      if (line === '/exit') break;
      if (line === '/reset') {
        history.length = 0;
        continue;
      }
      if (!line) continue;
      history.push({ role: 'user', content: line });
      let reasoning = '';
      let content = '';
      for await (const d of engine.stream([{ messages: history, maxTokens: o.maxTokens, sampling: { ...R1_SAMPLING, ...o.sampling }, r1: { mathDirective: o.math } }])) {
        if (d.reasoning) process.stdout.write(dim(d.reasoning));
        if (d.content && !content && reasoning) process.stdout.write('\n\n');
        process.stdout.write(d.content);
        reasoning += d.reasoning;
        content += d.content;
      }
      process.stdout.write('\n');
      history.push({ role: 'assistant', content, reasoning_content: reasoning });
    }
  } finally {
    rl.close();
  }
  return 0;
}
