/**
 * Licensing tables. One record serves both sides: an application is the
 * exporter's view of the same row the authority works as a case. JSON is
 * stored as text, times as ISO-8601 UTC text, quantities as integer
 * milli-units (see quantity.ts), booleans as 0/1. History tables (events,
 * clock events, routing events, decisions, licence versions, depletions,
 * notes, flag clearances, risk assessments) are append-only in the database.
 */
import type { Generated } from 'kysely';

export interface LicensingApplicationRow {
  id: string;
  /** Case reference (`IEL/2026/0000001`), assigned at submission. */
  reference: string | null;
  /** The exporter. */
  organisation_id: string;
  authority_id: string | null;
  licence_type: string;
  /** new | licence_amendment | case_amendment */
  kind: string;
  amends_licence_id: string | null;
  amends_application_id: string | null;
  state: string;
  /** The state to return to when the applicant answers (awaiting_applicant). */
  previous_state: string | null;
  /** JSON: ApplicationContent. */
  content: string;
  /** Bumped on every change of the applicant's inputs. */
  content_version: number;
  created_by: string | null;
  created_at: string;
  updated_at: string;
  submitted_at: string | null;
  decided_at: string | null;
  case_officer_id: string | null;
  queue: string | null;
  risk_score: number | null;
  risk_band: string | null;
  /** JSON array: the flags of the latest pre-checks. */
  flags: string;
  /** While the case clock runs: the instant from which the case is overdue. */
  sla_due_at: string | null;
  appeal_deadline: string | null;
  /** JSON: the proposed decision (authority-internal). */
  proposal: string | null;
  proposal_version: number;
  countersignatures_required: number;
  latest_precheck_id: string | null;
  latest_risk_id: string | null;
  licence_id: string | null;
}

export interface LicensingItemRow {
  id: string;
  application_id: string;
  position: number;
  /** JSON: the item specification as supplied. */
  spec: string;
  spec_sha256: string;
  kind: string;
  name: string;
  quantity_milli: number | null;
  unit: string | null;
  /** JSON: {amount, currency} or null. */
  value: string | null;
  /** JSON: ItemClassificationSummary or null. */
  classification: string | null;
  origin_id: string | null;
}

export interface LicensingPartyRow {
  id: string;
  application_id: string;
  position: number;
  role: string;
  name: string;
  /** Lower-case letters and digits of the name: finds the same party on earlier cases. */
  name_key: string;
  country: string;
  /** JSON: the other fields of PartyInput. */
  details: string;
  /** JSON: PartyScreening or null. */
  screening: string | null;
  origin_id: string | null;
}

export interface LicensingDocumentRow {
  id: string;
  application_id: string;
  organisation_id: string;
  doc_type: string;
  filename: string;
  media_type: string;
  size: number;
  sha256: string;
  /** The bytes, in the database: they commit with the application, and every API node sees them. */
  content: Uint8Array;
  party_id: string | null;
  /** application | query | intent | appeal */
  context: string;
  context_id: string | null;
  uploaded_by: string | null;
  uploaded_at: string;
}

export interface LicensingEventRow {
  seq: Generated<number>;
  application_id: string;
  at: string;
  actor_type: string;
  actor_id: string | null;
  actor_role: string | null;
  /** transition | edit | precheck | risk | routing | query | answer | note | advice | countersignature | flag_cleared | document | intent_response */
  kind: string;
  transition: string | null;
  from_state: string | null;
  to_state: string | null;
  /** exporter (both sides see it) | internal (authority only) */
  visibility: string;
  summary: string;
  /** JSON. */
  details: string | null;
}

export interface LicensingClockEventRow {
  seq: Generated<number>;
  application_id: string;
  /** case | appeal */
  clock: string;
  kind: string;
  at: string;
  reason: string | null;
}

export interface LicensingPrecheckRow {
  id: string;
  application_id: string;
  ran_at: string;
  trigger: string;
  inputs_sha256: string;
  /** JSON: PrecheckResult. */
  result: string;
}

export interface LicensingRiskRow {
  id: string;
  application_id: string;
  at: string;
  config_version: string;
  config_sha256: string;
  score: number;
  band: string;
  /** JSON: RiskAssessment. */
  result: string;
}

export interface LicensingRoutingEventRow {
  seq: Generated<number>;
  application_id: string;
  at: string;
  queue: string | null;
  rule_id: string | null;
  rules_version: string;
  rules_sha256: string;
  /** JSON: RoutingDecision. */
  explanation: string;
}

export interface LicensingQueryRow {
  id: string;
  application_id: string;
  asked_by: string | null;
  asked_at: string;
  question: string;
  respond_by: string;
  answered_by: string | null;
  answered_at: string | null;
  answer: string | null;
  closed_by: string | null;
  closed_at: string | null;
  close_reason: string | null;
}

export interface LicensingNoteRow {
  id: string;
  application_id: string;
  author_id: string | null;
  at: string;
  body: string;
}

