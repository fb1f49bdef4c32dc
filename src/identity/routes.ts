import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { getConnInfo } from '@hono/node-server/conninfo';
import { getCookie } from 'hono/cookie';
import type { AppEnv } from '../http/env.js';
import { clearSessionCookie, setSessionCookie, SESSION_COOKIE } from '../http/cookies.js';
import { actorOf, defineRoute, principalOf, transact } from '../http/route.js';
import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import type { Principal } from './principal.js';
import { FabgateError } from '../shared/errors.js';
import { PERMISSIONS, permissionsFor, ROLES } from './permissions.js';
import { createToken, createUser, findOrganisation, getUser, listTokens, listUsers, login, logout, revokeToken } from './service.js';

const OrganisationSchema = z
  .object({ id: z.string(), name: z.string(), kind: z.enum(['exporter', 'authority', 'partner_authority', 'device_operator']), country: z.string().nullable() })
  .openapi('Organisation');
const UserSchema = z
  .object({ id: z.string(), organisation_id: z.string(), email: z.string(), display_name: z.string(), role: z.enum(ROLES), created_at: z.string(), disabled_at: z.string().nullable() })
  .openapi('User');
const SessionSchema = z
  .object({
    principal: z.object({ type: z.enum(['user', 'token']), id: z.string() }),
    user: UserSchema.nullable(),
    organisation: OrganisationSchema,
    role: z.enum(ROLES).nullable(),
    permissions: z.array(z.enum(PERMISSIONS)),
    csrf_token: z.string().nullable().openapi({ description: 'Send it as X-CSRF-Token on every cookie-authenticated write.' }),
  })
  .openapi('Session');
const TokenSchema = z
  .object({ id: z.string(), organisation_id: z.string(), name: z.string(), permissions: z.array(z.enum(PERMISSIONS)), created_at: z.string(), expires_at: z.string().nullable(), revoked_at: z.string().nullable() })
  .openapi('ApiToken');

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: true } });

const loginRoute = defineRoute({
  method: 'post',
  path: '/api/session',
  access: 'public',
  tags: ['identity'],
  summary: 'Sign in with e-mail and password; sets the session cookie',
  request: body(z.strictObject({ email: z.string().min(3).max(320), password: z.string().min(1).max(1024) })),
  responses: { 200: json(SessionSchema, 'Signed in'), 429: json(z.object({}), 'Too many failed logins') },
});
const sessionRoute = defineRoute({
  method: 'get',
  path: '/api/session',
  access: 'authenticated',
  tags: ['identity'],
  summary: 'Who am I: user, organisation, role and permissions',
  responses: { 200: json(SessionSchema, 'The current session or token') },
});
const logoutRoute = defineRoute({
  method: 'delete',
  path: '/api/session',
  access: 'authenticated',
  tags: ['identity'],
  summary: 'Sign out',
  responses: { 204: { description: 'Signed out' } },
});
const listUsersRoute = defineRoute({
  method: 'get',
  path: '/api/users',
  access: 'users:manage',
  tags: ['identity'],
  summary: "List the users of the caller's organisation",
  responses: { 200: json(z.object({ users: z.array(UserSchema) }), 'Users') },
});
const createUserRoute = defineRoute({
  method: 'post',
  path: '/api/users',
  access: 'users:manage',
  tags: ['identity'],
  summary: "Add a user to the caller's organisation",
  request: body(z.strictObject({ email: z.email().max(320), display_name: z.string().min(1).max(200), role: z.enum(ROLES), password: z.string().min(12).max(1024) })),
  responses: { 201: json(UserSchema, 'Created') },
});
const listTokensRoute = defineRoute({
  method: 'get',
  path: '/api/tokens',
  access: 'tokens:manage',
  tags: ['identity'],
  summary: "List the API tokens of the caller's organisation (never their secrets)",
  responses: { 200: json(z.object({ tokens: z.array(TokenSchema) }), 'Tokens') },
});
const createTokenRoute = defineRoute({
  method: 'post',
  path: '/api/tokens',
  access: 'tokens:manage',
  tags: ['identity'],
  summary: 'Create an API token; its text is shown once',
  request: body(
    z.strictObject({
      name: z.string().min(1).max(200),
      permissions: z.array(z.enum(PERMISSIONS)).min(1),
      expires_at: z.iso.datetime().optional(),
    }),
  ),
  responses: { 201: json(z.object({ token: z.string().openapi({ description: 'Shown once; store it now.' }), record: TokenSchema }), 'Created') },
});
const revokeTokenRoute = defineRoute({
  method: 'delete',
  path: '/api/tokens/{id}',
  access: 'tokens:manage',
  tags: ['identity'],
  summary: 'Revoke an API token at once',
  request: { params: z.object({ id: z.string().max(64) }) },
  responses: { 200: json(TokenSchema, 'Revoked') },
});

