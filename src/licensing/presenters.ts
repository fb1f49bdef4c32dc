/**
 * Response shapes, one per side. The exporter's presenter builds its view
 * field by field from an explicit schema — status, clock, questions,
 * decisions and reasons — so an authority-internal field (notes, advice,
 * risk, routing, pre-checks, flags, countersignatures, the internal state)
 * cannot leak by being forgotten: it is never copied. Exporter schemas are
 * strict, and the visibility test checks every exporter route's schema and
 * every exporter response against the list of internal field names.
 */
import { z } from '@hono/zod-openapi';
import type { Selectable } from 'kysely';
import type { Checklist } from './checklist.js';
import type { AmendmentDiff } from './diff.js';
import { contentSchema, type ApplicationContent, type ApplicationDocument, type ApplicationItem, type ApplicationParty } from './model.js';
import type { PrecheckResult } from './prechecks.js';
import type { RiskAssessment } from './risk.js';
import type { RoutingDecision } from './routing.js';
import type { ClockView } from './sla.js';
import { stateDef, transitionsFrom, type MachineActor } from './state-machine.js';
import type {
  LicensingAppealRow,
  LicensingApplicationRow,
  LicensingCountersignatureRow,
  LicensingDecisionRow,
  LicensingEventRow,
  LicensingFlagClearanceRow,
  LicensingIntentRow,
  LicensingNoteRow,
  LicensingQueryRow,
  LicensingReferralRow,
  LicensingRoutingEventRow,
} from './tables.js';

/**
 * Field names that belong to the authority only. No exporter response may
 * contain any of them, at any depth (test/visibility).
 */
export const INTERNAL_FIELDS = [
  'state',
  'previous_state',
  'queue',
  'routing',
  'rule_id',
  'rules_version',
  'rules_sha256',
  'passed_over',
  'risk',
  'risk_score',
  'risk_band',
  'contributions',
  'by_indicator',
  'weights',
  'config_version',
  'countersign_reasons',
  'notes',
  'advice',
  'referrals',
  'proposal',
  'countersignatures',
  'countersignatures_required',
  'prechecks',
  'flags',
  'blocking_flags',
  'case_officer_id',
  'internal',
  'sla_due_at',
] as const;

const iso = z.string().openapi({ format: 'date-time' });
const nullableIso = iso.nullable();

/* ------------------------------------------------------------- shared pieces */

const RuleSetStampSchema = z.strictObject({ id: z.string(), regime: z.string(), version: z.string(), sha256: z.string() });
export const ItemClassificationSchema = z
  .strictObject({
    status: z.enum(['controlled', 'not_controlled', 'needs_information', 'needs_review', 'invalid']),
    controlled_by: z.array(z.string()),
    needs_information: z.array(z.string()),
    needs_review: z.array(z.string()),
    rule_sets: z.array(RuleSetStampSchema),
    classified_at: iso,
    error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
  })
  .openapi('ItemClassificationSummary');

export const ItemSchema = z
  .strictObject({
    id: z.string(),
    position: z.number().int(),
    name: z.string(),
    kind: z.string(),
    spec: z.unknown().openapi({ description: 'The item specification (see `fabgate schema item`).' }),
    spec_sha256: z.string(),
    quantity: z.number().nullable(),
    unit: z.string().nullable(),
    value: z.strictObject({ amount: z.number(), currency: z.string() }).nullable(),
    classification: ItemClassificationSchema.nullable(),
    origin_id: z.string().nullable(),
  })
  .openapi('ApplicationItem');

export const ScreeningSchema = z
  .strictObject({
    status: z.enum(['clear', 'potential_match', 'strong_match', 'unavailable']),
    list_version: z.string().nullable(),
    screened_at: iso,
    matches: z.array(z.strictObject({ list: z.string(), entity_id: z.string(), matched_name: z.string(), score: z.number() })),
    reason: z.string().optional(),
  })
  .openapi('PartyScreening');

