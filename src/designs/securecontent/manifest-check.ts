import type { KeyObject } from 'node:crypto';
import { startDigest, type RunningDigest } from './digest-worker.js';
import { designError } from './errors.js';
import type { Keystore } from './keystore.js';
import { bindingAad, looksLikeFabgateAad, manifestHash, parseManifest, verifyManifestSignature, type Manifest, type ManifestPart } from './manifest.js';
import type { OpcPackage } from './opc-package.js';
import { partNameKey } from './part-names.js';
import { FABGATE, OPC } from './vocabulary.js';

/**
 * Checks a package against its Fabgate manifest before anything is decrypted:
 * the signature (and signer), the inventory (no unknown, missing or
 * re-flagged part), the AAD binding of every encrypted part, and, unless the
 * caller defers it to the read, the SHA-256 of every part.
 */

export type ManifestStatus = 'absent' | 'unsigned' | 'verified';

export interface ManifestReport {
  status: ManifestStatus;
  /** Hex SHA-256 of the manifest part (absent without a manifest). */
  hash?: string;
  sealId?: string;
  /** Hex SHA-256 of the signer's SPKI. */
  signerKeyId?: string;
  /** True once every part's digest matched (false when digests are checked while reading). */
  digestsVerified: boolean;
}

export interface ManifestCheckOptions {
  /** Only manifests signed by one of these keys are accepted (and a signature is then required). */
  trustedSigners?: readonly KeyObject[];
  /** Refuse a package without a manifest (DESIGN_MANIFEST_MISSING). */
  requireManifest?: boolean;
  /** Refuse an unsigned manifest (DESIGN_MANIFEST_INVALID). */
  requireSignature?: boolean;
  /**
   * Hash every part now (default true). False defers the parts not already
   * parsed (the large ones: models, thumbnails, cipher files) to the end of
   * each read, where their digest is checked while the bytes are decrypted:
   * one pass instead of two, but a read releases bytes before they are
   * verified (see MANIFEST-FORMAT.md §5).
   */
  verifyDigests?: boolean;
}

export interface ManifestCheck {
  report: ManifestReport;
  manifest?: Manifest;
  /** The manifest entry per part-name key, for the checks at the end of each read. */
  expected: ReadonlyMap<string, ManifestPart>;
}

function mismatch(message: string, reason: string, part?: string) {
  return designError('DESIGN_PART_MISMATCH', message, { reason, ...(part ? { part } : {}) });
}

export async function checkManifest(
  pkg: OpcPackage,
  keystore: { keystore: Keystore; part: string; sha256: string; size: number } | undefined,
  options: ManifestCheckOptions = {},
): Promise<ManifestCheck> {
  const rels = pkg.relationshipsFrom('/').filter((r) => r.type === FABGATE.manifestRel);
  if (rels.length > 1) throw designError('DESIGN_MANIFEST_INVALID', 'the package names more than one Fabgate manifest', { reason: 'multiple' });
  const manifestPart = rels[0]?.targetPart ? pkg.part(rels[0].targetPart) : undefined;
  if (!manifestPart) {
    if (pkg.part(FABGATE.manifestPart)) {
      throw designError('DESIGN_MANIFEST_INVALID', `'${FABGATE.manifestPart}' is present but not related from _rels/.rels`, { reason: 'unrelated' });
    }
    const bound = keystore?.keystore.groups.some((g) => g.resources.some((r) => looksLikeFabgateAad(r.cek.aad)));
    if (bound) {
      // Parts sealed by Fabgate but no manifest: someone removed it.
      throw designError('DESIGN_MANIFEST_MISSING', 'the encrypted parts are bound to a Fabgate manifest, which has been removed', { reason: 'stripped' });
    }
    if (options.requireManifest || options.trustedSigners) throw designError('DESIGN_MANIFEST_MISSING', 'the package has no Fabgate manifest', { reason: 'absent' });
    return { report: { status: 'absent', digestsVerified: false }, expected: new Map() };
  }

  const bytes = await pkg.zip.readEntry(manifestPart.partName, 8 * 1024 * 1024, { verifyCrc: true });
  const manifest = parseManifest(bytes);
  const hash = manifestHash(bytes);
  if (!manifest.signature) {
    if (options.trustedSigners) throw designError('DESIGN_SIGNER_UNTRUSTED', 'the manifest is unsigned, and signed manifests are required', { reason: 'unsigned' });
    if (options.requireSignature) throw designError('DESIGN_MANIFEST_INVALID', 'the manifest is unsigned', { reason: 'unsigned' });
  }
  const { signerKeyId } = verifyManifestSignature(manifest, options.trustedSigners);

  // Inventory: every part but the manifest itself, [Content_Types].xml included.
  const expected = new Map(manifest.parts.map((p) => [partNameKey(p.name), p]));
  const present = new Map<string, string>();
  for (const name of [...pkg.parts.keys(), OPC.contentTypesPart]) {
    if (partNameKey(name) !== partNameKey(manifestPart.partName)) present.set(partNameKey(name), name);
  }
  for (const [key, name] of present) if (!expected.has(key)) throw mismatch(`'${name}' is not listed in the manifest`, 'unknown-part', name);
  for (const [key, p] of expected) if (!present.has(key)) throw mismatch(`'${p.name}' is listed in the manifest but missing`, 'missing-part', p.name);

  // Encryption flags and AAD bindings agree with the keystore.
  const encrypted = new Map<string, Buffer | undefined>();
  for (const g of keystore?.keystore.groups ?? []) for (const r of g.resources) encrypted.set(partNameKey(r.path), r.cek.aad);
  for (const [key, p] of expected) {
    if (p.encrypted !== encrypted.has(key)) {
      throw mismatch(`'${p.name}' is ${p.encrypted ? '' : 'not '}encrypted in the manifest but ${p.encrypted ? 'not ' : ''}in the keystore`, 'encryption-flag', p.name);
    }
    if (p.encrypted) {
      const aad = encrypted.get(key);
      if (!aad || !bindingAad(manifest.sealId, p.name).equals(aad)) {
        throw mismatch(`the keystore AAD of '${p.name}' is not bound to this manifest and part name`, 'aad-binding', p.name);
      }
    }
  }

  // The parts already parsed (content types, relationships, the keystore with its
  // IVs, tags, AADs and wrapped keys) were hashed as they were read: they are
  // compared always, so that even a caller who defers the rest decrypts only
  // with a keystore the producer signed.
  const unparsed: Array<[string, ManifestPart]> = [];
  for (const [key, p] of expected) {
    const name = present.get(key)!;
    let actual = pkg.parsedDigests.get(name);
    if (!actual && keystore && partNameKey(keystore.part) === key) actual = { sha256: keystore.sha256, size: keystore.size };
    if (!actual) unparsed.push([name, p]);
    else if (actual.size !== p.size || actual.sha256 !== p.sha256) throw mismatch(`'${p.name}' differs from the manifest`, 'digest', p.name);
  }
  let digestsVerified = false;
  if (options.verifyDigests !== false) {
    for (const [name, p] of unparsed) {
      // A pass that only hashes: the main thread has nothing else to do, so no worker.
      const check = new PartDigest(p, 'inline');
      for await (const _ of checkedChunks(pkg.zip.entryChunks(name, { verifyCrc: false }), check)) void _;
    }
    digestsVerified = true;
  }
  const status: ManifestStatus = manifest.signature ? 'verified' : 'unsigned';
  return { report: { status, hash, sealId: manifest.sealId, ...(signerKeyId ? { signerKeyId } : {}), digestsVerified }, manifest, expected };
}

