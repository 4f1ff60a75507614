// Comparison of two answer shapes (structures.ts). Sets compare without order and without repeats;
// several answers ("2, 3") compare without order by default but one for one, so a list of candidates
// never matches a single gold; bracketed tuples and intervals compare in order and with the same
// brackets, so "(1, 2)" is not "[1, 2]"; matrices entry by entry. "x = 3" against "3" drops the
// variable, and an inequality in one variable against an interval is read as that interval.

import { checkDeadline } from './deadline.js';
import { compareScalars } from './scalars.js';
import type { ScalarSettings } from './scalars.js';
import { describeShape } from './structures.js';
import type { RelationOp, Shape } from './structures.js';
import { compareRelations } from './symbolic.js';
import type { Outcome } from './symbolic.js';

export interface CompareSettings extends ScalarSettings {
  /** Whether several answers ("2, 3") must come in the gold's order. */
  readonly orderedLists: boolean;
}

// More items than this in one list, set or matrix is not an answer we match item by item.
const MAX_ITEMS = 64;

export function compareShapes(gold: Shape, pred: Shape, settings: CompareSettings): Outcome {
  checkDeadline(settings.deadline);
  if (gold.kind === 'relation' && pred.kind !== 'relation') {
    const value = assignedValue(gold) ?? asInterval(gold);
    if (value !== null) return compareShapes(value, pred, settings);
  }
  if (pred.kind === 'relation' && gold.kind !== 'relation') {
    const value = assignedValue(pred) ?? asInterval(pred);
    if (value !== null) return compareShapes(gold, value, settings);
  }
  if (gold.kind === 'union' && pred.kind === 'list') {
    const union = asUnion(pred);
    if (union !== null) return compareShapes(gold, union, settings);
  }
  if (pred.kind === 'union' && gold.kind === 'list') {
    const union = asUnion(gold);
    if (union !== null) return compareShapes(union, pred, settings);
  }

  if (gold.kind === 'leaf' && pred.kind === 'leaf') return compareScalars(gold.text, pred.text, settings);
  if (gold.kind === 'set' && (pred.kind === 'set' || pred.kind === 'list')) return sameElements(gold.items, pred.items, settings, 'set');
  if (pred.kind === 'set' && gold.kind === 'list') return sameElements(gold.items, pred.items, settings, 'set');
  if (gold.kind === 'list' && pred.kind === 'list') {
    return settings.orderedLists ? inOrder(gold.items, pred.items, settings, 'list') : oneForOne(gold.items, pred.items, settings);
  }
  if (gold.kind === 'union' && pred.kind === 'union') return sameElements(gold.parts, pred.parts, settings, 'interval');
  if (gold.kind === 'bracketed' && pred.kind === 'bracketed') {
    if (gold.open !== pred.open || gold.close !== pred.close) {
      return { equal: false, method: 'interval', reason: `brackets differ: ${gold.open}…${gold.close} vs ${pred.open}…${pred.close}` };
    }
    return inOrder(gold.items, pred.items, settings, 'tuple');
  }
  if (gold.kind === 'matrix' || pred.kind === 'matrix') return compareMatrices(gold, pred, settings);
  if (gold.kind === 'relation' && pred.kind === 'relation') return compareRelationShapes(gold, pred, settings);
  return { equal: false, method: 'structure', reason: `gold is ${describeShape(gold)}, prediction is ${describeShape(pred)}` };
}

/** Item i of the gold against item i of the prediction. */
function inOrder(gold: readonly Shape[], pred: readonly Shape[], settings: CompareSettings, method: string): Outcome {
  if (gold.length !== pred.length) return { equal: false, method, reason: `${gold.length} entries vs ${pred.length}` };
  for (let i = 0; i < gold.length; i++) {
    const outcome = compareShapes(gold[i], pred[i], settings);
    if (!outcome.equal) return { equal: false, method, reason: `entry ${i + 1}: ${outcome.reason}` };
  }
  return { equal: true, method, reason: `all ${gold.length} entries equal in order` };
}

