import { createHash, createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { z } from 'zod';
import { describeIssues } from '../../shared/zod-issues.js';
import { open as openFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { unwrapContentKey, wrapContentKey } from './algorithms.js';
import { CIPHER_STEP, writeChunks } from './buffer-release.js';
import { canonicalJson } from '../../ledger/core/canonical-json.js';
import { ChunkOpener, ChunkSealer, statement, TAG_LENGTH, TRAILER_LENGTH } from './envelope-chunks.js';
import { designError, isDesignError } from './errors.js';
import { fileChunks, ShortReadError } from './file-chunks.js';
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
 * Reyhanitabar, Rogaway and Vizár, envelope-chunks.ts): each chunk is its own
 * GCM message whose nonce is the header's base nonce XOR the chunk index and
 * whose AAD carries the header hash, the index and a final-chunk flag. A
 * reader therefore releases only chunks that authenticated, detects
 * reordering, and detects truncation at a chunk boundary because the last
 * chunk it sees was not sealed as final.
 *
 * Streams hold back one chunk (and the trailer) to know which is the last;
 * files are read whole chunks at a time with reused buffers, their length
 * telling which chunk is the last.
 */

export { TRAILER_LENGTH } from './envelope-chunks.js';

const MAGIC = Buffer.from('FGENV', 'latin1');
const FORMAT_VERSION = 1;
const PREAMBLE_LENGTH = 12;
const MAX_HEADER_BYTES = 1024 * 1024;
/**
 * The chunk size Fabgate writes (the header names it; readers take any size
 * from 1 KiB to 16 MiB). 1 MiB: every chunk is a GCM message of its own, and at
 * 64 KiB the per-message set-up (cipher object, nonce, AAD) costs a tenth of the
 * encryption itself, while a reader holds back only one chunk either way.
 */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;
/** Write buffering: a few chunks, so that writing overlaps with the cipher. */
const WRITE_BUFFER = 2 * 1024 * 1024;

/** The envelope header (ENVELOPE-FORMAT.md §2). */
export interface EnvelopeHeader {
  format: 'fabgate.envelope';
  version: 1;
  cipher: 'AES-256-GCM-STREAM';
  /** Plaintext bytes per chunk, 1 KiB to 16 MiB. */
  chunkSize: number;
  /** Base64 of the 12-byte base nonce. */
  nonce: string;
  contentType: string;
  /** The original file name, informative only. */
  name?: string;
  recipients: Array<{
    consumerId: string;
    keyId?: string;
    /** Hex SHA-256 of the recipient key's SPKI DER. */
    keyFingerprint: string;
    wrap: 'RSA-OAEP-256' | 'RSA-OAEP';
    /** Base64 of the content key wrapped to the recipient. */
    wrappedKey: string;
  }>;
  signer?: { alg: 'Ed25519'; keyId: string; publicKey: string };
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

/** The format table of ENVELOPE-FORMAT.md §2: exactly these members. */
const HeaderSchema = z.strictObject({
  format: z.literal('fabgate.envelope'),
  version: z.literal(FORMAT_VERSION),
  cipher: z.literal('AES-256-GCM-STREAM'),
  chunkSize: z.number().int().min(1024).max(16 * 1024 * 1024),
  nonce: z.string().regex(/^[A-Za-z0-9+/]{16}$/, 'must be 12 bytes in base64 (16 characters)'),
  contentType: z.string().min(1).max(200),
  name: z.string().max(255).optional(),
  recipients: z
    .array(
      z.strictObject({
        consumerId: z.string().min(1).max(256),
        keyId: z.string().max(256).optional(),
        keyFingerprint: hex64,
        wrap: z.enum(['RSA-OAEP-256', 'RSA-OAEP']),
        wrappedKey: z.string().max(2048),
      }),
    )
    .min(1)
    .max(10_000),
  signer: z.strictObject({ alg: z.literal('Ed25519'), keyId: hex64, publicKey: z.string().max(256) }).optional(),
});

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

/** A FIFO of owned byte chunks that hands out exact-length runs as pieces, without copying. */
class ByteQueue {
  #chunks: Buffer[] = [];
  length = 0;
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.length += chunk.length;
  }
  /** Removes the first `n` bytes (n <= length) as the pieces they are stored in. */
  take(n: number): Buffer[] {
    const out: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const c = this.#chunks[0]!;
      if (c.length <= left) {
        out.push(c);
        this.#chunks.shift();
        left -= c.length;
      } else {
        out.push(c.subarray(0, left));
        this.#chunks[0] = c.subarray(left);
        left = 0;
      }
    }
    this.length -= n;
    return out;
  }
  /** Removes and returns everything as one buffer. */
  takeAll(): Buffer {
    const all = this.take(this.length);
    return all.length === 1 ? all[0]! : Buffer.concat(all);
  }
}

