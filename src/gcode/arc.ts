/**
 * Geometry of G2/G3 arcs: the centre of an R-form arc, and the axis-aligned bounds of the part
 * of the circle the tool actually sweeps.
 *
 * Checking only an arc's end points is not enough: `G2 X240 Y10 I5 J5` from (230, 10) bulges
 * to x = 242.07 and can leave a 240 mm build volume with both ends inside. The bounds here
 * include every quadrant point (0°, 90°, 180°, 270°) the sweep passes, so the box is exact for
 * a true circle. When the end point is not on the circle through the start (Marlin and GRBL then
 * spiral between the two radii), the larger radius is used: the box may be slightly larger than
 * the path, never smaller.
 */

const TAU = 2 * Math.PI;
const QUADRANTS = [0, Math.PI / 2, Math.PI, -Math.PI / 2];

/**
 * Centre of an R-form arc, as Marlin computes it (`G2/G3 … R`): on the perpendicular bisector
 * of the chord, on the side that gives the short arc for positive R and the long arc for
 * negative R. When |R| is shorter than half the chord, Marlin's square root has no real value;
 * the centre is then taken at the chord midpoint (a half circle), the most the tool can bulge.
 * `out` receives [centreP, centreQ]. Returns false for a zero-length chord (no move).
 */
export function arcCentreFromRadius(
  sp: number,
  sq: number,
  ep: number,
  eq: number,
  r: number,
  clockwise: boolean,
  out: Float64Array,
): boolean {
  const dx = ep - sp;
  const dy = eq - sq;
  const d = Math.hypot(dx, dy);
  if (d === 0 || r === 0) return false;
  const e = clockwise !== r < 0 ? -1 : 1;
  const h2 = (r - d / 2) * (r + d / 2);
  const h = h2 > 0 ? Math.sqrt(h2) : 0;
  out[0] = (sp + ep) / 2 + (e * h * -dy) / d;
  out[1] = (sq + eq) / 2 + (e * h * dx) / d;
  return true;
}

/**
 * Bounds of the swept arc from (sp, sq) to (ep, eq) around (cp, cq), excluding the start point
 * (which the caller already holds). Equal start and end angles mean a full circle.
 * `out` receives [minP, maxP, minQ, maxQ, radius]. Returns the swept angle in radians (0 < a ≤ 2π).
 */
export function arcBounds(
  sp: number,
  sq: number,
  ep: number,
  eq: number,
  cp: number,
  cq: number,
  clockwise: boolean,
  out: Float64Array,
): number {
  const r = Math.max(Math.hypot(sp - cp, sq - cq), Math.hypot(ep - cp, eq - cq));
  const a1 = Math.atan2(sq - cq, sp - cp);
  const a2 = Math.atan2(eq - cq, ep - cp);
  let sweep = clockwise ? a1 - a2 : a2 - a1;
  if (sweep < 0) sweep += TAU;
  if (sweep === 0) sweep = TAU;
  let minP = ep;
  let maxP = ep;
  let minQ = eq;
  let maxQ = eq;
  for (const theta of QUADRANTS) {
    let d = clockwise ? a1 - theta : theta - a1;
    if (d < 0) d += TAU;
    if (d > sweep) continue;
    const p = cp + r * Math.round(Math.cos(theta));
    const q = cq + r * Math.round(Math.sin(theta));
    if (p < minP) minP = p;
    if (p > maxP) maxP = p;
    if (q < minQ) minQ = q;
    if (q > maxQ) maxQ = q;
  }
  out[0] = minP;
  out[1] = maxP;
  out[2] = minQ;
  out[3] = maxQ;
  out[4] = r;
  return sweep;
}
