/**
 * The exporter's side: drafting an application — its content, items (each a
 * stored item specification with the classification it was checked with),
 * parties (each with the screening result and list version it was screened
 * against) and documents (bytes in the database with their SHA-256) — and
 * reading it back as a snapshot the pure logic works on.
 */
import type { Clock } from '../../shared/clock.js';
import { canonicalJson } from '../../ledger/core/canonical-json.js';
import { FabgateError } from '../../shared/errors.js';
import { newId, sha256Hex } from '../../shared/ids.js';
import { completenessChecklist, type Checklist } from '../checklist.js';
import { isCountryCode } from '../countries.js';
import { diffAmendment, type AmendableView } from '../diff.js';
import { checkDocument } from '../documents.js';
import {
  CURRENCIES,
  type ApplicationContent,
  type ApplicationDocument,
  type ApplicationItem,
  type ApplicationParty,
  type ApplicationSnapshot,
  type ItemClassificationSummary,
  type PartyInput,
  type PartyScreening,
} from '../model.js';
import { fromMilli, toMilli } from '../quantity.js';
import { licenceType, licensingReference } from '../reference.js';
import { licensingSeams } from '../seams.js';
import { stateDef } from '../state-machine.js';
import type { LicensingApplicationRow, LicensingDocumentRow, LicensingItemRow, LicensingPartyRow } from '../tables.js';
import { appendEvent, nameKey, notFound, parseJson, type Db, type LicensingActor, type Scope } from './common.js';

/* ------------------------------------------------------------- reading */

/** The application row if the scope may see it; LICENSING_APPLICATION_NOT_FOUND otherwise (another organisation's record is a 404). */
export async function loadApplication(db: Db, id: string, scope: Scope): Promise<LicensingApplicationRow> {
  let q = db.selectFrom('licensing_applications').selectAll().where('id', '=', id);
  if (scope.side === 'exporter') q = q.where('organisation_id', '=', scope.organisationId);
  if (scope.side === 'authority') q = q.where('authority_id', '=', scope.organisationId).where('state', '!=', 'draft');
  const row = await q.executeTakeFirst();
  if (!row) throw notFound(scope.side === 'authority' ? 'case' : 'application', id);
  return row;
}

export function itemFromRow(r: LicensingItemRow): ApplicationItem {
  return {
    id: r.id,
    position: r.position,
    spec: JSON.parse(r.spec),
    spec_sha256: r.spec_sha256,
    kind: r.kind,
    name: r.name,
    quantity: r.quantity_milli === null ? null : fromMilli(Number(r.quantity_milli)),
    unit: r.unit,
    value: parseJson(r.value),
    classification: parseJson<ItemClassificationSummary>(r.classification),
    origin_id: r.origin_id,
  };
}

export function partyFromRow(r: LicensingPartyRow): ApplicationParty {
  const details = JSON.parse(r.details) as Omit<PartyInput, 'role' | 'name' | 'country'>;
  return { id: r.id, role: r.role as ApplicationParty['role'], name: r.name, country: r.country, ...details, type: details.type ?? 'organisation', screening: parseJson<PartyScreening>(r.screening), origin_id: r.origin_id };
}

export function documentFromRow(r: Omit<LicensingDocumentRow, 'content'>): ApplicationDocument & { context: string; context_id: string | null } {
  return { id: r.id, doc_type: r.doc_type, filename: r.filename, media_type: r.media_type, size: r.size, sha256: r.sha256, uploaded_at: r.uploaded_at, party_id: r.party_id, context: r.context, context_id: r.context_id };
}

const DOCUMENT_COLUMNS = ['id', 'application_id', 'organisation_id', 'doc_type', 'filename', 'media_type', 'size', 'sha256', 'party_id', 'context', 'context_id', 'uploaded_by', 'uploaded_at'] as const;

