/**
 * Stored parties, their hits, alerts and review decisions.
 *
 * A stored party is a customer of the organisation's register or a party of
 * one of its licensing applications. Each screening of a stored party
 * compares its matches with the hits of the previous screening by fingerprint
 * (`fingerprintOfDigests`: the party as screened and the listed entity's
 * matching-relevant content). Only a new hit, or a hit whose fingerprint
 * changed because the party or the entity changed, raises an alert — and not
 * even then when the organisation already decided on that fingerprint: a false
 * positive stays remembered until the entity or the party changes.
 *
 * Decisions are append-only rows and decisive events (`screening.decided`) of
 * the transparency log; every query is scoped by organisation.
 */
import type { Kysely } from 'kysely';
import type { Actor } from '../audit/trail.js';
import type { Tables } from '../db/tables.js';
import { logDecisiveEvent, registerRecordResolver } from '../ledger/decisive.js';
import type { Clock } from '../shared/clock.js';
import { FabgateError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { countryCode } from './lists/countries.js';
import { fingerprintOfDigests, partyDigest } from './match/fingerprint.js';
import { DEFAULT_THRESHOLD, type Match, type Party } from './match/types.js';
import type { ListEntity } from './model.js';
import { entityKey, type IndexSnapshot } from './runtime.js';
import type { ScreeningAlertRow, ScreeningDecisionRow, ScreeningPartyRow } from './tables.js';
import { getListedEntity } from './versions.js';

type Db = Kysely<Tables>;

export const DECISION_EVENT = 'screening.decided';
export const DECISION_RECORD_TYPE = 'screening_decision';

export const MAX_REASON = 2000;
export const MAX_PARTY_NAME = 300;

export type PartyKind = 'customer' | 'application_party';
export type Decision = 'true_positive' | 'false_positive';

/** A party as screening sees it, with what identifies it in the organisation's records. */
export interface StoredParty {
  kind: PartyKind;
  ref: string;
  organisationId: string;
  party: Party;
  /** For application parties: which application and role. */
  context?: { application_id: string; application_reference: string | null; role: string };
}

export const milli = (score: number) => Math.round(score * 1000);

/** The party fields a fingerprint and a decision record keep: name, country code, type, date of birth. */
export function partySnapshot(p: Party): { name: string; country: string | null; type: string | null; dob: string | null } {
  return { name: p.name, country: countryCode(p.country) ?? p.country ?? null, type: p.type ?? null, dob: p.dob ?? null };
}

// ------------------------------------------------------------------ screening a stored party

export interface StoredScreening {
  matches: Match[];
  /** Alerts raised by this screening. */
  alerts: string[];
  /** Matches whose fingerprint has a decision of the organisation: not raised again. */
  remembered: number;
}

/**
 * Screen a stored party against the snapshot and update its hits and alerts in
 * the caller's transaction.
 */
export async function screenStoredParty(trx: Db, clock: Clock, snap: IndexSnapshot, sp: StoredParty, trigger: string, threshold = DEFAULT_THRESHOLD): Promise<StoredScreening> {
  const now = clock.now().toISOString();
  const matches = snap.screener ? snap.screener.screen(sp.party, { threshold, limit: 20 }) : [];
  const pd = partyDigest(sp.party);
  const hits = await trx.selectFrom('screening_hits').selectAll().where('party_kind', '=', sp.kind).where('party_ref', '=', sp.ref).execute();
  const previous = new Map(hits.map((h) => [entityKey(h.list, h.entity_id), h]));
  const fingerprints = matches.map((m) => {
    const e = snap.entities.get(entityKey(m.list, m.entity_id));
    if (!e) throw new FabgateError('INTERNAL', `entity ${m.entity_id} of ${m.list} is in the index but not in its snapshot`, 'internal');
    return { fp: fingerprintOfDigests(pd, e.digest), entity: e };
  });
  const decided = await decidedFingerprints(trx, sp.organisationId, fingerprints.map((f) => f.fp));
  const alerts: string[] = [];
  let remembered = 0;
  const seen = new Set<string>();
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i]!;
    const { fp, entity } = fingerprints[i]!;
    const key = entityKey(m.list, m.entity_id);
    seen.add(key);
    const before = previous.get(key);
    if (before) {
      await trx
        .updateTable('screening_hits')
        .set({ fingerprint: fp, score_milli: milli(m.score), last_seen_at: now })
        .where('party_kind', '=', sp.kind)
        .where('party_ref', '=', sp.ref)
        .where('list', '=', m.list)
        .where('entity_id', '=', m.entity_id)
        .execute();
    } else {
      await trx
        .insertInto('screening_hits')
        .values({ organisation_id: sp.organisationId, party_kind: sp.kind, party_ref: sp.ref, list: m.list, entity_id: m.entity_id, fingerprint: fp, score_milli: milli(m.score), first_seen_at: now, last_seen_at: now })
        .execute();
    }
    if (before && before.fingerprint === fp) continue; // the same hit as last time: nothing new to review
    if (decided.has(fp)) {
      remembered++;
      continue;
    }
    const open = await trx
      .selectFrom('screening_alerts')
      .select(['id', 'fingerprint'])
      .where('party_kind', '=', sp.kind)
      .where('party_ref', '=', sp.ref)
      .where('list', '=', m.list)
      .where('entity_id', '=', m.entity_id)
      .where('state', '=', 'open')
      .execute();
    if (open.some((a) => a.fingerprint === fp)) continue;
    if (open.length) {
      await trx.updateTable('screening_alerts').set({ state: 'superseded', closed_at: now }).where('id', 'in', open.map((a) => a.id)).execute();
    }
    const id = newId('sal');
    await trx
      .insertInto('screening_alerts')
      .values({
        id,
        organisation_id: sp.organisationId,
        party_kind: sp.kind,
        party_ref: sp.ref,
        party: JSON.stringify({ ...partySnapshot(sp.party), ...(sp.context ?? {}) }),
        list: m.list,
        entity_id: m.entity_id,
        version_id: entity.version_id,
        entity_digest: entity.digest,
        fingerprint: fp,
        score_milli: milli(m.score),
        matched_name: m.matched_name,
        match: JSON.stringify(m),
        reason: before ? 'changed' : 'new',
        trigger,
        state: 'open',
        created_at: now,
        closed_at: null,
        decision_id: null,
      })
      .execute();
    alerts.push(id);
  }
  const gone = hits.filter((h) => !seen.has(entityKey(h.list, h.entity_id)));
  for (const h of gone) {
    await trx.deleteFrom('screening_hits').where('party_kind', '=', sp.kind).where('party_ref', '=', sp.ref).where('list', '=', h.list).where('entity_id', '=', h.entity_id).execute();
  }
  if (sp.kind === 'customer') {
    await trx.updateTable('screening_parties').set({ screened_at: now, screened_generation: snap.generation }).where('id', '=', sp.ref).execute();
  }
  return { matches, alerts, remembered };
}

