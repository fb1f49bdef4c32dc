/**
 * SIGKILL on both engines: a child process loading the 2024-05-03 OFAC SDN
 * list over the active 2024-04-26 one is killed mid-load; a child running a
 * batch job is killed mid-batch. After a restart the previous version is still
 * the active one, nothing of the killed load is listed or screened against,
 * the log audit is clean; the batch has lost no committed chunk and resumes to
 * the same results a single screening gives.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { openServices, type Services } from '../app/services.js';
import { auditLog } from '../ledger/audit.js';
import { createOrganisation } from '../identity/service.js';
import { ManualClock } from '../shared/clock.js';
import { DIALECTS, openTestServices, type TestServices } from '../shared/test-support/databases.js';
import { batchResultLines, JobRunner, LEASE_MS, submitBatch } from './jobs.js';
import type { Party } from './match/types.js';
import { screeningRuntime } from './runtime.js';
import { FILES, loadEntities } from './test-support/lists.js';
import { loadOne, TEST_ACTOR } from './test-support/service.js';
import { ABANDONED_AFTER_MS, activeListVersions, listListVersions, purgeAbandonedLoads } from './versions.js';

const child = fileURLToPath(new URL('./test-support/crash-child.ts', import.meta.url));

async function schemaOf(s: Services): Promise<string | undefined> {
  return s.database.dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(s.database.db)).rows[0]!.s : undefined;
}

/** Run the child until `killAt` says so, then SIGKILL it; returns the lines it printed. */
async function runAndKill(prepared: TestServices, schema: string | undefined, env: Record<string, string>, killAt: (line: string) => boolean): Promise<string[]> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child], {
    env: {
      ...process.env,
      FABGATE_DATA_DIR: prepared.config.dataDir,
      FABGATE_KEK: prepared.config.kek,
      FABGATE_LOG_LEVEL: 'silent',
      ...(prepared.config.databaseUrl ? { FABGATE_DATABASE_URL: prepared.config.databaseUrl } : {}),
      ...(schema ? { PG_SCHEMA: schema } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', () => resolve());
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      lines.push(line);
      // kill at an uneven moment: while the next batch is being written
      if (killAt(line)) setTimeout(() => proc.kill('SIGKILL'), 3);
    });
  });
  expect(proc.signalCode, `the child ended by itself: ${lines.slice(-3).join(' | ')}`).toBe('SIGKILL');
  return lines;
}

