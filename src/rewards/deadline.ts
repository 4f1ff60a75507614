// The time budget of one verification. Long loops (sampling points, matching list items) check it
// between steps and throw; verifyAnswer turns the throw into a "not equal, out of time" verdict.

export class TimeBudgetExceeded extends Error {
  constructor() {
    super('verification time budget exceeded');
    this.name = 'TimeBudgetExceeded';
  }
}

/** Throws TimeBudgetExceeded once the epoch-ms deadline has passed. */
export function checkDeadline(deadline: number): void {
  if (Date.now() > deadline) throw new TimeBudgetExceeded();
}
