/**
 * Print tickets in the database: devices named under licences, issued
 * tickets, revocations and signed revocation lists, usage records and their
 * flags, and the record resolvers `fabgate log audit` uses to rebuild what
 * was logged. Every function takes a Kysely handle (the database or the
 * caller's transaction).
 */
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../db/database.js';
import type { Tables } from '../db/tables.js';
import { registerRecordResolver } from '../ledger/decisive.js';
import { canonicalJson } from '../ledger/core/canonical-json.js';
import type { Clock } from '../shared/clock.js';
import { FabgateError } from '../shared/errors.js';
import type { KeyWrapper } from '../shared/keywrap.js';
import { requireIssuer } from './issuer-key.js';
import { decodeJws } from './jws.js';
import { signRevocationList } from './revocations.js';
import { TICKET_RECORD, TICKET_TYP, ticketRecord, type PrintTicketClaims } from './ticket.js';
import type { LicenceDeviceRow, PrintTicketRow, TicketRevocationListRow, UsageRecordRow } from './tables.js';
import type { UsageRecord } from './usage-record.js';

type Db = Kysely<Tables>;

export const TICKET_REVOKED_EVENT = 'ticket.revoked';
export const TICKET_REVOCATION_RECORD = 'ticket_revocation';
export const USAGE_EVENT = 'usage.received';
export const USAGE_RECORD_TYPE = 'usage_record';
/** A revocation list is signed afresh at least this often (hosts learn `next_update`). */
export const REVOCATION_LIST_HOURS = 6;
/** Revoked tickets stay on the list until a day after they expired (past any host's clock tolerance). */
const LIST_AFTER_EXPIRY_MS = 24 * 3600_000;

/* ------------------------------------------------------------- licence devices */

export async function licenceDevices(db: Db, licenceId: string): Promise<LicenceDeviceRow[]> {
  return db.selectFrom('licence_devices').selectAll().where('licence_id', '=', licenceId).orderBy('named_at').execute();
}

export async function nameDevice(db: Db, row: LicenceDeviceRow): Promise<void> {
  const exists = await db.selectFrom('licence_devices').select('device_id').where('licence_id', '=', row.licence_id).where('device_id', '=', row.device_id).executeTakeFirst();
  if (exists) throw new FabgateError('TICKET_DEVICE_ALREADY_NAMED', `device '${row.device_id}' is already named under this licence`, 'conflict');
  await db.insertInto('licence_devices').values(row).execute();
}

export async function unnameDevice(db: Db, licenceId: string, deviceId: string): Promise<void> {
  const r = await db.deleteFrom('licence_devices').where('licence_id', '=', licenceId).where('device_id', '=', deviceId).executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) throw new FabgateError('TICKET_DEVICE_NOT_NAMED', `device '${deviceId}' is not named under this licence`, 'not_found');
}

/* ------------------------------------------------------------- tickets */

export function ticketNotFound(jti: string): FabgateError {
  return new FabgateError('TICKET_NOT_FOUND', `no ticket '${jti}'`, 'not_found');
}

export async function insertTicket(db: Db, row: PrintTicketRow, deviceIds: readonly string[]): Promise<void> {
  await db.insertInto('print_tickets').values(row).execute();
  await db.insertInto('ticket_devices').values(deviceIds.map((device_id) => ({ jti: row.jti, device_id }))).execute();
}

export async function findTicket(db: Db, jti: string): Promise<PrintTicketRow | undefined> {
  return db.selectFrom('print_tickets').selectAll().where('jti', '=', jti).executeTakeFirst();
}

export async function ticketDeviceIds(db: Db, jti: string): Promise<string[]> {
  return (await db.selectFrom('ticket_devices').select('device_id').where('jti', '=', jti).orderBy('device_id').execute()).map((r) => r.device_id);
}

/**
 * The columns a ticket row must hold, read from its JWS: the resolver
 * compares them with the row, so an edited column (more prints, a later
 * expiry) is an altered record for `fabgate log audit`, not just the JWS.
 */