export const PartySchema = z
  .strictObject({
    id: z.string(),
    role: z.string(),
    name: z.string(),
    type: z.enum(['organisation', 'person']),
    country: z.string(),
    address: z.string().optional(),
    address_type: z.string().optional(),
    sub_type: z.string().optional(),
    business_type: z.string().optional(),
    email: z.string().optional(),
    website: z.string().optional(),
    registration_number: z.string().optional(),
    established_year: z.number().int().optional(),
    date_of_birth: z.string().optional(),
    screening: ScreeningSchema.nullable(),
    origin_id: z.string().nullable(),
  })
  .openapi('ApplicationParty');

export const DocumentSchema = z
  .strictObject({
    id: z.string(),
    doc_type: z.string(),
    filename: z.string(),
    media_type: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    uploaded_at: iso,
    party_id: z.string().nullable(),
    context: z.string(),
    context_id: z.string().nullable(),
  })
  .openapi('ApplicationDocument');

export const ChecklistSchema = z
  .strictObject({
    clear: z.boolean(),
    missing: z.number().int(),
    inconsistent: z.number().int(),
    warnings: z.number().int(),
    entries: z.array(z.strictObject({ id: z.string(), section: z.string(), status: z.enum(['ok', 'missing', 'inconsistent', 'warning']), message: z.string(), fields: z.array(z.string()) })),
  })
  .openapi('Checklist');

/** The clock as the exporter sees it: days, target, due date — no internal state names. */
export const ExporterClockSchema = z
  .strictObject({
    status: z.enum(['not_started', 'running', 'paused', 'stopped']),
    calendar: z.string(),
    target: z.strictObject({ id: z.string(), days: z.number().int(), day_type: z.enum(['working', 'calendar']), source: z.string() }),
    days_used: z.number().int(),
    days_left: z.number().int(),
    overdue: z.boolean(),
    due_date: z.string().nullable(),
    due_at: nullableIso,
    started_at: nullableIso,
    stopped_at: nullableIso,
    paused_since: nullableIso,
    pauses: z.array(z.strictObject({ from: iso, to: nullableIso, reason: z.string().nullable() })),
    met: z.boolean().nullable(),
  })
  .openapi('ExporterClock');

const ConditionSchema = z.strictObject({ id: z.string().nullable(), text: z.string() });
const RefusalCriterionSchema = z.strictObject({ criterion: z.string(), target: z.string(), target_id: z.string().nullable(), explanation: z.string() });

export const DecisionSchema = z
  .strictObject({
    id: z.string(),
    kind: z.string(),
    decided_at: iso,
    reasons: z.string(),
    conditions: z.array(ConditionSchema),
    refusal_criteria: z.array(RefusalCriterionSchema),
    licence_id: z.string().nullable(),
    appeal_deadline: nullableIso,
  })
  .openapi('Decision');

export const QuerySchema = z
  .strictObject({
    id: z.string(),
    question: z.string(),
    asked_at: iso,
    respond_by: iso,
    answer: z.string().nullable(),
    answered_at: nullableIso,
    closed_at: nullableIso,
    close_reason: z.string().nullable(),
  })
  .openapi('Query');

export const IntentSchema = z
  .strictObject({
    id: z.string(),
    issued_at: iso,
    respond_by: iso,
    criteria: z.array(RefusalCriterionSchema),
    reasons: z.string(),
    response: z.string().nullable(),
    responded_at: nullableIso,
    closed_at: nullableIso,
    outcome: z.string().nullable(),
  })
  .openapi('IntentToRefuse');

export const AppealSchema = z
  .strictObject({ id: z.string(), decision_id: z.string(), filed_at: iso, grounds: z.string(), outcome: z.string().nullable(), decided_at: nullableIso, reasons: z.string().nullable() })
  .openapi('Appeal');

