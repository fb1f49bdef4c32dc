/**
 * PrusaSlicer binary G-code (`.bgcode`), read as a stream of blocks (prusa3d/libbgcode
 * `doc/specifications.md`): a 10-byte file header (magic `GCDE`, version 1, checksum type),
 * then blocks of header (type, compression, sizes), parameters, data and an optional CRC32.
 *
 * Only G-code blocks (type 1) are decoded and handed on as text; metadata and thumbnail blocks
 * are checked for integrity and skipped. Every block's CRC32 is verified when the file declares
 * one: it detects corruption, not tampering (anyone can recompute it; the ticket's hash of the
 * whole file is what binds it). Sizes are capped so that a hostile header cannot make the
 * reader allocate gigabytes.
 */
import { crc32, inflateSync } from 'node:zlib';
import { FabgateError } from '../shared/errors.js';
import { heatshrinkDecode } from './heatshrink.js';
import { meatpackDecode } from './meatpack.js';

/** `GCDE` as the file's first four bytes. */
export const BGCODE_MAGIC = new Uint8Array([0x47, 0x43, 0x44, 0x45]);

/** Largest block (compressed or decompressed) accepted; PrusaSlicer writes 64 KiB G-code blocks. */
export const MAX_BGCODE_BLOCK_BYTES = 16 * 1024 * 1024;

const FILE_HEADER_BYTES = 10;
const BLOCK_GCODE = 1;
const BLOCK_THUMBNAIL = 5;
const COMPRESSION_NONE = 0;
const COMPRESSION_DEFLATE = 1;
const COMPRESSION_HEATSHRINK_11_4 = 2;
const COMPRESSION_HEATSHRINK_12_4 = 3;
/** G-code encodings: 0 none, 1 MeatPack, 2 MeatPack keeping comment lines (both decode alike). */
const ENCODING_NONE = 0;
const ENCODING_MEATPACK_COMMENTS = 2;

/** What the next `need` bytes are. */
const FILE_HEADER = 0;
const BLOCK_HEADER = 1;
const COMPRESSED_SIZE = 2;
const BLOCK_BODY = 3;

/**
 * Incremental reader: `push` raw bytes, receive decoded G-code text through `onText`.
 * @throws FabgateError `GCODE_BGCODE_MALFORMED`, `GCODE_BGCODE_UNSUPPORTED`, `GCODE_BGCODE_CORRUPT`,
 *   `GCODE_BGCODE_CHECKSUM`, `GCODE_BGCODE_TRUNCATED` (kind `invalid_input`), `GCODE_BGCODE_BLOCK_TOO_LARGE` (`too_large`).
 */
export class BgcodeReader {
  private readonly queue: Uint8Array[] = [];
  private queued = 0;
  private stage = FILE_HEADER;
  private need = FILE_HEADER_BYTES;
  private hasCrc = false;
  private seenGcode = false;
  // current block
  private type = 0;
  private compression = 0;
  private uncompressedSize = 0;
  private headerCrc = 0;
  /** G-code blocks decoded so far. */
  gcodeBlocks = 0;