export function ticketColumnsOf(jws: string): Pick<PrintTicketRow, 'jti' | 'licence_id' | 'manifest_sha256' | 'prints' | 'not_before' | 'not_after' | 'envelope' | 'devices' | 'kid'> {
  const decoded = decodeJws(jws, TICKET_TYP);
  const c = decoded.payload as PrintTicketClaims;
  return {
    jti: c.jti,
    licence_id: c.licence.id,
    manifest_sha256: c.design.manifest_sha256,
    prints: c.prints,
    not_before: new Date(c.nbf * 1000).toISOString(),
    not_after: new Date(c.exp * 1000).toISOString(),
    envelope: canonicalJson(c.envelope),
    devices: canonicalJson(c.devices),
    kid: decoded.header.kid,
  };
}

/** The logged record of a ticket, or an altered one when the row disagrees with its own JWS. */
async function loggedTicketRecord(db: Db, row: PrintTicketRow): Promise<unknown> {
  const altered: string[] = [];
  try {
    const expected = ticketColumnsOf(row.jws);
    const actual = { ...row, envelope: canonicalJson(JSON.parse(row.envelope)), devices: canonicalJson(JSON.parse(row.devices)) };
    for (const [k, v] of Object.entries(expected)) if (actual[k as keyof typeof actual] !== v) altered.push(k);
    const bound = (JSON.parse(row.devices) as Array<{ id: string }>).map((d) => d.id).sort();
    if (canonicalJson(bound) !== canonicalJson(await ticketDeviceIds(db, row.jti))) altered.push('ticket_devices');
  } catch {
    altered.push('jws');
  }
  return altered.length ? { ...ticketRecord(row.jws), altered_columns: altered } : ticketRecord(row.jws);
}

registerRecordResolver(TICKET_RECORD, {
  async load(db, jti) {
    const row = await findTicket(db, jti);
    return row ? loggedTicketRecord(db, row) : undefined;
  },
  async list(db) {
    return (await db.selectFrom('print_tickets').select('jti').orderBy('issued_at').execute()).map((r) => r.jti);
  },
});

/* ------------------------------------------------------------- revocations */

export interface RevocationRecord {
  jti: string;
  at: string;
  reason: string;
  revoked_by: string;
}

export async function insertRevocation(db: Db, r: RevocationRecord & { organisation_id: string }): Promise<void> {
  try {
    await db.insertInto('ticket_revocations').values(r).execute();
  } catch (e) {
    if (isUniqueViolation(e)) throw new FabgateError('TICKET_ALREADY_REVOKED', `ticket '${r.jti}' is already revoked`, 'conflict');
    throw e;
  }
}

export async function revocationOf(db: Db, jti: string): Promise<RevocationRecord | undefined> {
  return db.selectFrom('ticket_revocations').select(['jti', 'at', 'reason', 'revoked_by']).where('jti', '=', jti).executeTakeFirst();
}

registerRecordResolver(TICKET_REVOCATION_RECORD, {
  async load(db, jti) {
    return revocationOf(db, jti);
  },
  async list(db) {
    return (await db.selectFrom('ticket_revocations').select('jti').orderBy('seq').execute()).map((r) => r.jti);
  },
});

/**
 * The current signed revocation list: the last one, unless a revocation came
 * since, its `next_update` passed or the issuer key rotated — then a new list
 * with the next serial. Call it outside a transaction: a concurrent caller
 * signing the same serial meets the primary key, and the loser returns the
 * winner's list.
 */
