import { createCipheriv, createDecipheriv, createHash, sign, verify, type KeyObject } from 'node:crypto';
import { markDisposable } from './buffer-release.js';
import { startDigest, type RunningDigest } from './digest-worker.js';
import { designError } from './errors.js';

/**
 * The chunk layer of the detached envelope (ENVELOPE-FORMAT.md §3–§4): the
 * STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár over
 * AES-256-GCM, the SHA-256 of all chunk bytes, and the signed statement.
 *
 * Framing (where a chunk ends, which one is final) is the caller's: a stream
 * reader holds back one frame and a trailer, a file reader knows the file's
 * length. Chunks come in as pieces (views into the caller's buffers, used
 * before the call returns); what goes out is fresh memory, and every chunk
 * byte is added to the chunk digest (on the digest worker for large
 * envelopes) before it is handed out. File readers and writers set `step` to
 * CIPHER_STEP so that their output can be released as soon as it is written
 * (buffer-release.ts); streams hand whole pieces to their consumers, who may
 * keep them.
 */

export const TAG_LENGTH = 16;
export const SIGNATURE_LENGTH = 64;
/** Trailer: plaintext length (8) ‖ ciphertext SHA-256 (32) ‖ Ed25519 signature or zeros (64). */
export const TRAILER_LENGTH = 8 + 32 + SIGNATURE_LENGTH;
const CHUNK_AAD_CONTEXT = Buffer.from('fabgate.envelope.v1 chunk\n', 'latin1');
const SIGNATURE_CONTEXT = Buffer.from('fabgate.envelope.v1 signature\n', 'latin1');

/** `statement` of §4: what the producer signs, and whose SHA-256 is the envelope hash. */
export function statement(headerHash: Buffer, ciphertextHash: Buffer, length: bigint): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64BE(length);
  return Buffer.concat([SIGNATURE_CONTEXT, headerHash, ciphertextHash, len]);
}

/** nonceᵢ = N XOR (00 00 00 00 ‖ uint64be(i)). */
function chunkNonce(base: Buffer, index: bigint): Buffer {
  const nonce = Buffer.from(base);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(index);
  for (let i = 0; i < 8; i++) nonce[4 + i]! ^= counter[i]!;
  return nonce;
}

/** aadᵢ = "fabgate.envelope.v1 chunk\n" ‖ H ‖ uint64be(i) ‖ finalᵢ. */
function chunkAad(headerHash: Buffer, index: bigint, final: boolean): Buffer {
  const tail = Buffer.alloc(9);
  tail.writeBigUInt64BE(index);
  tail[8] = final ? 1 : 0;
  return Buffer.concat([CHUNK_AAD_CONTEXT, headerHash, tail]);
}

export const lengthOf = (pieces: readonly Uint8Array[]) => pieces.reduce((n, p) => n + p.length, 0);

/** Splits a frame held in pieces into its ciphertext pieces and its 16-byte tag (copied only if it spans pieces). */
function splitTag(pieces: readonly Buffer[]): { body: Buffer[]; tag: Buffer } {
  const body: Buffer[] = [];
  let left = lengthOf(pieces) - TAG_LENGTH;
  for (let i = 0; i < pieces.length; i++) {
    const p = pieces[i]!;
    if (p.length <= left) {
      body.push(p);
      left -= p.length;
      continue;
    }
    if (left > 0) body.push(p.subarray(0, left));
    const tail = [p.subarray(Math.max(left, 0)), ...pieces.slice(i + 1)];
    return { body, tag: tail.length === 1 ? tail[0]! : Buffer.concat(tail) };
  }
  return { body, tag: Buffer.alloc(0) };
}

function chunkDigest(expectedBytes: number | undefined): RunningDigest {
  return startDigest(
    { sha256: true },
    {
      ...(expectedBytes !== undefined ? { expectedBytes } : {}),
      onWorkerFailure: (cause) => designError('DESIGN_ENVELOPE_MALFORMED', `envelope: cannot hash the chunks: ${cause.message}`, { reason: 'digest-worker' }, 'internal'),
    },
  );
}

async function absorb(digest: RunningDigest, bytes: Uint8Array): Promise<void> {
  const wait = digest.update(bytes);
  if (wait) await wait;
}

function malformed(message: string, reason: string) {
  return designError('DESIGN_ENVELOPE_MALFORMED', `envelope: ${message}`, { reason });
}

/** What a finished envelope says about itself (EnvelopeSummary without the header object). */
export interface ChunkSummary {
  plaintextLength: number;
  ciphertextHash: Buffer;
  /** Hex SHA-256 of the signed statement. */
  envelopeHash: string;
}

/** Seals plaintext chunk after chunk under one content key and header hash. */
export class ChunkSealer {
  readonly #digest: RunningDigest;
  #index = 0n;
  #length = 0n;
  /** Cipher output in steps of this size: CIPHER_STEP where a file writer of ours releases it, else whole pieces. */
  step = Number.MAX_SAFE_INTEGER;

  constructor(
    private readonly key: Buffer,
    private readonly base: Buffer,
    private readonly headerHash: Buffer,
    /** Expected size of the output, if known (decides where the chunk digest runs). */
    expectedBytes?: number,
  ) {
    this.#digest = chunkDigest(expectedBytes);
  }

