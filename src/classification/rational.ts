/**
 * Exact rational numbers over bigint, used only where a comparison lands on a
 * legal boundary (100 Pa, 1000 °C, 380 nm) and binary floating point could put
 * a value on the wrong side of it. A JSON number is read as the decimal the
 * exporter wrote (its shortest round-trip decimal form), so "1273.15 K" is
 * exactly 127315/100 K and converts to exactly 1000 °C.
 */
export interface Rational {
  readonly n: bigint;
  /** Always > 0. */
  readonly d: bigint;
}

const gcd = (a: bigint, b: bigint): bigint => {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
};

/** Build n/d in lowest terms with a positive denominator. */
export function rational(n: bigint, d: bigint = 1n): Rational {
  if (d === 0n) throw new RangeError('zero denominator');
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d) || 1n;
  return { n: n / g, d: d / g };
}

/**
 * The exact decimal value of a finite JS number as written in its shortest
 * round-trip form (`String(x)`), e.g. 0.1 → 1/10, 1e-7 → 1/10000000.
 */
export function fromNumber(x: number): Rational {
  if (!Number.isFinite(x)) throw new RangeError('not a finite number');
  const s = String(x);
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(s);
  if (!m) throw new RangeError(`unexpected number form ${s}`);
  const [, sign, int, frac = '', exp = '0'] = m;
  let n = BigInt(int! + frac);
  if (sign === '-') n = -n;
  const e = Number(exp) - frac.length;
  return e >= 0 ? rational(n * 10n ** BigInt(e)) : rational(n, 10n ** BigInt(-e));
}

/** Parse a decimal or fraction literal such as "101325/760" or "-273.15". */
export function parseRational(s: string): Rational {
  const slash = s.indexOf('/');
  if (slash >= 0) {
    const a = parseRational(s.slice(0, slash));
    const b = parseRational(s.slice(slash + 1));
    return div(a, b);
  }
  return fromNumber(Number(s));
}

export const add = (a: Rational, b: Rational): Rational => rational(a.n * b.d + b.n * a.d, a.d * b.d);
export const sub = (a: Rational, b: Rational): Rational => rational(a.n * b.d - b.n * a.d, a.d * b.d);
export const mul = (a: Rational, b: Rational): Rational => rational(a.n * b.n, a.d * b.d);
export const div = (a: Rational, b: Rational): Rational => {
  if (b.n === 0n) throw new RangeError('division by zero');
  return rational(a.n * b.d, a.d * b.n);
};

/** -1, 0 or 1 as a <, =, > b. */
export function cmp(a: Rational, b: Rational): -1 | 0 | 1 {
  const l = a.n * b.d;
  const r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
}

export const toNumber = (a: Rational): number => Number(a.n) / Number(a.d);
