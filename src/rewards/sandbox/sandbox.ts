// Runs one untrusted Python program in a sandboxed subprocess and says how it ended.
//
// Steps of a run: pick the isolation level (the strongest that works here, probed once per interpreter;
// isolation.ts), refuse when protections are missing and the caller did not accept that, make the work
// folder, start the harness (python-harness.ts) and send it the job and the program's input, collect
// stdout and stderr up to a size cap, kill everything at the wall-clock limit or the cap, read the
// harness's verdict, and delete the work folder.
//
// What this guards against and what it does not: docs/sandbox.md.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Isolation, Launch, Protection } from './isolation.js';
import { ALL_PROTECTIONS, launchFor, protectionsOf } from './isolation.js';
import type { HarnessJob } from './python-harness.js';
import { parseVerdict } from './python-harness.js';

export interface SandboxOptions {
  /** The Python interpreter; with bwrap it must live under /usr, the only host folder the sandbox sees. */
  readonly python?: string;
  /** 'auto' takes the strongest level that works on this machine. */
  readonly isolation?: Isolation | 'auto';
  /** Wall-clock limit of one run, start-up included. */
  readonly timeoutMs?: number;
  /** Address-space limit (RLIMIT_AS) of each process. */
  readonly memoryBytes?: number;
  /** Cap on stdout and on stderr, each; a run that writes more is killed. */
  readonly maxOutputBytes?: number;
  /** Processes and threads the program may have at once, the harness included. */
  readonly maxProcesses?: number;
  /** Size of the work folder (bwrap) and largest file the program may write (every level). */
  readonly workDirBytes?: number;
  /** The in-process audit-hook guard (python-harness.ts): a weak extra layer, on by default. */
  readonly guard?: boolean;
  /** Run even when the isolation lacks some protections (see SandboxReport.missing). Off by default. */
  readonly allowUnprotected?: boolean;
}

export const SANDBOX_DEFAULTS: Required<SandboxOptions> = {
  python: '/usr/bin/python3',
  isolation: 'auto',
  timeoutMs: 4000,
  memoryBytes: 512 * 2 ** 20,
  maxOutputBytes: 2 ** 20,
  maxProcesses: 16,
  workDirBytes: 32 * 2 ** 20,
  guard: true,
  allowUnprotected: false,
};

/** Which isolation level runs take on this machine, and what it protects. */
export interface SandboxReport {
  readonly isolation: Isolation;
  readonly active: readonly Protection[];
  readonly missing: readonly Protection[];
  /** Why stronger levels were passed over (their error output), for the operator. */
  readonly notes: readonly string[];
}

/** The sandbox cannot run as asked: no working interpreter, or missing protections not accepted. */
export class SandboxError extends Error {
  override readonly name = 'SandboxError';
}

export type SandboxOutcome = 'completed' | 'failed' | 'timeout' | 'memory' | 'output-limit' | 'error';

/** What a program to run is: a script fed `stdin`, or a function checked by HumanEval-style tests. */
export type SandboxJob =
  | { readonly mode: 'script'; readonly program: string; readonly stdin?: string }
  | { readonly mode: 'check'; readonly program: string; readonly test: string; readonly entryPoint: string };

export interface SandboxRun {
  /**
   * completed: the program ran to its end (check mode: and every assertion of check held); failed: an
   * assertion of check failed; timeout: wall clock or CPU limit; memory: an allocation failed; output-limit:
   * more than maxOutputBytes on stdout or stderr; error: anything else (exception, exit code, crash).
   */
  readonly outcome: SandboxOutcome;
  /** One line on why: the exception, the limit hit, the signal. */
  readonly message: string;
  readonly stdout: string;
  /** The program's stderr (the harness's verdict line removed), at most maxOutputBytes. */
  readonly stderr: string;
  readonly isolation: Isolation;
  /** The host uid the program ran as (null: the caller's), to find leftover processes in `ps`. */
  readonly uid: number | null;
  readonly durationMs: number;
}

const reports = new Map<string, Promise<SandboxReport>>();

