import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../shared/test-support/shared-data.js';
import { CIPHER_HEADER_LENGTH, cipherHeader } from './cipher-file.js';
import { isDesignError } from './errors.js';
import { parseKeystore } from './keystore.js';
import { parseManifest } from './manifest.js';
import { openProtectedPackage, readDesignManifestHash } from './open.js';
import { checkPackage } from './package-check.js';
import { parseRelationships } from './relationships.js';
import { rewrapPackage } from './rewrap.js';
import { conformanceConsumer, consumerSpec, lib3mfConsumer, producerKey, protectToBuffer } from './test-support/fixtures.js';
import { bufferSink, readAllParts, rewritePackage } from './test-support/zips.js';
import { parseXmlDocument, type XmlElement } from './xml.js';

const INPUTS: string[][] = [
  ['3mf', '3mf-samples', 'examples', 'core', 'box.3mf'],
  ['gcode', 'prusaslicer', 'part.3mf'],
  ['gcode', 'prusaslicer', 'nut.3mf'],
  ['3mf', '3mf-samples', 'examples', 'production', 'box_prod.3mf'],
  ['3mf', '3mf-samples', 'examples', 'material', 'pyramid_vertexcolor.3mf'],
  ['3mf', '3mf-samples', 'examples', 'slices', 'box_sliced.3mf'],
  ['3mf', '3mf-samples', 'validation tests', '_archive', '3mf-Verify', 'MUSTPASS', 'MUSTPASS_Chapter4.2_Components.3mf'],
  ['3mf', 'lib3mf', 'Tests', 'TestFiles', 'Production', 'detachedmodel.3mf'],
];

async function openAll(bytes: Buffer, consumer: typeof lib3mfConsumer, extra = {}) {
  const pkg = await openProtectedPackage({ buffer: bytes }, { consumerId: consumer.consumerId, privateKey: consumer.privateKey, trustedSigners: [producerKey.publicKey], ...extra });
  try {
    const parts = new Map<string, Buffer>();
    for (const p of pkg.parts) parts.set(p.name, await pkg.readPart(p.name));
    return { parts, manifest: pkg.manifest, info: pkg.parts, startPart: pkg.startPart };
  } finally {
    await pkg.close();
  }
}

/** Element name → attribute names (unqualified), over a whole document. */
function vocabulary(root: XmlElement, into = new Map<string, Set<string>>()): Map<string, Set<string>> {
  const attrs = into.get(root.name) ?? new Set<string>();
  for (const a of root.attributes) if (!a.name.startsWith('xmlns')) attrs.add(a.name);
  into.set(root.name, attrs);
  for (const c of root.children) vocabulary(c, into);
  return into;
}

const sampleParts = await readAllParts(readFileSync(sharedData('3mf', 'lib3mf', 'Tests', 'TestFiles', 'SecureContent', 'keystore_encrypted.3mf')));

describe('protect: real 3MF files round-trip for every consumer', () => {
  for (const input of INPUTS) {
    it(input.at(-1)!, async () => {
      const original = await readAllParts(readFileSync(sharedData(...input)));
      const { bytes, result } = await protectToBuffer({ path: sharedData(...input) }, { compress: input.length % 2 === 0 });
      expect(result.signed).toBe(true);
      expect(result.encryptedParts.length).toBeGreaterThan(0);
      expect((await checkPackage({ buffer: bytes }, { strict: true })).findings.filter((f) => f.severity === 'error')).toEqual([]);
      expect(await readDesignManifestHash({ buffer: bytes }, { trustedSigners: [producerKey.publicKey] })).toBe(result.manifestHash);

      for (const consumer of [lib3mfConsumer, conformanceConsumer]) {
        const opened = await openAll(bytes, consumer);
        expect(opened.manifest).toMatchObject({ status: 'verified', hash: result.manifestHash, digestsVerified: true });
        // Every part of the original comes back byte for byte: non-root parts decrypted,
        // and in the restructured layout the root model from its encrypted new home.
        for (const [name, data] of original) {
          if (name.endsWith('.rels') || name === '/[Content_Types].xml') continue;
          if (result.layout === 'restructured' && name === opened.startPart) {
            expect(opened.parts.get('/3D/protected.model')).toEqual(data);
          } else if (opened.parts.has(name)) {
            expect(opened.parts.get(name), name).toEqual(data);
          }
        }
        for (const name of result.encryptedParts) expect(opened.info.find((p) => p.name === name)).toMatchObject({ encrypted: true, accessible: true });
      }
    });
  }
});

