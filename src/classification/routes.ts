/**
 * Classification over HTTP: ad hoc classification, the organisation's item
 * register with recorded classifications (decisive events of the
 * transparency log), rule-set status, versions and diffs, and the published
 * JSON Schemas. Item specifications are validated by the core (item.ts), not by
 * the request schema, so a bad unit or field answers with the core's own code
 * (CLASSIFICATION_UNIT_UNKNOWN, …) naming the field inside the item.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../http/env.js';
import { defineRoute, principalOf, transact } from '../http/route.js';
import type { Principal } from '../identity/principal.js';
import { compareClassification } from './compare.js';
import { assessDestination } from './destination.js';
import { classify } from './evaluate.js';
import { parseItem } from './item.js';
import { itemJsonSchema } from './item-schema.js';
import { defaultEngine, shippedRuleSets } from './rules/index.js';
import { ruleSetJsonSchema } from './rules/ruleset-schema.js';
import {
  createItem,
  deleteItem,
  getClassification,
  getItem,
  listClassifications,
  listItems,
  listRuleSetVersions,
  loadRuleSetVersion,
  MAX_ITEM_NAME,
  MAX_NOTE,
  recordClassification,
  ruleSetImpact,
  storeRuleSetVersion,
  updateItem,
  type Actor,
} from './store.js';
import { overallStatus, summarise } from './summary.js';
import { diffRuleSets, ruleSetStatus } from './versioning.js';

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: true } });
const TAGS = ['classification'];

const actorOf = (p: Principal): Actor => ({ type: p.type, id: p.id });

// ------------------------------------------------------------------ schemas

const ItemSpecField = z.unknown().openapi({
  type: 'object',
  description: 'An item specification: the JSON Schema is at GET /api/schemas/item (`fabgate schema item`).',
  example: {
    kind: 'am_machine',
    name: 'Laser powder-bed metal printer',
    machine: { output_material_class: ['metal'], consolidation_sources: ['laser'], process_atmosphere: ['inert_gas'] },
  },
});
const RuleSetRefSchema = z.object({ id: z.string(), regime: z.string(), version: z.string(), sha256: z.string() }).openapi('RuleSetRef');
const EntryStatusSchema = z.enum(['controlled', 'not_controlled', 'needs_information', 'needs_review']);
const OverallStatusSchema = z.enum(['controlled', 'needs_information', 'needs_review', 'not_controlled']);
const EntrySummarySchema = z
  .object({ key: z.string(), status: EntryStatusSchema, applicable: z.boolean(), branch: z.string().optional(), missing: z.array(z.string()), review: z.array(z.string()) })
  .openapi('EntrySummary');
const TraceSchema = z.record(z.string(), z.unknown()).openapi({
  description:
    'The explanation tree: nodes all/any/not/any_element/element/unmodelled/condition/applicability with their result (met, not_met, unknown, review); ' +
    'a condition names its parameter, operator, threshold, the value found and the value converted to the threshold unit; any_element lists the elements that satisfied it.',
});
const EntryResultSchema = z
  .object({
    key: z.string(),
    regime: z.string(),
    id: z.string(),
    title: z.string(),
    status: EntryStatusSchema,
    applicable: z.boolean(),
    branch: z.string().optional(),
    missing: z.array(z.string()).readonly(),
    review: z.array(z.string()).readonly(),
    trace: TraceSchema,
    notes: z.array(z.object({ type: z.string(), summary: z.string() })),
    reasons_for_control: z.array(z.string()),
    confidence: z.string(),
    role: z.enum(['control_entry', 'scope_rule']),
    effect: z.string().optional(),
  })
  .openapi('EntryResult');
const DestinationRegimeSchema = z.object({ regime: z.string(), rule_set: z.string(), status: z.string(), reasons: z.array(z.string()), unknowns: z.array(z.string()) });
const DestinationSchema = z
  .object({
    destination: z.object({ code: z.string(), name: z.string(), assessed_as: z.string().optional() }),
    regimes: z.array(DestinationRegimeSchema.extend({ entries: z.array(z.record(z.string(), z.unknown())) })),
  })
  .openapi('DestinationAssessment');
const DestinationSummarySchema = z
  .object({ code: z.string(), name: z.string(), assessed_as: z.string().optional(), regimes: z.array(DestinationRegimeSchema) })
  .openapi('DestinationSummary');
const ComparisonSchema = z.record(z.string(), z.unknown()).openapi('RegimeComparison', { description: 'The item across regimes: controlled in, not controlled in, undecided in, and diverging entry families.' });
const ClassificationSchema = z
  .object({
    item: z.object({ kind: z.string(), id: z.string().optional(), name: z.string().optional() }),
    status: OverallStatusSchema,
    rule_sets: z.array(RuleSetRefSchema),
    controlled_by: z.array(z.string()).openapi({ description: 'Keys (as in entries.json) of every entry whose status is controlled.' }),
    needs_information: z.array(z.string()),
    needs_review: z.array(z.string()),
    results: z.array(EntryResultSchema),
    destination: DestinationSchema.optional(),
    comparison: ComparisonSchema.optional(),
  })
  .openapi('Classification');

const ItemSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.string(),
    spec: ItemSpecField,
    spec_sha256: z.string(),
    revision: z.number().int(),
    created_at: z.string(),
    created_by: z.string(),
    updated_at: z.string(),
    updated_by: z.string(),
  })
  .openapi('Item');
const ItemListEntrySchema = ItemSchema.omit({ spec: true })
  .extend({
    latest_classification: z
      .object({ id: z.string(), status: z.string(), controlled_by: z.array(z.string()), classified_at: z.string(), item_revision: z.number().int(), outdated: z.boolean() })
      .nullable(),
  })
  .openapi('ItemListEntry');
const OutdatedSchema = z.object({
  id: z.string(),
  regime: z.string(),
  recorded_version: z.string(),
  recorded_sha256: z.string(),
  current_version: z.string().nullable(),
  current_sha256: z.string().nullable(),
});
const RecordSchema = z
  .object({
    id: z.string(),
    item_id: z.string(),
    item_revision: z.number().int(),
    item_name: z.string(),
    spec: ItemSpecField,
    spec_sha256: z.string(),
    status: z.string(),
    controlled_by: z.array(z.string()),
    needs_information: z.array(z.string()),
    needs_review: z.array(z.string()),
    results: z.array(EntrySummarySchema),
    rule_sets: z.array(RuleSetRefSchema),
    destination: DestinationSummarySchema.nullable(),
    note: z.string().nullable(),
    classified_at: z.string(),
    classified_by: z.object({ type: z.enum(['user', 'token']), id: z.string() }),
    outdated: z.boolean().openapi({ description: 'A rule set it used is no longer the one in force: classify the item again.' }),
    outdated_rule_sets: z.array(OutdatedSchema),
    log: z
      .object({ leaf_index: z.number().int().nullable(), commitment: z.string() })
      .nullable()
      .openapi({ description: 'Its transparency-log event; once integrated, the receipt is at /log/receipt/{leaf_index}.' }),
  })
  .openapi('RecordedClassification');
const RuleSetVersionSchema = z
  .object({
    id: z.string(),
    rule_set_id: z.string(),
    regime: z.string(),
    version: z.string(),
    sha256: z.string(),
    effective_date: z.string(),
    review_date: z.string(),
    sunset_date: z.string().nullable(),
    entries: z.number().int(),
    shipped: z.boolean(),
    uploaded_at: z.string().nullable(),
    uploaded_by: z.string().nullable(),
    note: z.string().nullable(),
  })
  .openapi('RuleSetVersion');
const RuleSetStatusSchema = z
  .object({
    id: z.string(),
    regime: z.string(),
    title: z.string(),
    version: z.string(),
    sha256: z.string(),
    status: z.string(),
    effective_date: z.string(),
    review_date: z.string(),
    sunset_date: z.string().nullable(),
    state: z.enum(['current', 'not_yet_effective', 'review_overdue', 'sunset_passed']),
    flagged: z.boolean().openapi({ description: 'The review or sunset date has passed.' }),
    message: z.string(),
    entries: z.number().int(),
    open_questions: z.array(z.string()),
  })
  .openapi('RuleSetStatus');
const StatusChangeSchema = z.object({ key: z.string(), old_status: z.string(), new_status: z.string() });

const itemId = z.object({ id: z.string().min(1).max(64) });
const destinationField = z.string().min(2).max(8).openapi({ description: 'ISO 3166-1 alpha-2 country code', example: 'CN' });

// ------------------------------------------------------------------ routes

const itemSchemaRoute = defineRoute({
  method: 'get',
  path: '/api/schemas/item',
  access: 'public',
  tags: TAGS,
  summary: 'The JSON Schema of item specifications (what `fabgate schema item` prints)',
  responses: { 200: json(z.record(z.string(), z.unknown()), 'JSON Schema (draft 2020-12)') },
});
const ruleSetSchemaRoute = defineRoute({
  method: 'get',
  path: '/api/schemas/ruleset',
  access: 'public',
  tags: TAGS,
  summary: 'The JSON Schema of rule-set files (src/classification/rules/README.md)',
  responses: { 200: json(z.record(z.string(), z.unknown()), 'JSON Schema (draft 2020-12)') },
});
const classifyRoute = defineRoute({
  method: 'post',
  path: '/api/classification/classify',
  access: 'classification:run',
  // a POST because an item specification does not fit in a URL; it stores nothing
  readOnly: true,
  tags: TAGS,
  summary: 'Classify an item specification now, without storing it: every entry with its trace, the licence requirement for a destination, the comparison across regimes',
  request: body(
    z.strictObject({
      item: ItemSpecField,
      destination: destinationField.optional(),
      regimes: z.array(z.string().min(1).max(100)).max(20).optional().openapi({ description: 'Only these regimes (rule-set id, regime name or key prefix).' }),
      compare: z.boolean().default(true).openapi({ description: 'Compare the result across regimes.' }),
    }),
  ),
  responses: { 200: json(ClassificationSchema, 'The classification') },
});
const listItemsRoute = defineRoute({
  method: 'get',
  path: '/api/items',
  access: 'items:read',
  tags: TAGS,
  summary: "The organisation's item register, each item with its latest recorded classification",
  responses: { 200: json(z.object({ items: z.array(ItemListEntrySchema) }), 'Items') },
});
const createItemRoute = defineRoute({
  method: 'post',
  path: '/api/items',
  access: 'items:write',
  tags: TAGS,
  summary: 'Add an item specification to the register',
  request: body(z.strictObject({ name: z.string().max(MAX_ITEM_NAME).optional().openapi({ description: 'Defaults to the name in the specification.' }), spec: ItemSpecField })),
  responses: { 201: json(ItemSchema, 'Created') },
});
const getItemRoute = defineRoute({
  method: 'get',
  path: '/api/items/{id}',
  access: 'items:read',
  tags: TAGS,
  summary: 'One item with its specification',
  request: { params: itemId },
  responses: { 200: json(ItemSchema, 'The item') },
});
const updateItemRoute = defineRoute({
  method: 'put',
  path: '/api/items/{id}',
  access: 'items:write',
  tags: TAGS,
  summary: "Replace an item's name and specification (its recorded classifications keep the specification they classified)",
  request: {
    params: itemId,
    ...body(
      z.strictObject({
        name: z.string().max(MAX_ITEM_NAME).optional(),
        spec: ItemSpecField,
        revision: z.number().int().positive().optional().openapi({ description: 'Refuse the change (409) unless the item is still at this revision.' }),
      }),
    ),
  },
  responses: { 200: json(ItemSchema, 'Updated'), 409: json(z.object({ error: z.object({ code: z.string(), message: z.string() }) }), 'The item changed meanwhile') },
});
const deleteItemRoute = defineRoute({
  method: 'delete',
  path: '/api/items/{id}',
  access: 'items:write',
  tags: TAGS,
  summary: 'Remove an item that was never classified (a classified item is kept as evidence: 409)',
  request: { params: itemId },
  responses: { 204: { description: 'Removed' }, 409: json(z.object({ error: z.object({ code: z.string(), message: z.string() }) }), 'The item has recorded classifications') },
});
const listRecordsRoute = defineRoute({
  method: 'get',
  path: '/api/items/{id}/classifications',
  access: 'items:read',
  tags: TAGS,
  summary: "An item's recorded classifications, newest first, each flagged when made under a rule set no longer in force",
  request: { params: itemId },
  responses: { 200: json(z.object({ classifications: z.array(RecordSchema) }), 'Recorded classifications') },
});
const recordRoute = defineRoute({
  method: 'post',
  path: '/api/items/{id}/classifications',
  access: 'classification:run',
  tags: TAGS,
  summary: 'Classify a stored item and record the result (a decisive event of the transparency log)',
  request: { params: itemId, ...body(z.strictObject({ destination: destinationField.optional(), note: z.string().max(MAX_NOTE).optional() })) },
  responses: { 201: json(z.object({ record: RecordSchema, classification: ClassificationSchema }), 'Recorded') },
});
const getRecordRoute = defineRoute({
  method: 'get',
  path: '/api/classifications/{id}',
  access: 'items:read',
  tags: TAGS,
  summary: 'One recorded classification, with its full trace when the rule sets it used are still in force',
  request: { params: itemId },
  responses: {
    200: json(
      z.object({
        record: RecordSchema,
        classification: ClassificationSchema.nullable(),
        trace: z.enum(['rebuilt', 'rebuilt_differs', 'unavailable']).openapi({
          description:
            'rebuilt: the stored specification classified again under the same rule-set digests gives exactly the recorded answers; rebuilt_differs: it gives other answers (the evaluation code changed); unavailable: a rule set it used is no longer loaded.',
        }),
      }),
      'The recorded classification',
    ),
  },
});
const rulesRoute = defineRoute({
  method: 'get',
  path: '/api/rules',
  access: 'authenticated',
  tags: TAGS,
  summary: 'The rule sets in force with their dates and state (flagged when the review or sunset date has passed), and every known version',
  responses: { 200: json(z.object({ date: z.string(), rule_sets: z.array(RuleSetStatusSchema), versions: z.array(RuleSetVersionSchema) }), 'Rule sets') },
});
const uploadRuleSetRoute = defineRoute({
  method: 'post',
  path: '/api/rules',
  access: 'rules:manage',
  tags: TAGS,
  summary: 'Store a rule-set version to compare with the one in force (validated and compiled; never used to classify)',
  request: body(z.strictObject({ rule_set: z.unknown().openapi({ type: 'object', description: 'A rule-set document: GET /api/schemas/ruleset.' }), note: z.string().max(MAX_NOTE).optional() })),
  responses: { 201: json(RuleSetVersionSchema, 'Stored'), 409: json(z.object({ error: z.object({ code: z.string(), message: z.string() }) }), 'This version is already known') },
});
const diffRoute = defineRoute({
  method: 'get',
  path: '/api/rules/diff',
  access: 'authenticated',
  tags: TAGS,
  summary: "Entries added, removed and changed between two versions of a rule set; with items:read, which of the organisation's items and recorded classifications would change",
  request: {
    query: z.object({
      rule_set: z.string().min(1).max(64).openapi({ example: 'us-ear' }),
      from: z.string().min(1).max(100).default('current').openapi({ description: 'Version label, sha256, or "current" (the shipped one).' }),
      to: z.string().min(1).max(100).openapi({ description: 'Version label or sha256.' }),
    }),
  },
  responses: {
    200: json(
      z.object({
        from: RuleSetRefSchema,
        to: RuleSetRefSchema,
        diff: z.object({
          regime: z.string(),
          old_version: z.string(),
          new_version: z.string(),
          metadata: z.array(z.object({ what: z.string(), old: z.unknown().optional(), new: z.unknown().optional() })),
          added: z.array(z.string()),
          removed: z.array(z.string()),
          changed: z.array(z.object({ key: z.string(), changes: z.array(z.object({ what: z.string(), old: z.unknown().optional(), new: z.unknown().optional() })) })),
        }),
        impact: z
          .object({
            items: z.array(z.object({ item_id: z.string(), name: z.string(), ref: z.string(), changes: z.array(StatusChangeSchema) })),
            items_checked: z.number().int(),
            recorded: z.array(z.object({ classification_id: z.string(), item_id: z.string(), item_name: z.string(), classified_at: z.string(), changes: z.array(StatusChangeSchema) })),
            recorded_checked: z.number().int(),
            recorded_under_other_versions: z.number().int(),
          })
          .nullable()
          .openapi({ description: 'null without the items:read permission.' }),
      }),
      'The differences',
    ),
  },
});

const refOf = (l: { ruleSet: { id: string; regime: string; version: string }; sha256: string }) => ({ id: l.ruleSet.id, regime: l.ruleSet.regime, version: l.ruleSet.version, sha256: l.sha256 });

/** The JSON Schemas are computed once: they only change with the code. */
let schemas: { item: Record<string, unknown>; ruleset: Record<string, unknown> } | undefined;
const publishedSchemas = () => (schemas ??= { item: itemJsonSchema(), ruleset: ruleSetJsonSchema() });