async function decidedFingerprints(db: Db, organisationId: string, fps: string[]): Promise<Set<string>> {
  if (fps.length === 0) return new Set();
  const rows = await db.selectFrom('screening_decisions').select('fingerprint').where('organisation_id', '=', organisationId).where('fingerprint', 'in', fps).execute();
  return new Set(rows.map((r) => r.fingerprint));
}

// ------------------------------------------------------------------ the customer register

export interface PartyInput {
  name: string;
  country?: string | undefined;
  type?: 'person' | 'organisation' | undefined;
  dob?: string | undefined;
  reference?: string | undefined;
}

export interface PartyView {
  id: string;
  name: string;
  country: string | null;
  type: string | null;
  dob: string | null;
  reference: string | null;
  revision: number;
  created_at: string;
  updated_at: string;
  screened_at: string | null;
  /** clear: no hit at the last screening; hits: at least one; not_screened: no list was active. */
  status: 'clear' | 'hits' | 'not_screened';
  hits: number;
  open_alerts: number;
}

export const partyOfRow = (r: Pick<ScreeningPartyRow, 'id' | 'name' | 'country' | 'type' | 'dob'>): Party => ({
  id: r.id,
  name: r.name,
  ...(r.country ? { country: r.country } : {}),
  ...(r.type ? { type: r.type as Party['type'] } : {}),
  ...(r.dob ? { dob: r.dob } : {}),
});