describe('protect: the output has the structure of lib3mf\'s samples', () => {
  it('keystore vocabulary, relationships, content types, cipher header and root model declarations', async () => {
    const { bytes, result } = await protectToBuffer({ path: sharedData(...INPUTS[3]!) }, { oaepHash: 'sha1' });
    const ours = await readAllParts(bytes);
    // Keystore: the same elements and attributes as lib3mf writes.
    const theirs = vocabulary(parseXmlDocument(sampleParts.get('/Secure/keystore.xml')!, 'sample'));
    const mine = vocabulary(parseXmlDocument(ours.get('/Secure/keystore.xml')!, 'ours'));
    expect(Object.fromEntries([...mine].map(([k, v]) => [k, [...v].sort()]))).toEqual(Object.fromEntries([...theirs].map(([k, v]) => [k, [...v].sort()])));
    // With --oaep sha1 the kekparams are exactly lib3mf's.
    const sampleKs = parseKeystore(sampleParts.get('/Secure/keystore.xml')!);
    const ks = parseKeystore(ours.get('/Secure/keystore.xml')!);
    for (const g of ks.groups) for (const a of g.accessRights) expect(a.kek).toEqual(sampleKs.groups[0]!.accessRights[0]!.kek);
    // Root relationships: keystore and MustPreserve to it, as in the sample.
    const rootRels = parseRelationships(ours.get('/_rels/.rels')!, '/_rels/.rels', '/');
    const sampleRootRels = parseRelationships(sampleParts.get('/_rels/.rels')!, '/_rels/.rels', '/');
    for (const r of sampleRootRels) expect(rootRels.some((m) => m.type === r.type && m.targetPart === r.targetPart), r.type).toBe(true);
    // Content type of the keystore as in the sample (with the leading slash OPC requires).
    const types = ours.get('/[Content_Types].xml')!.toString('utf8');
    expect(types).toContain('<Override PartName="/Secure/keystore.xml" ContentType="application/vnd.ms-package.3dmanufacturing-keystore+xml"/>');
    // The root model's relationships hold the 3dmodel and encryptedfile relationships to the moved model, as in the sample.
    const modelRels = parseRelationships(ours.get('/3D/_rels/3dmodel.model.rels')!, '/3D/_rels/3dmodel.model.rels', '/3D/3dmodel.model');
    const sampleModelRels = parseRelationships(sampleParts.get('/3D/_rels/3dmodel.model.rels')!, '/3D/_rels/3dmodel.model.rels', '/3D/3dmodel.model');
    expect(modelRels.map((r) => r.type).sort()).toEqual(sampleModelRels.map((r) => r.type).sort());
    // Every encrypted part: the 12-byte %3McF header, and an encryptedfile relationship somewhere.
    const allRels = [...ours].filter(([n]) => n.endsWith('.rels')).flatMap(([n, d]) => parseRelationships(d, n, '/'));
    for (const name of result.encryptedParts) {
      expect(ours.get(name)!.subarray(0, CIPHER_HEADER_LENGTH)).toEqual(cipherHeader());
      expect(sampleParts.get('/3D/3dexternal.model')!.subarray(0, CIPHER_HEADER_LENGTH)).toEqual(cipherHeader());
      expect(allRels.some((r) => r.type === 'http://schemas.openxmlformats.org/package/2006/relationships/encryptedfile' && r.target === name)).toBe(true);
    }
    // The root model declares and requires the Secure Content namespace, as the sample's does.
    const shell = parseXmlDocument(ours.get('/3D/3dmodel.model')!, 'shell');
    expect(shell.attributes.find((a) => a.name === 'xmlns:sc')?.value).toBe('http://schemas.microsoft.com/3dmanufacturing/securecontent/2019/04');
    expect(shell.attributes.find((a) => a.name === 'requiredextensions')?.value.split(' ')).toContain('sc');
  });
});

