/**
 * The licensing reference data shipped in `data/` (see data/SOURCES.md for
 * provenance), validated once at first use. Everything the licensing logic
 * decides by — licence types, the case state machine, calendars and targets,
 * red flags, risk weights, routing rules, vocabularies — is data here, never
 * code; each file carries a version that is recorded with what it decided.
 */
import { z } from 'zod';
import { canonicalJson } from '../ledger/core/canonical-json.js';
import { FabgateError } from '../shared/errors.js';
import { sha256Hex } from '../shared/ids.js';
import authorityProfilesJson from './data/authority-profiles.json' with { type: 'json' };
import calendarsJson from './data/calendars.json' with { type: 'json' };
import destinationGroupsJson from './data/destination-groups.json' with { type: 'json' };
import licenceTypesJson from './data/licence-types.json' with { type: 'json' };
import redFlagsJson from './data/red-flags.json' with { type: 'json' };
import riskConfigJson from './data/risk-config.json' with { type: 'json' };
import routingRulesJson from './data/routing-rules.json' with { type: 'json' };
import stateMachineJson from './data/state-machine.json' with { type: 'json' };
import vocabulariesJson from './data/vocabularies.json' with { type: 'json' };

const version = z.string().regex(/^\d{4}-\d{2}-\d{2}(\.\d+)?$/);
const country = z.string().regex(/^[A-Z]{2}$/);

/* ------------------------------------------------------------ licence types */

export const licenceTypeSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  maps_to: z.record(z.string(), z.string()),
  reference_prefix: z.string().regex(/^[A-Z]{2,5}$/),
  destinations: z.strictObject({ min: z.number().int().min(0), max: z.number().int().min(1), allowed: z.array(country).optional(), allowed_source: z.string().optional() }),
  quantities: z.enum(['required', 'optional', 'none']),
  values: z.enum(['required', 'optional', 'none']),
  required_sections: z.array(z.enum(['items', 'destinations', 'parties', 'end_use', 'production_volume', 'documents', 'due_diligence', 'declaration'])),
  required_party_roles: z.array(z.string()),
  single_party_roles: z.array(z.string()),
  required_documents: z.array(z.string()),
  required_due_diligence: z.array(z.string()),
  default_validity_months: z.number().int().positive().nullable(),
  max_validity_months: z.number().int().positive().nullable(),
  validity_source: z.string(),
  appeal_window_days: z.number().int().positive(),
  appeal_window_source: z.string(),
  intent_response_days: z.number().int().positive(),
  intent_response_source: z.string(),
  query_response_working_days: z.number().int().positive(),
  query_response_source: z.string(),
});
export type LicenceType = z.infer<typeof licenceTypeSchema>;

/* ------------------------------------------------------------ state machine */

const transitionTarget = z.union([z.string(), z.array(z.strictObject({ state: z.string(), when: z.string() })).min(1)]);
export const transitionSchema = z.strictObject({
  id: z.string().regex(/^[a-z_]+$/),
  from: z.array(z.string()).min(1),
  to: transitionTarget,
  actor: z.string(),
  guards: z.array(z.string()),
  effects: z.array(z.string()),
  source: z.string(),
});
export type TransitionDef = z.infer<typeof transitionSchema>;

export const stateSchema = z.strictObject({
  id: z.string().regex(/^[a-z_0-9]+$/),
  exporter_status: z.string(),
  clock: z.enum(['none', 'running', 'paused', 'stopped']),
  appeal_clock: z.enum(['running']).optional(),
  terminal: z.boolean().optional(),
  exporter_editable: z.boolean().optional(),
  note: z.string().optional(),
  maps_to: z.record(z.string(), z.string()),
});
export type StateDef = z.infer<typeof stateSchema>;

export const stateMachineSchema = z.strictObject({
  version,
  source: z.string(),
  deviations: z.array(z.string()),
  actors: z.record(z.string(), z.array(z.string().regex(/^[a-z_]+:[a-z_]+$/))),
  states: z.array(stateSchema),
  transitions: z.array(transitionSchema),
  licence_states: z.array(z.string()),
  licence_transitions: z.array(z.strictObject({ id: z.string(), from: z.array(z.string()), to: z.string(), actor: z.enum(['licence_manager', 'holder']), source: z.string() })),
});
export type StateMachine = z.infer<typeof stateMachineSchema>;

/* ------------------------------------------------------ calendars, targets */