/** Items, parties and documents of an application, in order. */
export async function loadParts(db: Db, applicationId: string) {
  const [items, parties, documents] = await Promise.all([
    db.selectFrom('licensing_items').selectAll().where('application_id', '=', applicationId).orderBy('position').execute(),
    db.selectFrom('licensing_parties').selectAll().where('application_id', '=', applicationId).orderBy('position').execute(),
    db.selectFrom('licensing_documents').select(DOCUMENT_COLUMNS).where('application_id', '=', applicationId).orderBy('uploaded_at').orderBy('id').execute(),
  ]);
  return { items: items.map(itemFromRow), parties: parties.map(partyFromRow), documents: documents.map(documentFromRow) };
}

/** The snapshot the pure logic reads. Documents attached to an appeal or an answer are not part of the application. */
export async function loadSnapshot(db: Db, row: LicensingApplicationRow): Promise<ApplicationSnapshot> {
  const parts = await loadParts(db, row.id);
  return snapshotOf(row, parts);
}

export function snapshotOf(row: LicensingApplicationRow, parts: Awaited<ReturnType<typeof loadParts>>): ApplicationSnapshot {
  return {
    id: row.id,
    licence_type: row.licence_type,
    kind: row.kind as ApplicationSnapshot['kind'],
    authority_id: row.authority_id,
    content: JSON.parse(row.content) as ApplicationContent,
    items: parts.items,
    parties: parts.parties,
    documents: parts.documents.filter((d) => d.context === 'application' || d.context === 'query'),
  };
}

/** What a licence amendment compares against: the licence as it stands. */
export async function licenceAsAmendable(db: Db, licenceId: string): Promise<{ view: AmendableView; used: Map<string, number> }> {
  const lic = await db.selectFrom('licensing_licences').selectAll().where('id', '=', licenceId).executeTakeFirstOrThrow();
  const items = await db.selectFrom('licensing_licence_items').selectAll().where('licence_id', '=', licenceId).orderBy('position').execute();
  const source = await db.selectFrom('licensing_applications').select('content').where('id', '=', lic.last_case_id).executeTakeFirstOrThrow();
  const parties = JSON.parse(lic.parties) as Array<Record<string, unknown> & { id: string; role: string; name: string; country: string }>;
  const used = new Map<string, number>();
  for (const i of items) if (i.granted_milli !== null) used.set(i.id, fromMilli(Number(i.granted_milli) - Number(i.remaining_milli ?? 0)));
  return {
    view: {
      items: items.map((i) => ({ key: i.id, name: i.name, quantity: i.granted_milli === null ? null : fromMilli(Number(i.granted_milli)), unit: i.unit, value: parseJson(i.value), spec_sha256: i.spec_sha256 })),
      parties: parties.map(({ id, screening: _s, origin_id: _o, ...p }) => ({ key: id, ...p })),
      destinations: JSON.parse(lic.destinations) as string[],
      // The end use the licence was granted for is the one of the case that last changed it.
      end_use: (JSON.parse(source.content) as ApplicationContent).end_use,
      valid_to: lic.valid_to,
    },
    used,
  };
}

/** The application as an amendment compares it. */
export function applicationAsAmendable(s: ApplicationSnapshot, keyOf: 'origin' | 'id'): AmendableView {
  const key = (x: { id: string; origin_id: string | null }) => (keyOf === 'origin' ? (x.origin_id ?? x.id) : x.id);
  return {
    items: s.items.map((i) => ({ key: key(i), name: i.name, quantity: i.quantity, unit: i.unit, value: i.value, spec_sha256: i.spec_sha256 })),
    parties: s.parties.map(({ id, origin_id, screening: _s, ...p }) => ({ ...p, key: key({ id, origin_id }) })),
    destinations: s.content.destinations ?? [],
    end_use: s.content.end_use,
    valid_to: s.content.requested_valid_to === undefined ? undefined : `${s.content.requested_valid_to}T00:00:00.000Z`,
  };
}