const DiffSchema = z
  .strictObject({
    changes: z.array(z.strictObject({ section: z.string(), change: z.string(), key: z.string().optional(), field: z.string().optional(), before: z.unknown().optional(), after: z.unknown().optional(), label: z.string() })),
    sections: z.array(z.string()),
    changed_items: z.array(z.string()),
    changed_parties: z.array(z.string()),
  })
  .openapi('AmendmentDiff');

const AmendmentSchema = z.strictObject({ amends_licence_id: z.string().nullable(), amends_application_id: z.string().nullable(), diff: DiffSchema }).openapi('Amendment');

/* ------------------------------------------------------------- exporter */

export const ExporterApplicationSchema = z
  .strictObject({
    id: z.string(),
    reference: z.string().nullable(),
    status: z.string().openapi({ description: 'Where the application stands, in the exporter’s terms (draft, received, under review, awaiting your response, …).' }),
    licence_type: z.string(),
    kind: z.enum(['new', 'licence_amendment', 'case_amendment']),
    authority: z.strictObject({ id: z.string(), name: z.string() }).nullable(),
    created_at: iso,
    updated_at: iso,
    submitted_at: nullableIso,
    decided_at: nullableIso,
    editable: z.boolean(),
    content: contentSchema,
    items: z.array(ItemSchema),
    parties: z.array(PartySchema),
    documents: z.array(DocumentSchema),
    checklist: ChecklistSchema.nullable(),
    clock: ExporterClockSchema.nullable(),
    appeal_clock: ExporterClockSchema.nullable(),
    queries: z.array(QuerySchema),
    intent: IntentSchema.nullable(),
    decisions: z.array(DecisionSchema),
    appeal: AppealSchema.nullable(),
    appeal_deadline: nullableIso,
    licence: z.strictObject({ id: z.string(), reference: z.string() }).nullable(),
    amendment: AmendmentSchema.nullable(),
    history: z.array(z.strictObject({ at: iso, status: z.string().nullable(), summary: z.string() })),
    next_steps: z.array(z.string()),
  })
  .openapi('ExporterApplication');
export type ExporterApplication = z.infer<typeof ExporterApplicationSchema>;

export const ExporterApplicationSummarySchema = z
  .strictObject({
    id: z.string(),
    reference: z.string().nullable(),
    status: z.string(),
    licence_type: z.string(),
    kind: z.string(),
    title: z.string().nullable(),
    updated_at: iso,
    submitted_at: nullableIso,
  })
  .openapi('ExporterApplicationSummary');

/* ------------------------------------------------------------- authority */

export const CaseSchema = z
  .object({
    id: z.string(),
    reference: z.string().nullable(),
    state: z.string(),
    exporter_status: z.string(),
    previous_state: z.string().nullable(),
    licence_type: z.string(),
    kind: z.string(),
    organisation: z.object({ id: z.string(), name: z.string(), country: z.string().nullable() }),
    authority_id: z.string().nullable(),
    case_officer_id: z.string().nullable(),
    queue: z.string().nullable(),
    submitted_at: nullableIso,
    decided_at: nullableIso,
    updated_at: iso,
    content: contentSchema,
    items: z.array(ItemSchema),
    parties: z.array(PartySchema),
    documents: z.array(DocumentSchema),
    clock: z.unknown().openapi({ description: 'ClockView with milestones (days used and left, due date, pauses).' }),
    appeal_clock: z.unknown(),
    prechecks: z.object({ latest: z.unknown().nullable(), current: z.boolean(), runs: z.number().int() }),
    flags: z.array(z.object({ flag: z.string(), blocking: z.boolean().openapi({ description: 'true while the flag blocks approval (present and not cleared)' }), cleared: z.object({ by: z.string().nullable(), at: iso, reasons: z.string() }).nullable() })),
    risk: z.unknown().nullable().openapi({ description: 'RiskAssessment: score, band, every contribution with its source, configuration version.' }),
    routing: z.object({ current: z.unknown().nullable(), history: z.array(z.object({ at: iso, queue: z.string().nullable(), rule_id: z.string().nullable(), rules_version: z.string(), summary: z.string() })) }),
    queries: z.array(QuerySchema),
    notes: z.array(z.object({ id: z.string(), author_id: z.string().nullable(), at: iso, body: z.string() })),
    referrals: z.array(z.unknown()),
    proposal: z.unknown().nullable(),
    countersignatures_required: z.number().int(),
    countersignatures: z.array(z.unknown()),
    intent: IntentSchema.nullable(),
    decisions: z.array(DecisionSchema.extend({ decided_by: z.string().nullable(), countersigned_by: z.array(z.string()) })),
    appeal: AppealSchema.extend({ decided_by: z.string().nullable() }).nullable(),
    appeal_deadline: nullableIso,
    licence: z.object({ id: z.string(), reference: z.string() }).nullable(),
    amendment: AmendmentSchema.nullable(),
    history: z.array(z.object({ seq: z.number().int(), at: iso, actor_id: z.string().nullable(), actor_role: z.string().nullable(), kind: z.string(), transition: z.string().nullable(), from_state: z.string().nullable(), to_state: z.string().nullable(), visibility: z.string(), summary: z.string() })),
    people: z.record(z.string(), z.string()),
    transitions_available: z.array(z.string()),
  })
  .openapi('Case');
