/**
 * Licences: issued from an approved case, amended by an approved amendment,
 * suspended, reinstated, revoked or surrendered by a decision, expired by the
 * clock and exhausted by use. `depleteLicence` is the one way quantity leaves
 * a licence; shipments and print tickets call it inside their own
 * transaction, and it can never take more than the balance, however many
 * requests race for it.
 */
import { sql } from 'kysely';
import type { Clock } from '../../shared/clock.js';
import { FabgateError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { isUniqueViolation } from '../../db/database.js';
import { licenceAction, licenceStatus, nextIssueSuffix, validityEnd, type LicenceStatus, type StoredLicenceStatus } from '../licence.js';
import type { ApplicationSnapshot } from '../model.js';
import { fromMilli, toMilli } from '../quantity.js';
import { licenceType } from '../reference.js';
import type { LicensingApplicationRow, LicensingDecisionRow, LicensingDepletionRow, LicensingLicenceItemRow, LicensingLicenceRow } from '../tables.js';
import { appendEvent, notFound, parseJson, SYSTEM_ACTOR, type Db, type LicensingActor, type Scope } from './common.js';
import { logDecision, logLicenceVersion, logUsage } from './records.js';

/** A condition on a licence: from the standard library (with its id) or free text. */
export interface LicenceCondition {
  id: string | null;
  text: string;
}

/** The parties as the licence names them: every detail the application gave, without the screening result. */
const partiesOf = (s: ApplicationSnapshot) => s.parties.map(({ screening: _s, origin_id: _o, ...p }) => p);

/** Issue a licence for an approved case (or an appeal allowed). */
export async function issueLicence(
  db: Db,
  now: Date,
  app: LicensingApplicationRow,
  snapshot: ApplicationSnapshot,
  grant: { conditions: LicenceCondition[]; validity_months?: number | null },
): Promise<LicensingLicenceRow> {
  const type = licenceType(app.licence_type);
  const months = type.default_validity_months === null ? null : (grant.validity_months ?? snapshot.content.requested_validity_months ?? type.default_validity_months);
  const at = now.toISOString();
  const lic: LicensingLicenceRow = {
    id: newId('lic'),
    reference: `${app.reference}/A`,
    application_id: app.id,
    holder_id: app.organisation_id,
    authority_id: app.authority_id!,
    licence_type: app.licence_type,
    status: 'active',
    valid_from: at,
    valid_to: validityEnd(now, months),
    destinations: JSON.stringify(snapshot.content.destinations ?? []),
    parties: JSON.stringify(partiesOf(snapshot)),
    conditions: JSON.stringify(grant.conditions),
    version: 1,
    issued_at: at,
    updated_at: at,
    last_case_id: app.id,
  };
  const items: LicensingLicenceItemRow[] = snapshot.items.map((i, n) => {
    const granted = type.quantities === 'none' || i.quantity === null ? null : toMilli(i.quantity);
    return { id: newId('lit'), licence_id: lic.id, position: n, origin_item_id: i.id, name: i.name, kind: i.kind, spec_sha256: i.spec_sha256, unit: i.unit, granted_milli: granted, remaining_milli: granted, value: i.value ? JSON.stringify(i.value) : null };
  });
  await db.insertInto('licensing_licences').values(lic).execute();
  if (items.length) await db.insertInto('licensing_licence_items').values(items).execute();
  await db.updateTable('licensing_applications').set({ licence_id: lic.id }).where('id', '=', app.id).execute();
  await logLicenceVersion(db, lic, items, 'licence.issued');
  return lic;
}

async function bumpVersion(db: Db, lic: LicensingLicenceRow, set: Partial<LicensingLicenceRow>, now: Date, caseId: string): Promise<LicensingLicenceRow> {
  const [base, suffix] = [lic.reference.slice(0, lic.reference.lastIndexOf('/')), lic.reference.slice(lic.reference.lastIndexOf('/') + 1)];
  const next: LicensingLicenceRow = { ...lic, ...set, version: lic.version + 1, reference: `${base}/${nextIssueSuffix(suffix)}`, updated_at: now.toISOString(), last_case_id: caseId };
  const r = await db
    .updateTable('licensing_licences')
    .set({ ...set, version: next.version, reference: next.reference, updated_at: next.updated_at, last_case_id: caseId })
    .where('id', '=', lic.id)
    .where('version', '=', lic.version)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new FabgateError('LICENSING_CONCURRENT_EDIT', 'the licence changed meanwhile', 'conflict');
  const items = await db.selectFrom('licensing_licence_items').selectAll().where('licence_id', '=', lic.id).execute();
  await logLicenceVersion(db, next, items, 'licence.amended');
  return next;
}

/**
 * Apply an approved amendment to its licence: quantities change by the
 * difference (what was used stays used), new items are added, removed items
 * keep what was used and nothing more, parties, destinations, validity and
 * conditions are replaced. The licence gets a new version and reference suffix.
 */
export async function amendLicence(db: Db, now: Date, app: LicensingApplicationRow, snapshot: ApplicationSnapshot, conditions: LicenceCondition[]): Promise<LicensingLicenceRow> {
  const lic = await db.selectFrom('licensing_licences').selectAll().where('id', '=', app.amends_licence_id!).executeTakeFirstOrThrow();
  const current = await db.selectFrom('licensing_licence_items').selectAll().where('licence_id', '=', lic.id).orderBy('position').execute();
  const byId = new Map(current.map((i) => [i.id, i]));
  const kept = new Set<string>();
  let position = current.length;
  const type = licenceType(lic.licence_type);
  for (const it of snapshot.items) {
    const granted = type.quantities === 'none' || it.quantity === null ? null : toMilli(it.quantity);
    const old = it.origin_id ? byId.get(it.origin_id) : undefined;
    if (old) {
      kept.add(old.id);
      const used = old.granted_milli === null ? 0 : Number(old.granted_milli) - Number(old.remaining_milli ?? 0);
      if (granted !== null && granted < used) throw new FabgateError('LICENSING_AMENDMENT_BELOW_USED', `“${it.name}”: ${fromMilli(used)} already used`, 'conflict');
      await db
        .updateTable('licensing_licence_items')
        .set({ name: it.name, kind: it.kind, spec_sha256: it.spec_sha256, unit: it.unit, granted_milli: granted, remaining_milli: granted === null ? null : granted - used, value: it.value ? JSON.stringify(it.value) : null })
        .where('id', '=', old.id)
        .execute();
    } else {
      await db
        .insertInto('licensing_licence_items')
        .values({ id: newId('lit'), licence_id: lic.id, position: position++, origin_item_id: it.id, name: it.name, kind: it.kind, spec_sha256: it.spec_sha256, unit: it.unit, granted_milli: granted, remaining_milli: granted, value: it.value ? JSON.stringify(it.value) : null })
        .execute();
    }
  }
  for (const old of current) {
    if (kept.has(old.id) || old.granted_milli === null) continue;
    // A removed item keeps exactly what was used: its balance is closed.
    const used = Number(old.granted_milli) - Number(old.remaining_milli ?? 0);
    await db.updateTable('licensing_licence_items').set({ granted_milli: used, remaining_milli: 0 }).where('id', '=', old.id).execute();
  }
  const validTo = snapshot.content.requested_valid_to ? new Date(`${snapshot.content.requested_valid_to}T00:00:00.000Z`).toISOString() : lic.valid_to;
  const next = await bumpVersion(
    db,
    lic,
    { destinations: JSON.stringify(snapshot.content.destinations ?? []), parties: JSON.stringify(partiesOf(snapshot)), conditions: JSON.stringify(conditions), valid_to: validTo },
    now,
    app.id,
  );
  await db.updateTable('licensing_applications').set({ licence_id: lic.id }).where('id', '=', app.id).execute();
  return next;
}

/** Replace a licence's conditions (an appeal against conditions allowed in part). */
export async function varyConditions(db: Db, now: Date, licenceId: string, conditions: LicenceCondition[], caseId: string): Promise<LicensingLicenceRow> {
  const lic = await db.selectFrom('licensing_licences').selectAll().where('id', '=', licenceId).executeTakeFirstOrThrow();
  return bumpVersion(db, lic, { conditions: JSON.stringify(conditions) }, now, caseId);
}

/* ------------------------------------------------------------- reading */

/** The licence row if the scope may see it: the holder, or the authority that issued it. */
export async function loadLicence(db: Db, id: string, scope: Scope): Promise<LicensingLicenceRow> {
  let q = db.selectFrom('licensing_licences').selectAll().where('id', '=', id);
  if (scope.side === 'exporter') q = q.where('holder_id', '=', scope.organisationId);
  if (scope.side === 'authority') q = q.where('authority_id', '=', scope.organisationId);
  const row = await q.executeTakeFirst();
  if (!row) throw notFound('licence', id);
  return row;
}

export function statusOf(l: LicensingLicenceRow, items: Array<Pick<LicensingLicenceItemRow, 'remaining_milli'>>, now: Date): LicenceStatus {
  return licenceStatus({ status: l.status as StoredLicenceStatus, valid_from: l.valid_from, valid_to: l.valid_to, remaining: items.map((i) => (i.remaining_milli === null ? null : Number(i.remaining_milli))) }, now);
}

/** A licence as both its holder and its authority see it. */
export async function licenceView(db: Db, l: LicensingLicenceRow, now: Date) {
  const [items, depletions, versions, orgs] = await Promise.all([
    db.selectFrom('licensing_licence_items').selectAll().where('licence_id', '=', l.id).orderBy('position').execute(),
    db.selectFrom('licensing_depletions').selectAll().where('licence_id', '=', l.id).orderBy('seq', 'desc').limit(50).execute(),
    db.selectFrom('licensing_licence_versions').select(['version', 'reference', 'at']).where('licence_id', '=', l.id).orderBy('version').execute(),
    db.selectFrom('organisations').select(['id', 'name']).where('id', 'in', [l.holder_id, l.authority_id]).execute(),
  ]);
  const name = (id: string) => orgs.find((o) => o.id === id)?.name ?? id;
  return {
    id: l.id,
    reference: l.reference,
    status: statusOf(l, items, now),
    licence_type: l.licence_type,
    application_id: l.application_id,
    holder: { id: l.holder_id, name: name(l.holder_id) },
    authority: { id: l.authority_id, name: name(l.authority_id) },
    valid_from: l.valid_from,
    valid_to: l.valid_to,
    destinations: JSON.parse(l.destinations) as string[],
    parties: JSON.parse(l.parties) as Array<{ id: string; role: string; name: string; country: string; type: string } & Record<string, unknown>>,
    conditions: JSON.parse(l.conditions) as LicenceCondition[],
    version: l.version,
    issued_at: l.issued_at,
    updated_at: l.updated_at,
    items: items.map((i) => ({
      id: i.id,
      origin_item_id: i.origin_item_id,
      name: i.name,
      kind: i.kind,
      unit: i.unit,
      granted: i.granted_milli === null ? null : fromMilli(Number(i.granted_milli)),
      remaining: i.remaining_milli === null ? null : fromMilli(Number(i.remaining_milli)),
      used: i.granted_milli === null ? null : fromMilli(Number(i.granted_milli) - Number(i.remaining_milli ?? 0)),
      value: parseJson<{ amount: number; currency: string }>(i.value),
    })),
    usage: depletions.map((d) => ({ id: d.id, licence_item_id: d.licence_item_id, quantity: fromMilli(Number(d.quantity_milli)), reason: d.reason, reference: d.reference, at: d.at })),
    versions,
  };
}
export type LicenceView = Awaited<ReturnType<typeof licenceView>>;

export const LICENCE_STATUSES = ['active', 'suspended', 'revoked', 'surrendered', 'expired', 'exhausted'] as const;

/** Licences of a holder or an authority, newest first, optionally by (computed) status. */
export async function listLicences(db: Db, scope: Scope, now: Date, opts: { status?: (typeof LICENCE_STATUSES)[number]; limit: number; before?: { issued_at: string; id: string } }): Promise<LicensingLicenceRow[]> {
  let q = db.selectFrom('licensing_licences as l').selectAll('l');
  if (scope.side === 'exporter') q = q.where('l.holder_id', '=', scope.organisationId);
  if (scope.side === 'authority') q = q.where('l.authority_id', '=', scope.organisationId);
  const nowIso = now.toISOString();
  const exhausted = sql<boolean>`(exists (select 1 from licensing_licence_items i where i.licence_id = l.id and i.remaining_milli is not null) and not exists (select 1 from licensing_licence_items i where i.licence_id = l.id and i.remaining_milli > 0))`;
  const live = sql<boolean>`(l.status = 'active' and (l.valid_to is null or l.valid_to > ${nowIso}))`;
  switch (opts.status) {
    case undefined:
      break;
    case 'suspended':
    case 'revoked':
    case 'surrendered':
      q = q.where('l.status', '=', opts.status);
      break;
    case 'expired':
      q = q.where('l.status', '=', 'active').where('l.valid_to', '<=', nowIso);
      break;
    case 'exhausted':
      q = q.where(live).where(exhausted);
      break;
    case 'active':
      q = q.where(live).where(sql<boolean>`not ${exhausted}`);
      break;
  }
  if (opts.before) {
    const b = opts.before;
    q = q.where((eb) => eb.or([eb('l.issued_at', '<', b.issued_at), eb.and([eb('l.issued_at', '=', b.issued_at), eb('l.id', '<', b.id)])]));
  }
  return q.orderBy('l.issued_at', 'desc').orderBy('l.id', 'desc').limit(opts.limit).execute();
}

/* ------------------------------------------------------------- acts */

const ACT_EVENTS: Record<string, string> = { suspend: 'licence.suspended', reinstate: 'licence.reinstated', revoke: 'licence.revoked', surrender: 'licence.surrendered' };

/**
 * Suspend, reinstate or revoke (the authority, with reasons) or surrender
 * (the holder): recorded as a licence decision and logged.
 */
export async function actOnLicence(db: Db, clock: Clock, actor: LicensingActor, l: LicensingLicenceRow, action: 'suspend' | 'reinstate' | 'revoke' | 'surrender', reasons: string): Promise<LicensingLicenceRow> {
  const items = await db.selectFrom('licensing_licence_items').select('remaining_milli').where('licence_id', '=', l.id).execute();
  const now = clock.now();
  const to = licenceAction(action, statusOf(l, items, now), action === 'surrender' ? 'holder' : 'licence_manager');
  const r = await db.updateTable('licensing_licences').set({ status: to, updated_at: now.toISOString() }).where('id', '=', l.id).where('status', '=', l.status).executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new FabgateError('LICENSING_CONCURRENT_EDIT', 'the licence changed meanwhile', 'conflict');
  const app = await db.selectFrom('licensing_applications').select(['id', 'reference']).where('id', '=', l.application_id).executeTakeFirstOrThrow();
  const previous = await db.selectFrom('licensing_decisions').select('id').where('licence_id', '=', l.id).orderBy('decided_at', 'desc').limit(1).executeTakeFirst();
  const decision: LicensingDecisionRow = {
    id: newId('dec'),
    application_id: app.id,
    case_reference: app.reference!,
    organisation_id: l.holder_id,
    authority_id: l.authority_id,
    kind: `licence_${to === 'active' ? 'reinstated' : to}`,
    decided_by: actor.userId ?? actor.id,
    decided_at: now.toISOString(),
    reasons,
    conditions: '[]',
    refusal_criteria: '[]',
    countersigned_by: '[]',
    licence_id: l.id,
    appeal_id: null,
    previous_decision_id: previous?.id ?? null,
    appeal_deadline: null,
  };
  await db.insertInto('licensing_decisions').values(decision).execute();
  await logDecision(db, decision, ACT_EVENTS[action]!);
  await appendEvent(db, { applicationId: app.id, at: now, actor, kind: 'licence', visibility: 'exporter', summary: `Licence ${l.reference} ${decision.kind.replace('licence_', '')}: ${reasons}`, details: { licence_id: l.id, decision_id: decision.id } });
  return { ...l, status: to, updated_at: now.toISOString() };
}

/* ------------------------------------------------------------- depletion */

export interface DepleteInput {
  licenceId: string;
  /** The licence item id, or the id of the application item it was granted for. */
  itemRef: string;
  quantity: number;
  /** Why: `shipment`, `print`, `usage_report` … */
  reason: string;
  /** The shipment, ticket or usage record: a second depletion with the same reference is refused (retries are safe). */
  reference?: string | null;
  actor?: LicensingActor;
  at?: Date;
}

export interface DepleteResult {
  depletion_id: string;
  licence_item_id: string;
  quantity: number;
  remaining: number | null;
}

/**
 * Take `quantity` off a licence item. The balance check and the subtraction
 * are one conditional UPDATE (`… where remaining_milli >= n` and the licence is
 * active and in its validity), so concurrent requests can never take more
 * than the balance on either engine: PostgreSQL re-checks the condition after
 * waiting for a competing writer's row lock, SQLite serialises writers. A
 * CHECK (remaining_milli >= 0) in the table stands behind it. Call it inside
 * the caller's transaction; an error leaves nothing written.
 */
export async function depleteLicence(db: Db, input: DepleteInput): Promise<DepleteResult> {
  const at = input.at ?? new Date();
  const n = toMilli(input.quantity);
  if (n === 0) throw new FabgateError('LICENSING_QUANTITY_INVALID', 'the quantity must be more than 0', 'invalid_input');
  if (!input.reason.trim()) throw new FabgateError('LICENSING_REASONS_REQUIRED', 'give the reason for the use', 'invalid_input');
  const item = await db
    .selectFrom('licensing_licence_items')
    .select(['id', 'licence_id', 'remaining_milli'])
    .where('licence_id', '=', input.licenceId)
    .where((eb) => eb.or([eb('id', '=', input.itemRef), eb('origin_item_id', '=', input.itemRef)]))
    .executeTakeFirst();
  if (!item) throw new FabgateError('LICENSING_LICENCE_ITEM_NOT_FOUND', `licence ${input.licenceId} has no item '${input.itemRef}'`, 'not_found');
  const lic = await db.selectFrom('licensing_licences').select(['id', 'authority_id']).where('id', '=', input.licenceId).executeTakeFirstOrThrow();
  const nowIso = at.toISOString();
  const depletion: Omit<LicensingDepletionRow, 'seq'> = {
    id: newId('use'),
    licence_id: input.licenceId,
    licence_item_id: item.id,
    quantity_milli: n,
    reason: input.reason,
    reference: input.reference ?? null,
    at: nowIso,
    actor_type: (input.actor ?? SYSTEM_ACTOR).type,
    actor_id: (input.actor ?? SYSTEM_ACTOR).id,
  };
  const active = sql<boolean>`exists (select 1 from licensing_licences l where l.id = ${input.licenceId} and l.status = 'active' and l.valid_from <= ${nowIso} and (l.valid_to is null or l.valid_to > ${nowIso}))`;
  const updated = await db
    .updateTable('licensing_licence_items')
    .set((eb) => ({ remaining_milli: eb('remaining_milli', '-', n) }))
    .where('id', '=', item.id)
    .where('remaining_milli', 'is not', null)
    .where('remaining_milli', '>=', n)
    .where(active)
    .returning('remaining_milli')
    .executeTakeFirst();
  let remaining: number | null;
  if (updated) remaining = Number(updated.remaining_milli);
  else if (item.remaining_milli === null) {
    // An item without a quantity (open licences carry none): only the licence status limits its use.
    const ok = await db.selectFrom('licensing_licences').select('id').where('id', '=', input.licenceId).where(active).executeTakeFirst();
    if (!ok) throw await notActive(db, input.licenceId, at);
    remaining = null;
  } else {
    const now = await db.selectFrom('licensing_licence_items').select('remaining_milli').where('id', '=', item.id).executeTakeFirstOrThrow();
    const stillActive = await db.selectFrom('licensing_licences').select('id').where('id', '=', input.licenceId).where(active).executeTakeFirst();
    if (!stillActive) throw await notActive(db, input.licenceId, at);
    throw new FabgateError('LICENSING_BALANCE_EXCEEDED', `only ${fromMilli(Number(now.remaining_milli))} left on this licence item`, 'conflict', {
      remaining: fromMilli(Number(now.remaining_milli)),
      requested: input.quantity,
    });
  }
  try {
    await db.insertInto('licensing_depletions').values(depletion).execute();
  } catch (e) {
    if (isUniqueViolation(e)) throw new FabgateError('LICENSING_DEPLETION_DUPLICATE', `reference '${input.reference}' was already used on this licence`, 'conflict');
    throw e;
  }
  await logUsage(db, depletion, lic.authority_id);
  return { depletion_id: depletion.id, licence_item_id: item.id, quantity: input.quantity, remaining: remaining === null ? null : fromMilli(remaining) };
}

async function notActive(db: Db, licenceId: string, at: Date): Promise<FabgateError> {
  const l = await db.selectFrom('licensing_licences').selectAll().where('id', '=', licenceId).executeTakeFirstOrThrow();
  const items = await db.selectFrom('licensing_licence_items').select('remaining_milli').where('licence_id', '=', licenceId).execute();
  const status = statusOf(l, items, at);
  const code = at.getTime() < Date.parse(l.valid_from) ? 'LICENSING_LICENCE_NOT_YET_VALID' : 'LICENSING_LICENCE_NOT_ACTIVE';
  return new FabgateError(code, `the licence is ${status}`, 'conflict', { status });
}
