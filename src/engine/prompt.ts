// A request's prompt as token ids, the way a local model sees it: a chat through the tokenizer's chat
// template with the generation prompt (the template carries its own BOS), or raw text with the
// tokenizer's special tokens. The local engine generates from these ids, and GRPO scores completions
// after exactly these ids, so both use this one function.

import type { Tokenizer } from '../tokenizer/index.js';
import { applyChatTemplate } from '../tokenizer/index.js';
import type { GenerateRequest } from './types.js';

export function encodePrompt(tokenizer: Tokenizer, req: Pick<GenerateRequest, 'messages' | 'prompt' | 'r1'>): { ids: number[]; text: string } {
  if ((req.messages === undefined) === (req.prompt === undefined)) throw new RangeError('give either messages or prompt');
  const text = req.messages ? applyChatTemplate(tokenizer, req.messages, { addGenerationPrompt: true, ...(req.r1 ? { r1: req.r1 } : {}) }) : req.prompt!;
  const ids = tokenizer.encode(text, { addSpecialTokens: !req.messages });
  if (ids.length === 0) throw new RangeError('the prompt encodes to no tokens');
  return { ids, text };
}
