/**
 * Amendments without starting over. Each is a new draft linked to what it
 * amends, pre-filled with it, so the applicant changes only what changes and
 * the diff shows exactly that:
 *
 * - a case amendment copies an application still under review (submitted,
 *   initial checks, under review); submitting it supersedes the original
 *   (LITE `superseded_by_exporter_edit`);
 * - a licence amendment starts from an issued licence (quantities, parties,
 *   destinations, validity); its approval gives the licence a new version.
 */
import type { Clock } from '../../shared/clock.js';
import { FabgateError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { ApplicationContent } from '../model.js';
import { licensingReference } from '../reference.js';
import type { LicensingApplicationRow, LicensingLicenceRow } from '../tables.js';
import { appendEvent, nameKey, type Db, type LicensingActor } from './common.js';
import { statusOf } from './licences.js';

function draftRow(base: LicensingApplicationRow | null, over: Partial<LicensingApplicationRow> & Pick<LicensingApplicationRow, 'organisation_id' | 'authority_id' | 'licence_type' | 'kind' | 'content'>, actor: LicensingActor, now: string): LicensingApplicationRow {
  return {
    id: newId('app'),
    reference: null,
    amends_licence_id: null,
    amends_application_id: null,
    state: 'draft',
    previous_state: null,
    content_version: 1,
    created_by: actor.userId ?? actor.id,
    created_at: now,
    updated_at: now,
    submitted_at: null,
    decided_at: null,
    case_officer_id: null,
    queue: null,
    risk_score: null,
    risk_band: null,
    flags: '[]',
    sla_due_at: null,
    appeal_deadline: null,
    proposal: null,
    proposal_version: 0,
    countersignatures_required: 0,
    latest_precheck_id: null,
    latest_risk_id: null,
    licence_id: base?.licence_id ?? null,
    ...over,
  };
}

/** Copy the documents of the application context from one application to another. */
async function copyDocuments(db: Db, fromId: string, toId: string): Promise<void> {
  const docs = await db.selectFrom('licensing_documents').selectAll().where('application_id', '=', fromId).where('context', '=', 'application').execute();
  for (const d of docs) await db.insertInto('licensing_documents').values({ ...d, id: newId('doc'), application_id: toId }).execute();
}

/** Amend an application still under review: a linked draft copy; submitting it supersedes the original. */
export async function startCaseAmendment(db: Db, clock: Clock, actor: LicensingActor, original: LicensingApplicationRow): Promise<LicensingApplicationRow> {
  const supersede = licensingReference().machine.data.transitions.find((t) => t.id === 'supersede')!;
  if (!supersede.from.includes(original.state)) {
    throw new FabgateError('LICENSING_NOT_AMENDABLE', `a case ${original.state.replace(/_/g, ' ')} cannot be amended; ${original.state === 'awaiting_applicant' ? 'change it while answering' : 'amend the licence once issued'}`, 'conflict', {
      state: original.state,
      amendable_in: supersede.from,
    });
  }
  const now = clock.now().toISOString();
  const content = JSON.parse(original.content) as ApplicationContent;
  delete content.declaration; // the amended application is declared anew
  const row = draftRow(original, { organisation_id: original.organisation_id, authority_id: original.authority_id, licence_type: original.licence_type, kind: 'case_amendment', amends_application_id: original.id, content: JSON.stringify(content) }, actor, now);
  await db.insertInto('licensing_applications').values(row).execute();
  const items = await db.selectFrom('licensing_items').selectAll().where('application_id', '=', original.id).execute();
  for (const i of items) await db.insertInto('licensing_items').values({ ...i, id: newId('itm'), application_id: row.id, origin_id: i.id }).execute();
  const parties = await db.selectFrom('licensing_parties').selectAll().where('application_id', '=', original.id).execute();
  for (const p of parties) await db.insertInto('licensing_parties').values({ ...p, id: newId('pty'), application_id: row.id, origin_id: p.id }).execute();
  await copyDocuments(db, original.id, row.id);
  await appendEvent(db, { applicationId: row.id, at: clock.now(), actor, kind: 'edit', visibility: 'exporter', summary: `Amendment of ${original.reference} started` });
  await appendEvent(db, { applicationId: original.id, at: clock.now(), actor, kind: 'edit', visibility: 'exporter', summary: 'An amendment was started; submitting it supersedes this application', details: { amendment_id: row.id } });
  return row;
}

/** Amend an issued licence: a draft pre-filled from the licence and the case that granted it. */
export async function startLicenceAmendment(db: Db, clock: Clock, actor: LicensingActor, lic: LicensingLicenceRow): Promise<LicensingApplicationRow> {
  const now = clock.now();
  const items = await db.selectFrom('licensing_licence_items').selectAll().where('licence_id', '=', lic.id).orderBy('position').execute();
  const status = statusOf(lic, items, now);
  if (status !== 'active' && status !== 'exhausted') {
    throw new FabgateError('LICENSING_NOT_AMENDABLE', `a licence that is ${status} cannot be amended`, 'conflict', { status });
  }
  const source = await db.selectFrom('licensing_applications').selectAll().where('id', '=', lic.last_case_id).executeTakeFirstOrThrow();
  const sourceContent = JSON.parse(source.content) as ApplicationContent;
  const { declaration: _d, requested_validity_months: _m, ...kept } = sourceContent;
  const content: ApplicationContent = { ...kept, destinations: JSON.parse(lic.destinations) as string[] };
  const row = draftRow(null, { organisation_id: lic.holder_id, authority_id: lic.authority_id, licence_type: lic.licence_type, kind: 'licence_amendment', amends_licence_id: lic.id, licence_id: lic.id, content: JSON.stringify(content) }, actor, now.toISOString());
  await db.insertInto('licensing_applications').values(row).execute();
  const sourceItems = await db.selectFrom('licensing_items').selectAll().where('application_id', '=', source.id).execute();
  for (const li of items) {
    // The case that last changed the licence holds the item either as granted (its id) or as amended (origin = licence item).
    const si = sourceItems.find((x) => x.origin_id === li.id) ?? sourceItems.find((x) => x.id === li.origin_item_id);
    if (!si) throw new FabgateError('LICENSING_DATA_INCONSISTENT', `licence item ${li.id} has no source item`, 'internal');
    await db
      .insertInto('licensing_items')
      .values({ ...si, id: newId('itm'), application_id: row.id, position: li.position, quantity_milli: li.granted_milli, value: li.value, origin_id: li.id })
      .execute();
  }
  const sourceParties = await db.selectFrom('licensing_parties').selectAll().where('application_id', '=', source.id).execute();
  const licParties = JSON.parse(lic.parties) as Array<{ id: string; role: string; name: string; country: string }>;
  for (const [n, lp] of licParties.entries()) {
    const sp = sourceParties.find((x) => x.id === lp.id);
    await db
      .insertInto('licensing_parties')
      .values({
        id: newId('pty'),
        application_id: row.id,
        position: n,
        role: lp.role,
        name: lp.name,
        name_key: nameKey(lp.name),
        country: lp.country,
        details: sp?.details ?? JSON.stringify({ type: 'organisation' }),
        screening: sp?.screening ?? null,
        origin_id: lp.id,
      })
      .execute();
  }
  await copyDocuments(db, source.id, row.id);
  await appendEvent(db, { applicationId: row.id, at: now, actor, kind: 'edit', visibility: 'exporter', summary: `Amendment of licence ${lic.reference} started` });
  return row;
}
