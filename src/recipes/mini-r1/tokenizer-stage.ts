// Stage 1a: the run's tokenizer. A byte-level BPE trained on the problems and the teacher's solutions,
// saved to runDir/tokenizer; a run that already has one (a resumed run) loads it instead, so the ids
// of its checkpoints keep their meaning.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { saveTrainedBpe, Tokenizer, trainBpe } from '../../tokenizer/index.js';

export interface TokenizerStage {
  readonly tokenizer: Tokenizer;
  readonly dir: string;
  /** False when the tokenizer was read back from an earlier run. */
  readonly trained: boolean;
}

export function tokenizerStage(runDir: string, corpus: () => string, vocabSize: number): TokenizerStage {
  const dir = join(runDir, 'tokenizer');
  if (existsSync(join(dir, 'tokenizer.json'))) return { tokenizer: Tokenizer.fromFiles(dir), dir, trained: false };
  const bpe = trainBpe(corpus(), { vocabSize });
  mkdirSync(dir, { recursive: true });
  saveTrainedBpe(bpe, dir);
  return { tokenizer: Tokenizer.fromFiles(dir), dir, trained: true };
}
