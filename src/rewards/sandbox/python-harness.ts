// The Python side of the sandbox: a small program that runs inside the sandbox, before and around the
// untrusted code. It ships as a string (run with `python -c`) because tsc does not copy .py files to dist/.
//
// Protocol, over the child's standard streams:
//   stdin   `<byte length>\n<job JSON>` then, in script mode, the program's own input.
//   stdout  the program's output, untouched.
//   stderr  the program's errors, then one verdict line `<nonce> {"outcome": …, "message": …}`.
// The nonce is random per run and reaches the harness only through stdin, which it has read before the
// untrusted code starts, so a program cannot print a passing verdict by guessing, nor pass the tests by
// calling exit(0) before they run: without the harness's verdict line a run counts as an error.
//
// What the harness does, in order: read the job; set resource limits (address space, CPU seconds, file
// size, open files, processes, no core dumps); optionally install the audit-hook guard; run the program
// (script mode: as __main__; check mode: define it, then the tests, then call check(entry point));
// write the verdict and leave with os._exit, so that threads or atexit handlers the program left behind
// cannot run on.
//
// The guard (PEP 578 audit hook) refuses opening files outside the work folder and Python's own install,
// writing outside the work folder, listing other folders, and sockets. It is a weak, extra layer: a
// subprocess (`cat`), ctypes or a C extension goes around it. The operating system's isolation is the
// real boundary (isolation.ts).

/** The verdict the harness writes as its last line on stderr. */
export interface HarnessVerdict {
  /** completed: ran to the end (check mode: every assertion held); failed: an assertion of the tests failed. */
  readonly outcome: 'completed' | 'failed' | 'memory' | 'error';
  readonly message: string;
}

/** What the harness reads from stdin. */
export interface HarnessJob {
  readonly nonce: string;
  readonly mode: 'script' | 'check';
  readonly program: string;
  /** Check mode: Python code that defines check(candidate). */
  readonly test?: string;
  /** Check mode: the name of the function under test. */
  readonly entryPoint?: string;
  readonly limits: {
    readonly memoryBytes: number;
    readonly cpuSeconds: number;
    readonly fileBytes: number;
    readonly openFiles: number;
    /** null where RLIMIT_NPROC would not count only this sandbox's processes (see isolation.ts). */
    readonly processes: number | null;
  };
  /** The work folder as the program sees it; null: no guard. */
  readonly guardWorkDir: string | null;
}

