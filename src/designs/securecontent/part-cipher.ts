import { createCipheriv, createDecipheriv, createHash, type Hash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { createDeflateRaw, createInflateRaw } from 'node:zlib';
import { CipherHeaderStripper, cipherHeader } from './cipher-file.js';
import { designError, isDesignError } from './errors.js';
import type { Compression } from './keystore.js';
import { chain } from './safe-zip.js';

/**
 * Streaming encryption and decryption of one resource part (Secure Content
 * §2.2.1.1): optional raw DEFLATE (RFC 1951, no zlib header) before AES-256-GCM,
 * the ciphertext stored after the `%3McF` header, the tag kept in the keystore.
 *
 * Memory stays flat: data moves in chunks, never a whole part at once.
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

/** Counts and hashes bytes flowing through, for manifests and size limits. */
export class Tap extends Transform {
  readonly #hash: Hash | undefined;
  bytes = 0;
  #digest: string | undefined;

  constructor(
    hashAlgorithm: 'sha256' | undefined,
    private readonly limit?: { max: number; onExceed: () => Error },
  ) {
    super();
    this.#hash = hashAlgorithm ? createHash(hashAlgorithm) : undefined;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.limit && this.bytes > this.limit.max) return cb(this.limit.onExceed());
    this.#hash?.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.#hash) this.#digest = this.#hash.digest('hex');
    cb();
  }

  /** Hex SHA-256 of everything that passed, once the stream ended. */
  get digest(): string {
    if (this.#digest === undefined) throw new Error('the stream has not ended');
    return this.#digest;
  }
}

/** AES-256-GCM over a stream, header first; the tag is available after the end. */
class GcmEncrypt extends Transform {
  readonly #cipher;
  #headerSent = false;
  tag: Buffer | undefined;

  constructor(params: PartCipherParams) {
    super();
    this.#cipher = createCipheriv('aes-256-gcm', params.key, params.iv, { authTagLength: 16 });
    this.#cipher.setAAD(params.aad);
  }

  #header(): void {
    if (this.#headerSent) return;
    this.#headerSent = true;
    this.push(cipherHeader());
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#header();
    cb(null, this.#cipher.update(chunk));
  }

  override _flush(cb: TransformCallback): void {
    this.#header();
    const last = this.#cipher.final();
    this.tag = this.#cipher.getAuthTag();
    if (last.length > 0) this.push(last);
    cb();
  }
}

class GcmDecrypt extends Transform {
  readonly #decipher;
  constructor(
    params: PartCipherParams,
    tag: Buffer,
    private readonly part: string,
  ) {
    super();
    this.#decipher = createDecipheriv('aes-256-gcm', params.key, params.iv, { authTagLength: 16 });
    this.#decipher.setAAD(params.aad);
    this.#decipher.setAuthTag(tag);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    cb(null, this.#decipher.update(chunk));
  }

  override _flush(cb: TransformCallback): void {
    try {
      const last = this.#decipher.final();
      if (last.length > 0) this.push(last);
      cb();
    } catch {
      cb(decryptFailed(this.part, 'the AES-GCM tag does not verify (ciphertext, tag, IV, AAD or key altered)'));
    }
  }
}

function decryptFailed(part: string, why: string) {
  return designError('DESIGN_DECRYPT_FAILED', `'${part}': ${why}`, { part });
}

export interface EncryptedPart {
  /** The cipher file bytes (header + ciphertext). */
  readonly stream: Readable;
  /** The GCM tag, once `stream` has ended. */
  tag(): Buffer;
}

/** Turns a plaintext stream into a `%3McF` cipher file stream. */
export function encryptPart(plaintext: Readable, params: PartCipherParams, part: string): EncryptedPart {
  const gcm = new GcmEncrypt(params);
  const stages: NodeJS.ReadWriteStream[] = params.compression === 'deflate' ? [createDeflateRaw({ level: 6 })] : [];
  const stream = chain(plaintext, stages, gcm, (e) => (isDesignError(e) ? e : designError('DESIGN_DECRYPT_FAILED', `cannot encrypt '${part}': ${(e as Error).message}`, { part }, 'internal')));
  return {
    stream,
    tag() {
      if (!gcm.tag) throw new Error(`'${part}' is not fully encrypted yet`);
      return gcm.tag;
    },
  };
}

export interface DecryptOptions {
  /** Largest plaintext accepted after inflation (a decompression bomb inside the ciphertext). */
  maxPlaintextBytes: number;
}

/** Turns a `%3McF` cipher file stream into plaintext; see the module note on release before authentication. */
export function decryptPart(cipherFile: Readable, params: PartCipherParams, tag: Buffer, part: string, options: DecryptOptions): Readable {
  const stages: NodeJS.ReadWriteStream[] = [new CipherHeaderStripper(part), new GcmDecrypt(params, tag, part)];
  if (params.compression === 'deflate') stages.push(createInflateRaw({ chunkSize: 64 * 1024 }));
  const guard = new Tap(undefined, {
    max: options.maxPlaintextBytes,
    onExceed: () => designError('DESIGN_PART_TOO_LARGE', `'${part}' decrypts to more than ${options.maxPlaintextBytes} bytes`, { part }),
  });
  return chain(cipherFile, stages, guard, (e) => (isDesignError(e) ? e : decryptFailed(part, `the content does not inflate (${(e as Error).message})`)));
}
