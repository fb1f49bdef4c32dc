/**
 * The shapes the licensing API answers with, as the UI reads them. They
 * mirror src/licensing/presenters.ts (ExporterApplication for the exporter,
 * Case for the authority) and routes/licences.ts; the exporter's shapes carry
 * no authority-internal field because the server never sends one.
 */

export type ChecklistStatus = 'ok' | 'missing' | 'inconsistent' | 'warning';

export interface ChecklistEntry {
  id: string;
  section: string;
  status: ChecklistStatus;
  message: string;
  fields: string[];
}

export interface Checklist {
  clear: boolean;
  missing: number;
  inconsistent: number;
  warnings: number;
  entries: ChecklistEntry[];
}

export type ClockState = 'not_started' | 'running' | 'paused' | 'stopped';

/** A clock as both sides see it (the authority's view names the state `state`, the exporter's `status`). */
export interface ClockBase {
  calendar: string;
  target: { id: string; days: number; day_type: 'working' | 'calendar'; source: string };
  days_used: number;
  days_left: number;
  overdue: boolean;
  due_date: string | null;
  due_at: string | null;
  started_at: string | null;
  stopped_at: string | null;
  paused_since: string | null;
  pauses: Array<{ from: string; to: string | null; reason: string | null }>;
  met: boolean | null;
}

export interface ExporterClock extends ClockBase {
  status: ClockState;
}

export interface AuthorityClock extends ClockBase {
  state: ClockState;
  milestones: Array<{ id: string; step: string; days: number; day_type: string; from: string; days_used: number | null; due_date: string | null; overdue: boolean | null }>;
}

export interface ItemClassification {
  status: 'controlled' | 'not_controlled' | 'needs_information' | 'needs_review' | 'invalid';
  controlled_by: string[];
  needs_information: string[];
  needs_review: string[];
  rule_sets: Array<{ id: string; regime: string; version: string; sha256: string }>;
  classified_at: string;
  error?: { code: string; message: string };
}

export interface AppItem {
  id: string;
  position: number;
  name: string;
  kind: string;
  spec: unknown;
  spec_sha256: string;
  quantity: number | null;
  unit: string | null;
  value: { amount: number; currency: string } | null;
  classification: ItemClassification | null;
  origin_id: string | null;
}

export interface Screening {
  status: 'clear' | 'potential_match' | 'strong_match' | 'unavailable';
  list_version: string | null;
  screened_at: string;
  matches: Array<{ list: string; entity_id: string; matched_name: string; score: number }>;
  reason?: string;
}

export interface Party {
  id: string;
  role: string;
  name: string;
  type: 'organisation' | 'person';
  country: string;
  address?: string;
  address_type?: string;
  sub_type?: string;
  business_type?: string;
  email?: string;
  website?: string;
  registration_number?: string;
  established_year?: number;
  date_of_birth?: string;
  screening: Screening | null;
  origin_id: string | null;
}

export interface AppDocument {
  id: string;
  doc_type: string;
  filename: string;
  media_type: string;
  size: number;
  sha256: string;
  uploaded_at: string;
  party_id: string | null;
  context: string;
  context_id: string | null;
}

export interface DueDiligence {
  re_export_undertaking?: boolean;
  accepts_post_shipment_verification?: boolean;
  declined_installation_or_training?: boolean;
  icp_in_place?: boolean;
  site_visit_done?: boolean;
  references_checked?: boolean;
  beneficial_owners_screened?: boolean;
  end_use_statement_elements?: Record<string, boolean>;
  observed_red_flags?: Array<{ id: string; note: string }>;
  red_flag_resolutions?: Array<{ flag_id: string; resolution: string }>;
  remarks?: string;
}

export interface ApplicationContent {
  title?: string;
  destinations?: string[];
  end_use?: { text?: string; domains?: string[] };
  production_volume?: { parts_per_year?: number; feedstock_kg_per_year?: number; machines_installed?: number; remarks?: string };
  commercial?: { payment_terms?: string; payer_party_id?: string | null; payer_country?: string; delivery_terms?: string; delivery_date?: string };
  due_diligence?: DueDiligence;
  requested_validity_months?: number;
  requested_valid_to?: string;
  declaration?: { accepted: boolean; name: string };
}

export interface Condition {
  id: string | null;
  text: string;
}

export interface RefusalCriterion {
  criterion: string;
  target: string;
  target_id: string | null;
  explanation: string;
}

export interface Decision {
  id: string;
  kind: string;
  decided_at: string;
  reasons: string;
  conditions: Condition[];
  refusal_criteria: RefusalCriterion[];
  licence_id: string | null;
  appeal_deadline: string | null;
}

export interface Query {
  id: string;
  question: string;
  asked_at: string;
  respond_by: string;
  answer: string | null;
  answered_at: string | null;
  closed_at: string | null;
  close_reason: string | null;
}

