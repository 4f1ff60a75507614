// The tokenizer layer: Hugging Face tokenizer files (tokenizer.json + tokenizer_config.json) through
// @huggingface/tokenizers, chat prompts from the file's Jinja template with DeepSeek-R1's conventions,
// and a byte-level BPE trainer for the miniature models that writes the same two files.

export { Tokenizer } from './tokenizer.js';
export type { DecodeOptions, EncodeOptions } from './tokenizer.js';
export { applyChatTemplate, encodeChat, MATH_DIRECTIVE, prepareR1Messages, R1_DEFAULTS, R1_OFF } from './chat.js';
export type { ChatMessage, ChatRole, ChatTemplateOptions, R1Options } from './chat.js';
export { R1_CHAT_TEMPLATE, R1_TOKENS } from './r1-format.js';
export { saveTrainedBpe, trainBpe } from './train-bpe.js';
export type { TrainBpeOptions, TrainedBpe } from './train-bpe.js';
export { BYTE_TO_CHAR, PRETOKENIZE_PATTERN, pretokenize } from './byte-level.js';
export { SUPPORTED_MODELS } from './config.js';
export { TokenizerError } from './errors.js';