/** Each gold item equals some prediction item and the other way round (sets: order and repeats do not matter). */
function sameElements(gold: readonly Shape[], pred: readonly Shape[], settings: CompareSettings, method: string): Outcome {
  const equal = equalityTable(gold, pred, settings);
  if (typeof equal === 'string') return { equal: false, method, reason: equal };
  const missing = gold.findIndex((_, i) => !pred.some((__, j) => equal(i, j)));
  if (missing >= 0) return { equal: false, method, reason: `gold element ${missing + 1} is not in the prediction` };
  const extra = pred.findIndex((_, j) => !gold.some((__, i) => equal(i, j)));
  if (extra >= 0) return { equal: false, method, reason: `prediction element ${extra + 1} is not in the gold` };
  return { equal: true, method, reason: `same ${gold.length} elements` };
}

/** Several answers in any order, matched one for one (a perfect matching of equal pairs). */
function oneForOne(gold: readonly Shape[], pred: readonly Shape[], settings: CompareSettings): Outcome {
  if (gold.length !== pred.length) return { equal: false, method: 'list', reason: `${gold.length} answers vs ${pred.length}` };
  const equal = equalityTable(gold, pred, settings);
  if (typeof equal === 'string') return { equal: false, method: 'list', reason: equal };
  // Kuhn's augmenting paths; lists are short, so the simple algorithm is plenty.
  const matchOfPred: number[] = pred.map(() => -1);
  const tryMatch = (i: number, seen: boolean[]): boolean => {
    for (let j = 0; j < pred.length; j++) {
      if (seen[j] || !equal(i, j)) continue;
      seen[j] = true;
      if (matchOfPred[j] < 0 || tryMatch(matchOfPred[j], seen)) {
        matchOfPred[j] = i;
        return true;
      }
    }
    return false;
  };
  for (let i = 0; i < gold.length; i++) {
    if (!tryMatch(i, pred.map(() => false))) return { equal: false, method: 'list', reason: `gold answer ${i + 1} has no match in the prediction` };
  }
  return { equal: true, method: 'list', reason: `same ${gold.length} answers in some order` };
}

/** A lazily filled table of item-by-item verdicts, so no pair is compared twice; or why there is none. */
function equalityTable(gold: readonly Shape[], pred: readonly Shape[], settings: CompareSettings): ((i: number, j: number) => boolean) | string {
  if (gold.length > MAX_ITEMS || pred.length > MAX_ITEMS) return `more than ${MAX_ITEMS} elements`;
  const known = new Map<number, boolean>();
  return (i, j) => {
    const key = i * (MAX_ITEMS + 1) + j;
    let value = known.get(key);
    if (value === undefined) {
      value = compareShapes(gold[i], pred[j], settings).equal;
      known.set(key, value);
    }
    return value;
  };
}

/** Matrices entry by entry; a one-column or one-row matrix also equals the tuple (a, b, …) of its entries. */
function compareMatrices(gold: Shape, pred: Shape, settings: CompareSettings): Outcome {
  const g = matrixRows(gold);
  const p = matrixRows(pred);
  if (g === null || p === null) {
    return { equal: false, method: 'matrix', reason: `gold is ${describeShape(gold)}, prediction is ${describeShape(pred)}` };
  }
  const dims = (rows: readonly (readonly Shape[])[]): string => `${rows.length}×${rows[0]?.length ?? 0}`;
  const gv = asVector(g);
  const pv = asVector(p);
  if (gold.kind !== pred.kind && gv !== null && pv !== null) return inOrder(gv, pv, settings, 'matrix');
  if (dims(g) !== dims(p) || g.some((row, i) => row.length !== p[i].length)) {
    return { equal: false, method: 'matrix', reason: `shapes differ: ${dims(g)} vs ${dims(p)}` };
  }
  const outcome = inOrder(g.flat(), p.flat(), settings, 'matrix');
  return outcome.equal ? { ...outcome, reason: `all ${dims(g)} entries equal` } : outcome;
}

function matrixRows(shape: Shape): readonly (readonly Shape[])[] | null {
  if (shape.kind === 'matrix') return shape.rows;
  if (shape.kind === 'bracketed' && shape.open === '(' && shape.close === ')') return [shape.items];
  return null;
}

