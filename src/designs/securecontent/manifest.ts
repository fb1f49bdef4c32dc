import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../../ledger/core/canonical-json.js';
import { designError } from './errors.js';
import { z } from 'zod';
import { describeIssues } from '../../shared/zod-issues.js';
import { keyFingerprint, spkiDer } from './keys.js';

/**
 * The Fabgate manifest of a protected 3MF package (MANIFEST-FORMAT.md): the
 * SHA-256 and size of every part as stored, the keystore included, signed
 * with the producer's Ed25519 key; and the seal id that every encrypted part's
 * AES-GCM AAD binds. The manifest hash (SHA-256 of the manifest part) is what
 * print tickets name.
 */

export const MANIFEST_FORMAT = 'fabgate.3mf-manifest' as const;
export const MANIFEST_VERSION = 1 as const;
/** Domain separation for the Ed25519 signature: never valid for any other Fabgate message. */
const SIGNING_CONTEXT = 'fabgate.3mf-manifest.v1\n';
/** Prefix of the AAD Fabgate binds into every encrypted part (see `bindingAad`). */
export const AAD_PREFIX = 'fabgate:3mf:v1\n';
const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;

/** One part as the manifest lists it (§2). */
export interface ManifestPart {
  /** OPC part name, with the leading `/`. */
  name: string;
  /** Bytes of the part's content as OPC readers see it. */
  size: number;
  /** Hex SHA-256 of that content. */
  sha256: string;
  /** True exactly for the parts the keystore lists. */
  encrypted: boolean;
}

/** The producer's Ed25519 signature (§3). */
export interface ManifestSignature {
  alg: 'Ed25519';
  /** Hex SHA-256 of `publicKey`'s DER. */
  keyId: string;
  /** Base64 SubjectPublicKeyInfo DER. */
  publicKey: string;
  /** Base64 of the 64-byte signature. */
  value: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  /** 64 hex: the random id every encrypted part's AAD binds (§4). */
  sealId: string;
  parts: ManifestPart[];
  signature?: ManifestSignature;
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

/** The format table of MANIFEST-FORMAT.md §2: exactly these members. */
const ManifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  version: z.literal(MANIFEST_VERSION),
  sealId: hex64,
  parts: z
    .array(
      z.strictObject({
        name: z.string().min(2).max(1024).startsWith('/'),
        size: z.number().int().min(0),
        sha256: hex64,
        encrypted: z.boolean(),
      }),
    )
    .max(100_000),
  signature: z.strictObject({ alg: z.literal('Ed25519'), keyId: hex64, publicKey: z.string().max(256), value: z.string().max(128) }).optional(),
});

export type ManifestBody = Omit<Manifest, 'signature'>;

/** What the Ed25519 signature covers: the context string, then the canonical body. */
export function manifestSigningInput(body: ManifestBody): Buffer {
  const { format, version, sealId, parts } = body;
  return Buffer.from(SIGNING_CONTEXT + canonicalJson({ format, version, sealId, parts }), 'utf8');
}

/**
 * The AAD of an encrypted part in a Fabgate package, and the value of its
 * keystore `<aad>`: `fabgate:3mf:v1\n<sealId>\n<partName>` in UTF-8. It binds
 * the ciphertext to this seal and to its own part name, so an encrypted part
 * cannot be moved to another name or another package without failing GCM.
 */
export function bindingAad(sealId: string, partName: string): Buffer {
  return Buffer.from(`${AAD_PREFIX}${sealId}\n${partName}`, 'utf8');
}

/** True when an AAD has Fabgate's binding shape (used to spot a stripped manifest). */
export function looksLikeFabgateAad(aad: Uint8Array | undefined): boolean {
  return aad !== undefined && Buffer.from(aad).subarray(0, AAD_PREFIX.length).toString('utf8') === AAD_PREFIX;
}

/** Hex SHA-256 of the manifest part's bytes: the design manifest hash print tickets bind to. */
export function manifestHash(manifestBytes: Uint8Array): string {
  return createHash('sha256').update(manifestBytes).digest('hex');
}

/** Builds, optionally signs, and serialises a manifest; parts are sorted by name. */
export function sealManifest(body: ManifestBody, signingKey?: KeyObject): { manifest: Manifest; bytes: Buffer; hash: string } {
  const sorted: ManifestBody = { ...body, parts: [...body.parts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
  let manifest: Manifest = sorted;
  if (signingKey) {
    const value = sign(null, manifestSigningInput(sorted), signingKey);
    manifest = {
      ...sorted,
      signature: { alg: 'Ed25519', keyId: keyFingerprint(signingKey), publicKey: spkiDer(signingKey).toString('base64'), value: value.toString('base64') },
    };
  }
  const bytes = Buffer.from(canonicalJson(manifest), 'utf8');
  return { manifest, bytes, hash: manifestHash(bytes) };
}

function invalid(message: string, reason: string) {
  return designError('DESIGN_MANIFEST_INVALID', `manifest: ${message}`, { reason });
}

/**
 * Parses a stored manifest. It must be exactly its own canonical form, so a
 * signed manifest has exactly one manifest hash (no re-serialised twin that
 * verifies but hashes differently).
 */
export function parseManifest(bytes: Uint8Array): Manifest {
  if (bytes.length > MAX_MANIFEST_BYTES) throw invalid(`${bytes.length} bytes is over the ${MAX_MANIFEST_BYTES}-byte limit`, 'size');
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw invalid('not UTF-8 JSON', 'json');
  }
  const shape = ManifestSchema.safeParse(json);
  if (!shape.success) throw invalid(`does not match the format: ${describeIssues(shape.error, 3)}`, 'schema');
  const manifest = json as Manifest;
  if (canonicalJson(manifest) !== Buffer.from(bytes).toString('utf8')) throw invalid('is not in canonical JSON form (RFC 8785)', 'not-canonical');
  const names = new Set<string>();
  for (const p of manifest.parts) {
    const key = p.name.toLowerCase();
    if (names.has(key)) throw invalid(`lists '${p.name}' twice`, 'duplicate-part');
    names.add(key);
  }
  return manifest;
}

export interface SignatureCheck {
  /** Hex SHA-256 of the signer's SPKI, when signed. */
  signerKeyId?: string;
  signerPublicKey?: KeyObject;
}

/**
 * Verifies the Ed25519 signature. With `trustedSigners`, the signer must be one
 * of them (DESIGN_SIGNER_UNTRUSTED otherwise); without, any valid signature is
 * reported with its key id and the caller decides.
 */
export function verifyManifestSignature(manifest: Manifest, trustedSigners?: readonly KeyObject[]): SignatureCheck {
  const sig = manifest.signature;
  if (!sig) return {};
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(sig.publicKey, 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw invalid('the signer public key is not an SPKI key', 'signer-key');
  }
  if (publicKey.asymmetricKeyType !== 'ed25519') throw invalid('the signer key is not Ed25519', 'signer-key');
  const keyId = keyFingerprint(publicKey);
  if (keyId !== sig.keyId) throw invalid('the signature keyId does not match its public key', 'signer-key');
  const value = Buffer.from(sig.value, 'base64');
  if (value.length !== 64 || !verify(null, manifestSigningInput(manifest), publicKey, value)) {
    throw invalid('the Ed25519 signature does not verify', 'signature');
  }
  if (trustedSigners && !trustedSigners.some((k) => keyFingerprint(k) === keyId)) {
    throw designError('DESIGN_SIGNER_UNTRUSTED', `the manifest is signed by key ${keyId}, which is not trusted`, { signerKeyId: keyId });
  }
  return { signerKeyId: keyId, signerPublicKey: publicKey };
}
