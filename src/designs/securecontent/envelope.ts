import { createCipheriv, createDecipheriv, createHash, createPublicKey, randomBytes, sign, verify, type Hash, type KeyObject } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open as openFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { unwrapContentKey, wrapContentKey } from './algorithms.js';
import { canonicalJson } from '../../ledger/core/canonical-json.js';
import { designError, isDesignError } from './errors.js';
import { keyFingerprint, spkiDer } from './keys.js';
import type { ConsumerSpec } from './protect.js';
import { chain } from './safe-zip.js';

/**
 * The detached envelope for bare G-code and STL (ENVELOPE-FORMAT.md): the
 * same protection as a Secure Content package — a random AES-256 content key
 * wrapped with RSA-OAEP for each recipient, AES-256-GCM, an Ed25519 producer
 * signature — for files that have no OPC container.
 *
 * Content is encrypted in chunks (the STREAM construction of Hoang,
 * Reyhanitabar, Rogaway and Vizár): each chunk is its own GCM message whose
 * nonce is the header's base nonce XOR the chunk index and whose AAD carries
 * the header hash, the index and a final-chunk flag. A reader therefore
 * releases only chunks that authenticated, detects reordering, and detects
 * truncation at a chunk boundary because the last chunk it sees was not
 * sealed as final.
 */

const MAGIC = Buffer.from('FGENV', 'latin1');
const FORMAT_VERSION = 1;
const PREAMBLE_LENGTH = 12;
const TAG_LENGTH = 16;
const SIGNATURE_LENGTH = 64;
/** Trailer: plaintext length (8) ‖ ciphertext SHA-256 (32) ‖ Ed25519 signature or zeros (64). */
export const TRAILER_LENGTH = 8 + 32 + SIGNATURE_LENGTH;
const MAX_HEADER_BYTES = 1024 * 1024;
export const DEFAULT_CHUNK_SIZE = 64 * 1024;
const CHUNK_AAD_CONTEXT = Buffer.from('fabgate.envelope.v1 chunk\n', 'latin1');
const SIGNATURE_CONTEXT = Buffer.from('fabgate.envelope.v1 signature\n', 'latin1');

const headerSchema = z.strictObject({
  format: z.literal('fabgate.envelope'),
  version: z.literal(FORMAT_VERSION),
  cipher: z.literal('AES-256-GCM-STREAM'),
  chunkSize: z.number().int().min(1024).max(16 * 1024 * 1024),
  nonce: z.string().regex(/^[A-Za-z0-9+/]{16}$/),
  contentType: z.string().min(1).max(200),
  name: z.string().max(255).optional(),
  recipients: z
    .array(
      z.strictObject({
        consumerId: z.string().min(1).max(256),
        keyId: z.string().max(256).optional(),
        keyFingerprint: z.string().regex(/^[0-9a-f]{64}$/),
        wrap: z.enum(['RSA-OAEP-256', 'RSA-OAEP']),
        wrappedKey: z.string().max(2048),
      }),
    )
    .min(1)
    .max(10_000),
  signer: z.strictObject({ alg: z.literal('Ed25519'), keyId: z.string().regex(/^[0-9a-f]{64}$/), publicKey: z.string().max(256) }).optional(),
});

export type EnvelopeHeader = z.infer<typeof headerSchema>;

export interface SealOptions {
  recipients: readonly ConsumerSpec[];
  /** e.g. `text/x.gcode`, `model/stl`. */
  contentType: string;
  /** Original file name, informative only. */
  name?: string;
  signingKey?: KeyObject;
  oaepHash?: 'sha256' | 'sha1';
  chunkSize?: number;
}

export interface EnvelopeSummary {
  header: EnvelopeHeader;
  /** Hex SHA-256 of the header bytes. */
  headerHash: string;
  plaintextLength: number;
  /** Hex SHA-256 of all chunk bytes (ciphertext and tags). */
  ciphertextHash: string;
  /** Hex SHA-256 of the signed statement: what a print ticket names for a bare G-code or STL design. */
  envelopeHash: string;
  signerKeyId?: string;
}

