/**
 * The full licensing flow through real HTTP, on SQLite and PostgreSQL:
 * apply → incomplete → complete → submit → pre-checks → question → answer →
 * decision with conditions → countersign (rejected, then accepted) → licence →
 * use → amendment → expiry; and refusal after an intent to refuse → appeal →
 * outcome by a different officer. Exporter responses are checked against the
 * strict exporter schema and the list of internal fields on every step.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../shared/test-support/http.js';
import { MACHINE_SPEC, POWDER_SPEC } from './test-support/fixtures.js';
import { DIALECTS, openWorld, pdf, upload, type World } from './test-support/world.js';
import { ExporterApplicationSchema, INTERNAL_FIELDS, type CaseView, type ExporterApplication } from './presenters.js';
import type { PrecheckResult } from './prechecks.js';
import type { RiskAssessment } from './risk.js';

type Err = { error: { code: string; message: string; details?: { guard?: string; detail?: { checklist?: { entries: Array<{ id: string; status: string }> } } } } };
const DAY = 86_400_000;

/** Every key at any depth of a JSON value. */
function keysOf(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) v.forEach((x) => keysOf(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.add(k);
      keysOf(x, out);
    }
  }
  return out;
}

/** An exporter response: strictly the exporter schema, no internal field anywhere. */
function exporterOk(body: unknown): ExporterApplication {
  const leaked = [...keysOf(body)].filter((k) => (INTERNAL_FIELDS as readonly string[]).includes(k));
  expect(leaked, 'internal fields in an exporter response').toEqual([]);
  return ExporterApplicationSchema.parse(body);
}

