import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../shared/test-support/shared-data.js';
import { oaepHashOf, unwrapContentKey, WRAPPING } from './algorithms.js';
import { isDesignError, type DesignErrorCode } from './errors.js';
import { inspectPackage } from './inspect.js';
import { loadRsaPrivateKey } from './keys.js';
import { parseKeystore, serializeKeystore } from './keystore.js';
import { openProtectedPackage, safeJoin } from './open.js';
import { SafeZip } from './safe-zip.js';

const SC = ['3mf', 'lib3mf', 'Tests', 'TestFiles', 'SecureContent'];
const sample = (f: string) => sharedData(...SC, f);
const samplePem = readFileSync(sample('sample.pem'));
const privateKey = loadRsaPrivateKey(samplePem);
const conformanceKey = loadRsaPrivateKey(
  readFileSync(sharedData('3mf', 'test_suites', 'suite5_core_prod', 'positive_production_alternative', 'prod_alt_secure_content_tests', 'test_keys', 'private_test.pem')),
);
const CONSUMER = 'LIB3MF#TEST';

async function errorOf(fn: () => Promise<unknown>): Promise<{ code: DesignErrorCode; reason?: unknown }> {
  try {
    await fn();
  } catch (e) {
    if (isDesignError(e)) return { code: e.code, reason: (e.details as { reason?: unknown } | undefined)?.reason };
    throw e;
  }
  throw new Error('expected a design error');
}

/** lib3mf's notes give RSA-OAEP wrapped keys next to their plain values: a known-answer test for unwrapping. */
function hexBytes(list: string): Buffer {
  return Buffer.from(list.trim().split(/\s+/).map((b) => parseInt(b, 16)));
}

describe('lib3mf Secure Content samples, consumer side', () => {
  for (const [file, compression] of [
    ['keystore_encrypted.3mf', 'none'],
    ['keystore_encrypted_compressed.3mf', 'deflate'],
  ] as const) {
    it(`${file} opens with sample.pem to the 4100-byte external model (compression ${compression})`, async () => {
      const pkg = await openProtectedPackage({ path: sample(file) }, { consumerId: CONSUMER, privateKey });
      try {
        expect(pkg.manifest.status).toBe('absent');
        const part = pkg.parts.find((p) => p.encrypted)!;
        expect(part).toMatchObject({ name: '/3D/3dexternal.model', accessible: true, compression });
        const model = await pkg.readPart('/3D/3dexternal.model');
        expect(model.length).toBe(4100);
        const text = model.toString('utf8');
        expect(text.startsWith('<?xml version="1.0" encoding="utf-8"?>')).toBe(true);
        expect(text).toContain('<object id="1" type="model" p:UUID="93ef5036-56e6-4335-8deb-be31c5c2e68c">');
        expect(text.trimEnd().endsWith('</model>')).toBe(true);
        // The root model stays plain and references the encrypted part.
        expect((await pkg.readPart(pkg.startPart)).toString('utf8')).toContain('p:path="/3D/3dexternal.model"');
      } finally {
        await pkg.close();
      }
    });
  }

  it('opens in memory too (the print-host agent path)', async () => {
    const pkg = await openProtectedPackage({ buffer: readFileSync(sample('keystore_encrypted.3mf')) }, { consumerId: CONSUMER, privateKey });
    try {
      expect((await pkg.readPart('/3D/3dexternal.model')).length).toBe(4100);
    } finally {
      await pkg.close();
    }
  });

  it('unwraps the wrapped keys of lib3mf notes to their documented plain values (known answer)', () => {
    for (const note of ['sample.txt', 'keystore_encrypted_compressed.txt']) {
      const text = readFileSync(sharedData(...SC, 'sources', note), 'utf8');
      const plain = hexBytes(/AES Key \(plain\): ([0-9a-f ]+)/.exec(text)![1]!);
      const wrapped = hexBytes(/AES Key \(cipher\): ([0-9a-f ]+)/.exec(text)![1]!);
      expect(unwrapContentKey(privateKey, wrapped, 'sha1')).toEqual(plain);
    }
  });

  it('fails the "unencrypted keystore" fixtures: their CipherValue is no RSA-OAEP ciphertext', async () => {
    for (const file of ['keystore.3mf', 'keystore_compressed.3mf']) {
      expect(await errorOf(() => openProtectedPackage({ path: sample(file) }, { consumerId: CONSUMER, privateKey }))).toMatchObject({ code: 'DESIGN_KEY_UNWRAP_FAILED' });
    }
  });

  it('fails every negative sample with DESIGN_KEYSTORE_MALFORMED', async () => {
    for (const file of ['negative_keystore_empty.3mf', 'negative_keystore_missing_attributes.3mf', 'negative_keystore_invalid_attributes.3mf']) {
      expect((await errorOf(() => openProtectedPackage({ path: sample(file) }, { consumerId: CONSUMER, privateKey }))).code, file).toBe('DESIGN_KEYSTORE_MALFORMED');
    }
  });

  it('refuses an unknown consumer and the wrong private key', async () => {
    const path = sample('keystore_encrypted.3mf');
    expect(await errorOf(() => openProtectedPackage({ path }, { consumerId: 'test3mf01', privateKey }))).toMatchObject({ code: 'DESIGN_CONSUMER_NOT_FOUND' });
    expect(await errorOf(() => openProtectedPackage({ path }, { consumerId: CONSUMER, keyId: 'otherKey', privateKey }))).toMatchObject({ code: 'DESIGN_CONSUMER_NOT_FOUND' });
    expect(await errorOf(() => openProtectedPackage({ path }, { consumerId: CONSUMER, privateKey: conformanceKey }))).toMatchObject({
      code: 'DESIGN_KEY_UNWRAP_FAILED',
      reason: 'keyvalue-mismatch',
    });
  });

  it('refuses a missing manifest when one is required', async () => {
    expect(await errorOf(() => openProtectedPackage({ path: sample('keystore_encrypted.3mf') }, { consumerId: CONSUMER, privateKey, requireManifest: true }))).toMatchObject({
      code: 'DESIGN_MANIFEST_MISSING',
    });
  });

  it('extracts all parts into a fresh folder and refuses a non-empty one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fabgate-open-'));
    const pkg = await openProtectedPackage({ path: sample('keystore_encrypted_compressed.3mf') }, { consumerId: CONSUMER, privateKey });
    try {
      const out = join(dir, 'parts');
      const { written, locked } = await pkg.extractTo(out);
      expect(locked).toEqual([]);
      expect(written).toContain('/3D/3dexternal.model');
      expect((await readFile(join(out, '3D', '3dexternal.model'))).length).toBe(4100);
      expect(await errorOf(() => pkg.extractTo(out))).toMatchObject({ code: 'DESIGN_OUTPUT_UNSAFE', reason: 'not-empty' });
      expect((await readdir(dir)).sort()).toEqual(['parts']);
    } finally {
      await pkg.close();
    }
  });

  it('never joins a hostile part name outside the output folder', () => {
    for (const name of ['/../x', '/3D/../../x', '3D/x', '/3D\\..\\x', '/C:/x', '/a/./b', '/']) {
      expect(() => safeJoin('/tmp/out', name), name).toThrow(expect.objectContaining({ code: 'DESIGN_OUTPUT_UNSAFE' }));
    }
    expect(safeJoin('/tmp/out', '/3D/a.model')).toBe(join('/tmp/out', '3D', 'a.model'));
  });
});

