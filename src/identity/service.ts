import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import { isUniqueViolation } from '../db/database.js';
import type { Clock } from '../shared/clock.js';
import { FabgateError } from '../shared/errors.js';
import { constantTimeEqual, newId, newSecret, sha256Hex } from '../shared/ids.js';
import { decoyHash, hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from './passwords.js';
import {
  isRoleAllowed,
  ORGANISATION_KINDS,
  PERMISSIONS,
  permissionsFor,
  permissionsOfKind,
  ROLES,
  type OrganisationKind,
  type Permission,
  type Role,
} from './permissions.js';
import type { Principal } from './principal.js';

type Db = Kysely<Tables>;

export interface Organisation {
  id: string;
  name: string;
  kind: OrganisationKind;
  country: string | null;
  created_at: string;
}

export interface User {
  id: string;
  organisation_id: string;
  email: string;
  display_name: string;
  role: Role;
  created_at: string;
  disabled_at: string | null;
}

export async function createOrganisation(db: Db, clock: Clock, input: { name: string; kind: OrganisationKind; country?: string | null }): Promise<Organisation> {
  if (!ORGANISATION_KINDS.includes(input.kind)) throw new FabgateError('IDENTITY_ORGANISATION_KIND', `unknown organisation kind '${input.kind}'`);
  const row = { id: newId('org'), name: input.name, kind: input.kind, country: input.country ?? null, created_at: clock.now().toISOString() };
  try {
    await db.insertInto('organisations').values(row).execute();
  } catch (e) {
    if (isUniqueViolation(e)) throw new FabgateError('IDENTITY_ORGANISATION_EXISTS', `an organisation named '${input.name}' exists`, 'conflict');
    throw e;
  }
  return row;
}

export async function findOrganisation(db: Db, idOrName: string): Promise<Organisation | undefined> {
  const row = await db.selectFrom('organisations').selectAll().where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)])).executeTakeFirst();
  return row as Organisation | undefined;
}

export async function listOrganisations(db: Db): Promise<Organisation[]> {
  return (await db.selectFrom('organisations').selectAll().orderBy('name').execute()) as Organisation[];
}

