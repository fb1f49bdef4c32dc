import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sharedData } from '../../../shared/test-support/shared-data.js';
import { loadRsaPrivateKey, loadRsaPublicKey } from '../keys.js';
import { parseManifest, sealManifest } from '../manifest.js';
import { protectPackage, type ProtectOptions, type ProtectResult } from '../protect.js';
import type { ZipSource } from '../safe-zip.js';
import { bufferSink } from './zips.js';

/**
 * Real keys from the reference data: lib3mf's sample consumer and the 3MF
 * conformance suites' consumer (both public test keys).
 */
const SC = ['3mf', 'lib3mf', 'Tests', 'TestFiles', 'SecureContent'];
const SUITE_KEYS = ['3mf', 'test_suites', 'suite5_core_prod', 'positive_production_alternative', 'prod_alt_secure_content_tests', 'test_keys'];

export const lib3mfConsumer = {
  consumerId: 'LIB3MF#TEST',
  keyId: 'contentKey',
  publicKey: loadRsaPublicKey(readFileSync(sharedData(...SC, 'sample.pub.pem'))),
  privateKey: loadRsaPrivateKey(readFileSync(sharedData(...SC, 'sample.pem'))),
};

export const conformanceConsumer = {
  consumerId: 'test3mf01',
  keyId: 'test3mfkek01',
  publicKey: loadRsaPublicKey(readFileSync(sharedData(...SUITE_KEYS, 'public_test.pem'))),
  privateKey: loadRsaPrivateKey(readFileSync(sharedData(...SUITE_KEYS, 'private_test.pem'))),
};

export const producerKey = generateKeyPairSync('ed25519');
export const attackerKey = generateKeyPairSync('ed25519');

export function consumerSpec(c: typeof lib3mfConsumer) {
  return { consumerId: c.consumerId, keyId: c.keyId, publicKey: c.publicKey };
}

/** Protects into memory. */
export async function protectToBuffer(source: ZipSource, options: Partial<ProtectOptions> = {}): Promise<{ bytes: Buffer; result: ProtectResult }> {
  const { sink, bytes } = bufferSink();
  const result = await protectPackage(source, sink, {
    consumers: [consumerSpec(lib3mfConsumer), consumerSpec(conformanceConsumer)],
    signingKey: producerKey.privateKey,
    ...options,
  });
  return { bytes: bytes(), result };
}

/**
 * What a co-recipient (who holds a content key and a signing key of its own)
 * can do after altering parts: recompute every digest and sign the manifest
 * again with its own key.
 */
export function resealManifest(parts: Map<string, Buffer>, signingKey: KeyObject = attackerKey.privateKey): void {
  const name = '/Secure/fabgate-manifest.json';
  const manifest = parseManifest(parts.get(name)!);
  const digests = manifest.parts
    .filter((p) => parts.has(p.name))
    .map((p) => {
      const data = parts.get(p.name)!;
      return { ...p, size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
    });
  parts.set(name, sealManifest({ format: manifest.format, version: manifest.version, sealId: manifest.sealId, parts: digests }, signingKey).bytes);
}

export function editText(parts: Map<string, Buffer>, name: string, edit: (text: string) => string): void {
  const before = parts.get(name)!.toString('utf8');
  const after = edit(before);
  if (after === before) throw new Error(`the edit changed nothing in ${name}`);
  parts.set(name, Buffer.from(after, 'utf8'));
}
