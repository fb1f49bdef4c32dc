/**
 * Property tests: random programs against a slow, obviously-correct reference interpreter;
 * random bytes against the checker's error contract; random chunkings against the whole.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FabgateError } from '../shared/errors.js';
import { checkBytes, createChecker, type CheckResult } from './checker.js';
import { parseEnvelope } from './envelope.js';

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const NO_LIMITS = parseEnvelope({});

// ------------------------------------------------------------------ random programs

const coord = fc.integer({ min: -200000, max: 200000 }).map((n) => (n / 1000).toString());
const axisWords = (letters: string[]) =>
  fc.subarray(letters, { minLength: 1 }).chain((ls) => fc.tuple(...ls.map((l) => coord.map((v) => `${l}${v}`))).map((ws) => ws.join(' ')));

/** An arc whose end lies on the circle (to the 3 decimals written) in the current plane's letters. */
const arc = fc
  .record({
    cw: fc.boolean(),
    r: fc.integer({ min: 1000, max: 30000 }).map((n) => n / 1000),
    a0: fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }),
    a1: fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }),
    radiusForm: fc.boolean(),
    helix: fc.option(coord, { nil: undefined }),
  })
  .map(({ cw, r, a0, a1, radiusForm, helix }) => ({ cw, r, a0, a1, radiusForm, helix }));

type Step =
  | { kind: 'line'; text: string }
  | { kind: 'arc'; cw: boolean; r: number; a0: number; a1: number; radiusForm: boolean; helix: string | undefined };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('G0', 'G1'), axisWords(['X', 'Y', 'Z'])).map(([g, w]) => ({ kind: 'line' as const, text: `${g} ${w}` })) },
  { weight: 2, arbitrary: fc.constantFrom('G90', 'G91', 'G20', 'G21', 'G17', 'G18', 'G19', 'G92.1').map((text) => ({ kind: 'line' as const, text })) },
  // after homing, go to the home position (a home position is not itself a reached position)
  { weight: 1, arbitrary: fc.constantFrom('G28', 'G28 X', 'G28 Y Z').map((text) => ({ kind: 'line' as const, text: `${text}\nG53 G0 X0 Y0 Z0` })) },
  { weight: 1, arbitrary: axisWords(['X', 'Y', 'Z']).map((w) => ({ kind: 'line' as const, text: `G92 ${w}` })) },
  { weight: 3, arbitrary: arc.map((a) => ({ kind: 'arc' as const, ...a })) },
);

/**
 * Slow reference: parses each line with split/Number, keeps the documented modal state in plain
 * variables, and samples arcs densely. Returns the program text (arcs are written here, because
 * an arc's words depend on where the tool is) and the box of reached positions.
 */
