/**
 * The classification domain's tables: an organisation's item register, the
 * classifications recorded for its items (decisive events of the transparency
 * log), and rule-set versions uploaded for comparison with the shipped ones.
 * Conventions of src/db/tables.ts: text ids, ISO-8601 UTC text times, JSON as text.
 */
import type { Generated } from 'kysely';

/** One item of an exporter's register: its current specification. */
export interface ClassificationItemRow {
  /** `itm_…` */
  id: string;
  organisation_id: string;
  name: string;
  /** The specification's `kind` (am_machine, metal_powder, …), kept for listing. */
  kind: string;
  /** The item specification (JSON text), valid against the item schema when written. */
  spec: string;
  /** SHA-256 (hex) of the canonical JSON of `spec`. */
  spec_sha256: string;
  /** 1 when created, +1 on every change of name or specification. */
  revision: number;
  created_at: string;
  /** Principal id (`usr_…` or token id) that created it. */
  created_by: string;
  updated_at: string;
  updated_by: string;
}

/**
 * A recorded classification: what was decided for one revision of an item, by
 * which rule-set versions. Immutable (append-only in the database); its record
 * is committed to the transparency log (`classification.recorded`).
 */
export interface ClassificationRecordRow {
  /** Order of recording. */
  seq: Generated<number>;
  /** `cls_…` */
  id: string;
  organisation_id: string;
  item_id: string;
  item_revision: number;
  item_name: string;
  /** The specification as classified (JSON text): the item may change later, this does not. */
  spec: string;
  /** controlled, needs_review, needs_information or not_controlled (see summary.ts). */
  status: string;
  /** JSON arrays of entry keys. */
  controlled_by: string;
  needs_information: string;
  needs_review: string;
  /** JSON: per entry, its status and what kept it open (no traces: they are rebuilt from spec and rule set). */
  results: string;
  /** JSON: the rule-set versions and sha256 digests the classification used. */
  rule_sets: string;
  /** ISO 3166-1 alpha-2 destination checked with the classification, if any. */
  destination: string | null;
  /** JSON: the licence requirement per regime for `destination`, with reasons. */
  destination_result: string | null;
  note: string | null;
  classified_at: string;
  /** 'user' or 'token', and its id. */
  classified_by_type: string;
  classified_by: string;
}

/** A rule-set version uploaded to be compared with the shipped one (never used to classify). */
export interface ClassificationRuleSetRow {
  /** `rls_…` */
  id: string;
  /** The rule set's own id (us-ear, eu-2021-821, …), regime and version. */
  rule_set_id: string;
  regime: string;
  version: string;
  /** sha256 of the rule-set file text, as `ruleSetDigest` computes it (unique). */
  sha256: string;
  /** The rule-set document (JSON text, as `ruleSetDigest` hashes it). */
  document: string;
  uploaded_at: string;
  uploaded_by: string;
  /** Organisation of the uploader (an authority). */
  organisation_id: string;
  note: string | null;
}

export interface ClassificationTables {
  classification_items: ClassificationItemRow;
  classification_records: ClassificationRecordRow;
  classification_rule_sets: ClassificationRuleSetRow;
}
