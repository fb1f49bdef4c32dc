import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../app/server.js';
import { DIALECTS, openTestServices, type TestServices } from '../shared/test-support/databases.js';
import { client, ensureUser, signIn, startTestServer, TEST_PASSWORD } from '../shared/test-support/http.js';
import { THROTTLE } from './service.js';

type Err = { error: { code: string; message: string } };

describe.each(DIALECTS)('identity and access on %s', (dialect) => {
  let services: TestServices;
  let server: RunningServer;
  let adminA: { email: string; organisationId: string };
  let adminB: { email: string; organisationId: string };
  let auditorA: { email: string };

  beforeAll(async () => {
    services = await openTestServices(dialect);
    server = await startTestServer(services);
    adminA = await ensureUser(services, { name: 'Exporter A', kind: 'exporter' }, 'admin', 'admin@a.test');
    adminB = await ensureUser(services, { name: 'Exporter B', kind: 'exporter' }, 'admin', 'admin@b.test');
    auditorA = await ensureUser(services, { name: 'Exporter A', kind: 'exporter' }, 'auditor', 'auditor@a.test');
  });
  afterAll(async () => {
    await server?.close();
    await services?.dispose();
  });

  it('signs in, shows who the user is, and signs out', async () => {
    const c = await signIn(server.url, 'ADMIN@a.test', TEST_PASSWORD);
    const me = await c.request<{ user: { email: string }; organisation: { name: string }; role: string; permissions: string[] }>('GET', '/api/session');
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe('admin@a.test');
    expect(me.body.organisation.name).toBe('Exporter A');
    expect(me.body.role).toBe('admin');
    expect(me.body.permissions).toContain('users:manage');
    expect((await c.request('DELETE', '/api/session')).status).toBe(204);
    expect((await c.request('GET', '/api/session')).status).toBe(401);
  });

  it('sets the session cookie HttpOnly and SameSite=Strict, and never returns the password hash', async () => {
    const res = await client(server.url).request<Record<string, unknown>>('POST', '/api/session', { email: 'admin@a.test', password: TEST_PASSWORD });
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(JSON.stringify(res.body)).not.toMatch(/argon2|password_hash/);
  });

  it('refuses a cookie-authenticated write without the CSRF token', async () => {
    const c = await signIn(server.url, 'admin@a.test', TEST_PASSWORD);
    const res = await c.request<Err>('POST', '/api/tokens', { name: 'x', permissions: ['items:read'] }, { 'x-csrf-token': 'wrong' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('CSRF_TOKEN_INVALID');
  });

  it('throttles repeated wrong passwords, even when the right one follows', async () => {
    const victim = await ensureUser(services, { name: 'Exporter A', kind: 'exporter' }, 'applicant', 'victim@a.test');
    const anon = client(server.url);
    for (let i = 0; i < THROTTLE.maxFailures; i++) {
      const r = await anon.request<Err>('POST', '/api/session', { email: victim.email, password: 'wrong password here' });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('AUTH_INVALID_CREDENTIALS');
    }
    const locked = await anon.request<Err>('POST', '/api/session', { email: victim.email, password: TEST_PASSWORD });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('AUTH_THROTTLED');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    services.clock.advance(THROTTLE.lockMs + 1000);
    // the address bucket is shared by this test's calls: a fresh window after the lock
    const ok = await anon.request('POST', '/api/session', { email: victim.email, password: TEST_PASSWORD });
    expect(ok.status).toBe(200);
  });

  it('does not tell an unknown e-mail from a wrong password', async () => {
    const r = await client(server.url).request<Err>('POST', '/api/session', { email: 'nobody@nowhere.test', password: 'whatever it is' });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('AUTH_INVALID_CREDENTIALS');
  });

  it('creates an API token shown once, stores only its hash, and stops it at revocation', async () => {
    const admin = await signIn(server.url, adminA.email, TEST_PASSWORD);
    const created = await admin.request<{ token: string; record: { id: string } }>('POST', '/api/tokens', { name: 'nightly script', permissions: ['users:manage'] });
    expect(created.status).toBe(201);
    const { token, record } = created.body;
    expect(token).toMatch(/^fgt_[0-9a-f]{16}_/);
    const row = await services.database.db.selectFrom('api_tokens').selectAll().where('id', '=', record.id).executeTakeFirstOrThrow();
    // the secret is everything after the id (base64url: it may itself hold '_')
    const secret = token.slice('fgt_'.length + 16 + 1);
    expect(secret.length).toBeGreaterThan(30);
    expect(JSON.stringify(row)).not.toContain(secret);
    const bot = client(server.url, { token });
    expect((await bot.request('GET', '/api/users')).status).toBe(200);
    // a token holds only what it was given
    expect((await bot.request('GET', '/api/tokens')).status).toBe(403);
    const listed = await admin.request<{ tokens: Array<{ id: string }> }>('GET', '/api/tokens');
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect((await admin.request('DELETE', `/api/tokens/${record.id}`)).status).toBe(200);
    const after = await bot.request<Err>('GET', '/api/users');
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('AUTH_INVALID_TOKEN');
  });

  it('never grants a token more than its creator holds', async () => {
    const admin = await signIn(server.url, adminA.email, TEST_PASSWORD);
    const r = await admin.request<Err>('POST', '/api/tokens', { name: 'greedy', permissions: ['audit:read'] });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('IDENTITY_PERMISSION_NOT_ALLOWED');
  });

  it("keeps organisations apart: B cannot see A's users nor revoke A's token (404, not 403)", async () => {
    const a = await signIn(server.url, adminA.email, TEST_PASSWORD);
    const b = await signIn(server.url, adminB.email, TEST_PASSWORD);
    const t = await a.request<{ record: { id: string } }>('POST', '/api/tokens', { name: 'a-only', permissions: ['users:manage'] });
    const usersB = await b.request<{ users: Array<{ email: string; organisation_id: string }> }>('GET', '/api/users');
    expect(usersB.body.users.every((u) => u.organisation_id === adminB.organisationId)).toBe(true);
    expect(usersB.body.users.map((u) => u.email)).not.toContain(adminA.email);
    const steal = await b.request<Err>('DELETE', `/api/tokens/${t.body.record.id}`);
    expect(steal.status).toBe(404);
    expect(steal.body.error.code).toBe('IDENTITY_TOKEN_NOT_FOUND');
    const missing = await b.request<Err>('DELETE', '/api/tokens/0123456789abcdef');
    expect(missing.status).toBe(404);
    // the same answer as for a token that exists nowhere: existence does not leak
    expect(missing.body.error.code).toBe(steal.body.error.code);
  });

  it('records every write in the audit trail, readable by the organisation’s auditor only', async () => {
    const admin = await signIn(server.url, adminA.email, TEST_PASSWORD);
    const created = await admin.request<{ id: string }>('POST', '/api/users', { email: 'new@a.test', display_name: 'New', role: 'applicant', password: 'a long enough password' });
    expect(created.status).toBe(201);
    const auditor = await signIn(server.url, auditorA.email, TEST_PASSWORD);
    const trail = await auditor.request<{ events: Array<{ action: string; target_id: string; body_sha256: string | null; organisation_id: string; request_id: string }> }>('GET', '/api/audit');
    expect(trail.status).toBe(200);
    const ev = trail.body.events.find((e) => e.action === 'identity.user_created' && e.target_id === created.body.id);
    expect(ev).toBeDefined();
    expect(ev!.request_id).toMatch(/^req_/);
    expect(trail.body.events.every((e) => e.organisation_id === adminA.organisationId)).toBe(true);
    // bodies holding passwords are not hashed into the trail (a hash would let readers test guesses)
    const signIns = trail.body.events.filter((e) => e.action === 'identity.signed_in' || e.action === 'identity.user_created');
    expect(signIns.length).toBeGreaterThan(0);
    expect(signIns.every((e) => e.body_sha256 === null)).toBe(true);
    const tokenEvent = trail.body.events.find((e) => e.action === 'identity.token_created');
    expect(tokenEvent?.body_sha256).toMatch(/^[0-9a-f]{64}$/);
    const auditorB = await ensureUser(services, { name: 'Exporter B', kind: 'exporter' }, 'auditor', 'auditor@b.test');
    const bTrail = await (await signIn(server.url, auditorB.email, TEST_PASSWORD)).request<{ events: Array<{ target_id: string }> }>('GET', '/api/audit');
    expect(bTrail.body.events.map((e) => e.target_id)).not.toContain(created.body.id);
  });

  it('keeps the audit trail append-only in the database itself', async () => {
    await expect(services.database.db.updateTable('audit_events').set({ action: 'forged' }).execute()).rejects.toThrow(/append-only/);
    await expect(services.database.db.deleteFrom('audit_events').execute()).rejects.toThrow(/append-only/);
  });

  it('refuses a role that does not exist in the organisation kind', async () => {
    const admin = await signIn(server.url, adminA.email, TEST_PASSWORD);
    const r = await admin.request<Err>('POST', '/api/users', { email: 'x@a.test', display_name: 'X', role: 'licensing_officer', password: 'a long enough password' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('IDENTITY_ROLE_NOT_ALLOWED');
  });
});
