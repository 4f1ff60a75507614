// Comparison of two single answers (leaves of the answer shape), cheapest rule first: the same text;
// words ("Evelyn", "\text{(C)}") compared as words; plain numbers compared exactly as rationals; numbers
// in a base ("52_8"); then the CAS (symbolic.ts). Two rules sit around those: the percent sign, whose
// meaning is an option, and a decimal accepted as the correct rounding of an exact value that is not a
// decimal (0.333 for 1/3, 1.414 for √2) when it has enough significant digits.

import { isRoundingOf, parseNumber, rational, rationalEquals, rationalToNumber, scaleRational } from './numbers.js';
import type { ParsedNumber, Rational } from './numbers.js';
import { compareExpressions, constantValue } from './symbolic.js';
import type { Outcome, SymbolicSettings } from './symbolic.js';

export type PercentMode = 'either' | 'value' | 'number';

export interface ScalarSettings extends SymbolicSettings {
  /** 'value': 50% is 0.5; 'number': 50% is 50; 'either': both readings are accepted. */
  readonly percent: PercentMode;
  /** Fewest significant digits for a decimal to count as a rounding of an exact value; null: never. */
  readonly roundedDecimalDigits: number | null;
}

/** One side as read: its text without a percent sign, and whether that value is to be divided by 100. */
interface Reading {
  readonly text: string;
  readonly hundredths: boolean;
}

export function compareScalars(gold: string, pred: string, settings: ScalarSettings): Outcome {
  let first: Outcome | null = null;
  for (const [g, p] of percentReadings(gold, pred, settings.percent)) {
    const outcome = compareReadings(g, p, settings);
    if (outcome.equal) return g.hundredths !== p.hundredths ? { ...outcome, reason: `${outcome.reason} (reading % as /100)` } : outcome;
    first ??= outcome;
  }
  return first ?? { equal: false, method: 'string', reason: 'no reading to compare' };
}

/** The pairs of readings the percent option allows, the plain one first. */
function percentReadings(gold: string, pred: string, mode: PercentMode): [Reading, Reading][] {
  const g = withoutPercent(gold);
  const p = withoutPercent(pred);
  if (g.percent === p.percent || mode === 'number') return [[{ text: g.text, hundredths: false }, { text: p.text, hundredths: false }]];
  const asValue: [Reading, Reading] = [
    { text: g.text, hundredths: g.percent },
    { text: p.text, hundredths: p.percent },
  ];
  if (mode === 'value') return [asValue];
  return [[{ text: g.text, hundredths: false }, { text: p.text, hundredths: false }], asValue];
}

function withoutPercent(text: string): { text: string; percent: boolean } {
  const m = /^(.*?)\s*%$/.exec(text);
  return m === null ? { text, percent: false } : { text: m[1], percent: true };
}

function compareReadings(g: Reading, p: Reading, settings: ScalarSettings): Outcome {
  if (g.hundredths === p.hundredths && compact(g.text) === compact(p.text)) {
    return { equal: true, method: 'string', reason: 'same text' };
  }
  if (isWords(g.text) || isWords(p.text)) {
    const equal = asWords(g.text) === asWords(p.text);
    return { equal, method: 'text', reason: equal ? 'same words' : `words differ: "${asWords(g.text)}" vs "${asWords(p.text)}"` };
  }
  const gn = parseNumber(g.text);
  const pn = parseNumber(p.text);
  if (gn !== null && pn !== null) return compareNumbers(scaled(gn, g.hundredths), scaled(pn, p.hundredths), settings);
  const based = compareBaseForms(g.text, p.text);
  if (based !== null) return based;
  const outcome = compareExpressions(latexOf(g), latexOf(p), settings);
  if (outcome.equal) return outcome;
  if (gn !== null && gn.decimals !== null) return roundingOfExpression(scaled(gn, g.hundredths), p, settings) ?? outcome;
  if (pn !== null && pn.decimals !== null) return roundingOfExpression(scaled(pn, p.hundredths), g, settings) ?? outcome;
  return outcome;
}

function compareNumbers(g: ParsedNumber, p: ParsedNumber, settings: ScalarSettings): Outcome {
  if (rationalEquals(g.value, p.value)) return { equal: true, method: 'numeric', reason: 'same exact value' };
  const different: Outcome = { equal: false, method: 'numeric', reason: `${show(g)} ≠ ${show(p)}` };
  // A decimal may carry floating-point noise (0.30000000000000004); integers and fractions are exact.
  if ((g.decimals !== null || p.decimals !== null) && relativeDifference(g.value, p.value) <= settings.relativeTolerance) {
    return { equal: true, method: 'numeric', reason: `${show(g)} and ${show(p)} agree within the relative tolerance ${settings.relativeTolerance}` };
  }
  // Only a decimal against a value written another way (1/3, not 0.3) can be a rounding.
  const [decimal, exact] = g.decimals !== null && p.decimals === null ? [g, p] : p.decimals !== null && g.decimals === null ? [p, g] : [null, null];
  if (decimal === null || exact === null || !roundsTo(decimal, rationalToNumber(exact.value), exact.value, settings)) return different;
  return { equal: true, method: 'numeric', reason: `${show(decimal)} is ${show(exact)} rounded to ${decimal.decimals} places` };
}

