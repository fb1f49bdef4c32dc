/**
 * Devices in the database: one-time enrolment tokens, enrolment (keys and an
 * API token scoped to the device), key rotation and revocation. Every function
 * takes a Kysely handle (the database or the caller's transaction).
 */
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import type { Permission } from '../identity/permissions.js';
import type { Principal } from '../identity/principal.js';
import { createToken, revokeToken } from '../identity/service.js';
import type { Clock } from '../shared/clock.js';
import { FabgateError } from '../shared/errors.js';
import { newId, newSecret, sha256Hex } from '../shared/ids.js';
import { parseDeviceKeys, verifyRotation } from './keys.js';
import type { DeviceEnrolmentTokenRow, DeviceKeyRow, DeviceRow } from './tables.js';

type Db = Kysely<Tables>;

/**
 * What a device's API token may do: report usage, and read the designs and
 * tickets released to it (the routes narrow both to the device itself).
 */
export const DEVICE_TOKEN_PERMISSIONS: readonly Permission[] = ['usage:report', 'designs:read', 'tickets:read'];
/** Organisation kinds that own print hosts. */
export const DEVICE_OWNER_KINDS = ['device_operator', 'exporter'] as const;
/** Enrolment tokens live 24 hours unless the operator says otherwise, at most a week. */
export const ENROLMENT_TOKEN_HOURS = { default: 24, max: 168 } as const;
const ENROLMENT_PREFIX = 'fge';

export interface EnrolmentTokenView {
  id: string;
  organisation_id: string;
  device_name: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  device_id: string | null;
  status: 'pending' | 'used' | 'expired';
}

export interface DeviceKeysView {
  id: string;
  content_key: string;
  content_key_sha256: string;
  signing_key: string;
  signing_key_sha256: string;
  created_at: string;
  retired_at: string | null;
}

export interface DeviceView {
  id: string;
  organisation: { id: string; name: string; kind: string };
  name: string;
  model: string | null;
  status: 'active' | 'revoked';
  enrolled_at: string;
  revoked_at: string | null;
  revoked_reason: string | null;
  /** The current keys (the last keys for a revoked device). */
  keys: DeviceKeysView;
}

function tokenView(r: DeviceEnrolmentTokenRow, now: Date): EnrolmentTokenView {
  const status = r.used_at ? 'used' : r.expires_at <= now.toISOString() ? 'expired' : 'pending';
  const { secret_hash: _secret, created_by: _by, ...rest } = r;
  return { ...rest, status };
}

function keysView(k: DeviceKeyRow): DeviceKeysView {
  const { device_id: _d, ...rest } = k;
  return rest;
}

/** Create a one-time enrolment token; its text (`fge_…`) is returned once and stored only as a hash. */
export async function createEnrolmentToken(
  db: Db,
  clock: Clock,
  input: { organisationId: string; createdBy: string | null; deviceName?: string | null; hours?: number },
): Promise<{ token: string; record: EnrolmentTokenView }> {
  const org = await db.selectFrom('organisations').select(['id', 'kind']).where('id', '=', input.organisationId).executeTakeFirst();
  if (!org) throw new FabgateError('IDENTITY_ORGANISATION_NOT_FOUND', `no organisation '${input.organisationId}'`, 'not_found');
  if (!(DEVICE_OWNER_KINDS as readonly string[]).includes(org.kind)) {
    throw new FabgateError('DEVICE_ORGANISATION_KIND', `a ${org.kind.replace(/_/g, ' ')} organisation does not own print hosts`, 'invalid_input');
  }
  const hours = input.hours ?? ENROLMENT_TOKEN_HOURS.default;
  if (!(hours > 0 && hours <= ENROLMENT_TOKEN_HOURS.max)) {
    throw new FabgateError('DEVICE_ENROLMENT_TOKEN_LIFETIME', `an enrolment token lives between 0 and ${ENROLMENT_TOKEN_HOURS.max} hours`, 'invalid_input');
  }
  const now = clock.now();
  const secret = newSecret();
  const row: DeviceEnrolmentTokenRow = {
    id: newId('enr'),
    organisation_id: org.id,
    secret_hash: sha256Hex(secret),
    device_name: input.deviceName ?? null,
    created_by: input.createdBy,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + hours * 3600_000).toISOString(),
    used_at: null,
    device_id: null,
  };
  await db.insertInto('device_enrolment_tokens').values(row).execute();
  return { token: `${ENROLMENT_PREFIX}_${secret}`, record: tokenView(row, now) };
}

export async function listEnrolmentTokens(db: Db, clock: Clock, organisationId: string): Promise<EnrolmentTokenView[]> {
  const rows = await db.selectFrom('device_enrolment_tokens').selectAll().where('organisation_id', '=', organisationId).orderBy('created_at', 'desc').execute();
  return rows.map((r) => tokenView(r, clock.now()));
}