export type CaseView = z.infer<typeof CaseSchema>;

export const CaseSummarySchema = z
  .object({
    id: z.string(),
    reference: z.string().nullable(),
    state: z.string(),
    licence_type: z.string(),
    kind: z.string(),
    organisation_id: z.string(),
    queue: z.string().nullable(),
    risk_score: z.number().nullable(),
    risk_band: z.string().nullable(),
    flags: z.array(z.string()),
    submitted_at: nullableIso,
    sla_due_at: nullableIso,
    overdue: z.boolean(),
    case_officer_id: z.string().nullable(),
  })
  .openapi('CaseSummary');

/* ------------------------------------------------------------- builders */

export interface CaseBundle {
  row: LicensingApplicationRow;
  organisation: { id: string; name: string; country: string | null };
  authority: { id: string; name: string } | null;
  items: ApplicationItem[];
  parties: ApplicationParty[];
  documents: Array<ApplicationDocument & { context: string; context_id: string | null }>;
  checklist: Checklist | null;
  clock: ClockView | null;
  appealClock: ClockView | null;
  queries: LicensingQueryRow[];
  intents: LicensingIntentRow[];
  decisions: LicensingDecisionRow[];
  appeals: LicensingAppealRow[];
  licence: { id: string; reference: string } | null;
  amendment: { amends_licence_id: string | null; amends_application_id: string | null; diff: AmendmentDiff } | null;
  events: Array<Selectable<LicensingEventRow>>;
}

export interface InternalBundle {
  precheck: PrecheckResult | null;
  precheckRuns: number;
  prechecksCurrent: boolean;
  risk: RiskAssessment | null;
  routing: Array<Selectable<LicensingRoutingEventRow>>;
  notes: LicensingNoteRow[];
  referrals: LicensingReferralRow[];
  countersignatures: LicensingCountersignatureRow[];
  clearances: LicensingFlagClearanceRow[];
  blocking: string[];
  people: Record<string, string>;
}

function exporterClock(v: ClockView | null): z.infer<typeof ExporterClockSchema> | null {
  if (!v) return null;
  return {
    status: v.state,
    calendar: v.calendar,
    target: { id: v.target.id, days: v.target.days, day_type: v.target.day_type, source: v.target.source },
    days_used: v.days_used,
    days_left: v.days_left,
    overdue: v.overdue,
    due_date: v.due_date,
    due_at: v.due_at,
    started_at: v.started_at,
    stopped_at: v.stopped_at,
    paused_since: v.paused_since,
    pauses: v.pauses.map((p) => ({ from: p.from, to: p.to, reason: p.reason })),
    met: v.met,
  };
}

