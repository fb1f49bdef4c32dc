/**
 * Every G-code file of the reference data (../shared/data/gcode, see its SOURCES.md), checked
 * against the example envelope and against facts the slicers wrote into the files
 * (layer markers, filament used, estimated time), plus violating variants made from them.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../shared/test-support/shared-data.js';
import { checkBytes, type CheckResult } from './checker.js';
import { parseEnvelope } from './envelope.js';

/** The example envelope of issue 8, verbatim. */
const EXAMPLE = parseEnvelope({
  build_volume_mm: { x: [0, 250], y: [0, 210], z: [0, 210] },
  nozzle_temp_c: { max: 260 },
  bed_temp_c: { max: 110 },
  chamber_temp_c: { max: 60 },
  laser_power: { max: 0.8 },
  feed_rate_mm_min: { max: 12000 },
  acceleration_mm_s2: { max: 5000 },
  layer_height_mm: { min: 0.05, max: 0.35 },
  tools: [0],
  forbidden_commands: ['M302', 'M500', 'M502'],
  allowed_commands: null,
  extrusion_mm: { max: 100000 },
});

const gcode = (...path: string[]) => sharedData('gcode', ...path);
const read = (path: string) => new Uint8Array(readFileSync(path));
const text = (path: string) => readFileSync(path, 'latin1');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const found = (r: CheckResult) => r.violations.map((v) => [v.line, v.rule, v.value]);
const lines = (s: string) => s.split('\n');
/** 1-based line number of the first line matching `re`. */
const lineOf = (s: string, re: RegExp) => lines(s).findIndex((l) => re.test(l)) + 1;

/** An independent oracle: extremes of the X/Y/Z words of G0/G1 lines (for files with absolute moves only). */
function wordExtremes(source: string) {
  const box: Record<string, [number, number]> = {};
  for (const line of lines(source)) {
    const code = line.replace(/;.*/, '');
    if (!/^G[01]\b/.test(code)) continue;
    for (const m of code.matchAll(/([XYZ])(-?[\d.]+)/g)) {
      const v = Number(m[2]);
      const b = (box[m[1]!.toLowerCase()] ??= [v, v]);
      b[0] = Math.min(b[0], v);
      b[1] = Math.max(b[1], v);
    }
  }
  return box;
}

function slicerSeconds(source: string): number {
  const cura = /^;TIME:(\d+)/m.exec(source);
  if (cura) return Number(cura[1]);
  const m = /estimated printing time \(normal mode\) = (?:(\d+)d )?(?:(\d+)h )?(?:(\d+)m )?(\d+)s/.exec(source)!;
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4]);
}