export async function currentRevocationList(db: Db, keys: KeyWrapper, clock: Clock, iss: string): Promise<TicketRevocationListRow> {
  const now = clock.now();
  const last = await db.selectFrom('ticket_revocation_lists').selectAll().orderBy('serial', 'desc').limit(1).executeTakeFirst();
  const covers = Number((await db.selectFrom('ticket_revocations').select((eb) => eb.fn.max('seq').as('m')).executeTakeFirst())?.m ?? 0);
  const issuer = await requireIssuer(db, keys);
  if (last && Number(last.covers_seq) === covers && last.next_update > now.toISOString() && last.kid === issuer.kid) return { ...last, covers_seq: Number(last.covers_seq) };
  const cutoff = new Date(now.getTime() - LIST_AFTER_EXPIRY_MS).toISOString();
  const revoked = await db
    .selectFrom('ticket_revocations as r')
    .innerJoin('print_tickets as t', 't.jti', 'r.jti')
    .select(['r.jti', 'r.at', 'r.reason'])
    .where('t.not_after', '>', cutoff)
    .where('r.seq', '<=', covers)
    .orderBy('r.seq')
    .execute();
  const serial = (last?.serial ?? 0) + 1;
  const iat = Math.floor(now.getTime() / 1000);
  const nextUpdate = iat + REVOCATION_LIST_HOURS * 3600;
  const jws = signRevocationList(
    { v: 1, iss, serial, iat, next_update: nextUpdate, revoked: revoked.map((r) => ({ jti: r.jti, at: Math.floor(Date.parse(r.at) / 1000), reason: r.reason.slice(0, 256) })) },
    issuer,
  );
  const row: TicketRevocationListRow = { serial, covers_seq: covers, jws, kid: issuer.kid, created_at: now.toISOString(), next_update: new Date(nextUpdate * 1000).toISOString() };
  try {
    await db.insertInto('ticket_revocation_lists').values(row).execute();
    return row;
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    const won = await db.selectFrom('ticket_revocation_lists').selectAll().where('serial', '=', serial).executeTakeFirstOrThrow();
    return { ...won, covers_seq: Number(won.covers_seq) };
  }
}

/* ------------------------------------------------------------- usage records */

export async function lastUsageRecord(db: Db, deviceId: string): Promise<{ seq: number; hash: string } | null> {
  const r = await db.selectFrom('usage_records').select(['seq', 'hash']).where('device_id', '=', deviceId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return r ? { seq: Number(r.seq), hash: r.hash } : null;
}

export async function usageRecordAt(db: Db, deviceId: string, seq: number): Promise<UsageRecordRow | undefined> {
  return db.selectFrom('usage_records').selectAll().where('device_id', '=', deviceId).where('seq', '=', seq).executeTakeFirst();
}

/** Insert an accepted record; a second record with the same device and seq is a replay, whichever commits first wins. */
export async function insertUsageRecord(db: Db, row: UsageRecordRow): Promise<void> {
  try {
    await db.insertInto('usage_records').values(row).execute();
  } catch (e) {
    if (isUniqueViolation(e)) throw new FabgateError('USAGE_RECORD_REPLAYED', `record ${row.seq} of device ${row.device_id} was already received`, 'conflict');
    throw e;
  }
}

/** The logged record of a usage record: what the device signed, and its signature. */
export function usageLogRecord(row: Pick<UsageRecordRow, 'record' | 'signature'>): { record: UsageRecord; signature: string } {
  return { record: JSON.parse(row.record) as UsageRecord, signature: row.signature };
}

registerRecordResolver(USAGE_RECORD_TYPE, {
  async load(db, id) {
    const row = await db.selectFrom('usage_records').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const logged = usageLogRecord(row);
    const r = logged.record;
    const same =
      r.device === row.device_id && r.seq === Number(row.seq) && r.prev === row.prev && r.ticket === row.ticket_jti && r.design === row.design_sha256 && r.counter === row.counter && r.outcome === row.outcome && r.started_at === row.started_at && r.ended_at === row.ended_at;
    return same ? logged : { ...logged, altered: true };
  },
  async list(db) {
    return (await db.selectFrom('usage_records').select('id').orderBy('received_at').execute()).map((r) => r.id);
  },
});
