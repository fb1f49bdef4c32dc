import { createReadStream } from 'node:fs';
import { close as closeFd, open as openFd } from 'node:fs';
import { promisify } from 'node:util';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import yauzl from 'yauzl';
import { feedDigest, startDigest, type RunningDigest } from './digest-worker.js';
import { designError, isDesignError } from './errors.js';
import { fileChunks, ShortReadError } from './file-chunks.js';
import { resolveLimits, type ArchiveLimits } from './limits.js';
import { partNameKey } from './part-names.js';

/**
 * Reads ZIP archives defensively: the central directory is parsed by yauzl, but
 * every limit is enforced here, on the bytes actually inflated, never on the
 * sizes the headers claim.
 *
 * Threats handled: zip bombs (per-entry, total and ratio limits counted while
 * inflating; overlapping entries), path traversal (`..`, absolute names,
 * backslashes, drive letters), duplicate names (exact and case-insensitive, as
 * OPC compares part names), central/local header disagreement (two parsers
 * seeing two different files), symlinks, ZIP encryption, truncation and
 * corruption (CRC-32 and size checks at the end of every entry).
 */

/** Where the archive bytes come from: a file read with positional reads, or memory. */
export type ZipSource = { path: string } | { buffer: Uint8Array };

/** One file entry of the archive, named as an OPC part (`/` + ZIP item name). */
export interface ZipEntry {
  /** The OPC part name: `/` followed by the ZIP item name. */
  readonly partName: string;
  /** The ZIP item name as stored. */
  readonly itemName: string;
  /** 0 (stored) or 8 (deflated). */
  readonly compressionMethod: 0 | 8;
  readonly compressedSize: number;
  /** As declared by the central directory; enforced while inflating. */
  readonly uncompressedSize: number;
  readonly crc32: number;
  /** Offset of the entry's data in the archive. */
  readonly dataStart: number;
}

export interface OpenEntryOptions {
  /**
   * Check the CRC-32 at the end of the entry (default true). Callers that
   * authenticate the bytes more strongly (a signed SHA-256, an AES-GCM tag)
   * may skip it.
   */
  verifyCrc?: boolean;
}

/**
 * Reads of stored entries are large: fewer system calls and stream hops per
 * byte. Deflated entries are read in smaller steps because the inflation ratio
 * is checked against the bytes read so far: a bomb gets at most
 * `INFLATE_READ_CHUNK × maxCompressionRatio` out before it is stopped.
 */
const READ_CHUNK = 1024 * 1024;
const INFLATE_READ_CHUNK = 256 * 1024;

export class SafeZip {
  readonly #entries: Map<string, ZipEntry>;
  readonly #byKey: Map<string, ZipEntry>;
  readonly #zip: yauzl.ZipFile;
  /** The archive's file descriptor; yauzl owns it and closes it with the ZipFile. */
  readonly #fd: number | undefined;
  readonly #buffer: Buffer | undefined;
  readonly limits: ArchiveLimits;
  /** Size of the archive in bytes. */
  readonly archiveSize: number;
  #closed = false;

  private constructor(zip: yauzl.ZipFile, entries: ZipEntry[], limits: ArchiveLimits, fd: number | undefined, buffer: Buffer | undefined) {
    this.#zip = zip;
    this.#fd = fd;
    this.#buffer = buffer;
    this.limits = limits;
    this.archiveSize = zip.fileSize;
    this.#entries = new Map(entries.map((e) => [e.partName, e]));
    this.#byKey = new Map(entries.map((e) => [partNameKey(e.partName), e]));
  }

