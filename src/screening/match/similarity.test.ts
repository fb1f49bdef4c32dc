import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { damerauLevenshtein, fnv1a, fnv1aSkip, jaro, jaroWinkler } from './similarity.js';

describe('Jaro–Winkler', () => {
  it('gives the published values', () => {
    // Winkler (1990) / the usual worked examples.
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.961, 3);
    expect(jaroWinkler('dwayne', 'duane')).toBeCloseTo(0.84, 2);
    expect(jaroWinkler('dixon', 'dicksonx')).toBeCloseTo(0.813, 3);
    expect(jaro('martha', 'marhta')).toBeCloseTo(0.944, 3);
    expect(jaroWinkler('abc', 'xyz')).toBe(0);
    expect(jaroWinkler('', '')).toBe(1);
  });

  it('is symmetric and within 0..1 (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (a, b) => {
        const x = jaroWinkler(a, b);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(1 + 1e-12);
        expect(jaroWinkler(b, a)).toBeCloseTo(x, 12);
      }),
    );
  });
});

describe('Damerau–Levenshtein (optimal string alignment)', () => {
  it('counts insertions, deletions, substitutions and adjacent transpositions', () => {
    expect(damerauLevenshtein('sirius', 'sirius')).toBe(0);
    expect(damerauLevenshtein('sirius', 'syrius')).toBe(1);
    expect(damerauLevenshtein('sirius', 'siruis')).toBe(1);
    expect(damerauLevenshtein('sirius', 'sirus')).toBe(1);
    expect(damerauLevenshtein('ca', 'abc')).toBe(3);
    expect(damerauLevenshtein('', 'abc')).toBe(3);
  });

  it('is a distance bounded by the longer length (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), (a, b) => {
        const d = damerauLevenshtein(a, b);
        expect(d).toBe(damerauLevenshtein(b, a));
        expect(d).toBeLessThanOrEqual(Math.max(a.length, b.length));
        expect(d === 0).toBe(a === b);
      }),
    );
  });
});

describe('deletion hashes', () => {
  it('hash a one-letter deletion like the string without that letter', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), fc.nat(), (s, k) => {
        const i = k % s.length;
        expect(fnv1aSkip(s, i)).toBe(fnv1a(s.slice(0, i) + s.slice(i + 1)));
      }),
    );
  });
});
