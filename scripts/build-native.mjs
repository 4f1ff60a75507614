// Builds the native backend at install time. A failed build is not fatal for users: r1ts then runs on
// its TypeScript backend and `r1ts doctor` says so. CI sets R1TS_REQUIRE_NATIVE=1 to make it fatal.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// npm tells install scripts where its bundled node-gyp is; a development checkout has its own.
let gyp = process.env.npm_config_node_gyp || null;
if (!gyp) {
  try {
    gyp = require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    gyp = null;
  }
}
const result = gyp
  ? spawnSync(process.execPath, [gyp, 'rebuild'], { stdio: 'inherit' })
  : spawnSync('npm', ['exec', '--', 'node-gyp', 'rebuild'], { stdio: 'inherit', shell: true });
if (result.status !== 0) {
  const msg = 'r1ts: the native backend did not build; r1ts will use its slower TypeScript backend. ' +
    'Install a C++ toolchain (g++, make, python3) and optionally libopenblas-dev, then run `npm rebuild r1ts`.';
  if (process.env.R1TS_REQUIRE_NATIVE === '1') {
    console.error(msg);
    process.exit(1);
  }
  console.warn(msg);
}