function statement(headerHash: Buffer, ciphertextHash: Buffer, length: bigint): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64BE(length);
  return Buffer.concat([SIGNATURE_CONTEXT, headerHash, ciphertextHash, len]);
}

function chunkNonce(base: Buffer, index: bigint): Buffer {
  const nonce = Buffer.from(base);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(index);
  for (let i = 0; i < 8; i++) nonce[4 + i]! ^= counter[i]!;
  return nonce;
}

function chunkAad(headerHash: Buffer, index: bigint, final: boolean): Buffer {
  const tail = Buffer.alloc(9);
  tail.writeBigUInt64BE(index);
  tail[8] = final ? 1 : 0;
  return Buffer.concat([CHUNK_AAD_CONTEXT, headerHash, tail]);
}

/** A FIFO of byte chunks that hands out exact-length slices, copying only across chunk boundaries. */
class ByteQueue {
  #chunks: Buffer[] = [];
  length = 0;
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.length += chunk.length;
  }
  /** Removes and returns the first `n` bytes (n <= length). */
  take(n: number): Buffer {
    const first = this.#chunks[0];
    if (first && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      this.length -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.#chunks[0]!;
      const used = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, used);
      filled += used;
      if (used === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(used);
    }
    this.length -= n;
    return out;
  }
  /** Removes and returns everything. */
  takeAll(): Buffer {
    return this.take(this.length);
  }
}

function malformed(message: string, reason: string) {
  return designError('DESIGN_ENVELOPE_MALFORMED', `envelope: ${message}`, { reason });
}

/** Encrypts and frames a plaintext stream; `summary()` is available once the output ended. */
export function sealEnvelope(plaintext: Readable, options: SealOptions): { stream: Readable; summary(): EnvelopeSummary } {
  if (options.recipients.length === 0) throw designError('DESIGN_PACKAGE_INVALID', 'an envelope needs at least one recipient', { reason: 'no-consumers' });
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const hash = options.oaepHash ?? 'sha256';
  const key = randomBytes(32);
  const header: EnvelopeHeader = {
    format: 'fabgate.envelope',
    version: FORMAT_VERSION,
    cipher: 'AES-256-GCM-STREAM',
    chunkSize,
    nonce: randomBytes(12).toString('base64'),
    contentType: options.contentType,
    ...(options.name !== undefined ? { name: options.name } : {}),
    recipients: options.recipients.map((r) => ({
      consumerId: r.consumerId,
      ...(r.keyId !== undefined ? { keyId: r.keyId } : {}),
      keyFingerprint: keyFingerprint(r.publicKey),
      wrap: hash === 'sha256' ? ('RSA-OAEP-256' as const) : ('RSA-OAEP' as const),
      wrappedKey: wrapContentKey(r.publicKey, key, hash).toString('base64'),
    })),
    ...(options.signingKey ? { signer: { alg: 'Ed25519' as const, keyId: keyFingerprint(options.signingKey), publicKey: spkiDer(options.signingKey).toString('base64') } } : {}),
  };
  const parsed = headerSchema.safeParse(header);
  if (!parsed.success) throw designError('DESIGN_PACKAGE_INVALID', `envelope header: ${parsed.error.issues[0]?.message}`, { reason: 'header' });
  const sealer = new EnvelopeSealer(header, key, options.signingKey);
  return { stream: chain(plaintext, [], sealer, (e) => e as Error), summary: () => sealer.summary() };
}

class EnvelopeSealer extends Transform {
  readonly #headerBytes: Buffer;
  readonly #headerHash: Buffer;
  readonly #base: Buffer;
  readonly #ciphertextHash: Hash = createHash('sha256');
  readonly #pending = new ByteQueue();
  #index = 0n;
  #length = 0n;
  #started = false;
  #summary: EnvelopeSummary | undefined;

