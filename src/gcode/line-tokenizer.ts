/**
 * One G-code line, read from bytes into reusable tables: no string or object per line.
 *
 * Syntax accepted (RS274/NGC words as printer firmware reads them):
 * - an optional line number `N123` as the first word; an optional block delete `/` at the start;
 * - words: an uppercase letter immediately followed by a decimal number (`X-1.5`, `E.4`,
 *   `F1200`), or a letter without a number (`G28 X Y`, `M84 E`), or a letter and a quoted string
 *   (`P"Input shaper"`, RepRapFirmware/Prusa); G and M words carry an optional subcode (`G38.2`);
 * - comments: `;` to the end of the line and `( … )` inside it;
 * - a checksum `*nn` (RepRap host protocol): XOR of every byte before `*`, then only a comment;
 * - Klipper-style extended commands (`PRINT_START EXTRUDER=210`): the name is read, the rest is not;
 * - text commands (`M117 Hello`, `M23 file.gco`): the rest of the line is text.
 *
 * A line ends at LF, CR LF or a lone CR (firmware treats a lone CR as the end of a line, so a
 * checker that did not would let `; comment\rG1 X999` hide a move inside a comment).
 *
 * Anything else makes the line malformed (`syntaxError`): the checker reports it instead of
 * guessing, because where the checker and the firmware read a line differently an attacker can
 * hide a move. Notably:
 * - a space between a letter and its number (`X 10`): Marlin reads "X without a value" and does
 *   not move while RS274 moves to 10, so either guess can make the checker track a position the
 *   printer is not at;
 * - a parenthesis comment on a line with words, when it holds something a firmware could read as a
 *   word (`G1 X10 (X300)`) or comes before the first word (`(note) G1 X10`): Marlin without
 *   PAREN_COMMENTS (its default) reads every letter-number pair on the line, so it would go to
 *   X300, and it does not run a line that starts with `(`. Comment-only lines and plain notes
 *   after the words (`G20 (inches)`) are fine;
 * - a lowercase word (`g1 x10`): RS274 reads it, Marlin by default (no GCODE_CASE_INSENSITIVE)
 *   ignores it, so the checker would track a move the printer never made.
 *
 * NUL and other control bytes mean the input is not G-code text: `GCODE_BINARY_INPUT` is thrown.
 */
import { FabgateError } from '../shared/errors.js';
import { DecimalReader, FAST_DIGITS, POW10 } from './decimal.js';

/** Byte classes of the tokenizer's state machine. */
const OTHER = 0;
const WS = 1;
const DIGIT = 2;
const LETTER = 3;
const SEMI = 4;
const LPAREN = 5;
const STAR = 6;
const CR = 7;
const BINARY = 8;
const DOT = 9;
const SIGN = 10;
const QUOTE = 11;
const HIGH = 12;
const PERCENT = 13;
const SLASH = 14;

const CLASS = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  let k = OTHER;
  if (b === 32 || b === 9 || b === 11 || b === 12) k = WS;
  else if (b >= 48 && b <= 57) k = DIGIT;
  else if ((b >= 65 && b <= 90) || (b >= 97 && b <= 122)) k = LETTER;
  else if (b === 59) k = SEMI;
  else if (b === 40) k = LPAREN;
  else if (b === 42) k = STAR;
  else if (b === 13 || b === 10) k = CR; // a line end: LF, CR LF or a lone CR
  else if (b < 32 || b === 127) k = BINARY;
  else if (b === 46) k = DOT;
  else if (b === 43 || b === 45) k = SIGN;
  else if (b === 34) k = QUOTE;
  else if (b >= 128) k = HIGH;
  else if (b === 37) k = PERCENT;
  else if (b === 47) k = SLASH;
  CLASS[b] = k;
}
/** Bytes that may follow a word: whitespace, a letter, `;`, `(`, `*`, CR. */
const BOUNDARY = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  const k = CLASS[b];
  BOUNDARY[b] = k === WS || k === LETTER || k === SEMI || k === LPAREN || k === STAR || k === CR ? 1 : 0;
}

/** Why a line is malformed (reported as the `value` of a `malformed_line` violation). */
export const SYNTAX_ERRORS = [
  '',
  'unexpected_character',
  'duplicate_word',
  'unclosed_comment',
  'bad_number',
  'bad_command_number',
  'text_after_checksum',
  'too_many_commands',
  'unterminated_string',
  'non_ascii',
  'space_in_word',
  'words_in_comment',
  'lowercase_word',
] as const;
export type SyntaxError = (typeof SYNTAX_ERRORS)[number];
const E_UNEXPECTED = 1;
const E_DUPLICATE = 2;
const E_UNCLOSED = 3;
const E_NUMBER = 4;
const E_COMMAND = 5;
const E_AFTER_CHECKSUM = 6;
const E_TOO_MANY = 7;
const E_STRING = 8;
const E_NON_ASCII = 9;
const E_SPACE = 10;
const E_WORDS_IN_COMMENT = 11;
const E_LOWERCASE = 12;

