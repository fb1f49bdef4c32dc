/**
 * List versions in the database.
 *
 * A load is staged entity by entity in short transactions (so SQLite writers
 * elsewhere are never blocked for the length of a load), invisible to
 * screening while `state = 'loading'`; one transaction then completes it and
 * activates it, with the `list_version.activated` event for the transparency
 * log and the re-screening job of stored parties. A load that fails is
 * discarded; one that is killed leaves a `loading` row whose heartbeat stops,
 * and `purgeAbandonedLoads` removes it later. Either way the previous version
 * stays active and nothing half-written is ever screened against or listed.
 *
 * The committed record of a version carries `entities_digest`, a SHA-256 over
 * every stored entity id and body hash: `fabgate log audit` rebuilds it from
 * the stored rows (checking every body against its hash), so an entity edited,
 * added or removed in the database after activation is reported.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { Kysely } from 'kysely';
import type { Actor } from '../audit/trail.js';
import type { Tables } from '../db/tables.js';
import { canonicalJson } from '../ledger/core/canonical-json.js';
import { logDecisiveEvent, registerRecordResolver } from '../ledger/decisive.js';
import type { Clock } from '../shared/clock.js';
import { FabgateError } from '../shared/errors.js';
import { newId, sha256Hex } from '../shared/ids.js';
import { diffListVersions, type DiffField } from './diff.js';
import type { ListLoad, ListLoadSummary, LoadedFile } from './lists/load.js';
import { entityDigest } from './match/fingerprint.js';
import type { ListCounts, ListEntity } from './model.js';
import type { ScreeningListVersionRow } from './tables.js';

type Db = Kysely<Tables>;

/** Event and record type of an activation in the transparency log (LEAF-FORMAT.md). */
export const LIST_VERSION_EVENT = 'list_version.activated';
export const LIST_VERSION_RECORD_TYPE = 'list_version';

/** Entities written per staging transaction. */
export const STAGE_BATCH = 500;
/** A load whose heartbeat is older than this was killed (a live load beats after every batch). */
export const ABANDONED_AFTER_MS = 10 * 60_000;

/** Called once the version is activated, inside the same transaction (re-screening job, audit record). */
export type OnActivated = (trx: Db, activation: Activation) => Promise<void>;

// ------------------------------------------------------------------ staging

export interface StagedVersion {
  id: string;
  summary: ListLoadSummary;
  /** Distinct entity ids stored. */
  entities: number;
  entitiesDigest: string;
}

interface StagedEntity {
  entity_id: string;
  list: string;
  name: string;
  body: string;
  body_sha256: string;
  match_digest: string;
}

function stagedEntity(e: ListEntity): StagedEntity {
  let body: string;
  try {
    body = canonicalJson(e);
  } catch (err) {
    throw new FabgateError('SCREENING_LIST_MALFORMED', `entity ${e.entity_id}: ${(err as Error).message}`, 'invalid_input', { entity_id: e.entity_id });
  }
  return { entity_id: e.entity_id, list: e.list, name: e.name, body, body_sha256: sha256Hex(body), match_digest: entityDigest(e) };
}

/** Sorted "entity_id TAB body_sha256" lines, hashed: the same for the same stored entities, whatever the load order. */
export function entitiesDigestOf(rows: Array<{ entity_id: string; body_sha256: string }>): string {
  const sorted = [...rows].sort((a, b) => (a.entity_id < b.entity_id ? -1 : a.entity_id > b.entity_id ? 1 : 0));
  const h = createHash('sha256');
  for (const r of sorted) h.update(`${r.entity_id}\t${r.body_sha256}\n`);
  return h.digest('hex');
}