function cleanInput(input: PartyInput): { name: string; country: string | null; type: string | null; dob: string | null; reference: string | null } {
  const name = input.name.trim().replace(/\s+/g, ' ');
  if (!name) throw new FabgateError('SCREENING_PARTY_NAME_REQUIRED', 'give the party a name', 'invalid_input', { field: 'name' });
  if (name.length > MAX_PARTY_NAME) throw new FabgateError('SCREENING_PARTY_NAME_TOO_LONG', `party names have at most ${MAX_PARTY_NAME} characters`, 'invalid_input', { field: 'name' });
  let country: string | null = null;
  if (input.country?.trim()) {
    const code = countryCode(input.country.trim());
    if (!code) throw new FabgateError('SCREENING_COUNTRY_UNKNOWN', `not a country: ${input.country}`, 'invalid_input', { field: 'country' });
    country = code;
  }
  if (input.dob && input.type !== 'person') throw new FabgateError('SCREENING_DOB_NOT_PERSON', 'a date of birth belongs to a person: set type "person"', 'invalid_input', { field: 'dob' });
  return { name, country, type: input.type ?? null, dob: input.dob?.trim() || null, reference: input.reference?.trim() || null };
}

const partyNotFound = (id: string) => new FabgateError('SCREENING_PARTY_NOT_FOUND', `no party ${id}`, 'not_found', { id });

async function partyRow(db: Db, organisationId: string, id: string): Promise<ScreeningPartyRow> {
  const row = await db.selectFrom('screening_parties').selectAll().where('id', '=', id).where('organisation_id', '=', organisationId).executeTakeFirst();
  if (!row) throw partyNotFound(id);
  return row;
}

async function partyViews(db: Db, rows: ScreeningPartyRow[]): Promise<PartyView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const hits = new Map<string, number>();
  const alerts = new Map<string, number>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    for (const h of await db.selectFrom('screening_hits').select(['party_ref']).where('party_kind', '=', 'customer').where('party_ref', 'in', chunk).execute()) hits.set(h.party_ref, (hits.get(h.party_ref) ?? 0) + 1);
    for (const a of await db.selectFrom('screening_alerts').select(['party_ref']).where('party_kind', '=', 'customer').where('party_ref', 'in', chunk).where('state', '=', 'open').execute()) alerts.set(a.party_ref, (alerts.get(a.party_ref) ?? 0) + 1);
  }
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    country: r.country,
    type: r.type,
    dob: r.dob,
    reference: r.reference,
    revision: Number(r.revision),
    created_at: r.created_at,
    updated_at: r.updated_at,
    screened_at: r.screened_at,
    status: r.screened_at === null || r.screened_generation === null || Number(r.screened_generation) === 0 ? 'not_screened' : (hits.get(r.id) ?? 0) > 0 ? 'hits' : 'clear',
    hits: hits.get(r.id) ?? 0,
    open_alerts: alerts.get(r.id) ?? 0,
  }));
}

export const customerOf = (row: ScreeningPartyRow): StoredParty => ({ kind: 'customer', ref: row.id, organisationId: row.organisation_id, party: partyOfRow(row) });

/** Add a customer and screen it at once (trigger `party_created`). */
export async function createParty(trx: Db, clock: Clock, snap: IndexSnapshot, input: { organisationId: string; actor: Actor; party: PartyInput }): Promise<{ party: PartyView; screening: StoredScreening }> {
  const c = cleanInput(input.party);
  const now = clock.now().toISOString();
  const row: ScreeningPartyRow = {
    id: newId('spt'),
    organisation_id: input.organisationId,
    ...c,
    revision: 1,
    created_at: now,
    created_by: input.actor.id,
    updated_at: now,
    updated_by: input.actor.id,
    screened_at: null,
    screened_generation: null,
  };
  await trx.insertInto('screening_parties').values(row).execute();
  const screening = await screenStoredParty(trx, clock, snap, customerOf(row), 'party_created');
  return { party: (await partyViews(trx, [await partyRow(trx, input.organisationId, row.id)]))[0]!, screening };
}

