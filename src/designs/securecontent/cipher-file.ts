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
 * Takes the cipher file header off the front of a part's chunks and checks
 * it, handing back the ciphertext. The reserved header data is bounded by
 * `maxHeaderBytes` and skipped, never buffered; the few bytes of a fixed header
 * split across chunks are copied, so no reference to a chunk is kept (callers
 * may reuse their chunk buffers, see file-chunks.ts).
 */
export class CipherHeaderReader {
  #head = Buffer.alloc(CIPHER_HEADER_LENGTH);
  #headBytes = 0;
  #headerLength: number | undefined;
  #skipped = 0;
  #done = false;

  constructor(
    private readonly part: string,
    private readonly maxHeaderBytes = 64 * 1024,
  ) {}

  /** The ciphertext within `chunk` (a view of it; empty while still inside the header). */
  take(chunk: Buffer): Buffer {
    if (this.#done) return chunk;
    if (this.#headerLength === undefined) {
      const n = Math.min(CIPHER_HEADER_LENGTH - this.#headBytes, chunk.length);
      chunk.copy(this.#head, this.#headBytes, 0, n);
      this.#headBytes += n;
      chunk = chunk.subarray(n);
      if (this.#headBytes < CIPHER_HEADER_LENGTH) return chunk;
      const head = this.#head;
      if (!head.subarray(0, 5).equals(CIPHER_MAGIC)) throw invalid(this.part, 'does not start with the %3McF magic');
      if (head[5] !== 0 || head[6] !== 0) throw invalid(this.part, `cipher file version ${head[5]}.${head[6]} is not 0.0`);
      if (head[7] !== 0) throw invalid(this.part, 'the unused header byte is not 0');
      const length = head.readUInt32LE(8);
      if (length < CIPHER_HEADER_LENGTH || length > MAX_HEADER_LENGTH) throw invalid(this.part, `header length ${length} is out of range`);
      if (length > this.maxHeaderBytes) throw invalid(this.part, `header length ${length} exceeds ${this.maxHeaderBytes} bytes`);
      this.#headerLength = length;
      this.#skipped = CIPHER_HEADER_LENGTH;
    }
    const skip = Math.min(this.#headerLength - this.#skipped, chunk.length);
    this.#skipped += skip;
    if (this.#skipped === this.#headerLength) this.#done = true;
    return chunk.subarray(skip);
  }

  /** Throws if the part ended inside its header. */
  end(): void {
    if (!this.#done) throw invalid(this.part, 'ends inside its cipher file header');
  }
}
