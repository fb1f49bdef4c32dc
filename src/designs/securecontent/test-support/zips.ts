import { Writable } from 'node:stream';
import { crc32, deflateRawSync } from 'node:zlib';
import { SafeZip } from '../safe-zip.js';
import { ZipWriter } from '../zip-writer.js';

/**
 * Test helpers: hand-built ZIP archives that lie in every way a hostile one
 * can (names, sizes, CRCs, layout), and whole-package rewrites for tamper tests.
 */

export interface CraftEntry {
  name: string | Buffer;
  /** The plain content; stored or deflated according to `method`. */
  content?: Buffer;
  method?: 0 | 8;
  /** Override what the headers claim. */
  declaredSize?: number;
  declaredCompressedSize?: number;
  crc?: number;
  /** A different name in the local header than in the central directory. */
  localName?: string;
  externalAttributes?: number;
  versionMadeBy?: number;
  flags?: number;
  /** Bytes appended after the (compressed) data, counted in the compressed size. */
  padding?: Buffer;
  /** Write no local header; point the central record at this absolute offset (overlapping entries). */
  offsetOverride?: number;
}

/** Builds a ZIP archive byte by byte, honouring every lie in `entries`. */
export function craftZip(entries: CraftEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.isBuffer(e.name) ? e.name : Buffer.from(e.name, 'utf8');
    const localName = e.localName !== undefined ? Buffer.from(e.localName, 'utf8') : name;
    const content = e.content ?? Buffer.alloc(0);
    const method = e.method ?? 0;
    const body = method === 8 ? deflateRawSync(content) : content;
    const data = e.padding ? Buffer.concat([body, e.padding]) : body;
    const crc = e.crc ?? crc32(content);
    const size = e.declaredSize ?? content.length;
    const csize = e.declaredCompressedSize ?? data.length;
    const flags = e.flags ?? 0x800;
    let at = offset;
    if (e.offsetOverride === undefined) {
      const h = Buffer.alloc(30);
      h.writeUInt32LE(0x04034b50, 0);
      h.writeUInt16LE(20, 4);
      h.writeUInt16LE(flags, 6);
      h.writeUInt16LE(method, 8);
      h.writeUInt32LE(crc >>> 0, 14);
      h.writeUInt32LE(csize, 18);
      h.writeUInt32LE(size, 22);
      h.writeUInt16LE(localName.length, 26);
      const local = Buffer.concat([h, localName, data]);
      locals.push(local);
      offset += local.length;
    } else {
      at = e.offsetOverride;
    }
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(e.versionMadeBy ?? 20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(flags, 8);
    c.writeUInt16LE(method, 10);
    c.writeUInt32LE(crc >>> 0, 16);
    c.writeUInt32LE(csize, 20);
    c.writeUInt32LE(size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE((e.externalAttributes ?? 0) >>> 0, 38);
    c.writeUInt32LE(at, 42);
    centrals.push(Buffer.concat([c, name]));
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length, 8);
  end.writeUInt16LE(centrals.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** A Writable that collects everything written into one Buffer. */
export function bufferSink(): { sink: Writable; bytes(): Buffer } {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks) };
}

/** Every part of a package, by part name, in archive order. */
export async function readAllParts(bytes: Uint8Array): Promise<Map<string, Buffer>> {
  const zip = await SafeZip.open({ buffer: bytes });
  try {
    const parts = new Map<string, Buffer>();
    for (const e of zip.entries) parts.set(e.partName, await zip.readEntry(e.partName, 1 << 30));
    return parts;
  } finally {
    await zip.close();
  }
}

/** Writes parts (by part name, in order) as a package. */
export async function writeParts(parts: Map<string, Buffer>): Promise<Buffer> {
  const { sink, bytes } = bufferSink();
  const zip = new ZipWriter(sink);
  for (const [name, data] of parts) await zip.addBuffer(name.slice(1), data, { compress: true });
  await zip.finish();
  return bytes();
}

/** Reads a package, lets `mutate` change its parts, and writes it again. */
export async function rewritePackage(bytes: Uint8Array, mutate: (parts: Map<string, Buffer>) => unknown): Promise<Buffer> {
  const parts = await readAllParts(bytes);
  await mutate(parts);
  return writeParts(parts);
}