/** Change a customer (refused with SCREENING_PARTY_STALE when `revision` is not the current one) and screen it again. */
export async function updateParty(
  trx: Db,
  clock: Clock,
  snap: IndexSnapshot,
  input: { organisationId: string; actor: Actor; id: string; party: PartyInput; revision?: number },
): Promise<{ party: PartyView; screening: StoredScreening }> {
  const current = await partyRow(trx, input.organisationId, input.id);
  const c = cleanInput(input.party);
  const revision = Number(current.revision);
  if (input.revision !== undefined && input.revision !== revision) {
    throw new FabgateError('SCREENING_PARTY_STALE', `party ${input.id} is at revision ${revision}, not ${input.revision}: reload it`, 'conflict', { revision });
  }
  const r = await trx
    .updateTable('screening_parties')
    .set({ ...c, revision: revision + 1, updated_at: clock.now().toISOString(), updated_by: input.actor.id })
    .where('id', '=', input.id)
    .where('organisation_id', '=', input.organisationId)
    .where('revision', '=', revision)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) throw new FabgateError('SCREENING_PARTY_STALE', `party ${input.id} changed meanwhile: reload it`, 'conflict');
  const row = await partyRow(trx, input.organisationId, input.id);
  const screening = await screenStoredParty(trx, clock, snap, customerOf(row), 'party_updated');
  return { party: (await partyViews(trx, [await partyRow(trx, input.organisationId, row.id)]))[0]!, screening };
}

/** Screen a customer again now (trigger `manual`). */
export async function rescreenParty(trx: Db, clock: Clock, snap: IndexSnapshot, organisationId: string, id: string): Promise<{ party: PartyView; screening: StoredScreening }> {
  const row = await partyRow(trx, organisationId, id);
  const screening = await screenStoredParty(trx, clock, snap, customerOf(row), 'manual');
  return { party: (await partyViews(trx, [await partyRow(trx, organisationId, id)]))[0]!, screening };
}

/** Remove a customer: its hits go, its open alerts close as `party_removed`; decisions stay (they are evidence). */
export async function deleteParty(trx: Db, clock: Clock, organisationId: string, id: string): Promise<void> {
  await partyRow(trx, organisationId, id);
  await trx.deleteFrom('screening_hits').where('party_kind', '=', 'customer').where('party_ref', '=', id).execute();
  await trx.updateTable('screening_alerts').set({ state: 'party_removed', closed_at: clock.now().toISOString() }).where('party_kind', '=', 'customer').where('party_ref', '=', id).where('state', '=', 'open').execute();
  await trx.deleteFrom('screening_parties').where('id', '=', id).where('organisation_id', '=', organisationId).execute();
}

export async function listParties(db: Db, organisationId: string): Promise<PartyView[]> {
  const rows = await db.selectFrom('screening_parties').selectAll().where('organisation_id', '=', organisationId).orderBy('name').orderBy('id').execute();
  return partyViews(db, rows);
}

export interface HitView {
  list: string;
  entity_id: string;
  score: number;
  fingerprint: string;
  first_seen_at: string;
  last_seen_at: string;
  /** The organisation's latest decision on this exact hit, if any. */
  decision: DecisionView | null;
  /** The open alert of this hit, if any. */
  open_alert: string | null;
}

export async function getParty(db: Db, organisationId: string, id: string): Promise<{ party: PartyView; hits: HitView[]; alerts: AlertView[] }> {
  const row = await partyRow(db, organisationId, id);
  const hits = await db.selectFrom('screening_hits').selectAll().where('party_kind', '=', 'customer').where('party_ref', '=', id).orderBy('score_milli', 'desc').execute();
  const decisions = await latestDecisions(db, organisationId, hits.map((h) => h.fingerprint));
  const alerts = await db.selectFrom('screening_alerts').selectAll().where('party_kind', '=', 'customer').where('party_ref', '=', id).orderBy('seq', 'desc').execute();
  const open = new Map(alerts.filter((a) => a.state === 'open').map((a) => [entityKey(a.list, a.entity_id), a.id]));
  return {
    party: (await partyViews(db, [row]))[0]!,
    hits: hits.map((h) => ({
      list: h.list,
      entity_id: h.entity_id,
      score: Number(h.score_milli) / 1000,
      fingerprint: h.fingerprint,
      first_seen_at: h.first_seen_at,
      last_seen_at: h.last_seen_at,
      decision: decisions.get(h.fingerprint) ?? null,
      open_alert: open.get(entityKey(h.list, h.entity_id)) ?? null,
    })),
    alerts: await alertViews(db, alerts),
  };
}

// ------------------------------------------------------------------ alerts

export interface AlertView {
  id: string;
  party_kind: PartyKind;
  party_ref: string;
  party: { name: string; country: string | null; type: string | null; dob: string | null; application_id?: string; application_reference?: string | null; role?: string };
  list: string;
  entity_id: string;
  version_id: string;
  /** The hit's fingerprint: a decision on it answers every open alert with the same one. */
  fingerprint: string;
  score: number;
  matched_name: string;
  match: Match;
  reason: 'new' | 'changed';
  trigger: string;
  state: 'open' | 'decided' | 'superseded' | 'party_removed';
  created_at: string;
  closed_at: string | null;
  decision: DecisionView | null;
}

