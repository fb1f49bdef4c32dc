import { randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { AES256_GCM, kekParamsFor, wrapContentKey } from './algorithms.js';
import { contentTypeOf, serializeContentTypes } from './content-types.js';
import { designError } from './errors.js';
import { publicOf, spkiPem } from './keys.js';
import { serializeKeystore, type AccessRight, type Compression, type Consumer, type Keystore, type ResourceDataGroup } from './keystore.js';
import type { ArchiveLimits } from './limits.js';
import { bindingAad, sealManifest, type ManifestPart } from './manifest.js';
import { readModelSkeleton } from './model-skeleton.js';
import { OpcPackage } from './opc-package.js';
import { isRelsPart, partExtension, partNameKey, relsPartNameFor } from './part-names.js';
import { encryptPart } from './part-cipher.js';
import { serializeRelationships, type Relationship } from './relationships.js';
import type { ZipSource } from './safe-zip.js';
import { buildShellModel } from './shell-model.js';
import { CORE, FABGATE, OPC, SECURE } from './vocabulary.js';
import { ZipWriter } from './zip-writer.js';

/**
 * The producer: turns a plain 3MF package into a Secure Content package that
 * lib3mf reads (same keystore schema, relationships and content types as its
 * samples), plus Fabgate's signed manifest (MANIFEST-FORMAT.md).
 *
 * Every non-root part is encrypted with its own random AES-256 content key
 * (§1.1: "different CEKs MUST be provided for each one of them"), each key
 * wrapped with RSA-OAEP for every consumer. Root parts (the root model, the
 * package thumbnail, relationships, content types) stay plain as §1.2
 * requires; when the root model itself holds the geometry it is moved to an
 * encrypted non-root part behind a shell root model (see shell-model.ts).
 */

/** One recipient: an enrolled device or host and its RSA key-encryption key. */
export interface ConsumerSpec {
  /** `consumerid` (§2.1): known to producer and consumer. */
  consumerId: string;
  /** Optional `keyid` naming which of the consumer's keys this is. */
  keyId?: string;
  /** The consumer's RSA public key (at least 2048 bits). */
  publicKey: KeyObject;
  /** Write the public key as `<keyvalue>` (default true, as lib3mf's samples do). */
  includeKeyValue?: boolean;
}

export interface ProtectOptions {
  consumers: readonly ConsumerSpec[];
  /** OAEP digest and MGF1 hash: SHA-256 by default (the spec's recommendation), SHA-1 for old consumers. */
  oaepHash?: 'sha256' | 'sha1';
  /** Raw-DEFLATE each part before encryption (§2.2.1.1 `compression="deflate"`). */
  compress?: boolean;
  /** Ed25519 private key signing the manifest; without one the manifest is written unsigned. */
  signingKey?: KeyObject;
  /** Return each part's content key so a server can keep it wrapped at rest under its own key-encryption key. */
  exportContentKeys?: boolean;
  limits?: Partial<ArchiveLimits>;
  /** Refuse what lib3mf only warns about (see OpenPackageOptions.strict). */
  strict?: boolean;
}

export interface ContentKeyRecord {
  keyUuid: string;
  /** The raw AES-256 key: wrap it before storing it anywhere. */
  key: Buffer;
  path: string;
}

export interface ProtectResult {
  /** Hex SHA-256 of the manifest part: what print tickets bind to. */
  manifestHash: string;
  /** The random id bound into every encrypted part's AAD. */
  sealId: string;
  keystoreUuid: string;
  /** `restructured`: the root model moved behind a shell; `production`: the root already referenced other model parts. */
  layout: 'restructured' | 'production';
  encryptedParts: string[];
  plainParts: string[];
  signed: boolean;
  /** Things changed or tolerated on the way, in words. */
  warnings: string[];
  contentKeys?: ContentKeyRecord[];
}

interface PlannedPart {
  name: string;
  contentType: string;
  encrypt: boolean;
  /** Where the bytes come from: a part of the input package, or generated text. */
  from: { part: string } | { data: Buffer };
  sizeHint: number;
}

const OCTET_STREAM = 'application/octet-stream';

/** Protects the 3MF package at `source`, writing the protected package to `sink`. */
export function protectPackage(source: ZipSource, sink: NodeJS.WritableStream, options: ProtectOptions): Promise<ProtectResult> {
  return protectInto(source, sink, options, false);
}

/** `sinkOwned`: the sink is a file stream of protectFile's, the last holder of what is written (see ZipWriterOptions.releaseWritten). */
async function protectInto(source: ZipSource, sink: NodeJS.WritableStream, options: ProtectOptions, sinkOwned: boolean): Promise<ProtectResult> {
  if (options.consumers.length === 0) throw designError('DESIGN_PACKAGE_INVALID', 'at least one consumer is needed', { reason: 'no-consumers' });
  const ids = new Set<string>();
  for (const c of options.consumers) {
    if (!c.consumerId) throw designError('DESIGN_PACKAGE_INVALID', 'a consumer id is empty', { reason: 'consumer-id' });
    if (ids.has(c.consumerId)) throw designError('DESIGN_PACKAGE_INVALID', `consumer id '${c.consumerId}' is given twice`, { reason: 'consumer-id' });
    ids.add(c.consumerId);
    if (c.publicKey.asymmetricKeyType !== 'rsa' || (c.publicKey.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
      throw designError('DESIGN_KEY_INVALID', `the key of consumer '${c.consumerId}' is not RSA-2048 or larger`, { reason: 'key-type' });
    }
  }
  if (options.signingKey && (options.signingKey.type !== 'private' || options.signingKey.asymmetricKeyType !== 'ed25519')) {
    throw designError('DESIGN_KEY_INVALID', 'the signing key must be an Ed25519 private key', { reason: 'key-type' });
  }
  const pkg = await OpcPackage.open(source, { limits: options.limits, strict: options.strict });
  try {
    return await protectOpened(pkg, sink, options, sinkOwned);
  } finally {
    await pkg.close();
  }
}

/** Protects into a file, atomically: a temporary file renamed into place only on success. */
export async function protectFile(inputPath: string, outputPath: string, options: ProtectOptions): Promise<ProtectResult> {
  const temp = join(dirname(outputPath), `.${randomBytes(6).toString('hex')}.fabgate-tmp`);
  // A few chunks of slack so that writing overlaps with encrypting the next chunk.
  const out = createWriteStream(temp, { flags: 'wx', mode: 0o600, highWaterMark: 2 * 1024 * 1024 });
  try {
    const result = await protectInto({ path: inputPath }, out, options, true);
    await new Promise<void>((resolve, reject) => (out.closed ? resolve() : out.once('close', resolve).once('error', reject)));
    await rename(temp, outputPath);
    return result;
  } catch (e) {
    out.destroy();
    await unlink(temp).catch(() => undefined);
    throw e;
  }
}

async function protectOpened(pkg: OpcPackage, sink: NodeJS.WritableStream, options: ProtectOptions, sinkOwned: boolean): Promise<ProtectResult> {
  pkg.assertNoErrors();
  const warnings = pkg.findings.filter((f) => f.severity === 'warning').map((f) => f.message);
  if (pkg.part(SECURE.keystorePart) || pkg.part(FABGATE.manifestPart) || pkg.relationshipsFrom('/').some((r) => r.type === SECURE.keystoreRel)) {
    throw designError('DESIGN_PACKAGE_INVALID', 'the package is already protected (it has a keystore or a Fabgate manifest)', { reason: 'already-protected' });
  }
  const startPart = pkg.startPart!;
  const skeleton = await readModelSkeleton(pkg.zip.openEntry(startPart), startPart, { strict: options.strict });
  const modelErrors = skeleton.findings.filter((f) => f.severity === 'error');
  if (modelErrors.length > 0) throw designError('DESIGN_MODEL_INVALID', modelErrors[0]!.message, { reason: modelErrors[0]!.rule, findings: modelErrors });
  warnings.push(...skeleton.findings.map((f) => f.message));

  const layout: ProtectResult['layout'] = skeleton.referencesOtherParts ? 'production' : 'restructured';
  if (layout === 'production' && [...skeleton.objects.values()].some((o) => o.hasMesh)) {
    warnings.push(`the root model '${startPart}' holds meshes and references other model parts; root parts cannot be encrypted, so those meshes stay readable`);
  }

  // Relationships of the output, by source part. Targets are written as absolute part names.
  const rels = new Map<string, Array<{ id: string; type: string; target: string }>>();
  const changed = new Set<string>();
  const rootRels = pkg.relationshipsFrom('/');
  const rootTargets = new Set<string>();
  for (const [source, list] of pkg.relationshipSources) {
    const kept: Array<{ id: string; type: string; target: string }> = [];
    for (const r of list) {
      if (r.targetMode === 'Internal' && (r.targetPart === undefined || !pkg.part(r.targetPart))) {
        warnings.push(`dropped relationship '${r.id}' of '${source}': its target '${r.target}' is not in the package`);
        changed.add(source);
        continue;
      }
      kept.push({ id: r.id, type: r.type, target: r.targetMode === 'Internal' ? pkg.part(r.targetPart!)!.partName : r.target });
    }
    rels.set(source, kept);
  }
  for (const r of rootRels) if (r.targetPart && pkg.part(r.targetPart)) rootTargets.add(partNameKey(pkg.part(r.targetPart)!.partName));

  const planned: PlannedPart[] = [];
  const typeOf = (name: string) => {
    const t = contentTypeOf(pkg.contentTypes, name);
    if (t) return t;
    warnings.push(`part '${name}' had no content type; it is declared ${OCTET_STREAM}`);
    return OCTET_STREAM;
  };
  let externalPart: string | undefined;
  if (layout === 'restructured') {
    externalPart = uniqueName(pkg, `${dirname(startPart) === '/' ? '' : dirname(startPart)}/protected`, '.model');
    const originalRels = rels.get(startPart) ?? [];
    rels.set(
      startPart,
      originalRels.filter((r) => r.type === CORE.printTicketRel).concat([{ id: uniqueId(originalRels, 'fg-model'), type: CORE.modelRel, target: externalPart }]),
    );
    rels.set(
      externalPart,
      originalRels.filter((r) => r.type !== CORE.printTicketRel),
    );
    changed.add(startPart).add(externalPart);
    const shell = Buffer.from(buildShellModel(skeleton, externalPart), 'utf8');
    planned.push({ name: startPart, contentType: typeOf(startPart), encrypt: false, from: { data: shell }, sizeHint: shell.length });
    planned.push({ name: externalPart, contentType: CORE.modelContentType, encrypt: true, from: { part: startPart }, sizeHint: pkg.part(startPart)!.size });
  } else {
    planned.push({ name: startPart, contentType: typeOf(startPart), encrypt: false, from: { part: startPart }, sizeHint: pkg.part(startPart)!.size });
  }
  for (const part of pkg.parts.values()) {
    if (part.partName === startPart || isRelsPart(part.partName)) continue;
    // §1.2: root parts (targets of package relationships) and relationships are never encrypted.
    const encrypt = !rootTargets.has(partNameKey(part.partName));
    planned.push({ name: part.partName, contentType: typeOf(part.partName), encrypt, from: { part: part.partName }, sizeHint: part.size });
  }

  // §3.3: every encrypted part gets an EncryptedFile relationship, placed in the
  // relationships of a part that already refers to it, else in the root model's.
  for (const p of planned.filter((x) => x.encrypt)) {
    let holder: string | undefined;
    for (const [source, list] of rels) {
      if (source !== '/' && list.some((r) => partNameKey(r.target) === partNameKey(p.name))) {
        holder = source;
        break;
      }
    }
    holder ??= startPart;
    const list = rels.get(holder) ?? [];
    list.push({ id: uniqueId(list, 'fg-encrypted'), type: SECURE.encryptedFileRel, target: p.name });
    rels.set(holder, list);
    changed.add(holder);
  }
  // §3.2: the keystore is referenced from the root, also as MustPreserve; so is Fabgate's manifest.
  const root = rels.get('/') ?? [];
  for (const [type, target, base] of [
    [SECURE.keystoreRel, SECURE.keystorePart, 'fg-keystore'],
    [OPC.mustPreserveRel, SECURE.keystorePart, 'fg-keystore-preserve'],
    [FABGATE.manifestRel, FABGATE.manifestPart, 'fg-manifest'],
    [OPC.mustPreserveRel, FABGATE.manifestPart, 'fg-manifest-preserve'],
  ] as const) {
    root.push({ id: uniqueId(root, base), type, target });
  }
  rels.set('/', root);
  changed.add('/');

  // Content types: the original Defaults and Overrides, plus the new parts'.
  const defaults = new Map(pkg.contentTypes.defaults);
  const overrides = new Map([...pkg.contentTypes.overrides.values()].map((o) => [o.partName, o.contentType]));
  if (!defaults.has('rels')) defaults.set('rels', OPC.relationshipsContentType);
  for (const p of planned) {
    const declared = overrides.get(p.name) ?? defaults.get(partExtension(p.name));
    if (declared !== p.contentType) overrides.set(p.name, p.contentType);
  }
  overrides.set(SECURE.keystorePart, SECURE.keystoreContentType);
  overrides.set(FABGATE.manifestPart, FABGATE.manifestContentType);

  const relsParts: PlannedPart[] = [];
  for (const [source, list] of rels) {
    const name = relsPartNameFor(source);
    if (list.length === 0 && !pkg.part(name)) continue;
    if (changed.has(source) || !pkg.part(name)) {
      const data = Buffer.from(serializeRelationships(list), 'utf8');
      relsParts.push({ name, contentType: OPC.relationshipsContentType, encrypt: false, from: { data }, sizeHint: data.length });
    } else {
      relsParts.push({ name, contentType: OPC.relationshipsContentType, encrypt: false, from: { part: name }, sizeHint: pkg.part(name)!.size });
    }
  }

  // Keys, IVs and bindings.
  const sealId = randomBytes(32).toString('hex');
  const hash = options.oaepHash ?? 'sha256';
  const kek = kekParamsFor(hash);
  const compression: Compression = options.compress ? 'deflate' : 'none';
  const consumers: Consumer[] = options.consumers.map((c) => ({
    consumerId: c.consumerId,
    ...(c.keyId !== undefined ? { keyId: c.keyId } : {}),
    ...(c.includeKeyValue !== false ? { keyValue: spkiPem(publicOf(c.publicKey)) } : {}),
  }));
  const secrets = new Map<string, { key: Buffer; iv: Buffer; aad: Buffer; keyUuid: string; accessRights: AccessRight[] }>();
  for (const p of planned.filter((x) => x.encrypt)) {
    const key = randomBytes(32);
    const accessRights = options.consumers.map((c, consumerIndex) => ({ consumerIndex, kek, cipherValue: wrapContentKey(c.publicKey, key, hash) }));
    secrets.set(p.name, { key, iv: randomBytes(12), aad: bindingAad(sealId, p.name), keyUuid: randomUUID(), accessRights });
  }

  // Write: content types, relationships, plain parts, encrypted parts, keystore, manifest.
  const zip = new ZipWriter(sink, { releaseWritten: sinkOwned });
  const manifestParts: ManifestPart[] = [];
  const groups: ResourceDataGroup[] = [];
  // Each entry's SHA-256 for the manifest is taken in the pass that writes it.
  const addPlain = async (name: string, stream: Readable, sizeHint: number) => {
    const written = await zip.addStream(name.slice(1), stream, { compress: true, sizeHint, sha256: true });
    manifestParts.push({ name, size: written.size, sha256: written.sha256!, encrypted: false });
  };
  const open = (p: PlannedPart): Readable =>
    'data' in p.from ? streamOf(p.from.data) : pkg.zip.openEntry(p.from.part, { verifyCrc: true });

  const typesXml = Buffer.from(serializeContentTypes(defaults, overrides), 'utf8');
  await addPlain(OPC.contentTypesPart, streamOf(typesXml), typesXml.length);
  const orderedRels = relsParts.sort((a, b) => (a.name === OPC.rootRelsPart ? -1 : b.name === OPC.rootRelsPart ? 1 : 0));
  for (const p of orderedRels) await addPlain(p.name, open(p), p.sizeHint);
  for (const p of planned.filter((x) => !x.encrypt)) await addPlain(p.name, open(p), p.sizeHint);
  for (const p of planned.filter((x) => x.encrypt)) {
    const s = secrets.get(p.name)!;
    // Uncompressed, the part is read with reused buffers (entryChunks); DEFLATE needs chunks it may keep.
    const plaintext = compression === 'deflate' || 'data' in p.from ? open(p) : pkg.zip.entryChunks(p.from.part, { verifyCrc: true });
    const encrypted = encryptPart(plaintext, { key: s.key, iv: s.iv, aad: s.aad, compression }, p.name);
    const written = await zip.addStoredBatches(p.name.slice(1), encrypted.batches, { sizeHint: p.sizeHint + 12, sha256: true });
    manifestParts.push({ name: p.name, size: written.size, sha256: written.sha256!, encrypted: true });
    groups.push({
      keyUuid: s.keyUuid,
      accessRights: s.accessRights,
      resources: [{ path: p.name, cek: { encryptionAlgorithm: AES256_GCM, compression, iv: s.iv, tag: encrypted.tag(), aad: s.aad } }],
    });
  }
  const keystore: Keystore = { uuid: randomUUID(), consumers, groups };
  const keystoreXml = Buffer.from(serializeKeystore(keystore), 'utf8');
  await addPlain(SECURE.keystorePart, streamOf(keystoreXml), keystoreXml.length);
  const sealed = sealManifest({ format: 'fabgate.3mf-manifest', version: 1, sealId, parts: manifestParts }, options.signingKey);
  await zip.addBuffer(FABGATE.manifestPart.slice(1), sealed.bytes, { compress: true });
  await zip.finish();

  const result: ProtectResult = {
    manifestHash: sealed.hash,
    sealId,
    keystoreUuid: keystore.uuid,
    layout,
    encryptedParts: planned.filter((p) => p.encrypt).map((p) => p.name),
    plainParts: manifestParts.filter((p) => !p.encrypted).map((p) => p.name),
    signed: options.signingKey !== undefined,
    warnings,
  };
  if (options.exportContentKeys) {
    result.contentKeys = [...secrets].map(([path, s]) => ({ keyUuid: s.keyUuid, key: s.key, path }));
  } else {
    for (const s of secrets.values()) s.key.fill(0);
  }
  return result;
}

function streamOf(data: Buffer): Readable {
  return Readable.from([data], { objectMode: false });
}

function uniqueName(pkg: OpcPackage, stem: string, extension: string): string {
  for (let i = 1; ; i++) {
    const name = `${stem}${i === 1 ? '' : `-${i}`}${extension}`;
    if (!pkg.part(name) && !pkg.part(relsPartNameFor(name))) return name;
  }
}

function uniqueId(list: ReadonlyArray<Pick<Relationship, 'id'>>, base: string): string {
  const ids = new Set(list.map((r) => r.id));
  for (let i = 1; ; i++) {
    const id = i === 1 ? base : `${base}-${i}`;
    if (!ids.has(id)) return id;
  }
}
