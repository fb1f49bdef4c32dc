import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { RunningServer } from '../app/server.js';
import { LOG_REDACT } from '../app/services.js';
import { openTestServices, type TestServices } from '../shared/test-support/databases.js';
import { client, ensureUser, signIn, startTestServer, TEST_PASSWORD } from '../shared/test-support/http.js';

type Err = { error: { code: string; message: string; details?: unknown } };

describe('the HTTP edge', () => {
  let services: TestServices;
  let server: RunningServer;
  const logLines: string[] = [];

  beforeAll(async () => {
    services = await openTestServices('sqlite', { bodyLimit: 4096 });
    // capture the structured log to check what it holds
    services.logger = pino(
      { level: 'info', redact: LOG_REDACT },
      new Writable({
        write(chunk, _enc, cb) {
          logLines.push(String(chunk));
          cb();
        },
      }),
    );
    server = await startTestServer(services);
    await ensureUser(services, { name: 'Exporter A', kind: 'exporter' }, 'admin', 'admin@a.test');
  });
  afterAll(async () => {
    await server?.close();
    await services?.dispose();
  });

  const anon = () => client(server.url);

  it('answers malformed JSON with 400 REQUEST_MALFORMED in the one error shape', async () => {
    const r = await anon().request<Err>('POST', '/api/session', '{"email": ', { 'content-type': 'application/json' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('REQUEST_MALFORMED');
    expect(typeof r.body.error.message).toBe('string');
  });

  it('answers wrong types and unknown fields with 400 REQUEST_INVALID naming the field', async () => {
    const wrongType = await anon().request<Err>('POST', '/api/session', { email: 42, password: 'x' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.code).toBe('REQUEST_INVALID');
    expect(JSON.stringify(wrongType.body.error.details)).toContain('email');
    const unknown = await anon().request<Err>('POST', '/api/session', { email: 'a@b.c', password: 'x', admin: true });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('REQUEST_INVALID');
    expect(unknown.body.error.message).toContain('admin');
  });

  it('answers a body over the limit with 413 REQUEST_TOO_LARGE', async () => {
    const r = await anon().request<Err>('POST', '/api/session', { email: 'a@b.c', password: 'x'.repeat(10_000) });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('REQUEST_TOO_LARGE');
  });

  it('answers no credentials with 401, a missing permission with 403, an unknown route with 404', async () => {
    expect((await anon().request<Err>('GET', '/api/users')).body.error.code).toBe('AUTH_REQUIRED');
    const admin = await signIn(server.url, 'admin@a.test', TEST_PASSWORD);
    const forbidden = await admin.request<Err>('GET', '/api/audit');
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('FORBIDDEN');
    const nf = await admin.request<Err>('GET', '/api/no-such-thing');
    expect(nf.status).toBe(404);
    expect(nf.body.error.code).toBe('NOT_FOUND');
  });

  it('serves health, readiness and Prometheus metrics by route and status', async () => {
    expect((await anon().request('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await anon().request('GET', '/readyz')).body).toEqual({ status: 'ready', database: 'sqlite' });
    const m = await anon().request<string>('GET', '/metrics');
    expect(m.headers.get('content-type')).toMatch(/text\/plain/);
    expect(m.body).toMatch(/fabgate_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(m.body).toMatch(/fabgate_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/readyz",status="200"\}/);
  });

  it('publishes an OpenAPI 3.1 document naming the access of every operation, and a rendered reference', async () => {
    const doc = await anon().request<{ openapi: string; paths: Record<string, Record<string, { 'x-fabgate-access'?: string }>> }>('GET', '/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    const ops = Object.values(doc.body.paths).flatMap((p) => Object.values(p));
    expect(ops.length).toBeGreaterThan(5);
    for (const op of ops) expect(op['x-fabgate-access']).toBeTruthy();
    const docs = await anon().request<string>('GET', '/docs');
    expect(docs.body).toContain('swagger-ui');
    expect((await anon().request('GET', '/docs/assets/swagger-ui-bundle.js')).status).toBe(200);
  });

  it('tags every response with a request id and logs requests without secrets', async () => {
    const r = await anon().request('POST', '/api/session', { email: 'admin@a.test', password: TEST_PASSWORD }, { 'x-request-id': 'trace-123' });
    expect(r.headers.get('x-request-id')).toBe('trace-123');
    const cookie = /fabgate_session=([^;]+)/.exec(r.headers.get('set-cookie')!)![1]!;
    const log = logLines.join('');
    expect(log).toContain('"request_id":"trace-123"');
    expect(log).not.toContain(TEST_PASSWORD);
    expect(log).not.toContain(cookie);
  });

  it('serves the web UI for client-side paths but not for unknown API paths', async () => {
    const page = await anon().request<string>('GET', '/audit');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="root">');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect((await anon().request('GET', '/api/audit/nope')).status).toBe(404);
  });
});