/** The diff an amendment shows (null for a new application). */
export async function amendmentDiff(db: Db, row: LicensingApplicationRow, snapshot: ApplicationSnapshot) {
  if (row.kind === 'licence_amendment' && row.amends_licence_id) {
    const { view, used } = await licenceAsAmendable(db, row.amends_licence_id);
    return { diff: diffAmendment(view, applicationAsAmendable(snapshot, 'origin')), used };
  }
  if (row.kind === 'case_amendment' && row.amends_application_id) {
    const original = await db.selectFrom('licensing_applications').selectAll().where('id', '=', row.amends_application_id).executeTakeFirstOrThrow();
    const before = applicationAsAmendable(await loadSnapshot(db, original), 'id');
    return { diff: diffAmendment(before, applicationAsAmendable(snapshot, 'origin')), used: new Map<string, number>() };
  }
  return null;
}

/** The live checklist of an application. */
export async function checklistOf(db: Db, row: LicensingApplicationRow, snapshot: ApplicationSnapshot): Promise<Checklist> {
  const { classifier, screener } = licensingSeams();
  const amendment = await amendmentDiff(db, row, snapshot);
  return completenessChecklist(licenceType(row.licence_type), snapshot, {
    ruleSets: await classifier.ruleSets({ db }),
    listVersion: await screener.listVersion({ db }),
    ...(amendment ? { amendment: { used: amendment.used, changes: amendment.diff.changes.length } } : {}),
  });
}

export interface ApplicationListEntry {
  row: LicensingApplicationRow;
}

/** The exporter's applications, most recently changed first, by keyset pages. */
export async function listApplications(db: Db, organisationId: string, opts: { limit: number; before?: { updated_at: string; id: string }; state?: string }): Promise<LicensingApplicationRow[]> {
  let q = db.selectFrom('licensing_applications').selectAll().where('organisation_id', '=', organisationId);
  if (opts.state) q = q.where('state', '=', opts.state);
  if (opts.before) {
    const b = opts.before;
    q = q.where((eb) => eb.or([eb('updated_at', '<', b.updated_at), eb.and([eb('updated_at', '=', b.updated_at), eb('id', '<', b.id)])]));
  }
  return q.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
}

/* ------------------------------------------------------------- writing */

function assertEditable(row: LicensingApplicationRow): void {
  if (!stateDef(row.state).exporter_editable) {
    throw new FabgateError('LICENSING_APPLICATION_LOCKED', `the application is ${row.state.replace(/_/g, ' ')}: it can be changed only as a draft or while a question is open`, 'conflict', { state: row.state });
  }
}

async function touch(db: Db, row: LicensingApplicationRow, at: Date): Promise<void> {
  const r = await db
    .updateTable('licensing_applications')
    .set({ updated_at: at.toISOString(), content_version: row.content_version + 1 })
    .where('id', '=', row.id)
    .where('content_version', '=', row.content_version)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new FabgateError('LICENSING_CONCURRENT_EDIT', 'the application changed meanwhile; reload it', 'conflict');
}

function checkCountries(codes: string[] | undefined, field: string): void {
  for (const c of codes ?? []) if (!isCountryCode(c)) throw new FabgateError('LICENSING_COUNTRY_UNKNOWN', `${field}: '${c}' is not an ISO 3166-1 country code`, 'invalid_input', { field, code: c });
}

async function resolveAuthority(db: Db, requested: string | null | undefined): Promise<string | null> {
  if (requested) {
    const org = await db.selectFrom('organisations').select(['id', 'kind']).where('id', '=', requested).executeTakeFirst();
    if (!org || org.kind !== 'authority') throw new FabgateError('LICENSING_AUTHORITY_UNKNOWN', `no licensing authority '${requested}'`, 'invalid_input');
    return org.id;
  }
  // One authority in the deployment (the usual case): the application goes there.
  const all = await db.selectFrom('organisations').select('id').where('kind', '=', 'authority').limit(2).execute();
  return all.length === 1 ? all[0]!.id : null;
}

export interface CreateApplicationInput {
  licence_type: string;
  authority_id?: string | null;
  content?: ApplicationContent;
}

