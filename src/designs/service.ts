/**
 * Protecting uploads and releasing them to devices: the cryptographic work of
 * the designs domain, with no SQL. Decisions (DESIGNS.md says them in full):
 *
 * - **At rest** a design is sealed to the instance's *design vault key*, an
 *   RSA-3072 key pair whose private half exists only wrapped under the
 *   key-encryption key. A 3MF becomes a Secure Content package with the vault
 *   as its one consumer (parts compressed, then encrypted, each with its own
 *   content key); a bare G-code, binary G-code or STL file becomes a detached
 *   envelope sealed to the vault. The plaintext never touches the disk or the
 *   database: it is protected in memory from the request body.
 * - **A release** re-wraps the stored design for the devices a licence names:
 *   a 3MF keeps its ciphertext and gets a new keystore and manifest
 *   (`rewrapPackage`); an envelope is opened with the vault key and sealed
 *   again to the devices (its header, which lists the recipients, is bound
 *   into every chunk, so it cannot be re-wrapped in place). Each device is a
 *   consumer named by its device id, keyed by its content-key fingerprint.
 * - Manifests and envelopes are signed with the ticket issuer key, so a print
 *   host checks tickets and designs against one published key set.
 */
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import {
  openEnvelopeStream,
  parseEnvelopeHeader,
  protectPackage,
  rewrapPackage,
  sealEnvelope,
  type ArchiveLimits,
  type ConsumerSpec,
} from './securecontent/index.js';
import { FabgateError } from '../shared/errors.js';
import { sha256Hex } from '../shared/ids.js';

/** The consumer id the stored copy of every design is sealed to. */
export const VAULT_CONSUMER_ID = 'fabgate-vault';
/** RSA modulus of the design vault key. */
export const VAULT_RSA_BITS = 3072;

export type DesignFormat = '3mf' | 'gcode' | 'bgcode' | 'stl';

export const CONTENT_TYPES: Record<DesignFormat, string> = {
  '3mf': 'application/vnd.ms-package.3dmanufacturing-3dmodel+xml',
  gcode: 'text/x.gcode',
  bgcode: 'application/x.bgcode',
  stl: 'model/stl',
};

/** Archive limits for uploads: a design of `uploadLimit` bytes may inflate to at most 1 GiB in all. */
export function uploadArchiveLimits(): Partial<ArchiveLimits> {
  return { maxEntries: 4096, maxEntryBytes: 1 << 30, maxTotalBytes: 1 << 30 };
}

function isText(bytes: Uint8Array): string | null {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.includes('\u0000') ? null : text;
  } catch {
    return null;
  }
}

/**
 * What the uploaded bytes are, read from the bytes (never from the client's
 * Content-Type): a ZIP is a 3MF package; `GCDE` is PrusaSlicer binary G-code;
 * a binary STL is 84 + 50·n bytes for its n triangles; an ASCII STL is text
 * from `solid` to `endsolid`; other UTF-8 text with G/M/T commands is G-code.
 */
export function sniffDesignFormat(bytes: Uint8Array): DesignFormat {
  if (bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) return '3mf';
  if (bytes.length >= 4 && bytes[0] === 0x47 && bytes[1] === 0x43 && bytes[2] === 0x44 && bytes[3] === 0x45) return 'bgcode';
  if (bytes.length >= 84) {
    const count = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readUInt32LE(80);
    if (84 + 50 * count === bytes.length) return 'stl';
  }
  const text = isText(bytes);
  if (text !== null) {
    if (/^\s*solid\b/.test(text) && /\bendsolid\b/.test(text) && /\bfacet\b/.test(text)) return 'stl';
    if (/^\s*(?:N\d+\s+)?[GMT]\d+/m.test(text)) return 'gcode';
  }
  throw new FabgateError('DESIGN_FORMAT_UNSUPPORTED', 'a design is a 3MF package, G-code (text or PrusaSlicer binary) or an STL file', 'invalid_input');
}

/** A new vault key pair (RSA-3072, e = 65537), generated off the event loop. */
export async function newVaultKeyPair(): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  return promisify(generateKeyPair)('rsa', { modulusLength: VAULT_RSA_BITS, publicExponent: 0x10001 });
}

function collect(): { sink: Writable; bytes(): Buffer } {
  const chunks: Buffer[] = [];
  return {
    sink: new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
    }),
    bytes: () => Buffer.concat(chunks),
  };
}

