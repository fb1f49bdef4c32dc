import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FabgateError } from './errors.js';

const VERSION = 'kw1';

/**
 * Wraps secrets at rest (log signing keys, design content keys) under the
 * key-encryption key with AES-256-GCM. The purpose string is the AAD, so a key
 * wrapped for one use cannot be unwrapped as another.
 */
export class KeyWrapper {
  readonly #kek: Buffer;
  constructor(kek: Uint8Array) {
    if (kek.length !== 32) throw new FabgateError('KEYWRAP_KEK_SIZE', 'the key-encryption key must be 32 bytes', 'invalid_input');
    this.#kek = Buffer.from(kek);
  }

  wrap(secret: Uint8Array, purpose: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#kek, iv);
    cipher.setAAD(Buffer.from(purpose, 'utf8'));
    const ct = Buffer.concat([cipher.update(secret), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, ct, cipher.getAuthTag()]).toString('base64url')}`;
  }

  unwrap(wrapped: string, purpose: string): Buffer {
    const [version, body] = wrapped.split('.');
    if (version !== VERSION || !body) throw new FabgateError('KEYWRAP_MALFORMED', 'not a wrapped key', 'integrity');
    const raw = Buffer.from(body, 'base64url');
    if (raw.length < 12 + 16) throw new FabgateError('KEYWRAP_MALFORMED', 'wrapped key too short', 'integrity');
    const decipher = createDecipheriv('aes-256-gcm', this.#kek, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(purpose, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    try {
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
    } catch {
      throw new FabgateError('KEYWRAP_UNWRAP_FAILED', `cannot unwrap the key for '${purpose}': wrong key-encryption key or altered data`, 'integrity');
    }
  }
}

/**
 * The key-encryption key: from FABGATE_KEK when set, otherwise from
 * `<dataDir>/kek.key`, generated once with mode 0600. In production set
 * FABGATE_KEK from a secret store so the key does not sit beside the data.
 */
export function loadKek(configured: string | undefined, dataDir: string): { kek: Buffer; source: 'config' | 'file' | 'generated' } {
  if (configured) return { kek: Buffer.from(configured, 'base64'), source: 'config' };
  const path = join(dataDir, 'kek.key');
  if (existsSync(path)) {
    const kek = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
    if (kek.length !== 32) throw new FabgateError('KEYWRAP_KEK_SIZE', `${path} does not hold a 32-byte base64 key`, 'invalid_input');
    return { kek, source: 'file' };
  }
  mkdirSync(dataDir, { recursive: true });
  const kek = randomBytes(32);
  writeFileSync(path, kek.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  return { kek, source: 'generated' };
}
