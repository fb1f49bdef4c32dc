/**
 * The screening domain's tables. Conventions of src/db/tables.ts: text ids,
 * ISO-8601 UTC text times, JSON as text, booleans 0/1.
 *
 * Lists (global, the same for every organisation):
 * - a list version is staged entity by entity (`state = 'loading'`, invisible
 *   to screening) and completed and activated in one transaction, so a killed
 *   load leaves the previous version active and nothing half-written in view;
 * - entity bodies are stored once per distinct content (SHA-256 of their
 *   canonical JSON): a weekly list update adds only what changed;
 * - activations are append-only; `screening_active_lists` points at the active
 *   version of each list, and the highest activation number is the generation
 *   every process compares to know when to rebuild its index.
 *
 * Per organisation: the customer register (stored parties), the current hits of
 * every stored party, alerts raised by new or changed hits, review decisions
 * (append-only, in the transparency log), and batch jobs with their inputs and
 * results.
 */
import type { Generated } from 'kysely';

/** One load of one list. Immutable once `state` is `complete`. */
export interface ScreeningListVersionRow {
  /** `lsv_…` */
  id: string;
  /** The list the parsers name (us-ofac-sdn, un-sc-consolidated, eu-oj-32014R0833, …). */
  list: string;
  format: string;
  /** loading (staged, invisible) | complete */
  state: string;
  /** SHA-256 of the source file(s), as `ListLoadSummary.content_hash`; '' while loading. */
  content_hash: string;
  /** The date the publisher gives the list, when it gives one. */
  source_date: string | null;
  /** JSON: [{name, sha256, role, records}] with file names reduced to their base name. */
  files: string;
  /** JSON: ListCounts (records and skipped keyed by base name). */
  counts: string;
  /** Distinct entities stored (a list may repeat an id: the last occurrence is kept). */
  entities: number;
  /** SHA-256 over the sorted lines "entity_id TAB body_sha256": commits to every stored entity. */
  entities_digest: string;
  started_at: string;
  /** Refreshed after every staged batch: a load whose heartbeat is old was killed. */
  heartbeat_at: string;
  completed_at: string | null;
  loaded_by_type: string;
  loaded_by: string | null;
  /** The loader's organisation (null from the command line). */
  organisation_id: string | null;
}

/** An entity as listed, stored once per distinct content. */
export interface ScreeningEntityBodyRow {
  /** SHA-256 (hex) of `body`. */
  sha256: string;
  /** Canonical JSON of the ListEntity. */
  body: string;
}

/** Which entities a version holds. */
export interface ScreeningVersionEntityRow {
  version_id: string;
  entity_id: string;
  list: string;
  /** The listed primary name (for diffs and look-ups without parsing the body). */
  name: string;
  body_sha256: string;
  /** `entityDigest` of the entity: what hit fingerprints are made of. */
  match_digest: string;
}

/** Append-only history of activations; the highest `seq` is the generation of the active set. */
export interface ScreeningActivationRow {
  seq: Generated<number>;
  /** `lsa_…` */
  id: string;
  list: string;
  version_id: string;
  previous_version_id: string | null;
  activated_at: string;
  activated_by_type: string;
  activated_by: string | null;
  organisation_id: string | null;
}

/** The active version of each list. */
export interface ScreeningActiveListRow {
  list: string;
  version_id: string;
  activation_seq: number;
}

/** A stored party of an organisation's customer register. */
export interface ScreeningPartyRow {
  /** `spt_…` */
  id: string;
  organisation_id: string;
  name: string;
  /** ISO 3166-1 alpha-2, or null. */
  country: string | null;
  /** person | organisation | null */
  type: string | null;
  /** ISO date (or prefix) of birth, persons only. */
  dob: string | null;
  /** The organisation's own customer number or note. */
  reference: string | null;
  revision: number;
  created_at: string;
  created_by: string | null;
  updated_at: string;
  updated_by: string | null;
  /** When and against which generation it was last screened. */
  screened_at: string | null;
  screened_generation: number | null;
}

