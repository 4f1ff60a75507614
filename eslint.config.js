// Lint: typescript-eslint's recommended rules, plus the layer rule of DESIGN.md — a folder under src/
// imports only from folders below it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Each layer may import from the layers listed after it (lower in DESIGN.md's picture).
const layers = {
  cli: ['serve', 'eval', 'train', 'recipes', 'rewards', 'tasks', 'engine', 'generate', 'plan', 'model', 'tokenizer', 'nn', 'tensor', 'util'],
  serve: ['eval', 'engine', 'generate', 'model', 'tokenizer', 'nn', 'tensor', 'util'],
  recipes: ['train', 'eval', 'rewards', 'tasks', 'engine', 'generate', 'model', 'tokenizer', 'nn', 'tensor', 'util'],
  eval: ['rewards', 'tasks', 'engine', 'generate', 'model', 'tokenizer', 'nn', 'tensor', 'util'],
  train: ['rewards', 'tasks', 'engine', 'generate', 'model', 'tokenizer', 'nn', 'tensor', 'util'],
  engine: ['generate', 'model', 'tokenizer', 'nn', 'tensor', 'util'],
  generate: ['model', 'tokenizer', 'nn', 'tensor', 'util'],
  plan: ['model', 'util'],
  model: ['nn', 'tensor', 'tokenizer', 'util'],
  rewards: ['util'],
  tasks: ['rewards', 'util'],
  tokenizer: ['util'],
  nn: ['tensor', 'util'],
  tensor: ['util'],
  util: [],
};
const all = Object.keys(layers);
const layerRules = all.map((layer) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: all.filter((other) => other !== layer && !layers[layer].includes(other)).map((other) => ({
        group: [`**/${other}/*`, `**/${other}/index.js`, `../${other}`, `../../${other}`],
        message: `src/${layer} must not import from src/${other}: imports go down the layers of DESIGN.md.`,
      })),
    }],
  },
}));

export default tseslint.config(
  { ignores: ['node_modules/', 'build/', 'dist/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  ...layerRules,
);
