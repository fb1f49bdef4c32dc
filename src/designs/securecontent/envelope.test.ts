import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../shared/test-support/shared-data.js';
import { openEnvelopeFile, openEnvelopeStream, parseEnvelopeHeader, sealEnvelope, sealEnvelopeFile, TRAILER_LENGTH, verifyEnvelopeFile, type OpenEnvelopeOptions } from './envelope.js';
import { isDesignError } from './errors.js';
import { attackerKey, conformanceConsumer, consumerSpec, lib3mfConsumer, producerKey } from './test-support/fixtures.js';

const CHUNK = 1024;

/** Byte equality without a deep element-by-element diff (slow on megabytes). */
function expectSameBytes(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  expect(actual.equals(expected)).toBe(true);
}

async function seal(data: Buffer, options: { chunkSize?: number; signed?: boolean } = {}): Promise<Buffer> {
  const sealed = sealEnvelope(Readable.from([data], { objectMode: false }), {
    recipients: [consumerSpec(lib3mfConsumer), consumerSpec(conformanceConsumer)],
    contentType: 'text/x.gcode',
    name: 'part.gcode',
    chunkSize: options.chunkSize ?? CHUNK,
    ...(options.signed === false ? {} : { signingKey: producerKey.privateKey }),
  });
  const chunks: Buffer[] = [];
  for await (const c of sealed.stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function open(envelope: Buffer, options: Partial<OpenEnvelopeOptions> = {}, consumer = lib3mfConsumer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const source = Readable.from(
    (function* () {
      for (let i = 0; i < envelope.length; i += 777) yield envelope.subarray(i, i + 777);
    })(),
    { objectMode: false },
  );
  for await (const c of openEnvelopeStream(source, { consumerId: consumer.consumerId, privateKey: consumer.privateKey, ...options })) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function failure(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'opened',
    (e: unknown) => (isDesignError(e) ? e.code : `unexpected ${String(e)}`),
  );
}

const bodyStart = (envelope: Buffer) => parseEnvelopeHeader(envelope)!.bodyOffset;

describe('detached envelope', () => {
  it('round-trips real slicer G-code and STL files for each recipient', async () => {
    for (const file of [sharedData('gcode', 'prusaslicer', 'screw.gcode'), sharedData('gcode', 'prusaslicer', 'part.stl'), sharedData('3mf', 'lib3mf', 'Tests', 'TestFiles', 'CPP_UnitTests', 'Box.stl')]) {
      const data = readFileSync(file);
      const envelope = await seal(data, { chunkSize: 64 * 1024 });
      expectSameBytes(await open(envelope, { trustedSigners: [producerKey.publicKey] }), data);
      expectSameBytes(await open(envelope, {}, conformanceConsumer), data);
    }
  });

  it('round-trips any content and chunk boundary (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 6 * CHUNK }), fc.boolean(), async (bytes, signed) => {
        const data = Buffer.from(bytes);
        const envelope = await seal(data, { signed });
        expect(await open(envelope)).toEqual(data);
      }),
      { numRuns: 40 },
    );
    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK]) {
      const data = Buffer.alloc(size, 7);
      expect(await open(await seal(data))).toEqual(data);
    }
  });

  it('detects truncation at a chunk boundary, reordered chunks, flipped bits and a tampered header or trailer', async () => {
    const data = Buffer.from(readFileSync(sharedData('gcode', 'prusaslicer', 'screw.gcode')).subarray(0, 5 * CHUNK + 100));
    const envelope = await seal(data);
    const start = bodyStart(envelope);
    const frame = CHUNK + 16;
    const trailer = envelope.subarray(envelope.length - TRAILER_LENGTH);
    // Cut after two whole chunks and re-attach a trailer: the last chunk was not sealed as final.
    const cut = Buffer.concat([envelope.subarray(0, start + 2 * frame), trailer]);
    expect(await failure(open(cut))).toBe('DESIGN_ENVELOPE_TRUNCATED');
    expect(await failure(open(envelope.subarray(0, envelope.length - 10)))).toMatch(/DESIGN_(DECRYPT_FAILED|ENVELOPE_TRUNCATED|ENVELOPE_MALFORMED)/);
    expect(await failure(open(envelope.subarray(0, 20)))).toBe('DESIGN_ENVELOPE_TRUNCATED');
    const swapped = Buffer.concat([envelope.subarray(0, start), envelope.subarray(start + frame, start + 2 * frame), envelope.subarray(start, start + frame), envelope.subarray(start + 2 * frame)]);
    expect(await failure(open(swapped))).toBe('DESIGN_DECRYPT_FAILED');
    const flipped = Buffer.from(envelope);
    flipped[start + 3 * frame + 5]! ^= 0x40;
    expect(await failure(open(flipped))).toBe('DESIGN_DECRYPT_FAILED');
    // Changing the header (a recipient's key id would do) changes the header hash in every chunk's AAD.
    const header = parseEnvelopeHeader(envelope)!;
    const json = header.headerBytes.toString('utf8').replace('"contentType":"text/x.gcode"', '"contentType":"text/x.gcodf"');
    const reheadered = Buffer.concat([envelope.subarray(0, 12), Buffer.from(json), envelope.subarray(start)]);
    expect(await failure(open(reheadered))).toBe('DESIGN_DECRYPT_FAILED');
    const badTrailer = Buffer.from(envelope);
    badTrailer[badTrailer.length - TRAILER_LENGTH + 20]! ^= 1;
    expect(await failure(open(badTrailer))).toBe('DESIGN_ENVELOPE_MALFORMED');
    const badSignature = Buffer.from(envelope);
    badSignature[badSignature.length - 1]! ^= 1;
    expect(await failure(open(badSignature))).toBe('DESIGN_ENVELOPE_MALFORMED');
  });

  it('refuses a stranger, a wrong key, an untrusted or missing signature', async () => {
    const envelope = await seal(Buffer.from('G1 X10 Y10\n'));
    expect(await failure(open(envelope, { consumerId: 'someone-else' }))).toBe('DESIGN_CONSUMER_NOT_FOUND');
    expect(await failure(open(envelope, { privateKey: conformanceConsumer.privateKey }))).toBe('DESIGN_KEY_UNWRAP_FAILED');
    expect(await failure(open(envelope, { trustedSigners: [attackerKey.publicKey] }))).toBe('DESIGN_SIGNER_UNTRUSTED');
    const unsigned = await seal(Buffer.from('G1 X10 Y10\n'), { signed: false });
    expect(await failure(open(unsigned, { trustedSigners: [producerKey.publicKey] }))).toBe('DESIGN_SIGNER_UNTRUSTED');
    expect(await failure(open(unsigned, { requireSignature: true }))).toBe('DESIGN_ENVELOPE_MALFORMED');
    expect(await failure(open(Buffer.from('M104 S200\nG28\n')))).toBe('DESIGN_ENVELOPE_MALFORMED');
  });

  it('files: verifies the signature before writing a byte, atomically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fabgate-env-'));
    const input = sharedData('gcode', 'prusaslicer', 'part.gcode');
    const sealedPath = join(dir, 'part.gcode.fgenv');
    const summary = await sealEnvelopeFile(input, sealedPath, { recipients: [consumerSpec(lib3mfConsumer)], contentType: 'text/x.gcode', signingKey: producerKey.privateKey });
    expect(await verifyEnvelopeFile(sealedPath, { trustedSigners: [producerKey.publicKey] })).toEqual(summary);
    const out = join(dir, 'out.gcode');
    const opened = await openEnvelopeFile(sealedPath, out, { consumerId: lib3mfConsumer.consumerId, privateKey: lib3mfConsumer.privateKey, trustedSigners: [producerKey.publicKey] });
    expect(opened.envelopeHash).toBe(summary.envelopeHash);
    expectSameBytes(await readFile(out), readFileSync(input));
    // A tampered signature: nothing is written.
    const bad = readFileSync(sealedPath);
    bad[bad.length - 1]! ^= 1;
    writeFileSync(join(dir, 'bad.fgenv'), bad);
    expect(await failure(openEnvelopeFile(join(dir, 'bad.fgenv'), join(dir, 'bad.gcode'), { consumerId: lib3mfConsumer.consumerId, privateKey: lib3mfConsumer.privateKey }))).toBe(
      'DESIGN_ENVELOPE_MALFORMED',
    );
    expect((await readdir(dir)).sort()).toEqual(['bad.fgenv', 'out.gcode', 'part.gcode.fgenv']);
  });
});