  /**
   * Opens and vets an archive: reads the central directory and every local
   * header, and refuses the archive before any entry is inflated if a name,
   * a declared size or the layout is hostile.
   */
  static async open(source: ZipSource, limitOverrides?: Partial<ArchiveLimits>): Promise<SafeZip> {
    const limits = resolveLimits(limitOverrides);
    let fd: number | undefined;
    let buffer: Buffer | undefined;
    let zip: yauzl.ZipFile;
    const options: yauzl.Options = { autoClose: false, lazyEntries: true, decodeStrings: false, validateEntrySizes: false };
    try {
      if ('path' in source) {
        fd = await promisify(openFd)(source.path, 'r');
        zip = await yauzl.fromFdPromise(fd, options);
      } else {
        buffer = Buffer.from(source.buffer.buffer, source.buffer.byteOffset, source.buffer.byteLength);
        zip = await yauzl.fromBufferPromise(buffer, options);
      }
    } catch (e) {
      if (fd !== undefined) closeFd(fd, () => {});
      if (isDesignError(e)) throw e;
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT' || err.code === 'EISDIR' || err.code === 'EACCES') {
        throw designError('DESIGN_ARCHIVE_MALFORMED', `cannot read the archive: ${err.message}`, { reason: 'unreadable' });
      }
      throw designError('DESIGN_ARCHIVE_MALFORMED', `not a readable ZIP archive: ${err.message}`, { reason: 'not-a-zip' });
    }
    try {
      const entries = await readEntries(zip, limits);
      return new SafeZip(zip, entries, limits, fd, buffer);
    } catch (e) {
      await closeZip(zip);
      throw e;
    }
  }

  /** File entries in central-directory order. */
  get entries(): readonly ZipEntry[] {
    return [...this.#entries.values()];
  }

  /** The entry for a part name, matched case-insensitively as OPC requires. */
  entry(partName: string): ZipEntry | undefined {
    return this.#entries.get(partName) ?? this.#byKey.get(partNameKey(partName));
  }

  /** The stored bytes of an entry, exactly as in the archive (still compressed if deflated). */
  openRaw(entry: ZipEntry): Readable {
    this.#assertOpen();
    if (entry.compressedSize === 0) return Readable.from([], { objectMode: false });
    const step = entry.compressionMethod === 0 ? READ_CHUNK : INFLATE_READ_CHUNK;
    if (this.#buffer) {
      const data = this.#buffer.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
      return Readable.from(chunksOf(data, step), { objectMode: false });
    }
    return createReadStream('', {
      fd: this.#fd!,
      start: entry.dataStart,
      end: entry.dataStart + entry.compressedSize - 1,
      autoClose: false,
      highWaterMark: step,
    });
  }

  /**
   * The inflated bytes of a part, with every limit enforced as they are
   * produced. The stream errors with a DESIGN_ARCHIVE_* error on any breach.
   */
  openEntry(partName: string, options: OpenEntryOptions = {}): Readable {
    const entry = this.entry(partName);
    if (!entry) throw designError('DESIGN_PACKAGE_INVALID', `the package has no part '${partName}'`, { reason: 'part-missing', partName });
    const consumed = { bytes: 0 };
    const raw = this.openRaw(entry);
    const guard = new EntryGuard(entry, this.limits, consumed, options.verifyCrc !== false);
    const stages: NodeJS.ReadWriteStream[] = [];
    // A stored entry consumes what it produces; only an inflated one needs its input counted.
    if (entry.compressionMethod === 8) {
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          consumed.bytes += chunk.length;
          cb(null, chunk);
        },
      });
      stages.push(counter, createInflateRaw({ chunkSize: 256 * 1024 }));
    }
    return chain(raw, stages, guard, (e) =>
      isDesignError(e) ? e : designError('DESIGN_ARCHIVE_MALFORMED', `cannot inflate '${entry.partName}': ${(e as Error).message}`, { reason: 'inflate', partName: entry.partName }),
    );
  }

  /**
   * The inflated bytes of a part as chunks, each valid only until the next is
   * asked for, with every check of `openEntry`. A stored entry (the usual form
   * of an encrypted part) of a file archive is read with reused buffers and one
   * read ahead (file-chunks.ts), its CRC-32 taken as it is read; other
   * entries come from `openEntry`.
   */
  async *entryChunks(partName: string, options: OpenEntryOptions = {}): AsyncGenerator<Buffer, void, undefined> {
    const entry = this.entry(partName);
    if (!entry) throw designError('DESIGN_PACKAGE_INVALID', `the package has no part '${partName}'`, { reason: 'part-missing', partName });
    this.#assertOpen();
    if (entry.compressionMethod !== 0) {
      yield* this.openEntry(partName, options);
      return;
    }
    // Stored: exactly the declared bytes are read (sizes were vetted when the archive was opened).
    // The CRC-32 is taken inline: it costs not much more than the copy into a digest ring, and
    // the reader's consumer (protecting a part: AES-GCM here, SHA-256 and CRC-32 of the cipher
    // file on the digest worker) leaves the worker the busier thread.
    const crc = options.verifyCrc === false ? undefined : startDigest({ crc32: true }, { mode: 'inline', expectedBytes: entry.uncompressedSize, onWorkerFailure: crcWorkerFailure(entry) });
    let finished = false;
    try {
      const chunks = this.#buffer
        ? chunksOf(this.#buffer.subarray(entry.dataStart, entry.dataStart + entry.compressedSize), READ_CHUNK)
        : fileChunks(this.#fd!, entry.dataStart, entry.compressedSize, READ_CHUNK);
      for await (const chunk of chunks) {
        if (crc) {
          const wait = crc.update(chunk);
          if (wait) await wait;
        }
        yield chunk;
      }
      if (crc) {
        const { crc32 } = await crc.digest();
        finished = true;
        if (crc32 !== entry.crc32 >>> 0) throw designError('DESIGN_ARCHIVE_MALFORMED', `'${entry.partName}' fails its CRC-32 check (corrupt)`, { reason: 'crc', partName: entry.partName });
      }
      finished = true;
    } catch (e) {
      if (isDesignError(e)) throw e;
      if (e instanceof ShortReadError) {
        throw designError('DESIGN_ARCHIVE_MALFORMED', `'${entry.partName}' is cut off at byte ${e.position} of the archive (truncated)`, { reason: 'size-mismatch', partName: entry.partName });
      }
      throw designError('DESIGN_ARCHIVE_MALFORMED', `cannot read '${entry.partName}': ${(e as Error).message}`, { reason: 'read', partName: entry.partName });
    } finally {
      if (!finished) crc?.abandon();
    }
  }

  /** Reads a whole part into memory, refusing parts larger than `maxBytes`. */
  async readEntry(partName: string, maxBytes: number, options: OpenEntryOptions = {}): Promise<Buffer> {
    const entry = this.entry(partName);
    if (entry && entry.uncompressedSize > maxBytes) {
      throw designError('DESIGN_ARCHIVE_TOO_LARGE', `part '${entry.partName}' declares ${entry.uncompressedSize} bytes, over the ${maxBytes}-byte limit for this kind of part`, {
        reason: 'part-size',
        partName: entry.partName,
      });
    }
    const chunks: Buffer[] = [];
    for await (const chunk of this.openEntry(partName, options)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await closeZip(this.#zip);
  }

  #assertOpen(): void {
    if (this.#closed) throw designError('DESIGN_ARCHIVE_MALFORMED', 'the archive is closed', { reason: 'closed' });
  }
}

/** Closes a ZipFile (and with it the file descriptor it owns) and waits until it is closed. */
function closeZip(zip: yauzl.ZipFile): Promise<void> {
  return new Promise((resolve) => {
    if (!zip.isOpen) return resolve();
    zip.once('close', () => resolve());
    zip.once('error', () => resolve());
    zip.close();
    // Buffer-backed archives have nothing to close and emit no event.
    if (zip.fileSize !== undefined && !('fd' in (zip as unknown as { reader: object }).reader)) resolve();
  });
}

function* chunksOf(data: Buffer, step: number): Generator<Buffer> {
  for (let offset = 0; offset < data.length; offset += step) yield data.subarray(offset, offset + step);
}

/**
 * Pipes `source` through `stages` into `last`, forwarding the first error of
 * any stream (mapped by `mapError`) to `last` and tearing the rest down; if
 * the consumer destroys `last` early, upstream is destroyed too.
 */
export function chain<T extends NodeJS.ReadWriteStream & Readable>(
  source: Readable,
  stages: NodeJS.ReadWriteStream[],
  last: T,
  mapError: (e: unknown) => Error,
): T {
  const all: Array<NodeJS.ReadableStream | NodeJS.WritableStream> = [source, ...stages, last];
  let failed = false;
  const fail = (e: unknown) => {
    if (failed) return;
    failed = true;
    for (const s of all) if (s !== last) (s as Readable).destroy();
    last.destroy(mapError(e));
  };
  let previous: NodeJS.ReadableStream = source;
  for (const stage of [...stages, last]) {
    previous.pipe(stage as NodeJS.WritableStream);
    previous = stage;
  }
  for (const s of all) {
    if (s === last) continue;
    (s as Readable).on('error', fail);
  }
  last.on('error', () => {
    failed = true;
  });
  last.on('close', () => {
    if (!last.readableEnded) for (const s of all) if (s !== last) (s as Readable).destroy();
  });
  return last;
}

function crcWorkerFailure(entry: ZipEntry): (cause: Error) => Error {
  return (cause) => designError('DESIGN_ARCHIVE_MALFORMED', `cannot check the CRC-32 of '${entry.partName}': ${cause.message}`, { reason: 'digest-worker', partName: entry.partName }, 'internal');
}

/**
 * Counts what an entry inflates to and stops it the moment a limit is crossed;
 * checks the CRC-32 at the end (on the digest worker for large entries).
 */
class EntryGuard extends Transform {
  #produced = 0;
  readonly #crc: RunningDigest | undefined;
  #ended = false;
  constructor(
    private readonly entry: ZipEntry,
    private readonly limits: ArchiveLimits,
    private readonly consumed: { bytes: number },
    verifyCrc: boolean,
  ) {
    super();
    this.#crc = verifyCrc ? startDigest({ crc32: true }, { expectedBytes: entry.uncompressedSize, onWorkerFailure: crcWorkerFailure(entry) }) : undefined;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.#produced += chunk.length;
    if (this.entry.compressionMethod === 0) this.consumed.bytes = this.#produced;
    const { entry, limits } = this;
    if (this.#produced > entry.uncompressedSize) {
      cb(
        designError('DESIGN_ARCHIVE_TOO_LARGE', `'${entry.partName}' inflates past the ${entry.uncompressedSize} bytes its header declares`, {
          reason: 'inflates-past-declared-size',
          partName: entry.partName,
        }),
      );
      return;
    }
    if (this.#produced > limits.ratioGraceBytes && this.#produced > Math.max(1, this.consumed.bytes) * limits.maxCompressionRatio) {
      cb(
        designError('DESIGN_ARCHIVE_TOO_LARGE', `'${entry.partName}' inflates more than ${limits.maxCompressionRatio}:1 (zip bomb)`, {
          reason: 'ratio',
          partName: entry.partName,
        }),
      );
      return;
    }
    if (!this.#crc) return cb(null, chunk);
    feedDigest(this.#crc, chunk, (e) => (e ? cb(e) : cb(null, chunk)));
  }

  override _flush(cb: TransformCallback): void {
    const { entry } = this;
    this.#ended = true;
    if (this.#produced !== entry.uncompressedSize) {
      this.#crc?.abandon();
      cb(
        designError('DESIGN_ARCHIVE_MALFORMED', `'${entry.partName}' holds ${this.#produced} bytes, its header declares ${entry.uncompressedSize} (truncated or corrupt)`, {
          reason: 'size-mismatch',
          partName: entry.partName,
        }),
      );
      return;
    }
    if (!this.#crc) return cb();
    this.#crc.digest().then(({ crc32 }) => {
      if (crc32 !== entry.crc32 >>> 0) return cb(designError('DESIGN_ARCHIVE_MALFORMED', `'${entry.partName}' fails its CRC-32 check (corrupt)`, { reason: 'crc', partName: entry.partName }));
      cb();
    }, cb);
  }

  override _destroy(error: Error | null, cb: (error?: Error | null) => void): void {
    if (!this.#ended) this.#crc?.abandon();
    cb(error);
  }
}

const UNIX_HOST = 3;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

async function readEntries(zip: yauzl.ZipFile, limits: ArchiveLimits): Promise<ZipEntry[]> {
  if (zip.entryCount > limits.maxEntries) {
    throw designError('DESIGN_ARCHIVE_TOO_LARGE', `the archive has ${zip.entryCount} entries, over the limit of ${limits.maxEntries}`, { reason: 'entry-count' });
  }
  const entries: ZipEntry[] = [];
  const seen = new Map<string, string>();
  const directories = new Set<string>();
  let totalDeclared = 0;
  const ranges: Array<{ start: number; end: number; name: string }> = [];
  try {
    for await (const raw of zip.eachEntry()) {
      const itemName = decodeItemName(raw.fileNameRaw, limits);
      const isDirectory = itemName.endsWith('/');
      const problem = itemNameProblem(isDirectory ? itemName.slice(0, -1) : itemName);
      if (problem) throw designError('DESIGN_ARCHIVE_UNSAFE', `unsafe entry name '${itemName}': ${problem.message}`, { reason: problem.reason, name: itemName });
      if (raw.versionMadeBy >> 8 === UNIX_HOST && ((raw.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) {
        throw designError('DESIGN_ARCHIVE_UNSAFE', `entry '${itemName}' is a symbolic link`, { reason: 'symlink', name: itemName });
      }
      if (raw.generalPurposeBitFlag & 0x1) {
        throw designError('DESIGN_ARCHIVE_MALFORMED', `entry '${itemName}' uses ZIP encryption, which OPC forbids`, { reason: 'zip-encryption', name: itemName });
      }
      if (isDirectory) {
        if (raw.uncompressedSize !== 0) throw designError('DESIGN_ARCHIVE_MALFORMED', `directory entry '${itemName}' has content`, { reason: 'directory-content', name: itemName });
        directories.add(partNameKey('/' + itemName.slice(0, -1)));
        continue;
      }
      const partName = '/' + itemName;
      const key = partNameKey(partName);
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        throw designError('DESIGN_ARCHIVE_UNSAFE', `duplicate entry '${itemName}'${earlier === partName ? '' : ` (same OPC part name as '${earlier.slice(1)}')`}`, {
          reason: 'duplicate',
          name: itemName,
        });
      }
      seen.set(key, partName);
      if (raw.compressionMethod !== 0 && raw.compressionMethod !== 8) {
        throw designError('DESIGN_ARCHIVE_MALFORMED', `entry '${itemName}' uses compression method ${raw.compressionMethod}`, { reason: 'compression-method', name: itemName });
      }
      if (raw.compressionMethod === 0 && raw.compressedSize !== raw.uncompressedSize) {
        throw designError('DESIGN_ARCHIVE_MALFORMED', `stored entry '${itemName}' has different compressed and uncompressed sizes`, { reason: 'size-mismatch', name: itemName });
      }
      if (raw.uncompressedSize > limits.maxEntryBytes) {
        throw designError('DESIGN_ARCHIVE_TOO_LARGE', `entry '${itemName}' declares ${raw.uncompressedSize} bytes, over the limit of ${limits.maxEntryBytes}`, {
          reason: 'entry-size',
          name: itemName,
        });
      }
      totalDeclared += raw.uncompressedSize;
      if (totalDeclared > limits.maxTotalBytes) {
        throw designError('DESIGN_ARCHIVE_TOO_LARGE', `the entries declare more than ${limits.maxTotalBytes} bytes in total`, { reason: 'total-size' });
      }
      if (raw.uncompressedSize > limits.ratioGraceBytes && raw.uncompressedSize > Math.max(1, raw.compressedSize) * limits.maxCompressionRatio) {
        throw designError('DESIGN_ARCHIVE_TOO_LARGE', `entry '${itemName}' declares a compression ratio over ${limits.maxCompressionRatio}:1 (zip bomb)`, {
          reason: 'ratio',
          name: itemName,
        });
      }
      const local = await zip.readLocalFileHeaderPromise(raw).catch((e: Error) => {
        throw designError('DESIGN_ARCHIVE_MALFORMED', `entry '${itemName}': ${e.message}`, { reason: 'local-header', name: itemName });
      });
      // A local header that names another file or another method lets two
      // readers see two different packages; refuse the ambiguity.
      if (!Buffer.from(local.fileName).equals(raw.fileNameRaw) || local.compressionMethod !== raw.compressionMethod) {
        throw designError('DESIGN_ARCHIVE_UNSAFE', `entry '${itemName}': local header disagrees with the central directory`, { reason: 'header-mismatch', name: itemName });
      }
      ranges.push({ start: raw.relativeOffsetOfLocalHeader, end: local.fileDataStart + raw.compressedSize, name: itemName });
      entries.push({
        partName,
        itemName,
        compressionMethod: raw.compressionMethod,
        compressedSize: raw.compressedSize,
        uncompressedSize: raw.uncompressedSize,
        crc32: raw.crc32,
        dataStart: local.fileDataStart,
      });
    }
  } catch (e) {
    if (isDesignError(e)) throw e;
    throw designError('DESIGN_ARCHIVE_MALFORMED', `corrupt ZIP directory: ${(e as Error).message}`, { reason: 'central-directory' });
  }
  // Overlapping entries are how non-recursive zip bombs multiply one kernel.
  ranges.sort((a, b) => a.start - b.start);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i]!.start < ranges[i - 1]!.end) {
      throw designError('DESIGN_ARCHIVE_UNSAFE', `entries '${ranges[i - 1]!.name}' and '${ranges[i]!.name}' overlap`, { reason: 'overlapping-entries' });
    }
  }
  // A part name that is also a folder of another part (`/a` and `/a/b`) cannot be extracted faithfully.
  for (const e of entries) {
    const key = partNameKey(e.partName);
    if (directories.has(key)) throw designError('DESIGN_ARCHIVE_UNSAFE', `'${e.itemName}' is both a file and a folder`, { reason: 'name-prefix-conflict', name: e.itemName });
    for (let i = key.indexOf('/', 1); i > 0; i = key.indexOf('/', i + 1)) {
      if (seen.has(key.slice(0, i))) {
        throw designError('DESIGN_ARCHIVE_UNSAFE', `'${e.itemName}' sits under a file of the same name`, { reason: 'name-prefix-conflict', name: e.itemName });
      }
    }
  }
  return entries;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeItemName(raw: Buffer, limits: ArchiveLimits): string {
  if (raw.length > limits.maxNameBytes) {
    throw designError('DESIGN_ARCHIVE_UNSAFE', `an entry name is ${raw.length} bytes long, over ${limits.maxNameBytes}`, { reason: 'name-length' });
  }
  try {
    return utf8.decode(raw);
  } catch {
    throw designError('DESIGN_ARCHIVE_UNSAFE', 'an entry name is not valid UTF-8', { reason: 'name-encoding' });
  }
}

/** ZIP item names that could escape an extraction folder or alias another entry. */
function itemNameProblem(name: string): { reason: string; message: string } | undefined {
  if (name === '') return { reason: 'empty-name', message: 'empty name' };
  if (name.includes('\\')) return { reason: 'backslash', message: 'contains a backslash' };
  if (name.startsWith('/')) return { reason: 'absolute-path', message: 'is an absolute path' };
  if (/^[a-zA-Z]:/.test(name)) return { reason: 'drive-letter', message: 'starts with a drive letter' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return { reason: 'control-character', message: 'contains a control character' };
  for (const segment of name.split('/')) {
    if (segment === '..') return { reason: 'path-traversal', message: 'climbs out with ..' };
    if (segment === '.') return { reason: 'dot-segment', message: 'has a . segment' };
    if (segment === '') return { reason: 'empty-segment', message: 'has an empty segment' };
  }
  return undefined;
}
