/**
 * The decisive records licensing writes to the transparency log — decisions,
 * licence versions (issue and amendment) and usage (depletions) — rebuilt
 * exactly from their rows, and the resolvers `fabgate log audit` uses to
 * rebuild them later and detect any alteration (LEAF-FORMAT.md §2: the log
 * holds a salted commitment, the record stays here).
 */
import { logDecisiveEvent, registerRecordResolver } from '../../ledger/decisive.js';
import type { LicensingDecisionRow, LicensingDepletionRow, LicensingLicenceItemRow, LicensingLicenceRow } from '../tables.js';
import type { Db } from './common.js';

export const DECISION_RECORD = 'licensing_decision';
export const LICENCE_RECORD = 'licence';
export const USAGE_RECORD = 'licence_usage';

/** A decision as logged: every column, JSON columns parsed. */
export function decisionRecord(r: LicensingDecisionRow) {
  return {
    id: r.id,
    application_id: r.application_id,
    case_reference: r.case_reference,
    holder_id: r.organisation_id,
    authority_id: r.authority_id,
    kind: r.kind,
    decided_by: r.decided_by,
    decided_at: r.decided_at,
    reasons: r.reasons,
    conditions: JSON.parse(r.conditions) as unknown,
    refusal_criteria: JSON.parse(r.refusal_criteria) as unknown,
    countersigned_by: JSON.parse(r.countersigned_by) as unknown,
    licence_id: r.licence_id,
    appeal_id: r.appeal_id,
    previous_decision_id: r.previous_decision_id,
    appeal_deadline: r.appeal_deadline,
  };
}

/** A licence version as logged: what was granted, to whom, where, under which conditions, for how long. Balances and status are not part of it. */
export function licenceRecord(l: LicensingLicenceRow, items: LicensingLicenceItemRow[]) {
  return {
    id: l.id,
    version: l.version,
    reference: l.reference,
    application_id: l.last_case_id,
    holder_id: l.holder_id,
    authority_id: l.authority_id,
    licence_type: l.licence_type,
    valid_from: l.valid_from,
    valid_to: l.valid_to,
    destinations: JSON.parse(l.destinations) as unknown,
    parties: JSON.parse(l.parties) as unknown,
    conditions: JSON.parse(l.conditions) as unknown,
    items: [...items]
      .sort((a, b) => a.position - b.position)
      .map((i) => ({ id: i.id, name: i.name, kind: i.kind, spec_sha256: i.spec_sha256, unit: i.unit, granted_milli: i.granted_milli === null ? null : Number(i.granted_milli), value: i.value === null ? null : (JSON.parse(i.value) as unknown) })),
  };
}

export function usageRecord(d: Omit<LicensingDepletionRow, 'seq'>) {
  return {
    id: d.id,
    licence_id: d.licence_id,
    licence_item_id: d.licence_item_id,
    quantity_milli: Number(d.quantity_milli),
    reason: d.reason,
    reference: d.reference,
    at: d.at,
    actor_type: d.actor_type,
    actor_id: d.actor_id,
  };
}

export const licenceVersionId = (licenceId: string, version: number) => `${licenceId}:v${version}`;

/** Log a decision (inside the transaction that wrote it). */
export async function logDecision(db: Db, r: LicensingDecisionRow, eventType: string): Promise<void> {
  await logDecisiveEvent(db, { type: eventType, recordType: DECISION_RECORD, recordId: r.id, record: decisionRecord(r), at: new Date(r.decided_at), organisationId: r.authority_id });
}

/** Write the version row of a licence and log it (issue or amendment). */
export async function logLicenceVersion(db: Db, l: LicensingLicenceRow, items: LicensingLicenceItemRow[], eventType: 'licence.issued' | 'licence.amended'): Promise<void> {
  const record = licenceRecord(l, items);
  await db.insertInto('licensing_licence_versions').values({ licence_id: l.id, version: l.version, reference: l.reference, at: l.updated_at, record: JSON.stringify(record) }).execute();
  await logDecisiveEvent(db, { type: eventType, recordType: LICENCE_RECORD, recordId: licenceVersionId(l.id, l.version), record, at: new Date(l.updated_at), organisationId: l.authority_id });
}

export async function logUsage(db: Db, d: Omit<LicensingDepletionRow, 'seq'>, authorityId: string): Promise<void> {
  await logDecisiveEvent(db, { type: 'licence.used', recordType: USAGE_RECORD, recordId: d.id, record: usageRecord(d), at: new Date(d.at), organisationId: authorityId });
}

registerRecordResolver(DECISION_RECORD, {
  async load(db, id) {
    const r = await db.selectFrom('licensing_decisions').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? decisionRecord(r) : undefined;
  },
  async list(db) {
    return (await db.selectFrom('licensing_decisions').select('id').orderBy('decided_at').execute()).map((r) => r.id);
  },
});

registerRecordResolver(LICENCE_RECORD, {
  /**
   * The current version is rebuilt from the live licence rows (so editing a
   * licence in place shows); earlier versions from their version rows, which
   * the database keeps append-only.
   */
  async load(db, recordId) {
    const m = /^(.+):v(\d+)$/.exec(recordId);
    if (!m) return undefined;
    const [, id, v] = m;
    const l = await db.selectFrom('licensing_licences').selectAll().where('id', '=', id!).executeTakeFirst();
    if (!l) return undefined;
    if (l.version === Number(v)) return licenceRecord(l, await db.selectFrom('licensing_licence_items').selectAll().where('licence_id', '=', l.id).execute());
    const old = await db.selectFrom('licensing_licence_versions').select('record').where('licence_id', '=', id!).where('version', '=', Number(v)).executeTakeFirst();
    return old ? (JSON.parse(old.record) as unknown) : undefined;
  },
  async list(db) {
    return (await db.selectFrom('licensing_licence_versions').select(['licence_id', 'version']).orderBy('at').execute()).map((r) => licenceVersionId(r.licence_id, r.version));
  },
});

registerRecordResolver(USAGE_RECORD, {
  async load(db, id) {
    const r = await db.selectFrom('licensing_depletions').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? usageRecord(r) : undefined;
  },
  async list(db) {
    return (await db.selectFrom('licensing_depletions').select('id').orderBy('seq').execute()).map((r) => r.id);
  },
});