async function alertViews(db: Db, rows: Array<Omit<ScreeningAlertRow, 'seq'>>): Promise<AlertView[]> {
  const ids = rows.map((r) => r.decision_id).filter((x): x is string => x !== null);
  const decisions = new Map<string, DecisionView>();
  if (ids.length) {
    const drows = await db.selectFrom('screening_decisions').selectAll().where('id', 'in', ids).execute();
    for (const d of await decisionViews(db, drows)) decisions.set(d.id, d);
  }
  return rows.map((r) => ({
    id: r.id,
    party_kind: r.party_kind as PartyKind,
    party_ref: r.party_ref,
    party: JSON.parse(r.party) as AlertView['party'],
    list: r.list,
    entity_id: r.entity_id,
    version_id: r.version_id,
    fingerprint: r.fingerprint,
    score: Number(r.score_milli) / 1000,
    matched_name: r.matched_name,
    match: JSON.parse(r.match) as Match,
    reason: r.reason as AlertView['reason'],
    trigger: r.trigger,
    state: r.state as AlertView['state'],
    created_at: r.created_at,
    closed_at: r.closed_at,
    decision: r.decision_id ? (decisions.get(r.decision_id) ?? null) : null,
  }));
}

/** The organisation's alerts, newest first (open ones by default). */
export async function listAlerts(db: Db, organisationId: string, opts: { state?: string; limit?: number } = {}): Promise<AlertView[]> {
  const state = opts.state ?? 'open';
  let q = db.selectFrom('screening_alerts').selectAll().where('organisation_id', '=', organisationId);
  if (state !== 'all') q = q.where('state', '=', state);
  return alertViews(db, await q.orderBy('seq', 'desc').limit(opts.limit ?? 500).execute());
}

const alertNotFound = (id: string) => new FabgateError('SCREENING_ALERT_NOT_FOUND', `no alert ${id}`, 'not_found', { id });

/** One alert with the listed entity as it stood in the version that raised it, and earlier decisions on the same party and entity. */
export async function getAlert(db: Db, organisationId: string, id: string): Promise<{ alert: AlertView; entity: ListEntity; history: DecisionView[] }> {
  const row = await db.selectFrom('screening_alerts').selectAll().where('id', '=', id).where('organisation_id', '=', organisationId).executeTakeFirst();
  if (!row) throw alertNotFound(id);
  const { entity } = await getListedEntity(db, row.list, row.entity_id, row.version_id);
  const history = await db
    .selectFrom('screening_decisions')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .where('list', '=', row.list)
    .where('entity_id', '=', row.entity_id)
    .where((eb) => eb.or([eb('party_ref', '=', row.party_ref), eb('fingerprint', '=', row.fingerprint)]))
    .orderBy('seq', 'desc')
    .execute();
  return { alert: (await alertViews(db, [row]))[0]!, entity, history: await decisionViews(db, history) };
}

// ------------------------------------------------------------------ decisions

export interface DecisionView {
  id: string;
  fingerprint: string;
  party: { name: string; country: string | null; type: string | null; dob: string | null };
  party_kind: string | null;
  party_ref: string | null;
  list: string;
  entity_id: string;
  version_id: string;
  matched_name: string;
  score: number;
  decision: Decision;
  reason: string;
  alert_id: string | null;
  decided_at: string;
  /** Who decided; `name` is the user's display name (null for other actors). */
  decided_by: { type: string; id: string; name: string | null };
  /** Its event in the transparency log. */
  log: { leaf_index: number | null; commitment: string } | null;
}

/**
 * The immutable record a decision commits to, rebuilt from its row alone
 * (scores as integer thousandths: the log's records hold no fractions).
 */
export function decisionRecordOf(row: Omit<ScreeningDecisionRow, 'seq'>): Record<string, unknown> {
  try {
    return {
      id: row.id,
      organisation_id: row.organisation_id,
      fingerprint: row.fingerprint,
      party_digest: row.party_digest,
      entity_digest: row.entity_digest,
      party: JSON.parse(row.party) as unknown,
      party_kind: row.party_kind,
      party_ref: row.party_ref,
      list: row.list,
      entity_id: row.entity_id,
      version_id: row.version_id,
      matched_name: row.matched_name,
      score_milli: Number(row.score_milli),
      decision: row.decision,
      reason: row.reason,
      alert_id: row.alert_id,
      decided_at: row.decided_at,
      decided_by: { type: row.decided_by_type, id: row.decided_by },
    };
  } catch {
    return { id: row.id, unreadable: true };
  }
}

