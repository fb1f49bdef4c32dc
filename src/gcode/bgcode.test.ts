import { readFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FabgateError } from '../shared/errors.js';
import { sharedData } from '../shared/test-support/shared-data.js';
import { BgcodeReader } from './bgcode.js';
import { checkBytes } from './checker.js';
import { parseEnvelope } from './envelope.js';
import { heatshrinkDecode } from './heatshrink.js';

const sample = () => new Uint8Array(readFileSync(sharedData('gcode', 'libbgcode', 'tests', 'data', 'mini_cube_ps2.8.1.bgcode')));
const NONE = parseEnvelope({});

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FabgateError);
    return (e as FabgateError).code;
  }
  return 'no error';
}

/** Offsets of the blocks of a .bgcode file: [offset, type, compression, headerBytes, dataBytes]. */
function blocks(file: Uint8Array): Array<[number, number, number, number, number]> {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: Array<[number, number, number, number, number]> = [];
  const crc = view.getUint16(8, true) === 1 ? 4 : 0;
  for (let o = 10; o < file.length; ) {
    const type = view.getUint16(o, true);
    const compression = view.getUint16(o + 2, true);
    const header = compression === 0 ? 8 : 12;
    const data = compression === 0 ? view.getUint32(o + 4, true) : view.getUint32(o + 8, true);
    out.push([o, type, compression, header, data]);
    o += header + (type === 5 ? 6 : 2) + data + crc;
  }
  return out;
}

/** A .bgcode file written by hand (test only): header, then G-code blocks as given. */
function bgcodeFile(gcodeBlocks: Array<{ compression: number; encoding: number; data: Uint8Array; size: number }>, checksum = true): Uint8Array {
  const parts: Buffer[] = [Buffer.from([0x47, 0x43, 0x44, 0x45, 1, 0, 0, 0, checksum ? 1 : 0, 0])];
  for (const b of gcodeBlocks) {
    const header = Buffer.alloc(b.compression === 0 ? 8 : 12);
    header.writeUInt16LE(1, 0);
    header.writeUInt16LE(b.compression, 2);
    header.writeUInt32LE(b.size, 4);
    if (b.compression !== 0) header.writeUInt32LE(b.data.length, 8);
    const params = Buffer.alloc(2);
    params.writeUInt16LE(b.encoding, 0);
    parts.push(header, params, Buffer.from(b.data));
    if (checksum) {
      const c = Buffer.alloc(4);
      c.writeUInt32LE(crc32(Buffer.from(b.data), crc32(params, crc32(header))), 0);
      parts.push(c);
    }
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** A small heatshrink encoder (test only): greedy longest match in the window, MSB-first bits. */
function heatshrinkEncode(input: Uint8Array, windowBits: number, lookaheadBits: number): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let n = 0;
  const put = (value: number, bits: number) => {
    for (let i = bits - 1; i >= 0; i--) {
      acc = (acc << 1) | ((value >> i) & 1);
      if (++n === 8) {
        out.push(acc);
        acc = 0;
        n = 0;
      }
    }
  };
  const window = 1 << windowBits;
  const maxLen = 1 << lookaheadBits;
  for (let i = 0; i < input.length; ) {
    let bestLen = 0;
    let bestDist = 0;
    for (let d = 1; d <= Math.min(window, i); d++) {
      let len = 0;
      while (len < maxLen && i + len < input.length && input[i + len - d] === input[i + len]) len++;
      if (len > bestLen) [bestLen, bestDist] = [len, d];
    }
    if (bestLen >= 2) {
      put(0, 1);
      put(bestDist - 1, windowBits);
      put(bestLen - 1, lookaheadBits);
      i += bestLen;
    } else {
      put(1, 1);
      put(input[i]!, 8);
      i++;
    }
  }
  if (n > 0) out.push(acc << (8 - n));
  return new Uint8Array(out);
}

describe('heatshrink', () => {
  it('decodes what a heatshrink encoder writes, window 2^11 and 2^12 (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.constantFrom(11, 12), (data, w) => {
        // G-code-like repetition makes back-references likely
        const input = new Uint8Array([...data, ...data.subarray(0, 500), ...data.subarray(100, 400)]);
        expect(heatshrinkDecode(heatshrinkEncode(input, w, 4), w, 4, input.length)).toEqual(input);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses a stream that decodes to more or fewer bytes than the header states', () => {
    const data = new Uint8Array(Buffer.from('G1 X10 Y10\nG1 X10 Y10\nG1 X10 Y10\n'));
    const packed = heatshrinkEncode(data, 12, 4);
    expect(codeOf(() => heatshrinkDecode(packed, 12, 4, data.length - 1))).toBe('GCODE_BGCODE_CORRUPT');
    expect(codeOf(() => heatshrinkDecode(packed, 12, 4, data.length + 1))).toBe('GCODE_BGCODE_CORRUPT');
  });
});

