import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FabgateError } from '../shared/errors.js';
import { sharedData } from '../shared/test-support/shared-data.js';
import { checkBytes, createChecker, type CheckOptions, type CheckResult, type LineVerdict } from './checker.js';
import { parseEnvelope, type Envelope } from './envelope.js';

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const VOLUME = parseEnvelope({ build_volume_mm: { x: [0, 250], y: [0, 210], z: [0, 210] }, nozzle_temp_c: { max: 260 } });

function chunked(input: Uint8Array, cuts: number[], envelope: Envelope = VOLUME, options?: CheckOptions): CheckResult {
  const checker = createChecker(envelope, options);
  let at = 0;
  for (const cut of [...cuts, input.length]) {
    checker.push(input.subarray(at, cut));
    at = cut;
  }
  return checker.end();
}

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FabgateError);
    return (e as FabgateError).code;
  }
  return 'no error';
}

describe('chunking', () => {
  const program = bytes('G28\r\nG1 X10 Y10 ; a comment\r\nM104 S270\n\nG1 X300\rG1 X5 ; old Mac line end\r\r\nN3 T0*57\nG1 X1');

  it('gives the same result whatever the chunk boundaries (every single cut, every pair of cuts)', () => {
    const whole = checkBytes(program, VOLUME);
    expect(whole.violations.map((v) => [v.line, v.rule])).toEqual([
      [3, 'nozzle_temp_c'],
      [5, 'build_volume_mm.x'],
    ]);
    expect(whole.stats.lines).toBe(9);
    for (let i = 0; i <= program.length; i++) {
      expect(chunked(program, [i])).toEqual(whole);
      for (let j = i; j <= program.length; j += 3) expect(chunked(program, [i, j])).toEqual(whole);
    }
    const oneByOne = chunked(program, Array.from({ length: program.length }, (_, i) => i));
    expect(oneByOne).toEqual(whole);
  });

  it('hands each physical line to onLine once, in order, with its own violations', () => {
    const seen: Array<[number, string, string[]]> = [];
    const onLine = (v: LineVerdict) => seen.push([v.line, Buffer.from(v.bytes).toString('latin1'), v.violations.map((x) => x.rule)]);
    chunked(program, [7, 8, 30], VOLUME, { onLine });
    expect(seen).toEqual([
      [1, 'G28', []],
      [2, 'G1 X10 Y10 ; a comment', []],
      [3, 'M104 S270', ['nozzle_temp_c']],
      [4, '', []],
      [5, 'G1 X300', ['build_volume_mm.x']],
      [6, 'G1 X5 ; old Mac line end', []],
      [7, '', []],
      [8, 'N3 T0*57', []],
      [9, 'G1 X1', []],
    ]);
  });

  it('a file of lone-CR line ends longer than the line limit is still read line by line', () => {
    const lines = Array.from({ length: 500 }, (_, i) => `G1 X${i % 250} ; line ${i}`);
    const cr = bytes(lines.join('\r'));
    const lf = bytes(lines.join('\n'));
    const opts = { maxLineBytes: 1024 };
    const expected = checkBytes(lf, VOLUME, opts);
    expect(expected.stats.lines).toBe(500);
    const crResult = checkBytes(cr, VOLUME, opts);
    expect({ ...crResult.stats, bytes: 0 }).toEqual({ ...expected.stats, bytes: 0 });
    for (const size of [1, 7, 100, 1000, 5000]) {
      const cuts = [];
      for (let i = size; i < cr.length; i += size) cuts.push(i);
      expect(chunked(cr, cuts, VOLUME, opts).stats).toEqual(crResult.stats);
    }
    // a CR at the end of a chunk and the LF at the start of the next are one line end
    const crlf = bytes(lines.join('\r\n'));
    expect(chunked(crlf, [1500, 1501, 3000], VOLUME, opts).stats.lines).toBe(500);
  });
});

