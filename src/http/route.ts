import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { recordAudit, type Actor, type AuditEvent } from '../audit/trail.js';
import type { Trx } from '../db/database.js';
import type { Permission } from '../identity/permissions.js';
import type { Principal } from '../identity/principal.js';
import { FabgateError } from '../shared/errors.js';
import type { AppEnv } from './env.js';
import { COMMON_ERROR_RESPONSES } from './errors.js';

/**
 * Who may call a route: anyone, anyone signed in, or whoever holds a permission.
 * Every route declares exactly one; the role × route test is generated from it.
 */
export type Access = 'public' | 'authenticated' | Permission;

export const ACCESS_EXTENSION = 'x-fabgate-access';

function authorize(access: Access, readOnly: boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // A POST that only computes (an item spec or a name list does not fit in a URL)
    // writes nothing, so it owes the audit trail nothing.
    if (readOnly) c.set('audited', true);
    if (access !== 'public') {
      const p = c.get('principal');
      if (!p) throw new FabgateError('AUTH_REQUIRED', 'sign in or send an API token', 'unauthenticated');
      if (access !== 'authenticated' && !p.permissions.has(access)) {
        throw new FabgateError('FORBIDDEN', `this needs the '${access}' permission`, 'forbidden', { permission: access });
      }
    }
    await next();
  };
}

/**
 * Define a route: its OpenAPI description, the access it needs (checked before
 * validation, so an anonymous caller learns nothing about the body schema) and
 * the common error responses. `readOnly: true` marks a POST that only computes
 * (ad hoc classification, screening a name): it is exempt from the rule that
 * every successful write leaves an audit record.
 */
export function defineRoute<P extends string, R extends Omit<RouteConfig, 'path' | 'middleware'> & { path: P; access: Access; readOnly?: boolean }>(config: R) {
  const { access, readOnly, ...rest } = config;
  return createRoute({
    ...rest,
    [ACCESS_EXTENSION]: access,
    ...(readOnly ? { 'x-fabgate-read-only': true } : {}),
    security: access === 'public' ? [] : [{ session: [] }, { bearer: [] }],
    middleware: [authorize(access, readOnly === true)] as const,
    responses: { ...COMMON_ERROR_RESPONSES, ...rest.responses },
  } as unknown as Omit<R, 'access' | 'readOnly'> & { path: P; middleware: [MiddlewareHandler<AppEnv>] });
}

/** The signed-in principal of a route whose access is not 'public'. */
export function principalOf(c: Context<AppEnv>): Principal {
  const p = c.get('principal');
  if (!p) throw new FabgateError('AUTH_REQUIRED', 'sign in or send an API token', 'unauthenticated');
  return p;
}

export function actorOf(p: Principal | null): Actor {
  return p ? { type: p.type, id: p.id, organisationId: p.organisationId } : { type: 'system', id: null, organisationId: null };
}

export type AuditFn = (action: string, targetType?: string | null, targetId?: string | null) => Promise<AuditEvent>;

/**
 * Run a state change in one transaction together with its audit record: both
 * commit or neither does. Every successful write route goes through here (the
 * app checks that each 2xx write recorded an audit event).
 */
export async function transact<T>(c: Context<AppEnv>, fn: (trx: Trx, audit: AuditFn) => Promise<T>, actor?: Actor): Promise<T> {
  const { database, clock } = c.get('services');
  const result = await database.db.transaction().execute(async (trx) => {
    const audit: AuditFn = (action, targetType, targetId) =>
      recordAudit(trx, {
        actor: actor ?? actorOf(c.get('principal')),
        action,
        targetType: targetType ?? null,
        targetId: targetId ?? null,
        requestId: c.get('requestId'),
        bodySha256: c.get('bodySha256'),
        at: clock.now(),
      });
    return fn(trx, audit);
  });
  c.set('audited', true);
  // Any decisive event this change queued goes into the log shortly.
  c.get('services').ledger.nudge();
  return result;
}

/** Every route of an app with the access it declares: the table the role × route test is generated from. */
export function routeTable(app: { openAPIRegistry: { definitions: ReadonlyArray<{ type: string; route?: unknown }> } }): Array<{ method: string; path: string; access: Access }> {
  return app.openAPIRegistry.definitions
    .filter((d) => d.type === 'route')
    .map((d) => {
      const r = d.route as { method: string; path: string; [ACCESS_EXTENSION]: Access };
      return { method: r.method.toUpperCase(), path: r.path, access: r[ACCESS_EXTENSION] };
    });
}
