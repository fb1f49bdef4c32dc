import { createCipheriv, createDecipheriv } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { createDeflateRaw, createInflateRaw } from 'node:zlib';
import { CIPHER_STEP, markDisposable } from './buffer-release.js';
import { CipherHeaderReader, cipherHeader } from './cipher-file.js';
import { designError, isDesignError } from './errors.js';
import type { Compression } from './keystore.js';
import { chain } from './safe-zip.js';

/**
 * Streaming encryption and decryption of one resource part (Secure Content
 * §2.2.1.1): optional raw DEFLATE (RFC 1951, no zlib header) before AES-256-GCM,
 * the ciphertext stored after the `%3McF` header, the tag kept in the keystore.
 *
 * Memory stays flat: data moves in chunks, never a whole part at once. The
 * input is any async iterable of chunks, each valid until the next one is
 * asked for (so a reader may reuse its buffers, see file-chunks.ts): the cipher
 * consumes every chunk before asking for the next. Its output is fresh memory
 * in 64 KiB steps, marked disposable (buffer-release.ts) so that a file writer
 * of ours can hand it back at once.
 *
 * Release before authentication: a GCM tag is known only at the end of the
 * part, so the decrypting stream emits plaintext before it can verify it and
 * errors at the end when the tag fails. Callers that must never act on
 * unauthenticated bytes either verify the ciphertext first (Fabgate's signed
 * manifest does that before any decryption) or discard everything the stream
 * produced when it errors (the CLI writes to a temporary file and renames it
 * only on success).
 */

export interface PartCipherParams {
  key: Buffer;
  iv: Buffer;
  aad: Buffer;
  compression: Compression;
}

function decryptFailed(part: string, why: string) {
  return designError('DESIGN_DECRYPT_FAILED', `'${part}': ${why}`, { part });
}

/**
 * A byte stream over batches of chunks (a cipher's output for one 1 MiB read,
 * in 64 KiB steps): one pull from the producer per batch, then its chunks are
 * pushed one at a time as the consumer takes them. One at a time matters: a
 * byte stream that holds several chunks hands a paused reader (an async
 * iterator) all of them concatenated, a fresh copy, where one chunk is handed
 * over as it is. `mapError` turns anything but a DESIGN_* error into one.
 */
function batchStream(batches: AsyncIterable<readonly Buffer[]>, mapError: (e: unknown) => Error): Readable {
  const iterator = batches[Symbol.asyncIterator]();
  let queue: readonly Buffer[] = [];
  let next = 0;
  let pulling = false;
  return new Readable({
    read() {
      if (next < queue.length) {
        this.push(queue[next++]);
        return;
      }
      if (pulling) return;
      pulling = true;
      iterator.next().then(
        ({ done, value }) => {
          pulling = false;
          if (done) return void this.push(null);
          queue = value;
          next = 0;
          // An empty batch pushes nothing: ask again rather than wait for a read that will not come.
          if (queue.length === 0) return this._read(0);
          this.push(queue[next++]);
        },
        (e: unknown) => {
          pulling = false;
          this.destroy(isDesignError(e) ? e : mapError(e));
        },
      );
    },
    destroy(error, cb) {
      // Ends the producer (its finally blocks release what it holds).
      const ended = iterator.return?.();
      if (!ended) return cb(error);
      ended.then(
        () => cb(error),
        () => cb(error),
      );
    },
  });
}

export interface EncryptedPart {
  /** The cipher file bytes (header + ciphertext), in batches of fresh, disposable chunks. */
  readonly batches: AsyncIterable<readonly Buffer[]>;
  /** The GCM tag, once `batches` has ended. */
  tag(): Buffer;
}

/**
 * Turns plaintext into a `%3McF` cipher file. With compression the plaintext
 * goes through raw DEFLATE first; a DEFLATE stream keeps chunks it was given,
 * so compressed plaintext must come as owned chunks (a Readable).
 */
