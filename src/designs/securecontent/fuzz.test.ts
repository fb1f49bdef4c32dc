import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../shared/test-support/shared-data.js';
import { openEnvelopeStream, sealEnvelope } from './envelope.js';
import { isDesignError } from './errors.js';
import { inspectPackage } from './inspect.js';
import { openProtectedPackage } from './open.js';
import { checkPackage } from './package-check.js';
import { consumerSpec, lib3mfConsumer, producerKey, protectToBuffer } from './test-support/fixtures.js';
import { readAllParts, writeParts } from './test-support/zips.js';

/**
 * Hostile input must end in a DESIGN_* error or a successful open, never in
 * another exception, a crash or a hang: random corruption of a real protected
 * package and of a real envelope.
 */

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
);

type Mutation = { kind: 'flip' | 'truncate' | 'insert' | 'overwrite'; at: number; bit?: number; bytes?: Uint8Array };

function mutate(input: Buffer, mutations: Mutation[]): Buffer {
  let data = Buffer.from(input);
  for (const m of mutations) {
    const at = m.at % Math.max(1, data.length);
    if (m.kind === 'flip') data[at]! ^= 1 << m.bit!;
    else if (m.kind === 'truncate') data = data.subarray(0, at);
    else if (m.kind === 'insert') data = Buffer.concat([data.subarray(0, at), Buffer.from(m.bytes!), data.subarray(at)]);
    else Buffer.from(m.bytes!).copy(data, at);
  }
  return data;
}

async function onlyDesignErrors(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (e) {
    if (!isDesignError(e)) throw e;
  }
}

const protectedBox = (await protectToBuffer({ path: sharedData('3mf', '3mf-samples', 'examples', 'production', 'box_prod.3mf') }, { compress: true })).bytes;

describe('random corruption', () => {
  it('of a protected package ends in a DESIGN_* error or a verified open', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (mutations) => {
        const bytes = mutate(protectedBox, mutations);
        await onlyDesignErrors(async () => {
          const pkg = await openProtectedPackage({ buffer: bytes }, { consumerId: lib3mfConsumer.consumerId, privateKey: lib3mfConsumer.privateKey });
          try {
            for (const p of pkg.parts) await pkg.readPart(p.name);
          } finally {
            await pkg.close();
          }
        });
        await onlyDesignErrors(() => inspectPackage({ buffer: bytes }));
        await onlyDesignErrors(() => checkPackage({ buffer: bytes }, { strict: true }));
      }),
      { numRuns: 150 },
    );
  });

  it('inside the parts of a well-formed archive (XML, keystore, manifest, cipher files) ends the same way', async () => {
    const parts = await readAllParts(protectedBox);
    const names = [...parts.keys()];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (name, mutations) => {
        const altered = new Map(parts);
        altered.set(name, mutate(parts.get(name)!, mutations));
        const bytes = await writeParts(altered);
        await onlyDesignErrors(async () => {
          const pkg = await openProtectedPackage({ buffer: bytes }, { consumerId: lib3mfConsumer.consumerId, privateKey: lib3mfConsumer.privateKey, trustedSigners: [producerKey.publicKey] });
          try {
            for (const p of pkg.parts) await pkg.readPart(p.name);
          } finally {
            await pkg.close();
          }
          // A change that survives every check can only be one that changed nothing.
          expect(altered.get(name)!.equals(parts.get(name)!)).toBe(true);
        });
        await onlyDesignErrors(() => inspectPackage({ buffer: bytes }));
      }),
      { numRuns: 150 },
    );
  });

  it('of an envelope ends in a DESIGN_* error, or in the original bytes', async () => {
    const original = Buffer.from('G28\nG1 Z0.2 F7800\nG1 X10 Y10 E1.5 F1200\n'.repeat(200));
    const sealed = sealEnvelope(Readable.from([original], { objectMode: false }), {
      recipients: [consumerSpec(lib3mfConsumer)],
      contentType: 'text/x.gcode',
      signingKey: producerKey.privateKey,
      chunkSize: 1024,
    });
    const chunks: Buffer[] = [];
    for await (const c of sealed.stream) chunks.push(c as Buffer);
    const envelope = Buffer.concat(chunks);
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const bytes = mutate(envelope, mutations);
        await onlyDesignErrors(async () => {
          const out: Buffer[] = [];
          for await (const c of openEnvelopeStream(Readable.from([bytes], { objectMode: false }), { consumerId: lib3mfConsumer.consumerId, privateKey: lib3mfConsumer.privateKey })) out.push(c as Buffer);
          // Whatever verified must be the original: corruption never yields other plaintext.
          expect(Buffer.concat(out).equals(original)).toBe(true);
        });
      }),
      { numRuns: 200 },
    );
  });
});