/** Command letters stored in {@link LineTokens.cmdLetter}. */
export const CMD_G = 6;
export const CMD_M = 12;

/** At most this many G/M words on one line (RS274 allows one per modal group; real files use ≤ 4). */
export const MAX_COMMANDS = 8;

/**
 * M codes whose arguments are free text (messages, file names, object names, Prusa's
 * `M115 U6.1.3+7898` firmware version check): the rest of the
 * line up to `;` or `*` is not read as words. None of them moves or heats the machine; the
 * SD-card ones (M23/M28/M30/M32/M33) are a policy question for `forbidden_commands`.
 */
const TEXT_M = new Uint8Array(1000);
for (const m of [0, 1, 16, 23, 28, 30, 32, 33, 115, 117, 118, 486, 550, 551, 587, 588, 928]) TEXT_M[m] = 1;

/** The words of one line. The checker reuses one instance for every line. */
export class LineTokens {
  /** Bit `i` set: letter `i` (A=0) appeared as a parameter word. */
  present = 0;
  /** Bit `i` set: letter `i` carried a number, in {@link values}[i]. */
  valued = 0;
  readonly values = new Float64Array(26);
  /** G and M words in order of appearance. `cmdSub` is -1 without a subcode. */
  cmdCount = 0;
  readonly cmdLetter = new Uint8Array(MAX_COMMANDS);
  readonly cmdMajor = new Int32Array(MAX_COMMANDS);
  readonly cmdSub = new Int32Array(MAX_COMMANDS);
  /** The `N` line number, or -1. */
  lineNumber = -1;
  /** The stated checksum after `*`, or -1; and the XOR of the bytes before `*`. */
  checksumStated = -1;
  checksumComputed = 0;
  /** Index into {@link SYNTAX_ERRORS}; 0 = the line is well formed. */
  syntaxError = 0;
  /** A parenthesis comment a firmware without paren comments (Marlin's default) could read as words. */
  private parenRisk = false;
  /** Byte range of a Klipper-style extended command name, or -1. */
  extStart = -1;
  extEnd = -1;
  /** End of the line's content (before its CR LF / CR / LF). */
  contentEnd = 0;
  /** Whether the last {@link read} found the line's end (false: the range ended first). */
  terminated = false;
  /** The line ended at a CR that was the range's last byte: an LF right after it belongs to it. */
  crAtEnd = false;

  private readonly num = new DecimalReader();

