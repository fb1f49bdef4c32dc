import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { sharedData } from '../../shared/test-support/shared-data.js';
import { configureDigestOffload, crashDigestWorkers, startDigest, terminateDigestWorkers, type DigestKinds, type RunningDigest } from './digest-worker.js';
import { designError, isDesignError } from './errors.js';

const BOTH: DigestKinds = { sha256: true, crc32: true };
const failure = (cause: Error) => designError('DESIGN_PART_MISMATCH', `test digest: ${cause.message}`, { reason: 'digest-worker' }, 'internal');
const defaults = configureDigestOffload({});

afterEach(() => {
  configureDigestOffload(defaults);
});

async function run(digest: RunningDigest, chunks: Uint8Array[]) {
  for (const c of chunks) {
    const wait = digest.update(c);
    if (wait) await wait;
  }
  return digest.digest();
}

/** Splits `data` at the given cut points. */
function pieces(data: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...at, data.length]) {
    out.push(data.subarray(from, c));
    from = c;
  }
  return out;
}

describe('digest worker', () => {
  it('computes the same SHA-256 and CRC-32 as node:crypto and node:zlib, however the bytes are cut (property)', async () => {
    const gcode = readFileSync(sharedData('gcode', 'prusaslicer', 'screw.gcode'));
    // Tiny slots and a two-slot ring: every run wraps the ring and waits on the worker.
    configureDigestOffload({ minBytes: 0, slots: 2, slotBytes: 1024 });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: gcode.length }), fc.integer({ min: 0, max: 20_000 }), fc.array(fc.nat(), { maxLength: 12 }), async (start, length, cuts) => {
        const data = gcode.subarray(start, start + length);
        const values = await run(startDigest(BOTH, { onWorkerFailure: failure }), pieces(data, cuts));
        expect(values.bytes).toBe(data.length);
        expect(values.sha256!.toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
        expect(values.crc32).toBe(crc32(data) >>> 0);
      }),
      { numRuns: 60 },
    );
  });

  it('gives the same values offloaded and inline, with several digests running at once', async () => {
    const data = readFileSync(sharedData('gcode', 'prusaslicer', 'part.gcode'));
    configureDigestOffload({ minBytes: 0, slots: 3, slotBytes: 64 * 1024, workers: 2 });
    const chunks = pieces(data, [1, 4096, 70_000, 500_000, 999_999]);
    const [a, b, c] = await Promise.all([
      run(startDigest(BOTH, { onWorkerFailure: failure }), chunks),
      run(startDigest({ sha256: true }, { onWorkerFailure: failure }), chunks),
      run(startDigest({ crc32: true }, { onWorkerFailure: failure }), chunks),
    ]);
    const inline = await run(startDigest(BOTH, { mode: 'inline', onWorkerFailure: failure }), chunks);
    expect(a).toEqual(inline);
    expect(b).toEqual({ bytes: inline.bytes, sha256: inline.sha256 });
    expect(c).toEqual({ bytes: inline.bytes, crc32: inline.crc32 });
  });

  it('hashes small inputs inline and larger ones on the worker, by the expected size', async () => {
    configureDigestOffload({ minBytes: 1024, slots: 2, slotBytes: 1024 });
    const bytes = Buffer.alloc(5000, 1);
    // Inline, an update is done when it returns; offloaded, 5000 bytes overflow a 2 KiB ring and must wait.
    const small = startDigest(BOTH, { expectedBytes: 100, onWorkerFailure: failure });
    expect(small.update(bytes)).toBeUndefined();
    const large = startDigest(BOTH, { expectedBytes: 5000, onWorkerFailure: failure });
    const wait = large.update(bytes);
    expect(wait).toBeInstanceOf(Promise);
    await wait;
    expect(await large.digest()).toEqual(await small.digest());
  });

  it('fails every digest a crashing worker holds with the caller’s DESIGN_* error, and starts a new worker after', async () => {
    configureDigestOffload({ minBytes: 0, slots: 2, slotBytes: 1024 });
    const data = readFileSync(sharedData('gcode', 'prusaslicer', 'screw.gcode'));
    const running = startDigest(BOTH, { onWorkerFailure: failure });
    const first = running.update(data.subarray(0, 1500));
    if (first) await first;
    crashDigestWorkers();
    const outcome = await run(running, pieces(data, [20_000, 40_000])).then(
      () => 'finished',
      (e: unknown) => (isDesignError(e) ? `${e.code}/${e.kind}/${(e.details as { reason: string }).reason}` : String(e)),
    );
    expect(outcome).toBe('DESIGN_PART_MISMATCH/internal/digest-worker');
    // The next digest gets a fresh worker.
    const after = await run(startDigest(BOTH, { onWorkerFailure: failure }), [data]);
    expect(after.sha256!.toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('fails a digest whose worker was terminated, instead of waiting for it forever', async () => {
    configureDigestOffload({ minBytes: 0, slots: 2, slotBytes: 1024 });
    const digest = startDigest({ sha256: true }, { onWorkerFailure: failure });
    const first = digest.update(Buffer.alloc(3000, 7));
    if (first) await first.catch(() => undefined);
    await terminateDigestWorkers();
    await expect(run(digest, [Buffer.alloc(5000, 8)])).rejects.toMatchObject({ code: 'DESIGN_PART_MISMATCH', kind: 'internal' });
  });

  it('does not keep a process alive once its digests are done or abandoned', () => {
    // A child that hashes on the worker, abandons a second digest, and must then exit on its own.
    const module = fileURLToPath(new URL('./digest-worker.ts', import.meta.url));
    const script = `
      import { configureDigestOffload, startDigest } from ${JSON.stringify(module)};
      configureDigestOffload({ minBytes: 0, slotBytes: 1024, slots: 2 });
      const onWorkerFailure = (e) => e;
      const d = startDigest({ sha256: true }, { onWorkerFailure });
      await d.update(Buffer.alloc(10000, 1));
      const v = await d.digest();
      const abandoned = startDigest({ crc32: true }, { onWorkerFailure });
      await abandoned.update(Buffer.alloc(5000, 2));
      abandoned.abandon();
      console.log(v.sha256.toString('hex'));
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
    expect(child.error).toBeUndefined();
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe(createHash('sha256').update(Buffer.alloc(10000, 1)).digest('hex'));
  });
});
