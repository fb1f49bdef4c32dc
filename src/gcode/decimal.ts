/**
 * Decimal numbers read straight from G-code bytes, without making a string.
 *
 * The envelope compares positions and temperatures against limits such as 250 or 260, so
 * "250.0001" must come out as the double nearest to 250.0001, never as 250. The fast path is
 * exact by construction (Clinger's fast path): while the digits form an integer below 2^53
 * and the number of fraction digits is at most 22, both the digit integer and the power of ten
 * are exactly representable, and one IEEE division rounds the quotient correctly. Anything
 * longer (more than 15 significant digits, more than 22 fraction digits) takes the slow path
 * through `Number()`, which is also correctly rounded. Both paths give the same double that
 * `Number(text)` gives (a property test checks it).
 */

/** Exact powers of ten 10^0 … 10^22 (all exactly representable as doubles). */
export const POW10 = new Float64Array(23);
for (let i = 0, v = 1; i < 23; i++, v *= 10) POW10[i] = v;

/** Significant digits the fast path may collect: 10^15 < 2^53, so any 15-digit integer is exact. */
export const FAST_DIGITS = 15;
/** Most fraction digits for which 10^n is exact. */
export const MAX_FAST_FRACTION = 22;

/**
 * Reads an unsigned decimal `digits [ '.' digits ]` or `'.' digits` starting at `start`.
 * Used by the tokenizer, which handles the sign itself; `end` bounds the scan.
 */
export class DecimalReader {
  /** Index just after the number read by the last {@link read} call. */
  end = 0;
  /** Number of digits (integer and fraction) seen by the last {@link read}; 0 means "no number here". */
  digits = 0;

  /**
   * @returns the value (≥ 0); check {@link digits} > 0 to know whether a number was present.
   */
  read(buf: Uint8Array, start: number, limit: number): number {
    let p = start;
    let mant = 0;
    let significant = 0;
    let digits = 0;
    let frac = 0;
    let slow = false;
    let c = 0;
    while (p < limit && (c = buf[p]! - 48) >= 0 && c <= 9) {
      if (mant !== 0 || c !== 0) {
        if (++significant > FAST_DIGITS) slow = true;
        else mant = mant * 10 + c;
      }
      digits++;
      p++;
    }
    if (p < limit && buf[p] === 46 /* . */) {
      p++;
      while (p < limit && (c = buf[p]! - 48) >= 0 && c <= 9) {
        if (mant !== 0 || c !== 0) {
          if (++significant > FAST_DIGITS) slow = true;
          else mant = mant * 10 + c;
        }
        if (!slow) frac++;
        digits++;
        p++;
      }
    }
    this.end = p;
    this.digits = digits;
    if (digits === 0) return 0;
    if (slow || frac > MAX_FAST_FRACTION) return slowDecimal(buf, start, p);
    return frac === 0 ? mant : mant / POW10[frac]!;
  }
}

/** The rare long number: decode the ASCII digits and let the engine round it. */
function slowDecimal(buf: Uint8Array, start: number, end: number): number {
  let text = '';
  for (let i = start; i < end; i++) text += String.fromCharCode(buf[i]!);
  if (text.charCodeAt(0) === 46) text = '0' + text;
  return Number(text);
}
