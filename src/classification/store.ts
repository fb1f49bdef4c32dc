/**
 * The classification store: an organisation's item register, recorded
 * classifications (decisive events of the transparency log) and uploaded
 * rule-set versions. Functions take a `Kysely<Tables>` — the database or a
 * transaction — so a route runs a change and its audit record in one
 * transaction; every query on items and classifications is scoped by the
 * caller's organisation, and another organisation's record is "not found".
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import { isUniqueViolation } from '../db/database.js';
import { logDecisiveEvent, registerRecordResolver } from '../ledger/decisive.js';
import { canonicalJson } from '../ledger/core/canonical-json.js';
import type { Clock } from '../shared/clock.js';
import { FabgateError } from '../shared/errors.js';
import { newId, sha256Hex } from '../shared/ids.js';
import { assessDestination, type DestinationAssessment } from './destination.js';
import { classify, compileRuleSets, ruleSetDigest, type Engine, type LoadedRuleSet } from './evaluate.js';
import { parseItem } from './item.js';
import type { ItemSpec } from './item-schema.js';
import { parseRuleSet, shippedRuleSets, withRuleSet } from './rules/index.js';
import { outdatedRuleSets, statusChanges, summarise, summariseDestination, type DestinationSummary, type EntrySummary, type OutdatedRuleSet, type StatusChange } from './summary.js';
import type { ClassificationItemRow, ClassificationRecordRow, ClassificationRuleSetRow } from './tables.js';
import type { Classification, RuleSetRef } from './types.js';
import { wouldChange, type ClassificationChange } from './versioning.js';

type Db = Kysely<Tables>;

/** Who acts: a signed-in user or an API token (its id). */
export interface Actor {
  type: 'user' | 'token';
  id: string;
}

/** Event and record type of a recorded classification in the transparency log (LEAF-FORMAT.md). */
export const CLASSIFICATION_EVENT = 'classification.recorded';
export const CLASSIFICATION_RECORD_TYPE = 'classification';

/** Longest item name accepted. */
export const MAX_ITEM_NAME = 200;
/** Longest note on a recorded classification. */
export const MAX_NOTE = 2000;

const specDigest = (spec: unknown) => sha256Hex(canonicalJson(spec));

// ------------------------------------------------------------------ items

export interface ItemView {
  id: string;
  name: string;
  kind: string;
  spec: ItemSpec;
  spec_sha256: string;
  revision: number;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

export interface ItemListEntry extends Omit<ItemView, 'spec'> {
  /** The newest recorded classification of the item, if any. */
  latest_classification: { id: string; status: string; controlled_by: string[]; classified_at: string; item_revision: number; outdated: boolean } | null;
}

function itemView(row: ClassificationItemRow): ItemView {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    spec: JSON.parse(row.spec) as ItemSpec,
    spec_sha256: row.spec_sha256,
    revision: Number(row.revision),
    created_at: row.created_at,
    created_by: row.created_by,
    updated_at: row.updated_at,
    updated_by: row.updated_by,
  };
}

function itemName(name: string | undefined, spec: ItemSpec): string {
  const n = (name ?? spec.name ?? '').trim();
  if (!n) throw new FabgateError('CLASSIFICATION_ITEM_NAME_REQUIRED', 'give the item a name (or a "name" in its specification)', 'invalid_input', { field: 'name' });
  if (n.length > MAX_ITEM_NAME) throw new FabgateError('CLASSIFICATION_ITEM_NAME_TOO_LONG', `item names have at most ${MAX_ITEM_NAME} characters`, 'invalid_input', { field: 'name' });
  return n;
}

const notFound = (id: string) => new FabgateError('CLASSIFICATION_ITEM_NOT_FOUND', `no item ${id}`, 'not_found', { id });

async function itemRow(db: Db, organisationId: string, id: string): Promise<ClassificationItemRow> {
  const row = await db.selectFrom('classification_items').selectAll().where('id', '=', id).where('organisation_id', '=', organisationId).executeTakeFirst();
  if (!row) throw notFound(id);
  return row;
}

