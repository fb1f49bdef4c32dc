/**
 * Screening over HTTP: list versions (upload, activation, diff), ad hoc
 * screening of one party, batches as background jobs with a result download,
 * the customer register, the alert queue and review decisions.
 *
 * Lists are global (every organisation screens against the same active
 * versions); parties, alerts, decisions and batches belong to the caller's
 * organisation, and another organisation's record is a 404.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { recordAudit } from '../audit/trail.js';
import type { AppEnv } from '../http/env.js';
import { actorOf, defineRoute, principalOf, transact } from '../http/route.js';
import { FabgateError } from '../shared/errors.js';
import { PartyLine } from './party-line.js';
import { batchResultLines, getBatch, listBatches, listRescreens, MAX_BATCH_PARTIES, screeningJobs, startScreening, submitBatch } from './jobs.js';
import type { ListInput } from './lists/source.js';
import type { Party } from './match/types.js';
import { DEFAULT_THRESHOLD } from './match/types.js';
import { LIST_FORMATS, type ListFormat } from './model.js';
import { createParty, decideAlert, decideHit, deleteParty, getAlert, getParty, listAlerts, listDecisions, listParties, MAX_PARTY_NAME, MAX_REASON, rescreenParty, updateParty } from './review.js';
import { listSetId, screeningRuntime } from './runtime.js';
import { activateVersion, afterActivation, loadListFiles, screenOne } from './service.js';
import { activeListVersions, currentGeneration, diffVersions, getListedEntity, getListVersion, listListVersions } from './versions.js';

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: true } });
const LIST_TAGS = ['lists'];
const TAGS = ['screening'];
const CONFLICT = { 409: json(z.object({ error: z.object({ code: z.string(), message: z.string() }) }), 'The request conflicts with the current state') };

// ------------------------------------------------------------------ schemas

const LoadedFileSchema = z.object({ name: z.string(), sha256: z.string(), role: z.string().optional(), records: z.number().int() });
const ListVersionSchema = z
  .object({
    id: z.string(),
    list: z.string().openapi({ example: 'us-ofac-sdn' }),
    format: z.string(),
    content_hash: z.string().openapi({ description: 'SHA-256 of the source file (for several files: over "role name sha256" lines).' }),
    source_date: z.string().nullable(),
    files: z.array(LoadedFileSchema),
    counts: z.object({
      entities: z.number().int(),
      by_type: z.record(z.string(), z.number().int()),
      names: z.number().int(),
      aliases: z.number().int(),
      addresses: z.number().int(),
      records: z.record(z.string(), z.number().int()),
      skipped: z.record(z.string(), z.number().int()),
    }),
    entities: z.number().int().openapi({ description: 'Distinct entity ids stored (a list that repeats an id keeps its last entry).' }),
    entities_digest: z.string(),
    loaded_at: z.string(),
    loaded_by: z.object({ type: z.string(), id: z.string().nullable() }),
    active: z.boolean(),
    activated_at: z.string().nullable(),
    log: z.object({ leaf_index: z.number().int().nullable(), commitment: z.string() }).nullable(),
  })
  .openapi('ListVersion');
const EntitySummarySchema = z.object({ entity_id: z.string(), name: z.string(), type: z.string(), programmes: z.array(z.string()) });
const ListedEntitySchema = z.unknown().openapi({ type: 'object', description: 'A listed entity: entity_id, list, type, name, aliases (with quality), addresses, countries, dates_of_birth, identifiers, programmes, remarks.' });
const ExplanationSchema = z.unknown().openapi({
  type: 'object',
  description:
    'Why it matched: which name (primary, alias, weak alias, original script, previous name), the query and the listed name as normalised, the name score, ' +
    'each query token paired with a listed token (exact, romanisation, typo with its edit distance, vowels, initial, legal form), tokens left unmatched on each side, and what country, date of birth and type did to the score.',
});
const DecisionSchema = z
  .object({
    id: z.string(),
    fingerprint: z.string(),
    party: z.object({ name: z.string(), country: z.string().nullable(), type: z.string().nullable(), dob: z.string().nullable() }),
    party_kind: z.string().nullable(),
    party_ref: z.string().nullable(),
    list: z.string(),
    entity_id: z.string(),
    version_id: z.string(),
    matched_name: z.string(),
    score: z.number(),
    decision: z.enum(['true_positive', 'false_positive']),
    reason: z.string(),
    alert_id: z.string().nullable(),
    decided_at: z.string(),
    decided_by: z.object({ type: z.string(), id: z.string(), name: z.string().nullable().openapi({ description: 'The display name of the user who decided (null for a system actor).' }) }),
    log: z.object({ leaf_index: z.number().int().nullable(), commitment: z.string() }).nullable(),
  })
  .openapi('ScreeningDecision');
const MatchSchema = z.object({ entity_id: z.string(), list: z.string(), matched_name: z.string(), score: z.number(), explanation: ExplanationSchema }).openapi('Match');
const ScreenedMatchSchema = MatchSchema.extend({
  fingerprint: z.string().openapi({ description: 'SHA-256 of the party as screened and the entity’s matching-relevant content: a decision on this hit is remembered by it.' }),
  version_id: z.string(),
  entity: ListedEntitySchema,
  review: DecisionSchema.nullable().openapi({ description: 'The organisation’s latest decision on exactly this hit, if any.' }),
}).openapi('ScreenedMatch');
const ListRefSchema = z.object({ version_id: z.string(), list: z.string(), content_hash: z.string(), source_date: z.string().nullable(), entities: z.number().int() });
const PartyTypeSchema = z.enum(['person', 'organisation', 'vessel', 'aircraft']);
const PartyFields = {
  name: z.string().min(1).max(MAX_PARTY_NAME).openapi({ example: 'Otkrytoe Aktsionernoe Obshchestvo Kontsern Sirius' }),
  country: z.string().max(100).optional().openapi({ description: 'ISO 3166-1 alpha-2 or a country name', example: 'RU' }),
  dob: z.string().max(100).optional().openapi({ description: 'Persons: date (or year) of birth' }),
};
const ScreenRequestSchema = z.strictObject({
  ...PartyFields,
  type: PartyTypeSchema.optional(),
  threshold: z.number().min(0).max(1).optional().openapi({ description: `Lowest score reported (default ${DEFAULT_THRESHOLD}).` }),
  limit: z.number().int().min(1).max(100).optional(),
});
const ScreenResultSchema = z
  .object({
    party: z.object({ id: z.string(), name: z.string(), country: z.string().optional(), type: z.string().optional(), dob: z.string().optional() }),
    threshold: z.number(),
    screened_at: z.string(),
    generation: z.number().int(),
    lists: z.array(ListRefSchema),
    matches: z.array(ScreenedMatchSchema),
  })
  .openapi('ScreeningResult');
const JobSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['batch', 'rescreen']),
    state: z.enum(['queued', 'running', 'done', 'failed', 'superseded']),
    name: z.string().nullable(),
    total: z.number().int(),
    done: z.number().int(),
    matched: z.number().int().openapi({ description: 'Batches: parties with at least one match; re-screening: alerts raised.' }),
    threshold: z.number(),
    generation: z.number().int().nullable(),
    created_at: z.string(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .openapi('ScreeningJob');
const PartySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    country: z.string().nullable(),
    type: z.string().nullable(),
    dob: z.string().nullable(),
    reference: z.string().nullable(),
    revision: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
    screened_at: z.string().nullable(),
    status: z.enum(['clear', 'hits', 'not_screened']),
    hits: z.number().int(),
    open_alerts: z.number().int(),
  })
  .openapi('StoredParty');
const PartyInputSchema = z.strictObject({
  ...PartyFields,
  type: z.enum(['person', 'organisation']).optional(),
  reference: z.string().max(200).optional().openapi({ description: 'Your customer number or note.' }),
});
const AlertSchema = z
  .object({
    id: z.string(),
    party_kind: z.enum(['customer', 'application_party']),
    party_ref: z.string(),
    party: z.object({
      name: z.string(),
      country: z.string().nullable(),
      type: z.string().nullable(),
      dob: z.string().nullable(),
      application_id: z.string().optional(),
      application_reference: z.string().nullable().optional(),
      role: z.string().optional(),
    }),
    list: z.string(),
    entity_id: z.string(),
    version_id: z.string(),
    score: z.number(),
    matched_name: z.string(),
    match: MatchSchema,
    reason: z.enum(['new', 'changed']),
    trigger: z.string().openapi({ description: 'party_created, party_updated, list_activated or manual' }),
    state: z.enum(['open', 'decided', 'superseded', 'party_removed']),
    created_at: z.string(),
    closed_at: z.string().nullable(),
    decision: DecisionSchema.nullable(),
  })
  .openapi('ScreeningAlert');
const ScreeningOutcomeSchema = z.object({ alerts: z.array(z.string()), remembered: z.number().int(), matches: z.array(MatchSchema) });
const DecisionInputSchema = z.strictObject({
  decision: z.enum(['true_positive', 'false_positive']),
  reason: z.string().min(1).max(MAX_REASON),
});
const HitSchema = z.object({
  list: z.string(),
  entity_id: z.string(),
  score: z.number(),
  fingerprint: z.string(),
  first_seen_at: z.string(),
  last_seen_at: z.string(),
  decision: DecisionSchema.nullable(),
  open_alert: z.string().nullable(),
});
const idParam = z.object({ id: z.string().min(1).max(100) });
const formatField = z.enum(['auto', ...LIST_FORMATS]);

// ------------------------------------------------------------------ routes

const routes = {
  lists: defineRoute({
    method: 'get',
    path: '/api/lists',
    access: 'authenticated',
    tags: LIST_TAGS,
    summary: 'The active version of each list, and the generation of the active set',
    responses: { 200: json(z.object({ generation: z.number().int(), list_set: z.string().nullable(), lists: z.array(ListVersionSchema) }), 'Active lists') },
  }),
  versions: defineRoute({
    method: 'get',
    path: '/api/lists/versions',
    access: 'authenticated',
    tags: LIST_TAGS,
    summary: 'Every completely loaded version, newest first (loads in progress or abandoned are never listed)',
    request: { query: z.object({ list: z.string().max(100).optional() }) },
    responses: { 200: json(z.object({ versions: z.array(ListVersionSchema) }), 'Versions') },
  }),
  version: defineRoute({
    method: 'get',
    path: '/api/lists/versions/{id}',
    access: 'authenticated',
    tags: LIST_TAGS,
    summary: 'One list version with its counts, files and log entry',
    request: { params: idParam },
    responses: { 200: json(ListVersionSchema, 'The version') },
  }),
  upload: defineRoute({
    method: 'post',
    path: '/api/lists/versions',
    access: 'lists:manage',
    tags: LIST_TAGS,
    summary:
      'Load list files (multipart, one or more "file" fields; OFAC sdn/alt/add CSV parts given together form one list) as new versions; each becomes active only once completely loaded (list_version.activated in the log) and stored parties are re-screened',
    request: {
      body: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: z.object({
              file: z.any().openapi({ type: 'string', format: 'binary', description: 'A list file; repeat the field for several.' }),
              format: formatField.optional(),
            }),
          },
        },
      },
    },
    responses: {
      201: json(z.object({ loads: z.array(z.object({ version: ListVersionSchema, created: z.boolean(), activated: z.boolean(), rescreen_job: z.string().nullable() })) }), 'Loaded'),
    },
  }),
  activate: defineRoute({
    method: 'post',
    path: '/api/lists/versions/{id}/activate',
    access: 'lists:manage',
    tags: LIST_TAGS,
    summary: 'Make a loaded version the active one of its list (for instance, go back to the previous week); logged, and stored parties are re-screened',
    request: { params: idParam },
    responses: { 200: json(z.object({ version: ListVersionSchema, activated: z.boolean(), rescreen_job: z.string().nullable() }), 'Active') },
  }),
  diff: defineRoute({
    method: 'get',
    path: '/api/lists/versions/{from}/diff/{to}',
    access: 'authenticated',
    tags: LIST_TAGS,
    summary: 'Entities added, removed and changed (with the fields that changed) between two versions of one list',
    request: {
      params: z.object({ from: z.string().min(1).max(100), to: z.string().min(1).max(100) }),
      query: z.object({ limit: z.coerce.number().int().min(1).max(10_000).default(500).openapi({ description: 'At most this many entities of each kind.' }) }),
    },
    responses: {
      200: json(
        z.object({
          from: ListVersionSchema,
          to: ListVersionSchema,
          counts: z.object({ added: z.number().int(), removed: z.number().int(), changed: z.number().int(), unchanged: z.number().int() }),
          added: z.array(EntitySummarySchema),
          removed: z.array(EntitySummarySchema),
          changed: z.array(EntitySummarySchema.extend({ fields: z.array(z.string()), before: z.unknown(), after: z.unknown() })),
          truncated: z.boolean(),
        }),
        'The differences',
      ),
    },
  }),
  entity: defineRoute({
    method: 'get',
    path: '/api/lists/entity',
    access: 'authenticated',
    tags: LIST_TAGS,
    summary: 'One listed entity, from the active version of its list or from a given version',
    request: { query: z.object({ list: z.string().min(1).max(100), entity_id: z.string().min(1).max(200), version: z.string().max(100).optional() }) },
    responses: { 200: json(z.object({ entity: ListedEntitySchema, version_id: z.string() }), 'The entity') },
  }),
  rescreens: defineRoute({
    method: 'get',
    path: '/api/lists/rescreens',
    access: 'lists:manage',
    tags: LIST_TAGS,
    summary: 'The latest re-screenings of stored parties after activations, with their progress',
    responses: { 200: json(z.object({ jobs: z.array(JobSchema) }), 'Re-screening jobs') },
  }),
  screen: defineRoute({
    method: 'post',
    path: '/api/screening/screen',
    access: 'screening:run',
    readOnly: true,
    tags: TAGS,
    summary: 'Screen one party against the active lists: matches best first, each explained token by token, with the listed entity and any remembered decision; nothing is stored',
    request: body(ScreenRequestSchema),
    responses: { 200: json(ScreenResultSchema, 'The matches'), ...CONFLICT },
  }),
  submitBatch: defineRoute({
    method: 'post',
    path: '/api/screening/batches',
    access: 'screening:run',
    tags: TAGS,
    summary: `Submit a batch (a JSON-lines file in the multipart field "file", or JSON {parties}) of up to ${MAX_BATCH_PARTIES} parties; it runs in the background`,
    request: {
      body: {
        // either content type: each is validated only when it is the one sent
        required: false,
        content: {
          'application/json': {
            schema: z.strictObject({ parties: z.array(z.unknown()).min(1).max(MAX_BATCH_PARTIES), threshold: z.number().min(0).max(1).optional(), name: z.string().max(200).optional() }),
          },
          'multipart/form-data': {
            schema: z.object({
              file: z.any().openapi({ type: 'string', format: 'binary', description: 'One JSON object per line: {"id","name","country"?,"type"?,"dob"?}' }),
              threshold: z.string().optional(),
            }),
          },
        },
      },
    },
    responses: { 202: json(JobSchema, 'Queued') },
  }),
  batches: defineRoute({
    method: 'get',
    path: '/api/screening/batches',
    access: 'screening:run',
    tags: TAGS,
    summary: "The organisation's batches with their progress",
    responses: { 200: json(z.object({ batches: z.array(JobSchema) }), 'Batches') },
  }),
  batch: defineRoute({
    method: 'get',
    path: '/api/screening/batches/{id}',
    access: 'screening:run',
    tags: TAGS,
    summary: 'One batch: state and progress',
    request: { params: idParam },
    responses: { 200: json(JobSchema, 'The batch') },
  }),
  batchResults: defineRoute({
    method: 'get',
    path: '/api/screening/batches/{id}/results',
    access: 'screening:run',
    tags: TAGS,
    summary: 'The results of a finished batch as JSON lines {"id","matches"} in input order (409 while it runs)',
    request: { params: idParam },
    responses: { 200: { content: { 'application/x-ndjson': { schema: z.string() } }, description: 'JSON lines' }, ...CONFLICT },
  }),
  parties: defineRoute({
    method: 'get',
    path: '/api/screening/parties',
    access: 'screening:run',
    tags: TAGS,
    summary: "The organisation's customer register, each party with its screening status",
    responses: { 200: json(z.object({ parties: z.array(PartySchema) }), 'Parties') },
  }),
  createParty: defineRoute({
    method: 'post',
    path: '/api/screening/parties',
    access: 'screening:run',
    tags: TAGS,
    summary: 'Add a customer; it is screened at once and re-screened whenever a list version is activated',
    request: body(PartyInputSchema),
    responses: { 201: json(z.object({ party: PartySchema, screening: ScreeningOutcomeSchema }), 'Added') },
  }),
  party: defineRoute({
    method: 'get',
    path: '/api/screening/parties/{id}',
    access: 'screening:run',
    tags: TAGS,
    summary: 'One customer with its current hits (and any decision on each) and its alerts',
    request: { params: idParam },
    responses: { 200: json(z.object({ party: PartySchema, hits: z.array(HitSchema), alerts: z.array(AlertSchema) }), 'The party') },
  }),
  updateParty: defineRoute({
    method: 'put',
    path: '/api/screening/parties/{id}',
    access: 'screening:run',
    tags: TAGS,
    summary: 'Change a customer; it is screened again (a changed party raises its hits anew)',
    request: { params: idParam, ...body(PartyInputSchema.extend({ revision: z.number().int().positive().optional() })) },
    responses: { 200: json(z.object({ party: PartySchema, screening: ScreeningOutcomeSchema }), 'Changed'), ...CONFLICT },
  }),
  deleteParty: defineRoute({
    method: 'delete',
    path: '/api/screening/parties/{id}',
    access: 'screening:run',
    tags: TAGS,
    summary: 'Remove a customer (its decisions stay, they are evidence)',
    request: { params: idParam },
    responses: { 204: { description: 'Removed' } },
  }),
  rescreenParty: defineRoute({
    method: 'post',
    path: '/api/screening/parties/{id}/screen',
    access: 'screening:run',
    tags: TAGS,
    summary: 'Screen a customer again now',
    request: { params: idParam },
    responses: { 200: json(z.object({ party: PartySchema, screening: ScreeningOutcomeSchema }), 'Screened') },
  }),
  alerts: defineRoute({
    method: 'get',
    path: '/api/screening/alerts',
    access: 'screening:review',
    tags: TAGS,
    summary: 'The alert queue: new or changed hits of stored parties, newest first',
    request: { query: z.object({ state: z.enum(['open', 'decided', 'superseded', 'party_removed', 'all']).default('open') }) },
    responses: { 200: json(z.object({ alerts: z.array(AlertSchema) }), 'Alerts') },
  }),
  alert: defineRoute({
    method: 'get',
    path: '/api/screening/alerts/{id}',
    access: 'screening:review',
    tags: TAGS,
    summary: 'One alert with the listed entity as the version that raised it lists it, and earlier decisions on the same party and entity',
    request: { params: idParam },
    responses: { 200: json(z.object({ alert: AlertSchema, entity: ListedEntitySchema, history: z.array(DecisionSchema) }), 'The alert') },
  }),
  decideAlert: defineRoute({
    method: 'post',
    path: '/api/screening/alerts/{id}/decision',
    access: 'screening:review',
    tags: TAGS,
    summary: 'Mark an alert’s hit a true or false positive, with a reason (screening.decided in the log); the hit is not raised again unless the party or the entity changes',
    request: { params: idParam, ...body(DecisionInputSchema) },
    responses: { 201: json(DecisionSchema, 'Decided'), ...CONFLICT },
  }),
  decideHit: defineRoute({
    method: 'post',
    path: '/api/screening/decisions',
    access: 'screening:review',
    tags: TAGS,
    summary: 'Mark a hit seen in ad hoc screening a true or false positive: the party as screened and the listed entity (active version)',
    request: body(
      DecisionInputSchema.extend({
        party: z.strictObject({ ...PartyFields, type: PartyTypeSchema.optional() }),
        list: z.string().min(1).max(100),
        entity_id: z.string().min(1).max(200),
      }),
    ),
    responses: { 201: json(DecisionSchema, 'Decided') },
  }),
  decisions: defineRoute({
    method: 'get',
    path: '/api/screening/decisions',
    access: 'screening:review',
    tags: TAGS,
    summary: "The organisation's review decisions, newest first",
    responses: { 200: json(z.object({ decisions: z.array(DecisionSchema) }), 'Decisions') },
  }),
};

// ------------------------------------------------------------------ handlers

const partyOf = (p: { name: string; country?: string | undefined; type?: Party['type'] | undefined; dob?: string | undefined }, id = 'query'): Party => ({
  id,
  name: p.name,
  ...(p.country ? { country: p.country } : {}),
  ...(p.type ? { type: p.type } : {}),
  ...(p.dob ? { dob: p.dob } : {}),
});

const isMultipart = (c: Context<AppEnv>) => (c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/form-data');

async function formFiles(c: Context<AppEnv>, field: string): Promise<{ files: File[]; form: FormData }> {
  if (!isMultipart(c)) throw new FabgateError('SCREENING_UPLOAD_NOT_MULTIPART', 'send the files as multipart/form-data', 'invalid_input');
  let form: FormData;
  try {
    form = await c.req.formData();
  } catch {
    throw new FabgateError('SCREENING_UPLOAD_MALFORMED', 'the multipart body does not parse', 'invalid_input');
  }
  const files: File[] = [];
  for (const f of form.getAll(field)) if (typeof f !== 'string') files.push(f as File);
  if (files.length === 0) throw new FabgateError('SCREENING_FILE_MISSING', `send the file in the multipart field "${field}"`, 'invalid_input', { field });
  return { files, form };
}

/** Parse JSON lines of parties, naming the line of the first bad one. */
export function parsePartyLines(name: string, text: string): Party[] {
  const out: Party[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (!l) continue;
    if (out.length >= MAX_BATCH_PARTIES) throw new FabgateError('SCREENING_BATCH_TOO_LARGE', `a batch holds at most ${MAX_BATCH_PARTIES} parties`, 'too_large', { limit: MAX_BATCH_PARTIES });
    let raw: unknown;
    try {
      raw = JSON.parse(l);
    } catch {
      throw new FabgateError('SCREENING_PARTY_INVALID', `${name}: line ${i + 1}: expected one JSON object per line`, 'invalid_input', { file: name, line: i + 1 });
    }
    const r = PartyLine.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new FabgateError('SCREENING_PARTY_INVALID', `${name}: line ${i + 1}: ${issue?.path.join('.') || 'line'}: ${issue?.message}`, 'invalid_input', { file: name, line: i + 1 });
    }
    out.push(partyOf(r.data, r.data.id));
  }
  return out;
}

