// Deterministic memory release. Every tensor created inside tidy() is disposed when it returns, except
// the tensors it returns (handed to the enclosing scope) and those marked with keep(). A training step
// wrapped in tidy() therefore frees its activations and gradients at once instead of waiting for the
// JS garbage collector, which does not see the size of off-heap buffers.

export interface Tracked {
  readonly disposed: boolean;
  kept: boolean;
  dispose(): void;
}

const TRACKED = Symbol('r1ts.tracked');
const stack: Set<Tracked>[] = [];

/** Brands a class's prototype so tidy() recognises its instances in returned values. */
export function markTrackedClass(proto: object): void {
  Object.defineProperty(proto, TRACKED, { value: true });
}

function isTracked(x: unknown): x is Tracked {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[TRACKED] === true;
}

/** Registers a new tensor with the innermost scope (tensors made outside any scope are the caller's). */
export function track(t: Tracked): void {
  stack[stack.length - 1]?.add(t);
}

/** Exempts a tensor from every enclosing scope: it lives until disposed explicitly. */
export function keep<T extends Tracked>(t: T): T {
  t.kept = true;
  for (const scope of stack) scope.delete(t);
  return t;
}

/** Runs fn in a new scope and disposes every tensor it created but did not return or keep. */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tracked>();
  stack.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  stack.pop();
  if (result instanceof Promise) throw new Error('tidy: fn returned a Promise; tidy() is synchronous — await outside it');
  const survivors = new Set<Tracked>();
  collect(result, survivors, 0);
  const parent = stack[stack.length - 1];
  for (const t of scope) {
    if (survivors.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

/** Finds tensors in a returned value: the value itself, arrays and plain objects, a few levels deep. */
function collect(x: unknown, out: Set<Tracked>, depth: number): void {
  if (depth > 4 || typeof x !== 'object' || x === null) return;
  if (isTracked(x)) {
    out.add(x);
    return;
  }
  const values = Array.isArray(x) ? x : Object.getPrototypeOf(x) === Object.prototype ? Object.values(x) : [];
  for (const v of values) collect(v, out, depth + 1);
}

/** Number of tensors the innermost scope holds (for tests that check a step does not leak). */
export function scopeSize(): number {
  return stack[stack.length - 1]?.size ?? 0;
}