/** Start a draft application for the actor's organisation. */
export async function createApplication(db: Db, clock: Clock, actor: LicensingActor, organisationId: string, input: CreateApplicationInput): Promise<LicensingApplicationRow> {
  licenceType(input.licence_type);
  const content = input.content ?? {};
  checkCountries(content.destinations, 'destinations');
  const now = clock.now().toISOString();
  const row: LicensingApplicationRow = {
    id: newId('app'),
    reference: null,
    organisation_id: organisationId,
    authority_id: await resolveAuthority(db, input.authority_id),
    licence_type: input.licence_type,
    kind: 'new',
    amends_licence_id: null,
    amends_application_id: null,
    state: 'draft',
    previous_state: null,
    content: JSON.stringify(content),
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
    licence_id: null,
  };
  await db.insertInto('licensing_applications').values(row).execute();
  await appendEvent(db, { applicationId: row.id, at: clock.now(), actor, kind: 'edit', visibility: 'exporter', summary: `Draft ${licenceType(row.licence_type).name.toLowerCase()} application created` });
  return row;
}

/**
 * Change the content: each top-level section given replaces the stored one,
 * a section given as null is removed. The authority may be changed in a draft.
 */
export async function updateContent(
  db: Db,
  clock: Clock,
  actor: LicensingActor,
  row: LicensingApplicationRow,
  patch: { [K in keyof ApplicationContent]?: ApplicationContent[K] | null } & { authority_id?: string | null },
): Promise<void> {
  assertEditable(row);
  const { authority_id, ...sections } = patch;
  checkCountries(sections.destinations ?? undefined, 'destinations');
  if (sections.commercial?.payer_country) checkCountries([sections.commercial.payer_country], 'commercial.payer_country');
  if (sections.end_use?.domains && new Set(sections.end_use.domains).size !== sections.end_use.domains.length) {
    throw new FabgateError('LICENSING_DOMAINS_DUPLICATE', 'an application domain is listed twice', 'invalid_input');
  }
  const content = JSON.parse(row.content) as Record<string, unknown>;
  for (const [k, v] of Object.entries(sections)) {
    if (v === null) delete content[k];
    else if (v !== undefined) content[k] = v;
  }
  const set: Partial<LicensingApplicationRow> = { content: JSON.stringify(content) };
  if (authority_id !== undefined) {
    if (row.state !== 'draft') throw new FabgateError('LICENSING_APPLICATION_LOCKED', 'the authority can only be changed in a draft', 'conflict');
    set.authority_id = await resolveAuthority(db, authority_id);
  }
  await db.updateTable('licensing_applications').set(set).where('id', '=', row.id).execute();
  await touch(db, row, clock.now());
  await appendEvent(db, { applicationId: row.id, at: clock.now(), actor, kind: 'edit', visibility: 'exporter', summary: `Changed ${Object.keys(patch).join(', ')}` });
}

export interface ItemInput {
  spec: unknown;
  quantity?: number | null;
  unit?: string | null;
  value?: { amount: number; currency: string } | null;
}

function checkItemFields(input: Partial<ItemInput>): void {
  const units = licensingReference().vocabularies.data.quantity_units;
  if (input.unit != null && !units.includes(input.unit)) throw new FabgateError('LICENSING_UNIT_UNKNOWN', `unit must be one of ${units.join(', ')}`, 'invalid_input');
  if (input.value && !CURRENCIES.has(input.value.currency)) throw new FabgateError('LICENSING_CURRENCY_UNKNOWN', `'${input.value.currency}' is not an ISO 4217 currency`, 'invalid_input');
  if (input.quantity != null) toMilli(input.quantity);
}

