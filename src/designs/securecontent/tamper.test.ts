import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../../shared/test-support/shared-data.js';
import { configureDigestOffload, type OffloadSettings } from './digest-worker.js';
import { isDesignError, type DesignErrorCode } from './errors.js';
import { openProtectedPackage, type OpenOptions } from './open.js';
import { attackerKey, conformanceConsumer, editText, lib3mfConsumer, producerKey, protectToBuffer, resealManifest } from './test-support/fixtures.js';
import { rewritePackage } from './test-support/zips.js';

/**
 * Every tamper kind the issue lists, against the two layers that catch it:
 * the signed manifest (checked before anything is decrypted), and, when an
 * attacker who holds a signing key of its own re-seals the manifest, the
 * AES-GCM tag and the AAD binding underneath. Plain lib3mf packages (no
 * manifest) rely on the GCM layer alone.
 */

const KEYSTORE = '/Secure/keystore.xml';
const MODEL = '/3D/protected.model';
const THUMB = '/Thumbnails/box.png';

const protectedBoxProd = (await protectToBuffer({ path: sharedData('3mf', '3mf-samples', 'examples', 'production', 'box_prod.3mf') })).bytes;

interface Outcome {
  code: DesignErrorCode | 'opened';
  reason?: unknown;
}

/** Opens and reads every part; returns the first error. */
async function attemptOpen(bytes: Buffer, options: Partial<OpenOptions> = {}, consumer = lib3mfConsumer): Promise<Outcome> {
  try {
    const pkg = await openProtectedPackage({ buffer: bytes }, { consumerId: consumer.consumerId, privateKey: consumer.privateKey, ...options });
    try {
      for (const p of pkg.parts) await pkg.readPart(p.name);
    } finally {
      await pkg.close();
    }
    return { code: 'opened' };
  } catch (e) {
    if (isDesignError(e)) return { code: e.code, reason: (e.details as { reason?: unknown } | undefined)?.reason };
    throw e;
  }
}

const flipByte = (data: Buffer, at: number) => {
  const copy = Buffer.from(data);
  copy[at]! ^= 0x01;
  return copy;
};

/** Replaces the first base64 element value named `element` inside the resourcedata for `path`. */
function editCek(parts: Map<string, Buffer>, path: string, element: 'iv' | 'tag' | 'aad', value: (old: Buffer) => Buffer) {
  editText(parts, KEYSTORE, (xml) => {
    const start = xml.indexOf(`<resourcedata path="${path}">`);
    const re = new RegExp(`<${element}>([^<]*)</${element}>`, 'y');
    const at = xml.indexOf(`<${element}>`, start);
    re.lastIndex = at;
    const m = re.exec(xml)!;
    return xml.slice(0, at) + `<${element}>${value(Buffer.from(m[1]!, 'base64')).toString('base64')}</${element}>` + xml.slice(at + m[0].length);
  });
}

type Tamper = (parts: Map<string, Buffer>) => unknown;

const tampers: Record<string, Tamper> = {
  ciphertext: (p) => p.set(MODEL, flipByte(p.get(MODEL)!, 40)),
  tag: (p) => editCek(p, MODEL, 'tag', (t) => flipByte(t, 0)),
  aad: (p) => editCek(p, MODEL, 'aad', (a) => Buffer.concat([a, Buffer.from('x')])),
  iv: (p) => editCek(p, MODEL, 'iv', (iv) => flipByte(iv, 3)),
  'swapped parts (ciphertext only)': (p) => {
    const a = p.get(MODEL)!;
    p.set(MODEL, p.get(THUMB)!);
    p.set(THUMB, a);
  },
  'swapped parts (ciphertext and keystore entries)': (p) => {
    const a = p.get(MODEL)!;
    p.set(MODEL, p.get(THUMB)!);
    p.set(THUMB, a);
    editText(p, KEYSTORE, (xml) => xml.replace(`path="${MODEL}"`, 'path="@@"').replace(`path="${THUMB}"`, `path="${MODEL}"`).replace('path="@@"', `path="${THUMB}"`));
  },
  'changed keystore (keyid)': (p) => editText(p, KEYSTORE, (xml) => xml.replace('keyid="contentKey"', 'keyid="otherKey"')),
  're-ordered consumers': (p) =>
    editText(p, KEYSTORE, (xml) => {
      const consumers = [...xml.matchAll(/\t<consumer [\s\S]*?<\/consumer>\n/g)].map((m) => m[0]);
      return xml.replace(consumers[0]! + consumers[1]!, consumers[1]! + consumers[0]!);
    }),
  'wrapped key': (p) => editText(p, KEYSTORE, (xml) => xml.replace(/<xenc:CipherValue>(.)/, (_m, c: string) => `<xenc:CipherValue>${c === 'A' ? 'B' : 'A'}`)),
};

/**
 * Every tamper is run four ways: digests verified before decrypting or while
 * reading (`verifyDigests: false`), each with hashing on this thread or on the
 * digest worker (forced onto it with tiny ring slots, so that every part goes
 * through the worker and its backpressure). The outcome must not depend on
 * either choice.
 */
