/**
 * A world for the devices, designs and tickets tests: an authority, an
 * exporter (compliance officer and applicant), a second exporter, a device
 * operator, licences granted through the licensing store functions, print
 * hosts enrolled through the real API with real RSA-3072 and Ed25519 keys, and
 * uploads through real multipart requests.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RunningServer } from '../../app/server.js';
import type { DialectName } from '../../db/database.js';
import { createOrganisation, createToken } from '../../identity/service.js';
import { addItem, addParty, createApplication, loadApplication, loadSnapshot } from '../../licensing/store/applications.js';
import type { LicensingActor } from '../../licensing/store/common.js';
import { issueLicence } from '../../licensing/store/licences.js';
import { MACHINE_SPEC } from '../../licensing/test-support/fixtures.js';
import { openTestServices, type TestServices } from '../../shared/test-support/databases.js';
import { client, ensureUser, signIn, startTestServer, TEST_PASSWORD, type Client, type Response } from '../../shared/test-support/http.js';
import { sharedData } from '../../shared/test-support/shared-data.js';

/** The printed part a print licence grants (a real item specification: it validates and classifies). */
export const PART_SPEC = { kind: 'printed_part', name: 'Ti-6Al-4V hinge bracket', part: { is_firearm_or_firearm_part: false } } as const;

/** A real 3MF (PrusaSlicer) and real G-code from the reference data. */
export const PART_3MF = () => readFileSync(sharedData('gcode', 'prusaslicer', 'part.3mf'));
export const PART_GCODE = () => readFileSync(sharedData('gcode', 'prusaslicer', 'screw.gcode'));

export interface EnrolledDevice {
  id: string;
  apiToken: string;
  client: Client;
  contentKey: { privateKey: KeyObject; publicKey: KeyObject; pem: string };
  signingKey: { privateKey: KeyObject; publicKey: KeyObject; pem: string };
  contentKeySha256: string;
  signingKeySha256: string;
}

export interface TicketWorld {
  dialect: DialectName;
  services: TestServices;
  server: RunningServer;
  authorityId: string;
  exporterId: string;
  otherExporterId: string;
  operatorId: string;
  officer: Client;
  applicant: Client;
  other: Client;
  operator: Client;
  authority: Client;
  /** An API token of the exporter that issues tickets: usable at any simulated date (a session cookie expires). */
  exporterToken: Client;
  exporterActor: LicensingActor;
  grant(prints: number, opts?: { reference?: string; validityMonths?: number; holder?: 'exporter' | 'other' }): Promise<{ id: string; reference: string; partItem: string; machineItem: string }>;
  enrol(by?: Client, name?: string): Promise<EnrolledDevice>;
  upload(by: Client, bytes: Uint8Array, filename: string, fields?: Record<string, string>): Promise<Response<Record<string, unknown> & { id: string; error?: { code: string } }>>;
  close(): Promise<void>;
}