async function writeBatch(db: Db, versionId: string, batch: StagedEntity[], heartbeat: string): Promise<void> {
  // A list may repeat an id (the DoD 1260H list does): the last occurrence wins, as in diffListVersions.
  const byId = new Map<string, StagedEntity>();
  for (const e of batch) byId.set(e.entity_id, e);
  const bodies = new Map<string, string>();
  for (const e of byId.values()) bodies.set(e.body_sha256, e.body);
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('screening_entity_bodies')
      .values([...bodies].map(([sha256, body]) => ({ sha256, body })))
      .onConflict((oc) => oc.column('sha256').doNothing())
      .execute();
    await trx
      .insertInto('screening_version_entities')
      .values([...byId.values()].map((e) => ({ version_id: versionId, entity_id: e.entity_id, list: e.list, name: e.name, body_sha256: e.body_sha256, match_digest: e.match_digest })))
      .onConflict((oc) =>
        oc.columns(['version_id', 'entity_id']).doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          body_sha256: eb.ref('excluded.body_sha256'),
          match_digest: eb.ref('excluded.match_digest'),
        })),
      )
      .execute();
    await trx.updateTable('screening_list_versions').set({ heartbeat_at: heartbeat }).where('id', '=', versionId).execute();
  });
}

/**
 * Stream a load into staging rows. Nothing of it is visible to screening or in
 * the version list until `completeListVersion` commits. On failure the staged
 * rows are removed and the error is rethrown.
 */
export async function stageListVersion(
  db: Db,
  clock: Clock,
  load: ListLoad,
  opts: { actor: Actor; batchSize?: number; onProgress?: (entities: number) => void; onBatch?: (staged: number) => void | Promise<void> },
): Promise<StagedVersion> {
  const id = newId('lsv');
  const now = clock.now().toISOString();
  await db
    .insertInto('screening_list_versions')
    .values({
      id,
      list: '',
      format: load.format,
      state: 'loading',
      content_hash: '',
      source_date: null,
      files: '[]',
      counts: '{}',
      entities: 0,
      entities_digest: '',
      started_at: now,
      heartbeat_at: now,
      completed_at: null,
      loaded_by_type: opts.actor.type,
      loaded_by: opts.actor.id,
      organisation_id: opts.actor.organisationId,
    })
    .execute();
  const size = opts.batchSize ?? STAGE_BATCH;
  try {
    let batch: StagedEntity[] = [];
    let staged = 0;
    for await (const e of load.entities()) {
      batch.push(stagedEntity(e));
      opts.onProgress?.(1);
      if (batch.length >= size) {
        await writeBatch(db, id, batch, clock.now().toISOString());
        staged += batch.length;
        batch = [];
        await opts.onBatch?.(staged);
      }
    }
    if (batch.length) {
      await writeBatch(db, id, batch, clock.now().toISOString());
      staged += batch.length;
      await opts.onBatch?.(staged);
    }
    const summary = load.summary();
    if (summary.counts.entities === 0) {
      throw new FabgateError('SCREENING_LIST_EMPTY', `${load.files.join(', ')}: no listed entity found`, 'invalid_input', { files: load.files.map((f) => basename(f)) });
    }
    const rows = await db.selectFrom('screening_version_entities').select(['entity_id', 'body_sha256']).where('version_id', '=', id).execute();
    return { id, summary, entities: rows.length, entitiesDigest: entitiesDigestOf(rows) };
  } catch (e) {
    await discardStagedVersion(db, id).catch(() => undefined);
    throw e;
  }
}

/** Remove a staged (never completed) version and its entity rows. */
export async function discardStagedVersion(db: Db, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('screening_list_versions').select('state').where('id', '=', id).executeTakeFirst();
    if (!row || row.state !== 'loading') return;
    await trx.deleteFrom('screening_version_entities').where('version_id', '=', id).execute();
    await trx.deleteFrom('screening_list_versions').where('id', '=', id).execute();
  });
}

/**
 * Remove loads that were killed mid-way: staged versions whose heartbeat is
 * older than `olderThanMs`. Returns the ids removed. (Entity bodies are kept:
 * other versions may share them.)
 */
export async function purgeAbandonedLoads(db: Db, clock: Clock, olderThanMs = ABANDONED_AFTER_MS): Promise<string[]> {
  const cutoff = new Date(clock.now().getTime() - olderThanMs).toISOString();
  const rows = await db.selectFrom('screening_list_versions').select('id').where('state', '=', 'loading').where('heartbeat_at', '<', cutoff).execute();
  for (const r of rows) await discardStagedVersion(db, r.id);
  return rows.map((r) => r.id);
}

