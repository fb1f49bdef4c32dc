/**
 * Fabgate's log entries (leaves): a canonical, deterministic encoding of what
 * happened and a salted commitment to the record, never the record itself.
 * The format is specified in ../LEAF-FORMAT.md; keep the two in step.
 *
 *   fabgate/leaf/v1
 *   event <event type>
 *   time <RFC 3339 UTC with milliseconds>
 *   record <record type> <record id>
 *   commitment <lowercase hex SHA-256(salt || canonical JSON of the record)>
 *
 * The salt (32 random bytes) stays with the record. Without it, a guessable
 * record (a licence decision is one of few outcomes) could be confirmed from
 * the public log by hashing candidates; with it, only the salt's holder can
 * open the commitment, and then anyone can check it.
 */
import { randomBytes } from 'node:crypto';
import { bytesEqual, concatBytes, decodeUtf8Strict, fromHexStrict, toHex, utf8 } from './bytes.js';
import { canonicalJsonBytes } from './canonical-json.js';
import { LedgerError } from './errors.js';
import { HASH_SIZE, hashLeaf, sha256 } from './hash.js';

export const LEAF_HEADER = 'fabgate/leaf/v1';
export const SALT_SIZE = 32;

/** The fields of a leaf. */
export interface LeafEvent {
  /** What happened, e.g. "licence.issued": lowercase words joined by ".", "_" or "-", at most 64 characters. */
  readonly eventType: string;
  /** When, as RFC 3339 UTC with exactly three fraction digits: 2025-01-31T09:15:00.000Z. */
  readonly time: string;
  /** Kind of record, same syntax as the event type, e.g. "licence". */
  readonly recordType: string;
  /** The record's id: ASCII letters, digits and . _ : -, starting with a letter or digit, at most 128 characters. */
  readonly recordId: string;
  /** SHA-256(salt || canonical JSON of the record). */
  readonly commitment: Uint8Array;
}

const NAME = /^[a-z][a-z0-9]*(?:[._-][a-z0-9]+)*$/;
const RECORD_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function malformed(message: string): LedgerError {
  return new LedgerError('LEDGER_LEAF_MALFORMED', message);
}

/** Normalise a time to the leaf form; a Date must lie in years 0000..9999. */
export function leafTime(time: Date | string): string {
  const text = typeof time === 'string' ? time : Number.isNaN(time.getTime()) ? '' : time.toISOString();
  // The round trip rejects impossible dates (2025-02-30) that the pattern lets through.
  if (!TIME.test(text) || new Date(text).toISOString() !== text) {
    throw malformed(`time must be RFC 3339 UTC with milliseconds (YYYY-MM-DDTHH:MM:SS.sssZ), got ${JSON.stringify(text)}`);
  }
  return text;
}

function checkFields(event: LeafEvent): void {
  if (!NAME.test(event.eventType) || event.eventType.length > 64) throw malformed(`invalid event type ${JSON.stringify(event.eventType)}`);
  if (!NAME.test(event.recordType) || event.recordType.length > 64) throw malformed(`invalid record type ${JSON.stringify(event.recordType)}`);
  if (!RECORD_ID.test(event.recordId) || event.recordId.length > 128) throw malformed(`invalid record id ${JSON.stringify(event.recordId)}`);
  leafTime(event.time);
  if (!(event.commitment instanceof Uint8Array) || event.commitment.length !== HASH_SIZE) throw malformed('the commitment is a 32-byte SHA-256');
}

/** The leaf bytes of an event (what the log hashes with SHA-256(0x00 || leaf)). */
export function encodeLeaf(event: LeafEvent): Uint8Array {
  checkFields(event);
  return utf8(
    `${LEAF_HEADER}\n` +
      `event ${event.eventType}\n` +
      `time ${event.time}\n` +
      `record ${event.recordType} ${event.recordId}\n` +
      `commitment ${toHex(event.commitment)}\n`,
  );
}

/** Parse leaf bytes; only the exact canonical encoding is accepted. */
export function decodeLeaf(bytes: Uint8Array): LeafEvent {
  const text = bytes.length <= 1024 ? decodeUtf8Strict(bytes) : undefined;
  const m = text === undefined ? null : /^fabgate\/leaf\/v1\nevent (\S+)\ntime (\S+)\nrecord (\S+) (\S+)\ncommitment ([0-9a-f]{64})\n$/.exec(text);
  if (m === null) throw malformed(`not a ${LEAF_HEADER} leaf`);
  const event: LeafEvent = { eventType: m[1]!, time: m[2]!, recordType: m[3]!, recordId: m[4]!, commitment: fromHexStrict(m[5]!)! };
  if (!bytesEqual(encodeLeaf(event), bytes)) throw malformed('not the canonical encoding');
  return event;
}

/** 32 fresh random bytes to salt one record's commitment. */
export function newSalt(): Uint8Array {
  return new Uint8Array(randomBytes(SALT_SIZE));
}

/** commitment = SHA-256(salt || UTF-8 canonical JSON of the record). */
export function recordCommitment(record: unknown, salt: Uint8Array): Uint8Array {
  if (!(salt instanceof Uint8Array) || salt.length !== SALT_SIZE) throw malformed(`the salt is ${SALT_SIZE} bytes`);
  return sha256(concatBytes(salt, canonicalJsonBytes(record)));
}

/** Throw LEDGER_COMMITMENT_MISMATCH unless `record` and `salt` open the leaf's commitment. */
export function verifyCommitment(event: LeafEvent, record: unknown, salt: Uint8Array): void {
  if (!bytesEqual(recordCommitment(record, salt), event.commitment)) {
    throw new LedgerError('LEDGER_COMMITMENT_MISMATCH', `record ${event.recordType} ${event.recordId} does not match its logged commitment`, {
      recordType: event.recordType,
      recordId: event.recordId,
    });
  }
}

/** Everything needed to append a decisive event: the leaf bytes and its tree leaf hash. */
export function leafForRecord(input: {
  eventType: string;
  time: Date | string;
  recordType: string;
  recordId: string;
  record: unknown;
  salt: Uint8Array;
}): { event: LeafEvent; leaf: Uint8Array; leafHash: Uint8Array } {
  const event: LeafEvent = {
    eventType: input.eventType,
    time: leafTime(input.time),
    recordType: input.recordType,
    recordId: input.recordId,
    commitment: recordCommitment(input.record, input.salt),
  };
  const leaf = encodeLeaf(event);
  return { event, leaf, leafHash: hashLeaf(leaf) };
}
