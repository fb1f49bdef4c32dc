/**
 * MeatPack decoding, the G-code encoding of PrusaSlicer binary G-code blocks (encoding 1:
 * comments removed; 2: comment lines kept).
 *
 * MeatPack packs the 15 most common G-code characters into 4-bit codes, two per byte (low
 * nibble first); code 0b1111 means "a full 8-bit character follows instead". The control
 * sequence FF FF <cmd> switches packing on (FB) or off (FA), the "no spaces" mode on (F7) or
 * off (F6), or resets (F9). In "no spaces" mode the code for space stands for `E`, and lines are
 * stored without spaces (`G1X10E.5`).
 *
 * The text is rebuilt the way libbgcode's converter does, so that what the agent forwards to a
 * printer reads like the slicer's ASCII output: in lines that start with `G`, a space goes
 * before each parameter letter (X Y Z E F I J R G P W H C A), and empty lines are dropped.
 * The checker itself would read `G1X10E.5` just as well.
 */

/** 4-bit code → character. Index 11 (space) becomes `E` in no-spaces mode. */
const CODES = Array.from('0123456789. \nGX', (c) => c.charCodeAt(0));

const SIGNAL = 0xff;
const CMD_ENABLE_PACKING = 251;
const CMD_DISABLE_PACKING = 250;
const CMD_RESET_ALL = 249;
const CMD_ENABLE_NO_SPACES = 247;
const CMD_DISABLE_NO_SPACES = 246;

const G_PARAMETER = new Uint8Array(256);
for (const c of 'XYZEFIJRGPWHCA') G_PARAMETER[c.charCodeAt(0)] = 1;

/** Decode one MeatPack-encoded block into G-code text. */
export function meatpackDecode(src: Uint8Array): Uint8Array {
  let out = new Uint8Array(src.length * 2 + 16);
  let n = 0;
  let packing = false;
  let noSpaces = false;
  let signals = 0;
  let commandPending = false;
  let fullCharsExpected = 0;
  let deferred = 0; // a packed character that comes after the next full character
  let spacing = false; // inside a G line: put a space before parameter letters

  const put = (ch: number) => {
    if (n + 2 > out.length) {
      const bigger = new Uint8Array(out.length * 2);
      bigger.set(out.subarray(0, n));
      out = bigger;
    }
    const last = n > 0 ? out[n - 1]! : -1;
    let startsGLine = false;
    if (ch === 71 /* G */ && (n === 0 || last === 10)) {
      spacing = true;
      startsGLine = true;
    } else if (ch === 10) {
      spacing = false;
    }
    if (!startsGLine && spacing && last !== 32 && G_PARAMETER[ch] === 1) out[n++] = 32;
    if (ch !== 10 || n === 0 || out[n - 1] !== 10) out[n++] = ch;
  };
  const code = (c: number) => (c === 11 && noSpaces ? 69 /* E */ : CODES[c]!);

  const receive = (c: number) => {
    if (!packing) return put(c);
    if (fullCharsExpected > 0) {
      put(c);
      if (deferred !== 0) {
        put(deferred);
        deferred = 0;
      }
      fullCharsExpected--;
      return;
    }
    const low = c & 0xf;
    const high = c >> 4;
    if (low === 0xf) {
      fullCharsExpected++;
      if (high === 0xf) fullCharsExpected++;
      else deferred = code(high);
      return;
    }
    const first = code(low);
    put(first);
    if (first === 10) return; // a line's final newline: the other nibble is padding
    if (high === 0xf) fullCharsExpected++;
    else put(code(high));
  };

  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (b === SIGNAL) {
      if (signals > 0) {
        commandPending = true;
        signals = 0;
      } else {
        signals++;
      }
      continue;
    }
    if (commandPending) {
      commandPending = false;
      if (b === CMD_ENABLE_PACKING) packing = true;
      else if (b === CMD_DISABLE_PACKING || b === CMD_RESET_ALL) packing = false;
      else if (b === CMD_ENABLE_NO_SPACES) noSpaces = true;
      else if (b === CMD_DISABLE_NO_SPACES) noSpaces = false;
      continue;
    }
    if (signals > 0) {
      receive(SIGNAL); // a single FF is data
      signals = 0;
    }
    receive(b);
  }
  return out.subarray(0, n);
}
