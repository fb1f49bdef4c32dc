/**
 * Usage records from print hosts, both engines, real HTTP: accepted in the
 * device's hash chain and acknowledged with a signed JWS the agent accepts;
 * gaps, replays, forgeries and records from the wrong device refused with
 * their codes and the server's head; one of two racing posts of a sequence
 * number wins; anomalies flagged per ticket and licence; each record logged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../ledger/audit.js';
import { DIALECTS } from '../shared/test-support/databases.js';
import { client } from '../shared/test-support/http.js';
import { edKeys, openTicketWorld, PART_3MF, type EnrolledDevice, type TicketWorld } from './test-support/world.js';
import { issuerPublicKey, type TrustedIssuer } from './ticket.js';
import { verifyUsageAck } from './usage-ack.js';
import { GENESIS_HASH, signUsageRecord, usageRecordHash, type UsageRecord } from './usage-record.js';

type Err = { error: { code: string; details?: { head?: { seq: number; hash: string }; acknowledgement?: string } } };
type Accepted = { id: string; seq: number; hash: string; acknowledgement: string; flags: Array<{ kind: string; detail: Record<string, unknown> }> };

describe.each(DIALECTS)('usage records on %s', (dialect) => {
  let w: TicketWorld;
  let host1: EnrolledDevice;
  let host2: EnrolledDevice;
  let jti: string;
  let manifest: string;
  let licenceId: string;
  let issuers: TrustedIssuer[];
  const chains = new Map<string, { seq: number; hash: string }>();

  beforeAll(async () => {
    w = await openTicketWorld(dialect);
    host1 = await w.enrol(undefined, 'Bureau MK4 #1');
    host2 = await w.enrol(undefined, 'Bureau MK4 #2');
    const lic = await w.grant(10);
    licenceId = lic.id;
    for (const d of [host1, host2]) await w.officer.request('POST', `/api/licences/${lic.id}/devices`, { device_id: d.id });
    const up = await w.upload(w.officer, PART_3MF(), 'hinge-bracket.3mf');
    const t = await w.officer.request<{ ticket: { jti: string; manifest_sha256: string } }>('POST', '/api/tickets', {
      licence_id: lic.id,
      design_id: up.body.id,
      device_ids: [host1.id, host2.id],
      prints: 2,
      not_after: new Date(w.services.clock.now().getTime() + 30 * 86400_000).toISOString(),
      envelope: { nozzle_temp_c: { max: 260 } },
    });
    jti = t.body.ticket.jti;
    manifest = t.body.ticket.manifest_sha256;
    const jwks = await client(w.server.url).request<{ keys: Array<{ kid: string; kty: string; crv: string; x: string }> }>('GET', '/api/tickets/issuer-keys');
    issuers = jwks.body.keys.map((k) => ({ kid: k.kid, publicKey: issuerPublicKey(k) }));
  });
  afterAll(async () => {
    await w?.close();
  });

  const at = (minutes: number) => new Date(w.services.clock.now().getTime() + minutes * 60_000).toISOString();
  /** The next record of a device's chain (not yet sent). */
  const next = (d: EnrolledDevice, over: Partial<UsageRecord> = {}): UsageRecord => {
    const last = chains.get(d.id) ?? { seq: 0, hash: GENESIS_HASH };
    return { v: 1, device: d.id, seq: last.seq + 1, prev: last.hash, ticket: jti, design: manifest, counter: 1, started_at: at(1), ended_at: at(90), outcome: 'completed', violations: [], ...over };
  };
  const post = (d: EnrolledDevice, record: UsageRecord, key = d.signingKey.privateKey) => d.client.request<Accepted & Err>('POST', '/api/usage-records', signUsageRecord(record, key));
  const accept = async (d: EnrolledDevice, record: UsageRecord) => {
    const r = await post(d, record);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    chains.set(d.id, { seq: record.seq, hash: r.body.hash });
    return r.body;
  };

  it('accepts a record in the chain and acknowledges it with a signed JWS naming device, seq and hash', async () => {
    const record = next(host1, { counter: 1, gcode_sha256: 'ab'.repeat(32) });
    const a = await accept(host1, record);
    expect(a).toMatchObject({ seq: 1, hash: usageRecordHash(record), flags: [] });
    const ack = verifyUsageAck(a.acknowledgement, issuers, { device: host1.id, seq: 1, hash: a.hash });
    expect(ack.received_at).toBe(Math.floor(w.services.clock.now().getTime() / 1000));
    expect(() => verifyUsageAck(a.acknowledgement, issuers, { seq: 2 })).toThrow(expect.objectContaining({ code: 'USAGE_ACK_INVALID' }));
    const view = await w.officer.request<{ ticket: { prints_used: number; state: string }; usage: Array<{ seq: number; outcome: string }> }>('GET', `/api/tickets/${jti}`);
    expect(view.body.ticket.prints_used).toBe(1);
    expect(view.body.usage.map((u) => [u.seq, u.outcome])).toEqual([[1, 'completed']]);
    // the record is logged
    const ev = await w.services.database.db.selectFrom('ledger_events').select(['event_type']).where('record_type', '=', 'usage_record').where('record_id', '=', a.id).executeTakeFirst();
    expect(ev?.event_type).toBe('usage.received');
  });

  it('refuses gaps, replays, forgeries, broken chains and records of another device, naming the server head', async () => {
    const head = chains.get(host1.id)!;
    const gap = await post(host1, { ...next(host1), seq: head.seq + 2 });
    expect([gap.status, gap.body.error.code]).toEqual([409, 'USAGE_RECORD_GAP']);
    expect(gap.body.error.details?.head).toEqual(head);

    const replay = await post(host1, { ...next(host1), seq: head.seq, prev: GENESIS_HASH });
    expect([replay.status, replay.body.error.code]).toEqual([409, 'USAGE_RECORD_REPLAYED']);
    expect(replay.body.error.details?.acknowledgement).toBeUndefined(); // not the record that was accepted

    const forged = await post(host1, next(host1), edKeys().privateKey);
    expect([forged.status, forged.body.error.code]).toEqual([422, 'USAGE_RECORD_INVALID']);
    expect(forged.body.error.details?.head).toEqual(head);

    const broken = await post(host1, { ...next(host1), prev: 'cd'.repeat(32) });
    expect([broken.status, broken.body.error.code]).toEqual([422, 'USAGE_RECORD_INVALID']);

    // host 2 sends a record naming host 1, signed with its own key…
    const wrongDevice = await post(host2, { ...next(host2), device: host1.id });
    expect([wrongDevice.status, wrongDevice.body.error.code]).toEqual([403, 'USAGE_RECORD_WRONG_DEVICE']);
    // …or host 1's genuine next record: its signature is not host 2's
    const stolen = await host2.client.request<Err>('POST', '/api/usage-records', signUsageRecord(next(host1), host1.signingKey.privateKey));
    expect([stolen.status, stolen.body.error.code]).toEqual([422, 'USAGE_RECORD_INVALID']);

    const junk = await host1.client.request<Err>('POST', '/api/usage-records', { record: { v: 1, lat: 52.1 }, signature: 'x' });
    expect([junk.status, junk.body.error.code]).toEqual([422, 'USAGE_RECORD_INVALID']);
    // a person is not a device
    const person = await w.operator.request<Err>('POST', '/api/usage-records', signUsageRecord(next(host1), host1.signingKey.privateKey));
    expect([person.status, person.body.error.code]).toEqual([404, 'DEVICE_NOT_FOUND']);
  });

  it('gives a replay of the accepted record its acknowledgement again (a reply lost on the way)', async () => {
    const record = next(host2, { counter: 2 });
    const first = await accept(host2, record);
    const again = await post(host2, record);
    expect([again.status, again.body.error.code]).toEqual([409, 'USAGE_RECORD_REPLAYED']);
    expect(again.body.error.details?.acknowledgement).toBe(first.acknowledgement);
    expect(again.body.error.details?.head).toEqual({ seq: record.seq, hash: first.hash });
  });

  it('lets exactly one of two racing posts of the same sequence number in', async () => {
    const base = next(host1, { counter: 2, outcome: 'refused' });
    const a = { ...base, ended_at: at(2) };
    const b = { ...base, ended_at: at(3) };
    const results = await Promise.all([post(host1, a), post(host1, b)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const loser = results.find((r) => r.status === 409)!;
    expect(loser.body.error.code).toBe('USAGE_RECORD_REPLAYED');
    const winner = results.find((r) => r.status === 201)!;
    chains.set(host1.id, { seq: base.seq, hash: winner.body.hash });
    const rows = await w.services.database.db.selectFrom('usage_records').select('seq').where('device_id', '=', host1.id).where('seq', '=', base.seq).execute();
    expect(rows.length).toBe(1);
  });

  it('flags prints beyond the count, reused counters, violations, revoked tickets and unknown tickets — without geometry', async () => {
    // two prints allowed; counters 1 and 2 were used (a refusal does not count)
    const third = await accept(host1, next(host1, { counter: 3 }));
    expect(third.flags.map((f) => f.kind)).toEqual(['prints_exceeded']);
    const reused = await accept(host2, next(host2, { counter: 1, outcome: 'violation', violations: [{ line: 1234, rule: 'nozzle_temp_c', value: 285, limit: 260 }] }));
    expect(reused.flags.map((f) => f.kind).sort()).toEqual(['counter_reused', 'envelope_violation']);
    expect(reused.flags.find((f) => f.kind === 'envelope_violation')!.detail).toEqual({ outcome: 'violation', rules: ['nozzle_temp_c'], count: 1 });
    await w.officer.request('POST', `/api/tickets/${jti}/revoke`, { reason: 'Prints beyond the count' });
    w.services.clock.advance(60_000);
    const afterRevocation = await accept(host1, next(host1, { counter: 4, started_at: at(1), ended_at: at(5) }));
    expect(afterRevocation.flags.map((f) => f.kind).sort()).toEqual(['prints_exceeded', 'ticket_revoked']);
    const unknown = await accept(host2, next(host2, { ticket: 'tkt_nosuchticket' }));
    expect(unknown.flags.map((f) => f.kind)).toEqual(['ticket_unknown']);

    const flags = await w.officer.request<{ flags: Array<{ kind: string; ticket: string; detail: unknown }> }>('GET', `/api/tickets/flags?licence_id=${licenceId}`);
    expect(flags.body.flags.map((f) => f.kind).sort()).toEqual(['counter_reused', 'envelope_violation', 'prints_exceeded', 'prints_exceeded', 'ticket_revoked']);
    expect(JSON.stringify(flags.body)).not.toMatch(/"x"|"y"|"z"|vertex|geometry/);
    // the authority sees the flags on its licence; another exporter does not
    expect((await w.authority.request<{ flags: unknown[] }>('GET', `/api/tickets/flags?licence_id=${licenceId}`)).body.flags.length).toBe(5);
    expect((await w.other.request<{ flags: unknown[] }>('GET', `/api/tickets/flags?licence_id=${licenceId}`)).body.flags).toEqual([]);
    const view = await w.officer.request<{ ticket: { state: string; prints_used: number; flags: number } }>('GET', `/api/tickets/${jti}`);
    expect(view.body.ticket).toMatchObject({ state: 'revoked', prints_used: 4, flags: 5 });
  });

  it('keeps the log audit clean with usage records in it', async () => {
    await w.services.ledger.integrate();
    const report = await auditLog(w.services.database.db, w.services.ledger.origin);
    expect(report.findings).toEqual([]);
    expect(report.unverifiable_record_types).not.toContain('usage_record');
  });
});