function asVector(rows: readonly (readonly Shape[])[]): readonly Shape[] | null {
  if (rows.length === 1) return rows[0];
  return rows.every((row) => row.length === 1) ? rows.map((row) => row[0]) : null;
}

// A variable name: x, y_1, x_{10}, \alpha.
const VARIABLE = /^(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?[a-zA-Z0-9]+\}?)?$/;

/** "x = 3" → 3, when the left side is a lone variable that does not occur on the right. */
function assignedValue(shape: Shape & { kind: 'relation' }): Shape | null {
  if (shape.ops.length !== 1 || shape.ops[0] !== '=') return null;
  const [name, value] = shape.sides;
  if (!VARIABLE.test(name) || mentions(value, name)) return null;
  return { kind: 'leaf', text: value };
}

/** "x > 2" → (2, ∞), "-1 \le x < 3" → [-1, 3): inequalities in one variable as intervals. */
function asInterval(shape: Shape & { kind: 'relation' }): Shape | null {
  const { sides, ops } = shape;
  if (ops.some((op) => op === '=' || op === '\\ne')) return null;
  const closed = (op: RelationOp): boolean => op === '\\le' || op === '\\ge';
  const upward = ops.every((op) => op === '<' || op === '\\le');
  const downward = ops.every((op) => op === '>' || op === '\\ge');
  if (!upward && !downward) return null;
  // Read the chain from the smallest side up.
  const s = upward ? sides : [...sides].reverse();
  const o = upward ? ops : [...ops].reverse();
  let lo = '-\\infty';
  let hi = '\\infty';
  let loClosed = false;
  let hiClosed = false;
  if (s.length === 2 && VARIABLE.test(s[0]) && !mentions(s[1], s[0])) {
    [hi, hiClosed] = [s[1], closed(o[0])];
  } else if (s.length === 2 && VARIABLE.test(s[1]) && !mentions(s[0], s[1])) {
    [lo, loClosed] = [s[0], closed(o[0])];
  } else if (s.length === 3 && VARIABLE.test(s[1]) && !mentions(s[0], s[1]) && !mentions(s[2], s[1])) {
    [lo, loClosed, hi, hiClosed] = [s[0], closed(o[0]), s[2], closed(o[1])];
  } else {
    return null;
  }
  return {
    kind: 'bracketed',
    open: loClosed ? '[' : '(',
    close: hiClosed ? ']' : ')',
    items: [
      { kind: 'leaf', text: lo },
      { kind: 'leaf', text: hi },
    ],
  };
}

/** "x < 1, x > 3" (several inequalities) as the union of their intervals. */
function asUnion(shape: Shape & { kind: 'list' }): Shape | null {
  const parts = shape.items.map((item) => (item.kind === 'relation' ? asInterval(item) : item.kind === 'bracketed' ? item : null));
  return parts.every((part): part is Shape => part !== null) ? { kind: 'union', parts } : null;
}

function compareRelationShapes(gold: Shape & { kind: 'relation' }, pred: Shape & { kind: 'relation' }, settings: CompareSettings): Outcome {
  if (gold.ops.length === 1 && pred.ops.length === 1) {
    return compareRelations({ sides: gold.sides, op: gold.ops[0] }, { sides: pred.sides, op: pred.ops[0] }, settings);
  }
  const g = asInterval(gold);
  const p = asInterval(pred);
  if (g !== null && p !== null) return compareShapes(g, p, settings);
  const method = gold.ops.every((op) => op === '=') ? 'equation' : 'inequality';
  if (gold.ops.join() !== pred.ops.join()) return { equal: false, method, reason: 'the chains of relations differ' };
  return inOrder(
    gold.sides.map((text) => ({ kind: 'leaf', text })),
    pred.sides.map((text) => ({ kind: 'leaf', text })),
    settings,
    method,
  );
}

/** Whether `text` mentions the variable `name` (x in "2x+1" and "xy", not in "\max"). */
function mentions(text: string, name: string): boolean {
  const escaped = name.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  const after = name.length === 1 ? '' : '(?![a-zA-Z])'; // single letters multiply: "xy" mentions x
  return new RegExp(`(?<!\\\\[a-zA-Z]*)${escaped}${after}`).test(text);
}
