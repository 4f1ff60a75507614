// How the sandbox walls a Python process off from the host, and which walls a machine can build.
//
// Three levels, strongest first:
//   bwrap    bubblewrap: new user, pid, network, IPC and UTS namespaces and a new root that shows only
//            /usr (read-only: the interpreter and its standard library) with /etc/alternatives, a fresh
//            /proc and a minimal /dev, and the work folder, a size-capped tmpfs that vanishes with the sandbox. No user
//            file, no network, and every process dies with the sandbox's first one.
//   unshare  util-linux unshare: new user, pid and network namespaces but the host's filesystem (what
//            the sandbox's uid may read); the work folder is a temporary host folder.
//   none     a plain child process in its own process group: only the resource limits and the clock.
// On every level, a caller running as root runs the program as a fresh, unused uid: root is exempt from
// RLIMIT_NPROC (the kernel never applies it to uid 0), so only a non-root uid turns the process limit
// into a fork-bomb stopper, and an unused uid can neither read root's files nor signal anyone's
// processes. Inside a user namespace the limit counts only that namespace's processes, so sandboxes
// running side by side do not share one budget.

import { randomInt } from 'node:crypto';
import { lstatSync, readlinkSync } from 'node:fs';
import { PYTHON_HARNESS } from './python-harness.js';

export type Isolation = 'bwrap' | 'unshare' | 'none';

/**
 * The protections that depend on the isolation level (time, memory, file size and output limits hold on
 * every level):
 * network: no network interface but a private loopback; filesystem: user files are invisible and nothing
 * outside the work folder is writable; process-cleanup: every process the program starts, detached or
 * not, is killed at the end; process-limit: a fork bomb stops at the process limit.
 */
export type Protection = 'network' | 'filesystem' | 'process-cleanup' | 'process-limit';
export const ALL_PROTECTIONS: readonly Protection[] = ['network', 'filesystem', 'process-cleanup', 'process-limit'];

const NAMESPACE_PROTECTIONS: readonly Protection[] = ['network', 'process-cleanup', 'process-limit'];

/** The protections a level gives when the caller runs as `uid`. */
export function protectionsOf(isolation: Isolation, uid: number | null): readonly Protection[] {
  if (isolation === 'bwrap') return ALL_PROTECTIONS;
  if (isolation === 'unshare') return NAMESPACE_PROTECTIONS;
  // Without a user namespace, RLIMIT_NPROC counts every process of the uid: per sandbox only for a fresh one.
  return uid === 0 ? ['process-limit'] : [];
}

/** How to start one sandboxed run. */
export interface Launch {
  readonly command: string;
  readonly args: readonly string[];
  /** Where the program works, as it sees it. */
  readonly workDir: string;
  readonly env: Readonly<Record<string, string>>;
  /** The uid (and gid) to run as; null: the caller's own. */
  readonly uid: number | null;
  /** Whether the command leads a process group that must be killed as a whole at the end. */
  readonly killGroup: boolean;
  /** RLIMIT_NPROC for the harness; null where it would count more than this sandbox. */
  readonly processLimit: number | null;
}

/** Fresh uids come from a range far above the ids that systems hand out to users and containers. */
const FRESH_UID_BASE = 1_500_000_000;
const FRESH_UID_SPAN = 100_000_000;

const BWRAP_WORK_DIR = '/sandbox';

export interface LaunchSettings {
  readonly python: string;
  readonly maxProcesses: number;
  readonly workDirBytes: number;
  /** A new empty host folder, deleted after the run: the work folder on the levels without bwrap. */
  readonly scratch: string;
}

/** The command line and settings for one run on the given level. */
export function launchFor(isolation: Isolation, settings: LaunchSettings): Launch {
  const callerUid = process.getuid?.() ?? null;
  const uid = callerUid === 0 ? FRESH_UID_BASE + randomInt(FRESH_UID_SPAN) : null;
  const python = [settings.python, '-I', '-B', '-c', PYTHON_HARNESS];
  const processLimit = protectionsOf(isolation, callerUid).includes('process-limit') ? settings.maxProcesses : null;
  // One thread per math library: the process limit counts threads, and OpenBLAS would start one per core.
  const envFor = (workDir: string) => ({
    PATH: '/usr/bin:/bin', HOME: workDir, TMPDIR: workDir, LC_ALL: 'C.UTF-8', OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1',
  });
  if (isolation === 'bwrap') {
    const env = envFor(BWRAP_WORK_DIR);
    const args = [
      '--unshare-user', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
      '--disable-userns', '--die-with-parent', '--new-session',
      '--ro-bind', '/usr', '/usr', ...systemLinks(),
      // Debian points some shared libraries (libblas for numpy, say) through /etc/alternatives: links only.
      '--ro-bind-try', '/etc/alternatives', '/etc/alternatives',
      '--proc', '/proc', '--dev', '/dev',
      '--size', String(settings.workDirBytes), '--tmpfs', BWRAP_WORK_DIR,
      // The new root and /dev are tmpfs without a size cap: read-only, they cannot eat the host's memory.
      '--remount-ro', '/dev', '--remount-ro', '/',
      '--chdir', BWRAP_WORK_DIR, '--clearenv',
      ...Object.entries(env).flatMap(([name, value]) => ['--setenv', name, value]),
      '--', ...python,
    ];
    return { command: 'bwrap', args, workDir: BWRAP_WORK_DIR, env, uid, killGroup: false, processLimit };
  }
  const env = envFor(settings.scratch);
  const common = { workDir: settings.scratch, env, uid, processLimit };
  if (isolation === 'unshare') {
    const args = ['--user', '--map-root-user', '--net', '--pid', '--fork', '--mount-proc', '--kill-child', '--', ...python];
    return { command: 'unshare', args, killGroup: false, ...common };
  }
  return { command: settings.python, args: python.slice(1), killGroup: true, ...common };
}

/**
 * bwrap arguments that recreate the top-level links into /usr (/bin, /lib, /lib64 …) on merged-/usr
 * systems, or bind those folders read-only where they are real folders.
 */
function systemLinks(): string[] {
  const args: string[] = [];
  for (const path of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    try {
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
      else if (stat.isDirectory()) args.push('--ro-bind', path, path);
    } catch {
      // Not on this system: nothing to recreate.
    }
  }
  return args;
}