/** Add an item to the organisation's register. The specification is validated (CLASSIFICATION_ITEM_INVALID, _UNIT_UNKNOWN, …). */
export async function createItem(db: Db, clock: Clock, input: { organisationId: string; actor: Actor; name?: string; spec: unknown }): Promise<ItemView> {
  const spec = parseItem(input.spec);
  const now = clock.now().toISOString();
  const row: ClassificationItemRow = {
    id: newId('itm'),
    organisation_id: input.organisationId,
    name: itemName(input.name, spec),
    kind: spec.kind,
    spec: JSON.stringify(spec),
    spec_sha256: specDigest(spec),
    revision: 1,
    created_at: now,
    created_by: input.actor.id,
    updated_at: now,
    updated_by: input.actor.id,
  };
  await db.insertInto('classification_items').values(row).execute();
  return itemView(row);
}

export async function getItem(db: Db, organisationId: string, id: string): Promise<ItemView> {
  return itemView(await itemRow(db, organisationId, id));
}

/**
 * Replace an item's name and specification. With `revision`, the change is
 * refused (CLASSIFICATION_ITEM_STALE) unless the item is still at that
 * revision: two officers editing at once do not silently overwrite each other.
 */
export async function updateItem(
  db: Db,
  clock: Clock,
  input: { organisationId: string; actor: Actor; id: string; name?: string; spec: unknown; revision?: number },
): Promise<ItemView> {
  const current = await itemRow(db, input.organisationId, input.id);
  const spec = parseItem(input.spec);
  const revision = Number(current.revision);
  if (input.revision !== undefined && input.revision !== revision) {
    throw new FabgateError('CLASSIFICATION_ITEM_STALE', `item ${input.id} is at revision ${revision}, not ${input.revision}: reload it`, 'conflict', { revision });
  }
  const next = {
    name: itemName(input.name, spec),
    kind: spec.kind,
    spec: JSON.stringify(spec),
    spec_sha256: specDigest(spec),
    revision: revision + 1,
    updated_at: clock.now().toISOString(),
    updated_by: input.actor.id,
  };
  const r = await db
    .updateTable('classification_items')
    .set(next)
    .where('id', '=', input.id)
    .where('organisation_id', '=', input.organisationId)
    .where('revision', '=', revision)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) !== 1) {
    throw new FabgateError('CLASSIFICATION_ITEM_STALE', `item ${input.id} changed meanwhile: reload it`, 'conflict');
  }
  return itemView({ ...current, ...next });
}

/** Remove an item that was never classified; a classified item is evidence and stays (CLASSIFICATION_ITEM_HAS_CLASSIFICATIONS). */
export async function deleteItem(db: Db, organisationId: string, id: string): Promise<void> {
  await itemRow(db, organisationId, id);
  const used = await db.selectFrom('classification_records').select('id').where('item_id', '=', id).limit(1).executeTakeFirst();
  if (used) {
    throw new FabgateError('CLASSIFICATION_ITEM_HAS_CLASSIFICATIONS', `item ${id} has recorded classifications and is kept as their evidence`, 'conflict');
  }
  await db.deleteFrom('classification_items').where('id', '=', id).where('organisation_id', '=', organisationId).execute();
}

/** The organisation's items, newest change first, each with its latest recorded classification. */
export async function listItems(db: Db, organisationId: string, current: readonly RuleSetRef[]): Promise<ItemListEntry[]> {
  const rows = await db.selectFrom('classification_items').selectAll().where('organisation_id', '=', organisationId).orderBy('updated_at', 'desc').orderBy('id').execute();
  const records = await db
    .selectFrom('classification_records')
    .select(['id', 'item_id', 'status', 'controlled_by', 'classified_at', 'item_revision', 'rule_sets'])
    .where('organisation_id', '=', organisationId)
    .orderBy('seq', 'desc')
    .execute();
  const latest = new Map<string, (typeof records)[number]>();
  for (const r of records) if (!latest.has(r.item_id)) latest.set(r.item_id, r);
  return rows.map((row) => {
    const { spec: _spec, ...view } = itemView(row);
    const l = latest.get(row.id);
    return {
      ...view,
      latest_classification: l
        ? {
            id: l.id,
            status: l.status,
            controlled_by: JSON.parse(l.controlled_by) as string[],
            classified_at: l.classified_at,
            item_revision: Number(l.item_revision),
            outdated: outdatedRuleSets(JSON.parse(l.rule_sets) as RuleSetRef[], current).length > 0,
          }
        : null,
    };
  });
}

// ------------------------------------------------------------------ recorded classifications

/**
 * The immutable record a recorded classification commits to in the
 * transparency log, rebuilt from its row alone. The specification enters as
 * the SHA-256 of its canonical JSON, so an edit of the stored specification
 * is detected too. A row whose JSON no longer parses yields a record that
 * cannot match any commitment.
 */
