import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { designError } from './errors.js';

/**
 * Loading and naming the keys Secure Content uses: consumers' RSA key pairs
 * (key-encryption keys) and the producer's Ed25519 signing key.
 */

const MIN_RSA_BITS = 2048;

function load(kind: 'private' | 'public', pem: string | Uint8Array, what: string): KeyObject {
  try {
    const input = typeof pem === 'string' ? pem : Buffer.from(pem);
    if (kind === 'private') return createPrivateKey(input);
    // A public key may also be derived from a private key file; accept both.
    return createPublicKey(input);
  } catch (e) {
    throw designError('DESIGN_KEY_INVALID', `${what} is not a readable PEM key: ${(e as Error).message}`, { reason: 'pem' });
  }
}

function assertRsa(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'rsa') {
    throw designError('DESIGN_KEY_INVALID', `${what} is a ${key.asymmetricKeyType ?? 'symmetric'} key; Secure Content wraps with RSA`, { reason: 'key-type' });
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) throw designError('DESIGN_KEY_INVALID', `${what} is RSA-${bits}; at least RSA-${MIN_RSA_BITS} is required`, { reason: 'key-size' });
  return key;
}

function assertEd25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw designError('DESIGN_KEY_INVALID', `${what} is not an Ed25519 key`, { reason: 'key-type' });
  return key;
}

/** A consumer's RSA private key (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 PEM). */
export function loadRsaPrivateKey(pem: string | Uint8Array, what = 'the consumer private key'): KeyObject {
  return assertRsa(load('private', pem, what), what);
}

/** A consumer's RSA public key (SPKI or PKCS#1 PEM). */
export function loadRsaPublicKey(pem: string | Uint8Array, what = 'the consumer public key'): KeyObject {
  return assertRsa(load('public', pem, what), what);
}

export function loadEd25519PrivateKey(pem: string | Uint8Array, what = 'the signing key'): KeyObject {
  return assertEd25519(load('private', pem, what), what);
}

export function loadEd25519PublicKey(pem: string | Uint8Array, what = 'the signer public key'): KeyObject {
  return assertEd25519(load('public', pem, what), what);
}

/** The public half of a key, as an SPKI key object. */
export function publicOf(key: KeyObject): KeyObject {
  return key.type === 'public' ? key : createPublicKey(key);
}

/** SubjectPublicKeyInfo DER of the public half. */
export function spkiDer(key: KeyObject): Buffer {
  return publicOf(key).export({ type: 'spki', format: 'der' });
}

/** SPKI PEM of the public half, the `<keyvalue>` form (RFC 7468 §13). */
export function spkiPem(key: KeyObject): string {
  return publicOf(key).export({ type: 'spki', format: 'pem' }).toString();
}

/** Hex SHA-256 of the SPKI DER: how Fabgate names a public key (device key fingerprints, signer ids). */
export function keyFingerprint(key: KeyObject): string {
  return createHash('sha256').update(spkiDer(key)).digest('hex');
}
