/**
 * List versions in the database, on both engines, with the real list files:
 * record counts and content hashes, activation only once complete (logged,
 * audit-clean, edits of stored entities reported), the same content loaded
 * twice, the diff of two consecutive OFAC weeks, going back to an earlier
 * version, a malformed file leaving nothing behind, abandoned loads purged.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog } from '../ledger/audit.js';
import { DIALECTS, openTestServices, type TestServices } from '../shared/test-support/databases.js';
import { isFabgateError } from '../shared/errors.js';
import { diffListVersions } from './diff.js';
import { openLists } from './lists/load.js';
import { fileInput } from './lists/source.js';
import { screeningRuntime } from './runtime.js';
import { activateVersion } from './service.js';
import { FILES, loadEntities } from './test-support/lists.js';
import { loadOne, TEST_ACTOR } from './test-support/service.js';
import {
  activeListVersions,
  currentGeneration,
  diffVersions,
  getListedEntity,
  LIST_VERSION_EVENT,
  listListVersions,
  purgeAbandonedLoads,
  stageListVersion,
  ABANDONED_AFTER_MS,
} from './versions.js';

const sha256File = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe.each(DIALECTS)('list versions on %s', (dialect) => {
  let s: TestServices;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    s = await openTestServices(dialect);
  });
  afterAll(async () => {
    await s?.dispose();
  });

  const events = async (recordId: string) =>
    s.database.db.selectFrom('ledger_events').select(['event_type', 'record_type']).where('record_id', '=', recordId).where('event_type', '=', LIST_VERSION_EVENT).execute();

  it('loads the real lists with their record counts and content hash, and activates each once complete', async () => {
    const sdn = await loadOne(s, FILES.sdn20240426);
    expect(sdn.created).toBe(true);
    expect(sdn.version).toMatchObject({ list: 'us-ofac-sdn', format: 'ofac-csv', entities: 14668, content_hash: sha256File(FILES.sdn20240426), active: true, source_date: null });
    expect(sdn.version.files).toEqual([{ name: 'sdn.csv', sha256: sha256File(FILES.sdn20240426), role: 'primary', records: 14668 }]);
    expect(sdn.rescreen_job).toMatch(/^sjb_/);
    ids.sdn1 = sdn.version.id;
    expect(await currentGeneration(s.database.db)).toBe(1);
    expect((await events(sdn.version.id)).map((e) => e.record_type)).toEqual(['list_version']);

    const un = await loadOne(s, FILES.un2026);
    expect(un.version).toMatchObject({ list: 'un-sc-consolidated', entities: 1003, content_hash: sha256File(FILES.un2026) });
    expect(un.version.counts.by_type).toMatchObject({ person: 730, organisation: 273 });
    expect(un.version.source_date).toMatch(/^2026-02-27/);
    ids.un2026 = un.version.id;

    // OFAC's non-SDN list: four files, one list, recognised by content whatever the order
    const cons = await loadOne(s, FILES.consAdd, FILES.consComments, FILES.consPrim, FILES.consAlt);
    expect(cons.version).toMatchObject({ list: 'us-ofac-cons', entities: 442 });
    expect(cons.version.files.map((f) => f.role).sort()).toEqual(['add', 'alt', 'comments', 'primary']);
    expect(cons.version.counts.records).toMatchObject({ 'cons_prim.csv': 442, 'cons_alt.csv': 1073, 'cons_add.csv': 574 });
    const sirius = await getListedEntity(s.database.db, 'us-ofac-cons', '18783');
    expect(sirius.entity.aliases.map((a) => a.name)).toEqual(expect.arrayContaining(['JSC SIRIUS', 'CONCERN SIRIUS JOINT STOCK COMPANY']));

    const eu = await loadOne(s, FILES.eu833);
    expect(eu.version).toMatchObject({ list: 'eu-oj-32014R0833', entities: 1746 });
    // a list that repeats an id keeps one entity per id (its last entry)
    const dod = await loadOne(s, FILES.dod1260h);
    const dodIds = (await loadEntities(FILES.dod1260h)).map((e) => e.entity_id);
    expect(dod.version.counts.entities).toBe(dodIds.length);
    expect(dod.version.entities).toBe(new Set(dodIds).size);

    const active = await activeListVersions(s.database.db);
    expect(active.map((v) => v.list)).toEqual(['eu-oj-32014R0833', 'un-sc-consolidated', 'us-dod-1260h', 'us-ofac-cons', 'us-ofac-sdn']);
    const snap = await screeningRuntime(s).snapshot();
    expect(snap.generation).toBe(5);
    expect(snap.entities.size).toBe(14668 + 1003 + 442 + 1746 + dod.version.entities);
    expect(snap.screener!.screen({ id: 'q', name: 'Otkrytoe Aktsionernoe Obshchestvo Kontsern Sirius', country: 'RU' }).map((m) => m.entity_id)).toEqual(expect.arrayContaining(['18783', '32014R0833/IV/1']));
  });

  it('gives back the version already loaded when the same content is loaded again', async () => {
    const again = await loadOne(s, FILES.sdn20240426);
    expect(again).toMatchObject({ created: false, activation: null, rescreen_job: null });
    expect(again.version.id).toBe(ids.sdn1);
    expect(await events(ids.sdn1!)).toHaveLength(1);
    expect((await listListVersions(s.database.db, { list: 'us-ofac-sdn' })).map((v) => v.id)).toEqual([ids.sdn1]);
  });

  it('diffs two consecutive weeks of the OFAC SDN list as the core does', async () => {
    const week2 = await loadOne(s, FILES.sdn20240503);
    ids.sdn2 = week2.version.id;
    expect(week2.version.entities).toBe(14965);
    const d = await diffVersions(s.database.db, ids.sdn1!, ids.sdn2, 1000);
    expect(d.counts).toEqual({ added: 305, removed: 8, changed: 0, unchanged: 14660 });
    const core = diffListVersions(await loadEntities(FILES.sdn20240426), await loadEntities(FILES.sdn20240503));
    expect(d.added.map((e) => e.entity_id).sort()).toEqual(core.added.map((e) => e.entity_id).sort());
    expect(d.removed.map((e) => e.entity_id).sort()).toEqual(core.removed.map((e) => e.entity_id).sort());
    expect(d.truncated).toBe(false);
    // the other way round, and with a limit
    const back = await diffVersions(s.database.db, ids.sdn2, ids.sdn1!, 10);
    expect(back.counts).toMatchObject({ added: 8, removed: 305 });
    expect(back.removed).toHaveLength(10);
    expect(back.truncated).toBe(true);
    // versions of two lists do not compare
    await expect(diffVersions(s.database.db, ids.sdn1!, ids.un2026!)).rejects.toMatchObject({ code: 'SCREENING_DIFF_LISTS_DIFFER' });
  });

  it('diffs the UN list of 2018 and 2026 with the fields that changed', async () => {
    const un2018 = await loadOne(s, FILES.un2018);
    // an older file loaded later becomes active: the operator said so
    expect(un2018.version.active).toBe(true);
    const d = await diffVersions(s.database.db, un2018.version.id, ids.un2026!, 5000);
    const core = diffListVersions(await loadEntities(FILES.un2018), await loadEntities(FILES.un2026));
    expect(d.counts).toEqual({ added: core.added.length, removed: core.removed.length, changed: core.changed.length, unchanged: core.unchanged });
    const c = d.changed.find((x) => x.entity_id === 'CDi.001')!;
    expect(c.fields).toEqual(['remarks']);
    expect(Object.keys(c.before)).toEqual(['remarks']);
    // back to the 2026 list
    await s.database.db.transaction().execute((trx) => activateVersion(s, trx, ids.un2026!, TEST_ACTOR));
  });

  it('goes back to an earlier version as another logged activation', async () => {
    const before = await currentGeneration(s.database.db);
    const r = await s.database.db.transaction().execute((trx) => activateVersion(s, trx, ids.sdn1!, TEST_ACTOR));
    expect(r.activation).toMatchObject({ list: 'us-ofac-sdn', version_id: ids.sdn1, previous_version_id: ids.sdn2 });
    expect(r.rescreen_job).toMatch(/^sjb_/);
    expect(await currentGeneration(s.database.db)).toBe(before + 1);
    expect(await events(ids.sdn1!)).toHaveLength(2);
    // activating the active version again changes nothing
    const same = await s.database.db.transaction().execute((trx) => activateVersion(s, trx, ids.sdn1!, TEST_ACTOR));
    expect(same).toEqual({ activation: null, rescreen_job: null });
    // the index of this process follows
    screeningRuntime(s).invalidate();
    const snap = await screeningRuntime(s).snapshot();
    expect(snap.versions.find((v) => v.list === 'us-ofac-sdn')!.id).toBe(ids.sdn1);
    await expect(s.database.db.transaction().execute((trx) => activateVersion(s, trx, 'lsv_nope', TEST_ACTOR))).rejects.toMatchObject({ code: 'SCREENING_LIST_VERSION_NOT_FOUND' });
  });

  it('puts every activation in the log; the audit finds nothing altered, then an edited entity', async () => {
    await s.ledger.integrate();
    const clean = await auditLog(s.database.db, s.config.logOrigin);
    expect(clean.findings).toEqual([]);
    expect(clean.unverifiable_record_types).not.toContain('list_version');
    expect(clean.checked.records).toBeGreaterThanOrEqual(8);

    // edit one stored entity of the week-2 SDN version below the application
    const row = await s.database.db.selectFrom('screening_version_entities').select(['body_sha256']).where('version_id', '=', ids.sdn2!).where('entity_id', '=', '42180').executeTakeFirstOrThrow();
    const body = await s.database.db.selectFrom('screening_entity_bodies').select('body').where('sha256', '=', row.body_sha256).executeTakeFirstOrThrow();
    await s.database.db.updateTable('screening_entity_bodies').set({ body: body.body.replace('AVRORA SIRIUS', 'AVRORA SIRIUS II') }).where('sha256', '=', row.body_sha256).execute();
    // the entity is unchanged between the two weeks, so both versions hold the same stored body: both are reported
    // (the first week twice: it was activated twice)
    const found = await auditLog(s.database.db, s.config.logOrigin);
    expect(found.findings.map((f) => [f.kind, f.record_type, f.record_id]).sort()).toEqual(
      [
        ['record_altered', 'list_version', ids.sdn1],
        ['record_altered', 'list_version', ids.sdn1],
        ['record_altered', 'list_version', ids.sdn2],
      ].sort(),
    );
    await s.database.db.updateTable('screening_entity_bodies').set({ body: body.body }).where('sha256', '=', row.body_sha256).execute();

    // an entity slipped into a version after the fact
    await s.database.db.insertInto('screening_version_entities').values({ version_id: ids.un2026!, entity_id: 'ZZ.999', list: 'un-sc-consolidated', name: 'x', body_sha256: row.body_sha256, match_digest: 'x' }).execute();
    const added = await auditLog(s.database.db, s.config.logOrigin);
    // (the 2026 UN version was activated twice: before and after the 2018 one)
    expect(added.findings.map((f) => [f.kind, f.record_id])).toEqual([
      ['record_altered', ids.un2026],
      ['record_altered', ids.un2026],
    ]);
    await s.database.db.deleteFrom('screening_version_entities').where('version_id', '=', ids.un2026!).where('entity_id', '=', 'ZZ.999').execute();
    expect((await auditLog(s.database.db, s.config.logOrigin)).findings).toEqual([]);
  });

  it('refuses a malformed file naming the place, and keeps nothing of it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fabgate-badlist-'));
    // the 2018 UN list cut off inside a record, after enough records to have staged some
    const text = readFileSync(FILES.un2018, 'utf-8');
    const cut = text.indexOf('<INDIVIDUAL>', text.length / 2);
    const file = join(dir, 'consolidated.xml');
    writeFileSync(file, text.slice(0, cut) + '<INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>unclosed');
    const before = await activeListVersions(s.database.db);
    const [load] = await openLists([fileInput(file)]);
    let err: unknown;
    try {
      await stageListVersion(s.database.db, s.clock, load!, { actor: TEST_ACTOR, batchSize: 50 });
    } catch (e) {
      err = e;
    }
    expect(isFabgateError(err) && err.code).toBe('SCREENING_LIST_MALFORMED');
    expect((err as Error).message).toContain('consolidated.xml');
    const loading = await s.database.db.selectFrom('screening_list_versions').select('id').where('state', '=', 'loading').execute();
    expect(loading).toEqual([]);
    expect((await activeListVersions(s.database.db)).map((v) => v.id)).toEqual(before.map((v) => v.id));
  });

  it('never lists a load in progress, and purges one whose heartbeat stopped', async () => {
    const [load] = await openLists([fileInput(FILES.dpl)]);
    // staged but never completed: what a killed process leaves
    const staged = await stageListVersion(s.database.db, s.clock, load!, { actor: TEST_ACTOR });
    expect(staged.entities).toBe(461);
    expect((await listListVersions(s.database.db)).map((v) => v.id)).not.toContain(staged.id);
    expect((await activeListVersions(s.database.db)).map((v) => v.list)).not.toContain('us-bis-dpl');
    expect(await purgeAbandonedLoads(s.database.db, s.clock)).toEqual([]);
    s.clock.advance(ABANDONED_AFTER_MS + 1000);
    expect(await purgeAbandonedLoads(s.database.db, s.clock)).toEqual([staged.id]);
    const left = await s.database.db.selectFrom('screening_version_entities').select('entity_id').where('version_id', '=', staged.id).execute();
    expect(left).toEqual([]);
    expect((await auditLog(s.database.db, s.config.logOrigin)).findings).toEqual([]);
  });
});
