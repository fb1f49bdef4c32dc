import type { Generated } from 'kysely';

export interface AuditEventRow {
  seq: Generated<number>;
  id: string;
  at: string;
  actor_type: string;
  actor_id: string | null;
  organisation_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  body_sha256: string | null;
  /** The canonical JSON of the event (sorted keys, no whitespace): what a log leaf commits to. */
  canonical: string;
}

export interface AuditTables {
  audit_events: AuditEventRow;
}