registerRecordResolver(DECISION_RECORD_TYPE, {
  async load(db, recordId) {
    const row = await db.selectFrom('screening_decisions').selectAll().where('id', '=', recordId).executeTakeFirst();
    return row ? decisionRecordOf(row) : undefined;
  },
  async list(db) {
    return (await db.selectFrom('screening_decisions').select('id').orderBy('id').execute()).map((r) => r.id);
  },
});

async function decisionViews(db: Db, rows: Array<Omit<ScreeningDecisionRow, 'seq'>>): Promise<DecisionView[]> {
  const logs = new Map<string, { leaf_index: number | null; commitment: string }>();
  if (rows.length) {
    const ev = await db
      .selectFrom('ledger_events')
      .select(['record_id', 'leaf_index', 'commitment'])
      .where('record_type', '=', DECISION_RECORD_TYPE)
      .where('record_id', 'in', rows.map((r) => r.id))
      .execute();
    for (const e of ev) logs.set(e.record_id, { leaf_index: e.leaf_index === null ? null : Number(e.leaf_index), commitment: e.commitment });
  }
  // an officer reads who decided, not an id
  const userIds = [...new Set(rows.filter((r) => r.decided_by_type === 'user').map((r) => r.decided_by))];
  const names = new Map(
    userIds.length ? (await db.selectFrom('users').select(['id', 'display_name']).where('id', 'in', userIds).execute()).map((u) => [u.id, u.display_name]) : [],
  );
  return rows.map((r) => ({
    id: r.id,
    fingerprint: r.fingerprint,
    party: JSON.parse(r.party) as DecisionView['party'],
    party_kind: r.party_kind,
    party_ref: r.party_ref,
    list: r.list,
    entity_id: r.entity_id,
    version_id: r.version_id,
    matched_name: r.matched_name,
    score: Number(r.score_milli) / 1000,
    decision: r.decision as Decision,
    reason: r.reason,
    alert_id: r.alert_id,
    decided_at: r.decided_at,
    decided_by: { type: r.decided_by_type, id: r.decided_by, name: names.get(r.decided_by) ?? null },
    log: logs.get(r.id) ?? null,
  }));
}

/** The latest decision of the organisation per fingerprint. */
export async function latestDecisions(db: Db, organisationId: string, fingerprints: string[]): Promise<Map<string, DecisionView>> {
  const out = new Map<string, DecisionView>();
  const fps = [...new Set(fingerprints)];
  if (fps.length === 0) return out;
  const rows = await db.selectFrom('screening_decisions').selectAll().where('organisation_id', '=', organisationId).where('fingerprint', 'in', fps).orderBy('seq').execute();
  for (const d of await decisionViews(db, rows)) out.set(d.fingerprint, d);
  return out;
}

export async function listDecisions(db: Db, organisationId: string, limit = 500): Promise<DecisionView[]> {
  return decisionViews(db, await db.selectFrom('screening_decisions').selectAll().where('organisation_id', '=', organisationId).orderBy('seq', 'desc').limit(limit).execute());
}

function checkReason(reason: string): string {
  const r = reason.trim();
  if (!r) throw new FabgateError('SCREENING_REASON_REQUIRED', 'say why: a decision needs a reason', 'invalid_input', { field: 'reason' });
  if (r.length > MAX_REASON) throw new FabgateError('SCREENING_REASON_TOO_LONG', `reasons have at most ${MAX_REASON} characters`, 'invalid_input', { field: 'reason' });
  return r;
}

interface DecisionInput {
  organisationId: string;
  actor: Actor;
  decision: Decision;
  reason: string;
}

