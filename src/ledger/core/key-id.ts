/**
 * What every note key shares (c2sp.org/signed-note): a name, a 32-bit key ID
 * and a signature type byte, and the two roles a key plays.
 */
import { sha256 } from './hash.js';
import { concatBytes, decodeUint32, isWellFormedString, utf8 } from './bytes.js';

/** Signature type identifier bytes assigned by c2sp.org/signed-note. */
export const SIGNATURE_TYPE = {
  /** Ed25519 over the note text (signed-note). */
  ed25519: 0x01,
  /** ECDSA over SHA-256 of the note text, key ID from the DER SPKI (transparency-dev/witness). */
  ecdsa: 0x02,
  /** Timestamped Ed25519 witness cosignature (c2sp.org/tlog-cosignature, cosignature/v1). */
  cosignatureV1: 0x04,
  /** RFC 6962 TreeHeadSignature (c2sp.org/static-ct-api): Certificate Transparency logs. */
  rfc6962: 0x05,
} as const;
export type SignatureType = (typeof SIGNATURE_TYPE)[keyof typeof SIGNATURE_TYPE];

/** Checks a note signature made by one known key. */
export interface NoteVerifier {
  readonly name: string;
  /** The uint32 key ID that prefixes this key's signatures. */
  readonly keyId: number;
  readonly type: SignatureType;
  /** Verify `signature` (the bytes after the 4-byte key ID) over the note text. */
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

/** Makes note signatures with one key. */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  readonly type: SignatureType;
  /** The signature bytes over the note text (without the 4-byte key ID). */
  sign(text: Uint8Array): Uint8Array;
}

/**
 * Key names must be non-empty and contain no Unicode space and no '+'
 * (signed-note "Format"). Go's unicode.IsSpace also counts U+0085, which the
 * JavaScript \s class does not.
 */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && isWellFormedString(name) && !/[\s\u0085+]/u.test(name);
}

/** key ID = SHA-256(key name || 0x0A || signature type || public key)[:4], as a uint32. */
export function computeKeyId(name: string, type: number, publicKey: Uint8Array): number {
  return decodeUint32(sha256(concatBytes(utf8(name), Uint8Array.of(0x0a, type), publicKey)));
}

/** The key ID as the 8 lowercase hex digits of a vkey. */
export function keyIdHex(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}
