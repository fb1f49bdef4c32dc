import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, open as openFile, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { sharedData } from '../../shared/test-support/shared-data.js';
import { configureDigestOffload, crashDigestWorkers } from './digest-worker.js';
import { openEnvelopeFile, openEnvelopeStream, parseEnvelopeHeader, sealEnvelope, sealEnvelopeFile, TRAILER_LENGTH, verifyEnvelopeFile } from './envelope.js';
import { isDesignError } from './errors.js';
import { openProtectedPackage, type OpenOptions } from './open.js';
import { protectFile, protectPackage } from './protect.js';
import { SafeZip } from './safe-zip.js';
import { conformanceConsumer, consumerSpec, lib3mfConsumer, producerKey } from './test-support/fixtures.js';
import { readAllParts } from './test-support/zips.js';
import { ZipWriter } from './zip-writer.js';

/**
 * Parts large enough to take the fast paths: stored entries read from a file
 * with reused buffers, hashing on the digest worker (at the default settings,
 * parts from 4 MiB up), one-pass envelope files. The content is real slicer
 * G-code, repeated to a few MiB.
 */

const MiB = 1024 * 1024;
const BIG = '/Metadata/print.gcode';
const gcode = readFileSync(sharedData('gcode', 'prusaslicer', 'part.gcode'));
const big = Buffer.concat(Array.from({ length: 6 }, () => gcode)); // about 5.7 MiB
const defaults = configureDigestOffload({});
const key = { consumerId: lib3mfConsumer.consumerId, privateKey: lib3mfConsumer.privateKey };

afterEach(() => {
  configureDigestOffload(defaults);
});

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'fabgate-large-'));
}

/** box.3mf with the G-code as an extra part, stored or deflated, written to a file. */
async function inputPackage(dir: string, compressBig = false): Promise<string> {
  const parts = await readAllParts(readFileSync(sharedData('3mf', '3mf-samples', 'examples', 'core', 'box.3mf')));
  const path = join(dir, compressBig ? 'deflated.3mf' : 'stored.3mf');
  const zip = new ZipWriter(createWriteStream(path));
  for (const [name, data] of parts) {
    const content = name === '/[Content_Types].xml' ? Buffer.from(data.toString('utf8').replace('</Types>', '<Default Extension="gcode" ContentType="text/x.gcode"/></Types>')) : data;
    await zip.addBuffer(name.slice(1), content, { compress: true });
  }
  await zip.addBuffer(BIG.slice(1), big, { compress: compressBig });
  await zip.finish();
  return path;
}

async function protectedPackage(dir: string, compressBig = false): Promise<string> {
  const out = join(dir, `protected-${compressBig ? 'deflated' : 'stored'}.3mf`);
  await protectFile(await inputPackage(dir, compressBig), out, { consumers: [consumerSpec(lib3mfConsumer), consumerSpec(conformanceConsumer)], signingKey: producerKey.privateKey });
  return out;
}

async function readPart(path: string, options: Partial<OpenOptions> = {}): Promise<Buffer> {
  const pkg = await openProtectedPackage({ path }, { ...key, ...options });
  try {
    return await pkg.readPart(BIG);
  } finally {
    await pkg.close();
  }
}

/** Reads a stream to its end; returns what it released and how it ended. */
async function drain(stream: Readable, onChunk?: (n: number) => void): Promise<{ bytes: Buffer; outcome: string }> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of stream) {
      chunks.push(c as Buffer);
      onChunk?.(chunks.length);
    }
    return { bytes: Buffer.concat(chunks), outcome: 'ok' };
  } catch (e) {
    return { bytes: Buffer.concat(chunks), outcome: isDesignError(e) ? `${e.code}/${e.kind}/${String((e.details as { reason?: unknown } | undefined)?.reason)}` : `unexpected ${String(e)}` };
  }
}

/** Flips one byte of a file in place. */
async function flipAt(path: string, at: number): Promise<void> {
  const handle = await openFile(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await handle.read(b, 0, 1, at);
    b[0]! ^= 0x20;
    await handle.write(b, 0, 1, at);
  } finally {
    await handle.close();
  }
}

