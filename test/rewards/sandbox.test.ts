// The sandbox under attack: each escape the issue names (fork bomb, endless loop, 50 GB allocation,
// reading and writing user files, network, a detached grandchild, 1 GB of output) is attempted for real
// and shown contained, on every isolation level this machine has; correct programs pass and wrong ones
// fail. Limits are small so that a failure of the sandbox cannot hurt the machine running the tests.
//
// The filesystem tests need bubblewrap; without it they are skipped, unless R1TS_REQUIRE_SANDBOX=1 (CI)
// makes its absence a failure.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Isolation } from '../../src/rewards/sandbox/isolation.js';
import type { SandboxOptions, SandboxRun } from '../../src/rewards/sandbox/sandbox.js';
import { runPython, SandboxError, sandboxReport } from '../../src/rewards/sandbox/sandbox.js';

const LIMITS: SandboxOptions = { timeoutMs: 1500, memoryBytes: 256 * 2 ** 20, maxOutputBytes: 64 * 1024, maxProcesses: 12 };

async function works(isolation: Isolation): Promise<boolean> {
  try {
    await sandboxReport({ isolation });
    return true;
  } catch {
    return false;
  }
}

const levels = { bwrap: await works('bwrap'), unshare: await works('unshare') };
const NO_BWRAP = levels.bwrap ? false : 'bubblewrap is not installed or does not work here';
const namespaceLevels = (['bwrap', 'unshare'] as const).filter((level) => levels[level]);

/** Runs a script on a level (unshare lacks the filesystem wall, so it needs allowUnprotected). */
function run(isolation: Isolation, program: string, options: SandboxOptions = {}): Promise<SandboxRun> {
  return runPython({ mode: 'script', program }, { ...LIMITS, isolation, allowUnprotected: isolation !== 'bwrap', ...options });
}

/**
 * Live host processes running as `uid`, waiting up to 2 s for the kernel to finish tearing a sandbox
 * down. Zombies do not count: they run nothing and hold no memory, and the sandbox's killed first process
 * stays one until the host's init reaps it (which a container's init may do only every few seconds).
 */
async function processesOf(uid: number): Promise<number[]> {
  const deadline = Date.now() + 2000;
  for (;;) {
    const pids = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).filter((pid) => {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        return new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(status) && !/^State:\s+Z/m.test(status);
      } catch {
        return false; // ended while we looked
      }
    });
    if (pids.length === 0 || Date.now() > deadline) return pids.map(Number);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A host folder that anyone may read and write, so that only the sandbox stands between it and the program. */
function openFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'r1ts-sandbox-test-'));
  chmodSync(dir, 0o777);
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('on CI the strongest level is available', { skip: process.env.R1TS_REQUIRE_SANDBOX !== '1' }, () => {
  assert.ok(levels.bwrap, 'R1TS_REQUIRE_SANDBOX=1 but bubblewrap does not run here: apt-get install bubblewrap');
});

test('auto picks bubblewrap where it works, with every protection', { skip: NO_BWRAP }, async () => {
  const report = await sandboxReport();
  assert.equal(report.isolation, 'bwrap');
  assert.deepEqual(report.missing, []);
});

test('correct programs run; wrong ones fail with the reason', async () => {
  const sum = await runPython({ mode: 'script', program: 'a, b = map(int, input().split())\nprint(a + b)', stdin: '2 40\n' }, LIMITS);
  assert.equal(sum.outcome, 'completed');
  assert.equal(sum.stdout, '42\n');

  const crash = await runPython({ mode: 'script', program: 'print("before")\n1 / 0' }, LIMITS);
  assert.equal(crash.outcome, 'error');
  assert.equal(crash.message, 'ZeroDivisionError: division by zero');
  assert.equal(crash.stdout, 'before\n');
  assert.match(crash.stderr, /File "solution\.py", line 2/);

  const exitCode = await runPython({ mode: 'script', program: 'import sys\nsys.exit(3)' }, LIMITS);
  assert.deepEqual([exitCode.outcome, exitCode.message], ['error', 'the program called exit(3)']);

  const test = 'def check(candidate):\n    assert candidate(2) == 4\n    assert candidate(-3) == 9\n';
  const right = await runPython({ mode: 'check', program: 'def square(x):\n    return x * x\n', test, entryPoint: 'square' }, LIMITS);
  assert.equal(right.outcome, 'completed');
  const wrong = await runPython({ mode: 'check', program: 'def square(x):\n    return 2 * x\n', test, entryPoint: 'square' }, LIMITS);
  assert.deepEqual([wrong.outcome, wrong.message], ['failed', 'AssertionError']);
  const missing = await runPython({ mode: 'check', program: 'def cube(x):\n    return x ** 3\n', test, entryPoint: 'square' }, LIMITS);
  assert.deepEqual([missing.outcome, missing.message], ['error', 'the program defines no function square']);
});