const baseNamed = (summary: ListLoadSummary): { files: LoadedFile[]; counts: ListCounts } => {
  const rename = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [basename(k), v]));
  return {
    files: summary.files.map((f) => ({ name: basename(f.name), sha256: f.sha256, ...(f.role ? { role: f.role } : {}), records: f.records })),
    counts: { ...summary.counts, records: rename(summary.counts.records), skipped: rename(summary.counts.skipped) },
  };
};

export interface CompletedVersion {
  version: ListVersionView;
  /** false when a version with the same list and content hash was already loaded (the staged copy is discarded). */
  created: boolean;
  /** The activation, when this call activated the version. */
  activation: Activation | null;
}

/**
 * Complete a staged version and activate it, in the caller's transaction.
 * The same content loaded before gives that version back (`created: false`)
 * and leaves the active set as it is.
 */
export async function completeListVersion(trx: Db, clock: Clock, staged: StagedVersion, actor: Actor, onActivated?: OnActivated): Promise<CompletedVersion> {
  const { summary } = staged;
  const existing = await trx
    .selectFrom('screening_list_versions')
    .select('id')
    .where('list', '=', summary.list)
    .where('content_hash', '=', summary.content_hash)
    .where('state', '=', 'complete')
    .executeTakeFirst();
  if (existing) {
    await trx.deleteFrom('screening_version_entities').where('version_id', '=', staged.id).execute();
    await trx.deleteFrom('screening_list_versions').where('id', '=', staged.id).execute();
    return { version: await getListVersion(trx, existing.id), created: false, activation: null };
  }
  const { files, counts } = baseNamed(summary);
  const r = await trx
    .updateTable('screening_list_versions')
    .set({
      list: summary.list,
      format: summary.format,
      state: 'complete',
      content_hash: summary.content_hash,
      source_date: summary.source_date ?? null,
      files: JSON.stringify(files),
      counts: JSON.stringify(counts),
      entities: staged.entities,
      entities_digest: staged.entitiesDigest,
      completed_at: clock.now().toISOString(),
    })
    .where('id', '=', staged.id)
    .where('state', '=', 'loading')
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) {
    // purged as abandoned meanwhile (a load that stalled longer than ABANDONED_AFTER_MS)
    throw new FabgateError('SCREENING_LOAD_ABANDONED', `the load ${staged.id} was discarded as abandoned before it completed; load the list again`, 'conflict');
  }
  await trx.updateTable('screening_version_entities').set({ list: summary.list }).where('version_id', '=', staged.id).where('list', '<>', summary.list).execute();
  const activation = await activateListVersion(trx, clock, staged.id, actor, onActivated);
  return { version: await getListVersion(trx, staged.id), created: true, activation };
}

/**
 * Stage and complete a load in one call (the command line and the demo seed;
 * the HTTP route stages first and completes in its audited transaction).
 */
export async function loadListVersion(
  db: Db,
  clock: Clock,
  load: ListLoad,
  opts: { actor: Actor; batchSize?: number; onProgress?: (n: number) => void; onActivated?: OnActivated },
): Promise<CompletedVersion> {
  const staged = await stageListVersion(db, clock, load, opts);
  try {
    return await db.transaction().execute((trx) => completeListVersion(trx, clock, staged, opts.actor, opts.onActivated));
  } catch (e) {
    await discardStagedVersion(db, staged.id).catch(() => undefined);
    throw e;
  }
}

// ------------------------------------------------------------------ activation

export interface Activation {
  seq: number;
  id: string;
  list: string;
  version_id: string;
  previous_version_id: string | null;
  activated_at: string;
}

/**
 * Make a complete version the active one of its list (a new load, or going
 * back to an earlier version). Logged as `list_version.activated`; `onActivated`
 * runs in the same transaction. Activating the version already active does
 * nothing and returns null.
 */
