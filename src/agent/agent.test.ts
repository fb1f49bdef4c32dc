import { generateKeyPairSync } from 'node:crypto';
import { cpSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH, usageRecordHash, verifyUsageRecord } from '../tickets/usage-record.js';
import { Agent, withAgent } from './agent.js';
import { paths, readConfig, writeConfig } from './config.js';
import { enrol } from './enrol.js';
import { flushOutbox } from './flush.js';
import { printJob, type PrintRequest } from './print.js';
import { configurePrinter, updateTrust } from './settings.js';
import { agentStatus } from './status.js';
import { FakeOctoPrint } from './test-support/fake-hosts.js';
import { GCODE, deviceKeys, makeLog, sealGcode, sha256, ticketFor, writeBundle } from './test-support/fixtures.js';
import { setupAgent, type TestAgent } from './test-support/setup.js';

const open: Array<{ close(): Promise<void> } | { stop(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) await ('close' in o ? o.close() : o.stop());
});

async function agentWithOctoPrint(options: Parameters<typeof setupAgent>[0] = {}): Promise<{ t: TestAgent; octo: FakeOctoPrint }> {
  const t = await setupAgent(options);
  const octo = await new FakeOctoPrint().start();
  open.push(t, octo);
  await configurePrinter(t.ctx, 'octoprint', { url: octo.url, api_key: octo.apiKey }, true);
  return { t, octo };
}

const print = (t: TestAgent, files: { design: string; bundle: string }, extra: Partial<PrintRequest> = {}) =>
  printJob(t.ctx, { design: files.design, ticket: files.bundle, printerOverrides: { poll_interval_ms: 2 }, ...extra });

beforeAll(async () => {
  await deviceKeys(); // RSA-3072 generation, once for the file
});

