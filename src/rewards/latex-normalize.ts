// String-level clean-up of a LaTeX answer before it is parsed: the differences that carry no
// mathematical meaning go (math delimiters, \left/\right, thin spaces, \dfrac vs \frac, units and other
// words written after the value, degree marks, currency signs, trailing periods), and brace-less
// arguments get their braces (\frac12 → \frac{1}{2}) so later stages see one spelling. What stays is
// still LaTeX; the percent sign stays (as `%`) because its meaning is a comparison option.

import { matchingBrace } from './latex-groups.js';

const UNICODE: ReadonlyArray<readonly [RegExp, string]> = [
  [/[\u2212\u2012\u2013\u2014\uFE63\uFF0D]/g, '-'],
  [/\u00D7/g, '\\times '],
  [/[\u00B7\u22C5]/g, '\\cdot '],
  [/\u00F7/g, '\\div '],
  [/\u03C0/g, '\\pi '],
  [/\u221E/g, '\\infty '],
  [/\u221A/g, '\\sqrt'],
  [/\u2264/g, '\\le '],
  [/\u2265/g, '\\ge '],
  [/\u2260/g, '\\ne '],
  [/\u222A/g, '\\cup '],
  [/\u2229/g, '\\cap '],
  [/\u2205/g, '\\emptyset '],
  [/\u00B0/g, '^\\circ'],
  [/[\u00A0\u2009\u202F]/g, ' '],
];

// One spelling for commands that mean the same thing.
const SYNONYMS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\\[dtc]frac(?![a-zA-Z])/g, '\\frac'],
  [/\\(?:leq?q?(?:slant)?|le)(?![a-zA-Z])/g, '\\le '],
  [/\\(?:geq?q?(?:slant)?|ge)(?![a-zA-Z])/g, '\\ge '],
  [/\\(?:neq|ne)(?![a-zA-Z])/g, '\\ne '],
  [/<=/g, '\\le '],
  [/>=/g, '\\ge '],
  [/!=/g, '\\ne '],
  [/\\lt(?![a-zA-Z])/g, '<'],
  [/\\gt(?![a-zA-Z])/g, '>'],
  [/\\lparen(?![a-zA-Z])/g, '('],
  [/\\rparen(?![a-zA-Z])/g, ')'],
  [/\\lbrack(?![a-zA-Z])/g, '['],
  [/\\rbrack(?![a-zA-Z])/g, ']'],
  [/\\lbrace(?![a-zA-Z])/g, '\\{'],
  [/\\rbrace(?![a-zA-Z])/g, '\\}'],
  [/\\(?:varnothing|emptyset)(?![a-zA-Z])|\\\{\s*\\\}/g, '\\emptyset '],
  [/\+\s*\\infty(?![a-zA-Z])|\\infinity(?![a-zA-Z])/g, '\\infty '],
];