function malformed(message: string, reason: string) {
  return designError('DESIGN_ENVELOPE_MALFORMED', `envelope: ${message}`, { reason });
}

/** A new envelope's header, content key and the sealer of its chunks. */
function startEnvelope(options: SealOptions, outputBytes: number | undefined): { header: EnvelopeHeader; headerBytes: Buffer; headerHash: Buffer; sealer: ChunkSealer; key: Buffer } {
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
  const shape = HeaderSchema.safeParse(header);
  if (!shape.success) throw designError('DESIGN_PACKAGE_INVALID', `envelope header: ${describeIssues(shape.error, 3)}`, { reason: 'header' });
  const headerBytes = Buffer.from(canonicalJson(header), 'utf8');
  const headerHash = createHash('sha256').update(headerBytes).digest();
  const sealer = new ChunkSealer(key, Buffer.from(header.nonce, 'base64'), headerHash, outputBytes);
  return { header, headerBytes, headerHash, sealer, key };
}

function preambleAndHeader(headerBytes: Buffer): Buffer {
  const preamble = Buffer.alloc(PREAMBLE_LENGTH);
  MAGIC.copy(preamble, 0);
  preamble[5] = FORMAT_VERSION;
  preamble.writeUInt32BE(headerBytes.length, 8);
  return Buffer.concat([preamble, headerBytes]);
}

function summaryOf(header: EnvelopeHeader, headerHash: Buffer, chunks: { plaintextLength: number; ciphertextHash: Buffer; envelopeHash: string }): EnvelopeSummary {
  return {
    header,
    headerHash: headerHash.toString('hex'),
    plaintextLength: chunks.plaintextLength,
    ciphertextHash: chunks.ciphertextHash.toString('hex'),
    envelopeHash: chunks.envelopeHash,
    ...(header.signer ? { signerKeyId: header.signer.keyId } : {}),
  };
}

/** Encrypts and frames a plaintext stream; `summary()` is available once the output ended. */
export function sealEnvelope(plaintext: Readable, options: SealOptions): { stream: Readable; summary(): EnvelopeSummary } {
  const started = startEnvelope(options, undefined);
  const sealer = new EnvelopeSealer(started, options.signingKey);
  return { stream: chain(plaintext, [], sealer, (e) => e as Error), summary: () => sealer.summary() };
}

class EnvelopeSealer extends Transform {
  readonly #pending = new ByteQueue();
  #started = false;
  #summary: EnvelopeSummary | undefined;

  constructor(
    private readonly envelope: ReturnType<typeof startEnvelope>,
    private readonly signingKey: KeyObject | undefined,
  ) {
    super();
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    this.push(preambleAndHeader(this.envelope.headerBytes));
  }

