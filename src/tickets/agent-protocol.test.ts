/**
 * The print-host agent's server client against the real routes (not the
 * agent's loopback stand-in): enrolment with a one-time token, the issuer key
 * set, the revocation list, and usage records answered with acknowledgements,
 * refusals naming the server's head, and a lost reply recovered from a replay.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FabgateClient } from '../agent/server-client.js';
import { keyFingerprint } from '../designs/securecontent/index.js';
import { edKeys, openTicketWorld, PART_3MF, rsaKeys, type TicketWorld } from './test-support/world.js';
import { verifyRevocationList } from './revocations.js';
import { issuerPublicKey } from './ticket.js';
import { verifyUsageAck } from './usage-ack.js';
import { GENESIS_HASH, signUsageRecord, usageRecordHash, type UsageRecord } from './usage-record.js';

describe('the agent protocol against the server', () => {
  let w: TicketWorld;
  beforeAll(async () => {
    w = await openTicketWorld('sqlite');
  });
  afterAll(async () => {
    await w?.close();
  });

  it('enrols, reads keys and the revocation list, and reports usage the way the agent does', async () => {
    const { token } = (await w.operator.request<{ token: string }>('POST', '/api/devices/enrolment-tokens', { device_name: 'agent host' })).body;
    const content = rsaKeys();
    const signing = edKeys();
    const anonymous = new FabgateClient(w.server.url);
    const enrolled = await anonymous.enrol({ token, content_key: content.pem, signing_key: signing.pem, name: 'octopi' });
    expect(enrolled.content_key_sha256).toBe(keyFingerprint(content.publicKey));
    expect(enrolled.signing_key_sha256).toBe(keyFingerprint(signing.publicKey));
    await expect(anonymous.enrol({ token, content_key: rsaKeys().pem, signing_key: edKeys().pem })).rejects.toMatchObject({ code: 'AGENT_ENROLMENT_REFUSED' });

    const agent = new FabgateClient(w.server.url, { token: enrolled.api_token });
    const issuers = (await agent.issuerKeys()).map((k) => ({ kid: k.kid, publicKey: issuerPublicKey(k.jwk) }));
    expect(issuers.length).toBeGreaterThan(0);
    const list = await agent.revocations();
    expect(verifyRevocationList(list!, issuers).serial).toBeGreaterThanOrEqual(1);
    expect(await agent.logKey()).toMatch(/^fabgate\.example\/log\+[0-9a-f]{8}\+/);

    // a ticket for the host, then its usage records
    const lic = await w.grant(3);
    await w.officer.request('POST', `/api/licences/${lic.id}/devices`, { device_id: enrolled.device_id });
    const up = await w.upload(w.officer, PART_3MF(), 'bracket.3mf');
    const t = await w.officer.request<{ ticket: { jti: string; manifest_sha256: string } }>('POST', '/api/tickets', {
      licence_id: lic.id,
      design_id: up.body.id,
      device_ids: [enrolled.device_id],
      prints: 1,
      not_after: new Date(w.services.clock.now().getTime() + 86400_000).toISOString(),
      envelope: {},
    });
    const record = (seq: number, prev: string): UsageRecord => ({
      v: 1,
      device: enrolled.device_id,
      seq,
      prev,
      ticket: t.body.ticket.jti,
      design: t.body.ticket.manifest_sha256,
      counter: seq,
      started_at: w.services.clock.now().toISOString(),
      ended_at: w.services.clock.now().toISOString(),
      outcome: 'completed',
      violations: [],
    });
    const r1 = record(1, GENESIS_HASH);
    const sent = await agent.sendUsageRecord(signUsageRecord(r1, signing.privateKey));
    expect(sent.accepted).toBe(true);
    const ack = verifyUsageAck((sent as { acknowledgement: string }).acknowledgement, issuers, { device: enrolled.device_id, seq: 1, hash: usageRecordHash(r1) });
    expect(ack.seq).toBe(1);

    // the reply was lost and the agent sends record 1 again: refused as a replay, with its acknowledgement and the head
    const again = await agent.sendUsageRecord(signUsageRecord(r1, signing.privateKey));
    expect(again).toMatchObject({ accepted: false, status: 409, code: 'USAGE_RECORD_REPLAYED', head: { seq: 1, hash: usageRecordHash(r1) } });
    expect((again as { acknowledgement?: string }).acknowledgement).toBe((sent as { acknowledgement: string }).acknowledgement);

    // a restored old state would send a record after the genesis again: the head shows the server is ahead
    const stale = await agent.sendUsageRecord(signUsageRecord({ ...record(1, GENESIS_HASH), counter: 2 }, signing.privateKey));
    expect(stale).toMatchObject({ accepted: false, code: 'USAGE_RECORD_REPLAYED', head: { seq: 1 } });
    expect((stale as { acknowledgement?: string }).acknowledgement).toBeUndefined();
    const gap = await agent.sendUsageRecord(signUsageRecord(record(3, usageRecordHash(r1)), signing.privateKey));
    expect(gap).toMatchObject({ accepted: false, status: 409, code: 'USAGE_RECORD_GAP', head: { seq: 1 } });
  });
});
