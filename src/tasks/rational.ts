// Exact rational numbers over BigInt: the tasks check answers and intermediate results exactly, never
// in floating point. A Rational is always reduced with a positive denominator, so equal values have
// equal fields.

export interface Rational {
  readonly num: bigint;
  /** Always > 0. */
  readonly den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

export function rational(num: bigint | number, den: bigint | number = 1n): Rational {
  let n = BigInt(num), d = BigInt(den);
  if (d === 0n) throw new RangeError('rational: the denominator is zero');
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d) || 1n;
  return { num: n / g, den: d / g };
}

export const ZERO = rational(0);
export const ONE = rational(1);

export const add = (a: Rational, b: Rational): Rational => rational(a.num * b.den + b.num * a.den, a.den * b.den);
export const sub = (a: Rational, b: Rational): Rational => rational(a.num * b.den - b.num * a.den, a.den * b.den);
export const mul = (a: Rational, b: Rational): Rational => rational(a.num * b.num, a.den * b.den);
/** a / b; throws a RangeError when b is zero. */
export const div = (a: Rational, b: Rational): Rational => {
  if (b.num === 0n) throw new RangeError('division by zero');
  return rational(a.num * b.den, a.den * b.num);
};
export const neg = (a: Rational): Rational => ({ num: -a.num, den: a.den });
export const equals = (a: Rational, b: Rational): boolean => a.num === b.num && a.den === b.den;
export const isInteger = (a: Rational): boolean => a.den === 1n;

/** Plain text: "7", "-3/4". */
export function formatRational(a: Rational): string {
  return a.den === 1n ? `${a.num}` : `${a.num}/${a.den}`;
}

/** LaTeX as the verifier reads it: "7", "\\frac{3}{4}", "-\\frac{3}{4}". */
export function latexRational(a: Rational): string {
  if (a.den === 1n) return `${a.num}`;
  const sign = a.num < 0n ? '-' : '';
  return `${sign}\\frac{${a.num < 0n ? -a.num : a.num}}{${a.den}}`;
}
