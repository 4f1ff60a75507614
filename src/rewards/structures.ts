// The shape of a normalised answer: a single value, several answers ("2, 3", "1 or 2", "1 \pm \sqrt{2}"),
// a set, a bracketed tuple or interval, a union of intervals, a matrix, or a relation (equation,
// inequality). Shapes are found from the brackets and separators at the top level only; what is inside
// a leaf is left to the number and symbolic stages.

import { isOneGroup, splitTopLevel, splitTopLevelKeeping } from './latex-groups.js';

export type RelationOp = '=' | '<' | '>' | '\\le' | '\\ge' | '\\ne';

export type Shape =
  | { readonly kind: 'leaf'; readonly text: string }
  /** Several answers written side by side: "2, 3", "1 or 2". */
  | { readonly kind: 'list'; readonly items: readonly Shape[] }
  | { readonly kind: 'set'; readonly items: readonly Shape[] }
  /** "(1, 2)", "[0, 1)": a tuple, a point or an interval; which one is decided by the comparison. */
  | { readonly kind: 'bracketed'; readonly open: '(' | '['; readonly close: ')' | ']'; readonly items: readonly Shape[] }
  | { readonly kind: 'union'; readonly parts: readonly Shape[] }
  | { readonly kind: 'matrix'; readonly rows: readonly (readonly Shape[])[] }
  /** A chain a op b (op c …); sides are LaTeX strings. */
  | { readonly kind: 'relation'; readonly sides: readonly string[]; readonly ops: readonly RelationOp[] };

const RELATION_OPS: readonly RelationOp[] = ['=', '<', '>', '\\le', '\\ge', '\\ne'];
const MATRIX = /^\\begin\{([a-zA-Z]*matrix|array)\}(?:\{[^{}]*\})?([\s\S]*)\\end\{\1\}$/;
const THOUSANDS = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?%?$/;
// "1 \pm 2 \pm 3" is already four answers; more \pm than this is not an answer we expand.
const MAX_PLUS_MINUS = 3;

/** The shape of a normalised answer string. */
export function parseShape(answer: string): Shape {
  return shapeOf(answer.trim(), 0);
}

function shapeOf(s: string, plusMinus: number): Shape {
  const text = s.replace(/^[a-zA-Z]\s*\\in(?![a-zA-Z])\s*/, '').trim(); // "x \in [-2, 7]"
  const matrix = MATRIX.exec(text);
  if (matrix !== null) return matrixShape(matrix[2]);
  if (THOUSANDS.test(text)) return { kind: 'leaf', text };
  const listed = splitTopLevel(text, [',', ';']);
  if (listed.length > 1) return { kind: 'list', items: flatten(listed.map((part) => shapeOf(part.trim(), plusMinus))) };
  const united = splitTopLevel(text, ['\\cup']);
  if (united.length > 1) return { kind: 'union', parts: united.map((part) => shapeOf(part.trim(), plusMinus)) };
  if (text.startsWith('\\{') && text.endsWith('\\}') && isOneGroup(text)) {
    const inner = text.slice(2, -2).trim();
    const items = inner === '' ? [] : splitTopLevel(inner, [',', ';']).map((item) => shapeOf(item.trim(), plusMinus));
    return { kind: 'set', items: flatten(items) };
  }
  const open = text[0];
  const close = text[text.length - 1];
  if ((open === '(' || open === '[') && (close === ')' || close === ']') && isOneGroup(text)) {
    const inner = text.slice(1, -1).trim();
    const items = splitTopLevel(inner, [',']);
    if (items.length === 1) return shapeOf(inner, plusMinus); // "(5)" is 5, "(C)" is C
    return { kind: 'bracketed', open, close, items: items.map((item) => shapeOf(item.trim(), plusMinus)) };
  }
  // Sets and brackets were taken apart above, so a \pm here belongs to one value: "\frac{1 \pm \sqrt{5}}{2}".
  const pm = /\\(pm|mp)(?![a-zA-Z])/.exec(text);
  if (pm !== null && plusMinus < MAX_PLUS_MINUS) {
    const [first, second] = pm[1] === 'pm' ? ['+', '-'] : ['-', '+'];
    const head = text.slice(0, pm.index);
    const tail = text.slice(pm.index + pm[0].length);
    return { kind: 'list', items: flatten([shapeOf(head + first + tail, plusMinus + 1), shapeOf(head + second + tail, plusMinus + 1)]) };
  }
  const relation = splitTopLevelKeeping(text, RELATION_OPS);
  if (relation.parts.length > 1) {
    return { kind: 'relation', sides: relation.parts.map((side) => side.trim()), ops: relation.separators as RelationOp[] };
  }
  return { kind: 'leaf', text };
}

/** Lists inside lists (from \pm inside a list item) are one list of answers. */
function flatten(items: readonly Shape[]): Shape[] {
  return items.flatMap((item) => (item.kind === 'list' ? item.items : [item]));
}

function matrixShape(body: string): Shape {
  const rows = splitTopLevel(body, ['\\\\'])
    .map((row) => row.trim())
    .filter((row) => row !== '')
    .map((row) => splitTopLevel(row, ['&']).map((cell) => shapeOf(cell.trim(), 0)));
  return { kind: 'matrix', rows };
}

/** A short rendering of a shape for reasons: "set of 3", "[a, b)". */
export function describeShape(shape: Shape): string {
  switch (shape.kind) {
    case 'leaf':
      return 'a single value';
    case 'list':
      return `${shape.items.length} answers`;
    case 'set':
      return `a set of ${shape.items.length}`;
    case 'bracketed':
      return `${shape.open}…${shape.close} with ${shape.items.length} entries`;
    case 'union':
      return `a union of ${shape.parts.length}`;
    case 'matrix':
      return `a ${shape.rows.length}×${shape.rows[0]?.length ?? 0} matrix`;
    case 'relation':
      return shape.ops.some((op) => op !== '=') ? 'an inequality' : 'an equation';
  }
}
