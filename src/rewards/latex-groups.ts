// Bracket bookkeeping for LaTeX answer strings: where a {…} group closes, how deep the nesting goes,
// and splitting at separators that sit outside every (…), […], {…} and \{…\} group. Interval brackets
// may be mixed ("[1, 2)"), so any opener counts against any closer.

/** Index of the `}` closing the `{` at `open`, or -1. Escaped braces (`\{`, `\}`) do not group. */
export function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++; // skip the escaped character, whatever it is
    } else if (c === '{') {
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/**
 * For each `{` in the text, the index of its closing `}` (or -1 when it never closes), found in one pass
 * so that a completion with thousands of unclosed groups still takes linear time.
 */
export function braceMatches(text: string): Map<number, number> {
  const closes = new Map<number, number>();
  const open: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '{') open.push(i);
    else if (c === '}' && open.length > 0) closes.set(open.pop() as number, i);
  }
  for (const i of open) closes.set(i, -1);
  return closes;
}

/** Deepest bracket nesting in the text (all kinds together), counting escaped braces too. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (const c of text) {
    if (c === '(' || c === '[' || c === '{') deepest = Math.max(deepest, ++depth);
    else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
  }
  return deepest;
}

/** Length of the bracket token at `i` (1, or 2 for `\{`/`\}`) and whether it opens or closes; null if none. */
function bracketAt(text: string, i: number): { readonly length: number; readonly opens: boolean } | null {
  const c = text[i];
  if (c === '\\') {
    const next = text[i + 1];
    if (next === '{') return { length: 2, opens: true };
    if (next === '}') return { length: 2, opens: false };
    return null;
  }
  if (c === '(' || c === '[' || c === '{') return { length: 1, opens: true };
  if (c === ')' || c === ']' || c === '}') return { length: 1, opens: false };
  return null;
}

/**
 * Splits at every separator found at bracket depth 0. Separators are literal strings: a command such as
 * '\\cup' matches only the whole command name, and a word separator such as ' or ' should carry its
 * spaces. Returns [text] when none is found.
 */
export function splitTopLevel(text: string, separators: readonly string[]): string[] {
  return splitTopLevelKeeping(text, separators).parts;
}

/** splitTopLevel that also says which separator stood between each pair of parts. */
export function splitTopLevelKeeping(text: string, separators: readonly string[]): { parts: string[]; separators: string[] } {
  const parts: string[] = [];
  const found: string[] = [];
  let depth = 0;
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const bracket = bracketAt(text, i);
    if (bracket !== null) {
      depth = bracket.opens ? depth + 1 : Math.max(0, depth - 1);
      i += bracket.length;
      continue;
    }
    // A command (\cup, \le, \,) is one token, so no separator starts inside it.
    const command = text[i] === '\\' ? (/^\\(?:[a-zA-Z]+|.)/.exec(text.slice(i))?.[0] ?? '\\') : null;
    const sep = depth > 0 ? undefined : command !== null ? separators.find((s) => s === command) : separators.find((s) => text.startsWith(s, i));
    if (sep !== undefined) {
      parts.push(text.slice(start, i));
      found.push(sep);
      start = i + sep.length;
    }
    i += sep?.length ?? command?.length ?? 1;
  }
  parts.push(text.slice(start));
  return { parts, separators: found };
}

/**
 * True when the bracket opening at index 0 closes exactly at the last character, so the whole text is
 * one group: "(1, 2)" yes, "(1)(2)" no. `\{…\}` counts as one group too.
 */
export function isOneGroup(text: string): boolean {
  const first = bracketAt(text, 0);
  if (first === null || !first.opens) return false;
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const bracket = bracketAt(text, i);
    if (bracket === null) {
      i += text[i] === '\\' ? 2 : 1;
      continue;
    }
    depth += bracket.opens ? 1 : -1;
    i += bracket.length;
    if (depth === 0) return i === text.length;
  }
  return false;
}
