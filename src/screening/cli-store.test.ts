/**
 * `fabgate lists load|versions|diff|activate` and `fabgate screen --lists db`
 * against the configured database (SQLite in a data directory, as `fabgate`
 * opens it), with the two consecutive OFAC SDN weeks.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServices } from '../app/services.js';
import { createOrganisation } from '../identity/service.js';
import { loadConfig } from '../shared/config.js';
import { runCli } from '../shared/test-support/cli.js';
import { registerScreeningCommands } from './cli.js';
import { createParty, listAlerts } from './review.js';
import { screeningRuntime } from './runtime.js';
import { FILES } from './test-support/lists.js';
import type { ListVersionView } from './versions.js';

describe('fabgate lists with the database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fabgate-lists-db-'));
  const env = { FABGATE_DATA_DIR: dir, FABGATE_KEK: randomBytes(32).toString('base64'), FABGATE_LOG_LEVEL: 'silent' };
  const run = (...argv: string[]) => runCli([registerScreeningCommands], argv, { env, cwd: dir });
  const versions: Record<string, ListVersionView> = {};
  let org = '';

  beforeAll(async () => {
    const s = await openServices(loadConfig(env, dir), { logger: pino({ level: 'silent' }), processMetrics: false });
    try {
      org = (await createOrganisation(s.database.db, s.clock, { name: 'Aurora Additive GmbH', kind: 'exporter', country: 'DE' })).id;
    } finally {
      await s.close();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads a list file as the active version, and says so again for the same file', async () => {
    const r = await run('lists', 'load', FILES.sdn20240426, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<{ loads: Array<{ version: ListVersionView; created: boolean; activated: boolean }>; rescreen: { state: string; done: number } | null }>();
    expect(out.loads).toHaveLength(1);
    expect(out.loads[0]).toMatchObject({ created: true, activated: true, version: { list: 'us-ofac-sdn', entities: 14668, active: true } });
    expect(out.rescreen).toMatchObject({ state: 'done', done: 0 });
    versions.week1 = out.loads[0]!.version;
    const again = await run('lists', 'load', FILES.sdn20240426);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`already loaded: ${versions.week1!.id}`);
  });

  it('re-screens stored parties after loading the next week, and lists and diffs the versions', async () => {
    // a stored customer, re-screened after the load
    const s = await openServices(loadConfig(env, dir), { logger: pino({ level: 'silent' }), processMetrics: false });
    try {
      const snap = await screeningRuntime(s).snapshot();
      await s.database.db.transaction().execute((trx) => createParty(trx, s.clock, snap, { organisationId: org, actor: { type: 'system', id: 'test', organisationId: org }, party: { name: 'Nordlicht Maschinenbau GmbH', country: 'DE' } }));
    } finally {
      await s.close();
    }
    const r = await run('lists', 'load', FILES.sdn20240503, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<{ loads: Array<{ version: ListVersionView }>; rescreen: { state: string; done: number; matched: number } }>();
    versions.week2 = out.loads[0]!.version;
    expect(out.rescreen).toMatchObject({ state: 'done', done: 1, matched: 0 });

    const list = await run('lists', 'versions', '--json');
    expect(list.json<{ versions: ListVersionView[] }>().versions.map((v) => [v.id, v.active])).toEqual([
      [versions.week2.id, true],
      [versions.week1!.id, false],
    ]);
    const human = await run('lists', 'versions');
    expect(human.stdout).toMatch(new RegExp(`${versions.week2.id}\\s+active\\s+us-ofac-sdn\\s+14965 entities`));

    const d = await run('lists', 'diff', versions.week1!.id, versions.week2.id, '--limit', '3');
    expect(d.code).toBe(0);
    expect(d.stdout).toContain('305 added, 8 removed, 0 changed, 14660 unchanged');
    expect(d.stdout.split('\n').filter((l) => l.startsWith('  + '))).toHaveLength(3);
    const dj = await run('lists', 'diff', versions.week1!.id, versions.week2.id, '--json');
    expect(dj.json<{ counts: { added: number } }>().counts.added).toBe(305);
    const unknown = await run('lists', 'diff', versions.week1!.id, 'lsv_nope', '--json');
    expect(unknown.code).toBe(2);
    expect(unknown.json<{ error: { code: string } }>().error.code).toBe('SCREENING_LIST_VERSION_NOT_FOUND');
  });

  it('screens a file against the versions active in the database (--lists db)', async () => {
    writeFileSync(join(dir, 'parties.jsonl'), [{ id: 'a', name: 'AVRORA SIRIUS' }, { id: 'b', name: 'Nordlicht Maschinenbau GmbH', country: 'DE' }].map((p) => JSON.stringify(p)).join('\n') + '\n');
    const r = await run('screen', '--lists', 'db', '--input', 'parties.jsonl', '--output', 'results.jsonl', '--json');
    expect(r.code, r.stderr).toBe(1);
    const summary = r.json<{ lists: Array<{ version_id: string; list: string }>; parties: number; parties_with_matches: number }>();
    expect(summary).toMatchObject({ parties: 2, parties_with_matches: 1, lists: [{ version_id: versions.week2!.id, list: 'us-ofac-sdn' }] });
    const lines = readFileSync(join(dir, 'results.jsonl'), 'utf-8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; matches: Array<{ entity_id: string }> });
    expect(lines[0]!.matches[0]!.entity_id).toBe('42180');
    expect(lines[1]!.matches).toEqual([]);
  });

  it('goes back to the previous week with lists activate', async () => {
    const r = await run('lists', 'activate', versions.week1!.id, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ activated: boolean; version: ListVersionView }>()).toMatchObject({ activated: true, version: { id: versions.week1!.id, active: true } });
    expect((await run('lists', 'activate', versions.week1!.id)).stdout).toContain('already active');
    expect((await run('lists', 'activate', 'lsv_nope')).code).toBe(2);
    // recorded in the audit trail as the console operator, with the log events
    const s = await openServices(loadConfig(env, dir), { logger: pino({ level: 'silent' }), processMetrics: false });
    try {
      const audits = await s.database.db.selectFrom('audit_events').select(['action', 'actor_type', 'actor_id']).where('action', 'like', 'lists.%').orderBy('seq').execute();
      expect(audits.map((a) => a.action)).toEqual(['lists.version_loaded', 'lists.version_already_loaded', 'lists.version_loaded', 'lists.version_activated']);
      expect(audits.every((a) => a.actor_type === 'system' && a.actor_id === 'cli')).toBe(true);
      expect(await s.database.db.selectFrom('ledger_events').select('record_id').where('event_type', '=', 'list_version.activated').orderBy('seq').execute()).toEqual([
        { record_id: versions.week1!.id },
        { record_id: versions.week2!.id },
        { record_id: versions.week1!.id },
      ]);
      expect(await listAlerts(s.database.db, org)).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('refuses what it cannot load, with exit code 2', async () => {
    const bad = join(dir, 'bad.xml');
    writeFileSync(bad, '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><CONSOLIDATED_LIST>&a;</CONSOLIDATED_LIST>');
    const r = await run('lists', 'load', bad, '--json');
    expect(r.code).toBe(2);
    expect(r.json<{ error: { code: string } }>().error.code).toBe('SCREENING_XML_DOCTYPE');
    expect((await run('lists', 'load', join(dir, 'missing.csv'))).code).toBe(2);
    const versionsNow = (await run('lists', 'versions', '--json')).json<{ versions: unknown[] }>().versions;
    expect(versionsNow).toHaveLength(2);
  });
});
