import { Transform, type TransformCallback } from 'node:stream';
import { designError } from './errors.js';

/**
 * The 3MF Cipher File format (Secure Content Appendix D): every encrypted part
 * starts with a little-endian header, then the AES-GCM ciphertext.
 *
 * | octets | value |
 * |---|---|
 * | 0–4 | `%3McF` magic |
 * | 5, 6 | version major, minor: 0, 0 |
 * | 7 | unused, 0 |
 * | 8–11 | header length from octet 0, uint32 LE, at least 12 (at most 2^31) |
 * | 12 – (length − 1) | reserved header data (skipped) |
 */

export const CIPHER_MAGIC = Buffer.from('%3McF', 'latin1');
export const CIPHER_HEADER_LENGTH = 12;
const MAX_HEADER_LENGTH = 2 ** 31;

/** The 12-byte version-0 header Fabgate writes (no reserved data, as lib3mf writes). */
export function cipherHeader(): Buffer {
  const header = Buffer.alloc(CIPHER_HEADER_LENGTH);
  CIPHER_MAGIC.copy(header, 0);
  header.writeUInt32LE(CIPHER_HEADER_LENGTH, 8);
  return header;
}

function invalid(part: string, message: string) {
  return designError('DESIGN_CIPHER_HEADER_INVALID', `'${part}': ${message}`, { part });
}

/**
 * Strips and checks the cipher file header, passing the ciphertext on. The
 * reserved header data is bounded by `maxHeaderBytes` (it is never buffered
 * beyond that).
 */
export class CipherHeaderStripper extends Transform {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #headerLength: number | undefined;
  #skipped = 0;
  #done = false;

  constructor(
    private readonly part: string,
    private readonly maxHeaderBytes = 64 * 1024,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.#done) return cb(null, chunk);
    if (this.#headerLength === undefined) {
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
      if (this.#pendingBytes < CIPHER_HEADER_LENGTH) return cb();
      const head = Buffer.concat(this.#pending);
      this.#pending = [];
      this.#pendingBytes = 0;
      if (!head.subarray(0, 5).equals(CIPHER_MAGIC)) return cb(invalid(this.part, 'does not start with the %3McF magic'));
      if (head[5] !== 0 || head[6] !== 0) return cb(invalid(this.part, `cipher file version ${head[5]}.${head[6]} is not 0.0`));
      if (head[7] !== 0) return cb(invalid(this.part, 'the unused header byte is not 0'));
      const length = head.readUInt32LE(8);
      if (length < CIPHER_HEADER_LENGTH || length > MAX_HEADER_LENGTH) return cb(invalid(this.part, `header length ${length} is out of range`));
      if (length > this.maxHeaderBytes) return cb(invalid(this.part, `header length ${length} exceeds ${this.maxHeaderBytes} bytes`));
      this.#headerLength = length;
      this.#skipped = CIPHER_HEADER_LENGTH;
      chunk = head.subarray(CIPHER_HEADER_LENGTH);
    }
    const skip = Math.min(this.#headerLength - this.#skipped, chunk.length);
    this.#skipped += skip;
    if (this.#skipped === this.#headerLength) {
      this.#done = true;
      if (skip < chunk.length) return cb(null, chunk.subarray(skip));
    }
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (!this.#done) return cb(invalid(this.part, 'ends inside its cipher file header'));
    cb();
  }
}
