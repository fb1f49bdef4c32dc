import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../shared/test-support/cli.js';
import { sharedData } from '../shared/test-support/shared-data.js';
import { registerDesignCommands } from './cli.js';
import { readAllParts, rewritePackage } from './securecontent/test-support/zips.js';

const SC = ['3mf', 'lib3mf', 'Tests', 'TestFiles', 'SecureContent'];
const SUITE = ['3mf', 'test_suites', 'suite5_core_prod', 'positive_production_alternative', 'prod_alt_secure_content_tests', 'test_keys'];
const BOX = sharedData('3mf', '3mf-samples', 'examples', 'core', 'box.3mf');
const run = (argv: string[], cwd: string) => runCli([registerDesignCommands], argv, { cwd });

let dir: string;
let signing: string;
let signerPub: string;
const consumerArgs = () => [
  '--consumer-id', 'LIB3MF#TEST', '--consumer-key', sharedData(...SC, 'sample.pub.pem'),
  '--consumer-id', 'test3mf01', '--consumer-key', sharedData(...SUITE, 'public_test.pem'),
];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fabgate-design-cli-'));
  const ed = generateKeyPairSync('ed25519');
  signing = join(dir, 'signing.pem');
  signerPub = join(dir, 'signer.pub.pem');
  writeFileSync(signing, ed.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(signerPub, ed.publicKey.export({ type: 'spki', format: 'pem' }));
});

describe('fabgate design protect / inspect / open', () => {
  it('protects for two consumers, inspects without keys, and opens for each', async () => {
    const protectedPath = join(dir, 'box.protected.3mf');
    const p = await run(['design', 'protect', BOX, ...consumerArgs(), '--compress', '--signing-key', signing, '--out', protectedPath, '--json'], dir);
    expect(p.code).toBe(0);
    const protectedResult = p.json<{ manifestHash: string; encryptedParts: string[]; signed: boolean }>();
    expect(protectedResult).toMatchObject({ signed: true, encryptedParts: ['/3D/protected.model'] });

    const i = await run(['design', 'inspect', protectedPath, '--trusted-signer', signerPub, '--json'], dir);
    expect(i.code).toBe(0);
    const report = i.json<{ manifest: { status: string; hash: string }; keystore: { consumers: Array<{ consumerId: string }> }; parts: Array<{ name: string; encrypted: boolean; compression?: string }> }>();
    expect(report.manifest).toMatchObject({ status: 'verified', hash: protectedResult.manifestHash });
    expect(report.keystore.consumers.map((c) => c.consumerId)).toEqual(['LIB3MF#TEST', 'test3mf01']);
    expect(report.parts.find((x) => x.encrypted)).toMatchObject({ name: '/3D/protected.model', compression: 'deflate' });

    for (const [id, key] of [
      ['LIB3MF#TEST', sharedData(...SC, 'sample.pem')],
      ['test3mf01', sharedData(...SUITE, 'private_test.pem')],
    ] as const) {
      const out = join(dir, `open-${id.replace('#', '')}`);
      const o = await run(['design', 'open', protectedPath, '--consumer-id', id, '--key', key, '--trusted-signer', signerPub, '--out-dir', out, '--json'], dir);
      expect(o.code, o.stderr).toBe(0);
      expect(o.json<{ manifest: { status: string } }>().manifest.status).toBe('verified');
      const original = (await readAllParts(readFileSync(BOX))).get('/3D/3dmodel.model')!;
      expect(readFileSync(join(out, '3D', 'protected.model')).equals(original)).toBe(true);
    }
  });

  it('exits 1 with the error code on an integrity failure, and writes nothing', async () => {
    const protectedPath = join(dir, 'box.two.3mf');
    expect((await run(['design', 'protect', BOX, ...consumerArgs(), '--signing-key', signing, '--out', protectedPath], dir)).code).toBe(0);
    const wrongKey = await run(['design', 'open', protectedPath, '--consumer-id', 'LIB3MF#TEST', '--key', sharedData(...SUITE, 'private_test.pem'), '--out-dir', join(dir, 'never')], dir);
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('DESIGN_KEY_UNWRAP_FAILED');
    expect(existsSync(join(dir, 'never'))).toBe(false);

    const tamperedPath = join(dir, 'box.tampered.3mf');
    writeFileSync(
      tamperedPath,
      await rewritePackage(readFileSync(protectedPath), (parts) => {
        const model = Buffer.from(parts.get('/3D/protected.model')!);
        model[30]! ^= 1;
        parts.set('/3D/protected.model', model);
      }),
    );
    const tampered = await run(['design', 'open', tamperedPath, '--consumer-id', 'LIB3MF#TEST', '--key', sharedData(...SC, 'sample.pem'), '--out-dir', join(dir, 'never2'), '--json'], dir);
    expect(tampered.code).toBe(1);
    expect(tampered.json<{ error: { code: string } }>().error.code).toBe('DESIGN_PART_MISMATCH');
    expect(existsSync(join(dir, 'never2'))).toBe(false);
    const inspected = await run(['design', 'inspect', tamperedPath, '--json'], dir);
    expect(inspected.code).toBe(1);
    expect(inspected.stdout).toContain('"status":"invalid"');
  });

  it('opens a lib3mf sample (manifest absent) and refuses it when a manifest is required', async () => {
    const sample = sharedData(...SC, 'keystore_encrypted.3mf');
    const ok = await run(['design', 'open', sample, '--consumer-id', 'LIB3MF#TEST', '--key', sharedData(...SC, 'sample.pem'), '--out-dir', join(dir, 'sample'), '--json'], dir);
    expect(ok.code).toBe(0);
    expect(ok.json<{ manifest: { status: string } }>().manifest.status).toBe('absent');
    expect(readFileSync(join(dir, 'sample', '3D', '3dexternal.model')).length).toBe(4100);
    const strict = await run(['design', 'open', sample, '--consumer-id', 'LIB3MF#TEST', '--key', sharedData(...SC, 'sample.pem'), '--require-manifest', '--out-dir', join(dir, 'sample2')], dir);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('DESIGN_MANIFEST_MISSING');
  });

  it('exits 2 on bad usage and unreadable input', async () => {
    const unpaired = await run(['design', 'protect', BOX, '--consumer-id', 'a', '--consumer-id', 'b', '--consumer-key', sharedData(...SC, 'sample.pub.pem'), '--out', join(dir, 'x.3mf')], dir);
    expect(unpaired.code).toBe(2);
    const missingKey = await run(['design', 'protect', BOX, '--consumer-id', 'a', '--consumer-key', join(dir, 'nope.pem'), '--out', join(dir, 'x.3mf')], dir);
    expect(missingKey.code).toBe(2);
    expect(missingKey.stderr).toContain('DESIGN_KEY_INVALID');
    const notZip = await run(['design', 'inspect', sharedData('gcode', 'prusaslicer', 'screw.gcode')], dir);
    expect(notZip.code).toBe(2);
    expect(notZip.stderr).toContain('DESIGN_ARCHIVE_MALFORMED');
    expect(existsSync(join(dir, 'x.3mf'))).toBe(false);
  });

  it('re-wraps for a new consumer set', async () => {
    const protectedPath = join(dir, 'box.one.3mf');
    expect((await run(['design', 'protect', BOX, '--consumer-id', 'LIB3MF#TEST', '--consumer-key', sharedData(...SC, 'sample.pub.pem'), '--signing-key', signing, '--out', protectedPath], dir)).code).toBe(0);
    const rewrapped = join(dir, 'box.rewrapped.3mf');
    const r = await run(
      ['design', 'rewrap', protectedPath, '--unwrap-consumer-id', 'LIB3MF#TEST', '--unwrap-key', sharedData(...SC, 'sample.pem'), '--consumer-id', 'test3mf01', '--consumer-key', sharedData(...SUITE, 'public_test.pem'), '--signing-key', signing, '--out', rewrapped],
      dir,
    );
    expect(r.code, r.stderr).toBe(0);
    const o = await run(['design', 'open', rewrapped, '--consumer-id', 'test3mf01', '--key', sharedData(...SUITE, 'private_test.pem'), '--out-dir', join(dir, 'rewrapped')], dir);
    expect(o.code, o.stderr).toBe(0);
    const revoked = await run(['design', 'open', rewrapped, '--consumer-id', 'LIB3MF#TEST', '--key', sharedData(...SC, 'sample.pem'), '--out-dir', join(dir, 'revoked')], dir);
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain('DESIGN_CONSUMER_NOT_FOUND');
  });
});