describe('enrolment', () => {
  it('makes keys locally, registers their public halves with a one-time token, keeps the private keys 0600', async () => {
    const t = await setupAgent();
    open.push(t);
    const device = t.server.devices.get(t.enrolment.device_id)!;
    expect(device).toBeDefined();
    expect(t.enrolment.content_key_sha256).toMatch(/^[0-9a-f]{64}$/);
    const p = paths(t.dir);
    for (const f of [p.contentKey, p.signingKey, p.credentials, p.config, p.state]) expect(statSync(f).mode & 0o777, f).toBe(0o600);
    expect(statSync(t.dir).mode & 0o777).toBe(0o700);
    expect(statSync(p.keys).mode & 0o777).toBe(0o700);
    expect(readFileSync(p.contentKey, 'utf8')).toContain('BEGIN PRIVATE KEY');
    // RSA-3072 content key, Ed25519 signing key, as the server registered them
    const agent = await t.open();
    expect(agent.keys.contentKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect(agent.keys.signingKey.asymmetricKeyType).toBe('ed25519');
    expect(agent.config.issuer_keys.map((k) => k.kid)).toEqual([t.issuer.kid]);
    expect(t.server.requests).toContain('POST /api/devices/enrol');
  });

  it('refuses a used token, a second enrolment without --force, and a key file others can read', async () => {
    const t = await setupAgent();
    open.push(t);
    const keys = (await deviceKeys())[1]!;
    const used = t.server.newToken();
    await enrol({ dir: join(t.work, 'other'), server: t.server.url, token: used, keys });
    await expect(enrol({ dir: join(t.work, 'third'), server: t.server.url, token: used, keys })).rejects.toMatchObject({ code: 'AGENT_ENROLMENT_REFUSED' });
    await expect(enrol({ dir: t.dir, server: t.server.url, token: t.server.newToken(), keys })).rejects.toMatchObject({ code: 'AGENT_ALREADY_ENROLLED' });
    const again = await enrol({ dir: t.dir, server: t.server.url, token: t.server.newToken(), keys, force: true });
    expect(again.retired).toBeDefined();
    expect(readdirSync(again.retired!)).toEqual(expect.arrayContaining(['state.json', 'journal', 'keys']));
    const { chmodSync } = await import('node:fs');
    chmodSync(paths(t.dir).signingKey, 0o644);
    await expect(t.open()).rejects.toMatchObject({ code: 'AGENT_KEY_PERMISSIONS' });
  });
});

describe('receiving and printing a job', () => {
  it('verifies the ticket offline, prints through OctoPrint, and reports a signed, chained usage record', async () => {
    const { t, octo } = await agentWithOctoPrint();
    const job = await t.job(GCODE.screw, { prints: 2 });
    const report = await print(t, job);
    expect(report).toMatchObject({ outcome: 'completed', counter: 1, prints: 2, design: job.designHash, log: 'absent', printer: 'octoprint' });
    expect(report.gcode_sha256).toBe(sha256(readFileSync(GCODE.screw)));
    expect(octo.jobCommands).toEqual(['start']);
    // the server got the record, verified it, and the agent holds its signed acknowledgement
    const records = t.server.devices.get(t.device.id)!.records;
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ seq: 1, prev: GENESIS_HASH, counter: 1, outcome: 'completed', design: job.designHash, device: t.device.id });
    expect(report.flush_after).toMatchObject({ reachable: true, acknowledged: 1, pending: 0 });
    const status = await agentStatus(t.ctx);
    expect(status.state).toMatchObject({ chain_seq: 1, acked_seq: 1, pending_records: 0 });
    expect(status.state.counters).toEqual([expect.objectContaining({ used: 1, prints: 2 })]);
    expect(readdirSync(paths(t.dir).spool)).toEqual([]); // the spooled ciphertext is gone
  });

  it('counts the print durably before it starts: while the printer prints, the state on disk already holds it', async () => {
    const { t, octo } = await agentWithOctoPrint();
    const job = await t.job(GCODE.screw, { prints: 2 });
    let seen: { used?: number; open?: unknown } = {};
    let during: ReturnType<typeof agentStatus> | undefined;
    octo.onPrinting = () => {
      const s = (JSON.parse(readFileSync(paths(t.dir).state, 'utf8')) as { state: { counters: Record<string, { used: number }>; open_job: unknown } }).state;
      seen = { used: Object.values(s.counters)[0]?.used, open: s.open_job };
      during ??= agentStatus(t.ctx); // an operator asking while the job runs
    };
    await print(t, job);
    expect(seen.used).toBe(1);
    expect(seen.open).toMatchObject({ kind: 'print', counter: 1, seq: 1, printer: 'octoprint' });
    expect(await during).toMatchObject({ busy: true, state: { open_job: { counter: 1 }, counters: [{ used: 1 }] } });
    const second = await print(t, job);
    expect(second.counter).toBe(2);
    await expect(print(t, job)).rejects.toMatchObject({ code: 'TICKET_EXHAUSTED' });
    expect(octo.uploads).toHaveLength(2);
    // the refusal is reported too: record 3 is "refused", and no print was counted for it
    const records = t.server.devices.get(t.device.id)!.records;
    expect(records.map((r) => [r.seq, r.outcome, r.counter])).toEqual([
      [1, 'completed', 1],
      [2, 'completed', 2],
      [3, 'refused', 3],
    ]);
    expect((await agentStatus(t.ctx)).state.counters[0]).toMatchObject({ used: 2, prints: 2 });
  });

  it('a crash in the middle of a print costs the print: the job is closed as failed on the next start', async () => {
    const { t } = await agentWithOctoPrint();
    const job = await t.job(GCODE.screw, { prints: 3 });
    // the agent reserved print 1 and then died (nothing closed the job)
    const agent = await Agent.open(t.ctx);
    await agent.reserve({ kind: 'print', ticket: JSON.parse(Buffer.from(job.jws.split('.')[1]!, 'base64url').toString()).jti, design: job.designHash, counter: 1, printer: 'octoprint', remote_file: 'x.gcode' }, { prints: 3, exp: 2_000_000_000 });
    const notes = await withAgent(t.ctx, async (_a, n) => n);
    expect(notes.join(' ')).toMatch(/interrupted.*failed/);
    const next = await print(t, job);
    expect(next.counter).toBe(2);
    expect(t.server.devices.get(t.device.id)!.records.map((r) => r.outcome)).toEqual(['failed', 'completed']);
  });
});