export interface ProtectedUpload {
  format: DesignFormat;
  contentType: string;
  /** The sealed bytes to store. */
  stored: Buffer;
  /** Manifest hash (3MF) or envelope hash of the stored copy. */
  storedSha256: string;
  plainSize: number;
  plainSha256: string;
  protection: { layout?: string; encrypted_parts?: string[]; plain_parts?: string[]; warnings: string[]; compressed: boolean };
}

/**
 * Protect an upload for the vault. Hostile archives fail here with the
 * securecontent codes (DESIGN_ARCHIVE_UNSAFE, DESIGN_ARCHIVE_TOO_LARGE,
 * DESIGN_XML_DTD_FORBIDDEN, …) before anything is stored.
 */
export async function protectUpload(
  bytes: Buffer,
  opts: { filename: string; vault: { id: string; publicKey: KeyObject }; signingKey: KeyObject; limits?: Partial<ArchiveLimits> },
): Promise<ProtectedUpload> {
  const format = sniffDesignFormat(bytes);
  const vault: ConsumerSpec = { consumerId: VAULT_CONSUMER_ID, keyId: opts.vault.id, publicKey: opts.vault.publicKey };
  const plain = { plainSize: bytes.length, plainSha256: sha256Hex(bytes) };
  if (format === '3mf') {
    const out = collect();
    const r = await protectPackage({ buffer: bytes }, out.sink, { consumers: [vault], signingKey: opts.signingKey, compress: true, limits: opts.limits ?? uploadArchiveLimits() });
    return {
      format,
      contentType: CONTENT_TYPES[format],
      stored: out.bytes(),
      storedSha256: r.manifestHash,
      ...plain,
      protection: { layout: r.layout, encrypted_parts: r.encryptedParts, plain_parts: r.plainParts, warnings: r.warnings, compressed: true },
    };
  }
  const sealed = sealEnvelope(Readable.from([bytes], { objectMode: false }), { recipients: [vault], contentType: CONTENT_TYPES[format], name: opts.filename, signingKey: opts.signingKey });
  const out = collect();
  await pipeline(sealed.stream, out.sink);
  return { format, contentType: CONTENT_TYPES[format], stored: out.bytes(), storedSha256: sealed.summary().envelopeHash, ...plain, protection: { warnings: [], compressed: false } };
}

/** One device a release is wrapped to. */
export interface ReleaseRecipient {
  deviceId: string;
  contentKey: KeyObject;
  contentKeySha256: string;
}

/**
 * Re-wrap a stored design for devices. The stored copy must be signed by one
 * of `trustedSigners` (the issuer keys): a stored package altered in the
 * database is refused, not released.
 */
export async function releaseStored(
  stored: Buffer,
  format: DesignFormat,
  opts: { vaultPrivateKey: KeyObject; recipients: readonly ReleaseRecipient[]; signingKey: KeyObject; trustedSigners: readonly KeyObject[] },
): Promise<{ content: Buffer; manifestSha256: string }> {
  const consumers: ConsumerSpec[] = opts.recipients.map((r) => ({ consumerId: r.deviceId, keyId: r.contentKeySha256, publicKey: r.contentKey }));
  const out = collect();
  if (format === '3mf') {
    const r = await rewrapPackage({ buffer: stored }, out.sink, {
      consumers,
      unwrapWith: { consumerId: VAULT_CONSUMER_ID, privateKey: opts.vaultPrivateKey },
      signingKey: opts.signingKey,
      trustedSigners: opts.trustedSigners,
    });
    return { content: out.bytes(), manifestSha256: r.manifestHash };
  }
  // The new envelope copies the stored one's content type and name (the opener checks that header again).
  const header = parseEnvelopeHeader(stored)?.header;
  if (!header) throw new FabgateError('DESIGN_ENVELOPE_MALFORMED', 'the stored envelope has no readable header', 'integrity');
  const plain = openEnvelopeStream(Readable.from([stored], { objectMode: false }), {
    consumerId: VAULT_CONSUMER_ID,
    privateKey: opts.vaultPrivateKey,
    trustedSigners: opts.trustedSigners,
    requireSignature: true,
  });
  const sealed = sealEnvelope(plain, {
    recipients: consumers,
    contentType: header.contentType,
    ...(header.name !== undefined ? { name: header.name } : {}),
    signingKey: opts.signingKey,
  });
  await pipeline(sealed.stream, out.sink);
  return { content: out.bytes(), manifestSha256: sealed.summary().envelopeHash };
}

/** The key a release is found by: its devices and their content-key fingerprints, sorted. */
export function recipientsKey(recipients: ReadonlyArray<{ deviceId: string; contentKeySha256: string }>): string {
  return recipients
    .map((r) => `${r.deviceId}:${r.contentKeySha256}`)
    .sort()
    .join(',');
}