describe('hostile input', () => {
  it('a line longer than the limit is GCODE_LINE_TOO_LONG, however it arrives', () => {
    const long = bytes('G1 X1\n; ' + 'x'.repeat(70 * 1024) + '\nG1 X2\n');
    expect(codeOf(() => checkBytes(long, VOLUME))).toBe('GCODE_LINE_TOO_LONG');
    expect(codeOf(() => chunked(long, [10, 100, 40000]))).toBe('GCODE_LINE_TOO_LONG');
    try {
      checkBytes(long, VOLUME);
    } catch (e) {
      expect((e as FabgateError).kind).toBe('too_large');
      expect((e as FabgateError).details).toEqual({ line: 2, limit: 65536 });
    }
    const atLimit = bytes('; ' + 'x'.repeat(65534) + '\r\n');
    expect(checkBytes(atLimit, VOLUME).stats.lines).toBe(1);
    expect(codeOf(() => checkBytes(bytes('; ' + 'x'.repeat(65535)), VOLUME))).toBe('GCODE_LINE_TOO_LONG');
  });

  it('an endless line without any line end fails once the limit is passed, without holding more', () => {
    const checker = createChecker(VOLUME);
    const chunk = new Uint8Array(16 * 1024).fill(0x58); // XXXX…
    expect(codeOf(() => {
      for (let i = 0; i < 1000; i++) checker.push(chunk);
    })).toBe('GCODE_LINE_TOO_LONG');
    expect(codeOf(() => checker.push(chunk))).toBe('GCODE_LINE_TOO_LONG'); // stays failed
  });

  it('NUL and other binary junk is GCODE_BINARY_INPUT', () => {
    expect(codeOf(() => checkBytes(new Uint8Array([0x47, 0x31, 0x00, 0x58]), VOLUME))).toBe('GCODE_BINARY_INPUT');
    expect(codeOf(() => checkBytes(new Uint8Array(readFileSync(sharedData('gcode', 'prusaslicer', 'part.3mf'))), VOLUME))).toBe('GCODE_BINARY_INPUT');
    expect(codeOf(() => checkBytes(new Uint8Array(readFileSync(sharedData('gcode', 'prusaslicer', 'M3x10_screw.stl'))), VOLUME))).toBe('GCODE_BINARY_INPUT');
  });

  it('keeps at most maxViolations violations and counts the rest', () => {
    const many = bytes('G28\n' + 'G1 X300\n'.repeat(5000));
    const r = checkBytes(many, VOLUME, { maxViolations: 10 });
    expect(r.violations.length).toBe(10);
    expect(r.stats.violation_count).toBe(5000);
    expect(r.ok).toBe(false);
  });

  it('refuses use after the end', () => {
    const c = createChecker(VOLUME);
    c.end();
    expect(codeOf(() => c.push(bytes('G1')))).toBe('GCODE_CHECKER_ENDED');
    expect(codeOf(() => c.end())).toBe('GCODE_CHECKER_ENDED');
  });
});

describe('the result', () => {
  it('carries the SHA-256 of exactly the bytes received (also for .bgcode, not its decoding)', () => {
    for (const path of [sharedData('gcode', 'prusaslicer', 'screw.gcode'), sharedData('gcode', 'libbgcode', 'tests', 'data', 'mini_cube_ps2.8.1.bgcode')]) {
      const input = new Uint8Array(readFileSync(path));
      const r = chunked(input, [1, 2, 3, 4, 5, 1000]);
      expect(r.sha256).toBe(createHash('sha256').update(input).digest('hex'));
      expect(r.stats.bytes).toBe(input.length);
    }
  });

  it('skips a UTF-8 byte order mark at the start', () => {
    const r = checkBytes(bytes('\u00ef\u00bb\u00bfG28\nG1 X1'), VOLUME);
    expect(r.violations).toEqual([]);
    expect(r.stats.bounding_box_mm.x).toEqual([1, 1]);
  });

  it('an empty input is an empty, acceptable program', () => {
    const r = checkBytes(new Uint8Array(0), VOLUME);
    expect(r.ok).toBe(true);
    expect(r.stats.lines).toBe(0);
    expect(checkBytes(bytes('G1'), VOLUME).stats.lines).toBe(1);
  });
});
