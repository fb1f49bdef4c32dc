import type { Generated } from 'kysely';

export interface LedgerEventRow {
  seq: Generated<number>;
  /** What happened: `licensing.case_decided`, `tickets.issued`, `screening.list_activated`, … */
  event_type: string;
  /** The immutable record the event commits to, and its id. */
  record_type: string;
  record_id: string;
  /** RFC 3339 UTC with milliseconds. */
  at: string;
  organisation_id: string | null;
  /** 32 random bytes (hex): kept here, with the record, never in the log. */
  salt: string;
  /** SHA-256(salt ‖ canonical JSON of the record), hex. */
  commitment: string;
  /** Position in the Merkle tree, once the sequencer integrated it. */
  leaf_index: number | null;
}

export interface LedgerTables {
  ledger_events: LedgerEventRow;
}
