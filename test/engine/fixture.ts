// A tiny chat model for engine and CLI tests: a byte-level BPE trained here on a few sentences and a
// tiny Qwen2 sized to its vocabulary (random weights: the text is nonsense, but deterministic).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CausalLM, parseConfig, saveModel } from '../../src/model/index.js';
import { saveTrainedBpe, Tokenizer, trainBpe } from '../../src/tokenizer/index.js';
import type { TrainedBpe } from '../../src/tokenizer/index.js';
import { TINY_MODELS } from '../model/tiny-configs.js';

const CORPUS = [
  'The answer is 42. Let me think step by step about the sum of 17 and 25.',
  'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.',
  'def add(a, b):\n    return a + b\n\nprint(add(2, 3))',
  '日本語のテキストと emoji 🙂 も混ぜておく。',
].join('\n').repeat(4);

let trained: TrainedBpe | null = null;

export function tinyChatModel(): { model: CausalLM; tokenizer: Tokenizer } {
  trained ??= trainBpe(CORPUS, { vocabSize: 330 });
  const tokenizer = Tokenizer.fromJson(trained.tokenizerJson, trained.tokenizerConfig, 'trained in test');
  const config = parseConfig({ ...TINY_MODELS.tinyQwen2, vocab_size: tokenizer.vocabSize, eos_token_id: tokenizer.eosTokenId });
  return { model: new CausalLM(config, { seed: 3 }), tokenizer };
}

/** The same model and tokenizer as a Hugging Face folder under `dir`. */
export function saveTinyChatModel(dir: string): string {
  const { model } = tinyChatModel();
  mkdirSync(dir, { recursive: true });
  saveModel(dir, model, model.config, { dtype: 'float32' });
  saveTrainedBpe(trained!, dir);
  model.dispose();
  return join(dir);
}