describe.each(DIALECTS)('SIGKILL during screening work on %s', (dialect) => {
  it('a killed list load leaves the previous version active and nothing half-written in view', async () => {
    const prepared = await openTestServices(dialect);
    const previous = await loadOne(prepared, FILES.sdn20240426);
    const schema = await schemaOf(prepared);
    await prepared.close();

    const lines = await runAndKill(prepared, schema, { CRASH_MODE: 'load', CRASH_FILE: FILES.sdn20240503 }, (l) => l === 'staged 3000');
    expect(lines).toContain('staged 3000');
    expect(lines).not.toContain('completed');

    // restart, as a server would, on a clock past the abandonment delay
    const clock = new ManualClock(new Date(Date.now() + ABANDONED_AFTER_MS + 60_000));
    const after = await openServices(prepared.config, { clock, logger: pino({ level: 'silent' }), processMetrics: false, ...(schema ? { pgSchema: schema } : {}) });
    try {
      const db = after.database.db;
      if (dialect === 'sqlite') expect((await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db)).rows[0]!.integrity_check).toBe('ok');
      expect((await listListVersions(db)).map((v) => v.id)).toEqual([previous.version.id]);
      expect((await activeListVersions(db)).map((v) => v.id)).toEqual([previous.version.id]);
      const staged = await db.selectFrom('screening_list_versions').select(['id', 'state']).where('state', '=', 'loading').execute();
      expect(staged).toHaveLength(1);
      // the staged rows are there, and invisible: the index holds the previous week only
      const snap = await screeningRuntime(after).snapshot();
      expect(snap.entities.size).toBe(14668);
      expect(snap.versions.map((v) => v.id)).toEqual([previous.version.id]);
      // one activation event only, and the audit is clean
      await after.ledger.integrate();
      const audit = await auditLog(db, after.config.logOrigin);
      expect(audit.findings).toEqual([]);
      expect(await db.selectFrom('ledger_events').select('record_id').where('event_type', '=', 'list_version.activated').execute()).toEqual([{ record_id: previous.version.id }]);
      // the abandoned load is purged, and the list loads completely this time
      expect(await purgeAbandonedLoads(db, clock)).toEqual([staged[0]!.id]);
      expect(await db.selectFrom('screening_version_entities').select('entity_id').where('version_id', '=', staged[0]!.id).limit(1).execute()).toEqual([]);
      const next = await loadOne(after, FILES.sdn20240503);
      expect(next.version).toMatchObject({ entities: 14965, active: true });
    } finally {
      await after.close();
      await prepared.dispose().catch(() => undefined);
    }
  }, 120_000);

  it('a killed batch loses no committed chunk and resumes to complete, correct results', async () => {
    const prepared = await openTestServices(dialect);
    await loadOne(prepared, FILES.un2026);
    const org = await createOrganisation(prepared.database.db, prepared.clock, { name: 'Batch GmbH', kind: 'exporter', country: 'DE' });
    // 1,600 parties: the UN list's own names, every fourth with a typo, and names that match nothing
    const un = await loadEntities(FILES.un2026);
    const parties: Party[] = [];
    for (let i = 0; parties.length < 1600; i++) {
      const e = un[i % un.length]!;
      const name = i % 4 === 1 ? e.name.replace(/[aeiou]/i, '') : i % 4 === 3 ? `Customer ${i} Maschinenbau GmbH` : e.name;
      parties.push({ id: `p${i}`, name, ...(e.countries[0] ? { country: e.countries[0] } : {}) });
    }
    const job = await prepared.database.db.transaction().execute((trx) => submitBatch(trx, prepared.clock, { organisationId: org.id, actor: TEST_ACTOR, name: 'parties.jsonl', parties }));
    const schema = await schemaOf(prepared);
    await prepared.close();

    const lines = await runAndKill(prepared, schema, { CRASH_MODE: 'batch', CRASH_JOB: job.id }, (l) => l === 'done 400');
    const acknowledged = Math.max(...lines.filter((l) => l.startsWith('done ')).map((l) => Number(l.slice(5))));
    expect(acknowledged).toBeGreaterThanOrEqual(400);

    // restart after the dead worker's lease ran out
    const clock = new ManualClock(new Date(Date.now() + LEASE_MS + 60_000));
    const after = await openServices(prepared.config, { clock, logger: pino({ level: 'silent' }), processMetrics: false, ...(schema ? { pgSchema: schema } : {}) });
    try {
      const db = after.database.db;
      const row = await db.selectFrom('screening_jobs').selectAll().where('id', '=', job.id).executeTakeFirstOrThrow();
      expect(row.state).toBe('running');
      expect(Number(row.done)).toBeGreaterThanOrEqual(acknowledged);
      const results = await db.selectFrom('screening_batch_results').select((eb) => eb.fn.countAll<number>().as('n')).where('job_id', '=', job.id).executeTakeFirstOrThrow();
      expect(Number(results.n)).toBe(Number(row.done));

      const runner = new JobRunner(after, screeningRuntime(after), { chunk: 300 });
      await runner.drain();
      const done = await db.selectFrom('screening_jobs').selectAll().where('id', '=', job.id).executeTakeFirstOrThrow();
      expect(done.state).toBe('done');
      const out: Array<{ id: string; matches: Array<{ entity_id: string; score: number }> }> = [];
      for await (const l of batchResultLines(db, org.id, job.id)) out.push(JSON.parse(l) as (typeof out)[number]);
      expect(out.map((r) => r.id)).toEqual(parties.map((p) => p.id));
      const screener = (await screeningRuntime(after).snapshot()).screener!;
      for (const k of [0, 1, 399, 400, 401, 777, 1599]) {
        expect(out[k]!.matches.map((m) => [m.entity_id, m.score])).toEqual(screener.screen(parties[k]!).map((m) => [m.entity_id, m.score]));
      }
      expect(Number(done.matched)).toBe(out.filter((r) => r.matches.length > 0).length);
    } finally {
      await after.close();
      await prepared.dispose().catch(() => undefined);
    }
  }, 120_000);
});