describe('3MF parts of several MiB', () => {
  it('protects a stored and a deflated large part and opens both, verified first and verified while read, to the same bytes', async () => {
    const dir = await tempDir();
    for (const compressBig of [false, true]) {
      const path = await protectedPackage(dir, compressBig);
      expect((await readPart(path)).equals(big)).toBe(true);
      expect((await readPart(path, { verifyDigests: false })).equals(big)).toBe(true);
      // The conformance consumer too, and from memory rather than a file.
      const pkg = await openProtectedPackage({ buffer: readFileSync(path) }, { consumerId: conformanceConsumer.consumerId, privateKey: conformanceConsumer.privateKey, verifyDigests: false });
      expect((await pkg.readPart(BIG)).equals(big)).toBe(true);
      await pkg.close();
    }
  });

  it('counts a part verified at the end of a clean read, so a second read of it is not hashed again', async () => {
    const dir = await tempDir();
    const path = await protectedPackage(dir);
    const pkg = await openProtectedPackage({ path }, { ...key, verifyDigests: false });
    try {
      expect(pkg.manifest.digestsVerified).toBe(false);
      expect((await pkg.readPart('/3D/protected.model')).length).toBeGreaterThan(0);
      expect((await pkg.readPart(BIG)).equals(big)).toBe(true);
      // With the digest worker gone, a read that hashed would fail; the verified part reads from its GCM tag alone.
      configureDigestOffload({ minBytes: 0, workers: 0 });
      expect((await pkg.readPart(BIG)).equals(big)).toBe(true);
    } finally {
      await pkg.close();
    }
  });

  it('refuses a large part altered on disk: verified first nothing is decrypted, while read nothing is extracted', async () => {
    const dir = await tempDir();
    const path = await protectedPackage(dir);
    const zip = await SafeZip.open({ path });
    const entry = zip.entry(BIG)!;
    await zip.close();
    await flipAt(path, entry.dataStart + Math.floor(entry.compressedSize / 2));
    await expect(openProtectedPackage({ path }, key)).rejects.toMatchObject({ code: 'DESIGN_PART_MISMATCH', details: { reason: 'digest' } });
    const pkg = await openProtectedPackage({ path }, { ...key, verifyDigests: false });
    const out = join(dir, 'out');
    await expect(pkg.extractTo(out)).rejects.toMatchObject({ code: 'DESIGN_PART_MISMATCH', details: { reason: 'digest' } });
    await pkg.close();
    // All or nothing: no output folder, no temporary folder left behind.
    expect((await readdir(dir)).filter((f) => f === 'out' || f.endsWith('.fabgate-open'))).toEqual([]);
  });

  it('fails an open whose digest worker crashes mid-part with a DESIGN_* error, not a hang', async () => {
    const dir = await tempDir();
    const path = await protectedPackage(dir);
    configureDigestOffload({ minBytes: 0, slots: 2, slotBytes: 64 * 1024 });
    const pkg = await openProtectedPackage({ path }, { ...key, verifyDigests: false });
    try {
      const { outcome } = await drain(pkg.openPart(BIG), (n) => n === 1 && crashDigestWorkers());
      expect(outcome).toBe('DESIGN_PART_MISMATCH/internal/digest-worker');
    } finally {
      await pkg.close();
    }
  });

  it('fails a protect whose digest worker crashes mid-part with a DESIGN_* error and leaves no output file', async () => {
    const dir = await tempDir();
    const input = await inputPackage(dir);
    configureDigestOffload({ minBytes: 0, slots: 2, slotBytes: 64 * 1024 });
    let written = 0;
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        written += chunk.length;
        if (written > MiB && written - chunk.length <= MiB) crashDigestWorkers();
        cb();
      },
    });
    const failed = await protectPackage({ path: input }, sink, { consumers: [consumerSpec(lib3mfConsumer)] }).then(
      () => 'protected',
      (e: unknown) => (isDesignError(e) ? `${e.code}/${e.kind}/${String((e.details as { reason?: unknown }).reason)}` : `unexpected ${String(e)}`),
    );
    expect(failed).toMatch(/^DESIGN_[A-Z_]+\/internal\/digest-worker$/);
  });
});