function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function createUser(
  db: Db,
  clock: Clock,
  input: { organisationId: string; email: string; displayName: string; role: Role; password: string },
): Promise<User> {
  const org = await findOrganisation(db, input.organisationId);
  if (!org) throw new FabgateError('IDENTITY_ORGANISATION_NOT_FOUND', `no organisation '${input.organisationId}'`, 'not_found');
  if (!ROLES.includes(input.role)) throw new FabgateError('IDENTITY_ROLE_UNKNOWN', `unknown role '${input.role}'`);
  if (!isRoleAllowed(org.kind, input.role)) {
    throw new FabgateError('IDENTITY_ROLE_NOT_ALLOWED', `role '${input.role}' does not exist in a ${org.kind} organisation`);
  }
  if (input.password.length < MIN_PASSWORD_LENGTH) {
    throw new FabgateError('IDENTITY_PASSWORD_TOO_SHORT', `a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  const row = {
    id: newId('usr'),
    organisation_id: org.id,
    email: normaliseEmail(input.email),
    display_name: input.displayName,
    role: input.role,
    password_hash: await hashPassword(input.password),
    created_at: clock.now().toISOString(),
    disabled_at: null,
  };
  try {
    await db.insertInto('users').values(row).execute();
  } catch (e) {
    if (isUniqueViolation(e)) throw new FabgateError('IDENTITY_USER_EXISTS', `a user with e-mail '${row.email}' exists`, 'conflict');
    throw e;
  }
  const { password_hash: _omit, ...user } = row;
  return user;
}

const userColumns = ['id', 'organisation_id', 'email', 'display_name', 'role', 'created_at', 'disabled_at'] as const;

export async function listUsers(db: Db, organisationId?: string): Promise<User[]> {
  let q = db.selectFrom('users').select(userColumns).orderBy('email');
  if (organisationId) q = q.where('organisation_id', '=', organisationId);
  return (await q.execute()) as User[];
}

export async function getUser(db: Db, id: string): Promise<User | undefined> {
  return (await db.selectFrom('users').select(userColumns).where('id', '=', id).executeTakeFirst()) as User | undefined;
}

/* ---------------------------------------------------------------- login --- */

/** Five wrong passwords within 15 minutes lock the account (and, separately, the address) for 15 minutes. */
export const THROTTLE = { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 } as const;

async function checkThrottle(db: Db, now: Date, keys: string[]): Promise<void> {
  const rows = await db.selectFrom('login_throttle').selectAll().where('key', 'in', keys).execute();
  for (const r of rows) {
    if (r.locked_until && r.locked_until > now.toISOString()) {
      const retryAfter = Math.ceil((Date.parse(r.locked_until) - now.getTime()) / 1000);
      throw new FabgateError('AUTH_THROTTLED', 'too many failed logins; try again later', 'rate_limited', { retry_after_seconds: retryAfter });
    }
  }
}

async function recordFailure(db: Db, now: Date, key: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('login_throttle').selectAll().where('key', '=', key).executeTakeFirst();
    const nowIso = now.toISOString();
    if (!row || now.getTime() - Date.parse(row.first_failure_at) > THROTTLE.windowMs) {
      await trx.deleteFrom('login_throttle').where('key', '=', key).execute();
      await trx.insertInto('login_throttle').values({ key, failures: 1, first_failure_at: nowIso, locked_until: null }).execute();
      return;
    }
    const failures = row.failures + 1;
    const locked_until = failures >= THROTTLE.maxFailures ? new Date(now.getTime() + THROTTLE.lockMs).toISOString() : null;
    await trx.updateTable('login_throttle').set({ failures, locked_until }).where('key', '=', key).execute();
  });
}

export interface LoginResult {
  sessionSecret: string;
  csrfToken: string;
  user: User;
  expiresAt: string;
}

export async function login(db: Db, clock: Clock, input: { email: string; password: string; ip: string; sessionHours: number }): Promise<LoginResult> {
  const email = normaliseEmail(input.email);
  const now = clock.now();
  const keys = [`email:${email}`, `ip:${input.ip}`];
  await checkThrottle(db, now, keys);
  const row = await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  const ok = row ? await verifyPassword(row.password_hash, input.password) : await verifyPassword(await decoyHash(), input.password).then(() => false);
  if (!row || !ok || row.disabled_at) {
    for (const k of keys) await recordFailure(db, now, k);
    throw new FabgateError('AUTH_INVALID_CREDENTIALS', 'wrong e-mail or password', 'unauthenticated');
  }
  await db.deleteFrom('login_throttle').where('key', '=', `email:${email}`).execute();
  const sessionSecret = newSecret();
  const csrfToken = newSecret();
  const expiresAt = new Date(now.getTime() + input.sessionHours * 3600_000).toISOString();
  await db
    .insertInto('sessions')
    .values({ id_hash: sha256Hex(sessionSecret), user_id: row.id, csrf_token: csrfToken, created_at: now.toISOString(), expires_at: expiresAt })
    .execute();
  const { password_hash: _omit, ...user } = row;
  return { sessionSecret, csrfToken, user: user as User, expiresAt };
}

export async function logout(db: Db, sessionSecret: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', sha256Hex(sessionSecret)).execute();
}

export async function authenticateSession(db: Db, clock: Clock, sessionSecret: string): Promise<Principal | null> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .innerJoin('organisations', 'organisations.id', 'users.organisation_id')
    .select(['users.id as user_id', 'users.role', 'users.disabled_at', 'organisations.id as org_id', 'organisations.kind', 'sessions.csrf_token', 'sessions.expires_at'])
    .where('sessions.id_hash', '=', sha256Hex(sessionSecret))
    .executeTakeFirst();
  if (!row || row.disabled_at || row.expires_at <= clock.now().toISOString()) return null;
  const kind = row.kind as OrganisationKind;
  const role = row.role as Role;
  return {
    type: 'user',
    id: row.user_id,
    userId: row.user_id,
    organisationId: row.org_id,
    organisationKind: kind,
    role,
    permissions: permissionsFor(kind, role),
    csrfToken: row.csrf_token,
  };
}

/* --------------------------------------------------------------- tokens --- */

const TOKEN_PREFIX = 'fgt';

export interface ApiToken {
  id: string;
  organisation_id: string;
  name: string;
  permissions: Permission[];
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

/**
 * Create an API token. The token text (`fgt_<id>_<secret>`) is returned once and
 * never stored: the database keeps only the SHA-256 of the secret. Its
 * permissions must lie within what the organisation's kind can hold, and within
 * the creator's own when a user creates it.
 */
export async function createToken(
  db: Db,
  clock: Clock,
  input: { organisationId: string; createdBy: string | null; creatorPermissions?: ReadonlySet<Permission>; name: string; permissions: Permission[]; expiresAt?: string | null },
): Promise<{ token: string; record: ApiToken }> {
  const org = await findOrganisation(db, input.organisationId);
  if (!org) throw new FabgateError('IDENTITY_ORGANISATION_NOT_FOUND', `no organisation '${input.organisationId}'`, 'not_found');
  const ceiling = permissionsOfKind(org.kind);
  for (const p of input.permissions) {
    if (!PERMISSIONS.includes(p)) throw new FabgateError('IDENTITY_PERMISSION_UNKNOWN', `unknown permission '${p}'`);
    if (!ceiling.has(p)) throw new FabgateError('IDENTITY_PERMISSION_NOT_ALLOWED', `a ${org.kind} organisation cannot hold '${p}'`, 'forbidden');
  }
  if (input.permissions.length === 0) throw new FabgateError('IDENTITY_PERMISSION_EMPTY', 'a token needs at least one permission');
  const id = randomBytes(8).toString('hex');
  const secret = newSecret();
  const record: ApiToken = {
    id,
    organisation_id: org.id,
    name: input.name,
    permissions: [...new Set(input.permissions)].sort(),
    created_at: clock.now().toISOString(),
    expires_at: input.expiresAt ?? null,
    revoked_at: null,
  };
  await db
    .insertInto('api_tokens')
    .values({ ...record, created_by: input.createdBy, permissions: JSON.stringify(record.permissions), secret_hash: sha256Hex(secret) })
    .execute();
  return { token: `${TOKEN_PREFIX}_${id}_${secret}`, record };
}

function toApiToken(r: { id: string; organisation_id: string; name: string; permissions: string; created_at: string; expires_at: string | null; revoked_at: string | null }): ApiToken {
  return { ...r, permissions: JSON.parse(r.permissions) as Permission[] };
}

export async function listTokens(db: Db, organisationId?: string): Promise<ApiToken[]> {
  let q = db.selectFrom('api_tokens').select(['id', 'organisation_id', 'name', 'permissions', 'created_at', 'expires_at', 'revoked_at']).orderBy('created_at');
  if (organisationId) q = q.where('organisation_id', '=', organisationId);
  return (await q.execute()).map(toApiToken);
}

/** Revoke a token of the given organisation (any organisation when `organisationId` is null: the CLI). */
export async function revokeToken(db: Db, clock: Clock, tokenId: string, organisationId: string | null): Promise<ApiToken> {
  let q = db.updateTable('api_tokens').set({ revoked_at: clock.now().toISOString() }).where('id', '=', tokenId).where('revoked_at', 'is', null);
  if (organisationId) q = q.where('organisation_id', '=', organisationId);
  const res = await q.executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) {
    const existing = await db.selectFrom('api_tokens').select(['organisation_id', 'revoked_at']).where('id', '=', tokenId).executeTakeFirst();
    if (!existing || (organisationId && existing.organisation_id !== organisationId)) throw new FabgateError('IDENTITY_TOKEN_NOT_FOUND', `no token '${tokenId}'`, 'not_found');
  }
  const row = await db.selectFrom('api_tokens').select(['id', 'organisation_id', 'name', 'permissions', 'created_at', 'expires_at', 'revoked_at']).where('id', '=', tokenId).executeTakeFirstOrThrow();
  return toApiToken(row);
}

export async function authenticateToken(db: Db, clock: Clock, token: string): Promise<Principal | null> {
  const m = /^fgt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return null;
  const row = await db
    .selectFrom('api_tokens')
    .innerJoin('organisations', 'organisations.id', 'api_tokens.organisation_id')
    .select(['api_tokens.id', 'api_tokens.secret_hash', 'api_tokens.permissions', 'api_tokens.expires_at', 'api_tokens.revoked_at', 'api_tokens.created_by', 'organisations.id as org_id', 'organisations.kind'])
    .where('api_tokens.id', '=', m[1]!)
    .executeTakeFirst();
  if (!row || row.revoked_at) return null;
  if (!constantTimeEqual(row.secret_hash, sha256Hex(m[2]!))) return null;
  if (row.expires_at && row.expires_at <= clock.now().toISOString()) return null;
  const kind = row.kind as OrganisationKind;
  // The kind's ceiling applies at use too, so a grant table change narrows old tokens.
  const ceiling = permissionsOfKind(kind);
  const permissions = new Set((JSON.parse(row.permissions) as Permission[]).filter((p) => ceiling.has(p)));
  return { type: 'token', id: row.id, userId: row.created_by, organisationId: row.org_id, organisationKind: kind, role: null, permissions };
}
