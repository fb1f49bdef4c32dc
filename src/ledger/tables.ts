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

export interface LedgerTileRow {
  level: number;
  tile_index: number;
  /** Number of hashes stored (1..256); a full tile has 256. */
  width: number;
  /** `width` concatenated 32-byte hashes. */
  hashes: Uint8Array;
}

export interface LedgerCheckpointRow {
  size: number;
  /** Root hash, base64 as in the checkpoint body. */
  root_hash: string;
  /** The signed note, verbatim. */
  note: string;
  key_id: string;
  created_at: string;
}

export interface LedgerKeyRow {
  key_id: string;
  name: string;
  /** C2SP verifier key: name+hex key id+base64(0x01 || public key). */
  verifier_key: string;
  /** The Ed25519 seed, wrapped under the KEK (purpose "ledger-signing-key"). */
  wrapped_seed: string;
  created_at: string;
  retired_at: string | null;
}

export interface LedgerTables {
  ledger_events: LedgerEventRow;
  ledger_tiles: LedgerTileRow;
  ledger_checkpoints: LedgerCheckpointRow;
  ledger_keys: LedgerKeyRow;
}