describe.each(DIALECTS)('licensing flow on %s', (dialect) => {
  let w: World;
  let exporter: Client;
  let officer1: Client;
  let officer2: Client;
  let supervisor1: Client;
  let supervisor2: Client;
  const expReq = async <T = ExporterApplication>(method: string, path: string, body?: unknown) => exporter.request<T>(method, path, body);

  beforeAll(async () => {
    w = await openWorld(dialect);
    exporter = w.users.applicant.client;
    officer1 = w.users.officer1.client;
    officer2 = w.users.officer2.client;
    supervisor1 = w.users.supervisor1.client;
    supervisor2 = w.users.supervisor2.client;
  });
  afterAll(async () => {
    await w?.close();
  });

  /** Draft an individual application to Vietnam (space end use: high risk, one countersignature). */
  async function draftComplete(over: { destination?: string; parties?: Array<Record<string, unknown>>; domains?: string[] } = {}): Promise<string> {
    const dest = over.destination ?? 'VN';
    const created = await expReq('POST', '/api/applications', { licence_type: 'individual', content: { title: 'M400 and Ti64 powder for satellite brackets' } });
    expect(created.status).toBe(201);
    const id = exporterOk(created.body).id;
    const patch = await expReq('PATCH', `/api/applications/${id}`, {
      destinations: [dest],
      end_use: { text: 'Serial production of titanium brackets and antenna mounts for small earth-observation satellites at the end user’s Hanoi plant.', domains: over.domains ?? ['space'] },
      production_volume: { parts_per_year: 4000, feedstock_kg_per_year: 900, machines_installed: 2 },
      commercial: { payment_terms: 'letter_of_credit', delivery_terms: 'DAP Hanoi', delivery_date: '2026-07-31' },
      due_diligence: {
        re_export_undertaking: true,
        accepts_post_shipment_verification: true,
        site_visit_done: true,
        references_checked: true,
        beneficial_owners_screened: true,
        declined_installation_or_training: false,
        end_use_statement_elements: { end_user_identified: true, end_use_stated: true, items_and_quantities: true, no_re_export_commitment: true, signed_and_dated: true },
      },
      declaration: { accepted: true, name: 'Jonas Keller' },
    });
    expect(patch.status).toBe(200);
    const machine = await expReq<{ id: string; classification: { status: string; controlled_by: string[]; rule_sets: unknown[] } }>('POST', `/api/applications/${id}/items`, { spec: MACHINE_SPEC, quantity: 1, unit: 'pieces', value: { amount: 850000, currency: 'EUR' } });
    expect(machine.status).toBe(201);
    expect(machine.body.classification).toMatchObject({ status: 'controlled', controlled_by: ['US-EAR:2B910', 'EU-2021/821:2B510'] });
    expect((await expReq('POST', `/api/applications/${id}/items`, { spec: POWDER_SPEC, quantity: 400, unit: 'kg', value: { amount: 120000, currency: 'EUR' } })).status).toBe(201);
    const base = { country: dest, address: 'Lot 12, Hoa Lac Hi-Tech Park, Hanoi', address_type: 'industrial_site', sub_type: 'commercial', business_type: 'manufacturer', registration_number: 'VN-0108123456', website: 'https://hanoi-space-structures.example', established_year: 2012 };
    for (const p of over.parties ?? [
      { role: 'consignee', name: 'Hanoi Space Structures JSC', ...base },
      { role: 'end_user', name: 'Hanoi Space Structures JSC', ...base },
    ]) {
      const r = await expReq<{ screening: { status: string; list_version: string } }>('POST', `/api/applications/${id}/parties`, p);
      expect(r.status).toBe(201);
      expect(r.body.screening.list_version).toBe(w.listVersion);
    }
    const doc = await upload(exporter, w.server.url, id, 'end_use_statement', 'end-use-statement.pdf', pdf('End-use statement, Hanoi Space Structures JSC'));
    expect(doc.status).toBe(201);
    expect(doc.body).toMatchObject({ media_type: 'application/pdf', doc_type: 'end_use_statement' });
    return id;
  }

  const getCase = async (c: Client, id: string) => {
    const r = await c.request<CaseView>('GET', `/api/cases/${id}`);
    expect(r.status).toBe(200);
    return r.body;
  };
  const step = async (c: Client, id: string, path: string, body?: unknown, status = 200) => {
    const r = await c.request<CaseView & Err>('POST', `/api/cases/${id}/${path}`, body ?? {});
    expect(r.status, `${path}: ${JSON.stringify(r.body).slice(0, 400)}`).toBe(status);
    return r.body;
  };

  it('runs an approval from draft to expiry, with a question, countersigning, a licence, use and an amendment', async () => {
    /* apply: an empty draft cannot be submitted */
    const empty = await expReq('POST', '/api/applications', { licence_type: 'individual' });
    const emptyId = exporterOk(empty.body).id;
    const refused = await expReq<Err>('POST', `/api/applications/${emptyId}/submit`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('LICENSING_APPLICATION_INCOMPLETE');
    const missing = refused.body.error.details!.detail!.checklist!.entries.filter((e) => e.status === 'missing').map((e) => e.id);
    expect(missing).toEqual(expect.arrayContaining(['items.present', 'destinations.count', 'parties.role.end_user', 'documents.end_use_statement', 'declaration']));

    /* complete it */
    const id = await draftComplete();
    const checklist = await expReq<{ clear: boolean }>('GET', `/api/applications/${id}/checklist`);
    expect(checklist.body.clear).toBe(true);

    /* submit: reference, clock, pre-checks, risk, routing */
    const submitted = exporterOk((await expReq('POST', `/api/applications/${id}/submit`)).body);
    expect(submitted).toMatchObject({ status: 'received', reference: 'IEL/2026/0000001', editable: false, checklist: null });
    expect(submitted.clock).toMatchObject({ status: 'running', days_used: 0, target: { id: 'UK-SLA-STD-20', days: 20, day_type: 'working' } });

    const queues = await officer1.request<{ queues: Array<{ id: string; open: number }> }>('GET', '/api/queues');
    expect(queues.body.queues.find((q) => q.id === 'registration')!.open).toBe(1);
    const listed = await officer1.request<{ cases: Array<{ id: string; queue: string }> }>('GET', '/api/cases?queue=registration');
    expect(listed.body.cases.map((c) => c.id)).toEqual([id]);

    let k = await getCase(officer1, id);
    const pre = (k.prechecks.latest as PrecheckResult)!;
    expect(pre.classification.find((c) => c.kind === 'am_machine')!.controlled_by).toEqual(['US-EAR:2B910', 'EU-2021/821:2B510']);
    expect(pre.screening.every((s) => s.status === 'clear')).toBe(true);
    expect(pre.destinations[0]!.groups.map((g) => g.id)).toEqual(['D:1']);
    expect(k.flags.map((f) => f.flag)).toEqual(expect.arrayContaining(['classification_controlled', 'national_security_destination']));
    const risk = k.risk as RiskAssessment;
    expect(risk.band).toBe('high');
    expect(risk.countersignatures_required).toBe(1);
    expect(risk.contributions.find((c) => c.indicator === 'destination')).toMatchObject({ points: 20, observed: 'VN is in Country Group D:1 (National Security concern)' });
    expect(k.routing.history.map((r) => [r.queue, r.rule_id, r.rules_version])).toEqual([['registration', 'registration', '2026-03-01.1']]);

    /* register and review */
    k = await step(officer1, id, 'register');
    expect(k.queue).toBe('high-risk');
    expect((k.routing.current as { summary: string }).summary).toBe('Rule high-risk (tier 7) placed the case in high-risk: risk band in: high.');
    k = await step(officer1, id, 'review');
    expect(k).toMatchObject({ state: 'under_review', case_officer_id: w.users.officer1.userId });
    await officer1.request('POST', `/api/cases/${id}/notes`, { body: 'Hoa Lac park is a civil tech park; check the ownership of the end user.' });

    /* three working days later the officer asks a question: the clock pauses */
    await w.advance(3 * DAY + 8 * 3600_000); // Thursday 17:00 UTC, before the cut-off
    k = await step(officer1, id, 'queries', { question: 'Who owns Hanoi Space Structures JSC, and does it supply any military programme?' });
    expect(k.state).toBe('awaiting_applicant');
    let mine = exporterOk((await expReq('GET', `/api/applications/${id}`)).body);
    expect(mine.status).toBe('awaiting_your_response');
    expect(mine.clock).toMatchObject({ status: 'paused', days_used: 3 });
    expect(mine.queries[0]!.question).toMatch(/Who owns/);
    expect(mine.editable).toBe(true);

    /* a week later the exporter edits its answer's evidence and answers: the clock resumes, pre-checks re-run */
    await w.advance(7 * DAY);
    expect((await expReq('PATCH', `/api/applications/${id}`, { due_diligence: { ...mine.content.due_diligence, remarks: 'Ownership: 100% Vietnam Academy of Science spin-off, civil only (registry extract attached).' } })).status).toBe(200);
    const answered = await expReq('POST', `/api/applications/${id}/queries/${mine.queries[0]!.id}/answer`, { answer: 'Owned by its founders (registry extract uploaded); no military customers.' });
    mine = exporterOk(answered.body);
    expect(mine.status).toBe('under_review');
    expect(mine.clock).toMatchObject({ status: 'running', days_used: 3 });
    expect(mine.clock!.pauses).toHaveLength(1);
    k = await getCase(officer1, id);
    expect(k.prechecks.runs).toBe(2);
    expect(k.prechecks.current).toBe(true);

    /* final review: an approval with conditions, first rejected by the countersigner */
    await step(officer1, id, 'final-review');
    const proposal = { kind: 'approve', reasons: 'Civil space end use, verified end user, end-use statement complete.', conditions: [{ id: 'no_re_export' }, { id: 'post_shipment_verification' }, { text: 'The machine shall be installed only at Lot 12, Hoa Lac Hi-Tech Park.' }] };
    expect((await officer1.request('PUT', `/api/cases/${id}/proposal`, proposal)).status).toBe(200);
    const early = await officer1.request<Err>('POST', `/api/cases/${id}/approve`, {});
    expect([early.status, early.body.error.code]).toEqual([409, 'LICENSING_COUNTERSIGNATURES_MISSING']);
    await step(officer1, id, 'countersign-request');
    expect((await officer1.request<Err>('POST', `/api/cases/${id}/countersignatures`, { outcome: 'accept' })).status).toBe(403);
    k = await step(supervisor1, id, 'countersignatures', { outcome: 'reject', reasons: 'Add a condition on delivery verification before I countersign.' });
    expect(k.state).toBe('final_review');
    expect((await officer1.request('PUT', `/api/cases/${id}/proposal`, { ...proposal, conditions: [...proposal.conditions, { id: 'usage_reporting' }] })).status).toBe(200);
    await step(officer1, id, 'countersign-request');
    k = await step(supervisor1, id, 'countersignatures', { outcome: 'accept', reasons: 'Conditions sufficient.' });
    expect(k.state).toBe('countersign_1');

    /* the decision: licence issued, decisive events logged, clock stopped */
    await w.advance(DAY);
    k = await step(officer1, id, 'approve');
    expect(k.state).toBe('decided_approved');
    expect(k.decisions[0]).toMatchObject({ kind: 'approved', decided_by: w.users.officer1.userId, countersigned_by: [w.users.supervisor1.userId] });
    mine = exporterOk((await expReq('GET', `/api/applications/${id}`)).body);
    expect(mine.status).toBe('approved');
    expect(mine.decisions[0]!.conditions.map((c) => c.id)).toEqual(['no_re_export', 'post_shipment_verification', null, 'usage_reporting']);
    expect(mine.clock).toMatchObject({ status: 'stopped', met: true });
    expect(mine.licence!.reference).toBe('IEL/2026/0000001/A');
    // the exporter's history shows its statuses, not the referral or countersigning steps
    expect(mine.history.filter((h) => h.status).map((h) => h.status)).toEqual(['received', 'under_review', 'awaiting_your_response', 'under_review', 'approved']);
    const logged = await w.services.database.db.selectFrom('ledger_events').select(['event_type', 'record_type']).orderBy('seq').execute();
    expect(logged).toEqual([
      { event_type: 'licence.issued', record_type: 'licence' },
      { event_type: 'licensing.case_decided', record_type: 'licensing_decision' },
    ]);

    /* the licence: use it, never beyond its balance */
    const licenceId = mine.licence!.id;
    type Lic = { status: string; valid_to: string; items: Array<{ id: string; origin_item_id: string; granted: number; remaining: number; name: string }>; version: number; reference: string };
    let lic = (await expReq<Lic>('GET', `/api/licences/${licenceId}`)).body;
    expect(lic.status).toBe('active');
    const powder = lic.items.find((i) => i.name.startsWith('Ti-6Al-4V'))!;
    expect((await expReq<{ remaining: number }>('POST', `/api/licences/${licenceId}/usage`, { item: powder.id, quantity: 100, reason: 'shipment', reference: 'AWB 176-12345675' })).body.remaining).toBe(300);
    const dup = await expReq<Err>('POST', `/api/licences/${licenceId}/usage`, { item: powder.id, quantity: 1, reason: 'shipment', reference: 'AWB 176-12345675' });
    expect([dup.status, dup.body.error.code]).toEqual([409, 'LICENSING_DEPLETION_DUPLICATE']);
    const over = await expReq<Err>('POST', `/api/licences/${licenceId}/usage`, { item: powder.origin_item_id, quantity: 300.5, reason: 'shipment' });
    expect([over.status, over.body.error.code]).toEqual([409, 'LICENSING_BALANCE_EXCEEDED']);

    /* amend the licence: more powder, longer validity */
    const amendDraft = exporterOk((await expReq('POST', `/api/licences/${licenceId}/amendments`)).body);
    expect(amendDraft).toMatchObject({ kind: 'licence_amendment', status: 'draft' });
    const amendId = amendDraft.id;
    const aPowder = amendDraft.items.find((i) => i.origin_id === powder.id)!;
    expect(aPowder.quantity).toBe(400);
    expect((await expReq('PATCH', `/api/applications/${amendId}/items/${aPowder.id}`, { quantity: 600 })).status).toBe(200);
    expect((await expReq('PATCH', `/api/applications/${amendId}`, { requested_valid_to: '2028-12-31', declaration: { accepted: true, name: 'Jonas Keller' } })).status).toBe(200);
    const amended = exporterOk((await expReq('POST', `/api/applications/${amendId}/submit`)).body);
    expect(amended.reference).toBe('IEL/2026/0000002');
    expect(amended.amendment!.diff.changes.map((c) => c.label)).toEqual([`“${aPowder.name}”: quantity changed`, `validity ${lic.valid_to} → 2028-12-31T00:00:00.000Z`]);
    k = await getCase(officer2, amendId);
    const apre = k.prechecks.latest as PrecheckResult;
    expect(apre.classification.map((c) => [c.kind, c.carried_over])).toEqual([['am_machine', true], ['metal_powder', false]]);
    expect(apre.screening.every((s) => s.carried_over)).toBe(true);
    await step(officer2, amendId, 'register');
    await step(officer2, amendId, 'review');
    await step(officer2, amendId, 'final-review');
    expect((await officer2.request('PUT', `/api/cases/${amendId}/proposal`, { kind: 'approve', reasons: 'Quantity increase consistent with the declared production.', conditions: [{ id: 'no_re_export' }, { id: 'usage_reporting' }] })).status).toBe(200);
    if (k.countersignatures_required > 0) {
      await step(officer2, amendId, 'countersign-request');
      await step(supervisor2, amendId, 'countersignatures', { outcome: 'accept' });
    }
    await step(officer2, amendId, 'approve');
    lic = (await expReq<Lic>('GET', `/api/licences/${licenceId}`)).body;
    expect(lic).toMatchObject({ version: 2, reference: 'IEL/2026/0000001/B', valid_to: '2028-12-31T00:00:00.000Z' });
    expect(lic.items.find((i) => i.id === powder.id)).toMatchObject({ granted: 600, remaining: 500 });

    /* expiry: on time, without anyone acting */
    // The exporter's ERP reads the register with an API token (a session cannot be set this far ahead of the real clock).
    const erp = w.exporterToken;
    await w.setClock('2028-12-30T23:59:59.999Z', { signIn: false });
    expect((await erp.request<Lic>('GET', `/api/licences/${licenceId}`)).body.status).toBe('active');
    await w.setClock('2028-12-31T00:00:00.000Z', { signIn: false });
    lic = (await erp.request<Lic>('GET', `/api/licences/${licenceId}`)).body;
    expect(lic.status).toBe('expired');
    const late = await erp.request<Err>('POST', `/api/licences/${licenceId}/usage`, { item: powder.id, quantity: 1, reason: 'shipment' });
    expect([late.status, late.body.error.code]).toEqual([409, 'LICENSING_LICENCE_NOT_ACTIVE']);
    const expired = await erp.request<{ licences: Array<{ id: string }> }>('GET', '/api/licences?status=expired');
    expect(expired.body.licences.map((l) => l.id)).toContain(licenceId);
    expect((await erp.request<{ licences: unknown[] }>('GET', '/api/licences?status=active')).body.licences).toHaveLength(0);
  });

  it('refuses after an intent to refuse, hears the appeal by another officer, and keeps the clocks apart', async () => {
    await w.setClock('2026-05-04T08:00:00.000Z'); // a Monday, and the Early May bank holiday in England
    const listedParty = { role: 'intermediate_consignee', name: 'Abzar Boresh Kaveh Company', country: 'IR', address: 'Tehran', address_type: 'business_premises', business_type: 'distributor', website: 'https://abzar.example', registration_number: 'IR-10101' };
    const base = { country: 'AE', address: 'Plot S30504, Jebel Ali Free Zone South', address_type: 'industrial_site', sub_type: 'commercial', business_type: 'manufacturer', registration_number: 'JAFZA-114455', website: 'https://gulf-precision.example', established_year: 2015 };
    const id = await draftComplete({
      destination: 'AE',
      domains: ['aerospace'],
      parties: [{ role: 'consignee', name: 'Gulf Precision Aerospace FZE', ...base }, { role: 'end_user', name: 'Gulf Precision Aerospace FZE', ...base }, listedParty],
    });
    const draft = exporterOk((await expReq('GET', `/api/applications/${id}`)).body);
    const hit = draft.parties.find((p) => p.role === 'intermediate_consignee')!;
    expect(['potential_match', 'strong_match']).toContain(hit.screening!.status);
    expect(draft.checklist!.entries.find((e) => e.id === `parties.${hit.id}.screening`)!.status).toBe('warning');
    const submitted = exporterOk((await expReq('POST', `/api/applications/${id}/submit`)).body);
    // Submitted on a bank holiday: the first counted day is Tuesday.
    await w.setClock('2026-05-05T16:59:00.000Z');
    expect(exporterOk((await expReq('GET', `/api/applications/${id}`)).body).clock!.days_used).toBe(0);
    await w.setClock('2026-05-05T17:00:00.000Z');
    expect(exporterOk((await expReq('GET', `/api/applications/${id}`)).body).clock!.days_used).toBe(1);

    let k = await getCase(officer1, id);
    expect(k.flags.map((f) => f.flag)).toEqual(expect.arrayContaining([`screening_${hit.screening!.status}`, 'red_flag:BIS-RF-01']));
    expect(k.queue).toBe('registration');
    k = await step(officer1, id, 'register');
    expect(k.queue).toBe('screening-review');
    await step(officer1, id, 'review');
    await step(officer1, id, 'final-review');
    const criteria = [
      { criterion: '7', target: 'party', target_id: hit.id, explanation: 'The intermediate consignee matches a UN-listed entity involved in centrifuge component production.' },
      { criterion: 'WMD', target: 'destination', target_id: 'AE', explanation: 'Routing via Jebel Ali to an Iranian intermediary creates a risk of diversion to a WMD programme.' },
    ];
    const prop = await officer1.request<Err>('PUT', `/api/cases/${id}/proposal`, { kind: 'refuse', reasons: 'Unacceptable risk of diversion.', refusal_criteria: criteria });
    expect(prop.status).toBe(200);
    const direct = await officer1.request<Err>('POST', `/api/cases/${id}/refuse`, {});
    expect([direct.status, direct.body.error.code]).toEqual([409, 'LICENSING_TRANSITION_NOT_ALLOWED']);
    k = await getCase(officer1, id);
    await step(officer1, id, 'countersign-request');
    await step(supervisor1, id, 'countersignatures', { outcome: 'accept' });
    if (k.countersignatures_required === 2) {
      const same = await supervisor1.request<Err>('POST', `/api/cases/${id}/countersignatures`, { outcome: 'accept' });
      expect([same.status, same.body.error.code]).toEqual([409, 'LICENSING_SAME_PERSON']);
      await step(supervisor2, id, 'countersignatures', { outcome: 'accept' });
    }

    /* intent to refuse: the applicant sees the criteria and may respond; the clock pauses */
    k = await step(officer1, id, 'intent-to-refuse');
    expect(k.state).toBe('intent_to_refuse');
    let mine = exporterOk((await expReq('GET', `/api/applications/${id}`)).body);
    expect(mine.status).toBe('intent_to_refuse');
    expect(mine.intent!.criteria.map((c) => c.criterion)).toEqual(['7', 'WMD']);
    expect(mine.clock!.status).toBe('paused');
    const early = await officer1.request<Err>('POST', `/api/cases/${id}/refuse`, {});
    expect([early.status, early.body.error.code]).toEqual([409, 'LICENSING_INTENT_WINDOW_OPEN']);
    expect((await expReq('POST', `/api/applications/${id}/intent-response`, { response: 'The intermediary is a different company of similar name; we will ship directly to Jebel Ali.' })).status).toBe(200);
    k = await step(officer1, id, 'refuse', { reasons: 'A name variant of the listed entity with the same address pattern; the response does not remove the risk.' });
    expect(k.state).toBe('decided_refused');
    mine = exporterOk((await expReq('GET', `/api/applications/${id}`)).body);
    expect(mine.status).toBe('refused');
    expect(mine.decisions[0]).toMatchObject({ kind: 'refused', refusal_criteria: criteria.map((c) => ({ ...c })) });
    expect(mine.decisions[0]!.reasons).toMatch(/On the applicant’s response/);
    const deadline = mine.decisions[0]!.appeal_deadline!;
    expect(Date.parse(deadline) - w.services.clock.now().getTime()).toBeGreaterThan(27 * DAY);
    const caseDays = mine.clock!.days_used;

    /* appeal with grounds and a document; decided by a different officer */
    await w.advance(10 * DAY);
    const grounds = await upload(exporter, w.server.url, id, 'appeal_grounds', 'grounds.txt', new TextEncoder().encode('Registry extracts show Abzar Boresh Kaveh Company (Tehran) is unrelated to the listed entity.\n'), { context: 'appeal' });
    expect(grounds.status).toBe(201);
    mine = exporterOk((await expReq('POST', `/api/applications/${id}/appeal`, { grounds: 'The refusal confuses our intermediary with a listed entity; see the registry extracts.', document_ids: [grounds.body.id] })).body);
    expect(mine.status).toBe('under_appeal');
    expect(mine.appeal_clock).toMatchObject({ status: 'running', days_used: 0, target: { id: 'UK-APPEAL-HIST-30', days: 30 } });
    expect(mine.clock!.days_used).toBe(caseDays);
    k = await getCase(officer2, id);
    expect(k.queue).toBe('appeals');
    const self = await officer1.request<Err>('POST', `/api/cases/${id}/appeal-decision`, { outcome: 'dismissed', reasons: 'The match stands.' });
    expect([self.status, self.body.error.code]).toEqual([409, 'LICENSING_SAME_DECIDER']);
    await w.advance(5 * DAY);
    k = await step(officer2, id, 'appeal-decision', { outcome: 'dismissed', reasons: 'The extracts do not show a different company; the listed entity uses this name variant.' });
    expect(k.state).toBe('appeal_decided');
    mine = exporterOk((await expReq('GET', `/api/applications/${id}`)).body);
    expect(mine.status).toBe('appeal_decided');
    expect(mine.appeal).toMatchObject({ outcome: 'dismissed', reasons: expect.stringMatching(/name variant/) });
    expect(mine.appeal_clock).toMatchObject({ status: 'stopped', met: true });
    expect(mine.appeal_clock!.days_used).toBeGreaterThan(0);
    expect(mine.clock!.days_used).toBe(caseDays);
    expect(mine.decisions.map((d) => d.kind)).toEqual(['refused', 'appeal_dismissed']);
    expect(submitted.reference).toMatch(/^IEL\/2026\/\d{7}$/);
  });

  it('keeps organisations apart: another exporter gets 404, authorities see no drafts', async () => {
    const id = exporterOk((await expReq('POST', '/api/applications', { licence_type: 'global' })).body).id;
    const other = w.users.other.client;
    for (const [m, p] of [
      ['GET', `/api/applications/${id}`],
      ['PATCH', `/api/applications/${id}`],
      ['POST', `/api/applications/${id}/submit`],
      ['GET', `/api/applications/${id}/checklist`],
    ] as const) {
      const r = await other.request<Err>(m, p, m === 'GET' ? undefined : {});
      expect(r.status, `${m} ${p}`).toBe(404);
    }
    expect((await other.request<{ applications: unknown[] }>('GET', '/api/applications')).body.applications).toHaveLength(0);
    const draftAsCase = await officer1.request<Err>('GET', `/api/cases/${id}`);
    expect([draftAsCase.status, draftAsCase.body.error.code]).toEqual([404, 'LICENSING_CASE_NOT_FOUND']);
    const lics = await other.request<{ licences: unknown[] }>('GET', '/api/licences');
    expect(lics.body.licences).toHaveLength(0);
  });
});
