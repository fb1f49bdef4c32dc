import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../ledger/audit.js';
import { DIALECTS, openTestServices, type TestServices } from '../shared/test-support/databases.js';
import { startTestServer } from '../shared/test-support/http.js';
import type { RunningServer } from './server.js';
import { enrolDemoPrintHost, seedDemoWorld } from './demo.js';

describe.each(DIALECTS)('the demo world on a fresh %s database', (dialect) => {
  let s: TestServices;
  let server: RunningServer;
  beforeAll(async () => {
    s = await openTestServices(dialect);
    s.clock.set(new Date());
    server = await startTestServer(s);
  });
  afterAll(async () => {
    await server?.close();
    await s?.dispose();
  });

  it('seeds users once, domain data, a non-empty log that audits clean, and an enrolled print host', async () => {
    const creds = await seedDemoWorld(s);
    expect(creds?.map((c) => c.email)).toContain('officer@aurora.example');
    expect(await seedDemoWorld(s)).toBeNull();
    const cp = await s.ledger.latestCheckpoint();
    expect(cp && cp.size > 0n).toBe(true);
    const report = await auditLog(s.database.db, s.ledger.origin);
    expect(report.findings).toEqual([]);
    expect(report.unverifiable_record_types).toEqual([]);

    const dir = await enrolDemoPrintHost(s, server.url);
    expect(dir).toBeTruthy();
    const devices = await s.database.db.selectFrom('devices').selectAll().execute();
    expect(devices.map((d) => d.name)).toContain('Northwind demo print host');
    expect(await enrolDemoPrintHost(s, server.url)).toBeUndefined();
  });
});
