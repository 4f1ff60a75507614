// Engines: the one generation interface and its implementations (local for now).

export { LocalEngine } from './local.js';
export type { LocalEngineOptions } from './local.js';
export { completionText } from './completion-text.js';
export { encodePrompt } from './prompt.js';
export type { Completion, Engine, GenerateRequest, GenerationDelta } from './types.js';
