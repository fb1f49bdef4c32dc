/**
 * Loading everything a case view shows, in a handful of indexed queries run
 * side by side: the record, its parts, clocks, questions, decisions, history,
 * and for the authority the pre-checks, risk, routing, notes, referrals and
 * countersignatures.
 */
import { FabgateError } from '../../shared/errors.js';
import { applicationInputsDigest, type PrecheckResult } from '../prechecks.js';
import type { CaseBundle, InternalBundle } from '../presenters.js';
import type { RiskAssessment } from '../risk.js';
import { stateDef } from '../state-machine.js';
import type { LicensingApplicationRow } from '../tables.js';
import { amendmentDiff, checklistOf, loadParts, snapshotOf } from './applications.js';
import { blockingFlags, caseClocks } from './cases.js';
import { parseJson, type Db } from './common.js';

export async function loadCaseBundle(db: Db, row: LicensingApplicationRow, now: Date): Promise<CaseBundle> {
  const [parts, orgs, queries, intents, decisions, appeals, events, licence] = await Promise.all([
    loadParts(db, row.id),
    db.selectFrom('organisations').select(['id', 'name', 'country', 'kind']).where('id', 'in', [row.organisation_id, ...(row.authority_id ? [row.authority_id] : [])]).execute(),
    db.selectFrom('licensing_queries').selectAll().where('application_id', '=', row.id).orderBy('asked_at').execute(),
    db.selectFrom('licensing_intents').selectAll().where('application_id', '=', row.id).orderBy('issued_at').execute(),
    db.selectFrom('licensing_decisions').selectAll().where('application_id', '=', row.id).orderBy('decided_at').orderBy('id').execute(),
    db.selectFrom('licensing_appeals').selectAll().where('application_id', '=', row.id).orderBy('filed_at').execute(),
    db.selectFrom('licensing_events').selectAll().where('application_id', '=', row.id).orderBy('seq').execute(),
    row.licence_id ? db.selectFrom('licensing_licences').select(['id', 'reference']).where('id', '=', row.licence_id).executeTakeFirst() : Promise.resolve(undefined),
  ]);
  const exporter = orgs.find((o) => o.id === row.organisation_id);
  if (!exporter) throw new FabgateError('LICENSING_DATA_INCONSISTENT', 'the exporter of this application is gone', 'internal');
  const authority = orgs.find((o) => o.id === row.authority_id);
  const snapshot = snapshotOf(row, parts);
  const clocks = await caseClocks(db, row, now, authority?.country ?? null);
  const amendment = await amendmentDiff(db, row, snapshot);
  return {
    row,
    organisation: { id: exporter.id, name: exporter.name, country: exporter.country },
    authority: authority ? { id: authority.id, name: authority.name } : null,
    items: parts.items,
    parties: parts.parties,
    documents: parts.documents,
    // The checklist matters while the exporter can act on it.
    checklist: stateDef(row.state).exporter_editable ? await checklistOf(db, row, snapshot) : null,
    clock: clocks.case,
    appealClock: clocks.appeal,
    queries,
    intents,
    decisions,
    appeals,
    licence: licence ?? null,
    amendment: amendment ? { amends_licence_id: row.amends_licence_id, amends_application_id: row.amends_application_id, diff: amendment.diff } : null,
    events,
  };
}

export async function loadInternalBundle(db: Db, b: CaseBundle): Promise<InternalBundle> {
  const row = b.row;
  const [pre, runs, risk, routing, notes, referrals, countersignatures, clearances, blocking] = await Promise.all([
    row.latest_precheck_id ? db.selectFrom('licensing_prechecks').select('result').where('id', '=', row.latest_precheck_id).executeTakeFirst() : Promise.resolve(undefined),
    db.selectFrom('licensing_prechecks').select((eb) => eb.fn.countAll<number>().as('n')).where('application_id', '=', row.id).executeTakeFirst(),
    row.latest_risk_id ? db.selectFrom('licensing_risk_assessments').select('result').where('id', '=', row.latest_risk_id).executeTakeFirst() : Promise.resolve(undefined),
    db.selectFrom('licensing_routing_events').selectAll().where('application_id', '=', row.id).orderBy('seq').execute(),
    db.selectFrom('licensing_notes').selectAll().where('application_id', '=', row.id).orderBy('at').execute(),
    db.selectFrom('licensing_referrals').selectAll().where('application_id', '=', row.id).orderBy('referred_at').execute(),
    db.selectFrom('licensing_countersignatures').selectAll().where('application_id', '=', row.id).orderBy('at').execute(),
    db.selectFrom('licensing_flag_clearances').selectAll().where('application_id', '=', row.id).orderBy('at').execute(),
    blockingFlags(db, row),
  ]);
  const precheck = parseJson<PrecheckResult>(pre?.result ?? null);
  const ids = new Set<string>();
  for (const x of [row.case_officer_id, ...b.events.map((e) => e.actor_id), ...countersignatures.map((c) => c.user_id), ...notes.map((n) => n.author_id), ...b.decisions.map((d) => d.decided_by)]) if (x) ids.add(x);
  const people = ids.size ? await db.selectFrom('users').select(['id', 'display_name']).where('id', 'in', [...ids]).execute() : [];
  return {
    precheck,
    precheckRuns: Number(runs?.n ?? 0),
    prechecksCurrent: !!precheck && precheck.inputs_sha256 === applicationInputsDigest(snapshotOf(row, { items: b.items, parties: b.parties, documents: b.documents })),
    risk: parseJson<RiskAssessment>(risk?.result ?? null),
    routing,
    notes,
    referrals,
    countersignatures,
    clearances,
    blocking,
    people: Object.fromEntries(people.map((p) => [p.id, p.display_name])),
  };
}