function decisionView(d: LicensingDecisionRow): z.infer<typeof DecisionSchema> {
  return {
    id: d.id,
    kind: d.kind,
    decided_at: d.decided_at,
    reasons: d.reasons,
    conditions: JSON.parse(d.conditions) as Array<{ id: string | null; text: string }>,
    refusal_criteria: JSON.parse(d.refusal_criteria) as Array<z.infer<typeof RefusalCriterionSchema>>,
    licence_id: d.licence_id,
    appeal_deadline: d.appeal_deadline,
  };
}

const queryView = (q: LicensingQueryRow): z.infer<typeof QuerySchema> => ({
  id: q.id,
  question: q.question,
  asked_at: q.asked_at,
  respond_by: q.respond_by,
  answer: q.answer,
  answered_at: q.answered_at,
  closed_at: q.closed_at,
  close_reason: q.close_reason,
});

const intentView = (i: LicensingIntentRow | undefined): z.infer<typeof IntentSchema> | null =>
  i
    ? {
        id: i.id,
        issued_at: i.issued_at,
        respond_by: i.respond_by,
        criteria: JSON.parse(i.criteria) as Array<z.infer<typeof RefusalCriterionSchema>>,
        reasons: i.reasons,
        response: i.response,
        responded_at: i.responded_at,
        closed_at: i.closed_at,
        outcome: i.outcome,
      }
    : null;

const appealView = (a: LicensingAppealRow | undefined): z.infer<typeof AppealSchema> | null =>
  a ? { id: a.id, decision_id: a.decision_id, filed_at: a.filed_at, grounds: a.grounds, outcome: a.outcome, decided_at: a.decided_at, reasons: a.reasons } : null;

const itemView = (i: ApplicationItem): z.infer<typeof ItemSchema> => ({
  id: i.id,
  position: i.position,
  name: i.name,
  kind: i.kind,
  spec: i.spec,
  spec_sha256: i.spec_sha256,
  quantity: i.quantity,
  unit: i.unit,
  value: i.value,
  classification: i.classification,
  origin_id: i.origin_id,
});

const partyView = (p: ApplicationParty): z.infer<typeof PartySchema> => {
  const out: z.infer<typeof PartySchema> = { id: p.id, role: p.role, name: p.name, type: p.type, country: p.country, screening: p.screening, origin_id: p.origin_id };
  for (const k of ['address', 'address_type', 'sub_type', 'business_type', 'email', 'website', 'registration_number', 'established_year', 'date_of_birth'] as const) {
    if (p[k] !== undefined) (out as Record<string, unknown>)[k] = p[k];
  }
  return out;
};

/** The exporter's view of its application: built field by field, nothing internal copied. */
export function exporterView(b: CaseBundle, actor: MachineActor): ExporterApplication {
  const r = b.row;
  const s = stateDef(r.state);
  const history: ExporterApplication['history'] = [];
  for (const e of b.events) {
    if (e.visibility !== 'exporter') continue;
    if (e.kind === 'transition') {
      const from = e.from_state ? stateDef(e.from_state).exporter_status : null;
      const to = e.to_state ? stateDef(e.to_state).exporter_status : null;
      if (from === to) continue; // an internal step (referral, countersigning) the exporter does not see
      history.push({ at: e.at, status: to, summary: `${(from ?? '').replace(/_/g, ' ')} → ${(to ?? '').replace(/_/g, ' ')}` });
    } else history.push({ at: e.at, status: null, summary: e.summary });
  }
  return {
    id: r.id,
    reference: r.reference,
    status: s.exporter_status,
    licence_type: r.licence_type,
    kind: r.kind as ExporterApplication['kind'],
    authority: b.authority,
    created_at: r.created_at,
    updated_at: r.updated_at,
    submitted_at: r.submitted_at,
    decided_at: r.decided_at,
    editable: s.exporter_editable === true,
    content: JSON.parse(r.content) as ApplicationContent,
    items: b.items.map(itemView),
    parties: b.parties.map(partyView),
    documents: b.documents.map((d) => ({ ...d })),
    checklist: b.checklist,
    clock: exporterClock(b.clock),
    appeal_clock: exporterClock(b.appealClock),
    queries: b.queries.map(queryView),
    intent: intentView(b.intents.at(-1)),
    decisions: b.decisions.map(decisionView),
    appeal: appealView(b.appeals.at(-1)),
    appeal_deadline: r.appeal_deadline,
    licence: b.licence,
    amendment: b.amendment,
    history,
    next_steps: transitionsFrom(r.state, actor),
  };
}

