// The one error type of checkpoint I/O. It names the file or folder at fault, so a message read alone
// (a CLI line, a log) says where to look as well as what is wrong and what to do.

export class CheckpointError extends Error {
  constructor(
    /** The file or folder the problem is in. */
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'CheckpointError';
  }
}

/** A value as it appears in a message: JSON (so "8" and 8 differ), cut short. */
export function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
