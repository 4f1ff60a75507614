// Exact parsing of plain numeric answers into rationals (BigInt numerator/denominator), so that
// "1,000", "1e3", "1.5 \times 10^{3}", "\frac{2}{4}", "3/4", "0.5", "1\frac{1}{2}" (a mixed number, as MATH
// writes them) and "0.\overline{3}" compare exactly, with no float rounding. The parser is strict:
// anything that is not one of these forms is left to the symbolic stage (null here). A decimal keeps
// how it was written (digits after the point, significant digits), which the rounding rule needs.

export interface Rational {
  readonly num: bigint;
  readonly den: bigint; // > 0, gcd(num, den) = 1
}

export interface ParsedNumber {
  readonly value: Rational;
  /** Digits after the point when written with a decimal point ("0.50" → 2); null for integers and other forms. */
  readonly decimals: number | null;
  /** Significant digits of such a decimal ("0.0500" → 3); null when `decimals` is null. */
  readonly significant: number | null;
}

// Exponents past this are not plain numbers we compare exactly (BigInt powers of them are huge).
const MAX_EXPONENT = 400;
const MAX_DIGITS = 400;

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

export function rational(num: bigint, den: bigint): Rational {
  if (den === 0n) throw new RangeError('rational: zero denominator');
  const sign = den < 0n ? -1n : 1n;
  const g = gcd(num, den) || 1n;
  return { num: (sign * num) / g, den: (sign * den) / g };
}

export function rationalEquals(a: Rational, b: Rational): boolean {
  return a.num === b.num && a.den === b.den;
}

export function scaleRational(a: Rational, by: Rational): Rational {
  return rational(a.num * by.num, a.den * by.den);
}

/** Closest double; exact for small values, correct to a few ulps for large ones. */
export function rationalToNumber(a: Rational): number {
  const n = Number(a.num);
  const d = Number(a.den);
  if (Number.isFinite(n) && Number.isFinite(d)) return n / d;
  // Both huge: scale down by the same power of ten first.
  const shift = BigInt(Math.max(a.num.toString().length, a.den.toString().length) - 300);
  const p = 10n ** shift;
  return Number(a.num / p) / Number(a.den / p || 1n);
}

const INTEGER = String.raw`(?:\d{1,3}(?:,\d{3})+|\d+)`;
const DECIMAL = new RegExp(String.raw`^(${INTEGER})?(?:\.(\d*))?$`);
const SCIENTIFIC = /^(.*?)(?:[eE]([+-]?\d+)|\s*\\(?:times|cdot)\s*10\s*\^\s*(?:\{\s*([+-]?\d+)\s*\}|(\d)))$/;
const REPEATING = /^(\d*)\.(\d*)\\overline\{(\d+)\}$/;
const FRACTION = /^\\frac\{\s*([+-]?[\d.,]+)\s*\}\{\s*([+-]?[\d.,]+)\s*\}$/;
const SLASH = /^([+-]?[\d.,]+)\s*\/\s*([+-]?[\d.,]+)$/;
const MIXED = /^(\d+)\s*\\frac\{\s*(\d+)\s*\}\{\s*(\d+)\s*\}$/;

/** Parses a normalised numeric answer, or returns null when it is not a plain number. */
export function parseNumber(text: string): ParsedNumber | null {
  let s = text.trim();
  if (s.length > MAX_DIGITS) return null;
  let negative = false;
  const sign = /^([+-])\s*/.exec(s);
  if (sign !== null) {
    negative = sign[1] === '-';
    s = s.slice(sign[0].length);
  }
  const unsigned = parseUnsigned(s);
  if (unsigned === null) return null;
  return negative ? { ...unsigned, value: rational(-unsigned.value.num, unsigned.value.den) } : unsigned;
}

function parseUnsigned(s: string): ParsedNumber | null {
  const decimal = parseDecimal(s);
  if (decimal !== null) return decimal;
  const sci = SCIENTIFIC.exec(s);
  if (sci !== null) {
    const mantissa = parseDecimal(sci[1]);
    const exponent = Number(sci[2] ?? sci[3] ?? sci[4]);
    if (mantissa === null || Math.abs(exponent) > MAX_EXPONENT) return null;
    const p = 10n ** BigInt(Math.abs(exponent));
    const value = exponent >= 0 ? scaleRational(mantissa.value, rational(p, 1n)) : scaleRational(mantissa.value, rational(1n, p));
    // 1.5e3 is the integer 1500, 1.5e-3 the decimal 0.0015.
    const decimals = mantissa.decimals !== null && mantissa.decimals - exponent > 0 ? mantissa.decimals - exponent : null;
    return { value, decimals, significant: decimals === null ? null : mantissa.significant };
  }
  const repeating = REPEATING.exec(s);
  if (repeating !== null) return { value: repeatingValue(repeating[1], repeating[2], repeating[3]), decimals: null, significant: null };
  const mixed = MIXED.exec(s);
  if (mixed !== null) {
    const [whole, num, den] = [BigInt(mixed[1]), BigInt(mixed[2]), BigInt(mixed[3])];
    if (den === 0n || num >= den) return null; // "3\frac{5}{4}" is not how a mixed number is written
    return { value: rational(whole * den + num, den), decimals: null, significant: null };
  }
  const fraction = FRACTION.exec(s) ?? SLASH.exec(s);
  if (fraction !== null) {
    const top = parseNumber(fraction[1]);
    const bottom = parseNumber(fraction[2]);
    if (top === null || bottom === null || bottom.value.num === 0n) return null;
    return {
      value: rational(top.value.num * bottom.value.den, top.value.den * bottom.value.num),
      decimals: null,
      significant: null,
    };
  }
  return null;
}

function parseDecimal(s: string): ParsedNumber | null {
  const m = DECIMAL.exec(s.trim());
  if (m === null) return null;
  const whole = (m[1] ?? '').replace(/,/g, '');
  const fraction = m[2] ?? '';
  if (whole === '' && fraction === '') return null;
  const digits = (whole + fraction).replace(/^0+/, '');
  const value = rational(BigInt(whole + fraction || '0'), 10n ** BigInt(fraction.length));
  const isDecimal = m[2] !== undefined && fraction !== '';
  return {
    value,
    decimals: isDecimal ? fraction.length : null,
    significant: isDecimal ? Math.max(1, digits.length) : null,
  };
}

/** 0.1\overline{6} = 0.1666…: (all digits − non-repeating digits) / (10^k (10^r − 1)). */
function repeatingValue(whole: string, fixed: string, repeat: string): Rational {
  const k = BigInt(fixed.length);
  const r = BigInt(repeat.length);
  const all = BigInt((whole || '0') + fixed + repeat);
  const head = BigInt((whole || '0') + fixed);
  return rational(all - head, 10n ** k * (10n ** r - 1n));
}

/**
 * True when `decimal`, written with `decimals` digits after the point, is `exact` correctly rounded to
 * that many digits (|decimal − exact| ≤ half a unit in the last place).
 */
export function isRoundingOf(decimal: Rational, decimals: number, exact: number): boolean {
  const value = rationalToNumber(decimal);
  const halfUnit = 0.5 * 10 ** -decimals;
  // A relative hair of slack absorbs the error of `exact` itself, which came from a double.
  return Math.abs(value - exact) <= halfUnit * (1 + 1e-9) + Math.abs(exact) * 1e-15;
}