export function classificationRecordOf(row: Omit<ClassificationRecordRow, 'seq'>): Record<string, unknown> {
  try {
    return {
      id: row.id,
      organisation_id: row.organisation_id,
      item_id: row.item_id,
      item_revision: Number(row.item_revision),
      item_name: row.item_name,
      spec_sha256: specDigest(JSON.parse(row.spec)),
      status: row.status,
      controlled_by: JSON.parse(row.controlled_by) as unknown,
      needs_information: JSON.parse(row.needs_information) as unknown,
      needs_review: JSON.parse(row.needs_review) as unknown,
      results: JSON.parse(row.results) as unknown,
      rule_sets: JSON.parse(row.rule_sets) as unknown,
      destination: row.destination,
      destination_result: row.destination_result === null ? null : (JSON.parse(row.destination_result) as unknown),
      note: row.note,
      classified_at: row.classified_at,
      classified_by: { type: row.classified_by_type, id: row.classified_by },
    };
  } catch {
    return { id: row.id, unreadable: true };
  }
}

registerRecordResolver(CLASSIFICATION_RECORD_TYPE, {
  async load(db, recordId) {
    const row = await db.selectFrom('classification_records').selectAll().where('id', '=', recordId).executeTakeFirst();
    return row ? classificationRecordOf(row) : undefined;
  },
  async list(db) {
    return (await db.selectFrom('classification_records').select('id').orderBy('id').execute()).map((r) => r.id);
  },
});

export interface ClassificationRecordView {
  id: string;
  item_id: string;
  item_revision: number;
  item_name: string;
  spec: ItemSpec;
  spec_sha256: string;
  status: string;
  controlled_by: string[];
  needs_information: string[];
  needs_review: string[];
  results: EntrySummary[];
  rule_sets: RuleSetRef[];
  destination: DestinationSummary | null;
  note: string | null;
  classified_at: string;
  classified_by: Actor;
  /** true when a rule set it used is no longer the one in force: classify the item again */
  outdated: boolean;
  outdated_rule_sets: OutdatedRuleSet[];
  /** its event in the transparency log: the leaf index once integrated (the receipt is at /log/receipt/{leaf_index}) */
  log: { leaf_index: number | null; commitment: string } | null;
}

function recordView(row: Omit<ClassificationRecordRow, 'seq'>, current: readonly RuleSetRef[], log: ClassificationRecordView['log']): ClassificationRecordView {
  const rule_sets = JSON.parse(row.rule_sets) as RuleSetRef[];
  const outdated = outdatedRuleSets(rule_sets, current);
  const spec = JSON.parse(row.spec) as ItemSpec;
  return {
    id: row.id,
    item_id: row.item_id,
    item_revision: Number(row.item_revision),
    item_name: row.item_name,
    spec,
    spec_sha256: specDigest(spec),
    status: row.status,
    controlled_by: JSON.parse(row.controlled_by) as string[],
    needs_information: JSON.parse(row.needs_information) as string[],
    needs_review: JSON.parse(row.needs_review) as string[],
    results: JSON.parse(row.results) as EntrySummary[],
    rule_sets,
    destination: row.destination_result === null ? null : (JSON.parse(row.destination_result) as DestinationSummary),
    note: row.note,
    classified_at: row.classified_at,
    classified_by: { type: row.classified_by_type as Actor['type'], id: row.classified_by },
    outdated: outdated.length > 0,
    outdated_rule_sets: outdated,
    log,
  };
}

async function logEntries(db: Db, ids: string[]): Promise<Map<string, NonNullable<ClassificationRecordView['log']>>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('ledger_events')
    .select(['record_id', 'leaf_index', 'commitment'])
    .where('record_type', '=', CLASSIFICATION_RECORD_TYPE)
    .where('record_id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [r.record_id, { leaf_index: r.leaf_index === null ? null : Number(r.leaf_index), commitment: r.commitment }]));
}

export interface RecordedClassification {
  record: ClassificationRecordView;
  /** the full classification with its traces, as decided */
  classification: Classification;
  destination?: DestinationAssessment;
}

/**
 * Classify a stored item with `engine` and record the result: the summary per
 * entry, the rule-set versions and digests, the destination check if asked
 * for, and a `classification.recorded` event for the transparency log — all
 * in the caller's transaction, so the record and its log event commit
 * together or not at all.
 */