export async function activateListVersion(trx: Db, clock: Clock, versionId: string, actor: Actor, onActivated?: OnActivated): Promise<Activation | null> {
  const row = await trx.selectFrom('screening_list_versions').selectAll().where('id', '=', versionId).where('state', '=', 'complete').executeTakeFirst();
  if (!row) throw new FabgateError('SCREENING_LIST_VERSION_NOT_FOUND', `no list version ${versionId}`, 'not_found', { id: versionId });
  const current = await trx.selectFrom('screening_active_lists').selectAll().where('list', '=', row.list).executeTakeFirst();
  if (current?.version_id === versionId) return null;
  const at = clock.now();
  const id = newId('lsa');
  const inserted = await trx
    .insertInto('screening_activations')
    .values({
      id,
      list: row.list,
      version_id: versionId,
      previous_version_id: current?.version_id ?? null,
      activated_at: at.toISOString(),
      activated_by_type: actor.type,
      activated_by: actor.id,
      organisation_id: actor.organisationId,
    })
    .returning('seq')
    .executeTakeFirstOrThrow();
  const seq = Number(inserted.seq);
  await trx
    .insertInto('screening_active_lists')
    .values({ list: row.list, version_id: versionId, activation_seq: seq })
    .onConflict((oc) => oc.column('list').doUpdateSet({ version_id: versionId, activation_seq: seq }))
    .execute();
  await logDecisiveEvent(trx, {
    type: LIST_VERSION_EVENT,
    recordType: LIST_VERSION_RECORD_TYPE,
    recordId: versionId,
    record: listVersionRecordOf(row, row.entities_digest),
    at,
    organisationId: actor.organisationId,
  });
  const activation: Activation = { seq, id, list: row.list, version_id: versionId, previous_version_id: current?.version_id ?? null, activated_at: at.toISOString() };
  await onActivated?.(trx, activation);
  return activation;
}

/** The activation generation: the highest activation number (0 before any list is loaded). */
export async function currentGeneration(db: Db): Promise<number> {
  const r = await db.selectFrom('screening_activations').select((eb) => eb.fn.max('seq').as('g')).executeTakeFirst();
  return Number(r?.g ?? 0);
}

// ------------------------------------------------------------------ the committed record

/**
 * The immutable record an activation commits to: the version's summary with
 * its content hash and the digest of its stored entities. Rebuilt by the
 * resolver from the version row and its entity rows alone.
 */
export function listVersionRecordOf(row: ScreeningListVersionRow, entitiesDigest: string): Record<string, unknown> {
  try {
    return {
      id: row.id,
      list: row.list,
      format: row.format,
      content_hash: row.content_hash,
      source_date: row.source_date,
      files: JSON.parse(row.files) as unknown,
      counts: JSON.parse(row.counts) as unknown,
      entities: Number(row.entities),
      entities_digest: entitiesDigest,
      completed_at: row.completed_at,
      loaded_by: { type: row.loaded_by_type, id: row.loaded_by },
    };
  } catch {
    return { id: row.id, unreadable: true };
  }
}

/**
 * The entity digest as the stored rows give it now, every body checked against
 * its hash and its listed name, list and match digest: any edit makes the
 * result differ from the committed digest.
 */
export async function storedEntitiesDigest(db: Db, versionId: string): Promise<string> {
  const lines: Array<{ entity_id: string; body_sha256: string }> = [];
  let after = '';
  let altered = false;
  for (;;) {
    const page = await db
      .selectFrom('screening_version_entities as ve')
      .leftJoin('screening_entity_bodies as b', 'b.sha256', 've.body_sha256')
      .select(['ve.entity_id', 've.body_sha256', 've.list', 've.name', 've.match_digest', 'b.body'])
      .where('ve.version_id', '=', versionId)
      .where('ve.entity_id', '>', after)
      .orderBy('ve.entity_id')
      .limit(2000)
      .execute();
    if (page.length === 0) break;
    for (const r of page) {
      lines.push({ entity_id: r.entity_id, body_sha256: r.body_sha256 });
      if (r.body === null || sha256Hex(r.body) !== r.body_sha256) {
        altered = true;
        continue;
      }
      try {
        const e = JSON.parse(r.body) as ListEntity;
        if (e.entity_id !== r.entity_id || e.list !== r.list || e.name !== r.name || entityDigest(e) !== r.match_digest) altered = true;
      } catch {
        altered = true;
      }
    }
    after = page[page.length - 1]!.entity_id;
  }
  const digest = entitiesDigestOf(lines);
  return altered ? `altered:${digest}` : digest;
}

