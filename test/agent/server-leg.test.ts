/**
 * The agent against the real Fabgate server (src/devices and src/tickets
 * routes, over HTTP, on both database engines): enrolment with a one-time
 * token an operator created, the issuer keys, log key and revocation list it
 * serves, usage records it verifies and acknowledges with a signed JWS, a
 * replayed record after a lost reply, and a restored state directory caught
 * through the head the server names.
 */
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAgent } from '../../src/agent/agent.js';
import { paths } from '../../src/agent/config.js';
import { enrol, type EnrolReport } from '../../src/agent/enrol.js';
import { flushOutbox } from '../../src/agent/flush.js';
import { printJob } from '../../src/agent/print.js';
import { configurePrinter } from '../../src/agent/settings.js';
import { agentStatus } from '../../src/agent/status.js';
import { FakeOctoPrint } from '../../src/agent/test-support/fake-hosts.js';
import { GCODE, deviceKeys, sealGcode, tempDir, ticketFor, writeBundle } from '../../src/agent/test-support/fixtures.js';
import type { RunningServer } from '../../src/app/server.js';
import { DIALECTS, openTestServices, type TestServices } from '../../src/shared/test-support/databases.js';
import { ensureUser, signIn, startTestServer, TEST_PASSWORD } from '../../src/shared/test-support/http.js';
import { requireIssuer, type IssuerSigner } from '../../src/tickets/issuer-key.js';
import { verifyRevocationList } from '../../src/tickets/revocations.js';

describe.each(DIALECTS)('fabgate-agent and the real Fabgate server (%s)', (dialect) => {
  let services: TestServices;
  let server: RunningServer;
  let octo: FakeOctoPrint;
  let work: string;
  let dir: string;
  let enrolment: EnrolReport;
  let issuer: IssuerSigner;
  const ctx = () => ({ dir, serverTimeoutMs: 10_000 });

  beforeAll(async () => {
    services = await openTestServices(dialect);
    services.clock.set(new Date()); // tickets and acknowledgements on the agent's own clock
    server = await startTestServer(services);
    octo = await new FakeOctoPrint().start();
    work = tempDir();
    dir = join(work, 'agent');
  }, 120_000);

  afterAll(async () => {
    await octo?.stop();
    await server?.close();
    await services?.dispose();
  });

  it('enrols with a one-time token from the operator, and takes the server’s issuer key and log key', async () => {
    const operator = await ensureUser(services, { name: 'Northwind Print Services', kind: 'device_operator' }, 'compliance_officer');
    const web = await signIn(server.url, operator.email, TEST_PASSWORD);
    const created = await web.request<{ token: string }>('POST', '/api/devices/enrolment-tokens', { device_name: 'bench printer' });
    expect(created.status).toBe(201);
    const keys = (await deviceKeys())[0]!;
    enrolment = await enrol({ dir, server: server.url, token: created.body.token, keys });
    expect(enrolment.device_id).toMatch(/\S/);
    // the token was one-time
    await expect(enrol({ dir: join(work, 'again'), server: server.url, token: created.body.token, keys })).rejects.toMatchObject({ code: 'AGENT_ENROLMENT_REFUSED' });
    issuer = await requireIssuer(services.database.db, services.keys);
    expect(enrolment.issuer_keys).toContain(issuer.kid);
    expect(enrolment.log_key).toMatch(/\+[0-9a-f]{8}\+/);
    await configurePrinter(ctx(), 'octoprint', { url: octo.url, api_key: octo.apiKey }, true);
  });

  it('prints, reports the usage record, and keeps the server’s signed acknowledgement and revocation list', async () => {
    const device = { id: enrolment.device_id, keys: (await deviceKeys())[0]! };
    const design = await sealGcode(work, readFileSync(GCODE.screw), device);
    const bundle = writeBundle(work, ticketFor(device, design.hash, issuer, { prints: 3 }));
    const report = await printJob(ctx(), { design: design.file, ticket: bundle, printerOverrides: { poll_interval_ms: 2 } });
    expect(report.outcome).toBe('completed');
    expect(report.flush_after).toMatchObject({ reachable: true, acknowledged: 1, pending: 0, acked_seq: 1 });
    expect(report.flush_before?.revocations).toMatchObject({ updated: true });
    const status = await agentStatus(ctx());
    expect(status.state.acked_at).not.toBeNull();
    const held = JSON.parse(readFileSync(paths(dir).state, 'utf8')).state.revocations as { jws: string };
    expect(verifyRevocationList(held.jws, [{ kid: issuer.kid, publicKey: issuer.publicKey }]).serial).toBeGreaterThanOrEqual(1);
    const rows = await services.database.db.selectFrom('usage_records').select(['seq', 'outcome', 'counter', 'hash']).where('device_id', '=', enrolment.device_id).orderBy('seq').execute();
    expect(rows.map((r) => [Number(r.seq), r.outcome, r.counter])).toEqual([[1, 'completed', 1]]);
    expect(rows[0]!.hash).toBe(report.record.hash);
  });

  it('a reply lost after the server accepted: the replay gets the acknowledgement again, no rollback', async () => {
    const device = { id: enrolment.device_id, keys: (await deviceKeys())[0]! };
    const design = await sealGcode(work, readFileSync(GCODE.screw), device);
    const bundle = writeBundle(work, ticketFor(device, design.hash, issuer, { prints: 3 }));
    await printJob(ctx(), { design: design.file, ticket: bundle, offline: true, printerOverrides: { poll_interval_ms: 2 } });
    const unreported = join(work, 'unreported');
    cpSync(dir, unreported, { recursive: true });
    expect((await withAgent(ctx(), (a) => flushOutbox(a))).acked_seq).toBe(2);
    // as if the acknowledgement had never arrived: the agent still holds record 2 as waiting
    rmSync(dir, { recursive: true });
    cpSync(unreported, dir, { recursive: true });
    const again = await withAgent(ctx(), (a) => flushOutbox(a));
    expect(again).toMatchObject({ acknowledged: 1, acked_seq: 2, pending: 0 });
    expect((await agentStatus(ctx())).state.rollback).toBeNull();
  });

  it('a state directory restored from a copy is caught through the head the server names', async () => {
    const device = { id: enrolment.device_id, keys: (await deviceKeys())[0]! };
    const design = await sealGcode(work, readFileSync(GCODE.screw), device);
    const bundle = writeBundle(work, ticketFor(device, design.hash, issuer, { prints: 5 }));
    const snapshot = join(work, 'snapshot');
    cpSync(dir, snapshot, { recursive: true });
    await printJob(ctx(), { design: design.file, ticket: bundle, printerOverrides: { poll_interval_ms: 2 } }); // record 3, acknowledged
    rmSync(dir, { recursive: true });
    cpSync(snapshot, dir, { recursive: true });
    const replay = await printJob(ctx(), { design: design.file, ticket: bundle, printerOverrides: { poll_interval_ms: 2 } });
    expect(replay.flush_after?.error).toMatchObject({ code: 'AGENT_ROLLBACK_DETECTED' });
    const status = await agentStatus(ctx());
    expect(status.state.rollback?.server).toMatchObject({ code: 'USAGE_RECORD_REPLAYED', head: { seq: 3 } });
    await expect(printJob(ctx(), { design: design.file, ticket: bundle })).rejects.toMatchObject({ code: 'AGENT_ROLLBACK_DETECTED' });
    const rows = await services.database.db.selectFrom('usage_records').select('seq').where('device_id', '=', enrolment.device_id).execute();
    expect(rows).toHaveLength(3);
  });
});
