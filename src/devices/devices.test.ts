/**
 * Devices on both engines, through real HTTP: one-time enrolment tokens
 * (single use, expiry, races), key checks, the device's own scoped token,
 * signed key rotation, revocation, and organisation scoping.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../shared/test-support/databases.js';
import { client, ensureUser, signIn, TEST_PASSWORD } from '../shared/test-support/http.js';
import { keyFingerprint } from '../designs/securecontent/index.js';
import { edKeys, openTicketWorld, rsaKeys, type TicketWorld } from '../tickets/test-support/world.js';
import { rotationStatement } from './keys.js';
import { createEnrolmentToken } from './store.js';

type Err = { error: { code: string } };

describe.each(DIALECTS)('devices on %s', (dialect) => {
  let w: TicketWorld;
  beforeAll(async () => {
    w = await openTicketWorld(dialect);
  });
  afterAll(async () => {
    await w?.close();
  });

  const newToken = async (body: Record<string, unknown> = {}) => {
    const r = await w.operator.request<{ token: string; record: { id: string; status: string; expires_at: string } }>('POST', '/api/devices/enrolment-tokens', body);
    expect(r.status).toBe(201);
    return r.body;
  };
  const enrolWith = (token: string, keys = { content: rsaKeys().pem, signing: edKeys().pem }) =>
    client(w.server.url).request<Err & { device_id: string; api_token: string; device: { organisation: { id: string }; name: string } }>('POST', '/api/devices/enrol', {
      token,
      content_key: keys.content,
      signing_key: keys.signing,
      name: 'host-7',
    });

  it('enrols a print host once per token; the token is stored hashed and shown as used', async () => {
    const { token, record } = await newToken({ device_name: 'Bureau line 1' });
    expect(token).toMatch(/^fge_[A-Za-z0-9_-]{43}$/);
    const stored = await w.services.database.db.selectFrom('device_enrolment_tokens').selectAll().where('id', '=', record.id).executeTakeFirstOrThrow();
    expect(stored.secret_hash).not.toContain(token.slice(4));
    const first = await enrolWith(token);
    expect(first.status).toBe(201);
    expect(first.body.device.organisation.id).toBe(w.operatorId);
    expect(first.body.device.name).toBe('Bureau line 1'); // the operator's name wins over the host's
    const again = await enrolWith(token);
    expect([again.status, again.body.error.code]).toEqual([401, 'DEVICE_ENROLMENT_TOKEN_USED']);
    const bogus = await enrolWith('fge_' + 'A'.repeat(43));
    expect([bogus.status, bogus.body.error.code]).toEqual([401, 'DEVICE_ENROLMENT_TOKEN_INVALID']);
    const listed = await w.operator.request<{ tokens: Array<{ id: string; status: string; device_id: string }> }>('GET', '/api/devices/enrolment-tokens');
    expect(listed.body.tokens.find((t) => t.id === record.id)).toMatchObject({ status: 'used', device_id: first.body.device_id });
  });

  it('lets exactly one of two hosts racing with one token enrol', async () => {
    const { token } = await newToken();
    const results = await Promise.all([enrolWith(token), enrolWith(token)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 401]);
    expect(results.find((r) => r.status === 401)!.body.error.code).toBe('DEVICE_ENROLMENT_TOKEN_USED');
  });

  it('refuses an expired token', async () => {
    const { token } = await newToken({ expires_in_hours: 1 });
    w.services.clock.advance(3600_000 + 1);
    const late = await enrolWith(token);
    expect([late.status, late.body.error.code]).toEqual([401, 'DEVICE_ENROLMENT_TOKEN_EXPIRED']);
  });

  it('refuses weak, wrong-type and private keys, and keys another device registered', async () => {
    const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const rsa = rsaKeys();
    const ed = edKeys();
    const cases: Array<[{ content: string; signing: string }, string]> = [
      [{ content: rsa2048, signing: ed.pem }, 'DEVICE_KEY_INVALID'],
      [{ content: ec, signing: ed.pem }, 'DEVICE_KEY_INVALID'],
      [{ content: rsa.pem, signing: rsa.pem }, 'DEVICE_KEY_INVALID'],
      [{ content: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), signing: ed.pem }, 'DEVICE_KEY_INVALID'],
      [{ content: 'not a key', signing: ed.pem }, 'DEVICE_KEY_INVALID'],
    ];
    for (const [keys, code] of cases) {
      const { token } = await newToken();
      const r = await enrolWith(token, keys);
      expect([r.status, r.body.error.code], code).toEqual([400, code]);
    }
    // a refused enrolment leaves the token unspent
    const { token } = await newToken();
    expect((await enrolWith(token, { content: rsa2048, signing: ed.pem })).status).toBe(400);
    expect((await enrolWith(token, { content: rsa.pem, signing: ed.pem })).status).toBe(201);
    const { token: t2 } = await newToken();
    const dup = await enrolWith(t2, { content: rsa.pem, signing: edKeys().pem });
    expect([dup.status, dup.body.error.code]).toEqual([409, 'DEVICE_KEY_IN_USE']);
  });

  it("gives the host a token scoped to itself: it reads itself, it cannot manage devices", async () => {
    const d = await w.enrol();
    const self = await d.client.request<{ id: string; keys: { content_key_sha256: string } }>('GET', '/api/devices/self');
    expect(self.status).toBe(200);
    expect(self.body.id).toBe(d.id);
    expect(self.body.keys.content_key_sha256).toBe(d.contentKeySha256);
    expect((await d.client.request<Err>('POST', '/api/devices/enrolment-tokens', {})).status).toBe(403);
    expect((await d.client.request<Err>('GET', '/api/devices')).status).toBe(403);
    // a person's session is not a device
    const notDevice = await w.operator.request<Err>('GET', '/api/devices/self');
    expect([notDevice.status, notDevice.body.error.code]).toEqual([404, 'DEVICE_NOT_FOUND']);
  });

  it('rotates keys only with a statement signed by the current signing key', async () => {
    const d = await w.enrol();
    const next = { content: rsaKeys(), signing: edKeys() };
    const fps = { contentKeySha256: keyFingerprint(next.content.publicKey), signingKeySha256: keyFingerprint(next.signing.publicKey) };
    const statement = rotationStatement(d.id, fps);
    const forged = await d.client.request<Err>('POST', '/api/devices/self/keys', { content_key: next.content.pem, signing_key: next.signing.pem, signature: sign(null, statement, next.signing.privateKey).toString('base64') });
    expect([forged.status, forged.body.error.code]).toEqual([422, 'DEVICE_ROTATION_SIGNATURE_INVALID']);
    const ok = await d.client.request<{ content_key_sha256: string }>('POST', '/api/devices/self/keys', { content_key: next.content.pem, signing_key: next.signing.pem, signature: sign(null, statement, d.signingKey.privateKey).toString('base64') });
    expect(ok.status).toBe(200);
    expect(ok.body.content_key_sha256).toBe(fps.contentKeySha256);
    const history = await w.operator.request<{ keys: Array<{ content_key_sha256: string; retired_at: string | null }> }>('GET', `/api/devices/${d.id}/keys`);
    expect(history.body.keys.map((k) => [k.content_key_sha256, k.retired_at === null])).toEqual([
      [fps.contentKeySha256, true],
      [d.contentKeySha256, false],
    ]);
    // the old signing key no longer rotates anything
    const stale = await d.client.request<Err>('POST', '/api/devices/self/keys', { content_key: rsaKeys().pem, signing_key: edKeys().pem, signature: sign(null, statement, d.signingKey.privateKey).toString('base64') });
    expect(stale.status).toBe(422);
  });

  it('scopes devices to their organisation; a ticket issuer given the id sees only a card', async () => {
    const d = await w.enrol();
    const own = await w.operator.request<{ keys: { content_key: string } }>('GET', `/api/devices/${d.id}`);
    expect(own.body.keys.content_key).toContain('BEGIN PUBLIC KEY');
    const card = await w.officer.request<{ organisation: { name: string }; keys: Record<string, string> }>('GET', `/api/devices/${d.id}`);
    expect(card.status).toBe(200);
    expect(card.body.organisation.name).toBe('Northwind Print Services');
    expect(Object.keys(card.body.keys).sort()).toEqual(['content_key_sha256', 'signing_key_sha256']);
    // an applicant cannot issue tickets: the device is not found for them
    expect((await w.applicant.request<Err>('GET', `/api/devices/${d.id}`)).status).toBe(404);
    expect((await w.officer.request<Err>('GET', `/api/devices/${d.id}/keys`)).status).toBe(404);
    expect((await w.officer.request<Err>('POST', `/api/devices/${d.id}/revoke`, { reason: 'not yours' })).status).toBe(403);
    const listed = await w.operator.request<{ devices: Array<{ id: string }> }>('GET', '/api/devices');
    expect(listed.body.devices.map((x) => x.id)).toContain(d.id);
  });

  it('revokes a device: its token stops working at once and its keys are retired', async () => {
    const d = await w.enrol();
    const r = await w.operator.request<{ device: { status: string; keys: { retired_at: string | null } } }>('POST', `/api/devices/${d.id}/revoke`, { reason: 'Host stolen from the bureau' });
    expect(r.status).toBe(200);
    expect(r.body.device.status).toBe('revoked');
    expect(r.body.device.keys.retired_at).not.toBeNull();
    expect((await d.client.request<Err>('GET', '/api/devices/self')).status).toBe(401);
    const twice = await w.operator.request<Err>('POST', `/api/devices/${d.id}/revoke`, { reason: 'again' });
    expect([twice.status, twice.body.error.code]).toEqual([409, 'DEVICE_REVOKED']);
    // an issuer no longer sees a revoked device
    expect((await w.officer.request<Err>('GET', `/api/devices/${d.id}`)).status).toBe(404);
  });

  it('lets an exporter enrol a print host of its own; an authority cannot own one', async () => {
    const admin = await ensureUser(w.services, { name: 'Aurora Additive GmbH', kind: 'exporter' }, 'admin', 'admin@aurora.test');
    const c = await signIn(w.server.url, admin.email, TEST_PASSWORD);
    const d = await w.enrol(c, 'In-house MK4');
    const self = await d.client.request<{ organisation: { id: string } }>('GET', '/api/devices/self');
    expect(self.body.organisation.id).toBe(w.exporterId);
    await expect(createEnrolmentToken(w.services.database.db, w.services.clock, { organisationId: w.authorityId, createdBy: null })).rejects.toMatchObject({ code: 'DEVICE_ORGANISATION_KIND' });
  });
});
