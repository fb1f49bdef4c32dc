/**
 * The role × route matrix, generated from the app's own route table: for every
 * route and every role of every organisation kind, a caller without the route's
 * permission gets 403, a caller with it never does, and nobody gets in without
 * credentials. A route added later is covered without touching this file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/http/app.js';
import { routeTable } from '../src/http/route.js';
import { routeModules } from '../src/app/routes.js';
import { GRANTS, ORGANISATION_KINDS, type OrganisationKind, type Role } from '../src/identity/permissions.js';
import { DIALECTS, openTestServices, type TestServices } from '../src/shared/test-support/databases.js';
import { client, ensureUser, signIn, startTestServer, TEST_PASSWORD, type Client } from '../src/shared/test-support/http.js';
import type { RunningServer } from '../src/app/server.js';

/** A concrete path for a route template: `{id}` becomes an id that exists nowhere. */
function concrete(path: string): string {
  return path.replace(/\{[^}]+\}/g, 'does-not-exist');
}

describe.each(DIALECTS)('role × route matrix on %s', (dialect) => {
  let services: TestServices;
  let server: RunningServer;
  const callers: Array<{ kind: OrganisationKind; role: Role; client: Client; permissions: Set<string> }> = [];
  const routes = routeTable(createApp({} as never, routeModules)).filter((r) => !['/api/session'].includes(r.path) || r.method !== 'POST');

  beforeAll(async () => {
    services = await openTestServices(dialect);
    server = await startTestServer(services);
    for (const kind of ORGANISATION_KINDS) {
      for (const [role, perms] of Object.entries(GRANTS[kind]) as Array<[Role, string[]]>) {
        const u = await ensureUser(services, { name: `${kind} org`, kind }, role);
        callers.push({ kind, role, client: await signIn(server.url, u.email, TEST_PASSWORD), permissions: new Set(perms) });
      }
    }
  });
  afterAll(async () => {
    await server?.close();
    await services?.dispose();
  });

  it('has routes and every route declares its access', () => {
    expect(routes.length).toBeGreaterThan(5);
    for (const r of routes) expect(r.access, `${r.method} ${r.path}`).toBeTruthy();
  });

  it('refuses every non-public route without credentials (401) and with a bad token (401)', { timeout: 180_000 }, async () => {
    for (const r of routes.filter((x) => x.access !== 'public')) {
      const anon = await client(server.url).request(r.method, concrete(r.path), r.method === 'GET' ? undefined : {});
      expect(anon.status, `${r.method} ${r.path}`).toBe(401);
      expect((anon.body as { error: { code: string } }).error.code).toBe('AUTH_REQUIRED');
      const bad = await client(server.url, { token: 'fgt_0000000000000000_' + 'A'.repeat(43) }).request(r.method, concrete(r.path));
      expect(bad.status).toBe(401);
    }
  });

  it('gives 403 exactly to the roles without the permission', async () => {
    let checked = 0;
    for (const r of routes) {
      if (r.path === '/api/session' && r.method === 'DELETE') continue; // signing out ends the caller's session
      // every role of every kind at once: one route's requests do not depend on each other
      const responses = await Promise.all(callers.map((caller) => caller.client.request(r.method, concrete(r.path), r.method === 'GET' ? undefined : {})));
      callers.forEach((caller, i) => {
        const res = responses[i]!;
        const allowed = r.access === 'public' || r.access === 'authenticated' || caller.permissions.has(r.access);
        const label = `${caller.kind}/${caller.role} ${r.method} ${r.path} → ${res.status}`;
        if (allowed) {
          expect([401, 403], label).not.toContain(res.status);
        } else {
          expect(res.status, label).toBe(403);
          expect((res.body as { error: { code: string } }).error.code, label).toBe('FORBIDDEN');
        }
        checked++;
      });
    }
    expect(checked).toBeGreaterThan(routes.length);
  }, 180_000);
});