  /**
   * Read one line starting at `start`: up to its LF, CR LF or lone CR, or to `end`. Returns where
   * the next line starts; {@link terminated} tells whether the line's end was found (if not, the
   * caller holds the bytes until more arrive, and reads the whole line again).
   * @throws FabgateError `GCODE_BINARY_INPUT` on NUL and other control bytes.
   */
  read(buf: Uint8Array, start: number, end: number): number {
    this.parenRisk = false;
    this.terminated = false;
    this.crAtEnd = false;
    this.present = 0;
    this.valued = 0;
    this.cmdCount = 0;
    this.lineNumber = -1;
    this.checksumStated = -1;
    this.syntaxError = 0;
    this.extStart = -1;
    let p = start;
    let next = -1;
    let first = true;
    let sawWord = false;
    while (p < end) {
      const c = buf[p]!;
      if (c === 32) {
        p++;
        continue;
      }
      const k = CLASS[c]!;
      if (k === WS) {
        p++;
      } else if (k === LETTER && (!first || ((c & 0xdf) !== 78 && p + 1 < end && CLASS[buf[p + 1]!] === DIGIT))) {
        // the hot path: `G1`, `M104`, or a parameter word with a plain decimal (`X57.733`, `E-2`)
        first = false;
        sawWord = true;
        if (c >= 97) {
          this.syntaxError = E_LOWERCASE;
          next = this.finishBad(buf, p, end);
          break;
        }
        const letter = (c & 0xdf) - 65;
        if (letter === 6 || letter === 12) {
          // `G1`, `M104`: a plain command number; subcodes, text commands and the rest go the careful way
          let q = p + 1;
          let d = q < end ? buf[q]! : 32;
          let major = 0;
          let digits = 0;
          while (d >= 48 && d <= 57) {
            major = major * 10 + (d - 48);
            digits++;
            d = ++q < end ? buf[q]! : 32;
          }
          const i = this.cmdCount;
          if (digits > 0 && digits <= 5 && BOUNDARY[d] === 1 && i < MAX_COMMANDS && (letter === 6 || major >= 1000 || TEXT_M[major] === 0)) {
            this.cmdLetter[i] = letter;
            this.cmdMajor[i] = major;
            this.cmdSub[i] = -1;
            this.cmdCount = i + 1;
            p = d === 32 && q < end ? q + 1 : q; // the usual space after a word, already read
            continue;
          }
          p = this.command(buf, p + 1, end, letter);
          if (this.syntaxError !== 0) {
          next = this.finishBad(buf, p, end);
          break;
        }
          if (p < 0) p = -p - 1;
          continue;
        }
        const b = 1 << letter;
        if ((this.present & b) === 0) {
          let q = p + 1;
          let d = q < end ? buf[q]! : 32;
          let negative = false;
          if (d === 45) {
            negative = true;
            d = ++q < end ? buf[q]! : 32;
          }
          const numStart = q;
          // at most 15 digits in all (leading zeros included) keep `mant` exact; longer goes slow.
          // Digit counts come from positions, so each byte costs one test, one load, one step.
          let mant = 0;
          while (d >= 48 && d <= 57) {
            mant = mant * 10 + (d - 48);
            d = ++q < end ? buf[q]! : 32;
          }
          let digits = q - numStart;
          let frac = 0;
          if (d === 46) {
            const fracStart = ++q;
            d = q < end ? buf[q]! : 32;
            while (d >= 48 && d <= 57) {
              mant = mant * 10 + (d - 48);
              d = ++q < end ? buf[q]! : 32;
            }
            frac = q - fracStart;
            digits += frac;
          }
          if (digits > 0 && BOUNDARY[d] === 1) {
            const v = digits > FAST_DIGITS ? this.num.read(buf, numStart, end) : frac === 0 ? mant : mant / POW10[frac]!;
            this.values[letter] = negative ? -v : v;
            this.present |= b;
            this.valued |= b;
            p = d === 32 && q < end ? q + 1 : q;
            continue;
          }
        }
        p = this.word(buf, p, end, 0); // anything unusual: the careful path decides
        if (this.syntaxError !== 0) {
          next = this.finishBad(buf, p, end);
          break;
        }
        if (p < 0) p = -p - 1;
      } else if (k === LETTER) {
        const lineNumberWord: boolean = first && this.lineNumber < 0 && (c & 0xdf) === 78 && p + 1 < end && CLASS[buf[p + 1]!] === DIGIT;
        p = this.word(buf, p, end, first && !lineNumberWord ? 2 : lineNumberWord ? 1 : 0);
        first = lineNumberWord;
        sawWord = true;
        if (this.syntaxError !== 0) {
          next = this.finishBad(buf, p, end);
          break;
        }
        if (p < 0) {
          // a text command or extended command consumed the rest; -p-1 is where it stopped
          p = -p - 1;
        }
      } else if (k === SEMI) {
        next = this.comment(buf, p + 1, end);
        break;
      } else if (k === CR) {
        next = this.lineBreak(buf, p, end);
        break;
      } else if (k === LPAREN) {
        if (!sawWord) this.parenRisk = true; // `(…) G1 X10`: Marlin would not run this line at all
        p = this.parenComment(buf, p + 1, end);
        if (this.syntaxError !== 0) {
          next = this.finishBad(buf, p, end);
          break;
        }
      } else if (k === STAR) {
        next = this.checksum(buf, start, p, end);
        break;
      } else if (k === BINARY) {
        throw binary(c);
      } else if (k === SLASH && first && !sawWord) {
        p++; // block delete: the line is checked as if it runs
      } else if (k === PERCENT && !sawWord) {
        // `%` program delimiter (CNC): nothing else may follow except a comment
        p++;
        sawWord = true;
        first = false;
      } else {
        this.syntaxError = k === HIGH ? E_NON_ASCII : E_UNEXPECTED;
        next = this.finishBad(buf, p, end);
        break;
      }
    }
    if (next < 0) {
      this.contentEnd = end;
      next = end;
    }
    if (this.parenRisk && this.syntaxError === 0 && (this.cmdCount > 0 || this.present !== 0 || this.extStart >= 0)) {
      this.syntaxError = E_WORDS_IN_COMMENT;
    }
    return next;
  }

