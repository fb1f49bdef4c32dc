/**
 * Heatshrink decompression (LZSS), as used by PrusaSlicer binary G-code blocks
 * (compression 2: window 2^11, lookahead 2^4; compression 3: window 2^12, lookahead 2^4).
 *
 * The format, from the heatshrink decoder's description: a bit stream read most significant bit
 * first. Each token starts with a tag bit. Tag 1: the next 8 bits are a literal byte. Tag 0: a
 * back-reference, `window` bits of (distance - 1) then `lookahead` bits of (count - 1); copy
 * `count` bytes starting `distance` bytes back in the output (the copy may overlap itself).
 * The window starts zero-filled, so a reference before the start of the output yields zero
 * bytes. The stream ends when the input runs out in the middle of a token (the last byte is
 * zero-padded).
 *
 * Written from that description. The block header states the decompressed size, so the output
 * is allocated once and any stream that would write past it, or stop short of it, is refused.
 */
import { FabgateError } from '../shared/errors.js';

/**
 * Decompress `input` to exactly `size` bytes.
 * @throws FabgateError `GCODE_BGCODE_CORRUPT` when the stream does not decode to `size` bytes.
 */
export function heatshrinkDecode(input: Uint8Array, windowBits: number, lookaheadBits: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let o = 0;
  let ip = 0;
  let acc = 0; // bit accumulator (at most 24 valid bits)
  let have = 0; // valid bits in acc
  const len = input.length;
  const bits = (n: number): number => {
    while (have < n) {
      if (ip >= len) return -1;
      acc = ((acc << 8) | input[ip++]!) & 0xffffff;
      have += 8;
    }
    have -= n;
    return (acc >>> have) & ((1 << n) - 1);
  };
  for (;;) {
    const tag = bits(1);
    if (tag < 0) break;
    if (tag === 1) {
      const byte = bits(8);
      if (byte < 0) break;
      if (o >= size) throw corrupt('more data than the block header states');
      out[o++] = byte;
    } else {
      const index = bits(windowBits);
      if (index < 0) break;
      const count = bits(lookaheadBits);
      if (count < 0) break;
      const distance = index + 1;
      const n = count + 1;
      if (o + n > size) throw corrupt('more data than the block header states');
      for (let k = 0; k < n; k++, o++) out[o] = o >= distance ? out[o - distance]! : 0;
    }
  }
  if (o !== size) throw corrupt(`decoded ${o} bytes, the block header states ${size}`);
  return out;
}

function corrupt(why: string): FabgateError {
  return new FabgateError('GCODE_BGCODE_CORRUPT', `heatshrink stream: ${why}`, 'invalid_input');
}
