import { randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { kekParamsFor, oaepHashOf, unwrapContentKey, wrapContentKey } from './algorithms.js';
import { designError } from './errors.js';
import { publicOf, spkiPem } from './keys.js';
import { serializeKeystore, type Consumer, type Keystore } from './keystore.js';
import type { ArchiveLimits } from './limits.js';
import { checkManifest } from './manifest-check.js';
import { sealManifest, type ManifestPart } from './manifest.js';
import { OpcPackage } from './opc-package.js';
import { readPackageKeystore } from './open.js';
import { partNameKey } from './part-names.js';
import type { ConsumerSpec } from './protect.js';
import type { ZipSource } from './safe-zip.js';
import { FABGATE, OPC } from './vocabulary.js';
import { ZipWriter } from './zip-writer.js';

/**
 * Re-wraps a protected package for a new set of consumers without touching
 * its ciphertext: the content keys are wrapped again, the keystore gets a new
 * UUID (§2: an editor that modifies the keystore MUST give it a new one), and
 * the manifest is signed again over the new keystore. Encrypted parts, their
 * IVs, tags and AAD bindings (the seal id) are unchanged.
 *
 * This is how the server releases a design stored encrypted at rest to the
 * devices a licence names, rotates a device key, or revokes a device.
 */

export interface RewrapOptions {
  /** The new recipients, in keystore order. */
  consumers: readonly ConsumerSpec[];
  /**
   * How to obtain the content keys: given directly by key UUID (the server
   * unwrapped them from its own store), or unwrapped with a consumer key that
   * the package already names.
   */
  contentKeys?: ReadonlyMap<string, Buffer>;
  unwrapWith?: { consumerId: string; privateKey: KeyObject };
  oaepHash?: 'sha256' | 'sha1';
  signingKey?: KeyObject;
  /** Signers the current manifest must be signed by. */
  trustedSigners?: readonly KeyObject[];
  limits?: Partial<ArchiveLimits>;
}

export interface RewrapResult {
  manifestHash: string;
  keystoreUuid: string;
  sealId: string;
}

export async function rewrapPackage(source: ZipSource, sink: NodeJS.WritableStream, options: RewrapOptions): Promise<RewrapResult> {
  if (options.consumers.length === 0) throw designError('DESIGN_PACKAGE_INVALID', 'at least one consumer is needed', { reason: 'no-consumers' });
  const pkg = await OpcPackage.open(source, { limits: options.limits });
  try {
    pkg.assertNoErrors();
    const ks = await readPackageKeystore(pkg);
    if (!ks) throw designError('DESIGN_PACKAGE_INVALID', 'the package has no keystore to re-wrap', { reason: 'keystore-missing' });
    const { manifest } = await checkManifest(pkg, ks, { requireManifest: true, ...(options.trustedSigners ? { trustedSigners: options.trustedSigners } : {}) });

    const hash = options.oaepHash ?? 'sha256';
    const kek = kekParamsFor(hash);
    const groups = ks.keystore.groups.map((g) => {
      const key = contentKeyOf(ks.keystore, g.keyUuid, options);
      const accessRights = options.consumers.map((c, consumerIndex) => ({ consumerIndex, kek, cipherValue: wrapContentKey(c.publicKey, key, hash) }));
      key.fill(0);
      return { ...g, accessRights };
    });
    const consumers: Consumer[] = options.consumers.map((c) => ({
      consumerId: c.consumerId,
      ...(c.keyId !== undefined ? { keyId: c.keyId } : {}),
      ...(c.includeKeyValue !== false ? { keyValue: spkiPem(publicOf(c.publicKey)) } : {}),
    }));
    const keystore: Keystore = { uuid: randomUUID(), consumers, groups };
    const keystoreXml = Buffer.from(serializeKeystore(keystore), 'utf8');

    const zip = new ZipWriter(sink);
    const parts: ManifestPart[] = [];
    const names = [OPC.contentTypesPart, ...[...pkg.parts.keys()].filter((n) => partNameKey(n) !== partNameKey(FABGATE.manifestPart))];
    const encrypted = new Set(ks.keystore.groups.flatMap((g) => g.resources.map((r) => partNameKey(r.path))));
    for (const name of names) {
      const isKeystore = partNameKey(name) === partNameKey(ks.part);
      const source = isKeystore ? Readable.from([keystoreXml], { objectMode: false }) : pkg.zip.openEntry(name);
      const isEncrypted = encrypted.has(partNameKey(name));
      const written = await zip.addStream(name.slice(1), source, { compress: !isEncrypted, sizeHint: isKeystore ? keystoreXml.length : (pkg.part(name)?.size ?? 0), sha256: true });
      parts.push({ name, size: written.size, sha256: written.sha256!, encrypted: isEncrypted });
    }
    const sealed = sealManifest({ format: 'fabgate.3mf-manifest', version: 1, sealId: manifest!.sealId, parts }, options.signingKey);
    await zip.addBuffer(FABGATE.manifestPart.slice(1), sealed.bytes, { compress: true });
    await zip.finish();
    return { manifestHash: sealed.hash, keystoreUuid: keystore.uuid, sealId: manifest!.sealId };
  } finally {
    await pkg.close();
  }
}

function contentKeyOf(keystore: Keystore, keyUuid: string, options: RewrapOptions): Buffer {
  const given = options.contentKeys?.get(keyUuid);
  if (given) {
    if (given.length !== 32) throw designError('DESIGN_KEY_INVALID', `the content key for ${keyUuid} is not 32 bytes`, { reason: 'key-length' });
    return Buffer.from(given);
  }
  if (!options.unwrapWith) throw designError('DESIGN_KEY_INVALID', `no content key for group ${keyUuid}`, { reason: 'content-key-missing', keyUuid });
  const index = keystore.consumers.findIndex((c) => c.consumerId === options.unwrapWith!.consumerId);
  if (index < 0) throw designError('DESIGN_CONSUMER_NOT_FOUND', `the keystore names no consumer '${options.unwrapWith.consumerId}'`, { consumerId: options.unwrapWith.consumerId });
  const group = keystore.groups.find((g) => g.keyUuid === keyUuid)!;
  const right = group.accessRights.find((a) => a.consumerIndex === index);
  if (!right) throw designError('DESIGN_CONSUMER_NOT_FOUND', `consumer '${options.unwrapWith.consumerId}' holds no access right for group ${keyUuid}`, { reason: 'no-access-right' });
  return unwrapContentKey(options.unwrapWith.privateKey, right.cipherValue, oaepHashOf(right.kek));
}

/** Re-wraps into a file, atomically (temporary file renamed into place on success). */
export async function rewrapFile(inputPath: string, outputPath: string, options: RewrapOptions): Promise<RewrapResult> {
  const temp = join(dirname(outputPath), `.${randomBytes(6).toString('hex')}.fabgate-tmp`);
  const out = createWriteStream(temp, { flags: 'wx', mode: 0o600, highWaterMark: 2 * 1024 * 1024 });
  try {
    const result = await rewrapPackage({ path: inputPath }, out, options);
    await new Promise<void>((resolve, reject) => (out.closed ? resolve() : out.once('close', resolve).once('error', reject)));
    await rename(temp, outputPath);
    return result;
  } catch (e) {
    out.destroy();
    await unlink(temp).catch(() => undefined);
    throw e;
  }
}