export interface LicensingReferralRow {
  id: string;
  application_id: string;
  adviser: string;
  referred_by: string | null;
  referred_at: string;
  deadline: string;
  advice: string | null;
  /** no_objection | approve | proviso | refuse */
  advice_kind: string | null;
  responded_at: string | null;
  recorded_by: string | null;
}

export interface LicensingCountersignatureRow {
  id: string;
  application_id: string;
  proposal_version: number;
  order_no: number;
  user_id: string;
  /** accepted | rejected */
  outcome: string;
  reasons: string | null;
  at: string;
  invalidated_at: string | null;
}

export interface LicensingFlagClearanceRow {
  id: string;
  application_id: string;
  flag: string;
  cleared_by: string | null;
  at: string;
  reasons: string;
}

export interface LicensingDecisionRow {
  id: string;
  application_id: string;
  case_reference: string;
  /** The exporter (holder). */
  organisation_id: string;
  authority_id: string;
  /** approved | refused | no_licence_required | appeal_allowed | appeal_conditions_varied | appeal_dismissed | appeal_rejected | licence_suspended | licence_reinstated | licence_revoked | licence_surrendered */
  kind: string;
  decided_by: string | null;
  decided_at: string;
  reasons: string;
  /** JSON arrays. */
  conditions: string;
  refusal_criteria: string;
  countersigned_by: string;
  licence_id: string | null;
  appeal_id: string | null;
  previous_decision_id: string | null;
  appeal_deadline: string | null;
}

export interface LicensingIntentRow {
  id: string;
  application_id: string;
  issued_by: string | null;
  issued_at: string;
  respond_by: string;
  /** JSON: refusal criteria. */
  criteria: string;
  reasons: string;
  response: string | null;
  responded_at: string | null;
  closed_at: string | null;
  /** refused | reconsidered */
  outcome: string | null;
}

export interface LicensingAppealRow {
  id: string;
  application_id: string;
  decision_id: string;
  filed_by: string | null;
  filed_at: string;
  grounds: string;
  outcome: string | null;
  decided_by: string | null;
  decided_at: string | null;
  reasons: string | null;
  outcome_decision_id: string | null;
}

export interface LicensingLicenceRow {
  id: string;
  /** Case reference plus issue suffix: `IEL/2026/0000001/A`. */
  reference: string;
  application_id: string;
  holder_id: string;
  authority_id: string;
  licence_type: string;
  /** The stored status: active | suspended | revoked | surrendered (expiry and exhaustion are computed). */
  status: string;
  valid_from: string;
  valid_to: string | null;
  /** JSON arrays. */
  destinations: string;
  parties: string;
  conditions: string;
  version: number;
  issued_at: string;
  updated_at: string;
  /** The case that last changed the licence (issue or amendment). */
  last_case_id: string;
}

export interface LicensingLicenceItemRow {
  id: string;
  licence_id: string;
  position: number;
  origin_item_id: string | null;
  name: string;
  kind: string;
  spec_sha256: string;
  unit: string | null;
  granted_milli: number | null;
  remaining_milli: number | null;
  value: string | null;
}

export interface LicensingLicenceVersionRow {
  licence_id: string;
  version: number;
  reference: string;
  at: string;
  /** JSON: the licence record of this version, as logged. */
  record: string;
}

export interface LicensingDepletionRow {
  seq: Generated<number>;
  id: string;
  licence_id: string;
  licence_item_id: string;
  quantity_milli: number;
  reason: string;
  /** The shipment, print ticket or usage record that used the quantity; unique per licence (a retry cannot deplete twice). */
  reference: string | null;
  at: string;
  actor_type: string;
  actor_id: string | null;
}

export interface LicensingSequenceRow {
  name: string;
  value: number;
}

export interface LicensingTables {
  licensing_applications: LicensingApplicationRow;
  licensing_items: LicensingItemRow;
  licensing_parties: LicensingPartyRow;
  licensing_documents: LicensingDocumentRow;
  licensing_events: LicensingEventRow;
  licensing_clock_events: LicensingClockEventRow;
  licensing_prechecks: LicensingPrecheckRow;
  licensing_risk_assessments: LicensingRiskRow;
  licensing_routing_events: LicensingRoutingEventRow;
  licensing_queries: LicensingQueryRow;
  licensing_notes: LicensingNoteRow;
  licensing_referrals: LicensingReferralRow;
  licensing_countersignatures: LicensingCountersignatureRow;
  licensing_flag_clearances: LicensingFlagClearanceRow;
  licensing_decisions: LicensingDecisionRow;
  licensing_intents: LicensingIntentRow;
  licensing_appeals: LicensingAppealRow;
  licensing_licences: LicensingLicenceRow;
  licensing_licence_items: LicensingLicenceItemRow;
  licensing_licence_versions: LicensingLicenceVersionRow;
  licensing_depletions: LicensingDepletionRow;
  licensing_sequences: LicensingSequenceRow;
}