// Commands that only change looks or spacing.
// \! and \, (with the spaces after them, which math mode ignores) are how MATH writes "10,\! 080".
const COSMETIC = /\\\\|\\(?:displaystyle|textstyle|left|right|[Bb]igg?[lr]?)(?![a-zA-Z])|\\[!,]\s*/g;
const SPACING = /\\\\|\\(?:quad|qquad|[;: ])(?![a-zA-Z])|~/g;
const DEGREES = /\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![a-zA-Z])|\\degree(?![a-zA-Z])/g;
const TEXT_COMMAND = /\\(?:text|textrm|textup|textnormal|textit|textbf|textsf|texttt|mbox|hbox|mathrm|mathit|mathsf|mathbf|mathbb|mathcal|boldsymbol)\s*\{/g;

/** Normalises a LaTeX answer string; see the file comment for what is removed. */
export function normalizeLatex(answer: string): string {
  let s = answer.trim();
  for (const [from, to] of UNICODE) s = s.replace(from, to);
  s = unwrapCommand(s, /\\(?:boxed|fbox)\s*\{/g);
  s = s.replace(/\\\$/g, ' ').replace(/\$/g, ' ');
  s = s.replace(/\\\(|\\\)|\\\[|\\\]/g, ' ');
  s = s.replace(/\\left\s*\.|\\right\s*\./g, ' ');
  // A matrix row break (\\) is kept whole, so its second backslash is not read as "\ " or "\,".
  s = s.replace(COSMETIC, (m) => (m === '\\\\' ? m : '')).replace(SPACING, (m) => (m === '\\\\' ? m : ' '));
  for (const [from, to] of SYNONYMS) s = s.replace(from, to);
  s = s.replace(/\{,\}/g, ',');
  s = s.replace(DEGREES, ' ');
  s = s.replace(/\\%/g, '%').replace(/\s*\bper\s*cent\b|\s*\bpercent\b/gi, '%');
  s = rewriteTextCommands(s);
  s = s.replace(/\s+(?:or|and)\s+/gi, ', ');
  s = dropTrailingUnitWords(s);
  s = braceArguments(s, '\\frac', 2);
  s = braceArguments(s, '\\sqrt', 1);
  s = s.replace(/\s+/g, ' ').trim();
  return stripTrailingPunctuation(s);
}

/** Replaces `\cmd{content}` by its content for every match of `opener` (which ends at the `{`). */
function unwrapCommand(s: string, opener: RegExp): string {
  let out = '';
  let from = 0;
  for (const m of s.matchAll(opener)) {
    if (m.index < from) continue;
    const open = m.index + m[0].length - 1;
    const close = matchingBrace(s, open);
    if (close < 0) break;
    out += s.slice(from, m.index) + s.slice(open + 1, close);
    from = close + 1;
  }
  return out + s.slice(from);
}

// Words that change the value when they trail a number, so they are never dropped as units:
// "3 million" is not 3, "3 pi" is not 3.
const VALUE_WORDS = new Set([
  'sin', 'cos', 'tan', 'cot', 'sec', 'csc', 'log', 'ln', 'exp', 'max', 'min', 'gcd', 'lcm', 'mod', 'pi', 'sqrt', 'root',
  'roots', 'squared', 'cubed', 'times', 'over', 'plus', 'minus', 'hundred', 'hundreds', 'thousand', 'thousands', 'million',
  'millions', 'billion', 'billions', 'trillion', 'dozen', 'dozens', 'half', 'halves', 'third', 'thirds', 'quarter', 'quarters',
  'tenths', 'hundredths', 'thousandths', 'infinity', 'inf', 'percent', 'factorial',
]);

/**
 * \text{…}-like groups: "or"/"and" become list separators; a group that follows the value is a unit
 * ("5\text{ cm}^2") and goes; other words become one spelling, \text{…} ("\text{Evelyn}", "\text{(C)}"),
 * and a font change (\mathrm{i}) becomes its content.
 */
function rewriteTextCommands(s: string): string {
  let out = '';
  let from = 0;
  for (const m of s.matchAll(TEXT_COMMAND)) {
    if (m.index < from) continue;
    const open = m.index + m[0].length - 1;
    const close = matchingBrace(s, open);
    if (close < 0) break;
    const content = s.slice(open + 1, close).trim();
    const before = out + s.slice(from, m.index);
    let end = close + 1;
    let replacement: string;
    if (/^(?:or|and)$/i.test(content)) {
      replacement = ', ';
    } else if (/^[a-zA-Z][a-zA-Z\s.]*$/.test(content) && isUnit(content) && isValueEnd(before)) {
      replacement = ' ';
      end += /^\s*\^\s*\{?\s*[23]\s*\}?/.exec(s.slice(end))?.[0].length ?? 0; // the ^2 of "cm^2"
    } else if (/^\\(?:math|bold)/.test(m[0]) || !/[a-zA-Z]/.test(content)) {
      replacement = ` ${content} `; // a font change (\mathrm{i}) or digits in text mode: plain math
    } else {
      replacement = ` \\text{${content}} `; // words stay marked as text, so they are compared as words
    }
    out = before + replacement;
    from = end;
  }
  return out + s.slice(from);
}

/** Words that can be a unit: two letters or more each, none of which changes the value. */
function isUnit(words: string): boolean {
  return words
    .trim()
    .split(/[\s.]+/)
    .filter((w) => w !== '')
    .every((w) => w.length >= 2 && !VALUE_WORDS.has(w.toLowerCase()));
}

/** True when the text so far ends in something a unit can follow: a digit, a closing bracket, a symbol. */
function isValueEnd(before: string): boolean {
  return /[0-9a-zA-Z)\]}%]\s*$/.test(before) && !/(?:^|,)\s*$/.test(before);
}

/** "864 inches^2", "5 cm", "18 dollars": words of two letters or more after the value are units. */
function dropTrailingUnitWords(s: string): string {
  // Words are [a-zA-Z]+ separated by spaces, so the pattern cannot backtrack its way into slowness.
  const m = /(?<=[0-9)}\]%])\s+([a-zA-Z]+(?:\s+[a-zA-Z]+)*)(?:\^\s*\{?\s*[23]\s*\}?)?\s*\.?\s*$/.exec(s);
  if (m === null) return s;
  if (!isUnit(m[1])) return s; // "3 x" keeps its x, "3 million" its million
  return s.slice(0, m.index);
}

/**
 * Gives each of the first `count` arguments of `command` braces: "\frac12" → "\frac{1}{2}",
 * "\sqrt2" → "\sqrt{2}" (an optional [n] index of \sqrt is kept as it is).
 */
function braceArguments(s: string, command: string, count: number): string {
  let out = '';
  let i = 0;
  while (i < s.length) {
    const at = s.indexOf(command, i);
    if (at < 0 || /[a-zA-Z]/.test(s[at + command.length] ?? '')) {
      if (at < 0) break;
      out += s.slice(i, at + command.length);
      i = at + command.length;
      continue;
    }
    out += s.slice(i, at + command.length);
    let j = at + command.length;
    const index = /^\s*\[[^\]]*\]/.exec(s.slice(j));
    if (index !== null) {
      out += index[0];
      j += index[0].length;
    }
    for (let k = 0; k < count; k++) {
      while (s[j] === ' ') j++;
      if (s[j] === '{') {
        const close = matchingBrace(s, j);
        if (close < 0) break;
        out += s.slice(j, close + 1);
        j = close + 1;
      } else {
        const token = /^(?:\\[a-zA-Z]+|[0-9a-zA-Z])/.exec(s.slice(j));
        if (token === null) break;
        out += `{${token[0]}}`;
        j += token[0].length;
      }
    }
    i = j;
  }
  return out + s.slice(i);
}

function stripTrailingPunctuation(s: string): string {
  let t = s;
  for (;;) {
    const next = t.replace(/(?:\\\\|[.,;:])\s*$/, '').trimEnd(); // not "!": 5! is a factorial
    if (next === t) return t;
    t = next;
  }
}
