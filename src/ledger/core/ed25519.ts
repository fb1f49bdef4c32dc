/**
 * Ed25519 (RFC 8032) keys from raw bytes, through node:crypto only.
 *
 * Note keys carry raw 32-byte public keys and 32-byte seeds; node:crypto wants
 * DER. The fixed DER prefixes below wrap raw key bytes as SubjectPublicKeyInfo
 * and PKCS #8 structures with the Ed25519 OID 1.3.101.112 (RFC 8410).
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { concatBytes } from './bytes.js';
import { LedgerError } from './errors.js';

export const ED25519_KEY_SIZE = 32;
export const ED25519_SIGNATURE_SIZE = 64;

const SPKI_PREFIX = Uint8Array.from(Buffer.from('302a300506032b6570032100', 'hex'));
const PKCS8_PREFIX = Uint8Array.from(Buffer.from('302e020100300506032b657004220420', 'hex'));

/** A public KeyObject from 32 raw bytes; undefined if node:crypto refuses them. */
export function ed25519PublicKey(raw: Uint8Array): KeyObject | undefined {
  if (raw.length !== ED25519_KEY_SIZE) return undefined;
  try {
    return createPublicKey({ key: Buffer.from(concatBytes(SPKI_PREFIX, raw)), format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

/** A private KeyObject from a 32-byte seed, and its raw public key. */
export function ed25519KeyPair(seed: Uint8Array): { privateKey: KeyObject; publicKey: Uint8Array } {
  if (!(seed instanceof Uint8Array) || seed.length !== ED25519_KEY_SIZE) {
    throw new LedgerError('LEDGER_KEY_MALFORMED', `an Ed25519 seed is ${ED25519_KEY_SIZE} bytes`);
  }
  const privateKey = createPrivateKey({ key: Buffer.from(concatBytes(PKCS8_PREFIX, seed)), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return { privateKey, publicKey: new Uint8Array(spki.subarray(spki.length - ED25519_KEY_SIZE)) };
}

/** A fresh random 32-byte seed. */
export function newEd25519Seed(): Uint8Array {
  return new Uint8Array(randomBytes(ED25519_KEY_SIZE));
}

export function ed25519Sign(privateKey: KeyObject, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, privateKey));
}

export function ed25519Verify(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_SIZE) return false;
  return verify(null, message, publicKey, signature);
}
