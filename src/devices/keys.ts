/**
 * A print host's public keys, as it registers them: an RSA key designs are
 * wrapped to (RSA-OAEP; at least 3072 bits, NIST SP 800-57 Part 1's size for
 * security beyond 2030) and an Ed25519 key that signs its usage records. Keys
 * are named by their fingerprint: the hex SHA-256 of the SubjectPublicKeyInfo
 * DER (TICKET-FORMAT.md §2). Pure: node:crypto only.
 */
import { createPublicKey, verify as edVerify, type KeyObject } from 'node:crypto';
import { canonicalJsonBytes } from '../ledger/core/canonical-json.js';
import { keyFingerprint } from '../designs/securecontent/index.js';
import { FabgateError } from '../shared/errors.js';

/** Smallest RSA modulus accepted for a device content key. */
export const MIN_DEVICE_RSA_BITS = 3072;
/** Largest PEM text accepted for one key (an RSA-16384 SPKI PEM is about 2.8 KiB). */
const MAX_PEM_CHARS = 8192;

export interface DevicePublicKeys {
  contentKey: KeyObject;
  signingKey: KeyObject;
  /** SPKI PEM, as Fabgate re-encodes it. */
  contentKeyPem: string;
  signingKeyPem: string;
  contentKeySha256: string;
  signingKeySha256: string;
}

function readPublicKey(pem: string, what: string): KeyObject {
  if (typeof pem !== 'string' || pem.length === 0 || pem.length > MAX_PEM_CHARS) {
    throw new FabgateError('DEVICE_KEY_INVALID', `${what}: a PEM public key of at most ${MAX_PEM_CHARS} characters`, 'invalid_input', { key: what });
  }
  if (!pem.includes('-----BEGIN PUBLIC KEY-----')) {
    // Only SPKI: a private key pasted here by mistake must not be accepted (nor stored).
    throw new FabgateError('DEVICE_KEY_INVALID', `${what}: send the SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY")`, 'invalid_input', { key: what });
  }
  try {
    return createPublicKey({ key: pem, format: 'pem' });
  } catch (e) {
    throw new FabgateError('DEVICE_KEY_INVALID', `${what}: not a readable public key (${(e as Error).message})`, 'invalid_input', { key: what });
  }
}

/** Check and fingerprint the two keys a device registers. */
export function parseDeviceKeys(contentKeyPem: string, signingKeyPem: string): DevicePublicKeys {
  const contentKey = readPublicKey(contentKeyPem, 'content_key');
  if (contentKey.asymmetricKeyType !== 'rsa') {
    throw new FabgateError('DEVICE_KEY_INVALID', `content_key: an RSA key is needed for RSA-OAEP, not ${contentKey.asymmetricKeyType}`, 'invalid_input', { key: 'content_key' });
  }
  const bits = contentKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_DEVICE_RSA_BITS) {
    throw new FabgateError('DEVICE_KEY_INVALID', `content_key: RSA-${bits} is too small; at least RSA-${MIN_DEVICE_RSA_BITS}`, 'invalid_input', { key: 'content_key', bits });
  }
  const signingKey = readPublicKey(signingKeyPem, 'signing_key');
  if (signingKey.asymmetricKeyType !== 'ed25519') {
    throw new FabgateError('DEVICE_KEY_INVALID', `signing_key: an Ed25519 key is needed, not ${signingKey.asymmetricKeyType}`, 'invalid_input', { key: 'signing_key' });
  }
  const contentKeySha256 = keyFingerprint(contentKey);
  const signingKeySha256 = keyFingerprint(signingKey);
  return {
    contentKey,
    signingKey,
    contentKeyPem: contentKey.export({ type: 'spki', format: 'pem' }).toString(),
    signingKeyPem: signingKey.export({ type: 'spki', format: 'pem' }).toString(),
    contentKeySha256,
    signingKeySha256,
  };
}

/**
 * What a device signs, with its current Ed25519 key, to replace its keys: the
 * device and both new fingerprints under a purpose string, in canonical JSON
 * (RFC 8785). A stolen API token alone therefore cannot swap in an
 * attacker's keys (and with them receive the designs released afterwards).
 */
export function rotationStatement(deviceId: string, next: { contentKeySha256: string; signingKeySha256: string }): Uint8Array {
  return canonicalJsonBytes({
    purpose: 'fabgate.device-key-rotation.v1',
    device: deviceId,
    content_key_sha256: next.contentKeySha256,
    signing_key_sha256: next.signingKeySha256,
  });
}

/** Verify a rotation statement's signature (base64 Ed25519) under the device's current signing key. */
export function verifyRotation(currentSigningKeyPem: string, deviceId: string, next: DevicePublicKeys, signatureB64: string): void {
  const signature = Buffer.from(signatureB64, 'base64');
  const ok =
    signature.length === 64 &&
    signature.toString('base64') === signatureB64 &&
    edVerify(null, rotationStatement(deviceId, next), createPublicKey(currentSigningKeyPem), signature);
  if (!ok) throw new FabgateError('DEVICE_ROTATION_SIGNATURE_INVALID', "the rotation is not signed by the device's current signing key", 'integrity');
}
