/**
 * SPINE.md as one story, through real HTTP on a fresh demo install (SQLite and PostgreSQL,
 * demo data seeded as `npm start` seeds it): classify → screen → apply →
 * decide → protect and authorise → print → verify → refuse and appeal. Every
 * step uses the public API, the CLI or the print-host agent — never a store
 * function — so it is what a user would do.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { connectDomains } from '../src/app/connect.js';
import { enrolDemoPrintHost, seedDemoWorld } from '../src/app/demo.js';
import { registerLedgerOfflineCommands } from '../src/ledger/cli.js';
import { registerLedgerServiceCommands } from '../src/ledger/service-cli.js';
import { paths as agentPaths } from '../src/agent/config.js';
import { printJob } from '../src/agent/print.js';
import { configurePrinter } from '../src/agent/settings.js';
import { FakeOctoPrint } from '../src/agent/test-support/fake-hosts.js';
import type { DemoCredential } from '../src/app/seed.js';
import type { RunningServer } from '../src/app/server.js';
import { runCli } from '../src/shared/test-support/cli.js';
import { DIALECTS, openTestServices, type TestServices } from '../src/shared/test-support/databases.js';
import { client, signIn, startTestServer, type Client } from '../src/shared/test-support/http.js';
import { sharedData } from '../src/shared/test-support/shared-data.js';
import { DEMO_DUE_DILIGENCE, DEMO_MACHINE_SPEC, demoPdf } from '../src/licensing/demo.js';

type Err = { error: { code: string; message: string } };

/** A slicer's "G-code 3MF": the model package with the sliced G-code as a part (as PrusaSlicer/Bambu write). */
async function gcode3mf(model3mf: Buffer, gcode: Buffer): Promise<Buffer> {
  const entries = await new Promise<Array<{ name: string; data: Buffer }>>((resolve, reject) => {
    yauzl.fromBuffer(model3mf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const out: Array<{ name: string; data: Buffer }> = [];
      zip.on('entry', (e: yauzl.Entry) =>
        zip.openReadStream(e, (er, s) => {
          if (er || !s) return reject(er);
          const chunks: Buffer[] = [];
          s.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
            out.push({ name: e.fileName, data: Buffer.concat(chunks) });
            zip.readEntry();
          });
        }),
      );
      zip.on('end', () => resolve(out));
      zip.readEntry();
    });
  });
  const z = new yazl.ZipFile();
  for (const e of entries) {
    const data = e.name === '[Content_Types].xml' ? Buffer.from(e.data.toString('utf8').replace('</Types>', '<Default Extension="gcode" ContentType="text/x.gcode"/></Types>')) : e.data;
    z.addBuffer(data, e.name);
  }
  z.addBuffer(gcode, 'Metadata/plate_1.gcode');
  z.end();
  const chunks: Buffer[] = [];
  for await (const c of z.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const DAY = 86_400_000;

/** Take one step of case work; the step must succeed. */
async function caseStep(c: Client, id: string, path: string, body: unknown = {}): Promise<{ state: string }> {
  const res = await c.request<{ state: string } & Err>('POST', `/api/cases/${id}/${path}`, body);
  expect(res.status, `${path}: ${JSON.stringify(res.body).slice(0, 300)}`).toBe(200);
  return res.body;
}

describe.each(DIALECTS)('the spine, end to end on a fresh demo install (%s)', (dialect) => {
  let s: TestServices;
  let server: RunningServer;
  let creds: DemoCredential[];
  let octo: FakeOctoPrint;
  let hostDir: string;
  const work = mkdtempSync(join(tmpdir(), 'fabgate-spine-'));
  const as = (email: string) => signIn(server.url, email, creds.find((c) => c.email === email)!.password);
  let officer: Client; // Aurora's compliance officer
  let applicant: Client;
  let authority: Client;
  let authority2: Client;
  let supervisor: Client;
  let supervisor2: Client;
  let auditor: Client;
  const shared: { licenceId?: string; applicationId?: string; ticketBundle?: { ticket: string; log?: { receipt: string; salt: string } }; ticketJti?: string } = {};

  beforeAll(async () => {
    s = await openTestServices(dialect, { sessionHours: 24 * 60 });
    s.clock.set(new Date());
    connectDomains(s); // as `fabgate serve` does
    creds = (await seedDemoWorld(s))!;
    server = await startTestServer(s);
    hostDir = (await enrolDemoPrintHost(s, server.url))!;
    octo = await new FakeOctoPrint().start();
    await configurePrinter({ dir: hostDir }, 'octoprint', { url: octo.url, api_key: octo.apiKey }, true);
    officer = await as('officer@aurora.example');
    applicant = await as('applicant@aurora.example');
    authority = await as('officer@authority.example');
    authority2 = await as('officer2@authority.example');
    supervisor = await as('supervisor@authority.example');
    supervisor2 = await as('supervisor2@authority.example');
    auditor = await as('auditor@authority.example');
  }, 120_000);
  afterAll(async () => {
    await octo?.stop();
    await server?.close();
    await s?.dispose();
  });

  it('1. classifies the laser powder-bed machine, with and without closed loop, and for China', async () => {
    const spec = { kind: 'am_machine', machine: DEMO_MACHINE_SPEC.machine };
    const r = await officer.request<{ controlled_by: string[]; results: Array<{ key: string; status: string; trace: unknown }>; destination: { regimes: Array<{ regime: string; licence_required: string; reasons: string[] }> } }>(
      'POST',
      '/api/classification/classify',
      { item: spec, destination: 'CN' },
    );
    expect(r.status).toBe(200);
    expect(r.body.controlled_by).toEqual(expect.arrayContaining(['US-EAR:2B910', 'EU-2021/821:2B510']));
    expect(r.body.results.find((x) => x.key === 'UK-ECO2008:PL9015')!.status).toBe('needs_review');
    expect(JSON.stringify(r.body.destination)).toMatch(/licen[cs]e/i);
    const open = await officer.request<{ controlled_by: string[] }>('POST', '/api/classification/classify', {
      item: { kind: 'am_machine', machine: { ...DEMO_MACHINE_SPEC.machine, closed_loop_control: { present: false } } },
    });
    expect(open.body.controlled_by).not.toContain('US-EAR:2B910');
    expect(open.body.controlled_by).not.toContain('EU-2021/821:2B510');
  });

  it('2. flags the romanised Concern Sirius with an explanation, not the look-alike; the officer marks the hit and it is remembered', async () => {
    type Match = { entity_id: string; list: string; matched_name: string; score: number; review: { id: string } | null; explanation: { tokens: Array<{ how: string }>; evidence: Array<{ kind: string }> } };
    const sirius = { name: 'Otkrytoe Aktsionernoe Obshchestvo Kontsern Sirius', country: 'RU', type: 'organisation' };
    const r = await officer.request<{ matches: Match[] }>('POST', '/api/screening/screen', sirius);
    expect(r.status).toBe(200);
    const hit = r.body.matches[0]!;
    // OFAC's consolidated list (shipped demo list) carries JSC Concern Sirius as KONTSERN SIRIUS OAO
    expect(hit).toMatchObject({ entity_id: '18783', list: 'us-ofac-cons', matched_name: 'KONTSERN SIRIUS OAO', review: null });
    expect(hit.explanation.tokens.map((t) => t.how)).toContain('legal form');
    expect(hit.explanation.evidence.map((e) => e.kind)).toContain('country');
    const alike = await officer.request<{ matches: Match[] }>('POST', '/api/screening/screen', { name: 'Sirius Precision Optics GmbH', country: 'DE', type: 'organisation' });
    expect(alike.body.matches).toEqual([]);

    // the demo customer raised an alert when it was screened; the officer decides it
    const queue = await officer.request<{ alerts: Array<{ id: string; entity_id: string; state: string }> }>('GET', '/api/screening/alerts');
    const alert = queue.body.alerts.find((a) => a.entity_id === '18783' && a.state === 'open')!;
    expect(alert).toBeDefined();
    const decided = await officer.request<{ id: string }>('POST', `/api/screening/alerts/${alert.id}/decision`, {
      decision: 'true_positive',
      reason: 'Kontsern Sirius is the romanised name of JSC Concern Sirius (OFAC SSI, Directive 3): do not deal.',
    });
    expect(decided.status).toBe(201);
    const again = await officer.request<{ matches: Match[] }>('POST', '/api/screening/screen', sirius);
    expect(again.body.matches.find((m) => m.entity_id === '18783')!.review!.id).toBe(decided.body.id);
    const open = await officer.request<{ alerts: Array<{ id: string }> }>('GET', '/api/screening/alerts');
    expect(open.body.alerts.map((a) => a.id)).not.toContain(alert.id);
  });

  it('3–4. applies, decides with a question on the clock, countersigns, and licenses', async () => {
    const created = await applicant.request<{ id: string }>('POST', '/api/applications', { licence_type: 'individual', content: { title: 'Five M400 machines for a Hanoi satellite-structures plant' } });
    expect(created.status).toBe(201);
    const id = created.body.id;
    shared.applicationId = id;
    // the checklist shows what is missing until it is complete
    const incomplete = await applicant.request<{ clear: boolean; entries: Array<{ id: string; status: string }> }>('GET', `/api/applications/${id}/checklist`);
    expect(incomplete.body.clear).toBe(false);
    expect((await applicant.request<Err>('POST', `/api/applications/${id}/submit`)).body.error.code).toBe('LICENSING_APPLICATION_INCOMPLETE');

    await applicant.request('PATCH', `/api/applications/${id}`, {
      destinations: ['VN'],
      end_use: { text: 'Serial production of titanium brackets for small earth-observation satellites at the end user’s Hanoi plant.', domains: ['space'] },
      production_volume: { parts_per_year: 4000, feedstock_kg_per_year: 900, machines_installed: 5 },
      commercial: { payment_terms: 'letter_of_credit', delivery_terms: 'DAP Hanoi', delivery_date: '2027-03-31' },
      due_diligence: DEMO_DUE_DILIGENCE,
      declaration: { accepted: true, name: 'Jonas Keller' },
    });
    const machines = await applicant.request<{ classification: { controlled_by: string[] } }>('POST', `/api/applications/${id}/items`, { spec: DEMO_MACHINE_SPEC, quantity: 5, unit: 'pieces', value: { amount: 4_250_000, currency: 'EUR' } });
    expect(machines.status).toBe(201);
    expect(machines.body.classification.controlled_by).toEqual(expect.arrayContaining(['US-EAR:2B910']));
    // the build file of the part the machines will print: printed under print tickets
    expect((await applicant.request('POST', `/api/applications/${id}/items`, { spec: { kind: 'printed_part', name: 'Ti-6Al-4V antenna bracket', part: { is_firearm_or_firearm_part: false } }, quantity: 10, unit: 'pieces', value: { amount: 25_000, currency: 'EUR' } })).status).toBe(201);
    const site = { country: 'VN', address: 'Lot 12, Hoa Lac Hi-Tech Park, Hanoi', address_type: 'industrial_site', sub_type: 'commercial', business_type: 'manufacturer', registration_number: 'VN-0108123456', website: 'https://hanoi-space-structures.example', established_year: 2012 };
    for (const role of ['consignee', 'end_user']) expect((await applicant.request('POST', `/api/applications/${id}/parties`, { role, name: 'Hanoi Space Structures JSC', ...site })).status).toBe(201);
    expect((await applicant.upload(`/api/applications/${id}/documents`, { bytes: demoPdf('End-use statement, Hanoi Space Structures JSC'), name: 'end-use-statement.pdf' }, { doc_type: 'end_use_statement' })).status).toBe(201);
    const checklist = await applicant.request<{ clear: boolean; entries: Array<{ id: string; status: string; message?: string }> }>('GET', `/api/applications/${id}/checklist`);
    expect(checklist.body.clear, JSON.stringify(checklist.body.entries.filter((e) => e.status !== 'ok'))).toBe(true);

    const submitted = await applicant.request<{ status: string; clock: { status: string } }>('POST', `/api/applications/${id}/submit`);
    expect(submitted.status).toBe(200);
    expect(submitted.body.clock.status).toBe('running');

    // the officer's queue, the case with pre-checks and the risk breakdown
    const step = (c: Client, path: string, body: unknown = {}) => caseStep(c, id, path, body);
    const listed = await authority.request<{ cases: Array<{ id: string }> }>('GET', '/api/cases');
    expect(listed.body.cases.map((c) => c.id)).toContain(id);
    const k = await authority.request<{ risk: { band: string; contributions: Array<{ indicator: string; points: number }> }; prechecks: { latest: unknown } }>('GET', `/api/cases/${id}`);
    expect(k.body.risk.contributions.length).toBeGreaterThan(3);
    expect(k.body.prechecks.latest).toBeTruthy();
    await step(authority, 'register');
    await step(authority, 'review');
    await authority.request('POST', `/api/cases/${id}/notes`, { body: 'INTERNAL: compare with the 2025 Hoa Lac referral before deciding.' });

    // a question pauses the clock; the answer resumes it
    await step(authority, 'queries', { question: 'Who owns Hanoi Space Structures JSC, and does it supply any military programme?' });
    let mine = await applicant.request<{ status: string; clock: { status: string }; queries: Array<{ id: string }> }>('GET', `/api/applications/${id}`);
    expect(mine.body.clock.status).toBe('paused');
    await applicant.request('POST', `/api/applications/${id}/queries/${mine.body.queries[0]!.id}/answer`, { answer: 'Owned by its founders; civil customers only (registry extract uploaded).' });
    mine = await applicant.request('GET', `/api/applications/${id}`);
    expect(mine.body.clock.status).toBe('running');

    // approve with a reporting condition, countersigned by the supervisor
    await step(authority, 'final-review');
    expect((await authority.request('PUT', `/api/cases/${id}/proposal`, { kind: 'approve', reasons: 'Civil space end use, verified end user, complete end-use statement.', conditions: [{ id: 'usage_reporting' }, { id: 'print_ticket_only' }] })).status).toBe(200);
    await step(authority, 'countersign-request');
    await step(supervisor, 'countersignatures', { outcome: 'accept', reasons: 'Conditions sufficient.' });
    await step(authority, 'approve');

    const decided = await applicant.request<{ status: string; decisions: Array<{ kind: string; reasons: string }>; licence: { id: string; valid_until: string } | null }>('GET', `/api/applications/${id}`);
    const text = JSON.stringify(decided.body);
    expect(text).toContain('Civil space end use');
    expect(text).not.toContain('INTERNAL: compare');
    const licences = await officer.request<{ licences: Array<{ id: string; application_id?: string; status: string; valid_until?: string; end?: string }> }>('GET', '/api/licences');
    const licence = licences.body.licences.find((l) => JSON.stringify(l).includes(id)) ?? licences.body.licences.find((l) => l.status === 'active');
    expect(licence?.status).toBe('active');
    shared.licenceId = licence!.id;
  });

  it('5. protects the build file for the enrolled print host and issues a ticket for two prints, logged with a receipt', async () => {
    const device = (await s.database.db.selectFrom('devices').select('id').where('name', '=', 'Northwind demo print host').executeTakeFirstOrThrow()).id;
    expect((await officer.request('POST', `/api/licences/${shared.licenceId}/devices`, { device_id: device })).status).toBe(201);
    const build = await gcode3mf(readFileSync(sharedData('gcode', 'prusaslicer', 'part.3mf')), readFileSync(sharedData('gcode', 'prusaslicer', 'part.gcode')));
    const design = await officer.upload<{ id: string }>('/api/designs', { bytes: build, name: 'antenna-bracket.gcode.3mf' });
    expect(design.status, JSON.stringify(design.body)).toBe(201);
    const issued = await officer.request<{ ticket: { jti: string }; bundle: { ticket: string; log?: { receipt: string; salt: string } } }>('POST', '/api/tickets', {
      licence_id: shared.licenceId,
      design_id: design.body.id,
      device_ids: [device],
      prints: 2,
      not_after: new Date(Date.now() + 30 * DAY).toISOString(),
      envelope: { build_volume_mm: { x: [0, 250], y: [-4, 210], z: [0, 210] }, nozzle_temp_c: { max: 260 }, bed_temp_c: { max: 110 }, forbidden_commands: ['M302', 'M500', 'M502'] },
    });
    expect(issued.status, JSON.stringify(issued.body).slice(0, 500)).toBe(201);
    expect(issued.body.bundle.log?.receipt).toMatch(/^c2sp\.org\/tlog-proof@v1/);
    shared.ticketBundle = issued.body.bundle;
    shared.ticketJti = issued.body.ticket.jti;

    const apiToken = (JSON.parse(readFileSync(agentPaths(hostDir).credentials, 'utf8')) as { api_token: string }).api_token;
    const pkg = await fetch(`${server.url}/api/designs/${design.body.id}/package`, { headers: { authorization: `Bearer ${apiToken}` } });
    expect(pkg.status).toBe(200);
    writeFileSync(join(work, 'design.3mf'), Buffer.from(await pkg.arrayBuffer()));
    writeFileSync(join(work, 'ticket.json'), JSON.stringify(issued.body.bundle));
  });

  it('6. the print host verifies offline, prints twice through OctoPrint, refuses a third, and reports usage', async () => {
    const job = () => printJob({ dir: hostDir }, { design: join(work, 'design.3mf'), ticket: join(work, 'ticket.json'), printerOverrides: { poll_interval_ms: 2 } });
    expect(await job()).toMatchObject({ outcome: 'completed', counter: 1, log: 'verified' });
    expect(await job()).toMatchObject({ outcome: 'completed', counter: 2 });
    await expect(job()).rejects.toMatchObject({ code: 'TICKET_EXHAUSTED' });
    expect(octo.uploads).toHaveLength(2);
    expect(octo.uploads[0]!.bytes.equals(readFileSync(sharedData('gcode', 'prusaslicer', 'part.gcode')))).toBe(true);
    const t = await officer.request<{ usage: Array<{ outcome: string; counter: number }> }>('GET', `/api/tickets/${shared.ticketJti}`);
    expect(t.body.usage.filter((u) => u.outcome === 'completed').map((u) => u.counter)).toEqual([1, 2]);
  });

  it('7. anyone verifies the receipts offline; the auditor finds nothing altered, then finds a hand-edited decision', async () => {
    await s.ledger.integrate();
    const vkey = (await client(server.url).request<string>('GET', '/log/key')).body.trim();
    writeFileSync(join(work, 'ticket.tlog-proof'), shared.ticketBundle!.log!.receipt);
    const offline = await runCli([registerLedgerOfflineCommands], ['log', 'verify-receipt', 'ticket.tlog-proof', '--key', vkey, '--json'], { cwd: work });
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.json<{ entry: { eventType: string } }>().entry.eventType).toBe('ticket.issued');
    // the usage record of the first print is in the log too
    const entries = await s.database.db.selectFrom('ledger_events').select(['leaf_index', 'event_type']).where('event_type', '=', 'usage.received').orderBy('leaf_index').execute();
    expect(entries.length).toBeGreaterThanOrEqual(2);
    writeFileSync(join(work, 'usage.tlog-proof'), (await client(server.url).request<string>('GET', `/log/receipt/${entries[0]!.leaf_index}`)).body);
    expect((await runCli([registerLedgerOfflineCommands], ['log', 'verify-receipt', 'usage.tlog-proof', '--key', vkey], { cwd: work })).code).toBe(0);
    expect((await runCli([registerLedgerOfflineCommands], ['log', 'verify-remote', `${server.url}/log/`, '--key', vkey])).code).toBe(0);

    const env = s.cliEnv();
    const clean = await runCli([registerLedgerServiceCommands], ['log', 'audit', '--json'], { env });
    expect(clean.code, clean.stdout).toBe(0);
    // the auditor also reads the trail of who did what, through the API
    const trail = await auditor.request<{ events: Array<{ action: string; target_id: string | null }> }>('GET', '/api/audit?limit=500');
    expect(trail.status).toBe(200);
    expect(trail.body.events.some((e) => e.target_id === shared.applicationId)).toBe(true);

    // an insider edits a decision in the database by hand; decisions are append-only in the
    // database itself, so they drop that guard first, as someone with DBA rights could
    if (dialect === 'sqlite') await sql.raw('drop trigger licensing_decisions_no_update').execute(s.database.db);
    else await sql.raw('drop trigger licensing_decisions_append_only on licensing_decisions').execute(s.database.db);
    const edited = await sql`update licensing_decisions set reasons = 'Approved without conditions.' where application_id = ${shared.applicationId}`.execute(s.database.db);
    expect(Number(edited.numAffectedRows)).toBeGreaterThan(0);
    const found = await runCli([registerLedgerServiceCommands], ['log', 'audit', '--json'], { env });
    expect(found.code).toBe(1);
    expect(found.json<{ findings: Array<{ kind: string }> }>().findings.map((f) => f.kind)).toContain('record_altered');
  });

  it('8. refuses an application to a denied party after an intent to refuse; the exporter appeals; another officer decides', async () => {
    const created = await applicant.request<{ id: string }>('POST', '/api/applications', { licence_type: 'individual', content: { title: 'Two M400 machines for a Dubai machinery trader' } });
    const id = created.body.id;
    const patched = await applicant.request('PATCH', `/api/applications/${id}`, {
      destinations: ['AE'],
      end_use: { text: 'Resale of metal powder-bed machines to workshops in the Gulf region.', domains: ['industrial_machinery'] },
      production_volume: { parts_per_year: 500, feedstock_kg_per_year: 200, machines_installed: 2 },
      commercial: { payment_terms: 'full_prepayment', delivery_terms: 'EXW Krailling', delivery_date: '2027-02-28' },
      due_diligence: { ...DEMO_DUE_DILIGENCE, site_visit_done: false },
      declaration: { accepted: true, name: 'Jonas Keller' },
    });
    expect(patched.status, JSON.stringify(patched.body).slice(0, 300)).toBe(200);
    expect((await applicant.request('POST', `/api/applications/${id}/items`, { spec: DEMO_MACHINE_SPEC, quantity: 2, unit: 'pieces', value: { amount: 1_700_000, currency: 'EUR' } })).status).toBe(201);
    // on the BIS Denied Persons List until 2029
    const dealer = { name: 'Caspian Industrial Machinery Supply LLC', country: 'AE', address: 'Jebel Ali Free Zone, Dubai', address_type: 'business_premises', sub_type: 'commercial', business_type: 'distributor', registration_number: 'AE-JAFZ-77120', website: 'https://caspian-machinery.example', established_year: 2019 };
    for (const role of ['consignee', 'end_user']) {
      const p = await applicant.request<{ screening: { status: string } | null }>('POST', `/api/applications/${id}/parties`, { role, ...dealer });
      expect(p.status, JSON.stringify(p.body).slice(0, 300)).toBe(201);
    }
    expect((await applicant.upload(`/api/applications/${id}/documents`, { bytes: demoPdf('End-use statement, Caspian Industrial Machinery Supply LLC'), name: 'end-use-statement.pdf' }, { doc_type: 'end_use_statement' })).status).toBe(201);
    const submitted = await applicant.request<{ status: string } & Err>('POST', `/api/applications/${id}/submit`);
    expect(submitted.status, JSON.stringify(submitted.body).slice(0, 500)).toBe(200);

    const step = (c: Client, path: string, body: unknown = {}) => caseStep(c, id, path, body);
    // the pre-checks carry the denied-party match into the case
    const k = await authority.request<{ flags: Array<{ flag: string }> }>('GET', `/api/cases/${id}`);
    expect(k.body.flags.map((f) => f.flag).some((f) => /^screening_(strong|potential)_match$/.test(f))).toBe(true);
    await step(authority, 'register');
    await step(authority, 'review');
    await step(authority, 'final-review');
    const parties = (await authority.request<{ parties: Array<{ id: string; role: string }> }>('GET', `/api/cases/${id}`)).body.parties;
    const endUser = parties.find((p) => p.role === 'end_user')!;
    const proposed = await authority.request('PUT', `/api/cases/${id}/proposal`, {
      kind: 'refuse',
      reasons: 'The end user is a denied person under the US Export Administration Regulations.',
      refusal_criteria: [{ criterion: '7', target: 'party', target_id: endUser.id, explanation: 'The end user is on the BIS Denied Persons List (denial order until 2029): a risk of diversion.' }],
    });
    expect(proposed.status, JSON.stringify(proposed.body).slice(0, 300)).toBe(200);
    // a denied party makes the case very high risk: two supervisors countersign
    const c = (await authority.request<{ countersignatures_required: number }>('GET', `/api/cases/${id}`)).body;
    expect(c.countersignatures_required).toBe(2);
    await step(authority, 'countersign-request');
    await step(supervisor, 'countersignatures', { outcome: 'accept', reasons: 'Refusal criteria sound.' });
    await step(supervisor2, 'countersignatures', { outcome: 'accept', reasons: 'Agreed.' });
    expect((await step(authority, 'intent-to-refuse')).state).toBe('intent_to_refuse');
    const notice = await applicant.request<{ status: string; intent: { criteria: Array<{ criterion: string }> } }>('GET', `/api/applications/${id}`);
    expect(notice.body.status).toBe('intent_to_refuse');
    expect(notice.body.intent.criteria.map((x) => x.criterion)).toEqual(['7']);
    expect((await applicant.request('POST', `/api/applications/${id}/intent-response`, { response: 'Our customer is a different company of a similar name.' })).status).toBe(200);
    expect((await step(authority, 'refuse', { reasons: 'The response names no evidence that the end user is a different company.' })).state).toBe('decided_refused');

    const refused = await applicant.request<{ status: string; decisions: Array<{ kind: string; refusal_criteria: unknown[] }> }>('GET', `/api/applications/${id}`);
    expect(refused.body.status).toBe('refused');
    expect(refused.body.decisions[0]).toMatchObject({ kind: 'refused', refusal_criteria: [expect.objectContaining({ criterion: '7' })] });

    expect((await applicant.request<{ status: string }>('POST', `/api/applications/${id}/appeal`, { grounds: 'Caspian Industrial Machinery Supply LLC of Jebel Ali is not the denied person of that name.' })).body.status).toBe('under_appeal');
    const self = await authority.request<Err>('POST', `/api/cases/${id}/appeal-decision`, { outcome: 'dismissed', reasons: 'The match stands.' });
    expect([self.status, self.body.error.code]).toEqual([409, 'LICENSING_SAME_DECIDER']);
    expect((await step(authority2, 'appeal-decision', { outcome: 'dismissed', reasons: 'Same name, same free zone, no registry extract: the match stands.' })).state).toBe('appeal_decided');
    const final = await applicant.request<{ status: string; appeal: { outcome: string } }>('GET', `/api/applications/${id}`);
    expect(final.body).toMatchObject({ status: 'appeal_decided', appeal: { outcome: 'dismissed' } });
  });
});
