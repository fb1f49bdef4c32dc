import { once } from 'node:events';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { createDeflateRaw } from 'node:zlib';
import { release } from './buffer-release.js';
import { feedDigest, startDigest, type DigestKinds, type DigestValues, type RunningDigest } from './digest-worker.js';
import { designError } from './errors.js';
import { chain } from './safe-zip.js';

/**
 * A streaming ZIP writer for OPC packages (APPNOTE 6.3: stored and deflated
 * entries, data descriptors, ZIP64 when an entry or the archive passes 4 GiB).
 *
 * Why not yazl: yazl computes every entry's CRC-32 in JavaScript
 * (buffer-crc32, about 140 MB/s measured on the project machine), which caps
 * protecting a large design far below the AES-GCM rate the issue targets;
 * node:zlib's `crc32` runs at about 2 GB/s. Reading stays with yauzl.
 *
 * Entries are written one after another straight to the output with
 * backpressure; nothing is buffered beyond one chunk. An entry's CRC-32 (and,
 * when asked, its SHA-256 for a manifest) is taken in the same pass, on the
 * digest worker for large entries (digest-worker.ts), so that hashing overlaps
 * with whatever produces the bytes.
 */

const LOCAL_HEADER = 0x04034b50;
const DATA_DESCRIPTOR = 0x08074b50;
const CENTRAL_HEADER = 0x02014b50;
const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const FLAG_DATA_DESCRIPTOR = 1 << 3;
const FLAG_UTF8 = 1 << 11;
const VERSION_DEFAULT = 20;
const VERSION_ZIP64 = 45;
const VERSION_MADE_BY = (3 << 8) | VERSION_ZIP64; // Unix, APPNOTE 4.5
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
const REGULAR_FILE_MODE = 0o100644;

export interface ZipWriterOptions {
  /** Write every entry and the end records in ZIP64 form (for testing the large-archive path). */
  forceZip64?: boolean;
  /** Modification time stamped on every entry; fixed by default so output is reproducible. */
  mtime?: Date;
  /**
   * The output is a file stream of this module's own and the last holder of
   * what is written to it: disposable chunks (cipher output) are released once
   * written (buffer-release.ts). Never for a caller's stream, which may keep them.
   */
  releaseWritten?: boolean;
}

export interface ZipEntryOptions {
  /** Deflate the entry (true) or store it (false: already compressed or encrypted data). */
  compress: boolean;
  /** Expected uncompressed size, if known: decides whether the local header announces ZIP64. */
  sizeHint?: number;
  /** Also take the SHA-256 of the entry's (uncompressed) content. */
  sha256?: boolean;
}

/** What was written for one entry. */
export interface ZipEntryWritten {
  /** Uncompressed size. */
  size: number;
  crc32: number;
  /** Hex SHA-256 of the uncompressed content, when asked for. */
  sha256?: string;
}

interface Written {
  name: Buffer;
  method: 0 | 8;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
  zip64: boolean;
}

function entryDigestFailure(name: string): (cause: Error) => Error {
  return (cause) => designError('DESIGN_ARCHIVE_MALFORMED', `cannot write '${name}': ${cause.message}`, { reason: 'digest-worker', name }, 'internal');
}

/** Passes an entry's bytes through while their CRC-32 (and SHA-256) is taken. */
class EntryDigest extends Transform {
  readonly #digest: RunningDigest;
  values: DigestValues | undefined;

  constructor(kinds: DigestKinds, expectedBytes: number | undefined, name: string) {
    super();
    this.#digest = startDigest(kinds, { expectedBytes, onWorkerFailure: entryDigestFailure(name) });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    feedDigest(this.#digest, chunk, (e) => (e ? cb(e) : cb(null, chunk)));
  }

  override _flush(cb: TransformCallback): void {
    this.#digest.digest().then((v) => {
      this.values = v;
      cb();
    }, cb);
  }

  override _destroy(error: Error | null, cb: (error?: Error | null) => void): void {
    if (!this.values) this.#digest.abandon();
    cb(error);
  }
}

export class ZipWriter {
  readonly #out: NodeJS.WritableStream;
  readonly #options: ZipWriterOptions;
  readonly #entries: Written[] = [];
  readonly #names = new Set<string>();
  #offset = 0;
  #busy = false;
  #finished = false;
  readonly #dosTime: number;
  readonly #dosDate: number;

