/**
 * The streaming G-code envelope checker: bytes in (any chunking), verdicts out.
 *
 * `createChecker(envelope)` returns a pure incremental checker: `push` chunks as they arrive,
 * `end()` for the result. Memory stays flat whatever the file size: one carried partial line
 * (at most `maxLineBytes`), a fixed modal state, and at most `maxViolations` recorded violations
 * (the rest are only counted), so a hostile file cannot exhaust memory. Lines are never turned
 * into strings or objects; the tokenizer reads numbers straight from the bytes.
 *
 * The first bytes decide the format: `GCDE` is PrusaSlicer binary G-code, whose G-code blocks are
 * decoded and checked as text (line numbers then count lines of the decoded G-code); anything
 * else is checked as text. Binary data is never parsed as text.
 *
 * For the print-host agent, `onLine` is called after each physical line was checked, in order,
 * with that line's violations, so it can forward the line to the printer or stop the job.
 */
import { createHash, type Hash } from 'node:crypto';
import { FabgateError } from '../shared/errors.js';
import { BgcodeReader, isBgcode } from './bgcode.js';
import type { Envelope } from './envelope.js';
import { LineTokens } from './line-tokenizer.js';
import { Machine, type GcodeStats, type Violation, type ViolationSink } from './machine.js';

export type { GcodeStats, Violation } from './machine.js';

/** The checker's answer, printed as-is by `fabgate gcode check --json`. */
export interface CheckResult {
  /** true when no rule was broken. */
  ok: boolean;
  /** The first `maxViolations` violations in file order; `stats.violation_count` has the total. */
  violations: Violation[];
  stats: GcodeStats;
  /** SHA-256 (hex) of the bytes checked, exactly as received (the .bgcode file, not its decoding). */
  sha256: string;
}

/** One checked line, handed to `onLine`. */
export interface LineVerdict {
  /** 1-based physical line number. */
  readonly line: number;
  /** The line's bytes without its line ending. A view into the checker's buffers: valid only during the call; copy to keep. */
  readonly bytes: Uint8Array;
  /** What this line broke; empty when it may be sent to the machine. */
  readonly violations: readonly Violation[];
}

export interface CheckOptions {
  /** Called for every physical line after it was checked, in file order. */
  onLine?: (verdict: LineVerdict) => void;
  /** Violations kept in the result (default 1000); later ones are only counted. */
  maxViolations?: number;
  /** Longest accepted line in bytes, without its line ending (default 64 KiB). */
  maxLineBytes?: number;
}

export interface GcodeChecker {
  /** Check the next chunk. @throws FabgateError for input that is not checkable G-code (binary, overlong line, corrupt .bgcode). */
  push(chunk: Uint8Array): void;
  /** The input ended: finish the last line and return the result. */
  end(): CheckResult;
}

export const DEFAULT_MAX_VIOLATIONS = 1000;
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

const NO_VIOLATIONS: readonly Violation[] = Object.freeze([]);
const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * Create an incremental checker for one program.
 * @example
 * const checker = createChecker(parseEnvelope(ticket.envelope));
 * for await (const chunk of stream) checker.push(chunk);
 * const { ok, violations } = checker.end();
 */
export function createChecker(envelope: Envelope, options: CheckOptions = {}): GcodeChecker {
  return new Checker(envelope, options);
}

/** Check a whole program held in memory. */
export function checkBytes(bytes: Uint8Array, envelope: Envelope, options?: CheckOptions): CheckResult {
  const checker = createChecker(envelope, options);
  checker.push(bytes);
  return checker.end();
}

class Checker implements GcodeChecker, ViolationSink {
  private readonly hash: Hash = createHash('sha256');
  private readonly tokens = new LineTokens();
  private readonly machine: Machine;
  private readonly onLine: ((v: LineVerdict) => void) | undefined;
  private readonly maxViolations: number;
  private readonly maxLine: number;
  private readonly recorded: Violation[] = [];
  private violationCount = 0;
  private lineViolations: Violation[] | null = null;
  private lineNo = 0;
  private bytes = 0;
  private failed: unknown = null;
  private ended = false;
  // format sniffing: the first 4 bytes decide text or .bgcode
  private head: Uint8Array | null = new Uint8Array(4);
  private headLen = 0;
  private bgcode: BgcodeReader | null = null;
  private bomChecked = false;
  // a line cut by the end of a chunk
  private carry: Uint8Array;
  private carryLen = 0;
  /** The last line read ended at a CR that ended its chunk: an LF starting the next chunk belongs to it. */
  private pendingCR = false;

  constructor(envelope: Envelope, options: CheckOptions) {
    this.machine = new Machine(envelope, this);
    this.onLine = options.onLine;
    this.maxViolations = options.maxViolations ?? DEFAULT_MAX_VIOLATIONS;
    this.maxLine = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.carry = new Uint8Array(Math.min(this.maxLine + 2, 4096));
  }

  report(v: Violation): void {
    this.violationCount++;
    if (this.recorded.length < this.maxViolations) this.recorded.push(v);
    if (this.onLine !== undefined) (this.lineViolations ??= []).push(v);
  }