registerRecordResolver(LIST_VERSION_RECORD_TYPE, {
  async load(db, recordId) {
    const row = await db.selectFrom('screening_list_versions').selectAll().where('id', '=', recordId).where('state', '=', 'complete').executeTakeFirst();
    return row ? listVersionRecordOf(row, await storedEntitiesDigest(db, row.id)) : undefined;
  },
  async list(db) {
    const rows = await db.selectFrom('screening_activations').select('version_id').distinct().orderBy('version_id').execute();
    return rows.map((r) => r.version_id);
  },
});

// ------------------------------------------------------------------ reading

export interface ListVersionView {
  id: string;
  list: string;
  format: string;
  content_hash: string;
  source_date: string | null;
  files: LoadedFile[];
  counts: ListCounts;
  entities: number;
  entities_digest: string;
  loaded_at: string;
  loaded_by: { type: string; id: string | null };
  /** The active version of its list now. */
  active: boolean;
  /** Its latest activation, if it was ever active. */
  activated_at: string | null;
  /** Its latest `list_version.activated` event: the leaf index once integrated. */
  log: { leaf_index: number | null; commitment: string } | null;
}

function versionView(row: ScreeningListVersionRow, active: boolean, activatedAt: string | null, log: ListVersionView['log']): ListVersionView {
  return {
    id: row.id,
    list: row.list,
    format: row.format,
    content_hash: row.content_hash,
    source_date: row.source_date,
    files: JSON.parse(row.files) as LoadedFile[],
    counts: JSON.parse(row.counts) as ListCounts,
    entities: Number(row.entities),
    entities_digest: row.entities_digest,
    loaded_at: row.completed_at ?? row.started_at,
    loaded_by: { type: row.loaded_by_type, id: row.loaded_by },
    active,
    activated_at: activatedAt,
    log,
  };
}

/** Views of version rows, in the rows' order unless `newestFirst`. */
async function decorate(db: Db, rows: ScreeningListVersionRow[], opts: { newestFirst?: boolean } = {}): Promise<ListVersionView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const active = new Set((await db.selectFrom('screening_active_lists').select('version_id').execute()).map((r) => r.version_id));
  const activations = await db.selectFrom('screening_activations').select(['version_id', 'activated_at', 'seq']).where('version_id', 'in', ids).orderBy('seq').execute();
  const lastActivation = new Map(activations.map((a) => [a.version_id, a.activated_at]));
  const firstActivation = new Map<string, number>();
  for (const a of activations) if (!firstActivation.has(a.version_id)) firstActivation.set(a.version_id, Number(a.seq));
  const events = await db
    .selectFrom('ledger_events')
    .select(['record_id', 'leaf_index', 'commitment', 'seq'])
    .where('record_type', '=', LIST_VERSION_RECORD_TYPE)
    .where('record_id', 'in', ids)
    .orderBy('seq')
    .execute();
  const log = new Map(events.map((e) => [e.record_id, { leaf_index: e.leaf_index === null ? null : Number(e.leaf_index), commitment: e.commitment }]));
  const views = rows.map((r) => versionView(r, active.has(r.id), lastActivation.get(r.id) ?? null, log.get(r.id) ?? null));
  if (!opts.newestFirst) return views;
  // newest load first; loads within one clock tick in the order they were activated
  const order = new Map(rows.map((r, i) => [r.id, i]));
  return views.sort((a, b) => (a.loaded_at < b.loaded_at ? 1 : a.loaded_at > b.loaded_at ? -1 : (firstActivation.get(b.id) ?? 0) - (firstActivation.get(a.id) ?? 0) || order.get(a.id)! - order.get(b.id)!));
}