  /**
   * Reads one word at `p` (a letter). `position` is 1 for the line-number word, 2 for the first
   * other word (where an extended command may start), 0 otherwise. Returns the index after the
   * word, or `-(index)-1` when the rest of the line was consumed as text.
   */
  private word(buf: Uint8Array, p: number, end: number, position: number): number {
    const letter = (buf[p]! & 0xdf) - 65;
    const after = p + 1 < end ? buf[p + 1]! : 32;
    if (position === 2 && (CLASS[after] === LETTER || after === 95 /* _ */)) return this.extended(buf, p, end);
    if (buf[p]! >= 97) return this.fail(E_LOWERCASE, p);
    p++;
    if (letter === 6 /* G */ || letter === 12 /* M */) return this.command(buf, p, end, letter);
    if (position === 1) {
      let v = 0;
      let digits = 0;
      let c = 0;
      while (p < end && (c = buf[p]! - 48) >= 0 && c <= 9) {
        v = v * 10 + c;
        digits++;
        p++;
      }
      if (digits === 0 || digits > 9 || !boundary(buf, p, end)) return this.fail(E_NUMBER, p);
      this.lineNumber = v;
      return p;
    }
    const bit = 1 << letter;
    if ((this.present & bit) !== 0) {
      this.syntaxError = E_DUPLICATE;
      return p;
    }
    this.present |= bit;
    if (p >= end) return p;
    let c = buf[p]!;
    let k = CLASS[c]!;
    if (k === WS) {
      // `X 10` is malformed (see the file comment); `X Y`, `E ;`, `P "name"` are fine
      let q = p + 1;
      while (q < end && CLASS[buf[q]!] === WS) q++;
      const n = q < end ? CLASS[buf[q]!]! : WS;
      if (n === DIGIT || n === DOT || n === SIGN) {
        this.syntaxError = E_SPACE;
        return q;
      }
      if (n !== QUOTE) return p;
      p = q;
      c = buf[p]!;
      k = QUOTE;
    }
    if (k === QUOTE) return this.quoted(buf, p + 1, end);
    let negative = false;
    if (k === SIGN) {
      negative = c === 45;
      p++;
    }
    const v = this.num.read(buf, p, end);
    if (this.num.digits === 0) {
      if (negative || c === 43 || c === 46) this.syntaxError = E_NUMBER;
      else if (!boundary(buf, p, end)) this.syntaxError = CLASS[buf[p]!] === HIGH ? E_NON_ASCII : E_UNEXPECTED;
      return p;
    }
    if (!boundary(buf, this.num.end, end)) {
      this.syntaxError = E_NUMBER;
      return this.num.end;
    }
    this.values[letter] = negative ? -v : v;
    this.valued |= bit;
    return this.num.end;
  }

  /** `G`/`M` followed by `digits [. digits]`. */
  private command(buf: Uint8Array, p: number, end: number, letter: number): number {
    let major = 0;
    let digits = 0;
    let c = 0;
    while (p < end && (c = buf[p]! - 48) >= 0 && c <= 9) {
      major = major * 10 + c;
      digits++;
      p++;
    }
    let sub = -1;
    if (digits > 0 && p < end && buf[p] === 46) {
      p++;
      sub = 0;
      let subDigits = 0;
      while (p < end && (c = buf[p]! - 48) >= 0 && c <= 9) {
        sub = sub * 10 + c;
        subDigits++;
        p++;
      }
      if (subDigits === 0 || subDigits > 3) digits = 0;
    }
    if (digits === 0 || digits > 5 || !boundary(buf, p, end)) {
      this.syntaxError = E_COMMAND;
      return p;
    }
    const i = this.cmdCount;
    if (i === MAX_COMMANDS) {
      this.syntaxError = E_TOO_MANY;
      return p;
    }
    this.cmdLetter[i] = letter;
    this.cmdMajor[i] = major;
    this.cmdSub[i] = sub;
    this.cmdCount = i + 1;
    if (letter === 12 && major < 1000 && TEXT_M[major] === 1) return -this.text(buf, p, end) - 1;
    return p;
  }

  /** A Klipper-style extended command: remember its name, treat the rest as text. */
  private extended(buf: Uint8Array, p: number, end: number): number {
    this.extStart = p;
    let q = p;
    while (q < end) {
      const c = buf[q]!;
      if (CLASS[c] === LETTER || CLASS[c] === DIGIT || c === 95) q++;
      else break;
    }
    this.extEnd = q;
    return -this.text(buf, q, end) - 1;
  }

