/**
 * Print tickets on the server: issued tickets (the signed JWS and the columns
 * read from it), their devices, revocations and the signed revocation lists,
 * the issuer keys, the devices an exporter names under a licence, and the
 * usage records print hosts report with the anomaly flags they raise.
 * Conventions of src/db/tables.ts: text ids, ISO-8601 UTC text times, JSON as text.
 */
import type { Generated } from 'kysely';

/** An issued ticket. Every column but the JWS is read from the JWS, and `fabgate log audit` checks they agree. */
export interface PrintTicketRow {
  /** The ticket id (`jti`), `tkt_…`. */
  jti: string;
  /** The licence holder (exporter). */
  organisation_id: string;
  licence_id: string;
  licence_item_id: string;
  design_id: string;
  release_id: string;
  manifest_sha256: string;
  prints: number;
  not_before: string;
  not_after: string;
  /** JSON: the parameter envelope. */
  envelope: string;
  /** JSON: the ticket's `devices` claim. */
  devices: string;
  /** The signed ticket (JWS compact): the record the transparency log commits to. */
  jws: string;
  kid: string;
  issued_at: string;
  issued_by: string;
  /** The licence depletion this ticket made. */
  depletion_id: string;
}

export interface TicketDeviceRow {
  jti: string;
  device_id: string;
}

/** A revocation (append-only; logged as `ticket.revoked`). */
export interface TicketRevocationRow {
  seq: Generated<number>;
  jti: string;
  organisation_id: string;
  at: string;
  reason: string;
  revoked_by: string;
}

/** Every revocation list signed, by growing serial (append-only). */
export interface TicketRevocationListRow {
  serial: number;
  /** The highest revocation `seq` the list covers. */
  covers_seq: number;
  jws: string;
  kid: string;
  created_at: string;
  next_update: string;
}

/** The ticket issuer's Ed25519 keys. */
export interface TicketIssuerKeyRow {
  /** SHA-256 (hex) of the public key's SPKI DER: the JWS `kid`, and the manifest signer id of released designs. */
  kid: string;
  public_key: string;
  /** PKCS#8 DER of the private key, wrapped by the KEK (purpose `ticket-issuer-key`). */
  wrapped_private_key: string;
  /** `current` for the signing key, null once retired (unique: at most one current). */
  current: string | null;
  created_at: string;
  retired_at: string | null;
}

/** A device the licence holder names under a licence: tickets under the licence may bind only these. */
export interface LicenceDeviceRow {
  licence_id: string;
  device_id: string;
  organisation_id: string;
  named_by: string;
  named_at: string;
}

/** An accepted usage record (append-only; logged as `usage.received`). */
export interface UsageRecordRow {
  /** `urc_…` */
  id: string;
  device_id: string;
  seq: number;
  /** SHA-256 (hex) of the record's canonical JSON: the next record's `prev`. */
  hash: string;
  prev: string;
  ticket_jti: string;
  design_sha256: string;
  counter: number;
  started_at: string;
  ended_at: string;
  outcome: string;
  /** The record as signed (canonical JSON) and its signature: the logged record. */
  record: string;
  signature: string;
  /** The ticket's licence and holder when the ticket is known. */
  licence_id: string | null;
  exporter_id: string | null;
  received_at: string;
  /** The server's acknowledgement (JWS) returned to the device. */
  ack: string;
}

/** An anomaly a usage record raised (append-only). No geometry: only what the record says. */
export interface UsageFlagRow {
  seq: Generated<number>;
  usage_record_id: string;
  device_id: string;
  ticket_jti: string;
  licence_id: string | null;
  exporter_id: string | null;
  kind: string;
  /** JSON: the facts behind the flag. */
  detail: string;
  at: string;
}

export interface TicketsTables {
  print_tickets: PrintTicketRow;
  ticket_devices: TicketDeviceRow;
  ticket_revocations: TicketRevocationRow;
  ticket_revocation_lists: TicketRevocationListRow;
  ticket_issuer_keys: TicketIssuerKeyRow;
  licence_devices: LicenceDeviceRow;
  usage_records: UsageRecordRow;
  usage_flags: UsageFlagRow;
}