  /** Seals one plaintext chunk (given as pieces); returns its ciphertext pieces and tag, already hashed. */
  async seal(plain: readonly Buffer[], final: boolean): Promise<Buffer[]> {
    const cipher = createCipheriv('aes-256-gcm', this.key, chunkNonce(this.base, this.#index), { authTagLength: TAG_LENGTH });
    cipher.setAAD(chunkAad(this.headerHash, this.#index, final));
    const out: Buffer[] = [];
    for (const piece of plain) {
      for (let at = 0; at < piece.length; at += this.step) {
        const body = cipher.update(piece.subarray(at, at + this.step));
        if (body.length > 0) out.push(markDisposable(body));
      }
    }
    cipher.final();
    out.push(cipher.getAuthTag());
    this.#length += BigInt(lengthOf(plain));
    this.#index++;
    for (const piece of out) await absorb(this.#digest, piece);
    return out;
  }

  /** The trailer, once the final chunk is sealed. */
  async trailer(signingKey: KeyObject | undefined): Promise<{ trailer: Buffer; summary: ChunkSummary }> {
    const ciphertextHash = (await this.#digest.digest()).sha256!;
    const signed = statement(this.headerHash, ciphertextHash, this.#length);
    const signature = signingKey ? sign(null, signed, signingKey) : Buffer.alloc(SIGNATURE_LENGTH);
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(this.#length);
    return {
      trailer: Buffer.concat([length, ciphertextHash, signature]),
      summary: { plaintextLength: Number(this.#length), ciphertextHash, envelopeHash: createHash('sha256').update(signed).digest('hex') },
    };
  }

  /** Drops the chunk digest of an envelope that will not be finished. */
  abandon(): void {
    this.#digest.abandon();
  }
}

/** Opens chunks in order; plaintext comes out only for chunks whose tag verified. */
export class ChunkOpener {
  readonly #digest: RunningDigest;
  #index = 0n;
  #length = 0n;
  /** Plaintext in steps of this size: CIPHER_STEP where a file writer of ours releases it, else whole pieces. */
  step = Number.MAX_SAFE_INTEGER;

  constructor(
    private readonly key: Buffer,
    private readonly base: Buffer,
    private readonly headerHash: Buffer,
    private readonly chunkSize: number,
    private readonly maxPlaintextBytes: number | undefined,
    /** Expected size of the input, if known (decides where the chunk digest runs). */
    expectedBytes?: number,
  ) {
    this.#digest = chunkDigest(expectedBytes);
  }

  /**
   * Opens one frame (ciphertext ‖ tag, given as pieces). A final frame that
   * authenticates only as non-final is a cut-off envelope
   * (DESIGN_ENVELOPE_TRUNCATED); any other failure is DESIGN_DECRYPT_FAILED.
   */
  async open(frame: readonly Buffer[], final: boolean): Promise<Buffer[]> {
    const plain = this.#decrypt(frame, final);
    if (!plain) {
      if (final && this.#decrypt(frame, false)) throw designError('DESIGN_ENVELOPE_TRUNCATED', 'the envelope was cut off after a chunk boundary', { chunk: Number(this.#index) });
      throw designError('DESIGN_DECRYPT_FAILED', `envelope chunk ${this.#index} does not authenticate (altered, reordered, or wrong key)`, { chunk: Number(this.#index) });
    }
    const plainLength = lengthOf(plain);
    if (!final && plainLength !== this.chunkSize) throw malformed('a non-final chunk is short', 'framing');
    for (const piece of frame) await absorb(this.#digest, piece);
    this.#length += BigInt(plainLength);
    const max = this.maxPlaintextBytes;
    if (max !== undefined && this.#length > BigInt(max)) throw designError('DESIGN_PART_TOO_LARGE', `the envelope decrypts to more than ${max} bytes`);
    this.#index++;
    return plain.filter((p) => p.length > 0);
  }

  /** The plaintext pieces of a frame, or undefined when it does not authenticate. */
  #decrypt(frame: readonly Buffer[], final: boolean): Buffer[] | undefined {
    if (lengthOf(frame) < TAG_LENGTH) return undefined;
    const { body, tag } = splitTag(frame);
    const decipher = createDecipheriv('aes-256-gcm', this.key, chunkNonce(this.base, this.#index), { authTagLength: TAG_LENGTH });
    decipher.setAAD(chunkAad(this.headerHash, this.#index, final));
    decipher.setAuthTag(tag);
    try {
      const plain: Buffer[] = [];
      for (const piece of body) {
        for (let at = 0; at < piece.length; at += this.step) plain.push(markDisposable(decipher.update(piece.subarray(at, at + this.step))));
      }
      decipher.final();
      return plain;
    } catch {
      return undefined;
    }
  }

  /** Checks the trailer against the chunks and, with a signer, the signature. */
  async finish(trailer: Buffer, signer: KeyObject | undefined): Promise<ChunkSummary> {
    const length = trailer.readBigUInt64BE(0);
    const ciphertextHash = (await this.#digest.digest()).sha256!;
    if (length !== this.#length || !trailer.subarray(8, 40).equals(ciphertextHash)) throw malformed('the trailer does not match the chunks', 'trailer');
    const signed = statement(this.headerHash, ciphertextHash, length);
    if (signer && !verify(null, signed, signer, trailer.subarray(40))) throw malformed('the Ed25519 signature does not verify', 'signature');
    return { plaintextLength: Number(length), ciphertextHash, envelopeHash: createHash('sha256').update(signed).digest('hex') };
  }

  abandon(): void {
    this.#digest.abandon();
  }
}
