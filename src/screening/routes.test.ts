/**
 * Screening over HTTP, through a real server on both engines, as the demo
 * users: list uploads by the authority's administrator (multipart, real files),
 * versions, the active set and diffs; ad hoc screening with explanations
 * (read-only: no audit record); the customer register, the alert queue and
 * decisions (audited and logged); batches in the background with the result
 * download; error shapes; and organisations kept apart.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../app/server.js';
import { seedDemo, type DemoCredential } from '../app/seed.js';
import { DIALECTS, openTestServices, type TestServices } from '../shared/test-support/databases.js';
import { ensureUser, signIn, startTestServer, TEST_PASSWORD, type Client } from '../shared/test-support/http.js';
import { screeningJobs, submitBatch } from './jobs.js';
import type { ListVersionView } from './versions.js';
import { FILES, loadEntities } from './test-support/lists.js';
import { TEST_ACTOR } from './test-support/service.js';

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };

/** A multipart request with the client's session (cookie and CSRF token). */
async function upload(base: string, c: Client, path: string, files: Array<{ name: string; bytes: Uint8Array }>, fields: Record<string, string> = {}, field = 'file') {
  const form = new FormData();
  for (const f of files) form.append(field, new Blob([f.bytes]), f.name);
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  const res = await fetch(base + path, { method: 'POST', body: form, headers: { cookie: c.cookie!, 'x-csrf-token': c.csrf! } });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as unknown };
}
const file = (p: string) => ({ name: basename(p), bytes: new Uint8Array(readFileSync(p)) });

