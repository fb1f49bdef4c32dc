import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyWrapper, loadKek } from './keywrap.js';

describe('key wrapping at rest', () => {
  const kw = new KeyWrapper(randomBytes(32));

  it('round-trips any secret, bound to its purpose', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.string({ minLength: 1 }), (secret, purpose) => {
        expect(new Uint8Array(kw.unwrap(kw.wrap(secret, purpose), purpose))).toEqual(secret);
      }),
    );
  });

  it('refuses another purpose, another KEK, or a flipped byte', () => {
    const wrapped = kw.wrap(Buffer.from('ed25519 seed'), 'log-signing-key');
    expect(() => kw.unwrap(wrapped, 'design-content-key')).toThrow(expect.objectContaining({ code: 'KEYWRAP_UNWRAP_FAILED' }));
    expect(() => new KeyWrapper(randomBytes(32)).unwrap(wrapped, 'log-signing-key')).toThrow(expect.objectContaining({ code: 'KEYWRAP_UNWRAP_FAILED' }));
    const raw = Buffer.from(wrapped.split('.')[1]!, 'base64url');
    raw[20] = raw[20]! ^ 1;
    expect(() => kw.unwrap(`kw1.${raw.toString('base64url')}`, 'log-signing-key')).toThrow(expect.objectContaining({ code: 'KEYWRAP_UNWRAP_FAILED' }));
    expect(() => kw.unwrap('nonsense', 'x')).toThrow(expect.objectContaining({ code: 'KEYWRAP_MALFORMED' }));
  });

  it('generates the KEK file once, readable by its owner only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fabgate-kek-'));
    const first = loadKek(undefined, dir);
    expect(first.source).toBe('generated');
    expect(statSync(join(dir, 'kek.key')).mode & 0o777).toBe(0o600);
    const second = loadKek(undefined, dir);
    expect(second.source).toBe('file');
    expect(second.kek.equals(first.kek)).toBe(true);
  });
});
