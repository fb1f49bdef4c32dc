import { once } from 'node:events';
import type { WriteStream } from 'node:fs';
import { MessageChannel, type MessagePort } from 'node:worker_threads';

/**
 * Hands the memory of cipher output back to the allocator as soon as it has
 * been written to a file this module owns, instead of at the next garbage
 * collection.
 *
 * Why: `cipher.update` returns fresh memory for every chunk. V8 collects the
 * spent chunks only once some 64 MB of them have piled up, so a 1 GB part
 * would cost that much resident memory on top of Node itself, and every new
 * chunk would be a fresh page fault. Released at once, and kept below glibc's
 * mmap threshold (128 KiB: the ciphers here work in 64 KiB steps), a chunk's
 * memory is reused by the very next chunk.
 *
 * How: a chunk's ArrayBuffer is transferred into a closed MessagePort, which
 * detaches it and frees its memory (Node 20 has no `ArrayBuffer.prototype.transfer`).
 * Only chunks marked disposable by their producer (whole, unshared cipher
 * output) are released, and only by a consumer that is the last to hold them:
 * `writeChunks` into a file, or a ZipWriter told that its output is such a file.
 * Chunks handed to a caller's stream are never released; they are left to the
 * garbage collector as usual.
 */

/** Size of each cipher `update`: under glibc's default mmap threshold, so freed chunks are reused. */
export const CIPHER_STEP = 64 * 1024;

const disposable = new WeakSet<ArrayBuffer>();
let drain: MessagePort | undefined;

/** Marks fresh cipher output as releasable by the last consumer; returns it. */
export function markDisposable(chunk: Buffer): Buffer {
  const ab = chunk.buffer;
  if (ab instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === ab.byteLength) disposable.add(ab);
  return chunk;
}

/** Frees a disposable chunk's memory now (the chunk becomes empty); does nothing to any other chunk. */
export function release(chunk: Buffer): void {
  const ab = chunk.buffer;
  if (!(ab instanceof ArrayBuffer) || !disposable.has(ab)) return;
  disposable.delete(ab);
  if (!drain) {
    const { port1, port2 } = new MessageChannel();
    port2.close();
    port1.unref();
    drain = port1;
  }
  try {
    drain.postMessage(null, [ab]);
  } catch {
    // Not transferable after all: the garbage collector will free it.
  }
}

/**
 * Writes chunks (or batches of them) to a file stream this module opened,
 * releasing each disposable chunk once written; on any failure the stream is
 * destroyed (the caller removes the file).
 */
export async function writeChunks(chunks: AsyncIterable<Buffer | readonly Buffer[]>, out: WriteStream): Promise<void> {
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => undefined);
  try {
    for await (const item of chunks) {
      let accepted = true;
      for (const chunk of Buffer.isBuffer(item) ? [item] : (item as readonly Buffer[])) accepted = out.write(chunk, () => release(chunk));
      if (!accepted) await Promise.race([once(out, 'drain'), failed]);
    }
    out.end();
    await Promise.race([once(out, 'close'), failed]);
  } catch (e) {
    out.destroy();
    throw e;
  }
}
