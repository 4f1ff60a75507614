#!/usr/bin/env node
// The r1ts command: runs the compiled CLI (npm install / npm ci build it into dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  console.error('r1ts: dist/ is missing; run `npm run build` in the package folder (or `npm start` to run from source).');
  process.exit(1);
}
const { run } = await import(main);
process.exitCode = await run(process.argv.slice(2));
