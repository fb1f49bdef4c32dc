import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arcBounds, arcCentreFromRadius } from './arc.js';

const out = new Float64Array(5);
const centre = new Float64Array(2);

describe('arc bounds', () => {
  it('a counter-clockwise quarter from 0° to 90° reaches only its ends', () => {
    const sweep = arcBounds(10, 0, 0, 10, 0, 0, false, out);
    expect(sweep).toBeCloseTo(Math.PI / 2, 12);
    expect([...out]).toEqual([0, 10, 0, 10, 10]);
  });

  it('the clockwise arc between the same points sweeps the other three quadrants', () => {
    const sweep = arcBounds(10, 0, 0, 10, 0, 0, true, out);
    expect(sweep).toBeCloseTo((3 * Math.PI) / 2, 12);
    expect([...out.subarray(0, 4)]).toEqual([-10, 10, -10, 10]);
  });

  it('equal start and end is a full circle', () => {
    expect(arcBounds(-5, 0, -5, 0, 0, 0, true, out)).toBeCloseTo(2 * Math.PI, 12);
    expect([...out.subarray(0, 4)]).toEqual([-5, 5, -5, 5]);
  });

  it('a bulge between two inside points is found (the end points alone would miss it)', () => {
    // from (230, 10) counter-clockwise around (235, 15) to (240, 10): passes 270° (the bottom, y = 7.93)
    arcBounds(230, 10, 240, 10, 235, 15, false, out);
    expect(out[2]).toBeCloseTo(15 - Math.hypot(5, 5), 12);
    expect([out[0], out[1], out[3]]).toEqual([235, 240, 10]); // the bottom point (235, 7.93); the start is the caller's
  });

  it('contains every point of the circle swept (dense sampling)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.double({ min: 0.5, max: 50, noNaN: true }),
        fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }),
        fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }),
        fc.boolean(),
        (cx, cy, r, a1, a2, cw) => {
          const sp = cx + r * Math.cos(a1);
          const sq = cy + r * Math.sin(a1);
          const ep = cx + r * Math.cos(a2);
          const eq = cy + r * Math.sin(a2);
          const sweep = arcBounds(sp, sq, ep, eq, cx, cy, cw, out);
          const eps = 1e-9 * (1 + r + Math.abs(cx) + Math.abs(cy));
          let lo = [Infinity, Infinity];
          let hi = [-Infinity, -Infinity];
          for (let i = 0; i <= 2000; i++) {
            const a = a1 + ((cw ? -1 : 1) * (sweep * i)) / 2000;
            const p = cx + r * Math.cos(a);
            const q = cy + r * Math.sin(a);
            lo = [Math.min(lo[0]!, p), Math.min(lo[1]!, q)];
            hi = [Math.max(hi[0]!, p), Math.max(hi[1]!, q)];
          }
          // the box (with the start) holds every sampled point, and is no bigger than the circle's box
          expect(lo[0]).toBeGreaterThanOrEqual(Math.min(out[0]!, sp) - eps);
          expect(hi[0]).toBeLessThanOrEqual(Math.max(out[1]!, sp) + eps);
          expect(lo[1]).toBeGreaterThanOrEqual(Math.min(out[2]!, sq) - eps);
          expect(hi[1]).toBeLessThanOrEqual(Math.max(out[3]!, sq) + eps);
          expect(out[0]).toBeGreaterThanOrEqual(cx - r - eps);
          expect(out[3]).toBeLessThanOrEqual(cy + r + eps);
          // and sampling gets within (1 - cos(step / 2)) r of every extreme it reports
          const slack = r * (1 - Math.cos(sweep / 4000)) + eps;
          expect(Math.min(out[0]!, sp)).toBeGreaterThanOrEqual(lo[0]! - slack);
          expect(Math.max(out[1]!, sp)).toBeLessThanOrEqual(hi[0]! + slack);
          expect(Math.min(out[2]!, sq)).toBeGreaterThanOrEqual(lo[1]! - slack);
          expect(Math.max(out[3]!, sq)).toBeLessThanOrEqual(hi[1]! + slack);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('R-form centre (Marlin)', () => {
  it('positive R takes the short arc, negative R the long one, on the side the direction asks', () => {
    // (0,0) → (2,0) with R2: centre at (1, ∓√3)
    expect(arcCentreFromRadius(0, 0, 2, 0, 2, true, centre)).toBe(true);
    expect(centre[0]).toBeCloseTo(1, 12);
    expect(centre[1]).toBeCloseTo(-Math.sqrt(3), 12);
    arcCentreFromRadius(0, 0, 2, 0, 2, false, centre);
    expect(centre[1]).toBeCloseTo(Math.sqrt(3), 12);
    arcCentreFromRadius(0, 0, 2, 0, -2, true, centre);
    expect(centre[1]).toBeCloseTo(Math.sqrt(3), 12);
  });

  it('R shorter than half the chord gives a half circle on the chord', () => {
    arcCentreFromRadius(0, 0, 10, 0, 1, true, centre);
    expect([...centre]).toEqual([5, 0]);
  });

  it('a zero chord or R0 is no move', () => {
    expect(arcCentreFromRadius(1, 1, 1, 1, 5, true, centre)).toBe(false);
    expect(arcCentreFromRadius(0, 0, 1, 1, 0, true, centre)).toBe(false);
  });
});