/**
 * The isolation level runs with these options take, found by running a tiny program on each level from
 * the strongest down (once per interpreter and choice; the answer is cached). Throws a SandboxError when
 * the chosen level, or with 'auto' every level, fails to run Python.
 */
export function sandboxReport(options: SandboxOptions = {}): Promise<SandboxReport> {
  const { python, isolation } = { ...SANDBOX_DEFAULTS, ...options };
  const key = `${python}\0${isolation}`;
  let report = reports.get(key);
  if (report === undefined) {
    report = probe(python, isolation === 'auto' ? ['bwrap', 'unshare', 'none'] : [isolation]);
    reports.set(key, report);
  }
  return report;
}

async function probe(python: string, levels: readonly Isolation[]): Promise<SandboxReport> {
  const notes: string[] = [];
  const settings = { ...SANDBOX_DEFAULTS, python };
  for (const isolation of levels) {
    const run = await runOn(isolation, { mode: 'script', program: 'print(6 * 7)' }, settings);
    if (run.outcome === 'completed' && run.stdout === '42\n') {
      const active = protectionsOf(isolation, process.getuid?.() ?? null);
      return { isolation, active, missing: ALL_PROTECTIONS.filter((p) => !active.includes(p)), notes };
    }
    notes.push(`${isolation}: ${run.message} ${run.stderr.trim()}`.trim());
  }
  throw new SandboxError(`sandbox: ${python} does not run under ${levels.join(', ')} on this machine (${notes.join('; ')}). ` +
    'Install bubblewrap (apt-get install bubblewrap) or util-linux unshare, and check the python option.');
}

/**
 * Runs `job` in the sandbox. Never throws because of what the program does; throws a SandboxError when
 * the sandbox itself cannot run as asked (see sandboxReport) or lacks protections the caller did not
 * accept with allowUnprotected.
 * Example: `(await runPython({ mode: 'script', program: 'print(input()[::-1])', stdin: 'abc' })).stdout === 'cba\n'`.
 */
export async function runPython(job: SandboxJob, options: SandboxOptions = {}): Promise<SandboxRun> {
  const settings = { ...SANDBOX_DEFAULTS, ...options };
  const report = await sandboxReport(settings);
  if (report.missing.length > 0 && !settings.allowUnprotected) {
    throw new SandboxError(`sandbox: refusing to run untrusted code under '${report.isolation}', which lacks ${report.missing.join(', ')}. ` +
      'Install bubblewrap (apt-get install bubblewrap), or pass allowUnprotected: true to accept the risk.');
  }
  return runOn(report.isolation, job, settings);
}