describe('envelopes of several MiB', () => {
  it('file and stream forms read each other, for chunk sizes from 1 KiB to the default', async () => {
    const dir = await tempDir();
    const input = join(dir, 'print.gcode');
    writeFileSync(input, big);
    for (const chunkSize of [1024, 64 * 1024, undefined]) {
      const sealedFile = join(dir, `file-${chunkSize ?? 'default'}.fgenv`);
      const summary = await sealEnvelopeFile(input, sealedFile, { recipients: [consumerSpec(lib3mfConsumer)], contentType: 'text/x.gcode', signingKey: producerKey.privateKey, ...(chunkSize ? { chunkSize } : {}) });
      expect(summary.header.chunkSize).toBe(chunkSize ?? MiB);
      expect(await verifyEnvelopeFile(sealedFile, { trustedSigners: [producerKey.publicKey] })).toEqual(summary);
      const streamed = await drain(openEnvelopeStream(Readable.from([readFileSync(sealedFile)], { objectMode: false }), { ...key, trustedSigners: [producerKey.publicKey] }));
      expect(streamed.outcome).toBe('ok');
      expect(streamed.bytes.equals(big)).toBe(true);

      const sealed = sealEnvelope(Readable.from([big], { objectMode: false }), { recipients: [consumerSpec(lib3mfConsumer)], contentType: 'text/x.gcode', signingKey: producerKey.privateKey, ...(chunkSize ? { chunkSize } : {}) });
      const streamPath = join(dir, `stream-${chunkSize ?? 'default'}.fgenv`);
      await pipeline(sealed.stream, createWriteStream(streamPath));
      const out = join(dir, `out-${chunkSize ?? 'default'}.gcode`);
      const opened = await openEnvelopeFile(streamPath, out, { ...key, trustedSigners: [producerKey.publicKey] });
      expect(opened).toEqual(sealed.summary());
      expect((await readFile(out)).equals(big)).toBe(true);
    }
  });

  it('a file cut at a chunk boundary or altered in one chunk leaves nothing behind, and a stream releases only the chunks before the damage', async () => {
    const dir = await tempDir();
    const input = join(dir, 'print.gcode');
    writeFileSync(input, big);
    const chunkSize = 256 * 1024;
    const sealedPath = join(dir, 'print.gcode.fgenv');
    await sealEnvelopeFile(input, sealedPath, { recipients: [consumerSpec(lib3mfConsumer)], contentType: 'text/x.gcode', signingKey: producerKey.privateKey, chunkSize });
    const sealed = readFileSync(sealedPath);
    const start = parseEnvelopeHeader(sealed)!.bodyOffset;
    const frame = chunkSize + 16;
    const cut = Buffer.concat([sealed.subarray(0, start + 3 * frame), sealed.subarray(sealed.length - TRAILER_LENGTH)]);
    const altered = Buffer.from(sealed);
    altered[start + 5 * frame + 1000]! ^= 1;
    for (const [name, bytes, code] of [
      ['cut', cut, 'DESIGN_ENVELOPE_TRUNCATED'],
      ['altered', altered, 'DESIGN_DECRYPT_FAILED'],
    ] as const) {
      const path = join(dir, `${name}.fgenv`);
      writeFileSync(path, bytes);
      await expect(openEnvelopeFile(path, join(dir, `${name}.gcode`), key)).rejects.toMatchObject({ code });
    }
    expect((await readdir(dir)).sort()).toEqual(['altered.fgenv', 'cut.fgenv', 'print.gcode', 'print.gcode.fgenv']);
    // Streaming: only chunks before the altered one can come out, each of them genuine.
    const streamed = await drain(openEnvelopeStream(Readable.from([altered], { objectMode: false }), key));
    expect(streamed.outcome).toMatch(/^DESIGN_DECRYPT_FAILED\//);
    expect(streamed.bytes.length % chunkSize).toBe(0);
    expect(streamed.bytes.length).toBeLessThanOrEqual(5 * chunkSize);
    expect(streamed.bytes.equals(big.subarray(0, streamed.bytes.length))).toBe(true);
  });

  it('fails a seal and an open whose digest worker crashes with DESIGN_ENVELOPE_MALFORMED (internal), not a hang', async () => {
    configureDigestOffload({ minBytes: 0, slots: 2, slotBytes: 64 * 1024 });
    const sealed = sealEnvelope(Readable.from([big], { objectMode: false }), { recipients: [consumerSpec(lib3mfConsumer)], contentType: 'text/x.gcode', chunkSize: 64 * 1024 });
    expect((await drain(sealed.stream, (n) => n === 2 && crashDigestWorkers())).outcome).toBe('DESIGN_ENVELOPE_MALFORMED/internal/digest-worker');
    const good = sealEnvelope(Readable.from([big], { objectMode: false }), { recipients: [consumerSpec(lib3mfConsumer)], contentType: 'text/x.gcode', chunkSize: 64 * 1024 });
    const envelope = (await drain(good.stream)).bytes;
    const opened = await drain(openEnvelopeStream(Readable.from([envelope], { objectMode: false }), key), (n) => n === 1 && crashDigestWorkers());
    expect(opened.outcome).toBe('DESIGN_ENVELOPE_MALFORMED/internal/digest-worker');
    // What came out before the failure is genuine plaintext, chunk by chunk.
    expect(big.subarray(0, opened.bytes.length).equals(opened.bytes)).toBe(true);
  });
});
