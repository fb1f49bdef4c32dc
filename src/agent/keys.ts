/**
 * The device's two key pairs, made on the device and never sent anywhere but
 * as public keys: RSA-OAEP (3072 bits) that designs' content keys are wrapped
 * to, and Ed25519 that signs usage records and the local state. Private keys
 * are PKCS#8 PEM files with mode 0600 in a 0700 directory, and are refused if
 * their mode lets anyone else read them (as ssh does). README.md says how to
 * keep them in a TPM or secure element instead.
 */
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { keyFingerprint, loadEd25519PrivateKey, loadRsaPrivateKey, spkiPem } from '../designs/securecontent/keys.js';
import { paths } from './config.js';
import { PRIVATE_DIR, writeFileDurable } from './durable.js';
import { AgentError } from './errors.js';

/** RSA modulus for content-key wrapping: 3072 bits (≈128-bit security, NIST SP 800-57). */
export const CONTENT_KEY_BITS = 3072;

export interface DeviceKeys {
  /** RSA-OAEP private key. */
  contentKey: KeyObject;
  /** Ed25519 private key. */
  signingKey: KeyObject;
}

export interface DeviceKeyInfo extends DeviceKeys {
  /** SHA-256 of the RSA key's SPKI DER: what tickets name in `devices[].content_key_sha256`. */
  contentKeySha256: string;
  signingKeySha256: string;
}

const generate = promisify(generateKeyPair);

/** Fresh device keys (the RSA key takes a second or so on a small board). */
export async function generateDeviceKeys(): Promise<DeviceKeys> {
  const [rsa, ed] = await Promise.all([generate('rsa', { modulusLength: CONTENT_KEY_BITS, publicExponent: 0x10001 }), generate('ed25519')]);
  return { contentKey: rsa.privateKey, signingKey: ed.privateKey };
}

export function describeKeys(keys: DeviceKeys): DeviceKeyInfo {
  return { ...keys, contentKeySha256: keyFingerprint(keys.contentKey), signingKeySha256: keyFingerprint(keys.signingKey) };
}

/** The public halves as SPKI PEM, as the enrolment request sends them. */
export function publicPems(keys: DeviceKeys): { content: string; signing: string } {
  return { content: spkiPem(keys.contentKey), signing: spkiPem(keys.signingKey) };
}

export async function saveDeviceKeys(dir: string, keys: DeviceKeys): Promise<void> {
  const p = paths(dir);
  await mkdir(p.keys, { recursive: true, mode: PRIVATE_DIR });
  const pem = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
  await writeFileDurable(p.contentKey, pem(keys.contentKey));
  await writeFileDurable(p.signingKey, pem(keys.signingKey));
}

export async function loadDeviceKeys(dir: string): Promise<DeviceKeyInfo> {
  const p = paths(dir);
  const content = await readPrivate(p.contentKey);
  const signing = await readPrivate(p.signingKey);
  return describeKeys({ contentKey: loadRsaPrivateKey(content, 'the device content key'), signingKey: loadEd25519PrivateKey(signing, 'the device signing key') });
}

async function readPrivate(path: string): Promise<Buffer> {
  const info = await stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') throw new AgentError('AGENT_NOT_ENROLLED', `the device key ${path} is missing: enrol the device first`);
    throw e;
  });
  // A private key others can read is no longer private: refuse, as ssh does.
  if ((info.mode & 0o077) !== 0) {
    throw new AgentError('AGENT_KEY_PERMISSIONS', `${path} is readable by other users (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it`, { path, mode: info.mode & 0o777 });
  }
  return readFile(path);
}