const ymd = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
export const calendarSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  time_zone: z.string(),
  cutoff: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
  weekend: z.array(z.number().int().min(0).max(6)),
  source: z.string(),
  rules: z.array(
    z.union([
      z.strictObject({ name: z.string(), fixed: z.string().regex(/^\d{2}-\d{2}$/), if_weekend: z.enum(['next_free_weekday', 'nearest_weekday']).optional(), from_year: z.number().int().optional() }),
      z.strictObject({ name: z.string(), easter: z.number().int() }),
      z.strictObject({ name: z.string(), month: z.number().int().min(1).max(12), weekday: z.number().int().min(0).max(6), nth: z.number().int().min(-1).max(5).refine((n) => n !== 0) }),
    ]),
  ),
  moved: z.array(z.strictObject({ from: ymd, to: ymd, name: z.string() })),
  extra: z.array(z.strictObject({ date: ymd, name: z.string() })),
});
export type CalendarDef = z.infer<typeof calendarSchema>;

export const slaTargetSchema = z.strictObject({
  id: z.string(),
  days: z.number().int().positive(),
  day_type: z.enum(['working', 'calendar']),
  source: z.string(),
  milestones: z
    .array(z.strictObject({ id: z.string(), days: z.number().int().positive(), day_type: z.enum(['working', 'calendar']), from: z.enum(['start', 'referral']), step: z.string() }))
    .optional(),
});
export type SlaTarget = z.infer<typeof slaTargetSchema>;

const authorityProfilesSchema = z.strictObject({
  version,
  note: z.string(),
  profiles: z.array(
    z.strictObject({
      country: z.union([country, z.literal('*')]),
      calendar: z.string(),
      targets: z.record(z.string(), slaTargetSchema),
      appeal_target: slaTargetSchema,
    }),
  ),
});
export type AuthorityProfile = z.infer<typeof authorityProfilesSchema>['profiles'][number];

/* ------------------------------------------------------------ red flags */

export const redFlagSchema = z.strictObject({
  id: z.string(),
  category: z.enum(['end-user', 'end-use', 'destination', 'shipping', 'payment', 'behaviour']),
  summary: z.string(),
  suggested_check: z.string(),
  source: z.string(),
  evaluation: z.strictObject({ kind: z.enum(['automatic', 'declared']), test: z.string(), params: z.record(z.string(), z.unknown()).optional() }),
});
export type RedFlagDef = z.infer<typeof redFlagSchema>;

/* ------------------------------------------------------------ risk */

const points = z.number().int().min(-100).max(100);
export const riskConfigSchema = z.strictObject({
  version,
  source: z.string(),
  indicators: z.strictObject({
    application_domain: z.strictObject({ rule: z.string(), weights: z.record(z.string(), points), missing: points }),
    technical_complexity: z.strictObject({
      rule: z.string(),
      per_controlled_entry: points,
      controlled_cap: points,
      per_open_entry: points,
      open_cap: points,
      item_kind: z.record(z.string(), points),
    }),
    production_scale: z.strictObject({ rule: z.string(), bands: z.array(z.strictObject({ up_to: z.number().positive().nullable(), points })).min(1), missing: points }),
    due_diligence: z.strictObject({ rule: z.string(), evidence: z.record(z.string(), z.strictObject({ present: points, absent: points })) }),
    destination: z.strictObject({
      rule: z.string(),
      groups: z.array(z.strictObject({ group: z.string(), points })),
      outside_group: z.strictObject({ group: z.string(), points }),
    }),
    party_history: z.strictObject({
      rule: z.string(),
      per_prior_refusal: points,
      refusal_cap: points,
      per_prior_approval: points,
      approval_cap: points,
      screening: z.strictObject({ potential_match: points, strong_match: points, unavailable: points }),
    }),
    red_flags: z.strictObject({ rule: z.string(), category_points: z.record(z.string(), points), overrides: z.record(z.string(), points) }),
  }),
  bands: z.array(z.strictObject({ id: z.string(), min: z.number().int() })).min(1),
  countersignatures: z.strictObject({ source: z.string(), by_band: z.record(z.string(), z.number().int().min(0).max(2)), by_flag: z.record(z.string(), z.number().int().min(0).max(2)) }),
  blocking_flags: z.strictObject({ source: z.string(), approve: z.array(z.string()), clearable_by: z.record(z.string(), z.enum(['authority', 'countersigner', 'nobody'])) }),
});
export type RiskConfig = z.infer<typeof riskConfigSchema>;

/* ------------------------------------------------------------ routing */

export const routingConditionsSchema = z.strictObject({
  state_in: z.array(z.string()).optional(),
  case_type_in: z.array(z.string()).optional(),
  flags_any: z.array(z.string()).optional(),
  flags_none: z.array(z.string()).optional(),
  destination_in: z.array(country).optional(),
  destination_group_in: z.array(z.string()).optional(),
  item_entry_any: z.array(z.string()).optional(),
  risk_band_in: z.array(z.string()).optional(),
});
export type RoutingConditions = z.infer<typeof routingConditionsSchema>;