  constructor(private readonly onText: (text: Uint8Array) => void) {}

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.queue.push(chunk);
    this.queued += chunk.length;
    while (this.queued >= this.need) this.step(this.take(this.need));
  }

  /** The input ended: it must end between blocks, after at least one G-code block (they come last). */
  end(): void {
    if (this.stage !== BLOCK_HEADER || this.queued !== 0) {
      throw new FabgateError('GCODE_BGCODE_TRUNCATED', 'binary G-code ends in the middle of a block', 'invalid_input');
    }
    if (!this.seenGcode) throw new FabgateError('GCODE_BGCODE_TRUNCATED', 'binary G-code ends before its G-code blocks', 'invalid_input');
  }

  private step(bytes: Uint8Array): void {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (this.stage === FILE_HEADER) {
      for (let i = 0; i < 4; i++) if (bytes[i] !== BGCODE_MAGIC[i]) throw malformed('missing GCDE magic');
      const version = view.getUint32(4, true);
      if (version !== 1) throw unsupported(`file version ${version} (only 1 is specified)`);
      const checksum = view.getUint16(8, true);
      if (checksum > 1) throw unsupported(`checksum type ${checksum}`);
      this.hasCrc = checksum === 1;
      this.stage = BLOCK_HEADER;
      this.need = 8;
      return;
    }
    if (this.stage === BLOCK_HEADER) {
      this.type = view.getUint16(0, true);
      this.compression = view.getUint16(2, true);
      this.uncompressedSize = view.getUint32(4, true);
      if (this.type > BLOCK_THUMBNAIL) throw malformed(`unknown block type ${this.type}`);
      if (this.compression > COMPRESSION_HEATSHRINK_12_4) throw unsupported(`compression ${this.compression}`);
      if (this.seenGcode && this.type !== BLOCK_GCODE) throw malformed('a metadata block after the G-code blocks');
      this.headerCrc = crc32(bytes);
      if (this.compression === COMPRESSION_NONE) return this.startBody(this.uncompressedSize);
      this.stage = COMPRESSED_SIZE; // the header's 4 more bytes
      this.need = 4;
      return;
    }
    if (this.stage === COMPRESSED_SIZE) {
      this.headerCrc = crc32(bytes, this.headerCrc);
      return this.startBody(view.getUint32(0, true));
    }
    // block body: parameters, data, CRC
    const paramBytes = this.type === BLOCK_THUMBNAIL ? 6 : 2;
    const dataEnd = bytes.length - (this.hasCrc ? 4 : 0);
    if (this.hasCrc) {
      const stated = view.getUint32(dataEnd, true);
      const actual = crc32(bytes.subarray(0, dataEnd), this.headerCrc);
      if (stated !== actual) throw new FabgateError('GCODE_BGCODE_CHECKSUM', `block CRC32 mismatch (block type ${this.type})`, 'invalid_input');
    }
    if (this.type === BLOCK_GCODE) {
      this.seenGcode = true;
      this.gcodeBlocks++;
      const encoding = view.getUint16(0, true);
      this.onText(this.decodeGcode(bytes.subarray(paramBytes, dataEnd), encoding));
    }
    this.stage = BLOCK_HEADER;
    this.need = 8;
  }

  private startBody(dataSize: number): void {
    if (dataSize > MAX_BGCODE_BLOCK_BYTES || this.uncompressedSize > MAX_BGCODE_BLOCK_BYTES) {
      throw new FabgateError(
        'GCODE_BGCODE_BLOCK_TOO_LARGE',
        `block of ${Math.max(dataSize, this.uncompressedSize)} bytes exceeds ${MAX_BGCODE_BLOCK_BYTES}`,
        'too_large',
      );
    }
    this.stage = BLOCK_BODY;
    this.need = (this.type === BLOCK_THUMBNAIL ? 6 : 2) + dataSize + (this.hasCrc ? 4 : 0);
  }

  private decodeGcode(data: Uint8Array, encoding: number): Uint8Array {
    if (encoding > ENCODING_MEATPACK_COMMENTS) throw unsupported(`G-code encoding ${encoding}`);
    let raw: Uint8Array;
    switch (this.compression) {
      case COMPRESSION_NONE:
        raw = data;
        break;
      case COMPRESSION_DEFLATE:
        try {
          raw = inflateSync(data, { maxOutputLength: Math.max(1, this.uncompressedSize) });
        } catch (e) {
          throw new FabgateError('GCODE_BGCODE_CORRUPT', `deflate stream: ${(e as Error).message}`, 'invalid_input');
        }
        if (raw.length !== this.uncompressedSize) {
          throw new FabgateError('GCODE_BGCODE_CORRUPT', `deflate gave ${raw.length} bytes, the block header states ${this.uncompressedSize}`, 'invalid_input');
        }
        break;
      default:
        raw = heatshrinkDecode(data, this.compression === COMPRESSION_HEATSHRINK_11_4 ? 11 : 12, 4, this.uncompressedSize);
    }
    return encoding === ENCODING_NONE ? raw : meatpackDecode(raw);
  }

  /** Remove and return exactly `n` queued bytes. */
  private take(n: number): Uint8Array {
    const head = this.queue[0]!;
    if (head.length === n) {
      this.queue.shift();
      this.queued -= n;
      return head;
    }
    if (head.length > n) {
      this.queue[0] = head.subarray(n);
      this.queued -= n;
      return head.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const c = this.queue[0]!;
      const k = Math.min(c.length, n - o);
      out.set(c.subarray(0, k), o);
      o += k;
      if (k === c.length) this.queue.shift();
      else this.queue[0] = c.subarray(k);
    }
    this.queued -= n;
    return out;
  }
}

/** Does this start look like binary G-code? (needs at least 4 bytes) */
export function isBgcode(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x47 && head[1] === 0x43 && head[2] === 0x44 && head[3] === 0x45;
}

function malformed(why: string): FabgateError {
  return new FabgateError('GCODE_BGCODE_MALFORMED', `binary G-code: ${why}`, 'invalid_input');
}

function unsupported(why: string): FabgateError {
  return new FabgateError('GCODE_BGCODE_UNSUPPORTED', `binary G-code: unsupported ${why}`, 'invalid_input');
}