function reference(steps: Step[]) {
  const out: string[] = [];
  const pos = { X: 0, Y: 0, Z: 0 } as Record<string, number>;
  const off = { X: 0, Y: 0, Z: 0 } as Record<string, number>;
  let absolute = true;
  let inch = false;
  let plane = ['X', 'Y', 'Z'];
  const box: Record<'X' | 'Y' | 'Z', [number, number] | null> = { X: null, Y: null, Z: null };
  let arcTolerance = 0;
  const reach = (axis: string, v: number) => {
    const a = axis as 'X' | 'Y' | 'Z';
    const b = box[a];
    box[a] = b ? [Math.min(b[0], v), Math.max(b[1], v)] : [v, v];
  };
  const scale = () => (inch ? 25.4 : 1);
  const fmt = (v: number) => (Math.round(v * 1000) / 1000).toString();
  for (const s of [{ kind: 'line', text: 'G28\nG53 G0 X0 Y0 Z0' } as Step, ...steps]) {
    if (s.kind === 'line' && s.text.includes('\n')) {
      // `G28 …` then `G53 G0 X0 Y0 Z0`
      const [home, visit] = s.text.split('\n') as [string, string];
      out.push(home, visit);
      const axes = home === 'G28' ? ['X', 'Y', 'Z'] : home.split(' ').slice(1);
      for (const a of axes) off[a] = 0;
      for (const a of ['X', 'Y', 'Z']) reach(a, (pos[a] = 0));
      continue;
    }
    if (s.kind === 'line') {
      out.push(s.text);
      const [cmd, ...words] = s.text.split(' ');
      const w = Object.fromEntries(words.map((x) => [x[0]!, x.length > 1 ? Number(x.slice(1)) : NaN]));
      if (cmd === 'G90') absolute = true;
      else if (cmd === 'G91') absolute = false;
      else if (cmd === 'G20') inch = true;
      else if (cmd === 'G21') inch = false;
      else if (cmd === 'G17') plane = ['X', 'Y', 'Z'];
      else if (cmd === 'G18') plane = ['Z', 'X', 'Y'];
      else if (cmd === 'G19') plane = ['Y', 'Z', 'X'];
      else if (cmd === 'G92.1') off.X = off.Y = off.Z = 0;
      else if (cmd === 'G92') {
        for (const [a, v] of Object.entries(w)) off[a] = pos[a]! - v * scale();
      } else {
        for (const [a, v] of Object.entries(w)) {
          pos[a] = absolute ? v * scale() + off[a]! : pos[a]! + v * scale();
          reach(a, pos[a]!);
        }
      }
      continue;
    }
    // an arc in the current plane: written so that its end lies on the circle
    const [p, q, l] = plane as [string, string, string];
    const offsetLetter = (a: string) => ({ X: 'I', Y: 'J', Z: 'K' })[a]!;
    const u = scale();
    const sp = pos[p]!;
    const sq = pos[q]!;
    const cp = sp - s.r * u * Math.cos(s.a0);
    const cq = sq - s.r * u * Math.sin(s.a0);
    const endP = cp + s.r * u * Math.cos(s.a1);
    const endQ = cq + s.r * u * Math.sin(s.a1);
    // words in program units: absolute (logical) or relative end, offsets from the start
    const wp = absolute ? (endP - off[p]!) / u : (endP - sp) / u;
    const wq = absolute ? (endQ - off[q]!) / u : (endQ - sq) / u;
    const ep = absolute ? Number(fmt(wp)) * u + off[p]! : sp + Number(fmt(wp)) * u;
    const eq = absolute ? Number(fmt(wq)) * u + off[q]! : sq + Number(fmt(wq)) * u;
    if (Math.hypot(ep - sp, eq - sq) < 1e-3 && s.radiusForm) continue; // zero chord: no arc
    let words = `${s.cw ? 'G2' : 'G3'} ${p}${fmt(wp)} ${q}${fmt(wq)}`;
    let ccp: number;
    let ccq: number;
    if (s.radiusForm) {
      // the centre on the side that makes the sweep short (R > 0) or long (R < 0)
      const chord = Math.hypot(ep - sp, eq - sq);
      const r = Number(fmt(s.r)) * u;
      const h = Math.sqrt(Math.max(0, r * r - (chord / 2) ** 2));
      const mp = (sp + ep) / 2;
      const mq = (sq + eq) / 2;
      const candidates = [1, -1].map((side) => [mp + (side * h * -(eq - sq)) / chord, mq + (side * h * (ep - sp)) / chord] as const);
      const sweepOf = ([xp, xq]: readonly [number, number]) => {
        let d = s.cw ? Math.atan2(sq - xq, sp - xp) - Math.atan2(eq - xq, ep - xp) : Math.atan2(eq - xq, ep - xp) - Math.atan2(sq - xq, sp - xp);
        while (d < 0) d += 2 * Math.PI;
        return d;
      };
      const short = sweepOf(candidates[0]!) <= Math.PI ? candidates[0]! : candidates[1]!;
      const long = short === candidates[0] ? candidates[1]! : candidates[0]!;
      const wantLong = Math.cos(s.a1 * 7) < 0; // pseudo-random choice of the R sign, fixed by the data
      [ccp, ccq] = wantLong ? long : short;
      words += ` R${wantLong ? '-' : ''}${fmt(s.r)}`;
    } else {
      words += ` ${offsetLetter(p)}${fmt((cp - sp) / u)} ${offsetLetter(q)}${fmt((cq - sq) / u)}`;
      ccp = sp + Number(fmt((cp - sp) / u)) * u;
      ccq = sq + Number(fmt((cq - sq) / u)) * u;
    }
    let el = pos[l]!;
    if (s.helix !== undefined) {
      words += ` ${l}${s.helix}`;
      el = absolute ? Number(s.helix) * u + off[l]! : pos[l]! + Number(s.helix) * u;
    }
    out.push(words);
    // sample the sweep densely
    const r1 = Math.hypot(sp - ccp, sq - ccq);
    const r2 = Math.hypot(ep - ccp, eq - ccq);
    const a1 = Math.atan2(sq - ccq, sp - ccp);
    const a2 = Math.atan2(eq - ccq, ep - ccp);
    let sweep = s.cw ? a1 - a2 : a2 - a1;
    if (sweep < 0) sweep += 2 * Math.PI;
    if (sweep === 0) sweep = 2 * Math.PI;
    const N = 4096;
    for (let i = 1; i <= N; i++) {
      const a = a1 + ((s.cw ? -1 : 1) * sweep * i) / N;
      const rr = r1 + ((r2 - r1) * i) / N;
      reach(p, ccp + rr * Math.cos(a));
      reach(q, ccq + rr * Math.sin(a));
    }
    reach(p, ep);
    reach(q, eq);
    if (s.helix !== undefined) reach(l, el);
    arcTolerance = Math.max(arcTolerance, Math.max(r1, r2) * (1 - Math.cos(sweep / N)) + Math.abs(r2 - r1) + 1e-9);
    pos[p] = ep;
    pos[q] = eq;
    pos[l] = el;
  }
  return { program: out.join('\n'), box, arcTolerance };
}