const MODES: Array<[string, Partial<OpenOptions>, Partial<OffloadSettings>]> = [
  ['verified first, hashing inline', {}, { workers: 0 }],
  ['verified first, hashing on the digest worker', {}, { minBytes: 0, slots: 2, slotBytes: 1024 }],
  ['verified while read, hashing inline', { verifyDigests: false }, { workers: 0 }],
  ['verified while read, hashing on the digest worker', { verifyDigests: false }, { minBytes: 0, slots: 2, slotBytes: 1024 }],
];

describe.each(MODES)('tampering with a signed Fabgate package (%s)', (_mode, mode, offload) => {
  let previous: OffloadSettings;
  beforeAll(() => {
    previous = configureDigestOffload(offload);
  });
  afterAll(() => {
    configureDigestOffload(previous);
  });
  const attempt = (bytes: Buffer, options: Partial<OpenOptions> = {}, consumer = lib3mfConsumer) => attemptOpen(bytes, { ...mode, ...options }, consumer);

  it('opens untouched for both consumers with the producer pinned', async () => {
    expect(await attempt(protectedBoxProd, { trustedSigners: [producerKey.publicKey] })).toEqual({ code: 'opened' });
    expect(await attempt(protectedBoxProd, { trustedSigners: [producerKey.publicKey] }, conformanceConsumer)).toEqual({ code: 'opened' });
  });

  for (const [kind, tamper] of Object.entries(tampers)) {
    it(`${kind}: caught by the manifest before decryption`, async () => {
      const bytes = await rewritePackage(protectedBoxProd, tamper);
      // The AAD bindings are compared before the digests; both happen before any decryption.
      expect(await attempt(bytes)).toMatchObject({ code: 'DESIGN_PART_MISMATCH', reason: expect.stringMatching(/^(digest|aad-binding)$/) });
    });
  }

  const underneath: Record<string, Outcome> = {
    ciphertext: { code: 'DESIGN_DECRYPT_FAILED' },
    tag: { code: 'DESIGN_DECRYPT_FAILED' },
    aad: { code: 'DESIGN_PART_MISMATCH', reason: 'aad-binding' },
    iv: { code: 'DESIGN_DECRYPT_FAILED' },
    'swapped parts (ciphertext only)': { code: 'DESIGN_DECRYPT_FAILED' },
    'swapped parts (ciphertext and keystore entries)': { code: 'DESIGN_PART_MISMATCH', reason: 'aad-binding' },
    'changed keystore (keyid)': { code: 'opened' },
    're-ordered consumers': { code: 'DESIGN_KEY_UNWRAP_FAILED' },
    'wrapped key': { code: 'DESIGN_KEY_UNWRAP_FAILED' },
  };
  for (const [kind, tamper] of Object.entries(tampers)) {
    it(`${kind}: re-sealed by a co-recipient, refused by a pinned consumer and caught underneath otherwise`, async () => {
      const bytes = await rewritePackage(protectedBoxProd, (p) => {
        tamper(p);
        resealManifest(p);
      });
      expect(await attempt(bytes, { trustedSigners: [producerKey.publicKey] })).toMatchObject({ code: 'DESIGN_SIGNER_UNTRUSTED' });
      // Without a pinned signer only the cryptography below the manifest is left; a
      // harmless keystore edit (a keyid) is then accepted, which is why consumers pin.
      expect(await attempt(bytes)).toMatchObject(underneath[kind]!);
    });
  }

  it('a removed part is missing from the manifest inventory', async () => {
    const bytes = await rewritePackage(protectedBoxProd, (p) => {
      p.delete(THUMB);
      editText(p, '/3D/_rels/protected.model.rels', (x) => x.replace(/\t<Relationship [^\n]*box\.png[^\n]*\n/g, ''));
      editText(p, KEYSTORE, (x) => x.replace(/\t<resourcedatagroup keyuuid="[^"]+">\n(?:(?!<\/resourcedatagroup>)[\s\S])*?Thumbnails\/box\.png[\s\S]*?<\/resourcedatagroup>\n/, ''));
    });
    expect(await attempt(bytes)).toMatchObject({ code: 'DESIGN_PART_MISMATCH', reason: 'missing-part' });
  });

  it('an added part is unknown to the manifest', async () => {
    const bytes = await rewritePackage(protectedBoxProd, (p) => void p.set('/Metadata/extra.png', Buffer.from('not listed')));
    expect(await attempt(bytes)).toMatchObject({ code: 'DESIGN_PART_MISMATCH', reason: 'unknown-part' });
  });

  it('a tampered manifest signature or body fails the signature check', async () => {
    const sig = await rewritePackage(protectedBoxProd, (p) =>
      editText(p, '/Secure/fabgate-manifest.json', (json) => json.replace(/"value":"(.)/, (_m, c: string) => `"value":"${c === 'A' ? 'B' : 'A'}`)),
    );
    expect(await attempt(sig)).toMatchObject({ code: 'DESIGN_MANIFEST_INVALID', reason: 'signature' });
    const body = await rewritePackage(protectedBoxProd, (p) => editText(p, '/Secure/fabgate-manifest.json', (json) => json.replace(/"size":(\d)/, (_m, d: string) => `"size":${d === '9' ? '8' : '9'}`)));
    expect(await attempt(body)).toMatchObject({ code: 'DESIGN_MANIFEST_INVALID', reason: 'signature' });
    const reformatted = await rewritePackage(protectedBoxProd, (p) => editText(p, '/Secure/fabgate-manifest.json', (json) => json.replace('{', '{ ')));
    expect(await attempt(reformatted)).toMatchObject({ code: 'DESIGN_MANIFEST_INVALID', reason: 'not-canonical' });
  });

  it('a stripped manifest is noticed from the AAD bindings it leaves behind', async () => {
    const bytes = await rewritePackage(protectedBoxProd, (p) => {
      p.delete('/Secure/fabgate-manifest.json');
      editText(p, '/_rels/.rels', (x) => x.replace(/\t<Relationship [^\n]*fabgate-manifest\.json[^\n]*\n/g, ''));
      editText(p, '/[Content_Types].xml', (x) => x.replace(/\t<Override PartName="\/Secure\/fabgate-manifest\.json"[^\n]*\n/, ''));
    });
    expect(await attempt(bytes)).toMatchObject({ code: 'DESIGN_MANIFEST_MISSING', reason: 'stripped' });
  });

  it('a signature by another key is refused when the producer is pinned', async () => {
    const bytes = await rewritePackage(protectedBoxProd, (p) => resealManifest(p, attackerKey.privateKey));
    expect(await attempt(bytes, { trustedSigners: [producerKey.publicKey] })).toMatchObject({ code: 'DESIGN_SIGNER_UNTRUSTED' });
    expect(await attempt(bytes, { trustedSigners: [attackerKey.publicKey] })).toEqual({ code: 'opened' });
  });

  it('a tampered part fails before readPart returns, and the keystore is checked before anything is decrypted', async () => {
    const bytes = await rewritePackage(protectedBoxProd, tampers.ciphertext!);
    expect(await attempt(bytes)).toMatchObject({ code: 'DESIGN_PART_MISMATCH', reason: 'digest' });
    // An altered keystore is refused by openProtectedPackage itself, in either mode: its digest is taken as it is parsed.
    const keystore = await rewritePackage(protectedBoxProd, tampers.tag!);
    const opened = await openProtectedPackage({ buffer: keystore }, { consumerId: lib3mfConsumer.consumerId, privateKey: lib3mfConsumer.privateKey, ...mode }).then(
      async (pkg) => {
        await pkg.close();
        return 'opened';
      },
      (e: unknown) => (isDesignError(e) ? e.code : String(e)),
    );
    expect(opened).toBe('DESIGN_PART_MISMATCH');
  });
});

describe('tampering with a plain lib3mf package (GCM is the only layer)', () => {
  const attempt = attemptOpen;
  const SAMPLE = readFileSync(sharedData('3mf', 'lib3mf', 'Tests', 'TestFiles', 'SecureContent', 'keystore_encrypted_compressed.3mf'));
  const EXT = '/3D/3dexternal.model';
  const cases: Array<[string, Tamper, Outcome]> = [
    ['ciphertext', (p) => p.set(EXT, flipByte(p.get(EXT)!, 100)), { code: 'DESIGN_DECRYPT_FAILED' }],
    ['tag', (p) => editCek(p, EXT, 'tag', (t) => flipByte(t, 15)), { code: 'DESIGN_DECRYPT_FAILED' }],
    ['aad', (p) => editCek(p, EXT, 'aad', () => Buffer.from('lib3mfsamplf')), { code: 'DESIGN_DECRYPT_FAILED' }],
    ['iv', (p) => editCek(p, EXT, 'iv', (iv) => flipByte(iv, 0)), { code: 'DESIGN_DECRYPT_FAILED' }],
    ['cipher header', (p) => p.set(EXT, Buffer.concat([Buffer.from('%3McF\u0001'), p.get(EXT)!.subarray(6)])), { code: 'DESIGN_CIPHER_HEADER_INVALID' }],
    ['wrapped key', tampers['wrapped key']!, { code: 'DESIGN_KEY_UNWRAP_FAILED' }],
    ['truncated part', (p) => p.set(EXT, p.get(EXT)!.subarray(0, 400)), { code: 'DESIGN_DECRYPT_FAILED' }],
  ];
  it('opens untouched', async () => {
    expect(await attempt(await rewritePackage(SAMPLE, () => undefined))).toEqual({ code: 'opened' });
  });
  for (const [kind, tamper, outcome] of cases) {
    it(kind, async () => {
      expect(await attempt(await rewritePackage(SAMPLE, tamper))).toMatchObject(outcome);
    });
  }
});