/**
 * A current hit of a stored party: the last screening found the party close to
 * this listed entity. Compared with the next screening by fingerprint.
 */
export interface ScreeningHitRow {
  organisation_id: string;
  /** customer (screening_parties) | application_party (licensing_parties) */
  party_kind: string;
  party_ref: string;
  list: string;
  entity_id: string;
  fingerprint: string;
  score_milli: number;
  first_seen_at: string;
  last_seen_at: string;
}

/** A new or changed hit waiting for (or closed by) an officer's decision. */
export interface ScreeningAlertRow {
  seq: Generated<number>;
  /** `sal_…` */
  id: string;
  organisation_id: string;
  party_kind: string;
  party_ref: string;
  /** JSON: the party as screened {name, country?, type?, dob?}, plus application id and role for application parties. */
  party: string;
  list: string;
  entity_id: string;
  version_id: string;
  entity_digest: string;
  fingerprint: string;
  score_milli: number;
  matched_name: string;
  /** JSON: the Match (explanation token by token). */
  match: string;
  /** new | changed */
  reason: string;
  /** what screened: party_created, party_updated, list_activated, manual */
  trigger: string;
  /** open | decided | superseded | party_removed */
  state: string;
  created_at: string;
  closed_at: string | null;
  decision_id: string | null;
}

/** An officer's decision on a hit: append-only, a decisive event of the transparency log. */
export interface ScreeningDecisionRow {
  seq: Generated<number>;
  /** `scd_…` */
  id: string;
  organisation_id: string;
  fingerprint: string;
  party_digest: string;
  entity_digest: string;
  /** JSON: the party as screened {name, country, type, dob}. */
  party: string;
  party_kind: string | null;
  party_ref: string | null;
  list: string;
  entity_id: string;
  version_id: string;
  matched_name: string;
  score_milli: number;
  /** true_positive | false_positive */
  decision: string;
  reason: string;
  alert_id: string | null;
  decided_at: string;
  decided_by_type: string;
  decided_by: string;
}

/** A background job: a batch of parties, or re-screening after an activation. */
export interface ScreeningJobRow {
  /** `sjb_…` */
  id: string;
  /** batch | rescreen */
  kind: string;
  /** null for re-screening (it spans organisations). */
  organisation_id: string | null;
  /** queued | running | done | failed | superseded */
  state: string;
  /** The uploaded file name (batches). */
  name: string | null;
  total: number;
  done: number;
  /** Parties with at least one match (batches), alerts raised (re-screening). */
  matched: number;
  threshold_milli: number;
  /** The activation generation the results are against (set when started; a change restarts a batch). */
  generation: number | null;
  /** JSON: where re-screening continues ({phase, after}). */
  cursor: string | null;
  created_at: string;
  created_by_type: string;
  created_by: string | null;
  started_at: string | null;
  finished_at: string | null;
  lease_owner: string | null;
  lease_until: string | null;
  /** JSON {code, message} when failed. */
  error: string | null;
}

export interface ScreeningBatchItemRow {
  job_id: string;
  position: number;
  /** JSON: the party line as validated. */
  party: string;
}

export interface ScreeningBatchResultRow {
  job_id: string;
  position: number;
  /** JSON: Match[]. */
  matches: string;
  match_count: number;
}

export interface ScreeningTables {
  screening_list_versions: ScreeningListVersionRow;
  screening_entity_bodies: ScreeningEntityBodyRow;
  screening_version_entities: ScreeningVersionEntityRow;
  screening_activations: ScreeningActivationRow;
  screening_active_lists: ScreeningActiveListRow;
  screening_parties: ScreeningPartyRow;
  screening_hits: ScreeningHitRow;
  screening_alerts: ScreeningAlertRow;
  screening_decisions: ScreeningDecisionRow;
  screening_jobs: ScreeningJobRow;
  screening_batch_items: ScreeningBatchItemRow;
  screening_batch_results: ScreeningBatchResultRow;
}
