import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import { newId } from '../shared/ids.js';

/** Who caused an event: a user, an API token, or Fabgate itself (seeding, expiry, the sequencer). */
export interface Actor {
  type: 'user' | 'token' | 'system';
  id: string | null;
  organisationId: string | null;
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, organisationId: null };

export interface AuditInput {
  actor: Actor;
  /** What was done, `domain.verb` (e.g. `identity.user_created`, `licensing.case_decided`). */
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  requestId?: string | null;
  /** SHA-256 (hex) of the request body that caused it, when there was one. */
  bodySha256?: string | null;
  at: Date;
}

export interface AuditEvent {
  seq: number;
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
}

/**
 * The canonical form of an audit event: its fields as a JSON object with sorted
 * keys and only string or null values, so `JSON.stringify` is already the
 * RFC 8785 canonical encoding. The sequence number is not part of it (it is
 * assigned by the database and proven by the log position instead).
 */
export function canonicalAuditEvent(e: Omit<AuditEvent, 'seq'>): string {
  const fields: Record<string, string | null> = {
    action: e.action,
    actor_id: e.actor_id,
    actor_type: e.actor_type,
    at: e.at,
    body_sha256: e.body_sha256,
    id: e.id,
    organisation_id: e.organisation_id,
    request_id: e.request_id,
    target_id: e.target_id,
    target_type: e.target_type,
  };
  return JSON.stringify(fields);
}

/**
 * Append an event to the audit trail. Call it with the same transaction as the
 * change it records, so the change and its record commit or vanish together.
 */
export async function recordAudit(db: Kysely<Tables>, input: AuditInput): Promise<AuditEvent> {
  const event = {
    id: newId('evt'),
    at: input.at.toISOString(),
    actor_type: input.actor.type,
    actor_id: input.actor.id,
    organisation_id: input.actor.organisationId,
    action: input.action,
    target_type: input.targetType ?? null,
    target_id: input.targetId ?? null,
    request_id: input.requestId ?? null,
    body_sha256: input.bodySha256 ?? null,
  };
  const canonical = canonicalAuditEvent(event);
  const row = await db.insertInto('audit_events').values({ ...event, canonical }).returning('seq').executeTakeFirstOrThrow();
  return { seq: Number(row.seq), ...event };
}

export async function listAuditEvents(
  db: Kysely<Tables>,
  filter: { organisationId: string; beforeSeq?: number; limit: number; action?: string },
): Promise<AuditEvent[]> {
  let q = db
    .selectFrom('audit_events')
    .select(['seq', 'id', 'at', 'actor_type', 'actor_id', 'organisation_id', 'action', 'target_type', 'target_id', 'request_id', 'body_sha256'])
    .where('organisation_id', '=', filter.organisationId)
    .orderBy('seq', 'desc')
    .limit(filter.limit);
  if (filter.beforeSeq !== undefined) q = q.where('seq', '<', filter.beforeSeq);
  if (filter.action) q = q.where('action', '=', filter.action);
  return (await q.execute()).map((r) => ({ ...r, seq: Number(r.seq) }));
}