export async function recordClassification(
  db: Db,
  clock: Clock,
  engine: Engine,
  input: { organisationId: string; actor: Actor; itemId: string; destination?: string; note?: string },
): Promise<RecordedClassification> {
  const item = await itemRow(db, input.organisationId, input.itemId);
  const spec = parseItem(JSON.parse(item.spec));
  if (input.note !== undefined && input.note.length > MAX_NOTE) {
    throw new FabgateError('CLASSIFICATION_NOTE_TOO_LONG', `notes have at most ${MAX_NOTE} characters`, 'invalid_input', { field: 'note' });
  }
  const classification = classify(engine, spec);
  const destination = input.destination !== undefined ? assessDestination(classification, input.destination, engine) : undefined;
  const s = summarise(classification);
  const row: Omit<ClassificationRecordRow, 'seq'> = {
    id: newId('cls'),
    organisation_id: input.organisationId,
    item_id: item.id,
    item_revision: Number(item.revision),
    item_name: item.name,
    spec: JSON.stringify(spec),
    status: s.status,
    controlled_by: JSON.stringify(s.controlled_by),
    needs_information: JSON.stringify(s.needs_information),
    needs_review: JSON.stringify(s.needs_review),
    results: JSON.stringify(s.results),
    rule_sets: JSON.stringify(s.rule_sets),
    destination: destination?.destination.code ?? null,
    destination_result: destination ? JSON.stringify(summariseDestination(destination)) : null,
    note: input.note?.trim() || null,
    classified_at: clock.now().toISOString(),
    classified_by_type: input.actor.type,
    classified_by: input.actor.id,
  };
  await db.insertInto('classification_records').values(row).execute();
  const logged = await logDecisiveEvent(db, {
    type: CLASSIFICATION_EVENT,
    recordType: CLASSIFICATION_RECORD_TYPE,
    recordId: row.id,
    record: classificationRecordOf(row),
    at: new Date(row.classified_at),
    organisationId: row.organisation_id,
  });
  return {
    record: recordView(row, engine.refs, { leaf_index: null, commitment: logged.commitment }),
    classification,
    ...(destination ? { destination } : {}),
  };
}

/** An item's recorded classifications, newest first (CLASSIFICATION_ITEM_NOT_FOUND for another organisation's item). */
export async function listClassifications(db: Db, organisationId: string, itemId: string, current: readonly RuleSetRef[]): Promise<ClassificationRecordView[]> {
  await itemRow(db, organisationId, itemId);
  const rows = await db
    .selectFrom('classification_records')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .where('item_id', '=', itemId)
    .orderBy('seq', 'desc')
    .execute();
  const logs = await logEntries(db, rows.map((r) => r.id));
  return rows.map((r) => recordView(r, current, logs.get(r.id) ?? null));
}

export async function getClassification(db: Db, organisationId: string, id: string, current: readonly RuleSetRef[]): Promise<ClassificationRecordView> {
  const row = await db.selectFrom('classification_records').selectAll().where('id', '=', id).where('organisation_id', '=', organisationId).executeTakeFirst();
  if (!row) throw new FabgateError('CLASSIFICATION_RECORD_NOT_FOUND', `no recorded classification ${id}`, 'not_found', { id });
  const logs = await logEntries(db, [row.id]);
  return recordView(row, current, logs.get(row.id) ?? null);
}

// ------------------------------------------------------------------ rule-set versions

export interface RuleSetVersionView {
  /** `rls_…`, or `shipped` for the version shipped with Fabgate */
  id: string;
  rule_set_id: string;
  regime: string;
  version: string;
  sha256: string;
  effective_date: string;
  review_date: string;
  sunset_date: string | null;
  entries: number;
  shipped: boolean;
  uploaded_at: string | null;
  uploaded_by: string | null;
  note: string | null;
}

const shippedView = ({ ruleSet: r, sha256 }: LoadedRuleSet): RuleSetVersionView => ({
  id: 'shipped',
  rule_set_id: r.id,
  regime: r.regime,
  version: r.version,
  sha256,
  effective_date: r.effective_date,
  review_date: r.review_date,
  sunset_date: r.sunset_date,
  entries: r.entries.length,
  shipped: true,
  uploaded_at: null,
  uploaded_by: null,
  note: null,
});

