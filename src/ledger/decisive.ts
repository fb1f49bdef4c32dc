import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import { FabgateError } from '../shared/errors.js';
import { toHex } from './core/bytes.js';
import { encodeLeaf, leafTime, newSalt, recordCommitment } from './core/leaf.js';

/**
 * A decisive event: a decision, licence, ticket, usage record or list version
 * that must be provable later. `record` is the immutable record as stored — the
 * resolver registered for `recordType` must rebuild exactly this object from
 * the database, so `fabgate log audit` can detect any later alteration.
 * Event and record types follow LEAF-FORMAT.md (`licence.issued`, `licence`).
 */
export interface DecisiveEvent {
  type: string;
  recordType: string;
  recordId: string;
  record: unknown;
  at: Date;
  organisationId?: string | null;
}

/**
 * Queue a decisive event for the transparency log. Call it inside the
 * transaction of the change it records: both commit or neither does, and the
 * sequencer integrates every committed event (none can be lost in between).
 * The leaf is encoded here once, so a malformed event fails the change itself
 * instead of stalling the sequencer later.
 */
export async function logDecisiveEvent(db: Kysely<Tables>, event: DecisiveEvent): Promise<{ seq: number; salt: string; commitment: string }> {
  return (await logDecisiveEvents(db, [event]))[0]!;
}

/** Queue several decisive events in one statement per 200 (bulk imports, list activations). */
export async function logDecisiveEvents(db: Kysely<Tables>, events: readonly DecisiveEvent[]): Promise<Array<{ seq: number; salt: string; commitment: string }>> {
  const rows = events.map((event) => {
    const salt = newSalt();
    const commitment = recordCommitment(event.record, salt);
    const at = leafTime(event.at);
    encodeLeaf({ eventType: event.type, time: at, recordType: event.recordType, recordId: event.recordId, commitment });
    return {
      event_type: event.type,
      record_type: event.recordType,
      record_id: event.recordId,
      at,
      organisation_id: event.organisationId ?? null,
      salt: toHex(salt),
      commitment: toHex(commitment),
      leaf_index: null,
    };
  });
  const out: Array<{ seq: number; salt: string; commitment: string }> = [];
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    // RETURNING order is not promised by either engine: match rows by their (unique, random) salt.
    const inserted = await db.insertInto('ledger_events').values(chunk).returning(['seq', 'salt']).execute();
    const seqOf = new Map(inserted.map((r) => [r.salt, Number(r.seq)]));
    for (const row of chunk) out.push({ seq: seqOf.get(row.salt)!, salt: row.salt, commitment: row.commitment });
  }
  return out;
}

/**
 * How `fabgate log audit` finds a domain's logged records: `load` rebuilds the
 * committed record (undefined when it is gone); `list` names every record of
 * the type that should have been logged, to find ones missing from the log.
 */
export interface RecordResolver {
  load(db: Kysely<Tables>, recordId: string): Promise<unknown | undefined>;
  list?(db: Kysely<Tables>): Promise<string[]>;
}

const resolvers = new Map<string, RecordResolver>();

/** Each domain registers how to rebuild its logged records. */
export function registerRecordResolver(recordType: string, resolver: RecordResolver): void {
  if (resolvers.has(recordType) && resolvers.get(recordType) !== resolver) {
    throw new FabgateError('LEDGER_RESOLVER_DUPLICATE', `a resolver for '${recordType}' is already registered`, 'internal');
  }
  resolvers.set(recordType, resolver);
}

export function recordResolver(recordType: string): RecordResolver | undefined {
  return resolvers.get(recordType);
}

export function registeredRecordTypes(): string[] {
  return [...resolvers.keys()].sort();
}