/** Complete versions, newest first (optionally of one list). Staged loads are never listed. */
export async function listListVersions(db: Db, opts: { list?: string } = {}): Promise<ListVersionView[]> {
  let q = db.selectFrom('screening_list_versions').selectAll().where('state', '=', 'complete');
  if (opts.list) q = q.where('list', '=', opts.list);
  return decorate(db, await q.orderBy('completed_at', 'desc').orderBy('id').execute(), { newestFirst: true });
}

export async function getListVersion(db: Db, id: string): Promise<ListVersionView> {
  const row = await db.selectFrom('screening_list_versions').selectAll().where('id', '=', id).where('state', '=', 'complete').executeTakeFirst();
  if (!row) throw new FabgateError('SCREENING_LIST_VERSION_NOT_FOUND', `no list version ${id}`, 'not_found', { id });
  return (await decorate(db, [row]))[0]!;
}

/** The active versions, one per list, ordered by list. */
export async function activeListVersions(db: Db): Promise<ListVersionView[]> {
  const rows = await db
    .selectFrom('screening_active_lists as a')
    .innerJoin('screening_list_versions as v', 'v.id', 'a.version_id')
    .selectAll('v')
    .orderBy('v.list')
    .execute();
  return decorate(db, rows);
}

/** One listed entity, from the active version of its list (or a given version). */
export async function getListedEntity(db: Db, list: string, entityId: string, versionId?: string): Promise<{ entity: ListEntity; version_id: string; match_digest: string }> {
  let q = db
    .selectFrom('screening_version_entities as ve')
    .innerJoin('screening_entity_bodies as b', 'b.sha256', 've.body_sha256')
    .select(['ve.version_id', 've.match_digest', 'b.body'])
    .where('ve.list', '=', list)
    .where('ve.entity_id', '=', entityId);
  if (versionId) q = q.where('ve.version_id', '=', versionId);
  else q = q.where('ve.version_id', 'in', (eb) => eb.selectFrom('screening_active_lists').select('version_id').where('list', '=', list));
  const row = await q.executeTakeFirst();
  if (!row) throw new FabgateError('SCREENING_ENTITY_NOT_FOUND', `no entity ${entityId} in the ${versionId ? `version ${versionId}` : 'active version'} of ${list}`, 'not_found', { list, entity_id: entityId });
  return { entity: JSON.parse(row.body) as ListEntity, version_id: row.version_id, match_digest: row.match_digest };
}

/** Several entities of the active versions at once, keyed `list \u0000 entity_id`. */
export async function activeEntities(db: Db, keys: Array<{ list: string; entity_id: string }>): Promise<Map<string, { entity: ListEntity; version_id: string }>> {
  const out = new Map<string, { entity: ListEntity; version_id: string }>();
  if (keys.length === 0) return out;
  const rows = await db
    .selectFrom('screening_version_entities as ve')
    .innerJoin('screening_active_lists as a', 'a.version_id', 've.version_id')
    .innerJoin('screening_entity_bodies as b', 'b.sha256', 've.body_sha256')
    .select(['ve.version_id', 've.list', 've.entity_id', 'b.body'])
    .where('ve.entity_id', 'in', [...new Set(keys.map((k) => k.entity_id))])
    .execute();
  const wanted = new Set(keys.map((k) => `${k.list}\u0000${k.entity_id}`));
  for (const r of rows) {
    const key = `${r.list}\u0000${r.entity_id}`;
    if (wanted.has(key)) out.set(key, { entity: JSON.parse(r.body) as ListEntity, version_id: r.version_id });
  }
  return out;
}

// ------------------------------------------------------------------ diff

export interface EntitySummary {
  entity_id: string;
  name: string;
  type: string;
  programmes: string[];
}

export interface ListVersionDiff {
  from: ListVersionView;
  to: ListVersionView;
  counts: { added: number; removed: number; changed: number; unchanged: number };
  added: EntitySummary[];
  removed: EntitySummary[];
  changed: Array<EntitySummary & { fields: DiffField[]; before: Partial<ListEntity>; after: Partial<ListEntity> }>;
  /** true when more entities differ than `limit` per kind: the counts are complete, the lists are not. */
  truncated: boolean;
}