export function encryptPart(plaintext: AsyncIterable<Buffer>, params: PartCipherParams, part: string): EncryptedPart {
  const input = params.compression === 'deflate' ? chain(Readable.from(plaintext, { objectMode: false }), [], createDeflateRaw({ level: 6 }), (e) => e as Error) : plaintext;
  let tag: Buffer | undefined;
  async function* encrypt(): AsyncGenerator<readonly Buffer[]> {
    const cipher = createCipheriv('aes-256-gcm', params.key, params.iv, { authTagLength: 16 });
    cipher.setAAD(params.aad);
    yield [cipherHeader()];
    try {
      for await (const chunk of input) {
        const batch: Buffer[] = [];
        for (let at = 0; at < chunk.length; at += CIPHER_STEP) {
          const out = cipher.update(chunk.subarray(at, at + CIPHER_STEP));
          if (out.length > 0) batch.push(markDisposable(out));
        }
        yield batch;
      }
    } catch (e) {
      throw isDesignError(e) ? e : designError('DESIGN_DECRYPT_FAILED', `cannot encrypt '${part}': ${(e as Error).message}`, { part }, 'internal');
    }
    const last = cipher.final();
    tag = cipher.getAuthTag();
    if (last.length > 0) yield [last];
  }
  return {
    batches: encrypt(),
    tag() {
      if (!tag) throw new Error(`'${part}' is not fully encrypted yet`);
      return tag;
    },
  };
}

export interface DecryptOptions {
  /** Largest plaintext accepted after inflation (a decompression bomb inside the ciphertext). */
  maxPlaintextBytes: number;
}

/** Turns a `%3McF` cipher file into plaintext; see the module note on release before authentication. */
export function decryptPart(cipherFile: AsyncIterable<Buffer>, params: PartCipherParams, tag: Buffer, part: string, options: DecryptOptions): Readable {
  const tooLarge = () => designError('DESIGN_PART_TOO_LARGE', `'${part}' decrypts to more than ${options.maxPlaintextBytes} bytes`, { part });
  const compressed = params.compression === 'deflate';
  async function* decrypt(): AsyncGenerator<readonly Buffer[]> {
    const decipher = createDecipheriv('aes-256-gcm', params.key, params.iv, { authTagLength: 16 });
    decipher.setAAD(params.aad);
    decipher.setAuthTag(tag);
    const header = new CipherHeaderReader(part);
    let produced = 0;
    for await (const chunk of cipherFile) {
      const body = header.take(chunk);
      const batch: Buffer[] = [];
      for (let at = 0; at < body.length; at += CIPHER_STEP) {
        const plain = decipher.update(body.subarray(at, at + CIPHER_STEP));
        produced += plain.length;
        // Without compression the plaintext is as long as the ciphertext; with it, the guard below counts.
        if (!compressed && produced > options.maxPlaintextBytes) throw tooLarge();
        if (plain.length > 0) batch.push(markDisposable(plain));
      }
      yield batch;
    }
    header.end();
    let last: Buffer;
    try {
      last = decipher.final();
    } catch {
      throw decryptFailed(part, 'the AES-GCM tag does not verify (ciphertext, tag, IV, AAD or key altered)');
    }
    if (last.length > 0) yield [last];
  }
  const mapError = (e: unknown) => (isDesignError(e) ? e : decryptFailed(part, `the content does not inflate (${(e as Error).message})`));
  const plain = batchStream(decrypt(), mapError);
  if (!compressed) return plain;
  return chain(plain, [createInflateRaw({ chunkSize: 256 * 1024 })], new SizeGuard(options.maxPlaintextBytes, tooLarge), mapError);
}

/** Stops a stream the moment it passes `max` bytes. */
class SizeGuard extends Transform {
  #bytes = 0;
  constructor(
    private readonly max: number,
    private readonly onExceed: () => Error,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#bytes += chunk.length;
    if (this.#bytes > this.max) return cb(this.onExceed());
    cb(null, chunk);
  }
}