async function runOn(isolation: Isolation, job: SandboxJob, settings: Required<SandboxOptions>): Promise<SandboxRun> {
  // A fresh folder per run: the work folder on the levels that use a host folder, else just the start
  // folder of the process (bwrap brings its own work folder).
  const scratch = await mkdtemp(join(tmpdir(), 'r1ts-sandbox-'));
  const launch = launchFor(isolation, { ...settings, scratch });
  try {
    if (launch.uid !== null) await chown(scratch, launch.uid, launch.uid);
    return { ...(await execute(launch, scratch, job, settings)), isolation, uid: launch.uid };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

type Execution = Omit<SandboxRun, 'isolation' | 'uid'>;

/** How long to wait for the output pipes to close once the process has exited. */
const PIPE_GRACE_MS = 500;

function execute(launch: Launch, scratch: string, job: SandboxJob, settings: Required<SandboxOptions>): Promise<Execution> {
  const nonce = randomBytes(16).toString('hex');
  const harnessJob: HarnessJob = {
    nonce,
    mode: job.mode,
    program: job.program,
    ...(job.mode === 'check' ? { test: job.test, entryPoint: job.entryPoint } : {}),
    limits: {
      memoryBytes: settings.memoryBytes,
      cpuSeconds: Math.ceil(settings.timeoutMs / 1000) + 1,
      fileBytes: settings.workDirBytes,
      openFiles: 64,
      processes: launch.processLimit,
    },
    guardWorkDir: settings.guard ? launch.workDir : null,
  };
  const header = Buffer.from(JSON.stringify(harnessJob));
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(launch.command, launch.args, {
      cwd: scratch,
      env: launch.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: launch.killGroup,
      ...(launch.uid === null ? {} : { uid: launch.uid, gid: launch.uid }),
    });
    const out = new CappedText(settings.maxOutputBytes);
    const err = new CappedText(settings.maxOutputBytes);
    let ended: { outcome: 'timeout' | 'output-limit'; message: string } | null = null;
    let spawnError: Error | null = null;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let settled = false;

    const kill = () => {
      try {
        if (launch.killGroup && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const stop = (outcome: 'timeout' | 'output-limit', message: string) => {
      ended ??= { outcome, message };
      kill();
    };
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      child.stdout.destroy();
      child.stderr.destroy();
      const { verdict, stderr } = parseVerdict(err.text(), nonce);
      const durationMs = performance.now() - started;
      const base = { stdout: out.text(), stderr, durationMs };
      if (ended !== null) return resolve({ ...ended, ...base });
      if (spawnError !== null) return resolve({ outcome: 'error', message: `could not start ${launch.command}: ${spawnError.message}`, ...base });
      if (verdict !== null) return resolve({ ...verdict, ...base });
      resolve({ ...withoutVerdict(exit), ...base });
    };

    const timer = setTimeout(() => stop('timeout', `over the ${settings.timeoutMs} ms time limit`), settings.timeoutMs);
    let grace: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      if (!out.add(chunk)) stop('output-limit', `more than ${settings.maxOutputBytes} bytes on stdout`);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (!err.add(chunk)) stop('output-limit', `more than ${settings.maxOutputBytes} bytes on stderr`);
    });
    // The program may exit without reading its input: a broken pipe here is not an error of the run.
    child.stdin.on('error', () => {});
    child.on('error', (error) => {
      spawnError = error;
      finish();
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      clearTimeout(timer);
      // On the level without namespaces, children the program left in its process group die now; one that
      // left the group may hold the pipes open, so the run ends after a grace period all the same.
      if (launch.killGroup) kill();
      grace = setTimeout(finish, PIPE_GRACE_MS);
    });
    child.on('close', finish);

    child.stdin.write(`${header.length}\n`);
    child.stdin.write(header);
    if (job.mode === 'script' && job.stdin !== undefined) child.stdin.write(job.stdin);
    child.stdin.end();
  });
}

/** How a run ended when the harness wrote no verdict: the process ended itself, crashed or was killed. */
function withoutVerdict(exit: { code: number | null; signal: NodeJS.Signals | null } | null): { outcome: SandboxOutcome; message: string } {
  // bwrap and unshare report a child killed by signal N as exit code 128 + N.
  const signal = exit?.signal ?? (exit?.code !== null && exit?.code !== undefined && exit.code > 128 ? signalName(exit.code - 128) : null);
  if (signal === 'SIGXCPU') return { outcome: 'timeout', message: 'killed by SIGXCPU at the CPU time limit' };
  if (signal === 'SIGKILL') return { outcome: 'timeout', message: "killed by SIGKILL (the CPU time limit's hard stop, or the kernel)" };
  if (signal !== null) return { outcome: 'error', message: `killed by ${signal}` };
  return { outcome: 'error', message: `the process ended without the harness's verdict (exit code ${exit?.code ?? 'unknown'})` };
}

const SIGNAL_NAMES: Readonly<Record<number, string>> = { 6: 'SIGABRT', 7: 'SIGBUS', 9: 'SIGKILL', 11: 'SIGSEGV', 24: 'SIGXCPU', 25: 'SIGXFSZ' };

function signalName(n: number): string {
  return SIGNAL_NAMES[n] ?? `signal ${n}`;
}

/** Bytes of one output stream, kept up to a cap; add() says whether the chunk still fitted. */
class CappedText {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly cap: number) {}

  add(chunk: Buffer): boolean {
    const room = this.cap - this.size;
    if (room > 0) this.chunks.push(chunk.subarray(0, room));
    this.size += Math.min(chunk.length, Math.max(room, 0));
    return chunk.length <= room;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}