function uploadedView(row: ClassificationRuleSetRow, loaded: LoadedRuleSet): RuleSetVersionView {
  return { ...shippedView(loaded), id: row.id, shipped: false, uploaded_at: row.uploaded_at, uploaded_by: row.uploaded_by, note: row.note };
}

/** The rule-set document as stored: the file text whose SHA-256 is the rule set's digest. */
const documentText = (loaded: LoadedRuleSet) => JSON.stringify(loaded.ruleSet, null, 2) + '\n';

/** Deepest nesting accepted in an uploaded rule set (the shipped logic trees nest about 12 levels). */
export const MAX_RULESET_DEPTH = 64;

/** Nesting depth of a parsed JSON value, walked without recursion, stopping past `limit`. */
export function jsonDepth(value: unknown, limit: number): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d + 1 > max) max = d + 1;
    if (max > limit) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v as object)) stack.push([child, d + 1]);
  }
  return max;
}

/**
 * Store a rule-set version for comparison (`GET /api/rules/diff`). It is
 * validated and compiled together with the shipped rule sets (every parameter,
 * unit and reference checked), but never used to classify: the rule sets in
 * force are the shipped ones, generated from the reference data with their
 * provenance (rules/README.md).
 */
export async function storeRuleSetVersion(
  db: Db,
  clock: Clock,
  input: { organisationId: string; actor: Actor; document: unknown; note?: string },
): Promise<RuleSetVersionView> {
  if (jsonDepth(input.document, MAX_RULESET_DEPTH) > MAX_RULESET_DEPTH) {
    throw new FabgateError('CLASSIFICATION_RULESET_TOO_DEEP', `the rule set nests deeper than ${MAX_RULESET_DEPTH} levels`, 'invalid_input', { limit: MAX_RULESET_DEPTH });
  }
  const loaded = parseRuleSet(input.document, 'uploaded rule set');
  compileRuleSets(withRuleSet(loaded));
  if (shippedRuleSets().some((s) => s.sha256 === loaded.sha256)) {
    throw new FabgateError('CLASSIFICATION_RULESET_EXISTS', `this is the shipped ${loaded.ruleSet.id} ${loaded.ruleSet.version}`, 'conflict', { sha256: loaded.sha256 });
  }
  const row: ClassificationRuleSetRow = {
    id: newId('rls'),
    rule_set_id: loaded.ruleSet.id,
    regime: loaded.ruleSet.regime,
    version: loaded.ruleSet.version,
    sha256: loaded.sha256,
    document: documentText(loaded),
    uploaded_at: clock.now().toISOString(),
    uploaded_by: input.actor.id,
    organisation_id: input.organisationId,
    note: input.note?.trim() || null,
  };
  try {
    await db.insertInto('classification_rule_sets').values(row).execute();
  } catch (e) {
    if (isUniqueViolation(e)) throw new FabgateError('CLASSIFICATION_RULESET_EXISTS', `${loaded.ruleSet.id} ${loaded.ruleSet.version} (${loaded.sha256}) is already stored`, 'conflict', { sha256: loaded.sha256 });
    throw e;
  }
  return uploadedView(row, loaded);
}

function loadStored(row: ClassificationRuleSetRow): LoadedRuleSet {
  const loaded = parseRuleSet(JSON.parse(row.document) as unknown, `stored rule set ${row.id}`);
  // The digest is what classifications cite: a stored document that no longer hashes to it was altered.
  if (loaded.sha256 !== row.sha256 || ruleSetDigest(loaded.ruleSet) !== row.sha256) {
    throw new FabgateError('CLASSIFICATION_RULESET_CORRUPT', `stored rule set ${row.id} no longer matches its digest ${row.sha256}`, 'integrity', { id: row.id });
  }
  return loaded;
}

/** Every version the service knows: the shipped ones and the uploaded ones, per rule set, newest upload last. */
export async function listRuleSetVersions(db: Db): Promise<RuleSetVersionView[]> {
  const rows = await db.selectFrom('classification_rule_sets').selectAll().orderBy('rule_set_id').orderBy('uploaded_at').orderBy('id').execute();
  return [...shippedRuleSets().map(shippedView), ...rows.map((r) => uploadedView(r, loadStored(r)))];
}

/**
 * One version of a rule set, named by its version label or its sha256 (or
 * `current` for the shipped one). A label uploaded twice with different
 * contents is ambiguous (CLASSIFICATION_RULESET_AMBIGUOUS): name the digest.
 */