/**
 * The size and SHA-256 of a part, checked against its manifest entry. Large
 * parts are hashed on the digest worker (in `auto` mode) while their bytes go
 * on, e.g. into AES-GCM; a pure hashing pass uses `inline`.
 */
export class PartDigest {
  readonly #digest: RunningDigest;
  #size = 0;
  #settled = false;

  constructor(
    private readonly entry: ManifestPart,
    mode: 'auto' | 'inline' = 'auto',
  ) {
    this.#digest = startDigest(
      { sha256: true },
      {
        expectedBytes: entry.size,
        mode,
        onWorkerFailure: (cause) => designError('DESIGN_PART_MISMATCH', `cannot check '${entry.name}' against the manifest: ${cause.message}`, { reason: 'digest-worker', part: entry.name }, 'internal'),
      },
    );
  }

  /** Adds bytes; the promise, if any, says when the caller may go on (see RunningDigest.update). */
  update(chunk: Uint8Array): Promise<void> | undefined {
    this.#size += chunk.length;
    if (this.#size > this.entry.size) throw mismatch(`'${this.entry.name}' is longer than the manifest says`, 'digest', this.entry.name);
    return this.#digest.update(chunk);
  }

  /** Resolves if the bytes were exactly the listed ones, rejects with DESIGN_PART_MISMATCH otherwise. */
  async verify(): Promise<void> {
    this.#settled = true;
    if (this.#size !== this.entry.size) {
      this.#digest.abandon();
      throw mismatch(`'${this.entry.name}' differs from the manifest`, 'digest', this.entry.name);
    }
    const { sha256 } = await this.#digest.digest();
    if (sha256!.toString('hex') !== this.entry.sha256) throw mismatch(`'${this.entry.name}' differs from the manifest`, 'digest', this.entry.name);
  }

  /** Drops an unfinished check (the read was abandoned). */
  abandon(): void {
    if (!this.#settled) this.#digest.abandon();
    this.#settled = true;
  }
}

/**
 * Passes chunks on (each valid until the next, as it came) after adding them
 * to `check`, and fails after the last one unless the part matched; `onVerified`
 * runs once it did.
 */
export async function* checkedChunks(chunks: AsyncIterable<Buffer>, check: PartDigest, onVerified?: () => void): AsyncGenerator<Buffer, void, undefined> {
  try {
    for await (const chunk of chunks) {
      const wait = check.update(chunk);
      if (wait) await wait;
      yield chunk;
    }
    await check.verify();
    onVerified?.();
  } finally {
    check.abandon();
  }
}
