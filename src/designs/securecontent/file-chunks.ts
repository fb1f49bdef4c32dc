import { read } from 'node:fs';

/**
 * Reads a byte range of an open file in large chunks into two buffers used in
 * turn, one read always ahead of the consumer.
 *
 * Why not `createReadStream`: it allocates a fresh buffer for every read, and
 * on the hot paths (a 1 GB part) fresh memory is what costs most after the
 * cipher itself: every new page is a page fault, and freed buffers go back to
 * the system in batches only to be faulted in again. Two reused buffers cost
 * nothing after the first pass.
 *
 * The contract that makes reuse safe: a chunk is valid until the consumer asks
 * for the next one. Every consumer here uses a chunk synchronously (a cipher
 * `update`, a hash `update`, a copy into a digest ring) before it iterates on.
 */

/** Thrown when the file ends before `length` bytes were read. */
export class ShortReadError extends Error {
  constructor(readonly position: number) {
    super(`the file ends at byte ${position}, before the range does`);
  }
}

function readAt(fd: number, into: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, into, 0, length, position, (e, n) => (e ? reject(e) : resolve(n))));
}

/** Fills `into` (up to `length` bytes) from `position`, looping over short reads; fewer bytes only at the end of the file. */
async function fill(fd: number, into: Buffer, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const n = await readAt(fd, into.subarray(done), length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/**
 * Yields `[start, start + length)` of `fd` in chunks of `chunkBytes` (the last
 * one shorter); each chunk is valid until the next iteration. Fails with
 * `ShortReadError` if the file is shorter than the range.
 */
export async function* fileChunks(fd: number, start: number, length: number, chunkBytes: number): AsyncGenerator<Buffer, void, undefined> {
  if (length <= 0) return;
  const size = Math.min(chunkBytes, length);
  const buffers = [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(length > size ? size : 0)];
  let position = start;
  const end = start + length;
  const request = (i: number) => {
    const want = Math.min(size, end - position);
    const at = position;
    position += want;
    return fill(fd, buffers[i]!, want, at).then((n) => {
      if (n < want) throw new ShortReadError(at + n);
      return buffers[i]!.subarray(0, n);
    });
  };
  let turn = 0;
  let pending: Promise<Buffer> | undefined = request(turn);
  try {
    while (pending) {
      const chunk = await pending;
      turn ^= 1;
      // Read ahead into the other buffer while the consumer works on this one.
      pending = position < end ? request(turn) : undefined;
      yield chunk;
    }
  } finally {
    // An abandoned iteration may leave one read in flight; let it land unobserved.
    pending?.catch(() => undefined);
  }
}