  constructor(out: NodeJS.WritableStream, options: ZipWriterOptions = {}) {
    this.#out = out;
    this.#options = options;
    const t = options.mtime ?? new Date(Date.UTC(1980, 0, 1));
    this.#dosTime = (t.getUTCHours() << 11) | (t.getUTCMinutes() << 5) | Math.floor(t.getUTCSeconds() / 2);
    this.#dosDate = ((Math.max(1980, t.getUTCFullYear()) - 1980) << 9) | ((t.getUTCMonth() + 1) << 5) | t.getUTCDate();
  }

  /** Bytes written so far. */
  get size(): number {
    return this.#offset;
  }

  /** Adds an entry from memory. */
  addBuffer(name: string, data: Uint8Array, options: ZipEntryOptions): Promise<ZipEntryWritten> {
    return this.addStream(name, Readable.from([Buffer.from(data)], { objectMode: false }), { ...options, sizeHint: data.length });
  }

  /** Adds an entry from a stream; resolves once the entry is completely written. */
  addStream(name: string, source: Readable, options: ZipEntryOptions): Promise<ZipEntryWritten> {
    return this.#entry(name, options, async () => {
      const digest = new EntryDigest({ crc32: true, sha256: options.sha256 === true }, options.sizeHint, name);
      const last = options.compress ? chain(source, [digest], createDeflateRaw({ level: 6 }), (e) => e as Error) : chain(source, [], digest, (e) => e as Error);
      let compressedSize = 0;
      for await (const chunk of last) {
        compressedSize += (chunk as Buffer).length;
        await this.#write(chunk as Buffer);
      }
      return { values: digest.values!, compressedSize };
    });
  }

  /**
   * Adds a stored entry from batches of chunks (a cipher's output for one read,
   * say): each chunk is digested and written in turn, with no stream between,
   * so that many small chunks cost no more than a few large ones.
   */
  addStoredBatches(name: string, batches: AsyncIterable<readonly Buffer[]>, options: Omit<ZipEntryOptions, 'compress'>): Promise<ZipEntryWritten> {
    return this.#entry(name, { ...options, compress: false }, async () => {
      const digest = startDigest({ crc32: true, sha256: options.sha256 === true }, { expectedBytes: options.sizeHint, onWorkerFailure: entryDigestFailure(name) });
      let done = false;
      try {
        for await (const batch of batches) {
          for (const chunk of batch) {
            // Digested (copied or hashed) before it is written, and so before it may be released.
            const wait = digest.update(chunk);
            if (wait) await wait;
            await this.#write(chunk);
          }
        }
        const values = await digest.digest();
        done = true;
        return { values, compressedSize: values.bytes };
      } finally {
        if (!done) digest.abandon();
      }
    });
  }

  /** One entry: local header, the content `write` produces, data descriptor. */
  async #entry(name: string, options: ZipEntryOptions, write: () => Promise<{ values: DigestValues; compressedSize: number }>): Promise<ZipEntryWritten> {
    if (this.#busy) throw new Error('ZipWriter: entries must be added one at a time');
    if (this.#finished) throw new Error('ZipWriter: already finished');
    if (this.#names.has(name)) throw new Error(`ZipWriter: duplicate entry ${name}`);
    this.#busy = true;
    try {
      this.#names.add(name);
      const nameBytes = Buffer.from(name, 'utf8');
      const method: 0 | 8 = options.compress ? 8 : 0;
      const offset = this.#offset;
      const announceZip64 = this.#options.forceZip64 === true || (options.sizeHint ?? 0) >= MAX32 - 65536 || offset >= MAX32;
      await this.#write(this.#localHeader(nameBytes, method, announceZip64));
      const { values, compressedSize } = await write();
      const { bytes: size, crc32, sha256 } = values;
      const zip64 = announceZip64 || size >= MAX32 || compressedSize >= MAX32;
      await this.#write(this.#dataDescriptor(crc32!, compressedSize, size, zip64));
      this.#entries.push({ name: nameBytes, method, crc: crc32!, compressedSize, size, offset, zip64 });
      return { size, crc32: crc32!, ...(sha256 ? { sha256: sha256.toString('hex') } : {}) };
    } finally {
      this.#busy = false;
    }
  }

  /** Writes the central directory and end records, ends the output, and waits until it is flushed. */
  async finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    const start = this.#offset;
    for (const e of this.#entries) await this.#write(this.#centralHeader(e));
    const cdSize = this.#offset - start;
    const count = this.#entries.length;
    const zip64 = this.#options.forceZip64 === true || count >= MAX16 || start >= MAX32 || cdSize >= MAX32;
    if (zip64) {
      const eocd64At = this.#offset;
      const record = Buffer.alloc(56);
      record.writeUInt32LE(EOCD64, 0);
      record.writeBigUInt64LE(44n, 4);
      record.writeUInt16LE(VERSION_MADE_BY, 12);
      record.writeUInt16LE(VERSION_ZIP64, 14);
      record.writeBigUInt64LE(BigInt(count), 24);
      record.writeBigUInt64LE(BigInt(count), 32);
      record.writeBigUInt64LE(BigInt(cdSize), 40);
      record.writeBigUInt64LE(BigInt(start), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(EOCD64_LOCATOR, 0);
      locator.writeBigUInt64LE(BigInt(eocd64At), 8);
      locator.writeUInt32LE(1, 16);
      await this.#write(Buffer.concat([record, locator]));
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(EOCD, 0);
    end.writeUInt16LE(zip64 ? MAX16 : count, 8);
    end.writeUInt16LE(zip64 ? MAX16 : count, 10);
    end.writeUInt32LE(zip64 ? MAX32 : cdSize, 12);
    end.writeUInt32LE(zip64 ? MAX32 : start, 16);
    await this.#write(end);
    const done = once(this.#out, 'finish');
    this.#out.end();
    await done;
  }

  #localHeader(name: Buffer, method: 0 | 8, zip64: boolean): Buffer {
    // Sizes and CRC follow in the data descriptor; a ZIP64 extra field with
    // zero sizes announces that the descriptor carries 8-byte sizes.
    const extra = zip64 ? zip64Extra([0, 0]) : Buffer.alloc(0);
    const h = Buffer.alloc(30);
    h.writeUInt32LE(LOCAL_HEADER, 0);
    h.writeUInt16LE(zip64 ? VERSION_ZIP64 : VERSION_DEFAULT, 4);
    h.writeUInt16LE(FLAG_DATA_DESCRIPTOR | FLAG_UTF8, 6);
    h.writeUInt16LE(method, 8);
    h.writeUInt16LE(this.#dosTime, 10);
    h.writeUInt16LE(this.#dosDate, 12);
    h.writeUInt16LE(name.length, 26);
    h.writeUInt16LE(extra.length, 28);
    return Buffer.concat([h, name, extra]);
  }

  #dataDescriptor(crc: number, compressedSize: number, size: number, zip64: boolean): Buffer {
    if (zip64) {
      const d = Buffer.alloc(24);
      d.writeUInt32LE(DATA_DESCRIPTOR, 0);
      d.writeUInt32LE(crc, 4);
      d.writeBigUInt64LE(BigInt(compressedSize), 8);
      d.writeBigUInt64LE(BigInt(size), 16);
      return d;
    }
    const d = Buffer.alloc(16);
    d.writeUInt32LE(DATA_DESCRIPTOR, 0);
    d.writeUInt32LE(crc, 4);
    d.writeUInt32LE(compressedSize, 8);
    d.writeUInt32LE(size, 12);
    return d;
  }

  #centralHeader(e: Written): Buffer {
    const big = e.zip64 || e.size >= MAX32 || e.compressedSize >= MAX32 || e.offset >= MAX32;
    const extra = big ? zip64Extra([e.size, e.compressedSize, e.offset]) : Buffer.alloc(0);
    const h = Buffer.alloc(46);
    h.writeUInt32LE(CENTRAL_HEADER, 0);
    h.writeUInt16LE(VERSION_MADE_BY, 4);
    h.writeUInt16LE(big ? VERSION_ZIP64 : VERSION_DEFAULT, 6);
    h.writeUInt16LE(FLAG_DATA_DESCRIPTOR | FLAG_UTF8, 8);
    h.writeUInt16LE(e.method, 10);
    h.writeUInt16LE(this.#dosTime, 12);
    h.writeUInt16LE(this.#dosDate, 14);
    h.writeUInt32LE(e.crc, 16);
    h.writeUInt32LE(big ? MAX32 : e.compressedSize, 20);
    h.writeUInt32LE(big ? MAX32 : e.size, 24);
    h.writeUInt16LE(e.name.length, 28);
    h.writeUInt16LE(extra.length, 30);
    h.writeUInt32LE((REGULAR_FILE_MODE << 16) >>> 0, 38);
    h.writeUInt32LE(big ? MAX32 : e.offset, 42);
    return Buffer.concat([h, e.name, extra]);
  }

  async #write(data: Buffer): Promise<void> {
    this.#offset += data.length;
    const accepted = this.#options.releaseWritten ? this.#out.write(data, () => release(data)) : this.#out.write(data);
    if (!accepted) await once(this.#out, 'drain');
  }
}

/** ZIP64 extended information extra field (header id 0x0001) with 8-byte values. */
function zip64Extra(values: number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return b;
}