/** Add an item: the specification is validated and classified under the rule sets in force. */
export async function addItem(db: Db, clock: Clock, actor: LicensingActor, row: LicensingApplicationRow, input: ItemInput): Promise<ApplicationItem> {
  assertEditable(row);
  checkItemFields(input);
  const { classifier } = licensingSeams();
  const parsed = classifier.parse(input.spec);
  const classification = await classifier.classify(input.spec, clock.now(), { db });
  const last = await db.selectFrom('licensing_items').select((eb) => eb.fn.max('position').as('p')).where('application_id', '=', row.id).executeTakeFirst();
  const spec = JSON.stringify(input.spec);
  const r: LicensingItemRow = {
    id: newId('itm'),
    application_id: row.id,
    position: Number(last?.p ?? -1) + 1,
    spec,
    spec_sha256: sha256Hex(canonicalJson(input.spec)),
    kind: parsed.kind,
    name: parsed.name ?? parsed.kind.replace(/_/g, ' '),
    quantity_milli: input.quantity == null ? null : toMilli(input.quantity),
    unit: input.unit ?? null,
    value: input.value ? JSON.stringify(input.value) : null,
    classification: JSON.stringify(classification),
    origin_id: null,
  };
  await db.insertInto('licensing_items').values(r).execute();
  await touch(db, row, clock.now());
  await appendEvent(db, { applicationId: row.id, at: clock.now(), actor, kind: 'edit', visibility: 'exporter', summary: `Item “${r.name}” added (${classification.status.replace(/_/g, ' ')})` });
  return itemFromRow(r);
}

async function loadItem(db: Db, row: LicensingApplicationRow, itemId: string): Promise<LicensingItemRow> {
  const r = await db.selectFrom('licensing_items').selectAll().where('id', '=', itemId).where('application_id', '=', row.id).executeTakeFirst();
  if (!r) throw notFound('item', itemId);
  return r;
}

/** Change an item; a new specification is classified again. */
export async function updateItem(db: Db, clock: Clock, actor: LicensingActor, row: LicensingApplicationRow, itemId: string, input: Partial<ItemInput>): Promise<ApplicationItem> {
  assertEditable(row);
  checkItemFields(input);
  const cur = await loadItem(db, row, itemId);
  const set: Partial<LicensingItemRow> = {};
  if (input.spec !== undefined) {
    const { classifier } = licensingSeams();
    const parsed = classifier.parse(input.spec);
    set.spec = JSON.stringify(input.spec);
    set.spec_sha256 = sha256Hex(canonicalJson(input.spec));
    set.kind = parsed.kind;
    set.name = parsed.name ?? parsed.kind.replace(/_/g, ' ');
    set.classification = JSON.stringify(await classifier.classify(input.spec, clock.now(), { db }));
  }
  if (input.quantity !== undefined) set.quantity_milli = input.quantity === null ? null : toMilli(input.quantity);
  if (input.unit !== undefined) set.unit = input.unit;
  if (input.value !== undefined) set.value = input.value === null ? null : JSON.stringify(input.value);
  await db.updateTable('licensing_items').set(set).where('id', '=', cur.id).execute();
  await touch(db, row, clock.now());
  await appendEvent(db, { applicationId: row.id, at: clock.now(), actor, kind: 'edit', visibility: 'exporter', summary: `Item “${set.name ?? cur.name}” changed` });
  return itemFromRow({ ...cur, ...set });
}

/** Classify an item again under the rule sets in force (after a rule-set update). */
export async function reclassifyItem(db: Db, clock: Clock, actor: LicensingActor, row: LicensingApplicationRow, itemId: string): Promise<ApplicationItem> {
  assertEditable(row);
  const cur = await loadItem(db, row, itemId);
  const classification = await licensingSeams().classifier.classify(JSON.parse(cur.spec), clock.now(), { db });
  await db.updateTable('licensing_items').set({ classification: JSON.stringify(classification) }).where('id', '=', cur.id).execute();
  await touch(db, row, clock.now());
  await appendEvent(db, { applicationId: row.id, at: clock.now(), actor, kind: 'edit', visibility: 'exporter', summary: `Item “${cur.name}” classified again (${classification.status.replace(/_/g, ' ')})` });
  return itemFromRow({ ...cur, classification: JSON.stringify(classification) });
}

export async function removeItem(db: Db, clock: Clock, actor: LicensingActor, row: LicensingApplicationRow, itemId: string): Promise<void> {
  assertEditable(row);
  const cur = await loadItem(db, row, itemId);
  await db.deleteFrom('licensing_items').where('id', '=', cur.id).execute();
  await touch(db, row, clock.now());
  await appendEvent(db, { applicationId: row.id, at: clock.now(), actor, kind: 'edit', visibility: 'exporter', summary: `Item “${cur.name}” removed` });
}