/** A decimal against an exact expression (1.414 against √2): equal when it is that value correctly rounded. */
function roundingOfExpression(decimal: ParsedNumber, other: Reading, settings: ScalarSettings): Outcome | null {
  if (settings.roundedDecimalDigits === null) return null;
  const exact = constantValue(latexOf(other));
  if ('error' in exact || exact.value.im !== 0) return null;
  const rationalValue = exact.exact === null ? null : rational(exact.exact[0], exact.exact[1]);
  if (!roundsTo(decimal, exact.value.re, rationalValue, settings)) return null;
  return { equal: true, method: 'numeric', reason: `${show(decimal)} is ${exact.value.re} rounded to ${decimal.decimals} places` };
}

/**
 * Whether the decimal is `value` correctly rounded, with enough significant digits to count. A value
 * that a decimal writes exactly (`exact` terminates, like 1/8) must be written exactly: 0.13 is not 1/8.
 */
function roundsTo(decimal: ParsedNumber, value: number, exact: Rational | null, settings: ScalarSettings): boolean {
  const minimum = settings.roundedDecimalDigits;
  if (minimum === null || decimal.decimals === null || (decimal.significant ?? 0) < minimum) return false;
  if (exact !== null && terminates(exact)) return false;
  return isRoundingOf(decimal.value, decimal.decimals, value);
}

function relativeDifference(a: Rational, b: Rational): number {
  const diff = Math.abs(rationalToNumber(rational(a.num * b.den - b.num * a.den, a.den * b.den)));
  return diff === 0 ? 0 : diff / Math.max(Math.abs(rationalToNumber(a)), Math.abs(rationalToNumber(b)));
}

/** Whether the rational has a terminating decimal expansion (its denominator has no prime but 2 and 5). */
function terminates(r: Rational): boolean {
  let d = r.den;
  while (d % 2n === 0n) d /= 2n;
  while (d % 5n === 0n) d /= 5n;
  return d === 1n;
}

/** A number divided by 100 when read as a percentage; a decimal keeps its meaning of "rounded to d places". */
function scaled(n: ParsedNumber, hundredths: boolean): ParsedNumber {
  if (!hundredths) return n;
  return {
    value: scaleRational(n.value, rational(1n, 100n)),
    decimals: n.decimals === null ? null : n.decimals + 2,
    significant: n.significant,
  };
}

function latexOf(r: Reading): string {
  return r.hundredths ? `\\frac{${r.text}}{100}` : r.text;
}

// "52_8", "4210_{5}": a numeral in a stated base. It starts with a digit, so x_1 is a variable.
const BASE_FORM = /^([0-9][0-9A-Za-z]*)_\{?(\d+)\}?$/;

/** Numerals in a base compare digit by digit; a side that omits the base is read in the other's base. */
function compareBaseForms(gold: string, pred: string): Outcome | null {
  const g = BASE_FORM.exec(compact(gold));
  const p = BASE_FORM.exec(compact(pred));
  if (g === null && p === null) return null;
  const digits = (m: RegExpExecArray | null, text: string): string | null => (m !== null ? m[1] : /^[0-9][0-9A-Za-z]*$/.test(compact(text)) ? compact(text) : null);
  const gd = digits(g, gold);
  const pd = digits(p, pred);
  if (gd === null || pd === null) return null;
  const sameBase = g === null || p === null || g[2] === p[2];
  const equal = sameBase && gd.toLowerCase() === pd.toLowerCase();
  return { equal, method: 'string', reason: equal ? 'same numeral in the same base' : 'numerals in a base differ' };
}

/** Words rather than mathematics: \text{…}, or a plain word of three letters or more. */
function isWords(text: string): boolean {
  return /^\\text\{[^{}]*\}$/.test(text) || /^[A-Za-z]{3,}(?:\s+[A-Za-z]+)*$/.test(text);
}

function asWords(text: string): string {
  return text
    .replace(/\\text\{([^{}]*)\}/g, '$1')
    .replace(/[\s()[\].,;:'"`]/g, '')
    .toLowerCase();
}

/** Without spaces, except between two digits: "1 2" is not "12". */
function compact(text: string): string {
  return text.replace(/(?<!\d)\s+|\s+(?!\d)/g, '');
}

function show(n: ParsedNumber): string {
  const { num, den } = n.value;
  return den === 1n ? num.toString() : `${num}/${den}`;
}