export const routingRulesSchema = z.strictObject({
  version,
  source: z.string(),
  queues: z.array(z.strictObject({ id: z.string(), name: z.string() })),
  default_queue: z.string(),
  rules: z.array(z.strictObject({ id: z.string(), tier: z.number().int(), queue: z.string(), when: routingConditionsSchema })),
});
export type RoutingRules = z.infer<typeof routingRulesSchema>;

/* ------------------------------------------------------------ vocabularies */

const named = z.strictObject({ id: z.string(), name: z.string(), description: z.string().optional(), source: z.string().optional() });
export const vocabulariesSchema = z.strictObject({
  version,
  party_roles: z.array(named),
  party_roles_source: z.string(),
  party_sub_types: z.array(z.string()),
  party_sub_types_source: z.string(),
  business_types: z.array(z.string()),
  address_types: z.array(z.string()),
  address_types_source: z.string(),
  application_domains: z.array(named),
  application_domains_source: z.string(),
  document_types: z.array(named),
  document_media_types: z.array(z.string()),
  document_max_bytes: z.number().int().positive(),
  document_limits_source: z.string(),
  payment_terms: z.array(z.string()),
  quantity_units: z.array(z.string()),
  end_use_statement_elements: z.array(named),
  end_use_statement_elements_source: z.string(),
  due_diligence_questions: z.array(z.strictObject({ id: z.string(), type: z.enum(['boolean', 'elements']), question: z.string(), source: z.string() })),
  standard_conditions: z.array(z.strictObject({ id: z.string(), text: z.string(), source: z.string() })),
  refusal_criteria: z.array(z.strictObject({ id: z.string(), text: z.string() })),
  refusal_criteria_source: z.string(),
  refusal_targets: z.array(z.string()),
  appeal_outcomes: z.array(z.strictObject({ id: z.string(), name: z.string(), lite: z.string() })),
  appeal_target: z.strictObject({ days: z.number().int(), day_type: z.enum(['working', 'calendar']), id: z.string(), source: z.string() }),
});
export type Vocabularies = z.infer<typeof vocabulariesSchema>;

/* ------------------------------------------------------------ destinations */

export const destinationGroupsSchema = z.strictObject({
  version: ymd,
  source: z.string(),
  groups: z.record(z.string(), z.strictObject({ label: z.string(), members: z.array(country) })),
  treated_as: z.record(country, country),
});
export type DestinationGroups = z.infer<typeof destinationGroupsSchema>;

/* ------------------------------------------------------------ loading */

/** A data file as loaded: its content, its version and the SHA-256 of its canonical JSON. */
export interface Versioned<T> {
  data: T;
  version: string;
  /** SHA-256 (hex) of the canonical JSON: recorded beside the version, so an edit without a new version still shows. */
  sha256: string;
}