test('a program cannot pass the tests by ending the process or forging the verdict', async () => {
  const test = 'def check(candidate):\n    assert candidate() == 1\n';
  const cases = {
    'sys.exit(0) before the tests': 'import sys\ndef f():\n    return 0\nsys.exit(0)\n',
    'os._exit(0) before the tests': 'import os\ndef f():\n    return 0\nos._exit(0)\n',
    'a made-up verdict line': 'import os, sys\ndef f():\n    return 0\nsys.stderr.write("\\n" + "0" * 32 + \' {"outcome": "completed", "message": ""}\\n\')\nsys.stderr.flush()\nos._exit(0)\n',
  };
  for (const [name, program] of Object.entries(cases)) {
    const result = await runPython({ mode: 'check', program, test, entryPoint: 'f' }, LIMITS);
    assert.equal(result.outcome, 'error', name);
  }
});

test('the work folder is writable and thrown away after each run', async () => {
  const program = 'import os\nprint(os.path.exists("notes.txt"))\nopen("notes.txt", "w").write("kept?")\nprint(open("notes.txt").read())';
  for (let i = 0; i < 2; i++) {
    const result = await runPython({ mode: 'script', program }, LIMITS);
    assert.equal(result.stdout, 'False\nkept?\n');
  }
});

test('the parent environment does not leak into the sandbox', async () => {
  process.env.R1TS_SANDBOX_TEST_SECRET = 'hunter2';
  try {
    // bwrap adds PWD itself; nothing else but what the sandbox sets may come through.
    const result = await runPython({ mode: 'script', program: 'import os\nprint(*sorted(set(os.environ) - {"PWD"}))' }, LIMITS);
    assert.equal(result.stdout, 'HOME LC_ALL OMP_NUM_THREADS OPENBLAS_NUM_THREADS PATH TMPDIR\n');
  } finally {
    delete process.env.R1TS_SANDBOX_TEST_SECRET;
  }
});

