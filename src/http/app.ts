import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { Services } from '../app/services.js';
import { authenticateSession, authenticateToken } from '../identity/service.js';
import { FabgateError, isFabgateError } from '../shared/errors.js';
import { newId, sha256Hex } from '../shared/ids.js';
import type { AppEnv } from './env.js';
import { errorBody, STATUS_OF_KIND } from './errors.js';
import { SESSION_COOKIE } from './cookies.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A module's routes: it adds them to the app it is given. */
export type RouteModule = (app: OpenAPIHono<AppEnv>) => void;

/** Turn anything thrown into the one error shape, with the status its kind implies. */
function toErrorResponse(c: Context<AppEnv>, e: unknown) {
  if (isFabgateError(e)) {
    if (e.kind === 'rate_limited') {
      const retry = (e.details as { retry_after_seconds?: number } | undefined)?.retry_after_seconds;
      if (retry) c.header('Retry-After', String(retry));
    }
    return c.json(errorBody(e.code, e.message, e.details), STATUS_OF_KIND[e.kind]);
  }
  if (e instanceof HTTPException) {
    const status = e.status;
    const code = status === 413 ? 'REQUEST_TOO_LARGE' : status === 415 ? 'REQUEST_UNSUPPORTED_MEDIA_TYPE' : status === 400 ? 'REQUEST_MALFORMED' : `HTTP_${status}`;
    return c.json(errorBody(code, e.message || 'bad request'), status as 400);
  }
  c.get('services').logger.error({ err: e, request_id: c.get('requestId') }, 'unhandled error');
  return c.json(errorBody('INTERNAL', 'internal error; the request id is in the logs', { request_id: c.get('requestId') }), 500);
}

/**
 * Build the HTTP application: middleware in the order a request meets it
 * (request id and metrics → security headers → body limit → body hash →
 * authentication and CSRF), then the routes of every module.
 */
export function createApp(services: Services, modules: RouteModule[]): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    // Validation failures of params, query and body all get the same 400 shape.
    defaultHook: (result, c) => {
      if (!result.success) {
        const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message, code: i.code }));
        return c.json(errorBody('REQUEST_INVALID', issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; '), { issues }), 400);
      }
      return undefined;
    },
  });

  app.use('*', async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && /^[A-Za-z0-9._-]{1,64}$/.test(incoming) ? incoming : newId('req');
    c.set('services', services);
    c.set('requestId', requestId);
    c.set('principal', null);
    c.set('audited', false);
    c.set('bodySha256', null);
    c.header('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      const route = c.req.routePath && c.req.routePath !== '/*' ? c.req.routePath : 'unmatched';
      const status = String(c.res.status);
      const seconds = (performance.now() - started) / 1000;
      services.metrics.requests.inc({ method: c.req.method, route, status });
      services.metrics.latency.observe({ method: c.req.method, route, status }, seconds);
      const p = c.get('principal');
      services.logger.info(
        { request_id: requestId, method: c.req.method, route, status: c.res.status, ms: Math.round(seconds * 1000 * 10) / 10, principal: p ? `${p.type}:${p.id}` : null },
        'request',
      );
    }
  });

  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'", "'unsafe-inline'"], frameAncestors: ["'none'"] },
      crossOriginEmbedderPolicy: false,
    }),
  );

  app.use('/api/*', async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const limit = c.req.header('content-type')?.startsWith('multipart/') ? services.config.uploadLimit : services.config.bodyLimit;
    return bodyLimit({
      maxSize: limit,
      onError: () => {
        throw new FabgateError('REQUEST_TOO_LARGE', `request body over the limit of ${limit} bytes`, 'too_large', { limit });
      },
    })(c, next);
  });

  app.use('/api/*', async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method)) {
      const body = new Uint8Array(await c.req.arrayBuffer());
      c.set('bodySha256', body.length ? sha256Hex(body) : null);
    }
    await next();
  });

  // Authentication: a bearer token (scripts, devices) or the session cookie (the UI).
  // Cookie-authenticated writes must also carry the session's CSRF token.
  app.use('*', async (c, next) => {
    const { database, clock } = services;
    const authz = c.req.header('authorization');
    if (authz) {
      const m = /^Bearer\s+(\S+)$/i.exec(authz);
      const principal = m ? await authenticateToken(database.db, clock, m[1]!) : null;
      if (!principal) throw new FabgateError('AUTH_INVALID_TOKEN', 'the API token is invalid, expired or revoked', 'unauthenticated');
      c.set('principal', principal);
    } else {
      const cookie = getCookie(c, SESSION_COOKIE);
      if (cookie) {
        const principal = await authenticateSession(database.db, clock, cookie);
        if (principal) {
          if (!SAFE_METHODS.has(c.req.method) && c.req.header('x-csrf-token') !== principal.csrfToken) {
            throw new FabgateError('CSRF_TOKEN_INVALID', 'cookie-authenticated writes need the X-CSRF-Token header of the session', 'forbidden');
          }
          c.set('principal', principal);
        }
      }
    }
    await next();
    // Every successful write leaves an audit record; a route that forgets is a bug, caught here.
    if (!SAFE_METHODS.has(c.req.method) && c.res.status < 300 && c.req.path.startsWith('/api/') && !c.get('audited')) {
      services.logger.error({ route: c.req.routePath, request_id: c.get('requestId') }, 'write without audit record');
      c.res = c.json(errorBody('INTERNAL', 'write without audit record'), 500);
    }
  });

  for (const register of modules) register(app);

  app.notFound((c) => c.json(errorBody('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`), 404));
  app.onError((e, c) => toErrorResponse(c, e));
  return app;
}