export function rsaKeys() {
  const pair = generateKeyPairSync('rsa', { modulusLength: 3072 });
  return { ...pair, pem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export function edKeys() {
  const pair = generateKeyPairSync('ed25519');
  return { ...pair, pem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

let references = 0;

/**
 * A licence granted through the licensing store (draft, items, party, issue),
 * without the case work between: a machine and a printed part with `prints`
 * pieces, under the condition that it is printed only with print tickets.
 */
export async function grantPrintLicence(services: TestServices, o: { actor: LicensingActor; authorityId: string; prints: number; reference?: string; validityMonths?: number }) {
  const db = services.database.db;
  const actor = o.actor;
  const reference = o.reference ?? `IEL/2026/${String(8_000_000 + ++references).padStart(7, '0')}`;
  return db.transaction().execute(async (trx) => {
    const app = await createApplication(trx, services.clock, actor, actor.organisationId!, {
      licence_type: 'individual',
      authority_id: o.authorityId,
      content: { destinations: ['US'], end_use: { text: 'Hinge brackets for civil airliner cabins printed at the consignee’s print bureau.', domains: ['aerospace'] } },
    });
    await addItem(trx, services.clock, actor, app, { spec: MACHINE_SPEC, quantity: 1, unit: 'pieces', value: null });
    await addItem(trx, services.clock, actor, await loadApplication(trx, app.id, { side: 'system' }), { spec: PART_SPEC, quantity: o.prints, unit: 'pieces', value: null });
    await addParty(trx, services.clock, actor, await loadApplication(trx, app.id, { side: 'system' }), { role: 'end_user', name: 'Wichita Aero Structures LLC', country: 'US', type: 'organisation', address: 'Wichita, KS' });
    await trx.updateTable('licensing_applications').set({ reference, state: 'decided_approved' }).where('id', '=', app.id).execute();
    const row = await loadApplication(trx, app.id, { side: 'system' });
    const lic = await issueLicence(trx, services.clock.now(), row, await loadSnapshot(trx, row), {
      conditions: [{ id: 'print_ticket_only', text: 'Controlled design files under this licence shall be printed only on printers presenting a valid Fabgate print ticket.' }],
      validity_months: o.validityMonths ?? 12,
    });
    const items = await trx.selectFrom('licensing_licence_items').selectAll().where('licence_id', '=', lic.id).orderBy('position').execute();
    return { id: lic.id, reference: lic.reference, machineItem: items[0]!.id, partItem: items[1]!.id };
  });
}

export async function openTicketWorld(dialect: DialectName, opts: { realTime?: boolean } = {}): Promise<TicketWorld> {
  const services = await openTestServices(dialect, { sessionHours: 24 * 30 });
  // Browser tests and the CLI read the real clock: run the world on it when asked.
  if (opts.realTime) services.clock.set(new Date());
  const server = await startTestServer(services);
  const db = services.database.db;
  const authority = await createOrganisation(db, services.clock, { name: 'Federal Export Licensing Authority (test)', kind: 'authority', country: 'DE' });
  const exporter = await createOrganisation(db, services.clock, { name: 'Aurora Additive GmbH', kind: 'exporter', country: 'DE' });
  const other = await createOrganisation(db, services.clock, { name: 'Borealis Powders AB', kind: 'exporter', country: 'SE' });
  const operator = await createOrganisation(db, services.clock, { name: 'Northwind Print Services', kind: 'device_operator', country: 'NL' });
  const login = async (org: { name: string; kind: 'exporter' | 'authority' | 'device_operator' }, role: Parameters<typeof ensureUser>[2], email: string) => {
    const u = await ensureUser(services, org, role, email);
    return { userId: u.userId, client: await signIn(server.url, email, TEST_PASSWORD) };
  };
  const officer = await login({ name: exporter.name, kind: 'exporter' }, 'compliance_officer', 'hanna@aurora.test');
  const applicant = await login({ name: exporter.name, kind: 'exporter' }, 'applicant', 'jonas@aurora.test');
  const otherOfficer = await login({ name: other.name, kind: 'exporter' }, 'compliance_officer', 'ingrid@borealis.test');
  const operatorAdmin = await login({ name: operator.name, kind: 'device_operator' }, 'admin', 'sven@northwind.test');
  const authorityOfficer = await login({ name: authority.name, kind: 'authority' }, 'licensing_officer', 'miriam@bafa.test');
  const actorFor = (organisationId: string, userId: string): LicensingActor => ({ type: 'user', id: userId, userId, organisationId, kind: 'exporter', role: 'compliance_officer' });
  const exporterActor = actorFor(exporter.id, officer.userId);
  const token = await createToken(db, services.clock, { organisationId: exporter.id, createdBy: officer.userId, name: 'ticket desk', permissions: ['tickets:issue', 'tickets:read', 'designs:read', 'designs:write'] });

  return {
    dialect,
    services,
    server,
    authorityId: authority.id,
    exporterId: exporter.id,
    otherExporterId: other.id,
    operatorId: operator.id,
    officer: officer.client,
    applicant: applicant.client,
    other: otherOfficer.client,
    operator: operatorAdmin.client,
    authority: authorityOfficer.client,
    exporterToken: client(server.url, { token: token.token }),
    exporterActor,
    async grant(prints, o = {}) {
      const actor = o.holder === 'other' ? actorFor(other.id, otherOfficer.userId) : exporterActor;
      return grantPrintLicence(services, { actor, authorityId: authority.id, prints, ...(o.reference ? { reference: o.reference } : {}), ...(o.validityMonths ? { validityMonths: o.validityMonths } : {}) });
    },
    async enrol(by = operatorAdmin.client, name) {
      const created = await by.request<{ token: string }>('POST', '/api/devices/enrolment-tokens', name ? { device_name: name } : {});
      if (created.status !== 201) throw new Error(`enrolment token: ${created.status} ${JSON.stringify(created.body)}`);
      const contentKey = rsaKeys();
      const signingKey = edKeys();
      const res = await client(server.url).request<{ device_id: string; api_token: string; content_key_sha256: string; signing_key_sha256: string }>('POST', '/api/devices/enrol', {
        token: created.body.token,
        content_key: contentKey.pem,
        signing_key: signingKey.pem,
        model: 'Prusa MK4',
      });
      if (res.status !== 201) throw new Error(`enrol: ${res.status} ${JSON.stringify(res.body)}`);
      return {
        id: res.body.device_id,
        apiToken: res.body.api_token,
        client: client(server.url, { token: res.body.api_token }),
        contentKey,
        signingKey,
        contentKeySha256: res.body.content_key_sha256,
        signingKeySha256: res.body.signing_key_sha256,
      };
    },
    async upload(by, bytes, filename, fields = {}) {
      const form = new FormData();
      form.set('file', new Blob([bytes as Uint8Array<ArrayBuffer>]), filename);
      for (const [k, v] of Object.entries(fields)) form.set(k, v);
      const headers: Record<string, string> = {};
      if (by.cookie) headers.cookie = by.cookie;
      if (by.csrf) headers['x-csrf-token'] = by.csrf;
      const res = await fetch(`${server.url}/api/designs`, { method: 'POST', body: form, headers });
      return { status: res.status, body: (await res.json()) as never, headers: res.headers };
    },
    async close() {
      await server.close();
      await services.dispose();
    },
  };
}