describe('random programs: the checker’s bounding box equals the reference interpreter’s', () => {
  it('straight moves only: exactly (to rounding)', () => {
    fc.assert(
      fc.property(fc.array(step.filter((s) => s.kind === 'line'), { maxLength: 40 }), (steps) => {
        const { program, box } = reference(steps);
        const r = checkBytes(bytes(program), NO_LIMITS);
        expect(r.violations).toEqual([]);
        for (const axis of ['X', 'Y', 'Z'] as const) {
          const got = r.stats.bounding_box_mm[axis.toLowerCase() as 'x' | 'y' | 'z'];
          const want = box[axis];
          if (want === null) expect(got).toBeNull();
          else {
            expect(got![0]).toBeCloseTo(want[0], 9);
            expect(got![1]).toBeCloseTo(want[1], 9);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('with arcs in all planes: contains every sampled point, and no more than the sampling slack', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 25 }), (steps) => {
        const { program, box, arcTolerance } = reference(steps);
        const r = checkBytes(bytes(program), NO_LIMITS);
        expect(r.violations).toEqual([]);
        for (const axis of ['X', 'Y', 'Z'] as const) {
          const got = r.stats.bounding_box_mm[axis.toLowerCase() as 'x' | 'y' | 'z'];
          const want = box[axis];
          if (want === null) {
            expect(got).toBeNull();
            continue;
          }
          const slack = arcTolerance + 1e-6;
          expect(got![0]).toBeLessThanOrEqual(want[0] + 1e-6);
          expect(got![1]).toBeGreaterThanOrEqual(want[1] - 1e-6);
          expect(got![0]).toBeGreaterThanOrEqual(want[0] - slack);
          expect(got![1]).toBeLessThanOrEqual(want[1] + slack);
        }
      }),
      { numRuns: 300 },
    );
  });
});

// ------------------------------------------------------------------ robustness

const KNOWN_ERRORS = new Set([
  'GCODE_BINARY_INPUT',
  'GCODE_LINE_TOO_LONG',
  'GCODE_BGCODE_MALFORMED',
  'GCODE_BGCODE_UNSUPPORTED',
  'GCODE_BGCODE_CORRUPT',
  'GCODE_BGCODE_CHECKSUM',
  'GCODE_BGCODE_TRUNCATED',
  'GCODE_BGCODE_BLOCK_TOO_LARGE',
]);

function outcome(run: () => CheckResult): CheckResult | string {
  try {
    return run();
  } catch (e) {
    if (!(e instanceof FabgateError)) throw e;
    expect(KNOWN_ERRORS).toContain(e.code);
    return e.code;
  }
}

const EXAMPLE = parseEnvelope({
  build_volume_mm: { x: [0, 250], y: [0, 210], z: [0, 210] },
  nozzle_temp_c: { max: 260 },
  laser_power: { max: 0.8 },
  feed_rate_mm_min: { max: 12000 },
  layer_height_mm: { min: 0.05, max: 0.35 },
  tools: [0],
  forbidden_commands: ['M302'],
  extrusion_mm: { max: 100 },
});

/** Text made of the characters G-code is made of, in any order. */
const gcodeish = fc
  .array(fc.constantFrom(...'GMTXYZEFIJKRSPNgx0123456789.-+ ;()*\r\n\t"%/_=#'.split('')), { maxLength: 400 })
  .map((cs) => cs.join(''));

describe('no input crashes it', () => {
  it('random bytes: a result or a specific FabgateError, never anything else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (input) => void outcome(() => checkBytes(input, EXAMPLE))), { numRuns: 2000 });
  });

  it('random G-code-like text: always a result (text never throws)', () => {
    fc.assert(
      fc.property(gcodeish, (text) => {
        const r = outcome(() => checkBytes(bytes(text), EXAMPLE));
        expect(typeof r).toBe('object');
      }),
      { numRuns: 2000 },
    );
  });

  it('random bytes after a GCDE magic: a specific FabgateError or a result', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (tail) => void outcome(() => checkBytes(new Uint8Array([0x47, 0x43, 0x44, 0x45, ...tail]), EXAMPLE))),
      { numRuns: 1000 },
    );
  });

  it('a line longer than the limit anywhere gives GCODE_LINE_TOO_LONG; a control byte gives GCODE_BINARY_INPUT', () => {
    fc.assert(
      fc.property(gcodeish.map((t) => t.replace(/[\r\n]/g, ' ')), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 3000 }), (before, extra, len) => {
        const long = bytes(`${before}\nG1 X1\n;${'y'.repeat(1024 + extra + len)}\nG1 X2`);
        expect(outcome(() => checkBytes(long, EXAMPLE, { maxLineBytes: 1024 }))).toBe('GCODE_LINE_TOO_LONG');
        const junk = bytes(`G1 X1\n${before}\u0000\nG1 X2`);
        expect(outcome(() => checkBytes(junk, EXAMPLE))).toBe('GCODE_BINARY_INPUT');
      }),
      { numRuns: 300 },
    );
  });
});

describe('chunking never changes the result', () => {
  it('random programs cut at random places give the whole-input result', () => {
    fc.assert(
      fc.property(gcodeish, fc.array(fc.nat(), { maxLength: 12 }), (text, rawCuts) => {
        const input = bytes(text);
        const whole = outcome(() => checkBytes(input, EXAMPLE));
        const cuts = [...new Set(rawCuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
        const pieces = outcome(() => {
          const c = createChecker(EXAMPLE);
          let at = 0;
          for (const cut of [...cuts, input.length]) {
            c.push(input.subarray(at, cut));
            at = cut;
          }
          return c.end();
        });
        expect(pieces).toEqual(whole);
      }),
      { numRuns: 1500 },
    );
  });
});