  push(chunk: Uint8Array): void {
    if (this.failed !== null) throw this.failed;
    if (this.ended) throw new FabgateError('GCODE_CHECKER_ENDED', 'push after end', 'internal');
    this.hash.update(chunk);
    this.bytes += chunk.length;
    try {
      // A Buffer is a Uint8Array subclass with its own hidden class: give the tokenizer one kind
      // of array only (chunks as plain Uint8Array views, like the carry), so its byte loads stay
      // monomorphic.
      this.route(chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    } catch (e) {
      this.failed = e;
      throw e;
    }
  }

  end(): CheckResult {
    if (this.failed !== null) throw this.failed;
    if (this.ended) throw new FabgateError('GCODE_CHECKER_ENDED', 'end called twice', 'internal');
    this.ended = true;
    try {
      if (this.head !== null) {
        // fewer than 4 bytes in all: text
        const head = this.head.subarray(0, this.headLen);
        this.head = null;
        this.text(head);
      }
      if (this.bgcode !== null) this.bgcode.end();
      if (this.carryLen > 0) {
        // the last line, without a line end
        const n = this.carryLen;
        this.carryLen = 0;
        this.line(this.carry, 0, n);
      }
    } catch (e) {
      this.failed = e;
      throw e;
    }
    const stats: GcodeStats = {
      format: this.bgcode !== null ? 'bgcode' : 'gcode',
      bytes: this.bytes,
      lines: this.lineNo,
      ...this.machine.stats(),
      violation_count: this.violationCount,
    };
    return { ok: this.violationCount === 0, violations: this.recorded, stats, sha256: this.hash.digest('hex') };
  }

  /** Until 4 bytes are known, hold them; then send everything to the text or the .bgcode path. */
  private route(chunk: Uint8Array): void {
    if (this.head !== null) {
      const k = Math.min(4 - this.headLen, chunk.length);
      this.head.set(chunk.subarray(0, k), this.headLen);
      this.headLen += k;
      if (this.headLen < 4) return;
      const head = this.head;
      this.head = null;
      if (isBgcode(head)) this.bgcode = new BgcodeReader((text) => this.text(text));
      if (this.bgcode !== null) this.bgcode.push(head);
      else this.text(head);
      chunk = chunk.subarray(k);
    }
    if (this.bgcode !== null) this.bgcode.push(chunk);
    else this.text(chunk);
  }

  /**
   * Text G-code: the tokenizer finds each line's end itself (LF, CR LF or lone CR) as it reads
   * the line, so the bytes are scanned once. A line cut by the end of the chunk is carried.
   */
  private text(chunk: Uint8Array): void {
    let pos = 0;
    const end = chunk.length;
    if (!this.bomChecked) {
      // A UTF-8 byte order mark at the very start is an editor artefact, not a character. The
      // first call always sees the first 4 bytes at once (or the whole input, if shorter).
      this.bomChecked = true;
      if (end >= 3 && chunk[0] === UTF8_BOM[0] && chunk[1] === UTF8_BOM[1] && chunk[2] === UTF8_BOM[2]) pos = 3;
    }
    if (this.pendingCR && pos < end) {
      this.pendingCR = false;
      if (chunk[pos] === 10) pos++; // the LF of a CR LF cut between chunks
    }
    if (this.carryLen > 0) {
      // finish the carried line with this chunk's bytes up to and including its line end
      let q = pos;
      while (q < end && chunk[q] !== 10 && chunk[q] !== 13) q++;
      if (q === end) return this.carryMore(chunk, pos, end);
      this.carryMore(chunk, pos, q);
      let after = q + 1;
      if (chunk[q] === 13 && after < end && chunk[after] === 10) after++;
      this.copyToCarry(chunk, q, after);
      const n = this.carryLen;
      this.carryLen = 0;
      this.line(this.carry, 0, n);
      this.pendingCR = after === end && chunk[q] === 13; // the carry ends at a CR; only the chunk's end leaves its LF open
      pos = after;
    }
    const tokens = this.tokens;
    while (pos < end) {
      const next = tokens.read(chunk, pos, end);
      if (!tokens.terminated) return this.carryMore(chunk, pos, end);
      this.checkLine(chunk, pos);
      pos = next;
    }
  }

  /** Read and check the one line in buf[s, e) (with its line end, or the last line of the input). */
  private line(buf: Uint8Array, s: number, e: number): void {
    this.tokens.read(buf, s, e);
    this.checkLine(buf, s);
  }

  /** The tokenizer has read the line starting at `s`: run it, report it. */
  private checkLine(buf: Uint8Array, s: number): void {
    const tokens = this.tokens;
    const line = ++this.lineNo;
    if (tokens.contentEnd - s > this.maxLine) throw this.tooLong(line);
    if (tokens.crAtEnd) this.pendingCR = true;
    this.machine.execute(tokens, line, tokens.extStart >= 0 ? latin1(buf, tokens.extStart, tokens.extEnd) : null);
    if (this.onLine !== undefined) {
      const violations = this.lineViolations ?? NO_VIOLATIONS;
      this.lineViolations = null;
      this.onLine({ line, bytes: buf.subarray(s, tokens.contentEnd), violations });
    }
  }

  /** More of a line without its end yet: keep it, unless the line is already too long. */
  private carryMore(src: Uint8Array, s: number, e: number): void {
    if (this.carryLen + (e - s) > this.maxLine) throw this.tooLong(this.lineNo + 1);
    this.copyToCarry(src, s, e);
  }

  private copyToCarry(src: Uint8Array, s: number, e: number): void {
    const n = this.carryLen + (e - s);
    if (n > this.carry.length) {
      const bigger = new Uint8Array(Math.min(Math.max(n, this.carry.length * 2), this.maxLine + 2));
      bigger.set(this.carry.subarray(0, this.carryLen));
      this.carry = bigger;
    }
    this.carry.set(src.subarray(s, e), this.carryLen);
    this.carryLen = n;
  }

  private tooLong(line: number): FabgateError {
    return new FabgateError('GCODE_LINE_TOO_LONG', `line ${line} is longer than ${this.maxLine} bytes`, 'too_large', { line, limit: this.maxLine });
  }
}

function latin1(buf: Uint8Array, s: number, e: number): string {
  let out = '';
  for (let i = s; i < e; i++) out += String.fromCharCode(buf[i]!);
  return out;
}
