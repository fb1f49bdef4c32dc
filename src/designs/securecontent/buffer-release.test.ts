import { createCipheriv, randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../shared/test-support/shared-data.js';
import { CIPHER_STEP, markDisposable, release, writeChunks } from './buffer-release.js';

const gcode = readFileSync(sharedData('gcode', 'prusaslicer', 'screw.gcode'));

function cipherOutput(data: Buffer): Buffer[] {
  const cipher = createCipheriv('aes-256-gcm', randomBytes(32), randomBytes(12));
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += CIPHER_STEP) out.push(cipher.update(data.subarray(at, at + CIPHER_STEP)));
  return out;
}

describe('buffer release', () => {
  it('frees only what was marked disposable, and only whole buffers', () => {
    const [a, b] = cipherOutput(gcode);
    const kept = Buffer.from(b!);
    markDisposable(a!);
    release(a!);
    expect(a!.length).toBe(0); // detached: its memory is gone
    release(b!); // never marked
    expect(b!.equals(kept)).toBe(true);
    const whole = Buffer.from(gcode);
    const view = whole.subarray(10, 20);
    markDisposable(view); // a view of a larger buffer is never marked
    release(view);
    expect(view.length).toBe(10);
    expect(whole.length).toBe(gcode.length);
  });

  it('writes every byte before releasing it, and cleans up after a failing source', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fabgate-release-'));
    const chunks = cipherOutput(gcode).map(markDisposable);
    const expected = Buffer.concat(chunks);
    await writeChunks(
      (async function* () {
        yield* chunks;
      })(),
      createWriteStream(join(dir, 'out.bin'), { highWaterMark: 16 * 1024 }),
    );
    expect(readFileSync(join(dir, 'out.bin')).equals(expected)).toBe(true);
    expect(chunks.every((c) => c.length === 0)).toBe(true);

    const failing = writeChunks(
      (async function* () {
        yield markDisposable(cipherOutput(gcode)[0]!);
        throw new Error('source failed');
      })(),
      createWriteStream(join(dir, 'partial.bin')),
    );
    await expect(failing).rejects.toThrow('source failed');
    expect((await readdir(dir)).sort()).toEqual(['out.bin', 'partial.bin']);
  });
});
