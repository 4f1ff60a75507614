// Runs every test/**/*.test.ts file with Node's test runner and the tsx loader (Node 20's --test
// does not expand globs itself). Extra arguments are passed to node --test (e.g. a reporter).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? find(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : []);
}

const files = find('test').sort();
const args = ['--import', 'tsx', '--test', '--test-concurrency=1', ...process.argv.slice(2), ...files];
// Poisoned allocations: an op that claims to overwrite its output but leaves a hole fails loudly.
const result = spawnSync(process.execPath, args, { stdio: 'inherit', env: { R1TS_POISON_EMPTY: '1', ...process.env } });
process.exit(result.status ?? 1);