export interface Intent {
  id: string;
  issued_at: string;
  respond_by: string;
  criteria: RefusalCriterion[];
  reasons: string;
  response: string | null;
  responded_at: string | null;
  closed_at: string | null;
  outcome: string | null;
}

export interface Appeal {
  id: string;
  decision_id: string;
  filed_at: string;
  grounds: string;
  outcome: string | null;
  decided_at: string | null;
  reasons: string | null;
}

export interface DiffChange {
  section: string;
  change: string;
  key?: string;
  field?: string;
  before?: unknown;
  after?: unknown;
  label: string;
}

export interface Amendment {
  amends_licence_id: string | null;
  amends_application_id: string | null;
  diff: { changes: DiffChange[]; sections: string[]; changed_items: string[]; changed_parties: string[] };
}

export interface ExporterApplication {
  id: string;
  reference: string | null;
  status: string;
  licence_type: string;
  kind: 'new' | 'licence_amendment' | 'case_amendment';
  authority: { id: string; name: string } | null;
  created_at: string;
  updated_at: string;
  submitted_at: string | null;
  decided_at: string | null;
  editable: boolean;
  content: ApplicationContent;
  items: AppItem[];
  parties: Party[];
  documents: AppDocument[];
  checklist: Checklist | null;
  clock: ExporterClock | null;
  appeal_clock: ExporterClock | null;
  queries: Query[];
  intent: Intent | null;
  decisions: Decision[];
  appeal: Appeal | null;
  appeal_deadline: string | null;
  licence: { id: string; reference: string } | null;
  amendment: Amendment | null;
  history: Array<{ at: string; status: string | null; summary: string }>;
  next_steps: string[];
}

export interface ApplicationSummary {
  id: string;
  reference: string | null;
  status: string;
  licence_type: string;
  kind: string;
  title: string | null;
  updated_at: string;
  submitted_at: string | null;
}

/* ------------------------------------------------------------- authority */

export interface ItemPrecheck {
  item_id: string;
  name: string;
  kind: string;
  status: ItemClassification['status'];
  controlled_by: string[];
  needs_information: string[];
  needs_review: string[];
  differs_from_application: boolean;
  carried_over: boolean;
  error?: { code: string; message: string };
}

export interface PartyPrecheck {
  party_id: string;
  name: string;
  role: string;
  country: string;
  status: Screening['status'];
  list_version: string | null;
  matches: Screening['matches'];
  carried_over: boolean;
  reason?: string;
}

export interface RedFlagResult {
  id: string;
  category: string;
  summary: string;
  evaluation: 'automatic' | 'declared';
  status: 'raised' | 'not_raised' | 'not_evaluable';
  fields: string[];
  detail: string;
}

export interface DestinationPrecheck {
  country: string;
  name: string;
  groups: Array<{ id: string; label: string }>;
  embargoed: boolean;
  findings: Array<{ item_id: string; country: string; regimes: Array<{ regime: string; status: string; reasons: string[] }> }>;
}

export interface PrecheckResult {
  ran_at: string;
  inputs_sha256: string;
  versions: { rule_sets: ItemClassification['rule_sets']; list_version: string | null; red_flags: string; destination_groups: string };
  classification: ItemPrecheck[];
  screening: PartyPrecheck[];
  red_flags: RedFlagResult[];
  destinations: DestinationPrecheck[];
  flags: string[];
}

export type RiskIndicator = 'application_domain' | 'technical_complexity' | 'production_scale' | 'due_diligence' | 'destination' | 'party_history' | 'red_flags';

export interface RiskContribution {
  indicator: RiskIndicator;
  points: number;
  observed: string;
  source: string;
  fields: string[];
}

export interface RiskAssessment {
  config_version: string;
  config_sha256: string;
  score: number;
  band: string;
  by_indicator: Record<RiskIndicator, number>;
  contributions: RiskContribution[];
  countersignatures_required: number;
  countersign_reasons: string[];
}

export interface ConditionCheck {
  condition: string;
  expected: string[];
  actual: string[];
  held: boolean;
}

export interface RoutingDecision {
  queue: string | null;
  rule_id: string | null;
  rules_version: string;
  rules_sha256: string;
  matched: ConditionCheck[];
  passed_over: Array<{ rule_id: string; tier: number; queue: string; failed: ConditionCheck[] }>;
  summary: string;
}

export interface Proposal {
  kind: 'approve' | 'refuse' | 'no_licence_required';
  reasons: string;
  conditions: Condition[];
  refusal_criteria: RefusalCriterion[];
  validity_months: number | null;
  proposed_by: string;
  proposed_at: string;
  version: number;
}

export interface Countersignature {
  id: string;
  proposal_version: number;
  order_no: number;
  user_id: string;
  outcome: string;
  reasons: string | null;
  at: string;
  invalidated_at: string | null;
}

export interface Referral {
  id: string;
  adviser: string;
  referred_at: string;
  deadline: string;
  advice: string | null;
  advice_kind: string | null;
  responded_at: string | null;
}