describe.each(DIALECTS)('screening API on %s', (dialect) => {
  let s: TestServices;
  let server: RunningServer;
  let creds: DemoCredential[];
  let admin: Client;
  let officer: Client;
  let applicant: Client;
  let rival: Client;
  const v: Record<string, ListVersionView> = {};
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    s = await openTestServices(dialect);
    creds = (await seedDemo(s))!;
    server = await startTestServer(s);
    const as = async (email: string) => signIn(server.url, email, creds.find((c) => c.email === email)!.password);
    admin = await as('admin@authority.example');
    officer = await as('officer@aurora.example');
    applicant = await as('applicant@aurora.example');
    const r = await ensureUser(s, { name: 'Rival Printers Ltd', kind: 'exporter' }, 'compliance_officer');
    rival = await signIn(server.url, r.email, TEST_PASSWORD);
  });
  afterAll(async () => {
    await server?.close();
    await s?.dispose();
  });

  const auditActions = async () => (await s.database.db.selectFrom('audit_events').select(['action', 'actor_type', 'target_id']).where('action', 'like', '%screening%').execute()).concat(
    await s.database.db.selectFrom('audit_events').select(['action', 'actor_type', 'target_id']).where('action', 'like', 'lists.%').execute(),
  );

  it('answers 409 SCREENING_NO_ACTIVE_LISTS before any list is loaded', async () => {
    const r = await officer.request<ErrorBody>('POST', '/api/screening/screen', { name: 'Anyone' });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('SCREENING_NO_ACTIVE_LISTS');
    const lists = await officer.request<{ generation: number; lists: unknown[]; list_set: string | null }>('GET', '/api/lists');
    expect(lists.body).toEqual({ generation: 0, lists: [], list_set: null });
  });

  it("loads uploaded list files as versions (the authority administrator's), lists them and diffs them", async () => {
    const week1 = await upload(server.url, admin, '/api/lists/versions', [file(FILES.sdn20240426)]);
    expect(week1.status).toBe(201);
    const l1 = (week1.body as { loads: Array<{ version: ListVersionView; created: boolean; activated: boolean; rescreen_job: string }> }).loads;
    expect(l1).toHaveLength(1);
    expect(l1[0]).toMatchObject({ created: true, activated: true, version: { list: 'us-ofac-sdn', entities: 14668, active: true, files: [{ name: 'sdn.csv', role: 'primary' }] } });
    v.week1 = l1[0]!.version;

    // OFAC's four CSV parts in one request are one list
    const cons = await upload(server.url, admin, '/api/lists/versions', [file(FILES.consAlt), file(FILES.consPrim), file(FILES.consAdd), file(FILES.consComments)], { format: 'ofac-csv' });
    expect(cons.status).toBe(201);
    v.cons = (cons.body as { loads: Array<{ version: ListVersionView }> }).loads[0]!.version;
    expect(v.cons).toMatchObject({ list: 'us-ofac-cons', entities: 442 });

    const week2 = await upload(server.url, admin, '/api/lists/versions', [file(FILES.sdn20240503)]);
    v.week2 = (week2.body as { loads: Array<{ version: ListVersionView }> }).loads[0]!.version;
    // the same file again: the version already loaded
    const again = await upload(server.url, admin, '/api/lists/versions', [file(FILES.sdn20240503)]);
    expect(again.status).toBe(201);
    expect((again.body as { loads: Array<{ created: boolean; version: { id: string } }> }).loads[0]).toMatchObject({ created: false, version: { id: v.week2.id } });

    const active = await officer.request<{ generation: number; lists: ListVersionView[]; list_set: string }>('GET', '/api/lists');
    expect(active.body.lists.map((x) => x.id).sort()).toEqual([v.cons.id, v.week2.id].sort());
    expect(active.body.generation).toBe(3);
    expect(active.body.list_set).toMatch(/^lists-[0-9a-f]{16}$/);
    const versions = await officer.request<{ versions: ListVersionView[] }>('GET', '/api/lists/versions?list=us-ofac-sdn');
    expect(versions.body.versions.map((x) => [x.id, x.active])).toEqual([
      [v.week2.id, true],
      [v.week1.id, false],
    ]);
    expect((await officer.request<ListVersionView>('GET', `/api/lists/versions/${v.week1.id}`)).body.content_hash).toBe(v.week1.content_hash);

    const diff = await officer.request<{ counts: Record<string, number>; added: Array<{ entity_id: string }>; truncated: boolean }>('GET', `/api/lists/versions/${v.week1.id}/diff/${v.week2.id}?limit=5`);
    expect(diff.status).toBe(200);
    expect(diff.body.counts).toEqual({ added: 305, removed: 8, changed: 0, unchanged: 14660 });
    expect(diff.body.added).toHaveLength(5);
    expect(diff.body.truncated).toBe(true);

    const entity = await officer.request<{ entity: { name: string; aliases: Array<{ name: string }> } }>('GET', '/api/lists/entity?list=us-ofac-cons&entity_id=18783');
    expect(entity.body.entity.name).toBe('KONTSERN SIRIUS OAO');

    // audited as the administrator, and the activations are decisive events
    const audits = await auditActions();
    expect(audits.filter((a) => a.action === 'lists.version_loaded').map((a) => a.target_id).sort()).toEqual([v.week1.id, v.cons.id, v.week2.id].sort());
    expect(audits.find((a) => a.action === 'lists.version_already_loaded')).toMatchObject({ actor_type: 'user', target_id: v.week2.id });
    const events = await s.database.db.selectFrom('ledger_events').select('record_id').where('event_type', '=', 'list_version.activated').execute();
    expect(events.map((e) => e.record_id).sort()).toEqual([v.week1.id, v.cons.id, v.week2.id].sort());
  });

  it('refuses uploads it cannot take, with the stable codes', async () => {
    expect((await upload(server.url, officer, '/api/lists/versions', [file(FILES.dpl)])).status).toBe(403);
    const bad = await upload(server.url, admin, '/api/lists/versions', [{ name: 'sdn.xml', bytes: new TextEncoder().encode('<?xml version="1.0"?>\n<!DOCTYPE sdnList [<!ENTITY x "y">]>\n<sdnList><x>&x;</x></sdnList>') }]);
    expect(bad.status).toBe(400);
    expect((bad.body as ErrorBody).error.code).toBe('SCREENING_XML_DOCTYPE');
    const cut = readFileSync(FILES.un2018, 'utf-8');
    const malformed = await upload(server.url, admin, '/api/lists/versions', [{ name: 'consolidated.xml', bytes: new TextEncoder().encode(cut.slice(0, cut.indexOf('<INDIVIDUAL>', 200_000)) + '<INDIVIDUAL><DATAID>9</DATAID><FIRST_NAME>x') }]);
    expect(malformed.status).toBe(400);
    expect((malformed.body as ErrorBody).error).toMatchObject({ code: 'SCREENING_LIST_MALFORMED', details: { file: 'consolidated.xml' } });
    const notAList = await upload(server.url, admin, '/api/lists/versions', [{ name: 'notes.txt', bytes: new TextEncoder().encode('shopping list: eggs, milk\n') }]);
    expect((notAList.body as ErrorBody).error.code).toBe('SCREENING_FORMAT_UNKNOWN');
    const json = await admin.request<ErrorBody>('POST', '/api/lists/versions', { file: 'x' });
    expect([json.status, json.body.error.code]).toEqual([415, 'REQUEST_UNSUPPORTED_MEDIA_TYPE']);
    const noFile = await upload(server.url, admin, '/api/lists/versions', [], { format: 'auto' });
    expect((noFile.body as ErrorBody).error).toMatchObject({ code: 'REQUEST_INVALID', details: { issues: [{ path: 'file' }] } });
    // nothing of the refused uploads is listed, the active set is unchanged
    const versions = await officer.request<{ versions: ListVersionView[] }>('GET', '/api/lists/versions');
    expect(versions.body.versions).toHaveLength(3);
    expect(await s.database.db.selectFrom('screening_list_versions').select('id').where('state', '=', 'loading').execute()).toEqual([]);
    const missing = await officer.request<ErrorBody>('GET', '/api/lists/versions/lsv_nope');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'SCREENING_LIST_VERSION_NOT_FOUND']);
    const mixed = await officer.request<ErrorBody>('GET', `/api/lists/versions/${v.week1!.id}/diff/${v.cons!.id}`);
    expect([mixed.status, mixed.body.error.code]).toEqual([400, 'SCREENING_DIFF_LISTS_DIFFER']);
  });

  it('screens one party with the explanation token by token, and records nothing', async () => {
    const before = (await s.database.db.selectFrom('audit_events').select('id').execute()).length;
    const r = await officer.request<{
      matches: Array<{ entity_id: string; list: string; score: number; matched_name: string; fingerprint: string; review: unknown; entity: { programmes: string[]; name: string }; explanation: { tokens: Array<{ query: string; list: string; how: string }>; evidence: Array<{ kind: string }> } }>;
      lists: Array<{ list: string }>;
    }>('POST', '/api/screening/screen', { name: 'Otkrytoe Aktsionernoe Obshchestvo Kontsern Sirius', country: 'RU', type: 'organisation' });
    expect(r.status).toBe(200);
    const top = r.body.matches[0]!;
    expect(top).toMatchObject({ entity_id: '18783', list: 'us-ofac-cons', matched_name: 'KONTSERN SIRIUS OAO', review: null, entity: { name: 'KONTSERN SIRIUS OAO', programmes: ['UKRAINE-EO13662'] } });
    expect(top.score).toBeGreaterThanOrEqual(0.95);
    expect(top.explanation.tokens.map((t) => t.how)).toEqual(expect.arrayContaining(['exact', 'legal form']));
    expect(top.explanation.evidence.map((e) => e.kind)).toContain('country');
    expect(top.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(r.body.lists.map((l) => l.list).sort()).toEqual(['us-ofac-cons', 'us-ofac-sdn']);
    // the look-alike is not flagged
    const alike = await officer.request<{ matches: unknown[] }>('POST', '/api/screening/screen', { name: 'Sirius Additive Manufacturing GmbH', country: 'DE', type: 'organisation' });
    expect(alike.body.matches).toEqual([]);
    expect((await s.database.db.selectFrom('audit_events').select('id').execute()).length).toBe(before);

    const bad = await officer.request<ErrorBody>('POST', '/api/screening/screen', { name: 'x', threshold: 2 });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'REQUEST_INVALID']);
    const extra = await officer.request<ErrorBody>('POST', '/api/screening/screen', { name: 'x', nickname: 'y' });
    expect(extra.body.error.code).toBe('REQUEST_INVALID');
    // the authority's administrator manages lists but does not screen
    expect((await admin.request('POST', '/api/screening/screen', { name: 'x' })).status).toBe(403);
  });

  it('keeps customers, raises alerts, takes decisions — audited, logged, per organisation', async () => {
    const sirius = await officer.request<{ party: { id: string; status: string; revision: number }; screening: { alerts: string[] } }>('POST', '/api/screening/parties', {
      name: 'Otkrytoe Aktsionernoe Obshchestvo Kontsern Sirius',
      country: 'RU',
      type: 'organisation',
      reference: 'C-1001',
    });
    expect(sirius.status).toBe(201);
    expect(sirius.body.party.status).toBe('hits');
    // (the SDN week also holds SYRISS, close enough to "Sirius" to be raised for review)
    expect(sirius.body.screening.alerts.length).toBeGreaterThanOrEqual(1);
    ids.sirius = sirius.body.party.id;
    const alike = await officer.request<{ party: { status: string } }>('POST', '/api/screening/parties', { name: 'Sirius Additive Manufacturing GmbH', country: 'DE', type: 'organisation' });
    expect(alike.body.party.status).toBe('clear');
    const badCountry = await officer.request<ErrorBody>('POST', '/api/screening/parties', { name: 'X', country: 'Atlantis' });
    expect([badCountry.status, badCountry.body.error.code]).toEqual([400, 'SCREENING_COUNTRY_UNKNOWN']);

    const queue = await officer.request<{ alerts: Array<{ id: string; party_ref: string; entity_id: string; reason: string; state: string }> }>('GET', '/api/screening/alerts');
    const alert = queue.body.alerts.find((a) => a.party_ref === ids.sirius && a.entity_id === '18783')!;
    expect(alert).toMatchObject({ entity_id: '18783', reason: 'new', state: 'open' });
    const detail = await officer.request<{ alert: { match: { explanation: { tokens: unknown[] } } }; entity: { entity_id: string; aliases: unknown[] }; history: unknown[] }>('GET', `/api/screening/alerts/${alert.id}`);
    expect(detail.body.entity.entity_id).toBe('18783');
    expect(detail.body.alert.match.explanation.tokens.length).toBeGreaterThan(0);
    expect(detail.body.history).toEqual([]);
    // the applicant screens but does not review
    expect((await applicant.request('GET', '/api/screening/alerts')).status).toBe(403);
    expect((await applicant.request('POST', `/api/screening/alerts/${alert.id}/decision`, { decision: 'false_positive', reason: 'x' })).status).toBe(403);

    const empty = await officer.request<ErrorBody>('POST', `/api/screening/alerts/${alert.id}/decision`, { decision: 'true_positive', reason: '   ' });
    expect([empty.status, empty.body.error.code]).toEqual([400, 'SCREENING_REASON_REQUIRED']);
    const d = await officer.request<{ id: string; decision: string; decided_by: { type: string; name: string | null }; log: { commitment: string } }>('POST', `/api/screening/alerts/${alert.id}/decision`, {
      decision: 'true_positive',
      reason: 'Same company: Kontsern Sirius is the romanised name of JSC Concern Sirius (OFAC SSI, Directive 3). Do not ship.',
    });
    expect(d.status).toBe(201);
    expect(d.body).toMatchObject({ decision: 'true_positive', log: { commitment: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    // who decided, by name, as the officer reads it
    expect(d.body.decided_by).toMatchObject({ type: 'user', name: 'Hanna Berger (compliance officer)' });
    const twice = await officer.request<ErrorBody>('POST', `/api/screening/alerts/${alert.id}/decision`, { decision: 'false_positive', reason: 'changed my mind' });
    expect([twice.status, twice.body.error.code]).toEqual([409, 'SCREENING_ALERT_CLOSED']);

    // the decision is remembered: screening the customer's data again shows it
    const again = await officer.request<{ matches: Array<{ entity_id: string; review: { id: string } | null }> }>('POST', '/api/screening/screen', { name: 'Otkrytoe Aktsionernoe Obshchestvo Kontsern Sirius', country: 'RU', type: 'organisation' });
    expect(again.body.matches.find((m) => m.entity_id === '18783')!.review!.id).toBe(d.body.id);
    const party = await officer.request<{ hits: Array<{ entity_id: string; decision: { id: string } | null; open_alert: string | null }> }>('GET', `/api/screening/parties/${ids.sirius}`);
    expect(party.body.hits.find((h) => h.entity_id === '18783')).toMatchObject({ decision: { id: d.body.id }, open_alert: null });

    // an ad hoc decision on a name screened without a customer record
    const adhoc = await officer.request<{ id: string; party_ref: null }>('POST', '/api/screening/decisions', {
      party: { name: 'Kontsern Sirius' },
      list: 'us-ofac-cons',
      entity_id: '18783',
      decision: 'true_positive',
      reason: 'Listed name.',
    });
    expect(adhoc.status).toBe(201);
    const decisions = await officer.request<{ decisions: Array<{ id: string }> }>('GET', '/api/screening/decisions');
    expect(decisions.body.decisions.map((x) => x.id)).toEqual([adhoc.body.id, d.body.id]);

    // another organisation sees none of it
    for (const path of [`/api/screening/parties/${ids.sirius}`, `/api/screening/alerts/${alert.id}`]) {
      const r = await rival.request<ErrorBody>('GET', path);
      expect(r.status).toBe(404);
      expect(['SCREENING_PARTY_NOT_FOUND', 'SCREENING_ALERT_NOT_FOUND']).toContain(r.body.error.code);
    }
    expect((await rival.request<{ parties: unknown[] }>('GET', '/api/screening/parties')).body.parties).toEqual([]);
    expect((await rival.request<{ decisions: unknown[] }>('GET', '/api/screening/decisions')).body.decisions).toEqual([]);
    expect((await rival.request<ErrorBody>('DELETE', `/api/screening/parties/${ids.sirius}`)).status).toBe(404);

    // a stale edit is refused; a change screens again; removal closes open alerts
    const stale = await officer.request<ErrorBody>('PUT', `/api/screening/parties/${ids.sirius}`, { name: 'Kontsern Sirius', revision: 7 });
    expect([stale.status, stale.body.error.code]).toEqual([409, 'SCREENING_PARTY_STALE']);
    // the same name written another way is the same party: the decision still holds, nothing is raised
    const respelled = await officer.request<{ party: { revision: number }; screening: { alerts: string[]; remembered: number } }>('PUT', `/api/screening/parties/${ids.sirius}`, { name: 'OAO "Kontsern Sirius"', country: 'RU', type: 'organisation', revision: 1 });
    expect(respelled.status).toBe(200);
    expect(respelled.body.party.revision).toBe(2);
    expect(respelled.body.screening.alerts).toEqual([]);
    // another country is another party: the hit is raised again, as changed
    const changed = await officer.request<{ party: { revision: number }; screening: { alerts: string[] } }>('PUT', `/api/screening/parties/${ids.sirius}`, { name: 'OAO "Kontsern Sirius"', country: 'KZ', type: 'organisation', revision: 2 });
    expect(changed.body.party.revision).toBe(3);
    const raised = await officer.request<{ alerts: Array<{ id: string; entity_id: string; reason: string; trigger: string }> }>('GET', '/api/screening/alerts');
    expect(raised.body.alerts.filter((a) => changed.body.screening.alerts.includes(a.id) && a.entity_id === '18783').map((a) => [a.reason, a.trigger])).toEqual([['changed', 'party_updated']]);
    expect((await officer.request('DELETE', `/api/screening/parties/${ids.sirius}`)).status).toBe(204);
    const removed = await officer.request<{ alerts: Array<{ id: string; state: string }> }>('GET', '/api/screening/alerts?state=party_removed');
    expect(removed.body.alerts.map((a) => a.id).sort()).toEqual(expect.arrayContaining(changed.body.screening.alerts.sort()));

    const audits = await auditActions();
    for (const action of ['screening.party_created', 'screening.decided', 'screening.party_updated', 'screening.party_deleted']) expect(audits.map((a) => a.action)).toContain(action);
    expect(audits.filter((a) => a.action === 'screening.decided').map((a) => a.target_id).sort()).toEqual([d.body.id, adhoc.body.id].sort());
    const events = await s.database.db.selectFrom('ledger_events').select('record_id').where('event_type', '=', 'screening.decided').execute();
    expect(events.map((e) => e.record_id).sort()).toEqual([d.body.id, adhoc.body.id].sort());
  });

  it('runs a batch in the background and serves its results as JSON lines', async () => {
    const un = (await loadEntities(FILES.sdn20240503)).slice(0, 150);
    const parties = [...un.map((e, i) => ({ id: `c${i}`, name: i % 3 === 0 ? e.name.toLowerCase() : e.name })), ...Array.from({ length: 50 }, (_, i) => ({ id: `n${i}`, name: `Clean Customer ${i} Werkzeugbau GmbH`, country: 'DE' }))];
    const sub = await officer.request<{ id: string; state: string; total: number }>('POST', '/api/screening/batches', { parties, name: 'customers-2026.jsonl' });
    expect(sub.status).toBe(202);
    expect(sub.body).toMatchObject({ state: 'queued', total: 200 });
    await screeningJobs(s).drain();
    await expect.poll(async () => (await officer.request<{ state: string }>('GET', `/api/screening/batches/${sub.body.id}`)).body.state).toBe('done');
    const job = await officer.request<{ done: number; matched: number }>('GET', `/api/screening/batches/${sub.body.id}`);
    expect(job.body.done).toBe(200);
    const res = await fetch(`${server.url}/api/screening/batches/${sub.body.id}/results`, { headers: { cookie: officer.cookie! } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    expect(res.headers.get('content-disposition')).toContain('customers-2026-results.jsonl');
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { id: string; matches: Array<{ entity_id: string; score: number }> });
    expect(lines.map((l) => l.id)).toEqual(parties.map((p) => p.id));
    for (let i = 0; i < 150; i++) expect(lines[i]!.matches.map((m) => m.entity_id), parties[i]!.name).toContain(un[i]!.entity_id);
    expect(lines.slice(150).every((l) => l.matches.length === 0)).toBe(true);
    expect(job.body.matched).toBe(lines.filter((l) => l.matches.length).length);
    const listed = await officer.request<{ batches: Array<{ id: string }> }>('GET', '/api/screening/batches');
    expect(listed.body.batches.map((b) => b.id)).toContain(sub.body.id);
    expect((await s.database.db.selectFrom('audit_events').select('action').where('target_id', '=', sub.body.id).execute()).map((a) => a.action)).toEqual(['screening.batch_submitted']);

    const plain = await officer.request<ErrorBody>('POST', '/api/screening/batches', '{"id":"a","name":"b"}', { 'content-type': 'text/plain' });
    expect([plain.status, plain.body.error.code]).toEqual([415, 'REQUEST_UNSUPPORTED_MEDIA_TYPE']);
    // a JSON-lines upload: the first bad line is named
    const text = ['{"id":"a","name":"Kontsern Sirius"}', '{"id":"b","name":"Nordlicht GmbH"}', '{"id":"c"}'].join('\n');
    const badLine = await upload(server.url, officer, '/api/screening/batches', [{ name: 'parties.jsonl', bytes: new TextEncoder().encode(text) }]);
    expect(badLine.status).toBe(400);
    expect((badLine.body as ErrorBody).error).toMatchObject({ code: 'SCREENING_PARTY_INVALID', details: { file: 'parties.jsonl', line: 3 } });
    const ok = await upload(server.url, officer, '/api/screening/batches', [{ name: 'parties.jsonl', bytes: new TextEncoder().encode(text.split('\n').slice(0, 2).join('\n')) }], { threshold: '0.9' });
    expect(ok.status).toBe(202);
    expect(ok.body).toMatchObject({ total: 2, threshold: 0.9 });

    // a batch another node is working on: its results are not there yet
    const org = (await s.database.db.selectFrom('users').select('organisation_id').where('email', '=', 'officer@aurora.example').executeTakeFirstOrThrow()).organisation_id;
    const busy = await s.database.db.transaction().execute(async (trx) => {
      const j = await submitBatch(trx, s.clock, { organisationId: org, actor: TEST_ACTOR, name: null, parties: [{ id: 'x', name: 'y' }] });
      await trx.updateTable('screening_jobs').set({ state: 'running', lease_owner: 'another-node', lease_until: '9999-01-01T00:00:00.000Z' }).where('id', '=', j.id).execute();
      return j;
    });
    const early = await officer.request<ErrorBody>('GET', `/api/screening/batches/${busy.id}/results`);
    expect([early.status, early.body.error.code]).toEqual([409, 'SCREENING_BATCH_NOT_FINISHED']);
    // and another organisation's batch does not exist for Rival
    const hidden = await rival.request<ErrorBody>('GET', `/api/screening/batches/${sub.body.id}`);
    expect([hidden.status, hidden.body.error.code]).toEqual([404, 'SCREENING_BATCH_NOT_FOUND']);
    expect((await rival.request<ErrorBody>('GET', `/api/screening/batches/${sub.body.id}/results`)).status).toBe(404);
  });

  it('goes back to an earlier version through the API and re-screens stored parties', async () => {
    const r = await admin.request<{ activated: boolean; version: { id: string; active: boolean }; rescreen_job: string }>('POST', `/api/lists/versions/${v.week1!.id}/activate`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ activated: true, version: { id: v.week1!.id, active: true } });
    await screeningJobs(s).drain();
    const jobs = await admin.request<{ jobs: Array<{ id: string; state: string; kind: string }> }>('GET', '/api/lists/rescreens');
    expect(jobs.body.jobs.find((j) => j.id === r.body.rescreen_job)!.state).toBe('done');
    expect((await officer.request('POST', `/api/lists/versions/${v.week2!.id}/activate`)).status).toBe(403);
    expect((await s.database.db.selectFrom('audit_events').select('action').where('action', '=', 'lists.version_activated').execute()).length).toBe(1);
  });
});
