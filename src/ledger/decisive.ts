import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import { canonicalJson } from '../shared/canonical-json.js';
import { FabgateError } from '../shared/errors.js';

/**
 * A decisive event: a decision, licence, ticket, usage record or list version
 * that must be provable later. `record` is the immutable record as stored — the
 * resolver registered for `recordType` must rebuild exactly this object from
 * the database, so `fabgate log audit` can detect any later alteration.
 */
export interface DecisiveEvent {
  type: string;
  recordType: string;
  recordId: string;
  record: unknown;
  at: Date;
  organisationId?: string | null;
}

/** SHA-256(salt ‖ canonical JSON of the record): commits to the record without revealing it. */
export function commitment(salt: Uint8Array, record: unknown): string {
  return createHash('sha256').update(salt).update(canonicalJson(record), 'utf8').digest('hex');
}

/**
 * Queue a decisive event for the transparency log. Call it inside the
 * transaction of the change it records: both commit or neither does, and the
 * sequencer integrates every committed event (none can be lost in between).
 */
export async function logDecisiveEvent(db: Kysely<Tables>, event: DecisiveEvent): Promise<{ seq: number; salt: string; commitment: string }> {
  const salt = randomBytes(32);
  const row = {
    event_type: event.type,
    record_type: event.recordType,
    record_id: event.recordId,
    at: event.at.toISOString(),
    organisation_id: event.organisationId ?? null,
    salt: salt.toString('hex'),
    commitment: commitment(salt, event.record),
    leaf_index: null,
  };
  const inserted = await db.insertInto('ledger_events').values(row).returning('seq').executeTakeFirstOrThrow();
  return { seq: Number(inserted.seq), salt: row.salt, commitment: row.commitment };
}

/** Rebuilds the committed record of one type from the database (undefined when it is gone). */
export type RecordResolver = (db: Kysely<Tables>, recordId: string) => Promise<unknown | undefined>;

const resolvers = new Map<string, RecordResolver>();

/** Each domain registers how to rebuild its logged records, for `fabgate log audit`. */
export function registerRecordResolver(recordType: string, resolver: RecordResolver): void {
  if (resolvers.has(recordType) && resolvers.get(recordType) !== resolver) {
    throw new FabgateError('LEDGER_RESOLVER_DUPLICATE', `a resolver for '${recordType}' is already registered`, 'internal');
  }
  resolvers.set(recordType, resolver);
}

export function recordResolver(recordType: string): RecordResolver | undefined {
  return resolvers.get(recordType);
}