function load<T extends { version: string }>(name: string, schema: z.ZodType<T>, value: unknown): Versioned<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new FabgateError('LICENSING_DATA_INVALID', `licensing data ${name} is invalid: ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 'internal');
  }
  return { data: r.data, version: r.data.version, sha256: sha256Hex(canonicalJson(value)) };
}

export interface LicensingReference {
  licenceTypes: Versioned<{ version: string; source: string; types: LicenceType[] }>;
  machine: Versioned<StateMachine>;
  calendars: Versioned<{ version: string; calendars: CalendarDef[] }>;
  authorityProfiles: Versioned<z.infer<typeof authorityProfilesSchema>>;
  redFlags: Versioned<{ version: string; source: string; flags: RedFlagDef[] }>;
  risk: Versioned<RiskConfig>;
  routing: Versioned<RoutingRules>;
  vocabularies: Versioned<Vocabularies>;
  destinationGroups: Versioned<DestinationGroups>;
}

let cached: LicensingReference | undefined;

/** The shipped reference data, validated and cross-checked once. */
export function licensingReference(): LicensingReference {
  if (cached) return cached;
  const ref: LicensingReference = {
    licenceTypes: load('licence-types.json', z.strictObject({ version, source: z.string(), types: z.array(licenceTypeSchema).min(1) }), licenceTypesJson),
    machine: load('state-machine.json', stateMachineSchema, stateMachineJson),
    calendars: load('calendars.json', z.strictObject({ version, calendars: z.array(calendarSchema).min(1) }), calendarsJson),
    authorityProfiles: load('authority-profiles.json', authorityProfilesSchema, authorityProfilesJson),
    redFlags: load('red-flags.json', z.strictObject({ version, source: z.string(), flags: z.array(redFlagSchema) }), redFlagsJson),
    risk: load('risk-config.json', riskConfigSchema, riskConfigJson),
    routing: load('routing-rules.json', routingRulesSchema, routingRulesJson),
    vocabularies: load('vocabularies.json', vocabulariesSchema, vocabulariesJson),
    destinationGroups: load('destination-groups.json', destinationGroupsSchema, destinationGroupsJson),
  };
  crossCheck(ref);
  cached = ref;
  return ref;
}

/** References between the files must resolve: a typo in data must stop start-up, not surface in a case. */
function crossCheck(ref: LicensingReference): void {
  const fail = (message: string) => {
    throw new FabgateError('LICENSING_DATA_INVALID', message, 'internal');
  };
  const states = new Set(ref.machine.data.states.map((s) => s.id));
  for (const t of ref.machine.data.transitions) {
    if (!ref.machine.data.actors[t.actor]) fail(`transition ${t.id}: unknown actor ${t.actor}`);
    for (const f of t.from) if (!states.has(f)) fail(`transition ${t.id}: unknown from-state ${f}`);
    const targets = typeof t.to === 'string' ? [t.to] : t.to.map((c) => c.state);
    for (const s of targets) if (s !== '$previous' && !states.has(s)) fail(`transition ${t.id}: unknown to-state ${s}`);
  }
  const calendars = new Set(ref.calendars.data.calendars.map((c) => c.id));
  const types = new Set(ref.licenceTypes.data.types.map((t) => t.id));
  if (!ref.authorityProfiles.data.profiles.some((p) => p.country === '*')) fail('authority profiles: no fallback profile (country "*")');
  for (const p of ref.authorityProfiles.data.profiles) {
    if (!calendars.has(p.calendar)) fail(`authority profile ${p.country}: unknown calendar ${p.calendar}`);
    for (const t of types) if (!p.targets[t]) fail(`authority profile ${p.country}: no target for licence type ${t}`);
  }
  const roles = new Set(ref.vocabularies.data.party_roles.map((r) => r.id));
  const docs = new Set(ref.vocabularies.data.document_types.map((d) => d.id));
  const questions = new Set(ref.vocabularies.data.due_diligence_questions.map((q) => q.id));
  for (const t of ref.licenceTypes.data.types) {
    for (const r of [...t.required_party_roles, ...t.single_party_roles]) if (!roles.has(r)) fail(`licence type ${t.id}: unknown party role ${r}`);
    for (const d of t.required_documents) if (!docs.has(d)) fail(`licence type ${t.id}: unknown document type ${d}`);
    for (const q of t.required_due_diligence) if (!questions.has(q)) fail(`licence type ${t.id}: unknown due-diligence question ${q}`);
  }
  const queues = new Set(ref.routing.data.queues.map((q) => q.id));
  if (!queues.has(ref.routing.data.default_queue)) fail(`routing: unknown default queue ${ref.routing.data.default_queue}`);
  for (const r of ref.routing.data.rules) if (!queues.has(r.queue)) fail(`routing rule ${r.id}: unknown queue ${r.queue}`);
  const groups = ref.destinationGroups.data.groups;
  for (const g of [...ref.risk.data.indicators.destination.groups.map((x) => x.group), ref.risk.data.indicators.destination.outside_group.group]) {
    if (!groups[g]) fail(`risk config: unknown country group ${g}`);
  }
  const bands = new Set(ref.risk.data.bands.map((b) => b.id));
  for (const b of Object.keys(ref.risk.data.countersignatures.by_band)) if (!bands.has(b)) fail(`risk config: unknown band ${b}`);
  for (const d of Object.keys(ref.risk.data.indicators.application_domain.weights)) {
    if (!ref.vocabularies.data.application_domains.some((x) => x.id === d)) fail(`risk config: unknown application domain ${d}`);
  }
}

/** A licence type by id; LICENSING_LICENCE_TYPE_UNKNOWN when there is none. */
export function licenceType(id: string, ref = licensingReference()): LicenceType {
  const t = ref.licenceTypes.data.types.find((x) => x.id === id);
  if (!t) throw new FabgateError('LICENSING_LICENCE_TYPE_UNKNOWN', `no licence type '${id}'`, 'invalid_input', { known: ref.licenceTypes.data.types.map((x) => x.id) });
  return t;
}

/** The calendar and targets an authority in `country` works to (the '*' profile when none is configured). */
export function authorityProfile(country: string | null, ref = licensingReference()): AuthorityProfile & { calendarDef: CalendarDef } {
  const profiles = ref.authorityProfiles.data.profiles;
  const p = profiles.find((x) => x.country === country) ?? profiles.find((x) => x.country === '*')!;
  return { ...p, calendarDef: ref.calendars.data.calendars.find((c) => c.id === p.calendar)! };
}

/** The EAR country groups a destination belongs to (Hong Kong is read as China, per the EAR). */
export function destinationGroupsOf(code: string, ref = licensingReference()): string[] {
  const d = ref.destinationGroups.data;
  const as = d.treated_as[code] ?? code;
  return Object.entries(d.groups)
    .filter(([, g]) => g.members.includes(as))
    .map(([id]) => id);
}