function validThreshold(raw: string | number | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const t = Number(raw);
  if (!Number.isFinite(t) || t < 0 || t > 1) throw new FabgateError('SCREENING_THRESHOLD_INVALID', 'threshold must be a number from 0 to 1', 'invalid_input', { field: 'threshold' });
  return t;
}

export function screeningRoutes(app: OpenAPIHono<AppEnv>): void {
  // The first screening request of a serving process starts its job runner (resuming jobs a restart left).
  app.use('/api/screening/*', async (c, next) => {
    startScreening(c.get('services'));
    await next();
  });
  app.use('/api/lists/*', async (c, next) => {
    startScreening(c.get('services'));
    await next();
  });

  app.openapi(routes.lists, async (c) => {
    const db = c.get('services').database.db;
    const lists = await activeListVersions(db);
    return c.json({ generation: await currentGeneration(db), list_set: listSetId(lists), lists }, 200);
  });

  app.openapi(routes.versions, async (c) => {
    const { list } = c.req.valid('query');
    return c.json({ versions: await listListVersions(c.get('services').database.db, list ? { list } : {}) }, 200);
  });

  app.openapi(routes.version, async (c) => c.json(await getListVersion(c.get('services').database.db, c.req.valid('param').id), 200));

  app.openapi(routes.upload, async (c) => {
    const services = c.get('services');
    const { files, form } = await formFiles(c, 'file');
    const formatRaw = form.get('format');
    const format = typeof formatRaw === 'string' && formatRaw ? formatRaw : 'auto';
    if (format !== 'auto' && !(LIST_FORMATS as readonly string[]).includes(format)) {
      throw new FabgateError('SCREENING_FORMAT_UNKNOWN', `format must be auto or one of ${LIST_FORMATS.join(', ')}`, 'invalid_input', { field: 'format' });
    }
    const inputs: ListInput[] = [];
    for (const f of files) {
      if (f.size > services.config.uploadLimit) throw new FabgateError('REQUEST_TOO_LARGE', `list files are limited to ${services.config.uploadLimit} bytes`, 'too_large', { limit: services.config.uploadLimit });
      inputs.push({ name: (f.name || 'upload').replace(/[/\\]/g, '_').slice(0, 200), bytes: new Uint8Array(await f.arrayBuffer()) });
    }
    const actor = actorOf(principalOf(c));
    const results = await loadListFiles(services, inputs, {
      actor,
      format: format as ListFormat | 'auto',
      // the completion and its audit record commit together; staging happened before, invisibly
      audit: async (trx, r) => {
        await recordAudit(trx, {
          actor,
          action: r.created ? 'lists.version_loaded' : 'lists.version_already_loaded',
          targetType: 'list_version',
          targetId: r.version.id,
          requestId: c.get('requestId'),
          bodySha256: c.get('bodySha256'),
          at: services.clock.now(),
        });
      },
    });
    c.set('audited', true);
    services.ledger.nudge();
    afterActivation(services);
    return c.json({ loads: results.map((r) => ({ version: r.version, created: r.created, activated: r.activation !== null, rescreen_job: r.rescreen_job })) }, 201);
  });

  app.openapi(routes.activate, async (c) => {
    const services = c.get('services');
    const { id } = c.req.valid('param');
    const actor = actorOf(principalOf(c));
    const r = await transact(c, async (trx, audit) => {
      const out = await activateVersion(services, trx, id, actor);
      await audit('lists.version_activated', 'list_version', id);
      return out;
    });
    afterActivation(services);
    return c.json({ version: await getListVersion(services.database.db, id), activated: r.activation !== null, rescreen_job: r.rescreen_job }, 200);
  });

  app.openapi(routes.diff, async (c) => {
    const { from, to } = c.req.valid('param');
    const { limit } = c.req.valid('query');
    return c.json(await diffVersions(c.get('services').database.db, from, to, limit), 200);
  });

  app.openapi(routes.entity, async (c) => {
    const q = c.req.valid('query');
    const found = await getListedEntity(c.get('services').database.db, q.list, q.entity_id, q.version);
    return c.json({ entity: found.entity, version_id: found.version_id }, 200);
  });

  app.openapi(routes.rescreens, async (c) => c.json({ jobs: await listRescreens(c.get('services').database.db) }, 200));

  app.openapi(routes.screen, async (c) => {
    const p = principalOf(c);
    const input = c.req.valid('json');
    const result = await screenOne(c.get('services'), p.organisationId, partyOf(input), {
      ...(input.threshold !== undefined ? { threshold: input.threshold } : {}),
      ...(input.limit !== undefined ? { limit: input.limit } : {}),
    });
    return c.json(result, 200);
  });

  app.openapi(routes.submitBatch, async (c) => {
    const p = principalOf(c);
    const services = c.get('services');
    let parties: Party[];
    let threshold: number | undefined;
    let name: string | null = null;
    if (isMultipart(c)) {
      const { files, form } = await formFiles(c, 'file');
      const f = files[0]!;
      name = (f.name || 'parties.jsonl').slice(0, 200);
      parties = parsePartyLines(name, await f.text());
      const t = form.get('threshold');
      threshold = validThreshold(typeof t === 'string' ? t : undefined);
    } else {
      const input = c.req.valid('json') as { parties?: unknown[]; threshold?: number; name?: string };
      // neither JSON nor multipart: nothing was validated
      if (!Array.isArray(input.parties)) throw new FabgateError('SCREENING_UPLOAD_UNSUPPORTED', 'send JSON {"parties": [...]} or a JSON-lines file as multipart/form-data', 'invalid_input');
      parties = parsePartyLines('parties', input.parties.map((x) => JSON.stringify(x)).join('\n'));
      threshold = validThreshold(input.threshold);
      name = input.name ?? null;
    }
    const job = await transact(c, async (trx, audit) => {
      const j = await submitBatch(trx, services.clock, { organisationId: p.organisationId, actor: actorOf(p), name, parties, ...(threshold !== undefined ? { threshold } : {}) });
      await audit('screening.batch_submitted', 'screening_job', j.id);
      return j;
    });
    screeningJobs(services).kick();
    return c.json(job, 202);
  });

  app.openapi(routes.batches, async (c) => c.json({ batches: await listBatches(c.get('services').database.db, principalOf(c).organisationId) }, 200));

  app.openapi(routes.batch, async (c) => c.json(await getBatch(c.get('services').database.db, principalOf(c).organisationId, c.req.valid('param').id), 200));

  app.openapi(routes.batchResults, async (c) => {
    const p = principalOf(c);
    const { id } = c.req.valid('param');
    const db = c.get('services').database.db;
    const job = await getBatch(db, p.organisationId, id);
    const lines = batchResultLines(db, p.organisationId, id);
    // the first line is read before answering, so "not finished" is a 409, not a broken stream
    const first = await lines.next();
    const enc = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        if (!first.done) controller.enqueue(enc.encode(first.value));
      },
      async pull(controller) {
        const n = await lines.next();
        if (n.done) controller.close();
        else controller.enqueue(enc.encode(n.value));
      },
    });
    const filename = `${(job.name ?? job.id).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9._-]/g, '_')}-results.jsonl`;
    return c.body(stream, 200, { 'content-type': 'application/x-ndjson; charset=utf-8', 'content-disposition': `attachment; filename="${filename}"` }) as never;
  });

  app.openapi(routes.parties, async (c) => c.json({ parties: await listParties(c.get('services').database.db, principalOf(c).organisationId) }, 200));

  const outcome = (s: { alerts: string[]; remembered: number; matches: unknown[] }) => ({ alerts: s.alerts, remembered: s.remembered, matches: s.matches as z.infer<typeof MatchSchema>[] });

  app.openapi(routes.createParty, async (c) => {
    const p = principalOf(c);
    const services = c.get('services');
    const input = c.req.valid('json');
    const snap = await screeningRuntime(services).snapshot();
    const r = await transact(c, async (trx, audit) => {
      const out = await createParty(trx, services.clock, snap, { organisationId: p.organisationId, actor: actorOf(p), party: input });
      await audit('screening.party_created', 'screening_party', out.party.id);
      return out;
    });
    return c.json({ party: r.party, screening: outcome(r.screening) }, 201);
  });

  app.openapi(routes.party, async (c) => c.json(await getParty(c.get('services').database.db, principalOf(c).organisationId, c.req.valid('param').id), 200));

  app.openapi(routes.updateParty, async (c) => {
    const p = principalOf(c);
    const services = c.get('services');
    const { id } = c.req.valid('param');
    const { revision, ...input } = c.req.valid('json');
    const snap = await screeningRuntime(services).snapshot();
    const r = await transact(c, async (trx, audit) => {
      const out = await updateParty(trx, services.clock, snap, { organisationId: p.organisationId, actor: actorOf(p), id, party: input, ...(revision !== undefined ? { revision } : {}) });
      await audit('screening.party_updated', 'screening_party', id);
      return out;
    });
    return c.json({ party: r.party, screening: outcome(r.screening) }, 200);
  });

  app.openapi(routes.deleteParty, async (c) => {
    const p = principalOf(c);
    const services = c.get('services');
    const { id } = c.req.valid('param');
    await transact(c, async (trx, audit) => {
      await deleteParty(trx, services.clock, p.organisationId, id);
      await audit('screening.party_deleted', 'screening_party', id);
    });
    return c.body(null, 204);
  });

  app.openapi(routes.rescreenParty, async (c) => {
    const p = principalOf(c);
    const services = c.get('services');
    const { id } = c.req.valid('param');
    const snap = await screeningRuntime(services).snapshot();
    const r = await transact(c, async (trx, audit) => {
      const out = await rescreenParty(trx, services.clock, snap, p.organisationId, id);
      await audit('screening.party_screened', 'screening_party', id);
      return out;
    });
    return c.json({ party: r.party, screening: outcome(r.screening) }, 200);
  });

  app.openapi(routes.alerts, async (c) => {
    const { state } = c.req.valid('query');
    return c.json({ alerts: await listAlerts(c.get('services').database.db, principalOf(c).organisationId, { state }) }, 200);
  });

  app.openapi(routes.alert, async (c) => c.json(await getAlert(c.get('services').database.db, principalOf(c).organisationId, c.req.valid('param').id), 200));

  app.openapi(routes.decideAlert, async (c) => {
    const p = principalOf(c);
    const services = c.get('services');
    const { id } = c.req.valid('param');
    const input = c.req.valid('json');
    const d = await transact(c, async (trx, audit) => {
      const out = await decideAlert(trx, services.clock, { organisationId: p.organisationId, actor: actorOf(p), alertId: id, decision: input.decision, reason: input.reason });
      await audit('screening.decided', 'screening_decision', out.id);
      return out;
    });
    return c.json(d, 201);
  });

  app.openapi(routes.decideHit, async (c) => {
    const p = principalOf(c);
    const services = c.get('services');
    const input = c.req.valid('json');
    const snap = await screeningRuntime(services).snapshot();
    const d = await transact(c, async (trx, audit) => {
      const out = await decideHit(trx, services.clock, snap, {
        organisationId: p.organisationId,
        actor: actorOf(p),
        party: partyOf(input.party),
        list: input.list,
        entityId: input.entity_id,
        decision: input.decision,
        reason: input.reason,
      });
      await audit('screening.decided', 'screening_decision', out.id);
      return out;
    });
    return c.json(d, 201);
  });

  app.openapi(routes.decisions, async (c) => c.json({ decisions: await listDecisions(c.get('services').database.db, principalOf(c).organisationId) }, 200));
}
