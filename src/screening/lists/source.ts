/**
 * A list file as the parsers see it: a name for messages and a way to stream its
 * bytes. Every byte read passes through a SHA-256 so the load's content hash is
 * known without a second read.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';

export interface ListInput {
  /** Shown in error messages and used as the key of per-file counts. */
  name: string;
  /** A file path to stream from... */
  path?: string;
  /** ...or the bytes themselves (tests, uploads). */
  bytes?: Uint8Array;
}

/** Build a `ListInput` for a file path; its name is the path as given. */
export function fileInput(path: string): ListInput {
  return { name: path, path };
}

export function displayName(input: ListInput): string {
  return input.path ? basename(input.path) : input.name;
}

/** Read up to `n` bytes from the start of the input (format detection). */
export async function head(input: ListInput, n = 16384): Promise<Uint8Array> {
  if (input.bytes) return input.bytes.subarray(0, n);
  const fh = await open(input.path!, 'r');
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Stream the input's bytes, feeding each chunk to `hash` as it passes. */
export async function* chunks(input: ListInput, hash: Hash): AsyncGenerator<Uint8Array> {
  if (input.bytes) {
    const size = 1 << 16;
    for (let i = 0; i < input.bytes.length; i += size) {
      const c = input.bytes.subarray(i, i + size);
      hash.update(c);
      yield c;
    }
    return;
  }
  for await (const c of createReadStream(input.path!, { highWaterMark: 1 << 16 })) {
    const b = c as Buffer;
    hash.update(b);
    yield b;
  }
}

export function newHash(): Hash {
  return createHash('sha256');
}

/** Decode a byte stream as UTF-8 text chunks (multi-byte characters split across chunks are kept whole). */
export async function* textChunks(src: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const dec = new TextDecoder('utf-8', { fatal: false });
  for await (const c of src) {
    const s = dec.decode(c, { stream: true });
    if (s) yield s;
  }
  const tail = dec.decode();
  if (tail) yield tail;
}
