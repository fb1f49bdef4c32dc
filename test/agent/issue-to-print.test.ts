/**
 * From licence to print, across the whole system: a licence granted, the
 * print host enrolled by its operator with `fabgate-agent`'s enrolment, named
 * under the licence, a G-code design uploaded and released to it, a ticket
 * issued and logged — then the agent prints the package it downloads with its
 * own token through a (fake) OctoPrint, and the server receives the usage
 * record for that very ticket. Revoking the ticket stops the next print.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paths } from '../../src/agent/config.js';
import { enrol } from '../../src/agent/enrol.js';
import { printJob } from '../../src/agent/print.js';
import { configurePrinter } from '../../src/agent/settings.js';
import { FakeOctoPrint } from '../../src/agent/test-support/fake-hosts.js';
import { ENVELOPE, GCODE, deviceKeys, tempDir } from '../../src/agent/test-support/fixtures.js';
import { DIALECTS } from '../../src/shared/test-support/databases.js';
import { openTicketWorld, type TicketWorld } from '../../src/tickets/test-support/world.js';

describe.each(DIALECTS)('licence → ticket → fabgate-agent print → usage record (%s)', (dialect) => {
  let w: TicketWorld;
  let octo: FakeOctoPrint;
  let work: string;
  let dir: string;

  beforeAll(async () => {
    w = await openTicketWorld(dialect, { realTime: true });
    octo = await new FakeOctoPrint().start();
    work = tempDir();
    dir = join(work, 'agent');
  }, 120_000);

  afterAll(async () => {
    await octo?.stop();
    await w?.close();
  });

  it('prints what the server issued, and the server holds the record for that ticket', { timeout: 120_000 }, async () => {
    const licence = await w.grant(5);
    const token = await w.operator.request<{ token: string }>('POST', '/api/devices/enrolment-tokens', { device_name: 'Bureau MK4 #1' });
    expect(token.status).toBe(201);
    const enrolled = await enrol({ dir, server: w.server.url, token: token.body.token, keys: (await deviceKeys())[0]! });
    await configurePrinter({ dir }, 'octoprint', { url: octo.url, api_key: octo.apiKey }, true);

    const named = await w.officer.request('POST', `/api/licences/${licence.id}/devices`, { device_id: enrolled.device_id });
    expect(named.status).toBe(201);
    const gcode = readFileSync(GCODE.screw);
    const design = await w.upload(w.officer, gcode, 'screw.gcode');
    expect(design.status).toBe(201);
    const release = await w.officer.request<{ release: { manifest_sha256: string } }>('POST', `/api/designs/${design.body.id}/releases`, { licence_id: licence.id, device_ids: [enrolled.device_id] });
    expect(release.status).toBe(200);
    const issued = await w.officer.request<{ ticket: { jti: string }; bundle: { ticket: string; log?: unknown } }>('POST', '/api/tickets', {
      licence_id: licence.id,
      design_id: design.body.id,
      device_ids: [enrolled.device_id],
      prints: 2,
      not_after: new Date(Date.now() + 86_400_000).toISOString(),
      envelope: ENVELOPE,
    });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);

    // What the print host receives: the package, downloaded with its own token, and the bundle.
    const apiToken = (JSON.parse(readFileSync(paths(dir).credentials, 'utf8')) as { api_token: string }).api_token;
    const pkg = await fetch(`${w.server.url}/api/designs/${design.body.id}/package`, { headers: { authorization: `Bearer ${apiToken}` } });
    expect(pkg.status).toBe(200);
    const packageFile = join(work, 'screw.gcode.fgenv');
    writeFileSync(packageFile, Buffer.from(await pkg.arrayBuffer()));
    const bundleFile = join(work, 'ticket.json');
    writeFileSync(bundleFile, JSON.stringify(issued.body.bundle));

    const report = await printJob({ dir }, { design: packageFile, ticket: bundleFile, printerOverrides: { poll_interval_ms: 2 } });
    expect(report).toMatchObject({ outcome: 'completed', counter: 1, prints: 2, design: release.body.release.manifest_sha256, ticket: issued.body.ticket.jti });
    // the ticket was logged, and the agent checked its receipt against the log key it took at enrolment
    expect(issued.body.bundle.log).toBeDefined();
    expect(report.log).toBe('verified');
    expect(octo.uploads[0]!.bytes.equals(gcode)).toBe(true);
    expect(report.flush_after).toMatchObject({ acknowledged: 1, pending: 0 });

    const seen = await w.officer.request<{ usage: Array<{ seq: number; outcome: string; counter: number }>; flags: unknown[] }>('GET', `/api/tickets/${issued.body.ticket.jti}`);
    expect(seen.status).toBe(200);
    expect(seen.body.usage.map((u) => [u.seq, u.outcome, u.counter])).toEqual([[1, 'completed', 1]]);
    expect(seen.body.flags).toEqual([]);

    // Revoked at the server: the agent fetches the new list before the next job and refuses it.
    const revoked = await w.officer.request('POST', `/api/tickets/${issued.body.ticket.jti}/revoke`, { reason: 'licence condition breached' });
    expect(revoked.status).toBe(200);
    await expect(printJob({ dir }, { design: packageFile, ticket: bundleFile, printerOverrides: { poll_interval_ms: 2 } })).rejects.toMatchObject({ code: 'TICKET_REVOKED' });
    expect(octo.uploads).toHaveLength(1);
    const after = await w.officer.request<{ usage: Array<{ outcome: string }> }>('GET', `/api/tickets/${issued.body.ticket.jti}`);
    expect(after.body.usage.map((u) => u.outcome)).toEqual(['completed', 'refused']);
  });
});
