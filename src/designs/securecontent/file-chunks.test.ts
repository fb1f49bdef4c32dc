import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../shared/test-support/shared-data.js';
import { fileChunks, ShortReadError } from './file-chunks.js';

const FILE = sharedData('gcode', 'prusaslicer', 'screw.gcode');

describe('fileChunks', () => {
  it('yields exactly the range, in chunks of the asked size but the last (property)', async () => {
    const whole = readFileSync(FILE);
    const handle = await open(FILE, 'r');
    try {
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: whole.length }), fc.nat({ max: whole.length }), fc.integer({ min: 1, max: 40_000 }), async (start, wanted, chunkBytes) => {
          const length = Math.min(wanted, whole.length - start);
          const sizes: number[] = [];
          const copies: Buffer[] = [];
          // Copies: a chunk is valid only until the next one is asked for.
          for await (const chunk of fileChunks(handle.fd, start, length, chunkBytes)) {
            sizes.push(chunk.length);
            copies.push(Buffer.from(chunk));
          }
          expect(Buffer.concat(copies).equals(whole.subarray(start, start + length))).toBe(true);
          expect(sizes.slice(0, -1).every((n) => n === chunkBytes)).toBe(true);
          expect(sizes.every((n) => n > 0 && n <= chunkBytes)).toBe(true);
        }),
        { numRuns: 80 },
      );
    } finally {
      await handle.close();
    }
  });

  it('reuses its buffers: a chunk kept past the next one has been overwritten', async () => {
    const handle = await open(FILE, 'r');
    try {
      const kept: Buffer[] = [];
      for await (const chunk of fileChunks(handle.fd, 0, 4 * 1000, 1000)) kept.push(chunk);
      // Two buffers in turn: chunk 0 and chunk 2 share memory.
      expect(kept[0]!.buffer).toBe(kept[2]!.buffer);
      expect(kept[0]!.buffer).not.toBe(kept[1]!.buffer);
    } finally {
      await handle.close();
    }
  });

  it('fails with ShortReadError when the file ends inside the range', async () => {
    const size = readFileSync(FILE).length;
    const handle = await open(FILE, 'r');
    try {
      const read = async () => {
        for await (const _ of fileChunks(handle.fd, size - 100, 1000, 256)) void _;
      };
      await expect(read()).rejects.toBeInstanceOf(ShortReadError);
    } finally {
      await handle.close();
    }
  });
});