export async function loadRuleSetVersion(db: Db, ruleSetId: string, ref: string): Promise<LoadedRuleSet> {
  const shipped = shippedRuleSets().find((s) => s.ruleSet.id === ruleSetId);
  if (shipped && (ref === 'current' || ref === shipped.ruleSet.version || ref === shipped.sha256)) return shipped;
  const rows = await db
    .selectFrom('classification_rule_sets')
    .selectAll()
    .where('rule_set_id', '=', ruleSetId)
    .where((eb) => eb.or([eb('version', '=', ref), eb('sha256', '=', ref)]))
    .execute();
  if (rows.length === 0) {
    throw new FabgateError('CLASSIFICATION_RULESET_NOT_FOUND', `no version "${ref}" of rule set ${ruleSetId}`, 'not_found', { rule_set: ruleSetId, version: ref });
  }
  if (rows.length > 1) {
    throw new FabgateError('CLASSIFICATION_RULESET_AMBIGUOUS', `version "${ref}" of ${ruleSetId} was uploaded ${rows.length} times with different contents: name it by sha256`, 'conflict', {
      sha256: rows.map((r) => r.sha256),
    });
  }
  return loadStored(rows[0]!);
}

// ------------------------------------------------------------------ what a new rule-set version would change

export interface RecordedChange {
  classification_id: string;
  item_id: string;
  item_name: string;
  classified_at: string;
  changes: StatusChange[];
}

export interface RuleSetImpact {
  /** the organisation's items (current specifications) whose classification under the regime would change */
  items: Array<ClassificationChange & { item_id: string; name: string }>;
  items_checked: number;
  /** the newest recorded classification of each item, made under `old`, whose answers `next` would change */
  recorded: RecordedChange[];
  recorded_checked: number;
  /** newest recorded classifications made under another version of this rule set: not comparable with `old` */
  recorded_under_other_versions: number;
}

/**
 * Which of the organisation's items and recorded classifications would be
 * classified differently under the rule set's regime if `next` replaced `old`.
 */
export async function ruleSetImpact(db: Db, organisationId: string, old: LoadedRuleSet, next: LoadedRuleSet): Promise<RuleSetImpact> {
  const items = await db.selectFrom('classification_items').select(['id', 'name', 'spec']).where('organisation_id', '=', organisationId).orderBy('id').execute();
  const names = new Map(items.map((i) => [i.id, i.name]));
  const specs = items.flatMap((i) => {
    try {
      return [{ ref: i.id, item: parseItem(JSON.parse(i.spec)) }];
    } catch {
      return []; // a specification the current schema no longer accepts cannot be compared
    }
  });
  const itemChanges = wouldChange(specs, old, next).map((c) => ({ ...c, item_id: c.ref, name: names.get(c.ref) ?? '' }));

  const records = await db
    .selectFrom('classification_records')
    .select(['id', 'item_id', 'item_name', 'spec', 'results', 'rule_sets', 'classified_at'])
    .where('organisation_id', '=', organisationId)
    .orderBy('seq', 'desc')
    .execute();
  const seen = new Set<string>();
  const newest = records.filter((r) => !seen.has(r.item_id) && seen.add(r.item_id));
  const keys = new Set([...old.ruleSet.entries, ...next.ruleSet.entries].map((e) => e.key));
  const after = compileRuleSets(withRuleSet(next));
  const recorded: RecordedChange[] = [];
  let checked = 0;
  let other = 0;
  for (const r of newest) {
    const used = (JSON.parse(r.rule_sets) as RuleSetRef[]).find((x) => x.id === old.ruleSet.id);
    if (!used) continue;
    if (used.sha256 !== old.sha256) {
      other++;
      continue;
    }
    checked++;
    let spec: ItemSpec;
    try {
      spec = parseItem(JSON.parse(r.spec));
    } catch {
      continue;
    }
    const now = summarise(classify(after, spec, { regimes: [next.ruleSet.id] })).results;
    const changes = statusChanges(JSON.parse(r.results) as EntrySummary[], now, (k) => keys.has(k));
    if (changes.length) recorded.push({ classification_id: r.id, item_id: r.item_id, item_name: r.item_name, classified_at: r.classified_at, changes });
  }
  return { items: itemChanges, items_checked: specs.length, recorded, recorded_checked: checked, recorded_under_other_versions: other };
}
