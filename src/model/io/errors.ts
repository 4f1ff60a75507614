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

export { show } from '../../util/index.js';