describe('PrusaSlicer output (prusaslicer/, gcode-preview vase and screw)', () => {
  it.each(['part.gcode', 'screw.gcode'])('prusaslicer/%s is inside the example envelope and its statistics match the slicer', (name) => {
    const path = gcode('prusaslicer', name);
    const source = text(path);
    expect(source).not.toMatch(/^(G91|G92 [XYZ]|G[23] )/m); // absolute straight moves only: the word scan is an oracle
    const r = checkBytes(read(path), EXAMPLE);
    expect(found(r)).toEqual([]);
    expect(r.ok).toBe(true);
    const s = r.stats;
    expect(s.lines).toBe(source.split('\n').length - (source.endsWith('\n') ? 1 : 0));
    expect(s.layers).toBe(source.match(/^;LAYER_CHANGE/gm)!.length);
    expect(s.bounding_box_mm).toEqual(wordExtremes(source));
    expect(s.max_nozzle_temp_c).toBe(Math.max(...[...source.matchAll(/^M10[49] S(\d+)/gm)].map((m) => Number(m[1]))));
    const used = Number(/filament used \[mm\] = ([\d.]+)/.exec(source)![1]);
    expect(Math.abs(s.extrusion_mm - used)).toBeLessThan(2.5); // the slicer leaves out the final 2 mm retraction
    expect(s.estimated_time_s).toBeLessThan(slicerSeconds(source)); // no acceleration: a lower bound
    expect(s.estimated_time_s).toBeGreaterThan(0.7 * slicerSeconds(source));
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('screw.gcode (5 722 arcs): inside the envelope', () => {
    const path = gcode('gcode-preview', 'demo', 'gcodes', 'screw.gcode');
    const source = text(path);
    const r = checkBytes(read(path), EXAMPLE);
    expect(found(r)).toEqual([]);
    expect(r.stats.layers).toBe(source.match(/^;LAYER_CHANGE/gm)!.length + 1); // + the prime line at Z 0.28
    expect(Math.abs(r.stats.extrusion_mm - 1706.22)).toBeLessThan(5.5);
    // M201 X1000 Y1000 … E5000 (E is the extruder, not a move) and M204 S500/P500/T…: largest move figure
    const accelerations = [...source.matchAll(/^M20[14] (.*)/gm)].flatMap((m) => [...m[1]!.replace(/;.*/, '').matchAll(/([XYZPST])([\d.]+)/g)].map((w) => Number(w[2])));
    expect(r.stats.max_acceleration_mm_s2).toBe(Math.max(...accelerations));
  });

  it('an arc bulging outside while all its end points are inside is reported on its line', () => {
    const path = gcode('gcode-preview', 'demo', 'gcodes', 'screw.gcode');
    const source = text(path);
    // the largest X any line names as an end point: a volume ending there holds every end point
    const maxEndX = Math.max(...[...source.matchAll(/^G[0-3] .*X([\d.]+)/gm)].map((m) => Number(m[1])));
    const tight = parseEnvelope({ build_volume_mm: { x: [0, maxEndX], y: [0, 210], z: [0, 210] } });
    const r = checkBytes(read(path), tight);
    expect(r.violations.length).toBeGreaterThan(0);
    for (const v of r.violations) {
      const line = lines(source)[v.line - 1]!;
      expect(line).toMatch(/^G[23] /);
      expect(v.rule).toBe('build_volume_mm.x');
      expect(v.value as number).toBeGreaterThan(maxEndX);
      expect(Number(/X([\d.]+)/.exec(line)?.[1] ?? 0)).toBeLessThanOrEqual(maxEndX);
    }
  });

  it('vase.gcode (spiral vase): fine without a minimum layer height; with one, every rising extrusion is reported', () => {
    const path = gcode('gcode-preview', 'demo', 'gcodes', 'vase.gcode');
    const source = text(path);
    const { layer_height_mm: _, ...noLayers } = EXAMPLE;
    expect(found(checkBytes(read(path), noLayers))).toEqual([]);
    const r = checkBytes(read(path), EXAMPLE);
    expect(r.violations.length).toBe(1000);
    expect(r.stats.violation_count).toBeGreaterThan(r.violations.length); // capped at 1000, all counted
    for (const v of r.violations) {
      expect(v.rule).toBe('layer_height_mm');
      expect(lines(source)[v.line - 1]).toMatch(/^G1 Z[\d.]+ X[\d.]+ Y[\d.]+ E[\d.]+/);
    }
  });

  it.each([
    ['temperature raised', /^M109 S210/, 'M109 S275', 'nozzle_temp_c', 275],
    ['move outside the volume', /^G1 X84\.\d+ Y/, 'G1 X260 Y100', 'build_volume_mm.x', 260],
    ['forbidden command', /^M107/, 'M302 P1', 'forbidden_commands', 'M302'],
    ['bed too hot', /^M190 S60/, 'M190 S120', 'bed_temp_c', 120],
    ['second tool', /^M107/, 'T1', 'tools', 1],
    ['fast feed', /^G1 F1200/, 'G1 F15000', 'feed_rate_mm_min', 15000],
  ])('a variant with a %s is caught on the exact line', (_what, at, replacement, rule, value) => {
    const source = text(gcode('gcode-preview', 'demo', 'gcodes', 'screw.gcode'));
    const n = lineOf(source, at);
    expect(n).toBeGreaterThan(0);
    const variant = lines(source);
    variant[n - 1] = replacement;
    const r = checkBytes(bytes(variant.join('\n')), EXAMPLE);
    expect(r.ok).toBe(false);
    // a feed is checked on the move that uses it: the first move after the changed line
    const expectedLine = rule === 'feed_rate_mm_min' ? n + 1 + lines(source).slice(n).findIndex((l) => /^G[0-3] .*[XYZ]/.test(l)) : n;
    expect(r.violations[0]).toMatchObject({ line: expectedLine, rule, value });
  });
});

describe('Cura output (puzzle_all.gcode)', () => {
  it('is inside the example envelope; layers match ;LAYER: markers, time the slicer estimate', () => {
    const path = gcode('gcode-preview', 'examples', 'vue-demo', 'public', 'puzzle_all.gcode');
    const source = text(path);
    const r = checkBytes(read(path), EXAMPLE);
    expect(found(r)).toEqual([]);
    expect(r.stats.layers).toBe(source.match(/^;LAYER:\d+/gm)!.length);
    expect(r.stats.max_nozzle_temp_c).toBe(195);
    expect(r.stats.max_bed_temp_c).toBe(50);
    expect(r.stats.estimated_time_s).toBeGreaterThan(0.85 * slicerSeconds(source));
    expect(r.stats.estimated_time_s).toBeLessThan(1.15 * slicerSeconds(source));
  });
});

describe('CNC and laser programs (negative inputs for a printer gatekeeper)', () => {
  it('mach3.gcode: inch units, a probe to Z-11.8 in, torch power from S701', () => {
    const r = checkBytes(read(gcode('gcode-preview', 'demo', 'gcodes', 'mach3.gcode')), EXAMPLE);
    expect(r.ok).toBe(false);
    expect(r.violations[0]).toMatchObject({ line: 15, rule: 'build_volume_mm.z' });
    expect(r.violations[0]!.value).toBeCloseTo(-11.8 * 25.4, 9); // `G31 Z-11.8`: the probe move, in inches
    expect(r.violations.find((v) => v.rule === 'laser_power')).toMatchObject({ line: 20, value: 701 / 255 }); // `M03` with S701 set on line 8
    expect(r.stats.max_feed_rate_mm_min).toBeCloseTo(140 * 25.4, 9);
  });

  it('t2laser.nc: full power S1000 of 1000 breaks a 0.8 limit on each line that sets it', () => {
    const path = gcode('cncjs-gcode-toolpath', 'src', '__tests__', 'fixtures', 't2laser.nc');
    const source = text(path);
    const env = parseEnvelope({ laser_power: { max: 0.8, s_max: 1000 } });
    const r = checkBytes(read(path), env);
    const expected = lines(source)
      .map((l, i) => [i + 1, l] as const)
      .filter(([, l]) => /S1000/.test(l))
      .map(([n]) => [n, 'laser_power', 1]);
    expect(found(r)).toEqual(expected);
    expect(r.stats.tools_used).toEqual([1, 2]);
  });

  it('special-fields.gcode: the deliberately wrong last checksum is reported on line 8', () => {
    const r = checkBytes(read(gcode('cncjs-gcode-parser', 'src', '__tests__', 'fixtures', 'special-fields.gcode')), parseEnvelope({}));
    expect(found(r)).toEqual([[8, 'checksum', 30]]);
    expect(r.violations[0]!.limit).toBe(33);
  });

  it.each([
    ['circle.gcode', { x: [-5, 5], y: [-5, 5], z: [0, 5] }],
    ['circle-inch.gcode', { x: [-12.7, 12.7], y: [-12.7, 12.7], z: [0, 6.35] }],
  ])('cncjs-gcode-parser %s: full circles', (name, expected) => {
    const r = checkBytes(read(gcode('cncjs-gcode-parser', 'src', '__tests__', 'fixtures', name)), parseEnvelope({}));
    expect(r.ok).toBe(true);
    for (const axis of ['x', 'y', 'z'] as const) {
      expect(r.stats.bounding_box_mm[axis]![0]).toBeCloseTo(expected[axis][0]!, 12);
      expect(r.stats.bounding_box_mm[axis]![1]).toBeCloseTo(expected[axis][1]!, 12);
    }
  });

  it('cncjs-gcode-parser spaces.gcode: `X -5` (a space inside a word) is malformed', () => {
    const r = checkBytes(read(gcode('cncjs-gcode-parser', 'src', '__tests__', 'fixtures', 'spaces.gcode')), parseEnvelope({}));
    expect(found(r)).toEqual([[3, 'malformed_line', 'space_in_word']]);
  });

  const toolpath = (name: string) => read(gcode('cncjs-gcode-toolpath', 'src', '__tests__', 'fixtures', name));
  it.each([
    ['arc-no-plane.nc', { x: [-20, 20], y: [-20, 20], z: null }],
    ['arc-xy-plane.nc', { x: [-20, 20], y: [-20, 20], z: null }],
    ['arc-yz-plane.nc', { x: null, y: [-20, 20], z: [-20, 20] }],
    ['arc-zx-plane.nc', { x: [-20, 20], y: null, z: [-20, 20] }],
    ['circle.nc', { x: [-5, 5], y: [-5, 5], z: [0, 5] }],
    ['one-inch-circle.nc', { x: [-12.7, 12.7], y: [-12.7, 12.7], z: [0, 6.35] }],
  ])('cncjs-gcode-toolpath %s: bounding box in every plane', (name, expected) => {
    const r = checkBytes(toolpath(name), parseEnvelope({}));
    expect(r.ok).toBe(true);
    for (const axis of ['x', 'y', 'z'] as const) {
      const want = expected[axis];
      if (want === null) expect(r.stats.bounding_box_mm[axis]).toBeNull();
      else expect(r.stats.bounding_box_mm[axis]!.map((v) => Math.round(v * 1e9) / 1e9)).toEqual(want);
    }
  });

  it.each([
    ['coordinate.nc', []],
    ['dwell.nc', []],
    ['feedrate.nc', []],
    ['units.nc', []],
    ['motion.nc', []],
    ['arc-r.nc', [[2, 'malformed_line', 'arc_without_centre'], [3, 'malformed_line', 'arc_without_centre'], [6, 'malformed_line', 'arc_without_centre'], [7, 'malformed_line', 'arc_without_centre']]],
    ['linear.nc', []],
  ])('cncjs-gcode-toolpath %s: %j', (name, expected) => {
    expect(found(checkBytes(toolpath(name), parseEnvelope({})))).toEqual(expected);
  });

  it('cncjs-gcode-toolpath g92offset.nc: lowercase words are refused; upper-cased, G92 offsets as Marlin keeps them', () => {
    const raw = toolpath('g92offset.nc');
    const source = Buffer.from(raw).toString('latin1');
    const code = lines(source).flatMap((l, i) => (/^g/.test(l) ? [i + 1] : []));
    expect(found(checkBytes(raw, parseEnvelope({})))).toEqual(code.map((n) => [n, 'malformed_line', 'lowercase_word']));
    const upper = checkBytes(bytes(lines(source).map((l) => (l.startsWith('(') ? l : l.toUpperCase())).join('\n')), parseEnvelope({}));
    expect(upper.ok).toBe(true);
    // `g92` without words keeps the offset (Marlin; LinuxCNC would clear it), so the last `g0 z0` ends at z = -1
    expect(upper.stats.bounding_box_mm).toEqual({ x: [0, 2], y: [0, 4], z: [-1, 6] });
  });

  it('cncjs-gcode-toolpath dwell.nc: G4 P2000 and G4 S2 are 4 s', () => {
    expect(checkBytes(toolpath('dwell.nc'), parseEnvelope({})).stats.estimated_time_s).toBe(4);
  });

  it('cncjs-gcode-toolpath helical-thread-milling.nc: relative moves from an unknown start and cutter compensation', () => {
    const r = checkBytes(toolpath('helical-thread-milling.nc'), EXAMPLE);
    expect(r.violations.slice(0, 3).map((v) => [v.line, v.rule, v.value])).toEqual([
      [1, 'position_unknown', 'z'],
      [2, 'malformed_line', 'conflicting_commands'],
      [3, 'position_unknown', 'xyz'],
    ]);
  });

  it('cncjs-gcode-toolpath linear.nc: inches, G53 machine move, spindle S16500', () => {
    const r = checkBytes(toolpath('linear.nc'), parseEnvelope({ spindle_rpm: { max: 12000 } }));
    expect(found(r)).toEqual([[7, 'spindle_rpm', 16500]]);
    expect(r.stats.tools_used).toEqual([2, 4]);
    expect(r.stats.bounding_box_mm.z![1]).toBeCloseTo(0.0394 * 25.4, 12);
  });
});

describe('PrusaSlicer binary G-code (libbgcode samples)', () => {
  const data = (name: string) => gcode('libbgcode', 'tests', 'data', name);

  function decodedLines(path: string): string[] {
    const out: string[] = [];
    checkBytes(read(path), parseEnvelope({}), { onLine: (v) => out.push(Buffer.from(v.bytes).toString('latin1')) });
    return out;
  }
  const code = (ls: string[]) => ls.map((l) => l.replace(/;.*/, '').trimEnd()).filter((l) => l !== '');

  it('decodes to the same G-code as its ASCII twin and as libbgcode’s reference conversion', () => {
    const decoded = decodedLines(data('mini_cube_ps2.8.1.bgcode'));
    expect(code(decoded)).toEqual(code(lines(text(data('mini_cube_ps2.8.1.gcode')))));
    expect(code(decoded)).toEqual(code(lines(text(data('mini_cube_ps2.8.1_ref.gcode')))));
  });

  it('gives the same verdict and statistics as its ASCII twin', () => {
    const binary = checkBytes(read(data('mini_cube_ps2.8.1.bgcode')), EXAMPLE);
    const ascii = checkBytes(read(data('mini_cube_ps2.8.1.gcode')), EXAMPLE);
    expect(binary.stats.format).toBe('bgcode');
    expect(ascii.stats.format).toBe('gcode');
    const { format: _f1, bytes: _b1, lines: _l1, ...b } = binary.stats;
    const { format: _f2, bytes: _b2, lines: _l2, ...a } = ascii.stats;
    expect(b).toEqual(a);
    expect(binary.ok).toBe(ascii.ok);
    expect(binary.violations.map((v) => [v.rule, v.value])).toEqual(ascii.violations.map((v) => [v.rule, v.value]));
    // line numbers count lines of the decoded G-code: the same command sits there
    const decoded = decodedLines(data('mini_cube_ps2.8.1.bgcode'));
    const asciiLines = lines(text(data('mini_cube_ps2.8.1.gcode')));
    for (let i = 0; i < binary.violations.length; i++) {
      const strip = (l: string) => l.replace(/;.*/, '').replace(/ /g, '');
      expect(strip(decoded[binary.violations[i]!.line - 1]!)).toBe(strip(asciiLines[ascii.violations[i]!.line - 1]!));
    }
    expect(ascii.violations.find((v) => v.rule === 'forbidden_commands')).toMatchObject({ line: lineOf(text(data('mini_cube_ps2.8.1.gcode')), /^M302/), value: 'M302' });
  });

  it('mini_cube_b.bgcode (PrusaSlicer 2.6, ten G-code blocks) decodes and checks', () => {
    const r = checkBytes(read(data('mini_cube_b.bgcode')), parseEnvelope({ nozzle_temp_c: { max: 260 }, bed_temp_c: { max: 110 } }));
    expect(r.ok).toBe(true);
    expect(r.stats.format).toBe('bgcode');
    expect(r.stats.layers).toBeGreaterThan(100);
    expect(r.stats.max_nozzle_temp_c).toBe(240);
  });
});

/** `xz -dc` of the 23 MB PrusaSlicer file, or null where xz is not installed. */
function bigPart(): Uint8Array | null {
  try {
    return new Uint8Array(execFileSync('xz', ['-dc', gcode('prusaslicer', 'big-part.gcode.xz')], { maxBuffer: 64 * 1024 * 1024 }));
  } catch {
    return null;
  }
}

describe('big-part.gcode.xz (23 MB, 900k lines)', () => {
  const big = bigPart();
  it.runIf(big !== null)('matches the slicer; its only violation is the extrusion cap, on the line that crosses it', () => {
    const source = Buffer.from(big!).toString('latin1');
    const r = checkBytes(big!, EXAMPLE);
    expect(r.stats.layers).toBe(1598);
    expect(r.stats.layers).toBe(source.match(/^;LAYER_CHANGE/gm)!.length);
    expect(r.stats.bounding_box_mm).toEqual(wordExtremes(source));
    expect(Math.abs(r.stats.extrusion_mm - 325908.54)).toBeLessThan(2.5);
    expect(r.violations.map((v) => v.rule)).toEqual(['extrusion_mm']);
    const n = r.violations[0]!.line;
    const upTo = (k: number) => bytes(lines(source).slice(0, k).join('\n'));
    expect(checkBytes(upTo(n - 1), EXAMPLE).ok).toBe(true);
    expect(checkBytes(upTo(n), EXAMPLE).violations.map((v) => [v.line, v.rule])).toEqual([[n, 'extrusion_mm']]);
  });
});