export const PYTHON_HARNESS = String.raw`
import json, os, resource, sys, traceback

def read_job():
    size = b''
    while not size.endswith(b'\n'):
        byte = os.read(0, 1)
        if not byte:
            raise SystemExit('r1ts sandbox harness: no job on stdin')
        size += byte
    want, data = int(size), b''
    while len(data) < want:
        chunk = os.read(0, want - len(data))
        if not chunk:
            raise SystemExit('r1ts sandbox harness: the job on stdin is cut short')
        data += chunk
    return json.loads(data)

def set_limits(limits):
    pairs = [(resource.RLIMIT_AS, limits['memoryBytes']), (resource.RLIMIT_FSIZE, limits['fileBytes']),
             (resource.RLIMIT_NOFILE, limits['openFiles']), (resource.RLIMIT_CORE, 0)]
    if limits['processes'] is not None:
        pairs.append((resource.RLIMIT_NPROC, limits['processes']))
    for which, value in pairs:
        resource.setrlimit(which, (value, value))
    # SIGXCPU at the soft limit, SIGKILL one second later: a backstop behind the caller's wall clock.
    resource.setrlimit(resource.RLIMIT_CPU, (limits['cpuSeconds'], limits['cpuSeconds'] + 1))

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
NETWORK_EVENTS = {'socket.connect', 'socket.bind', 'socket.sendto', 'socket.sendmsg', 'socket.getaddrinfo',
                  'socket.gethostbyname', 'socket.gethostbyaddr'}

def install_guard(work_dir):
    work = os.path.realpath(work_dir)
    write_roots = {work, '/dev/null'}
    read_roots = write_roots | {'/dev/urandom', '/dev/zero'}
    read_roots.update(os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix))
    read_roots.update(os.path.realpath(p) for p in sys.path if p and os.path.exists(p))

    def inside(path, roots):
        real = os.path.realpath(os.fsdecode(path))
        return any(real == root or real.startswith(root.rstrip('/') + '/') for root in roots)

    def hook(event, args):
        if event == 'open':
            path, mode, flags = args
            if path is None or isinstance(path, int):
                return
            writing = (mode is not None and any(c in mode for c in 'wax+')) or bool((flags or 0) & WRITE_FLAGS)
            if not inside(path, write_roots if writing else read_roots):
                raise PermissionError('r1ts sandbox guard: %s %s is not allowed' % ('writing' if writing else 'reading', path))
        elif event in ('os.listdir', 'os.scandir'):
            path = args[0]
            if path is not None and not isinstance(path, int) and not inside(path, read_roots):
                raise PermissionError('r1ts sandbox guard: listing %s is not allowed' % (path,))
        elif event in NETWORK_EVENTS:
            raise PermissionError('r1ts sandbox guard: network access is not allowed')

    sys.addaudithook(hook)

def main():
    job = read_job()
    nonce, harness_pid = job['nonce'], os.getpid()

    def verdict(outcome, message=''):
        # A process the program forked that comes back through here must not speak for the harness.
        if os.getpid() == harness_pid:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except BaseException:
                    pass
            line = '\n%s %s\n' % (nonce, json.dumps({'outcome': outcome, 'message': message[-2000:]}))
            os.write(2, line.encode())
        os._exit(0)

    set_limits(job['limits'])
    if job['guardWorkDir'] is not None:
        install_guard(job['guardWorkDir'])
    check = job['mode'] == 'check'
    try:
        if check:
            scope = {'__name__': 'solution', '__builtins__': __builtins__}
            exec(compile(job['program'], 'solution.py', 'exec'), scope)
            candidate = scope.get(job['entryPoint'])
            if not callable(candidate):
                verdict('error', 'the program defines no function %s' % job['entryPoint'])
            exec(compile(job['test'], 'test.py', 'exec'), scope)
            scope['check'](candidate)
        else:
            sys.argv = ['solution.py']
            exec(compile(job['program'], 'solution.py', 'exec'), {'__name__': '__main__', '__builtins__': __builtins__})
    except MemoryError:
        verdict('memory', 'MemoryError')
    except SystemExit as stop:
        if check or stop.code not in (0, None):
            verdict('error', 'the program called exit(%r)' % (stop.code,))
    except BaseException as error:
        # The traceback starts at the program: the harness's own frame is noise to the reader.
        traceback.print_exception(type(error), error, error.__traceback__.tb_next)
        described = type(error).__name__ + (': %s' % error if str(error) else '')
        verdict('failed' if check and isinstance(error, AssertionError) else 'error', described)
    verdict('completed')

main()
`;

/**
 * The verdict the harness wrote for this run's nonce (the last one on stderr), and stderr without it.
 * A verdict is missing when the program ended the process itself (os._exit, a signal, a crash).
 */
export function parseVerdict(stderr: string, nonce: string): { verdict: HarnessVerdict | null; stderr: string } {
  const marker = `\n${nonce} `;
  const at = stderr.lastIndexOf(marker);
  if (at < 0) return { verdict: null, stderr };
  const end = stderr.indexOf('\n', at + marker.length);
  const json = stderr.slice(at + marker.length, end < 0 ? stderr.length : end);
  try {
    const parsed = JSON.parse(json) as HarnessVerdict;
    return { verdict: { outcome: parsed.outcome, message: String(parsed.message) }, stderr: stderr.slice(0, at) };
  } catch {
    return { verdict: null, stderr };
  }
}
