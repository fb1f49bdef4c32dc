/**
 * What every licensing store module shares: who acts, which side sees what,
 * JSON columns, the case history and reference sequences.
 */
import anyAscii from 'any-ascii';
import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables.js';
import type { OrganisationKind, Role } from '../../identity/permissions.js';
import type { Principal } from '../../identity/principal.js';
import { FabgateError } from '../../shared/errors.js';
import type { MachineActor } from '../state-machine.js';

export type Db = Kysely<Tables>;

/** Who acts on a case: a person (with role), an API token, or Fabgate itself. */
export interface LicensingActor {
  type: 'user' | 'token' | 'system';
  /** The user id or token id (null for the system). */
  id: string | null;
  /** The person behind the act (null for CLI-made tokens and the system). */
  userId: string | null;
  organisationId: string | null;
  kind: OrganisationKind | null;
  role: Role | null;
}

export const SYSTEM_ACTOR: LicensingActor = { type: 'system', id: null, userId: null, organisationId: null, kind: null, role: null };

export function actorFromPrincipal(p: Principal): LicensingActor {
  return { type: p.type, id: p.id, userId: p.type === 'user' ? p.userId : null, organisationId: p.organisationId, kind: p.organisationKind, role: p.type === 'user' ? p.role : null };
}

/** The actor as the state machine sees it: tokens have no role and take no transition. */
export function machineActor(a: LicensingActor): MachineActor {
  return { kind: a.kind ?? 'system', role: a.role, userId: a.type === 'user' ? a.userId : null };
}

/**
 * Which side asks. An exporter sees its own organisation's applications; an
 * authority sees the submitted cases addressed to it; the system (CLI,
 * other domains in process) sees everything. Anything else is a 404.
 */
export type Scope = { side: 'exporter'; organisationId: string } | { side: 'authority'; organisationId: string } | { side: 'system' };

export function scopeOf(p: Principal): Scope {
  if (p.organisationKind === 'exporter') return { side: 'exporter', organisationId: p.organisationId };
  if (p.organisationKind === 'authority') return { side: 'authority', organisationId: p.organisationId };
  // Partner authorities and device operators have no licensing records of their own.
  return { side: 'exporter', organisationId: p.organisationId };
}

export function parseJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

/** Letters and digits of a name, transliterated and lower-cased: `Wichita Aero-Structures, LLC` → `wichitaaerostructuresllc`. */
export function nameKey(name: string): string {
  return anyAscii(name.normalize('NFKC'))
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

export interface EventInput {
  applicationId: string;
  at: Date;
  actor: LicensingActor;
  kind: string;
  visibility: 'exporter' | 'internal';
  summary: string;
  transition?: string;
  from?: string;
  to?: string;
  details?: unknown;
}

/** Append to the case history (append-only in the database). */
export async function appendEvent(db: Db, e: EventInput): Promise<void> {
  await db
    .insertInto('licensing_events')
    .values({
      application_id: e.applicationId,
      at: e.at.toISOString(),
      actor_type: e.actor.type,
      actor_id: e.actor.id,
      actor_role: e.actor.role,
      kind: e.kind,
      transition: e.transition ?? null,
      from_state: e.from ?? null,
      to_state: e.to ?? null,
      visibility: e.visibility,
      summary: e.summary,
      details: e.details === undefined ? null : JSON.stringify(e.details),
    })
    .execute();
}

/** The next value of a named sequence, inside the caller's transaction (row-locked on PostgreSQL, serialised on SQLite). */
export async function nextSequence(db: Db, name: string): Promise<number> {
  await db.insertInto('licensing_sequences').values({ name, value: 0 }).onConflict((oc) => oc.column('name').doNothing()).execute();
  const row = await db
    .updateTable('licensing_sequences')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('name', '=', name)
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(row.value);
}

export function notFound(what: 'application' | 'case' | 'licence' | 'document' | 'item' | 'party' | 'query' | 'referral', id: string): FabgateError {
  const code = { application: 'LICENSING_APPLICATION_NOT_FOUND', case: 'LICENSING_CASE_NOT_FOUND', licence: 'LICENSING_LICENCE_NOT_FOUND', document: 'LICENSING_DOCUMENT_NOT_FOUND', item: 'LICENSING_ITEM_NOT_FOUND', party: 'LICENSING_PARTY_NOT_FOUND', query: 'LICENSING_QUERY_NOT_FOUND', referral: 'LICENSING_REFERRAL_NOT_FOUND' }[what];
  return new FabgateError(code, `no ${what} '${id}'`, 'not_found');
}