describe('binary G-code container', () => {
  it('checks deflate-compressed and uncompressed G-code blocks, lines split across blocks', () => {
    const a = new Uint8Array(Buffer.from('G28\nG1 X10 Y10 F3000\nM104 S2'));
    const b = new Uint8Array(Buffer.from('70\nG1 X300\n'));
    const file = bgcodeFile([
      { compression: 1, encoding: 0, data: new Uint8Array(deflateSync(a)), size: a.length },
      { compression: 0, encoding: 0, data: b, size: b.length },
    ]);
    const r = checkBytes(file, parseEnvelope({ nozzle_temp_c: { max: 260 }, build_volume_mm: { x: [0, 250] } }));
    expect(r.stats.format).toBe('bgcode');
    expect(r.violations.map((v) => [v.line, v.rule, v.value])).toEqual([
      [3, 'nozzle_temp_c', 270],
      [4, 'build_volume_mm.x', 300],
    ]);
  });

  it('checks heatshrink 11/4 blocks', () => {
    const text = new Uint8Array(Buffer.from('G28\nG1 X10 Y10\nG1 X20 Y10\nG1 X30 Y10\n'));
    const file = bgcodeFile([{ compression: 2, encoding: 0, data: heatshrinkEncode(text, 11, 4), size: text.length }]);
    expect(checkBytes(file, NONE).stats.bounding_box_mm.x).toEqual([10, 30]);
  });

  it('a changed byte in a G-code block fails its CRC32: GCODE_BGCODE_CHECKSUM', () => {
    const file = sample();
    const [offset, , , header] = blocks(file).find(([, type]) => type === 1)!;
    file[offset + header + 2 + 100]! ^= 0x01;
    expect(codeOf(() => checkBytes(file, NONE))).toBe('GCODE_BGCODE_CHECKSUM');
  });

  it('without CRCs, a damaged heatshrink stream is still caught by its size: GCODE_BGCODE_CORRUPT', () => {
    const text = new Uint8Array(Buffer.from('G28\nG1 X10 Y10\nG1 X20 Y10\nG1 X30 Y10\n'));
    const packed = heatshrinkEncode(text, 12, 4);
    const file = bgcodeFile([{ compression: 3, encoding: 0, data: packed.subarray(0, packed.length - 4), size: text.length }], false);
    expect(codeOf(() => checkBytes(file, NONE))).toBe('GCODE_BGCODE_CORRUPT');
    const bad = bgcodeFile([{ compression: 1, encoding: 0, data: new Uint8Array([1, 2, 3, 4]), size: 10 }]);
    expect(codeOf(() => checkBytes(bad, NONE))).toBe('GCODE_BGCODE_CORRUPT');
  });

  it('a file cut short is GCODE_BGCODE_TRUNCATED, at any length', () => {
    const file = sample();
    for (const cut of [5, 10, 11, 20, 100, 5000, file.length - 1]) {
      expect(codeOf(() => checkBytes(file.subarray(0, cut), NONE))).toBe('GCODE_BGCODE_TRUNCATED');
    }
  });

  it('unknown versions, checksum types, block types, compressions and encodings are refused', () => {
    const withByte = (at: number, value: number) => {
      const f = sample();
      f[at] = value;
      return f;
    };
    expect(codeOf(() => checkBytes(withByte(4, 2), NONE))).toBe('GCODE_BGCODE_UNSUPPORTED');
    expect(codeOf(() => checkBytes(withByte(8, 7), NONE))).toBe('GCODE_BGCODE_UNSUPPORTED');
    expect(codeOf(() => checkBytes(withByte(10, 9), NONE))).toBe('GCODE_BGCODE_MALFORMED');
    expect(codeOf(() => checkBytes(withByte(12, 4), NONE))).toBe('GCODE_BGCODE_UNSUPPORTED');
    const text = new Uint8Array(Buffer.from('G28\n'));
    expect(codeOf(() => checkBytes(bgcodeFile([{ compression: 0, encoding: 3, data: text, size: text.length }]), NONE))).toBe('GCODE_BGCODE_UNSUPPORTED');
  });

  it('a block claiming gigabytes is refused before anything is allocated', () => {
    const f = sample();
    new DataView(f.buffer).setUint32(10 + 4, 0xfffffff0, true); // file-metadata block, uncompressed size
    expect(codeOf(() => checkBytes(f, NONE))).toBe('GCODE_BGCODE_BLOCK_TOO_LARGE');
  });

  it('metadata after the G-code blocks breaks the specified order', () => {
    const file = sample();
    const first = blocks(file)[0]!;
    const metadata = file.subarray(first[0], first[0] + first[3] + 2 + first[4] + 4);
    expect(codeOf(() => checkBytes(new Uint8Array([...file, ...metadata]), NONE))).toBe('GCODE_BGCODE_MALFORMED');
  });

  it('the reader counts the G-code blocks it decoded', () => {
    let text = 0;
    const reader = new BgcodeReader((t) => (text += t.length));
    reader.push(sample());
    reader.end();
    expect(reader.gcodeBlocks).toBe(1);
    expect(text).toBeGreaterThan(50_000);
  });
});