  /** Text up to `;`, `*` or the end of the line; returns where it stopped. */
  private text(buf: Uint8Array, p: number, end: number): number {
    while (p < end) {
      const c = buf[p]!;
      const k = CLASS[c]!;
      if (k === SEMI || k === STAR || k === CR) return p;
      if (k === BINARY) throw binary(c);
      p++;
    }
    return p;
  }

  /** A quoted string argument; `""` inside is an escaped quote (RepRapFirmware). */
  private quoted(buf: Uint8Array, p: number, end: number): number {
    while (p < end) {
      const c = buf[p]!;
      if (c === 34) {
        if (p + 1 < end && buf[p + 1] === 34) {
          p += 2;
          continue;
        }
        return p + 1 < end && !boundary(buf, p + 1, end) ? this.fail(E_UNEXPECTED, p + 1) : p + 1;
      }
      const k = CLASS[c]!;
      if (k === BINARY) throw binary(c);
      if (k === CR) break;
      p++;
    }
    return this.fail(E_STRING, p);
  }

  private fail(code: number, p: number): number {
    this.syntaxError = code;
    return p;
  }

  /** `( … )`; returns the index after `)`. A comment left open is malformed. */
  private parenComment(buf: Uint8Array, p: number, end: number): number {
    let afterLetter = false; // the last non-space byte was a letter
    while (p < end) {
      const c = buf[p]!;
      if (c === 41) return p + 1;
      const k = CLASS[c]!;
      if (k === BINARY) throw binary(c);
      if (k === CR) break;
      if (afterLetter && (k === DIGIT || k === DOT || k === SIGN)) this.parenRisk = true;
      if (k !== WS) afterLetter = k === LETTER;
      p++;
    }
    return this.fail(E_UNCLOSED, p);
  }

  /** `;` comment: skip to the end of the line, still watching for CR and binary bytes. */
  private comment(buf: Uint8Array, p: number, end: number): number {
    while (p < end) {
      const c = buf[p]!;
      if (c < 32 || c === 127) {
        if (c === 13 || c === 10) return this.lineBreak(buf, p, end);
        if (c !== 9 && c !== 11 && c !== 12) throw binary(c);
      }
      p++;
    }
    this.contentEnd = end;
    return end;
  }

  /** `*nn` checksum: XOR of every byte of the line before `*`. Only a comment may follow. */
  private checksum(buf: Uint8Array, start: number, star: number, end: number): number {
    let x = 0;
    for (let i = start; i < star; i++) x ^= buf[i]!;
    this.checksumComputed = x;
    let p = star + 1;
    let v = 0;
    let digits = 0;
    let c = 0;
    while (p < end && (c = buf[p]! - 48) >= 0 && c <= 9) {
      v = v * 10 + c;
      digits++;
      p++;
    }
    if (digits === 0 || digits > 3 || v > 255) {
      this.syntaxError = E_NUMBER;
      return this.finishBad(buf, p, end);
    }
    this.checksumStated = v;
    while (p < end && CLASS[buf[p]!] === WS) p++;
    if (p >= end) {
      this.contentEnd = end;
      return end;
    }
    const k = CLASS[buf[p]!]!;
    if (k === SEMI) return this.comment(buf, p + 1, end);
    if (k === CR) return this.lineBreak(buf, p, end);
    this.syntaxError = E_AFTER_CHECKSUM;
    return this.finishBad(buf, p, end);
  }

  /** The line ends at `at` (LF or CR); CR LF counts as one line end. Returns where the next line starts. */
  private lineBreak(buf: Uint8Array, at: number, end: number): number {
    this.contentEnd = at;
    this.terminated = true;
    if (buf[at] !== 13) return at + 1;
    if (at + 1 >= end) {
      this.crAtEnd = true;
      return end;
    }
    return buf[at + 1] === 10 ? at + 2 : at + 1;
  }

  /** After a syntax error: find the end of the line, still refusing binary bytes. */
  private finishBad(buf: Uint8Array, p: number, end: number): number {
    return this.comment(buf, p, end);
  }
}

/** May a word end here? (whitespace, another word, a comment, a checksum, a string, the end) */
function boundary(buf: Uint8Array, p: number, end: number): boolean {
  return p >= end || BOUNDARY[buf[p]!] === 1;
}

function binary(byte: number): FabgateError {
  return new FabgateError('GCODE_BINARY_INPUT', `control byte 0x${byte.toString(16).padStart(2, '0')} in G-code text: not a text G-code file`, 'invalid_input', { byte });
}