async function screenParty(db: Db, p: { id: string; name: string; country: string; type?: 'organisation' | 'person'; date_of_birth?: string | undefined }, at: Date): Promise<PartyScreening> {
  const results = await licensingSeams().screener.screen([{ id: p.id, name: p.name, country: p.country, ...(p.type ? { type: p.type } : {}), ...(p.date_of_birth ? { dob: p.date_of_birth } : {}) }], at, { db });
  return results.get(p.id)!;
}

/** Add a party; it is screened at once against the list version in force. */
export async function addParty(db: Db, clock: Clock, actor: LicensingActor, row: LicensingApplicationRow, input: PartyInput): Promise<ApplicationParty> {
  assertEditable(row);
  checkCountries([input.country], 'country');
  const { role, name, country, ...details } = input;
  const id = newId('pty');
  const screening = await screenParty(db, { id, ...input }, clock.now());
  const last = await db.selectFrom('licensing_parties').select((eb) => eb.fn.max('position').as('p')).where('application_id', '=', row.id).executeTakeFirst();
  const r: LicensingPartyRow = {
    id,
    application_id: row.id,
    position: Number(last?.p ?? -1) + 1,
    role,
    name,
    name_key: nameKey(name),
    country,
    details: JSON.stringify(details),
    screening: JSON.stringify(screening),
    origin_id: null,
  };
  await db.insertInto('licensing_parties').values(r).execute();
  await touch(db, row, clock.now());
  await appendEvent(db, { applicationId: row.id, at: clock.now(), actor, kind: 'edit', visibility: 'exporter', summary: `${role.replace(/_/g, ' ')} “${name}” added (screening: ${screening.status.replace(/_/g, ' ')})` });
  return partyFromRow(r);
}

async function loadParty(db: Db, row: LicensingApplicationRow, partyId: string): Promise<LicensingPartyRow> {
  const r = await db.selectFrom('licensing_parties').selectAll().where('id', '=', partyId).where('application_id', '=', row.id).executeTakeFirst();
  if (!r) throw notFound('party', partyId);
  return r;
}

/** Replace a party's details; it is screened again. */
export async function updateParty(db: Db, clock: Clock, actor: LicensingActor, row: LicensingApplicationRow, partyId: string, input: PartyInput): Promise<ApplicationParty> {
  assertEditable(row);
  checkCountries([input.country], 'country');
  const cur = await loadParty(db, row, partyId);
  const { role, name, country, ...details } = input;
  const screening = await screenParty(db, { id: cur.id, ...input }, clock.now());
  const set = { role, name, name_key: nameKey(name), country, details: JSON.stringify(details), screening: JSON.stringify(screening) };
  await db.updateTable('licensing_parties').set(set).where('id', '=', cur.id).execute();
  await touch(db, row, clock.now());
  await appendEvent(db, { applicationId: row.id, at: clock.now(), actor, kind: 'edit', visibility: 'exporter', summary: `${role.replace(/_/g, ' ')} “${name}” changed (screening: ${screening.status.replace(/_/g, ' ')})` });
  return partyFromRow({ ...cur, ...set });
}

/** Screen a party again (after a list update). */
export async function rescreenParty(db: Db, clock: Clock, actor: LicensingActor, row: LicensingApplicationRow, partyId: string): Promise<ApplicationParty> {
  assertEditable(row);
  const cur = await loadParty(db, row, partyId);
  const p = partyFromRow(cur);
  const screening = await screenParty(db, p, clock.now());
  await db.updateTable('licensing_parties').set({ screening: JSON.stringify(screening) }).where('id', '=', cur.id).execute();
  await touch(db, row, clock.now());
  await appendEvent(db, { applicationId: row.id, at: clock.now(), actor, kind: 'edit', visibility: 'exporter', summary: `“${cur.name}” screened again (${screening.status.replace(/_/g, ' ')})` });
  return { ...p, screening };
}

