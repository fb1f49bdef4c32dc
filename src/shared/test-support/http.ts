import { startServer, type RunningServer } from '../../app/server.js';
import type { Services } from '../../app/services.js';
import { createUser, findOrganisation, createOrganisation } from '../../identity/service.js';
import type { OrganisationKind, Role } from '../../identity/permissions.js';

export interface Response<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A signed-in browser-like client: session cookie plus CSRF token on writes. */
export interface Client {
  request<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response<T>>;
  /** A multipart POST of one file (field `file`) and text fields, as a browser form sends it. */
  upload<T = unknown>(path: string, file: { bytes: Uint8Array; name: string }, fields?: Record<string, string>): Promise<Response<T>>;
  cookie: string | null;
  csrf: string | null;
}

export async function startTestServer(services: Services): Promise<RunningServer> {
  return startServer(services, { port: 0, host: '127.0.0.1' });
}

async function readResponse<T>(res: globalThis.Response): Promise<Response<T>> {
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** A client with no credentials, or with a bearer token. */
export function client(baseUrl: string, auth: { token?: string } = {}): Client {
  const c: Client = {
    cookie: null,
    csrf: null,
    async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const h: Record<string, string> = { ...headers };
      if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) h['content-type'] ??= 'application/json';
      if (auth.token) h.authorization = `Bearer ${auth.token}`;
      if (c.cookie) h.cookie = c.cookie;
      if (c.csrf && method !== 'GET') h['x-csrf-token'] ??= c.csrf;
      const res = await fetch(baseUrl + path, {
        method,
        headers: h,
        body: body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
        redirect: 'manual',
      });
      const setCookie = res.headers.get('set-cookie');
      if (setCookie) {
        const m = /fabgate_session=([^;]*)/.exec(setCookie);
        if (m) c.cookie = m[1] ? `fabgate_session=${m[1]}` : null;
      }
      return readResponse<T>(res);
    },
    async upload<T>(path: string, file: { bytes: Uint8Array; name: string }, fields: Record<string, string> = {}) {
      const form = new FormData();
      form.set('file', new Blob([file.bytes as Uint8Array<ArrayBuffer>]), file.name);
      for (const [k, v] of Object.entries(fields)) form.set(k, v);
      const h: Record<string, string> = {};
      if (auth.token) h.authorization = `Bearer ${auth.token}`;
      if (c.cookie) h.cookie = c.cookie;
      if (c.csrf) h['x-csrf-token'] = c.csrf;
      return readResponse<T>(await fetch(baseUrl + path, { method: 'POST', body: form, headers: h }));
    },
  };
  return c;
}

/** Sign in with a password; the client keeps the cookie and the CSRF token. */
export async function signIn(baseUrl: string, email: string, password: string): Promise<Client> {
  const c = client(baseUrl);
  const res = await c.request<{ csrf_token: string }>('POST', '/api/session', { email, password });
  if (res.status !== 200) throw new Error(`sign-in of ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
  c.csrf = res.body.csrf_token;
  return c;
}

export const TEST_PASSWORD = 'correct horse battery staple';

/** Make (or reuse) an organisation and a user in it; returns the user's e-mail. */
export async function ensureUser(services: Services, org: { name: string; kind: OrganisationKind }, role: Role, email?: string): Promise<{ email: string; organisationId: string; userId: string }> {
  const db = services.database.db;
  const o = (await findOrganisation(db, org.name)) ?? (await createOrganisation(db, services.clock, { name: org.name, kind: org.kind, country: 'DE' }));
  const address = email ?? `${role}.${o.id.slice(4, 12).toLowerCase()}@example.test`;
  const u = await createUser(db, services.clock, { organisationId: o.id, email: address, displayName: `${role} of ${org.name}`, role, password: TEST_PASSWORD });
  return { email: address, organisationId: o.id, userId: u.id };
}
