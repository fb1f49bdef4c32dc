import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecimalReader } from './decimal.js';
import { LineTokens } from './line-tokenizer.js';

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

function readDecimal(text: string): number {
  const r = new DecimalReader();
  const b = bytes(text);
  const v = r.read(b, 0, b.length);
  expect(r.end).toBe(b.length);
  return v;
}

/** The value the tokenizer stores for `X<text>` (its own inlined fast path, or the slow path). */
function tokenizeX(text: string): number {
  const t = new LineTokens();
  const b = bytes(`G1 X${text}`);
  t.read(b, 0, b.length);
  expect(t.syntaxError).toBe(0);
  return t.values[23]!;
}

/** Decimal texts as G-code writes them: digits, optional point, optional fraction. */
const decimalText = fc
  .tuple(fc.stringMatching(/^\d{0,20}$/), fc.boolean(), fc.stringMatching(/^\d{0,25}$/))
  .filter(([int, , frac]) => int.length + frac.length > 0)
  .map(([int, dot, frac]) => (dot || int.length === 0 ? `${int}.${frac}` : int + frac));

describe('decimal numbers from bytes', () => {
  it('gives exactly the double Number() gives, on both paths', () => {
    fc.assert(
      fc.property(decimalText, (text) => {
        const expected = Number(text.startsWith('.') ? '0' + text : text);
        expect(Object.is(readDecimal(text), expected)).toBe(true);
        expect(Object.is(tokenizeX(text), expected)).toBe(true);
        expect(Object.is(tokenizeX('-' + text), -expected)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('keeps limits apart: 250.0 is not above 250, 250.0001 and 250.00000000001 are', () => {
    expect(tokenizeX('250.0')).toBe(250);
    expect(tokenizeX('250.0001')).toBeGreaterThan(250);
    expect(tokenizeX('250.00000000001')).toBeGreaterThan(250);
    expect(tokenizeX('249.99999999999')).toBeLessThan(250);
    expect(tokenizeX('0250.000000000000000000000')).toBe(250); // more than 15 digits: slow path
  });

  it('reads the forms slicers write', () => {
    expect(tokenizeX('.4')).toBe(0.4);
    expect(tokenizeX('5.')).toBe(5);
    expect(tokenizeX('-0.000')).toBe(-0);
    expect(tokenizeX('57.733')).toBe(57.733);
    expect(tokenizeX('1E3')).toBe(1); // `E3` is the next word (E axis), as Marlin reads it, not 1000
  });
});