export interface CaseEvent {
  seq: number;
  at: string;
  actor_id: string | null;
  actor_role: string | null;
  kind: string;
  transition: string | null;
  from_state: string | null;
  to_state: string | null;
  visibility: string;
  summary: string;
}

export interface CaseView {
  id: string;
  reference: string | null;
  state: string;
  exporter_status: string;
  previous_state: string | null;
  licence_type: string;
  kind: string;
  organisation: { id: string; name: string; country: string | null };
  authority_id: string | null;
  case_officer_id: string | null;
  queue: string | null;
  submitted_at: string | null;
  decided_at: string | null;
  updated_at: string;
  content: ApplicationContent;
  items: AppItem[];
  parties: Party[];
  documents: AppDocument[];
  clock: AuthorityClock | null;
  appeal_clock: AuthorityClock | null;
  prechecks: { latest: PrecheckResult | null; current: boolean; runs: number };
  flags: Array<{ flag: string; blocking: boolean; cleared: { by: string | null; at: string; reasons: string } | null }>;
  risk: RiskAssessment | null;
  routing: { current: RoutingDecision | null; history: Array<{ at: string; queue: string | null; rule_id: string | null; rules_version: string; summary: string }> };
  queries: Query[];
  notes: Array<{ id: string; author_id: string | null; at: string; body: string }>;
  referrals: Referral[];
  proposal: Proposal | null;
  countersignatures_required: number;
  countersignatures: Countersignature[];
  intent: Intent | null;
  decisions: Array<Decision & { decided_by: string | null; countersigned_by: string[] }>;
  appeal: (Appeal & { decided_by: string | null }) | null;
  appeal_deadline: string | null;
  licence: { id: string; reference: string } | null;
  amendment: Amendment | null;
  history: CaseEvent[];
  people: Record<string, string>;
  transitions_available: string[];
}

export interface CaseSummary {
  id: string;
  reference: string | null;
  state: string;
  licence_type: string;
  kind: string;
  organisation_id: string;
  queue: string | null;
  risk_score: number | null;
  risk_band: string | null;
  flags: string[];
  submitted_at: string | null;
  sla_due_at: string | null;
  overdue: boolean;
  case_officer_id: string | null;
}

export interface QueueCount {
  id: string;
  name: string;
  open: number;
  overdue: number;
}

/* ------------------------------------------------------------- licences */

export type LicenceStatus = 'active' | 'suspended' | 'revoked' | 'expired' | 'exhausted' | 'surrendered';

export interface Licence {
  id: string;
  reference: string;
  status: LicenceStatus;
  licence_type: string;
  application_id: string;
  holder: { id: string; name: string };
  authority: { id: string; name: string };
  valid_from: string;
  valid_to: string | null;
  destinations: string[];
  parties: Array<{ id: string; role: string; name: string; country: string; type: string; address?: string }>;
  conditions: Condition[];
  version: number;
  issued_at: string;
  updated_at: string;
  items: Array<{ id: string; origin_item_id: string | null; name: string; kind: string; unit: string | null; granted: number | null; remaining: number | null; used: number | null; value: { amount: number; currency: string } | null }>;
  usage: Array<{ id: string; licence_item_id: string; quantity: number; reason: string; reference: string | null; at: string }>;
  versions: Array<{ version: number; reference: string; at: string }>;
}

/* ------------------------------------------------------------- reference */

export interface LicenceType {
  id: string;
  name: string;
  description: string;
  destinations: { min: number; max: number; allowed?: string[] };
  quantities: 'required' | 'optional' | 'none';
  values: 'required' | 'optional' | 'none';
  required_sections: string[];
  required_party_roles: string[];
  single_party_roles: string[];
  required_documents: string[];
  required_due_diligence: string[];
  default_validity_months: number | null;
  max_validity_months: number | null;
  appeal_window_days: number;
  intent_response_days: number;
}

export interface Named {
  id: string;
  name: string;
  description?: string;
}

export interface Reference {
  licence_types: LicenceType[];
  vocabularies: {
    party_roles: Named[];
    party_sub_types: string[];
    business_types: string[];
    address_types: string[];
    application_domains: Named[];
    document_types: Named[];
    document_media_types: string[];
    document_max_bytes: number;
    payment_terms: string[];
    quantity_units: string[];
    end_use_statement_elements: Named[];
    due_diligence_questions: Array<{ id: string; type: 'boolean' | 'elements'; question: string; source: string }>;
    standard_conditions: Array<{ id: string; text: string; source?: string }>;
    refusal_criteria: Array<{ id: string; text: string }>;
    refusal_targets: string[];
    appeal_outcomes: Named[];
    appeal_target: { days: number; day_type: string; id: string };
  };
  authorities: Array<{ id: string; name: string; country: string | null }>;
  versions: Record<string, string>;
}