describe('refusing invalid tickets, each with its own code', () => {
  it('forged, unknown issuer, expired, not yet valid, wrong device, revoked, wrong design, bad receipt, exhausted', async () => {
    const log = makeLog();
    const { t, octo } = await agentWithOctoPrint();
    await updateTrust(t.ctx, { logKey: log.verifierKey });
    const gcode = readFileSync(GCODE.screw);
    const design = await sealGcode(t.work, gcode, t.device);
    const other = await sealGcode(t.work, readFileSync(GCODE.part), t.device);
    const now = Math.floor(Date.now() / 1000);
    const good = ticketFor(t.device, design.hash, t.issuer);
    const [h, p, s] = good.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, prints: 1000 })).toString('base64url')}.${s}`;
    const otherKeys = (await deviceKeys())[1]!;
    const revokedJws = ticketFor(t.device, design.hash, t.issuer);
    const revokedJti = (JSON.parse(Buffer.from(revokedJws.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
    t.server.revoke(1, [revokedJti]);
    const badReceiptJws = ticketFor(t.device, design.hash, t.issuer);
    const badJti = (JSON.parse(Buffer.from(badReceiptJws.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
    // a valid receipt — of another ticket that carries the same id
    const lookalike = ticketFor(t.device, design.hash, t.issuer, { jti: badJti });

    const cases: Array<[string, string, { receipt: string; salt: string }?, string?]> = [
      ['TICKET_SIGNATURE_INVALID', forged],
      ['TICKET_SIGNATURE_INVALID', ticketFor(t.device, design.hash, { kid: t.issuer.kid, privateKey: generateKeyPairSync('ed25519').privateKey })],
      ['TICKET_ISSUER_UNKNOWN', ticketFor(t.device, design.hash, { kid: 'someone-else', privateKey: t.issuer.privateKey })],
      ['TICKET_MALFORMED', 'eyJhbGciOiJub25lIn0.e30.'],
      ['TICKET_EXPIRED', ticketFor(t.device, design.hash, t.issuer, { nbf: now - 7200, exp: now - 3600 })],
      ['TICKET_NOT_YET_VALID', ticketFor(t.device, design.hash, t.issuer, { nbf: now + 3600, exp: now + 7200 })],
      ['TICKET_WRONG_DEVICE', ticketFor({ id: 'dev_other', keys: otherKeys }, design.hash, t.issuer)],
      ['TICKET_REVOKED', revokedJws],
      ['TICKET_DESIGN_MISMATCH', ticketFor(t.device, other.hash, t.issuer)],
      ['TICKET_RECEIPT_INVALID', badReceiptJws, log.receiptFor(lookalike, badJti)],
    ];
    for (const [code, jws, receipt] of cases) {
      await expect(print(t, { design: design.file, bundle: writeBundle(t.work, jws, receipt) }), code).rejects.toMatchObject({ code });
    }
    // exhausted: a one-print ticket, printed once
    const once = ticketFor(t.device, design.hash, t.issuer, { prints: 1 });
    const onceReceipt = log.receiptFor(once, (JSON.parse(Buffer.from(once.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti);
    const printed = await print(t, { design: design.file, bundle: writeBundle(t.work, once, onceReceipt) });
    expect(printed.log).toBe('verified');
    await expect(print(t, { design: design.file, bundle: writeBundle(t.work, once, onceReceipt) })).rejects.toMatchObject({ code: 'TICKET_EXHAUSTED' });

    expect(octo.uploads).toHaveLength(1); // only the one valid print reached the printer
    // authentic refusals are reported; forged and unreadable tickets leave no record
    const records = t.server.devices.get(t.device.id)!.records;
    expect(records.filter((r) => r.outcome === 'refused').map((r) => r.violations[0]?.value)).toEqual([
      'TICKET_EXPIRED',
      'TICKET_NOT_YET_VALID',
      'TICKET_WRONG_DEVICE',
      'TICKET_REVOKED',
      'TICKET_DESIGN_MISMATCH',
      'TICKET_RECEIPT_INVALID',
      'TICKET_EXHAUSTED',
    ]);
    expect(records.filter((r) => r.outcome === 'completed')).toHaveLength(1);
  });

  it('accepts the clock tolerance, and refuses a clock set back before a time it has seen', async () => {
    let clock = Date.now();
    const { t } = await agentWithOctoPrint({ now: () => new Date(clock) });
    const now = Math.floor(clock / 1000);
    const job = await t.job(GCODE.screw, { nbf: now - 7200, exp: now - 200 });
    expect((await print(t, job)).outcome).toBe('completed'); // expired 200 s ago, within the 300 s tolerance
    clock -= 3 * 86_400_000;
    const later = await t.job(GCODE.screw, { nbf: now - 4 * 86_400, exp: now + 86_400 });
    await expect(print(t, later)).rejects.toMatchObject({ code: 'AGENT_CLOCK_REGRESSED' });
  });

  it('refuses a design not wrapped to this device, a file that is no design, and an oversized or malformed bundle', async () => {
    const { t } = await agentWithOctoPrint();
    const stranger = { id: 'dev_x', keys: (await deviceKeys())[2]! };
    const sealed = await sealGcode(t.work, readFileSync(GCODE.screw), stranger);
    const bundle = writeBundle(t.work, ticketFor(t.device, sealed.hash, t.issuer));
    await expect(print(t, { design: sealed.file, bundle })).rejects.toMatchObject({ code: 'DESIGN_CONSUMER_NOT_FOUND' });
    await expect(print(t, { design: GCODE.screw, bundle })).rejects.toMatchObject({ code: 'AGENT_DESIGN_UNSUPPORTED' });
    const huge = join(t.work, 'huge.ticket.json');
    writeFileSync(huge, Buffer.alloc(5 * 1024 * 1024, 0x20));
    await expect(print(t, { design: sealed.file, bundle: huge })).rejects.toMatchObject({ code: 'TICKET_TOO_LARGE' });
    writeFileSync(huge, '{"format": "fabgate.ticket-bundle.v1", "ticket": 42}');
    await expect(print(t, { design: sealed.file, bundle: huge })).rejects.toMatchObject({ code: 'TICKET_MALFORMED' });
    expect(t.server.devices.get(t.device.id)!.records).toHaveLength(0);
  });
});

describe('anti-rollback', () => {
  it('an old copy of the state directory is caught at the next contact, and the agent then refuses to print', async () => {
    const { t, octo } = await agentWithOctoPrint();
    const job = await t.job(GCODE.screw, { prints: 3 });
    await print(t, job);
    const snapshot = join(t.work, 'snapshot');
    cpSync(t.dir, snapshot, { recursive: true });
    await print(t, job); // print 2, reported and acknowledged
    rmSync(t.dir, { recursive: true });
    cpSync(snapshot, t.dir, { recursive: true });
    // Offline, the restored copy cannot be told apart (no hardware counter): print 2 again…
    const replay = await print(t, job);
    expect(replay.counter).toBe(2);
    // …but reporting it shows the server already holds a different record 2.
    expect(replay.flush_after?.error).toMatchObject({ code: 'AGENT_ROLLBACK_DETECTED' });
    const status = await agentStatus(t.ctx);
    expect(status.state.rollback?.server).toMatchObject({ code: 'USAGE_RECORD_REPLAYED', head: { seq: 2 } });
    await expect(print(t, job)).rejects.toMatchObject({ code: 'AGENT_ROLLBACK_DETECTED' });
    expect(octo.uploads).toHaveLength(3);
    expect(t.server.devices.get(t.device.id)!.records).toHaveLength(2); // the replayed record 2 was not taken
  });

  it('an old copy of state.json alone is caught at once by the journal', async () => {
    const { t } = await agentWithOctoPrint();
    const job = await t.job(GCODE.screw, { prints: 3 });
    await print(t, job);
    const old = readFileSync(paths(t.dir).state);
    await print(t, job);
    writeFileSync(paths(t.dir).state, old);
    await expect(print(t, job)).rejects.toMatchObject({ code: 'AGENT_ROLLBACK_DETECTED', details: { reason: 'journal' } });
  });

  it('records ahead of the state in the outbox betray an old state file', async () => {
    const { t } = await agentWithOctoPrint();
    const job = await t.job(GCODE.screw, { prints: 3 });
    const state0 = readFileSync(paths(t.dir).state);
    const journal0 = readFileSync(paths(t.dir).journal);
    await print(t, job, { offline: true }); // record 1 stays in the outbox
    writeFileSync(paths(t.dir).state, state0);
    writeFileSync(paths(t.dir).journal, journal0);
    await expect(print(t, job, { offline: true })).rejects.toMatchObject({ code: 'AGENT_ROLLBACK_DETECTED', details: { reason: 'outbox_ahead' } });
  });
});

describe('store and forward', () => {
  it('keeps usage records while the server is down and sends them, in order, when it is back', async () => {
    const { t } = await agentWithOctoPrint();
    const job = await t.job(GCODE.screw, { prints: 5 });
    await t.server.stop();
    const first = await print(t, job);
    expect(first.flush_before).toMatchObject({ reachable: false });
    await print(t, job);
    expect((await agentStatus(t.ctx)).state).toMatchObject({ chain_seq: 2, acked_seq: 0, pending_records: 2 });
    expect(readdirSync(paths(t.dir).outbox)).toHaveLength(2);
    await t.server.start();
    const report = await withAgent(t.ctx, (agent) => flushOutbox(agent));
    expect(report).toMatchObject({ reachable: true, acknowledged: 2, pending: 0, acked_seq: 2 });
    const records = t.server.devices.get(t.device.id)!.records;
    expect(records.map((r) => [r.seq, r.counter, r.outcome])).toEqual([
      [1, 1, 'completed'],
      [2, 2, 'completed'],
    ]);
    expect(records[1]!.prev).toBe(usageRecordHash(records[0]!));
    expect(readdirSync(paths(t.dir).outbox)).toHaveLength(0);
  });

  it('takes a newer revocation list, and refuses an older one than it holds (no un-revoking by replay)', async () => {
    const { t } = await agentWithOctoPrint();
    const job = await t.job(GCODE.screw, { prints: 5 });
    const jti = (JSON.parse(Buffer.from(job.jws.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
    t.server.revoke(2, [jti]);
    expect(await withAgent(t.ctx, (agent) => flushOutbox(agent))).toMatchObject({ revocations: { serial: 2, updated: true } });
    const older = t.server.revocationJws;
    t.server.revoke(1, []); // an old list, served again by the server or by someone in between
    expect(await withAgent(t.ctx, (agent) => flushOutbox(agent))).toMatchObject({ revocations: { error: { code: 'TICKET_REVOCATIONS_INVALID' } } });
    expect((await agentStatus(t.ctx)).state.revocations).toMatchObject({ serial: 2 });
    await expect(print(t, job)).rejects.toMatchObject({ code: 'TICKET_REVOKED' });
    t.server.revocationJws = older;
    t.server.revoke(3, []); // lifted in a newer list
    expect((await print(t, job)).outcome).toBe('completed');
  });

  it('an enrolment that cannot reach the server writes nothing', async () => {
    const t = await setupAgent();
    open.push(t);
    await t.server.stop();
    const dir = join(t.work, 'offline');
    await expect(enrol({ dir, server: t.server.url, token: 'enrol_x', keys: (await deviceKeys())[1]! })).rejects.toMatchObject({ code: 'AGENT_SERVER_UNREACHABLE' });
    expect(readdirSync(dir)).toEqual([]);
    await t.server.start();
  });

  it('stops printing when too many records wait for the server', async () => {
    const { t } = await agentWithOctoPrint();
    await writeConfig(t.dir, { ...(await readConfig(t.dir)), max_unacknowledged: 2 });
    const job = await t.job(GCODE.screw, { prints: 5 });
    await print(t, job, { offline: true });
    await print(t, job, { offline: true });
    await expect(print(t, job, { offline: true })).rejects.toMatchObject({ code: 'AGENT_OFFLINE_LIMIT' });
    expect((await print(t, job)).flush_before).toMatchObject({ acknowledged: 2 }); // online again: reported, then printed
  });

  it.each([
    ['with the acknowledgement the server sends again for a replay', true],
    ['from the head the server names, when it sends no acknowledgement', false],
  ])('a lost acknowledgement is recovered %s, not mistaken for a rollback', async (_how, replayAcks) => {
    const { t } = await agentWithOctoPrint();
    const job = await t.job(GCODE.screw, { prints: 5 });
    t.server.replayAcks = replayAcks;
    t.server.dropAcks = 1;
    const first = await print(t, job);
    expect(first.flush_after).toMatchObject({ reachable: false, pending: 1 });
    expect(t.server.devices.get(t.device.id)!.records).toHaveLength(1); // the server has it; the agent does not know
    const report = await withAgent(t.ctx, (agent) => flushOutbox(agent));
    expect(report).toMatchObject({ acked_seq: 1, pending: 0, acknowledged: replayAcks ? 1 : 0 });
    const status = await agentStatus(t.ctx);
    expect(status.state.rollback).toBeNull();
    expect(status.state.acked_at === null).toBe(!replayAcks); // only a signed acknowledgement carries the server's time
    expect((await print(t, job)).flush_after).toMatchObject({ acknowledged: 1, acked_seq: 2 });
  });

  it('refuses an acknowledgement not signed by a trusted issuer key', async () => {
    const { t } = await agentWithOctoPrint();
    const job = await t.job(GCODE.screw, { prints: 5 });
    t.server.ackSigner = { kid: t.issuer.kid, privateKey: generateKeyPairSync('ed25519').privateKey };
    const report = await print(t, job);
    expect(report.flush_after?.error).toMatchObject({ code: 'USAGE_ACK_INVALID' });
    expect((await agentStatus(t.ctx)).state.acked_seq).toBe(0);
    // each record the server holds verifies against the device's registered key
    const device = t.server.devices.get(t.device.id)!;
    expect(() => verifyUsageRecord(JSON.parse(readFileSync(join(paths(t.dir).outbox, '0000000001.json'), 'utf8')), device.signingKey, null)).not.toThrow();
  });
});
