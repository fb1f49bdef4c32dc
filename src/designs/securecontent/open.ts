import { createHash, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { oaepHashOf, unwrapContentKey } from './algorithms.js';
import { writeChunks } from './buffer-release.js';
import { designError } from './errors.js';
import { keyFingerprint } from './keys.js';
import { assertDecryptable, parseKeystore, type Compression, type Keystore } from './keystore.js';
import type { ArchiveLimits } from './limits.js';
import { checkedChunks, checkManifest, PartDigest, type ManifestCheckOptions, type ManifestReport } from './manifest-check.js';
import type { ManifestPart } from './manifest.js';
import { OpcPackage } from './opc-package.js';
import { isRelsPart, partNameKey, partNameProblem } from './part-names.js';
import { decryptPart } from './part-cipher.js';
import type { ZipSource } from './safe-zip.js';
import { FABGATE, OPC, SECURE } from './vocabulary.js';

/**
 * The consumer: opens a Secure Content package with a consumer's private key.
 *
 * Order of checks (nothing is decrypted before all of them pass):
 * 1. the archive and OPC structure (hostile archives refused);
 * 2. the keystore (schema of Appendix B) and how the package refers to it
 *    (§3.1 content type, §3.2 root relationship, §3.3 EncryptedFile relationships);
 * 3. the Fabgate manifest when present: signature, signer, inventory, AAD
 *    binding, the SHA-256 of the parts already parsed (the keystore among
 *    them), and — unless `verifyDigests: false` — of every other part;
 * 4. the consumer's access rights, and the unwrapping of its content keys.
 *
 * Parts are then read as streams; each stream checks its manifest digest (and
 * for encrypted parts the AES-GCM tag) at its end and errors on mismatch. With
 * `verifyDigests: false` a part's digest is taken while it is decrypted, in one
 * pass, and what the stream hands out is provisional until it ends: see
 * MANIFEST-FORMAT.md, "Choosing a read mode", for where that is safe.
 */

export interface OpenOptions extends ManifestCheckOptions {
  /** `consumerid` of the keystore consumer to act as. */
  consumerId: string;
  /** When set, the consumer's `keyid` must match too. */
  keyId?: string;
  /** The consumer's RSA private key. */
  privateKey: KeyObject;
  limits?: Partial<ArchiveLimits>;
  strict?: boolean;
  /** Largest plaintext accepted for one decrypted part (default: the archive entry limit). */
  maxPartBytes?: number;
}

export interface PartInfo {
  readonly name: string;
  readonly contentType: string | undefined;
  readonly encrypted: boolean;
  /** False for an encrypted part this consumer holds no access right for. */
  readonly accessible: boolean;
  readonly compression?: Compression;
  /** Stored size (the cipher file for encrypted parts). */
  readonly storedSize: number;
}

interface UnlockedResource {
  key: Buffer;
  iv: Buffer;
  tag: Buffer;
  aad: Buffer;
  compression: Compression;
}

export class ProtectedPackage {
  readonly #pkg: OpcPackage;
  readonly #unlocked: Map<string, UnlockedResource>;
  readonly #encrypted: Set<string>;
  readonly #expected: ReadonlyMap<string, ManifestPart>;
  readonly #maxPartBytes: number;
  /** Encrypted parts whose digest matched at the end of a read (with `verifyDigests: false`). */
  readonly #verifiedWhileRead = new Set<string>();

  /** @internal use `openProtectedPackage` */
  constructor(
    pkg: OpcPackage,
    readonly keystore: Keystore | undefined,
    readonly manifest: ManifestReport,
    readonly consumerIndex: number | undefined,
    readonly parts: readonly PartInfo[],
    unlocked: Map<string, UnlockedResource>,
    expected: ReadonlyMap<string, ManifestPart>,
    maxPartBytes: number,
    readonly warnings: readonly string[],
  ) {
    this.#pkg = pkg;
    this.#unlocked = unlocked;
    this.#encrypted = new Set(parts.filter((p) => p.encrypted).map((p) => partNameKey(p.name)));
    this.#expected = expected;
    this.#maxPartBytes = maxPartBytes;
  }

  /** The root 3D model part. */
  get startPart(): string {
    return this.#pkg.startPart!;
  }

  /**
   * The plain bytes of a part (decrypted and inflated when encrypted). The
   * stream errors at its end on a digest or tag mismatch; see part-cipher.ts
   * on why consumers of a failing stream must discard what they received.
   */
  openPart(name: string): Readable {
    const part = this.#pkg.part(name);
    if (!part) throw designError('DESIGN_PACKAGE_INVALID', `the package has no part '${name}'`, { reason: 'part-missing', part: name });
    const key = partNameKey(part.partName);
    const encrypted = this.#encrypted.has(key);
    const expected = this.#expected.get(key);
    const stored = this.#pkg.zip.entryChunks(part.partName, { verifyCrc: expected === undefined });
    // A plain part is re-hashed on every read. An encrypted part whose digest was
    // already verified (by the manifest check, or at the end of an earlier read
    // of this package) is held to its AES-GCM tag on this read; re-hashing it
    // too would only add a case where someone who holds the content key rewrites
    // the local file between the two reads. Where it is hashed while read, the
    // hashing runs on the digest worker beside the decryption.
    const verified = this.manifest.digestsVerified || this.#verifiedWhileRead.has(key);
    const recheck = expected !== undefined && (!encrypted || !verified);
    const onVerified = encrypted ? () => this.#verifiedWhileRead.add(key) : undefined;
    const unlocked = encrypted ? this.#unlocked.get(key) : undefined;
    if (encrypted && !unlocked) {
      throw designError('DESIGN_CONSUMER_NOT_FOUND', `this consumer holds no access right for '${part.partName}'`, { reason: 'no-access-right', part: part.partName });
    }
    const checked = recheck ? checkedChunks(stored, new PartDigest(expected, 'auto'), onVerified) : stored;
    // A plain part's chunks are handed out, so they must be the caller's to keep: copy what a reused buffer holds.
    if (!unlocked) return Readable.from(owned(checked), { objectMode: false });
    return decryptPart(checked, unlocked, unlocked.tag, part.partName, { maxPlaintextBytes: this.#maxPartBytes });
  }

  /** A whole part in memory, returned only once every check passed. */
  async readPart(name: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.openPart(name)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * Writes every accessible part under `outDir` (created, or empty), all or
   * nothing: parts go to a temporary sibling folder that replaces `outDir`
   * only after every part passed its checks. Part names are re-checked so no
   * write lands outside the folder.
   */
  async extractTo(outDir: string): Promise<{ written: string[]; locked: string[] }> {
    const target = resolve(outDir);
    const existing = await stat(target).catch(() => undefined);
    if (existing && (!existing.isDirectory() || (await readdir(target)).length > 0)) {
      throw designError('DESIGN_OUTPUT_UNSAFE', `'${outDir}' exists and is not an empty folder`, { reason: 'not-empty' });
    }
    const temp = join(dirname(target), `.${randomBytes(6).toString('hex')}.fabgate-open`);
    await mkdir(temp, { recursive: false, mode: 0o700 });
    const written: string[] = [];
    const locked: string[] = [];
    try {
      for (const part of this.parts) {
        if (!part.accessible) {
          locked.push(part.name);
          continue;
        }
        const file = safeJoin(temp, part.name);
        await mkdir(dirname(file), { recursive: true });
        await writeChunks(this.openPart(part.name), createWriteStream(file, { flags: 'wx', mode: 0o600, highWaterMark: 2 * 1024 * 1024 }));
        written.push(part.name);
      }
      if (existing) await rmdir(target);
      await rename(temp, target);
      return { written, locked };
    } catch (e) {
      await rm(temp, { recursive: true, force: true });
      throw e;
    }
  }

  async close(): Promise<void> {
    for (const u of this.#unlocked.values()) u.key.fill(0);
    await this.#pkg.close();
  }
}

/** Copies of chunks that are valid only until the next one (file-chunks.ts), for handing out. */
async function* owned(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer, void, undefined> {
  for await (const chunk of chunks) yield Buffer.from(chunk);
}

/** `root` joined with a part name, refusing anything that would land outside `root`. */
export function safeJoin(root: string, partName: string): string {
  const problem = partNameProblem(partName);
  if (problem) throw designError('DESIGN_OUTPUT_UNSAFE', `part name '${partName}' ${problem}`, { reason: 'part-name', part: partName });
  const file = resolve(root, ...partName.slice(1).split('/'));
  const rel = relative(root, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) {
    throw designError('DESIGN_OUTPUT_UNSAFE', `part '${partName}' would be written outside the output folder`, { reason: 'traversal', part: partName });
  }
  return file;
}

/** Opens a Secure Content package for one consumer; see the module comment for the order of checks. */
export async function openProtectedPackage(source: ZipSource, options: OpenOptions): Promise<ProtectedPackage> {
  const pkg = await OpcPackage.open(source, { limits: options.limits, strict: options.strict });
  try {
    return await openWith(pkg, options);
  } catch (e) {
    await pkg.close();
    throw e;
  }
}

/** The keystore of a package with the checks of Secure Content chapter 3, or undefined for a plain package. */
export async function readPackageKeystore(pkg: OpcPackage): Promise<{ keystore: Keystore; part: string; sha256: string; size: number; warnings: string[] } | undefined> {
  const warnings: string[] = [];
  const rels = pkg.relationshipsFrom('/').filter((r) => r.type === SECURE.keystoreRel);
  const encryptedRels = [...pkg.relationshipSources].flatMap(([, list]) => list.filter((r) => r.type === SECURE.encryptedFileRel));
  if (rels.length === 0) {
    if (pkg.part(SECURE.keystorePart)) throw invalid(`'${SECURE.keystorePart}' is present but not related from _rels/.rels (§3.2)`, 'keystore-relationship');
    if (encryptedRels.length > 0) throw invalid('the package has EncryptedFile relationships but no keystore', 'keystore-missing');
    return undefined;
  }
  if (rels.length > 1) throw invalid('_rels/.rels names more than one keystore', 'keystore-relationship');
  const part = rels[0]!.targetPart ? pkg.part(rels[0]!.targetPart) : undefined;
  if (!part) throw invalid('the keystore relationship targets no part', 'keystore-relationship');
  if (part.contentType !== SECURE.keystoreContentType) {
    throw invalid(`the keystore '${part.partName}' has content type '${part.contentType ?? ''}', not ${SECURE.keystoreContentType} (§3.1)`, 'keystore-content-type');
  }
  const bytes = await pkg.zip.readEntry(part.partName, pkg.zip.limits.maxXmlPartBytes);
  const keystore = parseKeystore(bytes);

  const rootTargets = new Set(pkg.relationshipsFrom('/').flatMap((r) => (r.targetPart ? [partNameKey(r.targetPart)] : [])));
  const encryptedTargets = new Set(encryptedRels.flatMap((r) => (r.targetPart ? [partNameKey(r.targetPart)] : [])));
  for (const g of keystore.groups) {
    for (const r of g.resources) {
      const key = partNameKey(r.path);
      const target = pkg.part(r.path);
      if (!target) throw invalid(`the keystore lists '${r.path}', which is not in the package`, 'encrypted-part-missing');
      if (isRelsPart(r.path) || key === partNameKey(OPC.contentTypesPart) || key === partNameKey(part.partName) || key === partNameKey(FABGATE.manifestPart)) {
        throw invalid(`the keystore lists '${r.path}', which may never be encrypted`, 'encrypted-reserved-part');
      }
      // §1.2: root parts and relationships MUST NOT be encrypted.
      if (rootTargets.has(key)) throw invalid(`the keystore lists root part '${r.path}' (§1.2 forbids encrypting root parts)`, 'encrypted-root-part');
      // §2.2.1: every encrypted file MUST have an EncryptedFile relationship.
      if (!encryptedTargets.has(key)) throw invalid(`'${r.path}' has no EncryptedFile relationship (§3.3)`, 'encrypted-file-relationship');
    }
  }
  for (const key of encryptedTargets) {
    if (!keystore.groups.some((g) => g.resources.some((r) => partNameKey(r.path) === key))) {
      warnings.push(`an EncryptedFile relationship targets '${key}', which the keystore does not list`);
    }
  }
  return { keystore, part: part.partName, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length, warnings };
}

function invalid(message: string, reason: string) {
  return designError('DESIGN_PACKAGE_INVALID', message, { reason });
}

async function openWith(pkg: OpcPackage, options: OpenOptions): Promise<ProtectedPackage> {
  pkg.assertNoErrors();
  const warnings = pkg.findings.filter((f) => f.severity === 'warning').map((f) => f.message);
  const ks = await readPackageKeystore(pkg);
  if (ks) warnings.push(...ks.warnings);
  const { report, expected } = await checkManifest(pkg, ks, options);

  const unlocked = new Map<string, UnlockedResource>();
  let consumerIndex: number | undefined;
  if (ks) {
    const { keystore } = ks;
    consumerIndex = keystore.consumers.findIndex((c) => c.consumerId === options.consumerId && (options.keyId === undefined || c.keyId === options.keyId));
    if (consumerIndex < 0) {
      throw designError('DESIGN_CONSUMER_NOT_FOUND', `the keystore names no consumer '${options.consumerId}'${options.keyId ? ` with key id '${options.keyId}'` : ''}`, {
        consumerId: options.consumerId,
      });
    }
    const consumer = keystore.consumers[consumerIndex]!;
    if (consumer.keyValue !== undefined) {
      let listed: string;
      try {
        listed = keyFingerprint(createPublicKey(consumer.keyValue));
      } catch {
        throw designError('DESIGN_KEYSTORE_MALFORMED', `the keyvalue of consumer '${consumer.consumerId}' is not a public key`, { reason: 'keyvalue' });
      }
      if (listed !== keyFingerprint(options.privateKey)) {
        throw designError('DESIGN_KEY_UNWRAP_FAILED', `the private key is not the key the keystore lists for consumer '${consumer.consumerId}'`, { reason: 'keyvalue-mismatch' });
      }
    }
    for (const group of keystore.groups) {
      const right = group.accessRights.find((a) => a.consumerIndex === consumerIndex);
      if (!right) continue;
      const key = unwrapContentKey(options.privateKey, right.cipherValue, oaepHashOf(right.kek));
      for (const resource of group.resources) {
        const { iv, tag, aad } = assertDecryptable(resource);
        unlocked.set(partNameKey(resource.path), { key, iv, tag, aad, compression: resource.cek.compression });
      }
    }
  }

  const encrypted = new Map<string, Compression>();
  for (const g of ks?.keystore.groups ?? []) for (const r of g.resources) encrypted.set(partNameKey(r.path), r.cek.compression);
  const parts: PartInfo[] = [];
  for (const p of pkg.parts.values()) {
    const key = partNameKey(p.partName);
    const compression = encrypted.get(key);
    parts.push({
      name: p.partName,
      contentType: p.contentType,
      encrypted: compression !== undefined,
      accessible: compression === undefined || unlocked.has(key),
      ...(compression !== undefined ? { compression } : {}),
      storedSize: p.size,
    });
  }
  const maxPartBytes = options.maxPartBytes ?? pkg.zip.limits.maxEntryBytes;
  return new ProtectedPackage(pkg, ks?.keystore, report, consumerIndex, parts, unlocked, expected, maxPartBytes, warnings);
}

/**
 * The design manifest hash of a protected package (hex SHA-256 of its signed
 * Fabgate manifest part), after checking the manifest against the package:
 * signature (against `trustedSigners` when given), inventory, AAD bindings
 * and part digests. This is the value a print ticket binds to.
 */
export async function readDesignManifestHash(source: ZipSource, options: ManifestCheckOptions & { limits?: Partial<ArchiveLimits> } = {}): Promise<string> {
  const pkg = await OpcPackage.open(source, { limits: options.limits });
  try {
    pkg.assertNoErrors();
    const ks = await readPackageKeystore(pkg);
    const { report } = await checkManifest(pkg, ks, { ...options, requireManifest: true });
    return report.hash!;
  } finally {
    await pkg.close();
  }
}
