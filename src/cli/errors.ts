// The one place where errors become CLI output and exit codes: a message, never a stack trace
// (set R1TS_DEBUG=1 to see one).

export class UsageError extends Error {
  override name = 'UsageError';
}

export function reportError(e: unknown): number {
  const err = e instanceof Error ? e : new Error(String(e));
  console.error(`r1ts: ${err.message}`);
  if (process.env.R1TS_DEBUG && err.stack) console.error(err.stack);
  return err instanceof UsageError ? 2 : 1;
}