  constructor(
    private readonly header: EnvelopeHeader,
    private readonly key: Buffer,
    private readonly signingKey: KeyObject | undefined,
  ) {
    super();
    this.#headerBytes = Buffer.from(canonicalJson(header), 'utf8');
    this.#headerHash = createHash('sha256').update(this.#headerBytes).digest();
    this.#base = Buffer.from(header.nonce, 'base64');
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    const preamble = Buffer.alloc(PREAMBLE_LENGTH);
    MAGIC.copy(preamble, 0);
    preamble[5] = FORMAT_VERSION;
    preamble.writeUInt32BE(this.#headerBytes.length, 8);
    this.push(Buffer.concat([preamble, this.#headerBytes]));
  }

  #seal(plain: Buffer, final: boolean): void {
    const cipher = createCipheriv('aes-256-gcm', this.key, chunkNonce(this.#base, this.#index), { authTagLength: TAG_LENGTH });
    cipher.setAAD(chunkAad(this.#headerHash, this.#index, final));
    const body = cipher.update(plain);
    cipher.final();
    const tag = cipher.getAuthTag();
    this.#ciphertextHash.update(body).update(tag);
    this.#length += BigInt(plain.length);
    this.#index++;
    if (body.length > 0) this.push(body);
    this.push(tag);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#start();
    this.#pending.push(chunk);
    const size = this.header.chunkSize;
    // A chunk is sealed only once more data follows it: the last one must carry the final flag.
    while (this.#pending.length > size) this.#seal(this.#pending.take(size), false);
    cb();
  }

  override _flush(cb: TransformCallback): void {
    this.#start();
    this.#seal(this.#pending.takeAll(), true);
    const ciphertextHash = this.#ciphertextHash.digest();
    const signed = statement(this.#headerHash, ciphertextHash, this.#length);
    const signature = this.signingKey ? sign(null, signed, this.signingKey) : Buffer.alloc(SIGNATURE_LENGTH);
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(this.#length);
    this.push(Buffer.concat([length, ciphertextHash, signature]));
    this.key.fill(0);
    this.#summary = {
      header: this.header,
      headerHash: this.#headerHash.toString('hex'),
      plaintextLength: Number(this.#length),
      ciphertextHash: ciphertextHash.toString('hex'),
      envelopeHash: createHash('sha256').update(signed).digest('hex'),
      ...(this.header.signer ? { signerKeyId: this.header.signer.keyId } : {}),
    };
    cb();
  }

  summary(): EnvelopeSummary {
    if (!this.#summary) throw new Error('the envelope is not complete yet');
    return this.#summary;
  }
}

export interface OpenEnvelopeOptions {
  consumerId: string;
  privateKey: KeyObject;
  /** Only envelopes signed by one of these keys are accepted (a signature is then required). */
  trustedSigners?: readonly KeyObject[];
  /** Refuse unsigned envelopes. */
  requireSignature?: boolean;
  maxPlaintextBytes?: number;
}

/** Parses and checks the preamble and header from the first bytes of an envelope. */
export function parseEnvelopeHeader(bytes: Buffer): { header: EnvelopeHeader; headerBytes: Buffer; headerHash: Buffer; bodyOffset: number } | undefined {
  if (bytes.length < PREAMBLE_LENGTH) return undefined;
  if (!bytes.subarray(0, 5).equals(MAGIC)) throw malformed('not a Fabgate envelope (bad magic)', 'magic');
  if (bytes[5] !== FORMAT_VERSION || bytes[6] !== 0 || bytes[7] !== 0) throw malformed(`unsupported envelope version ${bytes[5]}`, 'version');
  const length = bytes.readUInt32BE(8);
  if (length === 0 || length > MAX_HEADER_BYTES) throw malformed(`header length ${length} is out of range`, 'header-length');
  if (bytes.length < PREAMBLE_LENGTH + length) return undefined;
  const headerBytes = bytes.subarray(PREAMBLE_LENGTH, PREAMBLE_LENGTH + length);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch {
    throw malformed('the header is not UTF-8 JSON', 'header-json');
  }
  const parsed = headerSchema.safeParse(json);
  if (!parsed.success) throw malformed(`the header does not match the format: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`, 'header-schema');
  if (canonicalJson(parsed.data) !== headerBytes.toString('utf8')) throw malformed('the header is not canonical JSON', 'header-canonical');
  return { header: parsed.data, headerBytes: Buffer.from(headerBytes), headerHash: createHash('sha256').update(headerBytes).digest(), bodyOffset: PREAMBLE_LENGTH + length };
}

function signerOf(header: EnvelopeHeader, options: Pick<OpenEnvelopeOptions, 'trustedSigners' | 'requireSignature'>): KeyObject | undefined {
  if (!header.signer) {
    if (options.trustedSigners) throw designError('DESIGN_SIGNER_UNTRUSTED', 'the envelope is unsigned, and signed envelopes are required', { reason: 'unsigned' });
    if (options.requireSignature) throw malformed('the envelope is unsigned', 'unsigned');
    return undefined;
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(header.signer.publicKey, 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw malformed('the signer key is not an SPKI key', 'signer-key');
  }
  if (key.asymmetricKeyType !== 'ed25519' || keyFingerprint(key) !== header.signer.keyId) throw malformed('the signer key does not match its key id', 'signer-key');
  if (options.trustedSigners && !options.trustedSigners.some((k) => keyFingerprint(k) === header.signer!.keyId)) {
    throw designError('DESIGN_SIGNER_UNTRUSTED', `the envelope is signed by key ${header.signer.keyId}, which is not trusted`, { signerKeyId: header.signer.keyId });
  }
  return key;
}

function contentKeyFor(header: EnvelopeHeader, options: OpenEnvelopeOptions): Buffer {
  const recipient = header.recipients.find((r) => r.consumerId === options.consumerId);
  if (!recipient) throw designError('DESIGN_CONSUMER_NOT_FOUND', `the envelope names no recipient '${options.consumerId}'`, { consumerId: options.consumerId });
  if (recipient.keyFingerprint !== keyFingerprint(options.privateKey)) {
    throw designError('DESIGN_KEY_UNWRAP_FAILED', `the private key is not the key the envelope lists for '${options.consumerId}'`, { reason: 'keyvalue-mismatch' });
  }
  return unwrapContentKey(options.privateKey, Buffer.from(recipient.wrappedKey, 'base64'), recipient.wrap === 'RSA-OAEP-256' ? 'sha256' : 'sha1');
}

/**
 * Decrypts an envelope as it streams. Chunks are released only after their
 * own GCM tag verified; the producer signature is checked at the end (the
 * stream errors if it fails), so a caller that needs the signature before
 * acting on any byte uses `openEnvelopeFile`, which verifies it first.
 */
export function openEnvelopeStream(source: Readable, options: OpenEnvelopeOptions, onHeader?: (summary: { header: EnvelopeHeader; headerHash: string }) => void): Readable {
  return chain(source, [], new EnvelopeOpener(options, onHeader), (e) => (isDesignError(e) ? e : malformed((e as Error).message, 'read')));
}

class EnvelopeOpener extends Transform {
  readonly #buffered = new ByteQueue();
  #header: { header: EnvelopeHeader; headerHash: Buffer } | undefined;
  #key: Buffer | undefined;
  #base: Buffer | undefined;
  #signer: KeyObject | undefined;
  #index = 0n;
  #length = 0n;
  readonly #ciphertextHash = createHash('sha256');
  summary: EnvelopeSummary | undefined;

  constructor(
    private readonly options: OpenEnvelopeOptions,
    private readonly onHeader?: (summary: { header: EnvelopeHeader; headerHash: string }) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.#buffered.push(chunk);
      if (!this.#header) {
        const all = this.#buffered.takeAll();
        const parsed = parseEnvelopeHeader(all);
        if (!parsed) {
          this.#buffered.push(all);
          if (all.length > PREAMBLE_LENGTH + MAX_HEADER_BYTES) throw malformed('header too long', 'header-length');
          return cb();
        }
        this.#signer = signerOf(parsed.header, this.options);
        this.#key = contentKeyFor(parsed.header, this.options);
        this.#base = Buffer.from(parsed.header.nonce, 'base64');
        this.#header = { header: parsed.header, headerHash: parsed.headerHash };
        this.onHeader?.({ header: parsed.header, headerHash: parsed.headerHash.toString('hex') });
        this.#buffered.push(all.subarray(parsed.bodyOffset));
      }
      const frame = this.#header.header.chunkSize + TAG_LENGTH;
      // Keep one frame and the trailer back: only bytes followed by more than that are a non-final chunk.
      while (this.#buffered.length > frame + TRAILER_LENGTH) this.#open(this.#buffered.take(frame), false);
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  #open(frame: Buffer, final: boolean): void {
    const { header } = this.#header!;
    const plain = this.#decrypt(frame, final);
    if (!plain) {
      // A final chunk that authenticates as non-final is a cut-off stream.
      if (final && this.#decrypt(frame, false)) throw designError('DESIGN_ENVELOPE_TRUNCATED', 'the envelope was cut off after a chunk boundary', { chunk: Number(this.#index) });
      throw designError('DESIGN_DECRYPT_FAILED', `envelope chunk ${this.#index} does not authenticate (altered, reordered, or wrong key)`, { chunk: Number(this.#index) });
    }
    if (!final && plain.length !== header.chunkSize) throw malformed('a non-final chunk is short', 'framing');
    this.#ciphertextHash.update(frame);
    this.#length += BigInt(plain.length);
    const max = this.options.maxPlaintextBytes;
    if (max !== undefined && this.#length > BigInt(max)) throw designError('DESIGN_PART_TOO_LARGE', `the envelope decrypts to more than ${max} bytes`);
    this.#index++;
    if (plain.length > 0) this.push(plain);
  }

  #decrypt(frame: Buffer, final: boolean): Buffer | undefined {
    if (frame.length < TAG_LENGTH) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', this.#key!, chunkNonce(this.#base!, this.#index), { authTagLength: TAG_LENGTH });
    decipher.setAAD(chunkAad(this.#header!.headerHash, this.#index, final));
    decipher.setAuthTag(frame.subarray(frame.length - TAG_LENGTH));
    try {
      const plain = decipher.update(frame.subarray(0, frame.length - TAG_LENGTH));
      decipher.final();
      return plain;
    } catch {
      return undefined;
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      if (!this.#header) throw designError('DESIGN_ENVELOPE_TRUNCATED', 'the envelope ends inside its header', { reason: 'header' });
      const rest = this.#buffered.takeAll();
      if (rest.length < TAG_LENGTH + TRAILER_LENGTH) throw designError('DESIGN_ENVELOPE_TRUNCATED', 'the envelope ends before its final chunk and trailer', { reason: 'trailer' });
      const frame = rest.subarray(0, rest.length - TRAILER_LENGTH);
      if (frame.length > this.#header.header.chunkSize + TAG_LENGTH) throw malformed('the final chunk is longer than the chunk size', 'framing');
      this.#open(frame, true);
      const trailer = rest.subarray(rest.length - TRAILER_LENGTH);
      const length = trailer.readBigUInt64BE(0);
      const ciphertextHash = this.#ciphertextHash.digest();
      if (length !== this.#length || !trailer.subarray(8, 40).equals(ciphertextHash)) throw malformed('the trailer does not match the chunks', 'trailer');
      const signed = statement(this.#header.headerHash, ciphertextHash, length);
      if (this.#signer && !verify(null, signed, this.#signer, trailer.subarray(40))) throw malformed('the Ed25519 signature does not verify', 'signature');
      this.#key?.fill(0);
      this.summary = {
        header: this.#header.header,
        headerHash: this.#header.headerHash.toString('hex'),
        plaintextLength: Number(length),
        ciphertextHash: ciphertextHash.toString('hex'),
        envelopeHash: createHash('sha256').update(signed).digest('hex'),
        ...(this.#header.header.signer ? { signerKeyId: this.#header.header.signer.keyId } : {}),
      };
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }
}

/**
 * Checks an envelope file without decrypting anything: header, framing,
 * trailer digest and producer signature (one streaming pass, no key needed).
 */
export async function verifyEnvelopeFile(path: string, options: Pick<OpenEnvelopeOptions, 'trustedSigners' | 'requireSignature'> = {}): Promise<EnvelopeSummary> {
  const handle = await openFile(path, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, PREAMBLE_LENGTH + MAX_HEADER_BYTES));
    await handle.read(head, 0, head.length, 0);
    const parsed = parseEnvelopeHeader(head);
    if (!parsed) throw designError('DESIGN_ENVELOPE_TRUNCATED', 'the envelope ends inside its header', { reason: 'header' });
    const signer = signerOf(parsed.header, options);
    const bodyEnd = size - TRAILER_LENGTH;
    if (bodyEnd - parsed.bodyOffset < TAG_LENGTH) throw designError('DESIGN_ENVELOPE_TRUNCATED', 'the envelope ends before its final chunk and trailer', { reason: 'trailer' });
    const frame = parsed.header.chunkSize + TAG_LENGTH;
    const bodyLength = bodyEnd - parsed.bodyOffset;
    const chunks = Math.ceil(bodyLength / frame);
    const lastFrame = bodyLength - (chunks - 1) * frame;
    if (lastFrame < TAG_LENGTH) throw malformed('the final chunk is shorter than a tag', 'framing');
    const hash = createHash('sha256');
    for await (const c of createReadStream('', { fd: handle.fd, start: parsed.bodyOffset, end: bodyEnd - 1, autoClose: false, highWaterMark: 1024 * 1024 })) hash.update(c as Buffer);
    const trailer = Buffer.alloc(TRAILER_LENGTH);
    await handle.read(trailer, 0, TRAILER_LENGTH, bodyEnd);
    const length = trailer.readBigUInt64BE(0);
    const expectedLength = BigInt(bodyLength - chunks * TAG_LENGTH);
    const ciphertextHash = hash.digest();
    if (length !== expectedLength || !trailer.subarray(8, 40).equals(ciphertextHash)) throw malformed('the trailer does not match the chunks', 'trailer');
    const signed = statement(parsed.headerHash, ciphertextHash, length);
    if (signer && !verify(null, signed, signer, trailer.subarray(40))) throw malformed('the Ed25519 signature does not verify', 'signature');
    return {
      header: parsed.header,
      headerHash: parsed.headerHash.toString('hex'),
      plaintextLength: Number(length),
      ciphertextHash: ciphertextHash.toString('hex'),
      envelopeHash: createHash('sha256').update(signed).digest('hex'),
      ...(parsed.header.signer ? { signerKeyId: parsed.header.signer.keyId } : {}),
    };
  } finally {
    await handle.close();
  }
}

/**
 * Opens an envelope file with the producer signature verified before any
 * plaintext is released (a verification pass, then a decryption pass), and
 * writes the plaintext atomically to `outPath`.
 */
export async function openEnvelopeFile(path: string, outPath: string, options: OpenEnvelopeOptions): Promise<EnvelopeSummary> {
  const verified = await verifyEnvelopeFile(path, options);
  const temp = join(dirname(outPath), `.${randomBytes(6).toString('hex')}.fabgate-tmp`);
  const opener = new EnvelopeOpener(options);
  try {
    await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), opener, createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
    if (opener.summary?.ciphertextHash !== verified.ciphertextHash) throw malformed('the envelope changed while it was read', 'changed');
    await rename(temp, outPath);
    return opener.summary;
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
}

/** Seals a file into an envelope file, atomically. */
export async function sealEnvelopeFile(path: string, outPath: string, options: SealOptions): Promise<EnvelopeSummary> {
  const temp = join(dirname(outPath), `.${randomBytes(6).toString('hex')}.fabgate-tmp`);
  try {
    const sealed = sealEnvelope(createReadStream(path, { highWaterMark: 1024 * 1024 }), options);
    await pipeline(sealed.stream, createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
    await rename(temp, outPath);
    return sealed.summary();
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
}

/** True when the bytes start like a Fabgate envelope. */
export function isEnvelope(head: Uint8Array): boolean {
  return Buffer.from(head).subarray(0, 5).equals(MAGIC);
}