/** The session view: who is asking, of which organisation, allowed to do what. */
async function sessionView(db: Kysely<Tables>, p: Principal) {
  const organisation = await findOrganisation(db, p.organisationId);
  if (!organisation) throw new FabgateError('IDENTITY_ORGANISATION_NOT_FOUND', 'the organisation is gone', 'unauthenticated');
  const user = p.type === 'user' && p.userId ? ((await getUser(db, p.userId)) ?? null) : null;
  return {
    principal: { type: p.type, id: p.id },
    user,
    organisation,
    role: p.role,
    permissions: [...p.permissions].sort(),
    csrf_token: p.csrfToken ?? null,
  };
}

export function identityRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(loginRoute, async (c) => {
    const { email, password } = c.req.valid('json');
    const { database, clock, config } = c.get('services');
    let ip = 'unknown';
    try {
      ip = getConnInfo(c).remote.address ?? 'unknown';
    } catch {
      // not served by node (tests calling app.request): one shared bucket
    }
    const result = await login(database.db, clock, { email, password, ip, sessionHours: config.sessionHours });
    // The body holds a password: its hash in the audit trail would let a reader test guesses offline.
    c.set('bodySha256', null);
    const organisation = await findOrganisation(database.db, result.user.organisation_id);
    const principal: Principal = {
      type: 'user',
      id: result.user.id,
      userId: result.user.id,
      organisationId: result.user.organisation_id,
      organisationKind: organisation!.kind,
      role: result.user.role,
      permissions: permissionsFor(organisation!.kind, result.user.role),
      csrfToken: result.csrfToken,
    };
    await transact(c, (_trx, audit) => audit('identity.signed_in', 'user', result.user.id), actorOf(principal));
    setSessionCookie(c, result.sessionSecret, result.expiresAt);
    return c.json(await sessionView(database.db, principal), 200);
  });

  app.openapi(sessionRoute, async (c) => c.json(await sessionView(c.get('services').database.db, principalOf(c)), 200));

  app.openapi(logoutRoute, async (c) => {
    const p = principalOf(c);
    const cookie = getCookie(c, SESSION_COOKIE);
    await transact(c, async (trx, audit) => {
      if (cookie) await logout(trx, cookie);
      await audit('identity.signed_out', p.type, p.id);
    });
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  app.openapi(listUsersRoute, async (c) => {
    const p = principalOf(c);
    return c.json({ users: await listUsers(c.get('services').database.db, p.organisationId) }, 200);
  });

  app.openapi(createUserRoute, async (c) => {
    const p = principalOf(c);
    const input = c.req.valid('json');
    const { clock } = c.get('services');
    c.set('bodySha256', null); // the body holds the new user's password (see sign-in)
    const user = await transact(c, async (trx, audit) => {
      const u = await createUser(trx, clock, { organisationId: p.organisationId, email: input.email, displayName: input.display_name, role: input.role, password: input.password });
      await audit('identity.user_created', 'user', u.id);
      return u;
    });
    return c.json(user, 201);
  });

  app.openapi(listTokensRoute, async (c) => {
    const p = principalOf(c);
    return c.json({ tokens: await listTokens(c.get('services').database.db, p.organisationId) }, 200);
  });

  app.openapi(createTokenRoute, async (c) => {
    const p = principalOf(c);
    const input = c.req.valid('json');
    const { clock } = c.get('services');
    for (const perm of input.permissions) {
      // A token never holds more than its creator.
      if (!p.permissions.has(perm)) {
        throw new FabgateError('IDENTITY_PERMISSION_NOT_ALLOWED', `you cannot grant '${perm}', which you do not hold`, 'forbidden');
      }
    }
    const created = await transact(c, async (trx, audit) => {
      const t = await createToken(trx, clock, { organisationId: p.organisationId, createdBy: p.userId, name: input.name, permissions: input.permissions, expiresAt: input.expires_at ?? null });
      await audit('identity.token_created', 'api_token', t.record.id);
      return t;
    });
    return c.json(created, 201);
  });

  app.openapi(revokeTokenRoute, async (c) => {
    const p = principalOf(c);
    const { id } = c.req.valid('param');
    const { clock } = c.get('services');
    const token = await transact(c, async (trx, audit) => {
      const t = await revokeToken(trx, clock, id, p.organisationId);
      await audit('identity.token_revoked', 'api_token', t.id);
      return t;
    });
    return c.json(token, 200);
  });
}