describe('keystore', () => {
  async function keystoreOf(file: string): Promise<Buffer> {
    const zip = await SafeZip.open({ path: sample(file) });
    try {
      return await zip.readEntry('/Secure/keystore.xml', 1 << 20);
    } finally {
      await zip.close();
    }
  }

  it('reads the unencrypted-keystore fixture as lib3mf does (consumer, key id, algorithms, path)', async () => {
    const ks = parseKeystore(await keystoreOf('keystore.3mf'));
    expect(ks.uuid).toBe('eacec996-a9b9-41ea-b4bf-544b4141c2ab');
    expect(ks.consumers).toHaveLength(1);
    expect(ks.consumers[0]).toMatchObject({ consumerId: 'LIB3MF#TEST', keyId: 'contentKey' });
    expect(ks.consumers[0]!.keyValue).toBe(readFileSync(sample('sample.pub.pem'), 'utf8').trim());
    const group = ks.groups[0]!;
    expect(group.accessRights[0]!.kek.wrappingAlgorithm).toBe(WRAPPING.rsaOaep);
    expect(oaepHashOf(group.accessRights[0]!.kek)).toBe('sha1');
    expect(group.resources[0]).toMatchObject({ path: '/3D/3dexternal.model', cek: { encryptionAlgorithm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm', compression: 'none' } });
    expect(group.resources[0]!.cek.aad!.toString('latin1')).toBe('lib3mfsample');
    expect(group.resources[0]!.cek.tag).toBeUndefined();
  });

  it('round-trips through the writer', async () => {
    for (const file of ['keystore_encrypted.3mf', 'keystore_encrypted_compressed.3mf', 'keystore.3mf']) {
      const ks = parseKeystore(await keystoreOf(file));
      expect(parseKeystore(Buffer.from(serializeKeystore(ks)))).toEqual(ks);
    }
  });

  it('enforces what the schema and text require', async () => {
    const good = (await keystoreOf('keystore_encrypted.3mf')).toString('utf8');
    const code = (xml: string) => {
      try {
        parseKeystore(Buffer.from(xml));
        return 'ok';
      } catch (e) {
        if (isDesignError(e)) return `${e.code}:${(e.details as { reason?: string }).reason}`;
        throw e;
      }
    };
    expect(code(good)).toBe('ok');
    expect(code(good.replace('consumerindex="0"', 'consumerindex="1"'))).toBe('DESIGN_KEYSTORE_MALFORMED:consumerindex-range');
    expect(code(good.replace('consumerindex="0"', 'consumerindex="-1"'))).toBe('DESIGN_KEYSTORE_MALFORMED:consumerindex');
    expect(code(good.replace('<resourcedatagroup', '<consumer consumerid="LIB3MF#TEST"/><resourcedatagroup'))).toBe('DESIGN_KEYSTORE_MALFORMED:duplicate-consumer');
    expect(code(good.replace('UUID="a023eda8-5feb-4176-87b8-4a44dfc7d4f2"', 'UUID="A023EDA8-5FEB-4176-87B8-4A44DFC7D4F2"'))).toBe('DESIGN_KEYSTORE_MALFORMED:uuid');
    expect(code(good.replace('compression="none"', 'compression="lzma"'))).toBe('DESIGN_KEYSTORE_MALFORMED:compression');
    expect(code(good.replace('<iv>Boj7eMebkD+KEYMY</iv>', '<iv>not base64!</iv>'))).toBe('DESIGN_KEYSTORE_MALFORMED:encoding');
    expect(code(good.replace('path="/3D/3dexternal.model"', 'path="../3dexternal.model"'))).toBe('DESIGN_KEYSTORE_MALFORMED:path');
    expect(code(good.replace('<keystore ', '<!DOCTYPE keystore [<!ENTITY x "y">]><keystore '))).toMatch(/^DESIGN_XML_DTD_FORBIDDEN/);
    expect(code(good.replace('</resourcedatagroup>', '<resourcedata path="/3D/3dexternal.model"><cekparams encryptionalgorithm="x"/></resourcedata></resourcedatagroup>'))).toBe(
      'DESIGN_KEYSTORE_MALFORMED:duplicate-path',
    );
  });

  it('refuses wrapping parameters node:crypto cannot honour, and unknown algorithms', () => {
    expect(() => oaepHashOf({ wrappingAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-1_5' })).toThrow(expect.objectContaining({ code: 'DESIGN_ALGORITHM_UNSUPPORTED' }));
    expect(() =>
      oaepHashOf({ wrappingAlgorithm: WRAPPING.rsaOaep, mgfAlgorithm: 'http://www.w3.org/2009/xmlenc11#mgf1sha1', digestMethod: 'http://www.w3.org/2001/04/xmlenc#sha256' }),
    ).toThrow(expect.objectContaining({ code: 'DESIGN_ALGORITHM_UNSUPPORTED' }));
    expect(() => oaepHashOf({ wrappingAlgorithm: WRAPPING.rsaOaepMgf1p, mgfAlgorithm: 'http://www.w3.org/2009/xmlenc11#mgf1sha256' })).toThrow(
      expect.objectContaining({ code: 'DESIGN_KEYSTORE_MALFORMED' }),
    );
    expect(oaepHashOf({ wrappingAlgorithm: WRAPPING.rsaOaepMgf1p })).toBe('sha1');
    expect(oaepHashOf({ wrappingAlgorithm: WRAPPING.rsaOaepSpecExample, mgfAlgorithm: 'http://www.w3.org/2009/xmlenc11#mgf1sha256', digestMethod: 'http://www.w3.org/2001/04/xmlenc#sha256' })).toBe(
      'sha256',
    );
  });
});

describe('inspect', () => {
  it('reports parts, consumers, algorithms and an absent manifest without any key', async () => {
    const report = await inspectPackage({ path: sample('keystore_encrypted_compressed.3mf') });
    expect(report.manifest.status).toBe('absent');
    expect(report.parts.find((p) => p.encrypted)).toMatchObject({ name: '/3D/3dexternal.model', compression: 'deflate' });
    expect(report.keystore!.consumers).toEqual([{ index: 0, consumerId: 'LIB3MF#TEST', keyId: 'contentKey', keyFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(report.keystore!.groups[0]!.accessRights[0]).toMatchObject({ consumerId: 'LIB3MF#TEST', oaepHash: 'sha1' });
    expect(report.findings.map((f) => f.rule)).toContain('CONTENT_TYPE_PART_NAME');
  });
});