const invalidToken = (code: 'DEVICE_ENROLMENT_TOKEN_INVALID' | 'DEVICE_ENROLMENT_TOKEN_USED' | 'DEVICE_ENROLMENT_TOKEN_EXPIRED', why: string) =>
  new FabgateError(code, why, 'unauthenticated');

export interface EnrolInput {
  token: string;
  name?: string | undefined;
  model?: string | undefined;
  contentKey: string;
  signingKey: string;
}

/**
 * Enrol a print host: spend the one-time token (a conditional UPDATE, so two
 * hosts racing with one token cannot both enrol), register its keys, and give
 * it an API token scoped to itself.
 */
export async function enrolDevice(db: Db, clock: Clock, input: EnrolInput): Promise<{ device: DeviceView; apiToken: string }> {
  const keys = parseDeviceKeys(input.contentKey, input.signingKey);
  const m = new RegExp(`^${ENROLMENT_PREFIX}_([A-Za-z0-9_-]{43})$`).exec(input.token);
  if (!m) throw invalidToken('DEVICE_ENROLMENT_TOKEN_INVALID', 'not an enrolment token');
  const row = await db.selectFrom('device_enrolment_tokens').selectAll().where('secret_hash', '=', sha256Hex(m[1]!)).executeTakeFirst();
  if (!row) throw invalidToken('DEVICE_ENROLMENT_TOKEN_INVALID', 'unknown enrolment token');
  const now = clock.now();
  const nowIso = now.toISOString();
  if (row.used_at) throw invalidToken('DEVICE_ENROLMENT_TOKEN_USED', 'this enrolment token was already used');
  if (row.expires_at <= nowIso) throw invalidToken('DEVICE_ENROLMENT_TOKEN_EXPIRED', `this enrolment token expired at ${row.expires_at}`);
  const spent = await db
    .updateTable('device_enrolment_tokens')
    .set({ used_at: nowIso })
    .where('id', '=', row.id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', nowIso)
    .executeTakeFirst();
  if (Number(spent.numUpdatedRows) === 0) throw invalidToken('DEVICE_ENROLMENT_TOKEN_USED', 'this enrolment token was already used');

  const reused = await db
    .selectFrom('device_keys')
    .select('device_id')
    .where((eb) => eb.or([eb('content_key_sha256', 'in', [keys.contentKeySha256, keys.signingKeySha256]), eb('signing_key_sha256', 'in', [keys.contentKeySha256, keys.signingKeySha256])]))
    .executeTakeFirst();
  if (reused) throw new FabgateError('DEVICE_KEY_IN_USE', 'these keys are registered to a device already; every print host needs its own', 'conflict');

  const id = newId('dev');
  const name = (row.device_name ?? input.name ?? '').trim() || `print host ${id.slice(4, 10)}`;
  const api = await createToken(db, clock, { organisationId: row.organisation_id, createdBy: null, name: `device ${name} (${id})`, permissions: [...DEVICE_TOKEN_PERMISSIONS] });
  const device: DeviceRow = {
    id,
    organisation_id: row.organisation_id,
    name,
    model: input.model?.trim() || null,
    status: 'active',
    enrolled_at: nowIso,
    enrolment_token_id: row.id,
    api_token_id: api.record.id,
    revoked_at: null,
    revoked_reason: null,
    revoked_by: null,
  };
  await db.insertInto('devices').values(device).execute();
  await db
    .insertInto('device_keys')
    .values({
      id: newId('dky'),
      device_id: id,
      content_key: keys.contentKeyPem,
      content_key_sha256: keys.contentKeySha256,
      signing_key: keys.signingKeyPem,
      signing_key_sha256: keys.signingKeySha256,
      created_at: nowIso,
      retired_at: null,
    })
    .execute();
  await db.updateTable('device_enrolment_tokens').set({ device_id: id }).where('id', '=', row.id).execute();
  return { device: await deviceView(db, device), apiToken: api.token };
}

/** The device row, any organisation's (callers scope it). */
export async function findDevice(db: Db, id: string): Promise<DeviceRow | undefined> {
  return db.selectFrom('devices').selectAll().where('id', '=', id).executeTakeFirst();
}

export function deviceNotFound(id: string): FabgateError {
  return new FabgateError('DEVICE_NOT_FOUND', `no device '${id}'`, 'not_found');
}

/** The device of an organisation, or DEVICE_NOT_FOUND (another organisation's device is not found). */
export async function loadOwnDevice(db: Db, id: string, organisationId: string): Promise<DeviceRow> {
  const d = await findDevice(db, id);
  if (!d || d.organisation_id !== organisationId) throw deviceNotFound(id);
  return d;
}

/** The keys in force for a device (the last keys of a revoked device). */
export async function currentKeys(db: Db, deviceId: string): Promise<DeviceKeyRow> {
  const k = await db.selectFrom('device_keys').selectAll().where('device_id', '=', deviceId).orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirst();
  if (!k) throw new FabgateError('DEVICE_KEYS_MISSING', `device '${deviceId}' has no keys`, 'internal');
  return k;
}

export async function keyHistory(db: Db, deviceId: string): Promise<DeviceKeysView[]> {
  return (await db.selectFrom('device_keys').selectAll().where('device_id', '=', deviceId).orderBy('created_at', 'desc').execute()).map(keysView);
}

export async function deviceView(db: Db, d: DeviceRow): Promise<DeviceView> {
  const [org, keys] = await Promise.all([
    db.selectFrom('organisations').select(['id', 'name', 'kind']).where('id', '=', d.organisation_id).executeTakeFirstOrThrow(),
    currentKeys(db, d.id),
  ]);
  return {
    id: d.id,
    organisation: org,
    name: d.name,
    model: d.model,
    status: d.status as DeviceView['status'],
    enrolled_at: d.enrolled_at,
    revoked_at: d.revoked_at,
    revoked_reason: d.revoked_reason,
    keys: keysView(keys),
  };
}

export async function listDevices(db: Db, organisationId: string): Promise<DeviceView[]> {
  const rows = await db.selectFrom('devices').selectAll().where('organisation_id', '=', organisationId).orderBy('enrolled_at', 'desc').execute();
  return Promise.all(rows.map((r) => deviceView(db, r)));
}

/** The device an API token belongs to, when the principal is a device's token. */
export async function deviceOfPrincipal(db: Db, p: Principal): Promise<DeviceRow | undefined> {
  if (p.type !== 'token') return undefined;
  return db.selectFrom('devices').selectAll().where('api_token_id', '=', p.id).executeTakeFirst();
}

/** The calling device, or DEVICE_NOT_FOUND when the credentials are not a device's. */
export async function requireDevice(db: Db, p: Principal): Promise<DeviceRow> {
  const d = await deviceOfPrincipal(db, p);
  if (!d) throw new FabgateError('DEVICE_NOT_FOUND', 'these credentials are not a device’s; use the API token the device got at enrolment', 'not_found');
  if (d.status !== 'active') throw new FabgateError('DEVICE_REVOKED', `device '${d.id}' is revoked`, 'forbidden');
  return d;
}

/**
 * Replace a device's keys: the request is signed with the current signing key
 * (keys.ts `rotationStatement`); the current keys are retired, kept for
 * history. Releases and tickets made for the old keys stay bound to them.
 */
export async function rotateDeviceKeys(db: Db, clock: Clock, device: DeviceRow, input: { contentKey: string; signingKey: string; signature: string }): Promise<DeviceKeysView> {
  if (device.status !== 'active') throw new FabgateError('DEVICE_REVOKED', `device '${device.id}' is revoked`, 'forbidden');
  const next = parseDeviceKeys(input.contentKey, input.signingKey);
  const current = await currentKeys(db, device.id);
  verifyRotation(current.signing_key, device.id, next, input.signature);
  const reused = await db
    .selectFrom('device_keys')
    .select('id')
    .where((eb) => eb.or([eb('content_key_sha256', '=', next.contentKeySha256), eb('signing_key_sha256', '=', next.signingKeySha256)]))
    .executeTakeFirst();
  if (reused) throw new FabgateError('DEVICE_KEY_IN_USE', 'these keys were registered before; rotate to fresh keys', 'conflict');
  const now = clock.now().toISOString();
  const retired = await db.updateTable('device_keys').set({ retired_at: now }).where('id', '=', current.id).where('retired_at', 'is', null).executeTakeFirst();
  if (Number(retired.numUpdatedRows) === 0) throw new FabgateError('DEVICE_KEYS_CHANGED', 'the keys changed meanwhile; fetch them and try again', 'conflict');
  const row: DeviceKeyRow = {
    id: newId('dky'),
    device_id: device.id,
    content_key: next.contentKeyPem,
    content_key_sha256: next.contentKeySha256,
    signing_key: next.signingKeyPem,
    signing_key_sha256: next.signingKeySha256,
    created_at: now,
    retired_at: null,
  };
  await db.insertInto('device_keys').values(row).execute();
  return keysView(row);
}

/** Revoke a device: its API token at once, its keys retired. */
export async function revokeDevice(db: Db, clock: Clock, device: DeviceRow, input: { reason: string; by: string }): Promise<DeviceRow> {
  if (device.status === 'revoked') throw new FabgateError('DEVICE_REVOKED', `device '${device.id}' is already revoked`, 'conflict');
  const now = clock.now().toISOString();
  const r = await db
    .updateTable('devices')
    .set({ status: 'revoked', revoked_at: now, revoked_reason: input.reason, revoked_by: input.by })
    .where('id', '=', device.id)
    .where('status', '=', 'active')
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) === 0) throw new FabgateError('DEVICE_REVOKED', `device '${device.id}' is already revoked`, 'conflict');
  await revokeToken(db, clock, device.api_token_id, null);
  await db.updateTable('device_keys').set({ retired_at: now }).where('device_id', '=', device.id).where('retired_at', 'is', null).execute();
  return { ...device, status: 'revoked', revoked_at: now, revoked_reason: input.reason, revoked_by: input.by };
}