const summaryOf = (e: ListEntity): EntitySummary => ({ entity_id: e.entity_id, name: e.name, type: e.type, programmes: e.programmes });
const pick = (e: ListEntity, fields: DiffField[]): Partial<ListEntity> => Object.fromEntries(fields.map((f) => [f, e[f] ?? null])) as Partial<ListEntity>;

async function bodiesOf(db: Db, versionId: string, ids: string[]): Promise<ListEntity[]> {
  const out: ListEntity[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db
      .selectFrom('screening_version_entities as ve')
      .innerJoin('screening_entity_bodies as b', 'b.sha256', 've.body_sha256')
      .select('b.body')
      .where('ve.version_id', '=', versionId)
      .where('ve.entity_id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const r of rows) out.push(JSON.parse(r.body) as ListEntity);
  }
  return out;
}

/** Diffs over more differing entities than this report counts from body hashes and no field detail. */
export const MAX_DIFF_DETAIL = 50_000;

/**
 * Entities added, removed and changed (with the fields that changed) between
 * two versions of one list. Entities whose stored bodies are identical are
 * unchanged without being read; the others go through `diffListVersions`.
 */
export async function diffVersions(db: Db, fromId: string, toId: string, limit = 500): Promise<ListVersionDiff> {
  const [from, to] = [await getListVersion(db, fromId), await getListVersion(db, toId)];
  if (from.list !== to.list) {
    throw new FabgateError('SCREENING_DIFF_LISTS_DIFFER', `${fromId} is a version of ${from.list}, ${toId} of ${to.list}: compare versions of one list`, 'invalid_input', { from: from.list, to: to.list });
  }
  const hashes = async (id: string) =>
    new Map((await db.selectFrom('screening_version_entities').select(['entity_id', 'body_sha256']).where('version_id', '=', id).execute()).map((r) => [r.entity_id, r.body_sha256]));
  const [a, b] = [await hashes(fromId), await hashes(toId)];
  const differ: string[] = [];
  const onlyA: string[] = [];
  const onlyB: string[] = [];
  let same = 0;
  for (const [id, h] of a) {
    const hb = b.get(id);
    if (hb === undefined) onlyA.push(id);
    else if (hb !== h) differ.push(id);
    else same++;
  }
  for (const id of b.keys()) if (!a.has(id)) onlyB.push(id);
  const byId = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  [differ, onlyA, onlyB].forEach((l) => l.sort(byId));
  if (differ.length + onlyA.length + onlyB.length > MAX_DIFF_DETAIL) {
    const [rem, add] = [await bodiesOf(db, fromId, onlyA.slice(0, limit)), await bodiesOf(db, toId, onlyB.slice(0, limit))];
    return {
      from,
      to,
      counts: { added: onlyB.length, removed: onlyA.length, changed: differ.length, unchanged: same },
      added: add.map(summaryOf),
      removed: rem.map(summaryOf),
      changed: [],
      truncated: true,
    };
  }
  const before = await bodiesOf(db, fromId, [...differ, ...onlyA]);
  const after = await bodiesOf(db, toId, [...differ, ...onlyB]);
  const d = diffListVersions(before, after);
  const sortE = <T extends { entity_id: string }>(l: T[]) => l.sort((x, y) => byId(x.entity_id, y.entity_id));
  sortE(d.added);
  sortE(d.removed);
  sortE(d.changed);
  return {
    from,
    to,
    // bodies that differ only in the order of aliases or addresses are not changes
    counts: { added: d.added.length, removed: d.removed.length, changed: d.changed.length, unchanged: same + d.unchanged },
    added: d.added.slice(0, limit).map(summaryOf),
    removed: d.removed.slice(0, limit).map(summaryOf),
    changed: d.changed.slice(0, limit).map((c) => ({ ...summaryOf(c.after), fields: c.fields, before: pick(c.before, c.fields), after: pick(c.after, c.fields) })),
    truncated: d.added.length > limit || d.removed.length > limit || d.changed.length > limit,
  };
}