async function insertDecision(trx: Db, clock: Clock, row: Omit<ScreeningDecisionRow, 'seq'>): Promise<DecisionView> {
  await trx.insertInto('screening_decisions').values(row).execute();
  // Every open alert of the organisation on this exact hit is answered by the decision.
  await trx
    .updateTable('screening_alerts')
    .set({ state: 'decided', closed_at: row.decided_at, decision_id: row.id })
    .where('organisation_id', '=', row.organisation_id)
    .where('fingerprint', '=', row.fingerprint)
    .where('state', '=', 'open')
    .execute();
  const logged = await logDecisiveEvent(trx, {
    type: DECISION_EVENT,
    recordType: DECISION_RECORD_TYPE,
    recordId: row.id,
    record: decisionRecordOf(row),
    at: new Date(row.decided_at),
    organisationId: row.organisation_id,
  });
  const [view] = await decisionViews(trx, [row]);
  return { ...view!, log: { leaf_index: null, commitment: logged.commitment } };
}

const actorId = (a: Actor) => {
  if (!a.id) throw new FabgateError('SCREENING_DECIDER_REQUIRED', 'a decision needs a named user or token', 'forbidden');
  return a.id;
};

/** Decide an open alert: true or false positive, with a reason. Closes every open alert on the same hit. */
export async function decideAlert(trx: Db, clock: Clock, input: DecisionInput & { alertId: string }): Promise<DecisionView> {
  const alert = await trx.selectFrom('screening_alerts').selectAll().where('id', '=', input.alertId).where('organisation_id', '=', input.organisationId).executeTakeFirst();
  if (!alert) throw alertNotFound(input.alertId);
  if (alert.state !== 'open') throw new FabgateError('SCREENING_ALERT_CLOSED', `alert ${alert.id} is ${alert.state.replace(/_/g, ' ')}`, 'conflict', { state: alert.state });
  const party = JSON.parse(alert.party) as AlertView['party'];
  const snapshot = { name: party.name, country: party.country, type: party.type, dob: party.dob };
  return insertDecision(trx, clock, {
    id: newId('scd'),
    organisation_id: input.organisationId,
    fingerprint: alert.fingerprint,
    party_digest: partyDigest({ id: alert.party_ref, name: party.name, ...(party.country ? { country: party.country } : {}), ...(party.type ? { type: party.type as Party['type'] } : {}), ...(party.dob ? { dob: party.dob } : {}) }),
    entity_digest: alert.entity_digest,
    party: JSON.stringify(snapshot),
    party_kind: alert.party_kind,
    party_ref: alert.party_ref,
    list: alert.list,
    entity_id: alert.entity_id,
    version_id: alert.version_id,
    matched_name: alert.matched_name,
    score_milli: Number(alert.score_milli),
    decision: input.decision,
    reason: checkReason(input.reason),
    alert_id: alert.id,
    decided_at: clock.now().toISOString(),
    decided_by_type: input.actor.type,
    decided_by: actorId(input.actor),
  });
}

/**
 * Decide on a hit seen in an ad hoc screening: the party as screened and an
 * entity of the active version of its list. The score and matched name are
 * taken from screening the party again, not from the caller.
 */
export async function decideHit(trx: Db, clock: Clock, snap: IndexSnapshot, input: DecisionInput & { party: Party; list: string; entityId: string }): Promise<DecisionView> {
  const entity = snap.entities.get(entityKey(input.list, input.entityId));
  if (!entity) throw new FabgateError('SCREENING_ENTITY_NOT_FOUND', `no entity ${input.entityId} in the active version of ${input.list}`, 'not_found', { list: input.list, entity_id: input.entityId });
  const match = snap.screener?.screen(input.party, { threshold: 0, limit: 100 }).find((m) => m.list === input.list && m.entity_id === input.entityId);
  const listed = match ? undefined : await getListedEntity(trx, input.list, input.entityId, entity.version_id);
  const pd = partyDigest(input.party);
  return insertDecision(trx, clock, {
    id: newId('scd'),
    organisation_id: input.organisationId,
    fingerprint: fingerprintOfDigests(pd, entity.digest),
    party_digest: pd,
    entity_digest: entity.digest,
    party: JSON.stringify(partySnapshot(input.party)),
    party_kind: null,
    party_ref: null,
    list: input.list,
    entity_id: input.entityId,
    version_id: entity.version_id,
    matched_name: match?.matched_name ?? listed!.entity.name,
    score_milli: match ? milli(match.score) : 0,
    decision: input.decision,
    reason: checkReason(input.reason),
    alert_id: null,
    decided_at: clock.now().toISOString(),
    decided_by_type: input.actor.type,
    decided_by: actorId(input.actor),
  });
}