export function classificationRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(itemSchemaRoute, (c) => c.json(publishedSchemas().item, 200));
  app.openapi(ruleSetSchemaRoute, (c) => c.json(publishedSchemas().ruleset, 200));

  app.openapi(classifyRoute, (c) => {
    const input = c.req.valid('json');
    const item = parseItem(input.item);
    const engine = defaultEngine();
    const classification = classify(engine, item, input.regimes ? { regimes: input.regimes } : {});
    const destination = input.destination !== undefined ? assessDestination(classification, input.destination, engine) : undefined;
    const comparison = input.compare ? compareClassification(classification, engine) : undefined;
    return c.json({ ...classification, status: overallStatus(classification), ...(destination ? { destination } : {}), ...(comparison ? { comparison } : {}) }, 200);
  });

  app.openapi(listItemsRoute, async (c) => {
    const p = principalOf(c);
    return c.json({ items: await listItems(c.get('services').database.db, p.organisationId, defaultEngine().refs) }, 200);
  });

  app.openapi(createItemRoute, async (c) => {
    const p = principalOf(c);
    const input = c.req.valid('json');
    const { clock } = c.get('services');
    const item = await transact(c, async (trx, audit) => {
      const created = await createItem(trx, clock, { organisationId: p.organisationId, actor: actorOf(p), spec: input.spec, ...(input.name !== undefined ? { name: input.name } : {}) });
      await audit('classification.item_created', 'classification_item', created.id);
      return created;
    });
    return c.json(item, 201);
  });

  app.openapi(getItemRoute, async (c) => {
    const p = principalOf(c);
    return c.json(await getItem(c.get('services').database.db, p.organisationId, c.req.valid('param').id), 200);
  });

  app.openapi(updateItemRoute, async (c) => {
    const p = principalOf(c);
    const { id } = c.req.valid('param');
    const input = c.req.valid('json');
    const { clock } = c.get('services');
    const item = await transact(c, async (trx, audit) => {
      const updated = await updateItem(trx, clock, {
        organisationId: p.organisationId,
        actor: actorOf(p),
        id,
        spec: input.spec,
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.revision !== undefined ? { revision: input.revision } : {}),
      });
      await audit('classification.item_updated', 'classification_item', updated.id);
      return updated;
    });
    return c.json(item, 200);
  });

  app.openapi(deleteItemRoute, async (c) => {
    const p = principalOf(c);
    const { id } = c.req.valid('param');
    await transact(c, async (trx, audit) => {
      await deleteItem(trx, p.organisationId, id);
      await audit('classification.item_deleted', 'classification_item', id);
    });
    return c.body(null, 204);
  });

  app.openapi(listRecordsRoute, async (c) => {
    const p = principalOf(c);
    const list = await listClassifications(c.get('services').database.db, p.organisationId, c.req.valid('param').id, defaultEngine().refs);
    return c.json({ classifications: list }, 200);
  });

  app.openapi(recordRoute, async (c) => {
    const p = principalOf(c);
    const { id } = c.req.valid('param');
    const input = c.req.valid('json');
    const { clock } = c.get('services');
    const engine = defaultEngine();
    const recorded = await transact(c, async (trx, audit) => {
      const r = await recordClassification(trx, clock, engine, {
        organisationId: p.organisationId,
        actor: actorOf(p),
        itemId: id,
        ...(input.destination !== undefined ? { destination: input.destination } : {}),
        ...(input.note !== undefined ? { note: input.note } : {}),
      });
      await audit('classification.recorded', 'classification', r.record.id);
      return r;
    });
    const classification = {
      ...recorded.classification,
      status: overallStatus(recorded.classification),
      ...(recorded.destination ? { destination: recorded.destination } : {}),
      comparison: compareClassification(recorded.classification, engine),
    };
    return c.json({ record: recorded.record, classification }, 201);
  });

  app.openapi(getRecordRoute, async (c) => {
    const p = principalOf(c);
    const engine = defaultEngine();
    const record = await getClassification(c.get('services').database.db, p.organisationId, c.req.valid('param').id, engine.refs);
    if (record.outdated) return c.json({ record, classification: null, trace: 'unavailable' as const }, 200);
    // Same rule-set digests: classifying the stored specification again rebuilds the trace that was decided.
    const classification = classify(engine, parseItem(record.spec), { regimes: record.rule_sets.map((r) => r.id) });
    const again = summarise(classification);
    const same = JSON.stringify([again.status, again.results]) === JSON.stringify([record.status, record.results]);
    const destination = record.destination ? assessDestination(classification, record.destination.code, engine) : undefined;
    return c.json(
      {
        record,
        classification: { ...classification, status: overallStatus(classification), ...(destination ? { destination } : {}), comparison: compareClassification(classification, engine) },
        trace: same ? ('rebuilt' as const) : ('rebuilt_differs' as const),
      },
      200,
    );
  });

  app.openapi(rulesRoute, async (c) => {
    const { clock, database } = c.get('services');
    const now = clock.now();
    const sets = shippedRuleSets();
    const status = ruleSetStatus(sets, now).map((s, i) => {
      const r = sets[i]!;
      return { ...s, title: r.ruleSet.title, sha256: r.sha256, entries: r.ruleSet.entries.length, open_questions: r.ruleSet.open_questions };
    });
    return c.json({ date: now.toISOString().slice(0, 10), rule_sets: status, versions: await listRuleSetVersions(database.db) }, 200);
  });

  app.openapi(uploadRuleSetRoute, async (c) => {
    const p = principalOf(c);
    const input = c.req.valid('json');
    const { clock } = c.get('services');
    const stored = await transact(c, async (trx, audit) => {
      const v = await storeRuleSetVersion(trx, clock, { organisationId: p.organisationId, actor: actorOf(p), document: input.rule_set, ...(input.note !== undefined ? { note: input.note } : {}) });
      await audit('classification.ruleset_uploaded', 'classification_rule_set', v.id);
      return v;
    });
    return c.json(stored, 201);
  });

  app.openapi(diffRoute, async (c) => {
    const p = principalOf(c);
    const q = c.req.valid('query');
    const db = c.get('services').database.db;
    const from = await loadRuleSetVersion(db, q.rule_set, q.from);
    const to = await loadRuleSetVersion(db, q.rule_set, q.to);
    const diff = diffRuleSets(from.ruleSet, to.ruleSet);
    const impact = p.permissions.has('items:read') ? await ruleSetImpact(db, p.organisationId, from, to) : null;
    return c.json({ from: refOf(from), to: refOf(to), diff, impact }, 200);
  });
}