  async #seal(plain: Buffer[], final: boolean): Promise<void> {
    for (const out of await this.envelope.sealer.seal(plain, final)) this.push(out);
  }

  async #sealFull(): Promise<void> {
    const size = this.envelope.header.chunkSize;
    // A chunk is sealed only once more data follows it: the last one must carry the final flag.
    while (this.#pending.length > size) await this.#seal(this.#pending.take(size), false);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#start();
    this.#pending.push(chunk);
    this.#sealFull().then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    this.#finish().then(() => cb(), cb);
  }

  async #finish(): Promise<void> {
    this.#start();
    const { header, headerHash, sealer, key } = this.envelope;
    await this.#seal(this.#pending.take(this.#pending.length), true);
    const { trailer, summary } = await sealer.trailer(this.signingKey);
    this.push(trailer);
    key.fill(0);
    this.#summary = summaryOf(header, headerHash, summary);
  }

  override _destroy(error: Error | null, cb: (error?: Error | null) => void): void {
    if (!this.#summary) {
      this.envelope.sealer.abandon();
      this.envelope.key.fill(0);
    }
    cb(error);
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
  const shape = HeaderSchema.safeParse(json);
  if (!shape.success) throw malformed(`the header does not match the format: ${describeIssues(shape.error, 3)}`, 'header-schema');
  const header = json as EnvelopeHeader;
  if (canonicalJson(header) !== headerBytes.toString('utf8')) throw malformed('the header is not canonical JSON', 'header-canonical');
  return { header, headerBytes: Buffer.from(headerBytes), headerHash: createHash('sha256').update(headerBytes).digest(), bodyOffset: PREAMBLE_LENGTH + length };
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
 * acting on any byte uses `openEnvelopeFile`, which releases nothing before it.
 */
export function openEnvelopeStream(source: Readable, options: OpenEnvelopeOptions, onHeader?: (summary: { header: EnvelopeHeader; headerHash: string }) => void): Readable {
  return chain(source, [], new EnvelopeOpener(options, onHeader), (e) => (isDesignError(e) ? e : malformed((e as Error).message, 'read')));
}

/** What a reader knows once the header is parsed and the content key unwrapped. */
interface OpenedHeader {
  header: EnvelopeHeader;
  headerHash: Buffer;
  bodyOffset: number;
  signer: KeyObject | undefined;
  key: Buffer;
  chunks: ChunkOpener;
}

function openHeader(parsed: NonNullable<ReturnType<typeof parseEnvelopeHeader>>, options: OpenEnvelopeOptions, envelopeBytes: number | undefined): OpenedHeader {
  const signer = signerOf(parsed.header, options);
  const key = contentKeyFor(parsed.header, options);
  const chunks = new ChunkOpener(key, Buffer.from(parsed.header.nonce, 'base64'), parsed.headerHash, parsed.header.chunkSize, options.maxPlaintextBytes, envelopeBytes);
  return { header: parsed.header, headerHash: parsed.headerHash, bodyOffset: parsed.bodyOffset, signer, key, chunks };
}

class EnvelopeOpener extends Transform {
  readonly #buffered = new ByteQueue();
  #opened: OpenedHeader | undefined;
  summary: EnvelopeSummary | undefined;

  constructor(
    private readonly options: OpenEnvelopeOptions,
    private readonly onHeader?: (summary: { header: EnvelopeHeader; headerHash: string }) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    let ready: boolean;
    try {
      this.#buffered.push(chunk);
      ready = this.#readHeader();
    } catch (e) {
      return cb(e as Error);
    }
    if (!ready) return cb();
    this.#openFull().then(() => cb(), cb);
  }

  /** Parses the header once it is complete; false while more bytes are needed. */
  #readHeader(): boolean {
    if (this.#opened) return true;
    const all = this.#buffered.takeAll();
    const parsed = parseEnvelopeHeader(all);
    if (!parsed) {
      this.#buffered.push(all);
      if (all.length > PREAMBLE_LENGTH + MAX_HEADER_BYTES) throw malformed('header too long', 'header-length');
      return false;
    }
    this.#opened = openHeader(parsed, this.options, undefined);
    this.onHeader?.({ header: parsed.header, headerHash: parsed.headerHash.toString('hex') });
    this.#buffered.push(all.subarray(parsed.bodyOffset));
    return true;
  }

  async #openFull(): Promise<void> {
    const { header, chunks } = this.#opened!;
    const frame = header.chunkSize + TAG_LENGTH;
    // Keep one frame and the trailer back: only bytes followed by more than that are a non-final chunk.
    while (this.#buffered.length > frame + TRAILER_LENGTH) {
      for (const plain of await chunks.open(this.#buffered.take(frame), false)) this.push(plain);
    }
  }

  override _flush(cb: TransformCallback): void {
    this.#finish().then(() => cb(), cb);
  }

  async #finish(): Promise<void> {
    if (!this.#opened) throw designError('DESIGN_ENVELOPE_TRUNCATED', 'the envelope ends inside its header', { reason: 'header' });
    const { header, headerHash, chunks, signer, key } = this.#opened;
    const rest = this.#buffered.takeAll();
    if (rest.length < TAG_LENGTH + TRAILER_LENGTH) throw designError('DESIGN_ENVELOPE_TRUNCATED', 'the envelope ends before its final chunk and trailer', { reason: 'trailer' });
    const frame = rest.subarray(0, rest.length - TRAILER_LENGTH);
    if (frame.length > header.chunkSize + TAG_LENGTH) throw malformed('the final chunk is longer than the chunk size', 'framing');
    for (const plain of await chunks.open([frame], true)) this.push(plain);
    const summary = await chunks.finish(rest.subarray(rest.length - TRAILER_LENGTH), signer);
    key.fill(0);
    this.summary = summaryOf(header, headerHash, summary);
  }

  override _destroy(error: Error | null, cb: (error?: Error | null) => void): void {
    if (!this.summary && this.#opened) {
      this.#opened.chunks.abandon();
      this.#opened.key.fill(0);
    }
    cb(error);
  }
}

// ------------------------------------------------------------------ files

/** Reads and parses the preamble and header at the start of an envelope file. */
async function readFileHeader(handle: FileHandle, size: number): Promise<NonNullable<ReturnType<typeof parseEnvelopeHeader>>> {
  const head = Buffer.alloc(Math.min(size, PREAMBLE_LENGTH + MAX_HEADER_BYTES));
  await handle.read(head, 0, head.length, 0);
  const parsed = parseEnvelopeHeader(head);
  if (!parsed) throw designError('DESIGN_ENVELOPE_TRUNCATED', 'the envelope ends inside its header', { reason: 'header' });
  return parsed;
}

/** Where the chunks of an envelope file lie, from its length alone (§1). */
function frameLayout(size: number, bodyOffset: number, chunkSize: number): { bodyLength: number; frame: number } {
  const bodyLength = size - TRAILER_LENGTH - bodyOffset;
  if (bodyLength < TAG_LENGTH) throw designError('DESIGN_ENVELOPE_TRUNCATED', 'the envelope ends before its final chunk and trailer', { reason: 'trailer' });
  const frame = chunkSize + TAG_LENGTH;
  const last = bodyLength - (Math.ceil(bodyLength / frame) - 1) * frame;
  if (last < TAG_LENGTH) throw malformed('the final chunk is shorter than a tag', 'framing');
  return { bodyLength, frame };
}

function changedWhileRead(e: unknown): unknown {
  return e instanceof ShortReadError ? malformed('the file became shorter while it was read', 'changed') : e;
}

/**
 * Checks an envelope file without decrypting anything: header, framing,
 * trailer digest and producer signature (one streaming pass, no key needed).
 */
export async function verifyEnvelopeFile(path: string, options: Pick<OpenEnvelopeOptions, 'trustedSigners' | 'requireSignature'> = {}): Promise<EnvelopeSummary> {
  const handle = await openFile(path, 'r');
  try {
    const { size } = await handle.stat();
    const parsed = await readFileHeader(handle, size);
    const signer = signerOf(parsed.header, options);
    const { bodyLength, frame } = frameLayout(size, parsed.bodyOffset, parsed.header.chunkSize);
    const chunks = Math.ceil(bodyLength / frame);
    // A pass that only hashes: on this thread, over reused buffers.
    const hash = createHash('sha256');
    try {
      for await (const c of fileChunks(handle.fd, parsed.bodyOffset, bodyLength, 1024 * 1024)) hash.update(c);
    } catch (e) {
      throw changedWhileRead(e);
    }
    const trailer = Buffer.alloc(TRAILER_LENGTH);
    await handle.read(trailer, 0, TRAILER_LENGTH, size - TRAILER_LENGTH);
    const length = trailer.readBigUInt64BE(0);
    const expectedLength = BigInt(bodyLength - chunks * TAG_LENGTH);
    const ciphertextHash = hash.digest();
    if (length !== expectedLength || !trailer.subarray(8, 40).equals(ciphertextHash)) throw malformed('the trailer does not match the chunks', 'trailer');
    const signed = statement(parsed.headerHash, ciphertextHash, length);
    if (signer && !verify(null, signed, signer, trailer.subarray(40))) throw malformed('the Ed25519 signature does not verify', 'signature');
    return summaryOf(parsed.header, parsed.headerHash, { plaintextLength: Number(length), ciphertextHash, envelopeHash: createHash('sha256').update(signed).digest('hex') });
  } finally {
    await handle.close();
  }
}

/**
 * Opens an envelope file and writes the plaintext atomically to `outPath`.
 * One pass decrypts, chunk by chunk as each authenticates, into a private
 * temporary file (mode 0600, beside `outPath`); only after the last chunk, the
 * trailer and the producer signature verified is it renamed to `outPath` (a
 * pinned signer is checked from the header, before anything is decrypted). On
 * any failure the temporary file is deleted: nothing appears at `outPath`
 * that did not verify.
 */
export async function openEnvelopeFile(path: string, outPath: string, options: OpenEnvelopeOptions): Promise<EnvelopeSummary> {
  const handle = await openFile(path, 'r');
  const temp = join(dirname(outPath), `.${randomBytes(6).toString('hex')}.fabgate-tmp`);
  let opened: OpenedHeader | undefined;
  try {
    const { size } = await handle.stat();
    const parsed = await readFileHeader(handle, size);
    const { bodyLength, frame } = frameLayout(size, parsed.bodyOffset, parsed.header.chunkSize);
    const envelope = openHeader(parsed, options, size);
    envelope.chunks.step = CIPHER_STEP;
    opened = envelope;
    const trailer = Buffer.alloc(TRAILER_LENGTH);
    async function* plaintext(): AsyncGenerator<readonly Buffer[]> {
      let offset = 0;
      try {
        // Whole frames per read; the frame that ends where the trailer starts is the final one.
        for await (const chunk of fileChunks(handle.fd, parsed.bodyOffset, bodyLength, frame)) {
          offset += chunk.length;
          yield await envelope.chunks.open([chunk], offset === bodyLength);
        }
      } catch (e) {
        throw changedWhileRead(e);
      }
      await handle.read(trailer, 0, TRAILER_LENGTH, size - TRAILER_LENGTH);
    }
    await writeChunks(plaintext(), createWriteStream(temp, { flags: 'wx', mode: 0o600, highWaterMark: WRITE_BUFFER }));
    const summary = await envelope.chunks.finish(trailer, envelope.signer);
    await rename(temp, outPath);
    return summaryOf(parsed.header, parsed.headerHash, summary);
  } catch (e) {
    opened?.chunks.abandon();
    await unlink(temp).catch(() => undefined);
    throw e;
  } finally {
    opened?.key.fill(0);
    await handle.close();
  }
}

/** Seals a file into an envelope file, atomically, reading it a chunk at a time with reused buffers. */
export async function sealEnvelopeFile(path: string, outPath: string, options: SealOptions): Promise<EnvelopeSummary> {
  const handle = await openFile(path, 'r');
  const temp = join(dirname(outPath), `.${randomBytes(6).toString('hex')}.fabgate-tmp`);
  let started: ReturnType<typeof startEnvelope> | undefined;
  try {
    const { size } = await handle.stat();
    const envelope = startEnvelope(options, size);
    envelope.sealer.step = CIPHER_STEP;
    started = envelope;
    const chunkSize = envelope.header.chunkSize;
    let summary: EnvelopeSummary | undefined;
    async function* sealed(): AsyncGenerator<readonly Buffer[]> {
      yield [preambleAndHeader(envelope.headerBytes)];
      let offset = 0;
      try {
        for await (const chunk of fileChunks(handle.fd, 0, size, chunkSize)) {
          offset += chunk.length;
          yield await envelope.sealer.seal([chunk], offset === size);
        }
      } catch (e) {
        throw changedWhileRead(e);
      }
      if (size === 0) yield await envelope.sealer.seal([], true);
      const { trailer, summary: chunks } = await envelope.sealer.trailer(options.signingKey);
      yield [trailer];
      summary = summaryOf(envelope.header, envelope.headerHash, chunks);
    }
    await writeChunks(sealed(), createWriteStream(temp, { flags: 'wx', mode: 0o600, highWaterMark: WRITE_BUFFER }));
    await rename(temp, outPath);
    return summary!;
  } catch (e) {
    started?.sealer.abandon();
    await unlink(temp).catch(() => undefined);
    throw e;
  } finally {
    started?.key.fill(0);
    await handle.close();
  }
}

/** True when the bytes start like a Fabgate envelope. */
export function isEnvelope(head: Uint8Array): boolean {
  return Buffer.from(head).subarray(0, 5).equals(MAGIC);
}

