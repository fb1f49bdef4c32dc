/**
 * Print tickets on both engines, through real HTTP: issued only under a
 * licence in force that the caller holds, for devices named under it, within
 * its balance (also under concurrency); signed, logged, and carrying a log
 * receipt that verifies offline; revoked onto a signed list whose serial
 * grows; and checked by `fabgate log audit`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../ledger/audit.js';
import { parseVerifierKey } from '../ledger/core/keys.js';
import { actOnLicence } from '../licensing/store/licences.js';
import { DIALECTS } from '../shared/test-support/databases.js';
import { client } from '../shared/test-support/http.js';
import { rotateIssuerKey } from './issuer-key.js';
import { verifyRevocationList } from './revocations.js';
import { openTicketWorld, PART_3MF, type EnrolledDevice, type TicketWorld } from './test-support/world.js';
import { issuerPublicKey, verifyPrintTicket, type TicketBundle, type TrustedIssuer } from './ticket.js';

type Err = { error: { code: string; details?: Record<string, unknown> } };
interface Issued {
  ticket: { jti: string; state: string; prints: number; prints_used: number; manifest_sha256: string; devices: Array<{ id: string; content_key_sha256: string }>; licence: { reference: string } };
  bundle: TicketBundle;
  log_index: string | null;
}

const ENVELOPE = {
  build_volume_mm: { x: [0, 250], y: [-4, 210], z: [0, 210] },
  nozzle_temp_c: { max: 260 },
  bed_temp_c: { max: 110 },
  feed_rate_mm_min: { max: 12000 },
  forbidden_commands: ['M302', 'M500', 'M502'],
};

describe.each(DIALECTS)('print tickets on %s', (dialect) => {
  let w: TicketWorld;
  let host1: EnrolledDevice;
  let host2: EnrolledDevice;
  let designId: string;

  beforeAll(async () => {
    w = await openTicketWorld(dialect);
    host1 = await w.enrol(undefined, 'Bureau MK4 #1');
    host2 = await w.enrol(undefined, 'Bureau MK4 #2');
    const up = await w.upload(w.officer, PART_3MF(), 'hinge-bracket.3mf');
    designId = up.body.id;
  });
  afterAll(async () => {
    await w?.close();
  });

  const notAfter = (days = 30) => new Date(w.services.clock.now().getTime() + days * 86400_000).toISOString();
  const licenceWithDevices = async (prints: number, devices: EnrolledDevice[] = [host1, host2]) => {
    const lic = await w.grant(prints);
    for (const d of devices) expect((await w.officer.request('POST', `/api/licences/${lic.id}/devices`, { device_id: d.id })).status).toBe(201);
    return lic;
  };
  const issue = (licenceId: string, over: Record<string, unknown> = {}, by = w.officer) =>
    by.request<Issued & Err>('POST', '/api/tickets', { licence_id: licenceId, design_id: designId, device_ids: [host1.id], prints: 2, not_after: notAfter(), envelope: ENVELOPE, ...over });
  const trusted = async (): Promise<TrustedIssuer[]> => {
    const jwks = await client(w.server.url).request<{ keys: Array<{ kid: string; kty: string; crv: string; x: string }> }>('GET', '/api/tickets/issuer-keys');
    return jwks.body.keys.map((k) => ({ kid: k.kid, publicKey: issuerPublicKey(k) }));
  };
  const logPolicy = async () => {
    const vkey = (await client(w.server.url).request<string>('GET', '/log/key')).body.trim();
    return { logKeys: [parseVerifierKey(vkey)], origin: w.services.config.logOrigin };
  };

  it('issues a ticket under an active licence for named devices; the bundle verifies offline with its log receipt', async () => {
    const lic = await licenceWithDevices(10);
    const res = await issue(lic.id, { device_ids: [host1.id, host2.id], prints: 2 });
    expect(res.status).toBe(201);
    expect(res.body.ticket).toMatchObject({ state: 'active', prints: 2, prints_used: 0, licence: { reference: lic.reference } });
    expect(res.body.bundle.format).toBe('fabgate.ticket-bundle.v1');
    expect(res.body.bundle.log?.receipt).toContain('c2sp.org/tlog-proof');
    expect(res.body.log_index).not.toBeNull();
    // offline: the issuer keys and the log key, fetched once, and nothing else
    const [issuers, policy] = [await trusted(), await logPolicy()];
    for (const host of [host1, host2]) {
      const v = verifyPrintTicket(res.body.bundle.ticket, {
        issuers,
        deviceContentKeySha256: host.contentKeySha256,
        now: w.services.clock.now(),
        designManifestSha256: res.body.ticket.manifest_sha256,
        log: { proof: res.body.bundle.log!, policy },
      });
      expect(v.logIndex?.toString()).toBe(res.body.log_index);
      expect(v.claims.envelope).toEqual(ENVELOPE);
      expect(v.claims.devices.map((d) => d.id).sort()).toEqual([host1.id, host2.id].sort());
    }
    // the ticket binds the manifest of the release the devices download
    const pkg = await fetch(`${w.server.url}/api/designs/${designId}/package`, { headers: { authorization: `Bearer ${host1.apiToken}` } });
    expect(pkg.headers.get('x-fabgate-manifest-sha256')).toBe(res.body.ticket.manifest_sha256);
    // the prints came off the licence
    const licence = await w.officer.request<{ items: Array<{ id: string; remaining: number }> }>('GET', `/api/licences/${lic.id}`);
    expect(licence.body.items.find((i) => i.id === lic.partItem)!.remaining).toBe(8);
    // the device fetches its own bundle; another device cannot
    const own = await host1.client.request<TicketBundle>('GET', `/api/tickets/${res.body.ticket.jti}/bundle`);
    expect(own.body.ticket).toBe(res.body.bundle.ticket);
    const stranger = await w.enrol();
    expect((await stranger.client.request<Err>('GET', `/api/tickets/${res.body.ticket.jti}/bundle`)).status).toBe(404);
    // a forged copy (more prints) does not verify
    const [h, , s] = res.body.bundle.ticket.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(res.body.bundle.ticket.split('.')[1]!, 'base64url').toString()), prints: 200 })).toString('base64url');
    expect(() => verifyPrintTicket(`${h}.${forgedPayload}.${s}`, { issuers, deviceContentKeySha256: host1.contentKeySha256, now: w.services.clock.now() })).toThrow(expect.objectContaining({ code: 'TICKET_SIGNATURE_INVALID' }));
    // and it is bound to its devices
    expect(() => verifyPrintTicket(res.body.bundle.ticket, { issuers, deviceContentKeySha256: stranger.contentKeySha256, now: w.services.clock.now() })).toThrow(expect.objectContaining({ code: 'TICKET_WRONG_DEVICE' }));
  });

  it('refuses without a licence, under another exporter’s licence, for an unnamed device, and past the balance', async () => {
    const lic = await licenceWithDevices(3, [host1]);
    const none = await issue('lic_doesnotexist');
    expect([none.status, none.body.error.code]).toEqual([404, 'LICENSING_LICENCE_NOT_FOUND']);
    const theirs = await w.grant(10, { holder: 'other' });
    const foreign = await issue(theirs.id);
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'LICENSING_LICENCE_NOT_FOUND']);
    const unnamed = await issue(lic.id, { device_ids: [host2.id] });
    expect([unnamed.status, unnamed.body.error.code]).toEqual([409, 'TICKET_DEVICE_NOT_NAMED']);
    const unknown = await issue(lic.id, { device_ids: ['dev_nothere'] });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'DEVICE_NOT_FOUND']);
    const tooMany = await issue(lic.id, { prints: 4 });
    expect([tooMany.status, tooMany.body.error.code]).toEqual([409, 'LICENSING_BALANCE_EXCEEDED']);
    expect((await issue(lic.id, { prints: 3 })).status).toBe(201);
    const exhausted = await issue(lic.id, { prints: 1 });
    expect([exhausted.status, exhausted.body.error.code]).toEqual([409, 'LICENSING_BALANCE_EXCEEDED']);
    // an applicant reads tickets but does not issue them
    expect((await issue(lic.id, {}, w.applicant)).status).toBe(403);
    const badEnvelope = await issue(lic.id, { envelope: { nozzle_temp_c: { max: 260 }, warp_drive: true } });
    expect(badEnvelope.status).toBe(400);
    const outlives = await issue(lic.id, { not_after: notAfter(800) });
    expect([outlives.status, outlives.body.error.code]).toEqual([409, 'TICKET_VALIDITY_OUTSIDE_LICENCE']);
  });

  it('refuses under a suspended licence and an expired one', async () => {
    const lic = await licenceWithDevices(10, [host1]);
    const row = await w.services.database.db.selectFrom('licensing_licences').selectAll().where('id', '=', lic.id).executeTakeFirstOrThrow();
    const supervisor = { type: 'user' as const, id: 'usr_sup', userId: 'usr_sup', organisationId: w.authorityId, kind: 'authority' as const, role: 'supervisor' as const };
    await w.services.database.db.transaction().execute((trx) => actOnLicence(trx, w.services.clock, supervisor, row, 'suspend', 'Diversion suspected at the consignee'));
    const suspended = await issue(lic.id);
    expect([suspended.status, suspended.body.error.code, suspended.body.error.details?.status]).toEqual([409, 'TICKET_LICENCE_NOT_ACTIVE', 'suspended']);

    const short = await licenceWithDevices(10, [host1]);
    const saved = w.services.clock.now();
    w.services.clock.advance(400 * 86400_000);
    try {
      const expired = await issue(short.id, { not_after: notAfter(1) }, w.exporterToken);
      expect([expired.status, expired.body.error.code, expired.body.error.details?.status]).toEqual([409, 'TICKET_LICENCE_NOT_ACTIVE', 'expired']);
    } finally {
      w.services.clock.set(saved);
    }
  });

  it('never issues past the balance when requests race', async () => {
    const lic = await licenceWithDevices(7, [host1]);
    const results = await Promise.all(Array.from({ length: 12 }, () => issue(lic.id, { prints: 1 })));
    const issued = results.filter((r) => r.status === 201);
    expect(issued.length).toBe(7);
    expect(results.filter((r) => r.status !== 201).map((r) => r.body.error.code)).toEqual(Array(5).fill('LICENSING_BALANCE_EXCEEDED'));
    expect(new Set(issued.map((r) => r.body.ticket.jti)).size).toBe(7);
    const remaining = await w.services.database.db.selectFrom('licensing_licence_items').select('remaining_milli').where('id', '=', lic.partItem).executeTakeFirstOrThrow();
    expect(Number(remaining.remaining_milli)).toBe(0);
    const tickets = await w.officer.request<{ tickets: Array<{ jti: string }> }>('GET', `/api/tickets?licence_id=${lic.id}`);
    expect(tickets.body.tickets.length).toBe(7);
  });

  it('revokes tickets onto a signed list whose serial grows; a device revocation revokes its tickets', async () => {
    const lic = await licenceWithDevices(10, [host1, host2]);
    const list0 = await client(w.server.url).request<string>('GET', '/api/tickets/revocations');
    expect(list0.headers.get('content-type')).toContain('application/jose');
    const issuers = await trusted();
    const before = verifyRevocationList(list0.body, issuers);
    const t1 = await issue(lic.id, { prints: 1 });
    const revoked = await w.officer.request<{ state: string; revoked: { reason: string } }>('POST', `/api/tickets/${t1.body.ticket.jti}/revoke`, { reason: 'Consignee asked to stop' });
    expect(revoked.body).toMatchObject({ state: 'revoked', revoked: { reason: 'Consignee asked to stop' } });
    const again = await w.officer.request<Err>('POST', `/api/tickets/${t1.body.ticket.jti}/revoke`, { reason: 'twice' });
    expect([again.status, again.body.error.code]).toEqual([409, 'TICKET_ALREADY_REVOKED']);
    const list1 = verifyRevocationList((await client(w.server.url).request<string>('GET', '/api/tickets/revocations')).body, issuers, before.serial);
    expect(list1.serial).toBeGreaterThan(before.serial);
    expect(list1.revoked.map((r) => r.jti)).toContain(t1.body.ticket.jti);
    // the offline verifier refuses it once it holds the list
    expect(() =>
      verifyPrintTicket(t1.body.bundle.ticket, { issuers, deviceContentKeySha256: host1.contentKeySha256, now: w.services.clock.now(), revoked: new Set(list1.revoked.map((r) => r.jti)) }),
    ).toThrow(expect.objectContaining({ code: 'TICKET_REVOKED' }));
    // the list is stable until something changes: the same serial again
    expect(verifyRevocationList((await client(w.server.url).request<string>('GET', '/api/tickets/revocations')).body, issuers).serial).toBe(list1.serial);
    // an older list is refused by a host holding the newer one
    expect(() => verifyRevocationList(list0.body, issuers, list1.serial)).toThrow(expect.objectContaining({ code: 'TICKET_REVOCATIONS_INVALID' }));

    const victim = await w.enrol(undefined, 'Stolen host');
    await w.officer.request('POST', `/api/licences/${lic.id}/devices`, { device_id: victim.id });
    const t2 = await issue(lic.id, { prints: 1, device_ids: [victim.id, host1.id] });
    const dev = await w.operator.request<{ revoked_tickets: string[] }>('POST', `/api/devices/${victim.id}/revoke`, { reason: 'Stolen from the bureau' });
    expect(dev.body.revoked_tickets).toEqual([t2.body.ticket.jti]);
    const list2 = verifyRevocationList((await client(w.server.url).request<string>('GET', '/api/tickets/revocations')).body, issuers, list1.serial);
    expect(list2.serial).toBeGreaterThan(list1.serial);
    expect(list2.revoked.map((r) => r.jti)).toEqual(expect.arrayContaining([t1.body.ticket.jti, t2.body.ticket.jti]));
    // a revoked device can no longer be named or ticketed
    const named = await issue(lic.id, { device_ids: [victim.id] });
    expect([named.status, named.body.error.code]).toEqual([409, 'TICKET_DEVICE_NOT_ELIGIBLE']);
    // another exporter cannot revoke it
    expect((await w.other.request<Err>('POST', `/api/tickets/${t2.body.ticket.jti}/revoke`, { reason: 'mischief' })).status).toBe(404);
  });

  it('rotates the issuer key: new tickets use the new key, old ones still verify against the published set', async () => {
    const lic = await licenceWithDevices(4, [host1]);
    const old = await issue(lic.id, { prints: 1 });
    const { kid } = await rotateIssuerKey(w.services.database.db, w.services.keys, w.services.clock);
    const fresh = await issue(lic.id, { prints: 1 });
    const issuers = await trusted();
    expect(issuers[0]!.kid).toBe(kid);
    const kidOf = (jws: string) => (JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    expect(kidOf(fresh.body.bundle.ticket)).toBe(kid);
    expect(kidOf(old.body.bundle.ticket)).not.toBe(kid);
    for (const t of [old, fresh]) verifyPrintTicket(t.body.bundle.ticket, { issuers, deviceContentKeySha256: host1.contentKeySha256, now: w.services.clock.now() });
    // the stored private keys are wrapped under the KEK, never in the clear
    const rows = await w.services.database.db.selectFrom('ticket_issuer_keys').selectAll().execute();
    for (const r of rows) expect(r.wrapped_private_key).toMatch(/^kw1\./);
  });

  it('shows tickets to the holder, to the operator of their devices and to the licensing authority, not to others', async () => {
    const lic = await licenceWithDevices(2, [host1]);
    const t = await issue(lic.id, { prints: 1 });
    const jti = t.body.ticket.jti;
    for (const c of [w.officer, w.applicant, w.operator, w.authority, host1.client]) {
      const r = await c.request<{ ticket: { jti: string } }>('GET', `/api/tickets/${jti}`);
      expect(r.status).toBe(200);
    }
    expect((await w.other.request('GET', `/api/tickets/${jti}`)).status).toBe(404);
    expect((await host2.client.request('GET', `/api/tickets/${jti}`)).status).toBe(404);
    const named = await w.authority.request<{ devices: Array<{ device: { id: string } }> }>('GET', `/api/licences/${lic.id}/devices`);
    expect(named.body.devices.map((d) => d.device.id)).toEqual([host1.id]);
    expect((await w.other.request('GET', `/api/licences/${lic.id}/devices`)).status).toBe(404);
  });

  it('passes `fabgate log audit`, and the audit reports a ticket row edited in place', async () => {
    const lic = await licenceWithDevices(5, [host1]);
    const t = await issue(lic.id, { prints: 2 });
    await w.services.ledger.integrate();
    const clean = await auditLog(w.services.database.db, w.services.ledger.origin);
    expect(clean.findings).toEqual([]);
    expect(clean.ok).toBe(true);
    expect(clean.unverifiable_record_types).not.toContain('print_ticket');
    // someone with database access gives the ticket more prints
    await w.services.database.db.updateTable('print_tickets').set({ prints: 50 }).where('jti', '=', t.body.ticket.jti).execute();
    const tampered = await auditLog(w.services.database.db, w.services.ledger.origin);
    expect(tampered.ok).toBe(false);
    expect(tampered.findings).toContainEqual(expect.objectContaining({ kind: 'record_altered', record_type: 'print_ticket', record_id: t.body.ticket.jti }));
    await w.services.database.db.updateTable('print_tickets').set({ prints: 2 }).where('jti', '=', t.body.ticket.jti).execute();
    // the JWS itself swapped for another ticket's
    const other = await issue(lic.id, { prints: 1 });
    await w.services.ledger.integrate();
    await w.services.database.db.updateTable('print_tickets').set({ jws: other.body.bundle.ticket }).where('jti', '=', t.body.ticket.jti).execute();
    const swapped = await auditLog(w.services.database.db, w.services.ledger.origin);
    expect(swapped.findings).toContainEqual(expect.objectContaining({ kind: 'record_altered', record_id: t.body.ticket.jti }));
    await w.services.database.db.updateTable('print_tickets').set({ jws: t.body.bundle.ticket }).where('jti', '=', t.body.ticket.jti).execute();
    expect((await auditLog(w.services.database.db, w.services.ledger.origin)).ok).toBe(true);
  });
});