export function exporterSummary(r: LicensingApplicationRow): z.infer<typeof ExporterApplicationSummarySchema> {
  return {
    id: r.id,
    reference: r.reference,
    status: stateDef(r.state).exporter_status,
    licence_type: r.licence_type,
    kind: r.kind,
    title: (JSON.parse(r.content) as ApplicationContent).title ?? null,
    updated_at: r.updated_at,
    submitted_at: r.submitted_at,
  };
}

/** The authority's view of a case: everything, with the internal parts. */
export function authorityView(b: CaseBundle, i: InternalBundle, actor: MachineActor): CaseView {
  const r = b.row;
  const flags = JSON.parse(r.flags) as string[];
  const since = i.precheck?.ran_at ?? '';
  return {
    id: r.id,
    reference: r.reference,
    state: r.state,
    exporter_status: stateDef(r.state).exporter_status,
    previous_state: r.previous_state,
    licence_type: r.licence_type,
    kind: r.kind,
    organisation: b.organisation,
    authority_id: r.authority_id,
    case_officer_id: r.case_officer_id,
    queue: r.queue,
    submitted_at: r.submitted_at,
    decided_at: r.decided_at,
    updated_at: r.updated_at,
    content: JSON.parse(r.content) as ApplicationContent,
    items: b.items.map(itemView),
    parties: b.parties.map(partyView),
    documents: b.documents.map((d) => ({ ...d })),
    clock: b.clock,
    appeal_clock: b.appealClock,
    prechecks: { latest: i.precheck, current: i.prechecksCurrent, runs: i.precheckRuns },
    flags: flags.map((flag) => {
      const c = i.clearances.filter((x) => x.flag === flag && x.at >= since).at(-1);
      return { flag, blocking: i.blocking.includes(flag), cleared: c ? { by: c.cleared_by, at: c.at, reasons: c.reasons } : null };
    }),
    risk: i.risk,
    routing: {
      current: i.routing.length ? (JSON.parse(i.routing.at(-1)!.explanation) as RoutingDecision) : null,
      history: i.routing.map((e) => ({ at: e.at, queue: e.queue, rule_id: e.rule_id, rules_version: e.rules_version, summary: (JSON.parse(e.explanation) as RoutingDecision).summary })),
    },
    queries: b.queries.map(queryView),
    notes: i.notes.map((n) => ({ id: n.id, author_id: n.author_id, at: n.at, body: n.body })),
    referrals: i.referrals,
    proposal: r.proposal ? (JSON.parse(r.proposal) as unknown) : null,
    countersignatures_required: r.countersignatures_required,
    countersignatures: i.countersignatures,
    intent: intentView(b.intents.at(-1)),
    decisions: b.decisions.map((d) => ({ ...decisionView(d), decided_by: d.decided_by, countersigned_by: JSON.parse(d.countersigned_by) as string[] })),
    appeal: b.appeals.length ? { ...appealView(b.appeals.at(-1))!, decided_by: b.appeals.at(-1)!.decided_by } : null,
    appeal_deadline: r.appeal_deadline,
    licence: b.licence,
    amendment: b.amendment,
    history: b.events.map((e) => ({ seq: Number(e.seq), at: e.at, actor_id: e.actor_id, actor_role: e.actor_role, kind: e.kind, transition: e.transition, from_state: e.from_state, to_state: e.to_state, visibility: e.visibility, summary: e.summary })),
    people: i.people,
    transitions_available: transitionsFrom(r.state, actor),
  };
}