for (const level of namespaceLevels) {
  test(`${level}: a fork bomb stops at the process limit and leaves nothing behind`, async () => {
    const result = await run(level, 'import os\nwhile True:\n    os.fork()\n');
    assert.equal(result.outcome, 'error');
    assert.match(result.message, /^BlockingIOError: \[Errno 11\] Resource temporarily unavailable/);
    assert.notEqual(result.uid, null, 'the tests run as root, so the program runs as a fresh uid');
    assert.deepEqual(await processesOf(result.uid!), []);
  });

  test(`${level}: an endless loop is stopped at the time limit`, async () => {
    const result = await run(level, 'while True:\n    pass\n');
    assert.equal(result.outcome, 'timeout');
    assert.ok(result.durationMs < 1500 + 1000, `stopped after ${result.durationMs} ms`);
    assert.deepEqual(await processesOf(result.uid!), []);
  });

  test(`${level}: allocating 50 GB, at once or bit by bit, is a memory failure`, async () => {
    const atOnce = await run(level, 'data = bytearray(50 * 2**30)\n');
    assert.deepEqual([atOnce.outcome, atOnce.message], ['memory', 'MemoryError']);
    const growing = await run(level, 'chunks = []\nfor _ in range(50 * 64):\n    chunks.append(bytearray(2**24))\n');
    assert.deepEqual([growing.outcome, growing.message], ['memory', 'MemoryError']);
  });

  test(`${level}: printing 1 GB is cut at the output cap`, async () => {
    const result = await run(level, 'import sys\nchunk = "x" * 2**20\nfor _ in range(1024):\n    sys.stdout.write(chunk)\n');
    assert.equal(result.outcome, 'output-limit');
    assert.equal(result.stdout, 'x'.repeat(64 * 1024));
  });

  test(`${level}: a detached grandchild does not outlive the run`, async () => {
    const program = 'import subprocess, sys\n' +
      'child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True)\n' +
      'print("started", child.pid)\n';
    const result = await run(level, program, { guard: false });
    assert.equal(result.outcome, 'completed');
    assert.match(result.stdout, /^started \d+\n$/);
    assert.deepEqual(await processesOf(result.uid!), []);
  });

  for (const guard of [false, true]) {
    test(`${level}, guard ${guard ? 'on' : 'off'}: no network, not even the host's loopback`, async () => {
      let connections = 0;
      const server = createServer((socket) => {
        connections++;
        socket.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      try {
        const host = await run(level, `import socket\nsocket.create_connection(("127.0.0.1", ${port}), timeout=1)\n`, { guard });
        const internet = await run(level, 'import socket\nsocket.create_connection(("1.1.1.1", 53), timeout=1)\n', { guard });
        for (const result of [host, internet]) {
          assert.equal(result.outcome, 'error');
          if (guard) assert.equal(result.message, 'PermissionError: r1ts sandbox guard: network access is not allowed');
          else assert.match(result.message, /^(ConnectionRefusedError|OSError): \[Errno (111|101)\]/);
        }
        assert.equal(connections, 0);
      } finally {
        server.close();
      }
    });
  }
}

test('bwrap: user files are invisible and nothing outside the work folder is writable', { skip: NO_BWRAP }, async () => {
  const outside = openFolder();
  const secret = join(outside, 'secret.txt');
  writeFileSync(secret, 'the user\'s secret');
  chmodSync(secret, 0o644);
  const repoFile = join(process.cwd(), 'package.json');
  // The new root holds /usr, its top-level links, /etc/alternatives (links into /usr), /proc, /dev and the
  // work folder: nothing else of the host.
  const links = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'].filter((name) => existsSync(`/${name}`));
  const etc = existsSync('/etc/alternatives') ? ['etc'] : [];
  const listing = await run('bwrap', 'import os\nprint(*sorted(os.listdir("/")), *os.listdir("/etc"))', { guard: false });
  assert.equal(listing.stdout, `${[...links, ...etc, 'dev', 'proc', 'sandbox', 'usr'].sort().join(' ')}${etc.length ? ' alternatives' : ''}\n`);
  for (const guard of [false, true]) {
    for (const path of [secret, repoFile]) {
      const read = await run('bwrap', `print(open(${JSON.stringify(path)}).read())`, { guard });
      assert.equal(read.outcome, 'error');
      assert.equal(read.stdout, '');
      assert.match(read.message, guard ? /^PermissionError: r1ts sandbox guard: reading / : /^FileNotFoundError: /);
    }

    const target = join(outside, `written-${guard}.txt`);
    const write = await run('bwrap', `open(${JSON.stringify(target)}, "w").write("pwned")`, { guard });
    assert.equal(write.outcome, 'error');
    assert.match(write.message, guard ? /^PermissionError: r1ts sandbox guard: writing / : /^FileNotFoundError: /);
    assert.equal(existsSync(target), false);
    const usr = await run('bwrap', 'open("/usr/pwned", "w").write("pwned")', { guard: false });
    assert.match(usr.message, /^OSError: \[Errno 30\] Read-only file system/);
  }
});

test('unshare: user files stay readable unless the (weak) guard stops the read', { skip: !levels.unshare && 'unshare does not work here' }, async () => {
  const outside = openFolder();
  const secret = join(outside, 'secret.txt');
  writeFileSync(secret, 'the user\'s secret');
  chmodSync(secret, 0o644);
  const unguarded = await run('unshare', `print(open(${JSON.stringify(secret)}).read())`, { guard: false });
  assert.equal(unguarded.stdout, 'the user\'s secret\n', 'without a mount namespace the file is there to read: why the reward refuses this level');
  const guarded = await run('unshare', `print(open(${JSON.stringify(secret)}).read())`, { guard: true });
  assert.equal(guarded.outcome, 'error');
  assert.equal(guarded.message, `PermissionError: r1ts sandbox guard: reading ${secret} is not allowed`);
});

test('levels without every protection are refused unless the caller accepts the risk', async () => {
  const report = await sandboxReport({ isolation: 'none' });
  assert.deepEqual(report.missing, ['network', 'filesystem', 'process-cleanup']);
  await assert.rejects(runPython({ mode: 'script', program: 'print(1)' }, { ...LIMITS, isolation: 'none' }),
    (error: unknown) => error instanceof SandboxError && /lacks network, filesystem, process-cleanup/.test(error.message));
  const accepted = await runPython({ mode: 'script', program: 'print(1)' }, { ...LIMITS, isolation: 'none', allowUnprotected: true });
  assert.deepEqual([accepted.outcome, accepted.stdout], ['completed', '1\n']);
});

test('a missing interpreter is a SandboxError that says what to install', async () => {
  await assert.rejects(sandboxReport({ python: '/usr/bin/no-such-python' }),
    (error: unknown) => error instanceof SandboxError && /does not run under bwrap, unshare, none/.test(error.message));
});
