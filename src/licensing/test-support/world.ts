/**
 * A licensing world for HTTP tests: a UK authority (England and Wales
 * calendar, UK targets), two exporters, the people who work cases, and the
 * real UN-list screener plugged into the licensing seam.
 */
import type { RunningServer } from '../../app/server.js';
import { createOrganisation, createToken } from '../../identity/service.js';
import { DIALECTS, openTestServices, type TestServices } from '../../shared/test-support/databases.js';
import { client, ensureUser, signIn, startTestServer, TEST_PASSWORD, type Client } from '../../shared/test-support/http.js';
import type { DialectName } from '../../db/database.js';
import { demoPdf } from '../demo.js';
import { configureLicensing } from '../seams.js';
import { unListScreener } from './screening.js';

export { DIALECTS };

export interface World {
  services: TestServices;
  server: RunningServer;
  listVersion: string;
  authorityId: string;
  exporterId: string;
  otherExporterId: string;
  users: Record<'applicant' | 'exporterOfficer' | 'other' | 'officer1' | 'officer2' | 'supervisor1' | 'supervisor2' | 'auditor', { email: string; userId: string; client: Client }>;
  /**
   * An API token of the exporter (read applications and licences, record use):
   * usable at any simulated date, where a session cookie could not be set
   * (cookies may not expire more than 400 days ahead of the real clock).
   */
  exporterToken: Client;
  /** Move the clock (sessions are signed in again: they last 30 days), unless `signIn` is false. */
  setClock(t: Date | string, opts?: { signIn?: boolean }): Promise<void>;
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

export async function openWorld(dialect: DialectName): Promise<World> {
  const { screener, listVersion } = await unListScreener();
  configureLicensing({ screener });
  const services = await openTestServices(dialect, { sessionHours: 24 * 30 });
  const server = await startTestServer(services);
  const db = services.database.db;
  const authority = await createOrganisation(db, services.clock, { name: 'Export Control Joint Unit (test)', kind: 'authority', country: 'GB' });
  const exporter = await createOrganisation(db, services.clock, { name: 'Aurora Additive GmbH', kind: 'exporter', country: 'DE' });
  const other = await createOrganisation(db, services.clock, { name: 'Borealis Powders AB', kind: 'exporter', country: 'SE' });
  const mk = async (org: { name: string; kind: 'exporter' | 'authority' }, role: Parameters<typeof ensureUser>[2], email: string) => {
    const u = await ensureUser(services, org, role, email);
    return { email, userId: u.userId, client: await signIn(server.url, email, TEST_PASSWORD) };
  };
  const A = { name: authority.name, kind: 'authority' as const };
  const E = { name: exporter.name, kind: 'exporter' as const };
  const users = {
    applicant: await mk(E, 'applicant', 'jonas@aurora.test'),
    exporterOfficer: await mk(E, 'compliance_officer', 'hanna@aurora.test'),
    other: await mk({ name: other.name, kind: 'exporter' }, 'compliance_officer', 'ingrid@borealis.test'),
    officer1: await mk(A, 'licensing_officer', 'miriam@ecju.test'),
    officer2: await mk(A, 'licensing_officer', 'tobias@ecju.test'),
    supervisor1: await mk(A, 'supervisor', 'clara@ecju.test'),
    supervisor2: await mk(A, 'supervisor', 'peter@ecju.test'),
    auditor: await mk(A, 'auditor', 'audit@ecju.test'),
  };
  const resign = async () => {
    for (const u of Object.values(users)) {
      const fresh = await signIn(server.url, u.email, TEST_PASSWORD);
      u.client.cookie = fresh.cookie;
      u.client.csrf = fresh.csrf;
    }
  };
  const token = await createToken(db, services.clock, { organisationId: exporter.id, createdBy: users.applicant.userId, name: 'erp', permissions: ['applications:read', 'licences:read', 'licences:use'] });
  return {
    services,
    server,
    listVersion,
    exporterToken: client(server.url, { token: token.token }),
    async setClock(t, opts = {}) {
      services.clock.set(t);
      if (opts.signIn !== false) await resign();
    },
    async advance(ms) {
      services.clock.advance(ms);
      await resign();
    },
    authorityId: authority.id,
    exporterId: exporter.id,
    otherExporterId: other.id,
    users,
    async close() {
      await server.close();
      await services.dispose();
    },
  };
}

/** A small valid PDF (one empty page). */
export const pdf = demoPdf;

/** Upload a document through the multipart route. */
export async function upload(c: Client, baseUrl: string, applicationId: string, docType: string, filename: string, bytes: Uint8Array, extra: Record<string, string> = {}) {
  const form = new FormData();
  form.set('file', new Blob([bytes as Uint8Array<ArrayBuffer>]), filename);
  form.set('doc_type', docType);
  for (const [k, v] of Object.entries(extra)) form.set(k, v);
  const res = await fetch(`${baseUrl}/api/applications/${applicationId}/documents`, { method: 'POST', body: form, headers: { cookie: c.cookie!, 'x-csrf-token': c.csrf! } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