describe('protect: property', () => {
  it('random parts, several consumers, with and without compression, open to the same bytes', async () => {
    const base = await readAllParts(readFileSync(sharedData(...INPUTS[0]!)));
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ name: fc.stringMatching(/^[a-z0-9]{1,10}$/), data: fc.uint8Array({ maxLength: 20_000 }) }), { maxLength: 4, selector: (p) => p.name }),
        fc.subarray([lib3mfConsumer, conformanceConsumer], { minLength: 1 }),
        fc.boolean(),
        fc.constantFrom('sha256' as const, 'sha1' as const),
        async (extra, consumers, compress, oaepHash) => {
          const input = await rewritePackage(
            await (async () => {
              const { sink, bytes } = bufferSink();
              const { ZipWriter } = await import('./zip-writer.js');
              const w = new ZipWriter(sink);
              for (const [n, d] of base) await w.addBuffer(n.slice(1), d, { compress: true });
              await w.finish();
              return bytes();
            })(),
            (parts) => {
              for (const p of extra) parts.set(`/Metadata/${p.name}.bin`, Buffer.from(p.data));
              parts.set(
                '/[Content_Types].xml',
                Buffer.from(parts.get('/[Content_Types].xml')!.toString('utf8').replace('</Types>', '<Default Extension="bin" ContentType="application/octet-stream" /></Types>')),
              );
            },
          );
          const { bytes } = await protectToBuffer({ buffer: input }, { consumers: consumers.map(consumerSpec), compress, oaepHash });
          for (const consumer of consumers) {
            const opened = await openAll(bytes, consumer);
            for (const p of extra) expect(opened.parts.get(`/Metadata/${p.name}.bin`)).toEqual(Buffer.from(p.data));
            expect(opened.parts.get('/3D/protected.model')).toEqual(base.get('/3D/3dmodel.model'));
          }
          const outsider = [lib3mfConsumer, conformanceConsumer].find((c) => !consumers.includes(c));
          if (outsider) {
            await expect(openProtectedPackage({ buffer: bytes }, { consumerId: outsider.consumerId, privateKey: outsider.privateKey })).rejects.toMatchObject({
              code: 'DESIGN_CONSUMER_NOT_FOUND',
            });
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('protect: manifest, signing and re-wrapping', () => {
  it('an unsigned manifest is reported as such and refused where a signer is required', async () => {
    const { bytes } = await protectToBuffer({ path: sharedData(...INPUTS[0]!) }, { signingKey: undefined });
    const pkg = await openProtectedPackage({ buffer: bytes }, { consumerId: lib3mfConsumer.consumerId, privateKey: lib3mfConsumer.privateKey });
    expect(pkg.manifest.status).toBe('unsigned');
    await pkg.close();
    await expect(
      openProtectedPackage({ buffer: bytes }, { consumerId: lib3mfConsumer.consumerId, privateKey: lib3mfConsumer.privateKey, trustedSigners: [producerKey.publicKey] }),
    ).rejects.toMatchObject({ code: 'DESIGN_SIGNER_UNTRUSTED' });
    await expect(openProtectedPackage({ buffer: bytes }, { consumerId: lib3mfConsumer.consumerId, privateKey: lib3mfConsumer.privateKey, requireSignature: true })).rejects.toMatchObject({
      code: 'DESIGN_MANIFEST_INVALID',
    });
  });

  it('re-wraps for a new consumer set without touching ciphertext, revoking the old consumer', async () => {
    const { bytes, result } = await protectToBuffer({ path: sharedData(...INPUTS[3]!) }, { consumers: [consumerSpec(lib3mfConsumer)], exportContentKeys: true });
    for (const viaKeys of [false, true]) {
      const { sink, bytes: out } = bufferSink();
      const rewrapped = await rewrapPackage({ buffer: bytes }, sink, {
        consumers: [consumerSpec(conformanceConsumer)],
        ...(viaKeys
          ? { contentKeys: new Map(result.contentKeys!.map((k) => [k.keyUuid, k.key])) }
          : { unwrapWith: { consumerId: lib3mfConsumer.consumerId, privateKey: lib3mfConsumer.privateKey } }),
        signingKey: producerKey.privateKey,
        trustedSigners: [producerKey.publicKey],
      });
      const next = out();
      expect(rewrapped.sealId).toBe(result.sealId);
      expect(rewrapped.manifestHash).not.toBe(result.manifestHash);
      const before = parseManifest((await readAllParts(bytes)).get('/Secure/fabgate-manifest.json')!);
      const after = parseManifest((await readAllParts(next)).get('/Secure/fabgate-manifest.json')!);
      for (const p of before.parts.filter((x) => x.encrypted)) expect(after.parts.find((x) => x.name === p.name)).toEqual(p);
      const opened = await openAll(next, conformanceConsumer);
      expect(opened.parts.get('/3D/protected.model')).toEqual((await readAllParts(readFileSync(sharedData(...INPUTS[3]!)))).get('/3D/3dmodel.model'));
      await expect(openProtectedPackage({ buffer: next }, { consumerId: lib3mfConsumer.consumerId, privateKey: lib3mfConsumer.privateKey })).rejects.toMatchObject({
        code: 'DESIGN_CONSUMER_NOT_FOUND',
      });
    }
  });

  it('refuses to protect twice, an invalid model, and bad consumer keys', async () => {
    const { bytes } = await protectToBuffer({ path: sharedData(...INPUTS[0]!) });
    const code = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (isDesignError(e) ? e.code : String(e)));
    expect(await code(protectToBuffer({ buffer: bytes }))).toBe('DESIGN_PACKAGE_INVALID');
    expect(await code(protectToBuffer({ path: sharedData('3mf', '3mf-samples', 'validation tests', '_archive', '3mf-Verify', 'MUSTFAIL', 'MUSTFAIL_Chapter3.4b_MissingBuildElement.3mf') }))).toBe(
      'DESIGN_MODEL_INVALID',
    );
    expect(await code(protectToBuffer({ path: sharedData(...INPUTS[0]!) }, { consumers: [{ consumerId: 'x', publicKey: producerKey.publicKey }] }))).toBe('DESIGN_KEY_INVALID');
    expect(await code(protectToBuffer({ path: sharedData(...INPUTS[0]!) }, { consumers: [] }))).toBe('DESIGN_PACKAGE_INVALID');
  });
});