describe('fabgate design seal / unseal', () => {
  it('seals real G-code, inspects the envelope, and unseals it byte for byte', async () => {
    const gcode = sharedData('gcode', 'prusaslicer', 'screw.gcode');
    const sealed = join(dir, 'screw.gcode.fgenv');
    const s = await run(['design', 'seal', gcode, ...consumerArgs(), '--signing-key', signing, '--out', sealed, '--json'], dir);
    expect(s.code, s.stderr).toBe(0);
    const i = await run(['design', 'inspect', sealed, '--trusted-signer', signerPub, '--json'], dir);
    expect(i.code).toBe(0);
    expect(i.json<{ kind: string; header: { contentType: string; recipients: unknown[] } }>()).toMatchObject({ kind: 'envelope', header: { contentType: 'text/x.gcode' } });
    const out = join(dir, 'screw.out.gcode');
    const u = await run(['design', 'unseal', sealed, '--consumer-id', 'test3mf01', '--key', sharedData(...SUITE, 'private_test.pem'), '--trusted-signer', signerPub, '--out', out], dir);
    expect(u.code, u.stderr).toBe(0);
    expect(readFileSync(out).equals(readFileSync(gcode))).toBe(true);
    const wrong = await run(['design', 'unseal', sealed, '--consumer-id', 'nobody', '--key', sharedData(...SUITE, 'private_test.pem'), '--out', join(dir, 'nobody.gcode')], dir);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('DESIGN_CONSUMER_NOT_FOUND');
  });
});
