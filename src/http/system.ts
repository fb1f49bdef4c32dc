import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { serveStatic } from '@hono/node-server/serve-static';
import type { AppEnv } from './env.js';
import { errorBody } from './errors.js';
import { defineRoute } from './route.js';

const healthRoute = defineRoute({
  method: 'get',
  path: '/healthz',
  access: 'public',
  tags: ['system'],
  summary: 'The process is up',
  responses: { 200: { description: 'Up', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } } },
});
const readyRoute = defineRoute({
  method: 'get',
  path: '/readyz',
  access: 'public',
  tags: ['system'],
  summary: 'The database answers',
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: z.object({ status: z.literal('ready'), database: z.string() }) } } },
    503: { description: 'Database unreachable', content: { 'application/json': { schema: z.object({ error: z.object({ code: z.string(), message: z.string() }) }) } } },
  },
});
const metricsRoute = defineRoute({
  method: 'get',
  path: '/metrics',
  access: 'public',
  tags: ['system'],
  summary: 'Prometheus metrics: request counts and latencies by route and status',
  responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: z.string() } } } },
});

/** Health, readiness, metrics and the OpenAPI document with its rendered reference. */
export function systemRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(healthRoute, (c) => c.json({ status: 'ok' as const }, 200));
  app.openapi(readyRoute, async (c) => {
    const { database } = c.get('services');
    return (await database.ping())
      ? c.json({ status: 'ready' as const, database: database.dialect }, 200)
      : c.json(errorBody('DB_UNAVAILABLE', 'the database does not answer'), 503);
  });
  app.openapi(metricsRoute, async (c) => {
    const { metrics } = c.get('services');
    return c.text(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType });
  });

  app.openAPIRegistry.registerComponent('securitySchemes', 'session', { type: 'apiKey', in: 'cookie', name: 'fabgate_session' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'An API token: fgt_<id>_<secret>' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Fabgate API',
      version: '0.1.0',
      description:
        'Export controls and technical controls for additive manufacturing. Every error has the shape {"error": {"code", "message", "details"}}. ' +
        'Each operation names the permission it needs in x-fabgate-access.',
    },
  });

  // The rendered reference: Swagger UI from the installed package, no CDN.
  const require = createRequire(import.meta.url);
  const swaggerDir = dirname(require.resolve('swagger-ui-dist/package.json'));
  app.get('/docs', (c) =>
    c.html(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Fabgate API reference</title>` +
        `<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head><body><div id="swagger-ui"></div>` +
        `<script src="/docs/assets/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>`,
    ),
  );
  app.get('/docs/init.js', (c) => {
    c.header('Content-Type', 'text/javascript; charset=utf-8');
    return c.body(`window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui' });\n`);
  });
  app.use('/docs/assets/*', serveStatic({ root: swaggerDir, rewriteRequestPath: (p) => p.replace(/^\/docs\/assets/, '') }));
}

/** The directory of the built web UI (`web/dist`), or undefined when it was not built. */
export function webDistDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  // src/http or dist/http → repo root
  const dir = resolve(here, '..', '..', 'web', 'dist');
  return existsSync(join(dir, 'index.html')) ? dir : undefined;
}

/**
 * Serve the single-page UI: its assets, and index.html for any other GET that
 * is not an API, log or system path (client-side routes).
 */
export function webRoutes(app: OpenAPIHono<AppEnv>): void {
  const dir = webDistDir();
  if (!dir) {
    app.get('/', (c) => c.text('The web UI is not built: run `npm run build`.', 503));
    return;
  }
  const index = readFileSync(join(dir, 'index.html'), 'utf8');
  app.use('/assets/*', async (c, next) => {
    await next();
    if (c.res.status === 200) c.header('Cache-Control', 'public, max-age=31536000, immutable');
  });
  app.use('/assets/*', serveStatic({ root: dir }));
  app.get('/favicon.svg', serveStatic({ root: dir }));
  app.get('*', async (c, next) => {
    const path = c.req.path;
    if (/^\/(api|log|docs|openapi\.json|healthz|readyz|metrics)(\/|$)/.test(path)) return next();
    return c.html(index);
  });
}