export async function removeParty(db: Db, clock: Clock, actor: LicensingActor, row: LicensingApplicationRow, partyId: string): Promise<void> {
  assertEditable(row);
  const cur = await loadParty(db, row, partyId);
  await db.deleteFrom('licensing_parties').where('id', '=', cur.id).execute();
  await touch(db, row, clock.now());
  await appendEvent(db, { applicationId: row.id, at: clock.now(), actor, kind: 'edit', visibility: 'exporter', summary: `${cur.role.replace(/_/g, ' ')} “${cur.name}” removed` });
}

export interface DocumentInput {
  doc_type: string;
  filename: string;
  bytes: Uint8Array;
  party_id?: string | null;
  /** Where the document belongs: the application itself, an answer to a question, a response to an intent to refuse, an appeal. */
  context?: 'application' | 'query' | 'intent' | 'appeal';
}

/** The states in which documents of each context may be added. */
const DOCUMENT_STATES: Record<NonNullable<DocumentInput['context']>, string[]> = {
  application: ['draft', 'awaiting_applicant'],
  query: ['awaiting_applicant'],
  intent: ['intent_to_refuse'],
  appeal: ['decided_refused', 'decided_approved'],
};

/** Store an uploaded document (checked type and size, SHA-256 of the bytes). */
export async function addDocument(db: Db, clock: Clock, actor: LicensingActor, row: LicensingApplicationRow, input: DocumentInput) {
  const context = input.context ?? 'application';
  if (!DOCUMENT_STATES[context].includes(row.state)) {
    throw new FabgateError('LICENSING_APPLICATION_LOCKED', `${context} documents cannot be added while the application is ${row.state.replace(/_/g, ' ')}`, 'conflict', { state: row.state });
  }
  const checked = checkDocument(input.doc_type, input.filename, input.bytes);
  if (input.party_id) await loadParty(db, row, input.party_id);
  const r: LicensingDocumentRow = {
    id: newId('doc'),
    application_id: row.id,
    organisation_id: row.organisation_id,
    doc_type: input.doc_type,
    filename: checked.filename,
    media_type: checked.media_type,
    size: checked.size,
    sha256: sha256Hex(input.bytes),
    content: input.bytes,
    party_id: input.party_id ?? null,
    context,
    context_id: null,
    uploaded_by: actor.userId ?? actor.id,
    uploaded_at: clock.now().toISOString(),
  };
  await db.insertInto('licensing_documents').values(r).execute();
  if (context === 'application') await touch(db, row, clock.now());
  await appendEvent(db, { applicationId: row.id, at: clock.now(), actor, kind: 'document', visibility: 'exporter', summary: `Document “${r.filename}” (${r.doc_type.replace(/_/g, ' ')}) uploaded`, details: { document_id: r.id, sha256: r.sha256 } });
  const { content: _c, ...meta } = r;
  return documentFromRow(meta);
}

/** A document with its bytes. */
export async function getDocument(db: Db, row: LicensingApplicationRow, documentId: string): Promise<LicensingDocumentRow> {
  const r = await db.selectFrom('licensing_documents').selectAll().where('id', '=', documentId).where('application_id', '=', row.id).executeTakeFirst();
  if (!r) throw notFound('document', documentId);
  return { ...r, content: new Uint8Array(r.content) };
}

/** Remove a document of the application itself, while the application can be changed. */
export async function removeDocument(db: Db, clock: Clock, actor: LicensingActor, row: LicensingApplicationRow, documentId: string): Promise<void> {
  assertEditable(row);
  const r = await db.selectFrom('licensing_documents').select(['id', 'filename', 'context']).where('id', '=', documentId).where('application_id', '=', row.id).executeTakeFirst();
  if (!r) throw notFound('document', documentId);
  // Once submitted, what the authority saw stays: only documents added in this draft or answer can go.
  if (row.state !== 'draft') throw new FabgateError('LICENSING_DOCUMENT_SUBMITTED', 'documents of a submitted application are evidence and cannot be removed', 'conflict');
  await db.deleteFrom('licensing_documents').where('id', '=', r.id).execute();
  await touch(db, row, clock.now());
  await appendEvent(db, { applicationId: row.id, at: clock.now(), actor, kind: 'document', visibility: 'exporter', summary: `Document “${r.filename}” removed` });
}
