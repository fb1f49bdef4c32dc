/**
 * The other paths of case work through real HTTP, on both engines: referral
 * to advisory bodies (silence after the deadline counts as no objection),
 * blocking flags and their clearance, "no licence required", returning and
 * withdrawing, amending a case under review (the original is superseded),
 * and an appeal against conditions that varies them — or that comes too late.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../shared/test-support/http.js';
import { ExporterApplicationSchema, type CaseView, type ExporterApplication } from './presenters.js';
import { MACHINE_SPEC } from './test-support/fixtures.js';
import { DIALECTS, openWorld, pdf, upload, type World } from './test-support/world.js';
import { configureLicensing, unavailableScreener, type LicensingSeams } from './seams.js';

type Err = { error: { code: string; details?: unknown } };
const DAY = 86_400_000;

describe.each(DIALECTS)('case work on %s', (dialect) => {
  let w: World;
  let applicant: Client;
  let officer: Client;
  let officer2: Client;
  let supervisor: Client;

  beforeAll(async () => {
    w = await openWorld(dialect);
    applicant = w.users.applicant.client;
    officer = w.users.officer1.client;
    officer2 = w.users.officer2.client;
    supervisor = w.users.supervisor1.client;
  });
  afterAll(async () => {
    await w?.close();
  });

  /** A complete individual application to the US, submitted; returns its id. */
  async function submitted(title: string, submit = true): Promise<string> {
    const created = await applicant.request<ExporterApplication>('POST', '/api/applications', {
      licence_type: 'individual',
      content: {
        title,
        destinations: ['US'],
        end_use: { text: 'Production of titanium brackets for civil airliner fuselages at the end user’s Wichita plant.', domains: ['aerospace'] },
        production_volume: { parts_per_year: 4000 },
        commercial: { payment_terms: 'letter_of_credit', delivery_terms: 'DAP Wichita, KS' },
        due_diligence: {
          re_export_undertaking: true,
          accepts_post_shipment_verification: true,
          end_use_statement_elements: { end_user_identified: true, end_use_stated: true, items_and_quantities: true, no_re_export_commitment: true, signed_and_dated: true },
        },
        declaration: { accepted: true, name: 'Jonas Keller' },
      },
    });
    const id = created.body.id;
    await applicant.request('POST', `/api/applications/${id}/items`, { spec: MACHINE_SPEC, quantity: 1, unit: 'pieces', value: { amount: 850000, currency: 'EUR' } });
    for (const role of ['consignee', 'end_user']) {
      await applicant.request('POST', `/api/applications/${id}/parties`, { role, name: 'Wichita Aero Structures LLC', country: 'US', address: '3801 S Oliver St, Wichita, KS', website: 'https://wichita-aero.example', registration_number: 'KS-5511-2009' });
    }
    await upload(applicant, w.server.url, id, 'end_use_statement', 'eus.pdf', pdf('End-use statement'));
    if (submit) expect((await applicant.request('POST', `/api/applications/${id}/submit`)).status).toBe(200);
    return id;
  }
  const step = async (c: Client, id: string, path: string, body: unknown = {}, status = 200) => {
    const r = await c.request<CaseView & Err>('POST', `/api/cases/${id}/${path}`, body);
    expect(r.status, `${path}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(status);
    return r.body;
  };

  it('refers a case, waits for advice, and counts silence after 30 days as no objection', async () => {
    const id = await submitted('Referral');
    await step(officer, id, 'register');
    await step(officer, id, 'review');
    let k = await step(officer, id, 'referrals', { advisers: ['Ministry of Defence', 'Foreign Office'] });
    expect(k.state).toBe('referred');
    const refs = k.referrals as Array<{ id: string; adviser: string; deadline: string }>;
    expect(refs.map((r) => r.adviser)).toEqual(['Ministry of Defence', 'Foreign Office']);
    expect((await officer.request('POST', `/api/cases/${id}/referrals/${refs[0]!.id}/advice`, { advice_kind: 'no_objection', advice: 'No defence concern.' })).status).toBe(200);
    const early = await officer.request<Err>('POST', `/api/cases/${id}/consolidate`, {});
    expect([early.status, early.body.error.code]).toEqual([409, 'LICENSING_ADVICE_OUTSTANDING']);
    await w.setClock(new Date(Date.parse(refs[1]!.deadline) + 1000));
    k = await step(officer, id, 'consolidate');
    expect(k.state).toBe('consolidation');
    k = await step(officer, id, 'final-review');
    expect(k.state).toBe('final_review');
    // The exporter saw "under review" throughout: referral is internal.
    const mine = ExporterApplicationSchema.parse((await applicant.request('GET', `/api/applications/${id}`)).body);
    expect(mine.status).toBe('under_review');
    expect(mine.history.some((h) => /refer/i.test(h.summary))).toBe(false);
  });

  it('blocks approval while no screening list was available, until an officer clears the flag with reasons', async () => {
    const previous: LicensingSeams = configureLicensing({ screener: unavailableScreener });
    try {
      const id = await submitted('No lists');
      let k: CaseView = await step(officer, id, 'register');
      expect(k.queue).toBe('screening-review');
      await step(officer, id, 'review');
      await step(officer, id, 'final-review');
      expect((await officer.request('PUT', `/api/cases/${id}/proposal`, { kind: 'approve', reasons: 'Civil end use, verified end user.' })).status).toBe(200);
      k = (await officer.request<CaseView>('GET', `/api/cases/${id}`)).body;
      if (k.countersignatures_required > 0) {
        await step(officer, id, 'countersign-request');
        await step(supervisor, id, 'countersignatures', { outcome: 'accept' });
      }
      const blocked = await officer.request<Err>('POST', `/api/cases/${id}/approve`, {});
      expect([blocked.status, blocked.body.error.code]).toEqual([409, 'LICENSING_BLOCKING_FLAGS']);
      const notClearable = await officer.request<Err>('POST', `/api/cases/${id}/flags/classification_controlled/clear`, { reasons: 'It is controlled, that is why we license it.' });
      expect([notClearable.status, notClearable.body.error.code]).toEqual([409, 'LICENSING_FLAG_NOT_CLEARABLE']);
      k = (await officer.request<CaseView>('POST', `/api/cases/${id}/flags/screening_unavailable/clear`, { reasons: 'Screened by hand against the UN consolidated list of 29 Oct 2018: no match.' })).body;
      expect(k.flags.find((f) => f.flag === 'screening_unavailable')).toMatchObject({ blocking: false, cleared: { by: w.users.officer1.userId } });
      k = await step(officer, id, 'approve');
      expect(k.state).toBe('decided_approved');
    } finally {
      configureLicensing(previous);
    }
  });

  it('decides that no licence is required, returns a deficient case, and lets the exporter withdraw', async () => {
    const nlr = await submitted('NLR');
    await step(officer, nlr, 'register');
    await step(officer, nlr, 'review');
    await step(officer, nlr, 'final-review');
    expect((await officer.request('PUT', `/api/cases/${nlr}/proposal`, { kind: 'no_licence_required', reasons: 'EU001 covers this export to the United States.' })).status).toBe(200);
    const k0 = (await officer.request<CaseView>('GET', `/api/cases/${nlr}`)).body;
    if (k0.countersignatures_required > 0) {
      await step(officer, nlr, 'countersign-request');
      await step(supervisor, nlr, 'countersignatures', { outcome: 'accept' });
    }
    expect((await step(officer, nlr, 'no-licence-required')).state).toBe('decided_no_licence_required');
    const mine = ExporterApplicationSchema.parse((await applicant.request('GET', `/api/applications/${nlr}`)).body);
    expect(mine).toMatchObject({ status: 'no_licence_required', licence: null });
    expect(mine.decisions[0]).toMatchObject({ kind: 'no_licence_required', appeal_deadline: null });

    const ret = await submitted('Return');
    const missingReasons = await officer.request<Err>('POST', `/api/cases/${ret}/return`, { reasons: '' });
    expect(missingReasons.status).toBe(400);
    expect((await step(officer, ret, 'return', { reasons: 'The end-use statement is not signed.' })).state).toBe('returned_without_action');
    const wd = await submitted('Withdraw');
    const r = await applicant.request<ExporterApplication>('POST', `/api/applications/${wd}/withdraw`, { reasons: 'The order was cancelled.' });
    expect(r.body.status).toBe('withdrawn');
    expect(r.body.clock!.status).toBe('stopped');
  });

  it('amends a case under review: the amendment shows its diff and supersedes the original when submitted', async () => {
    const original = await submitted('Original');
    await step(officer, original, 'register');
    const draft = await applicant.request<ExporterApplication>('POST', `/api/applications/${original}/amendments`);
    expect(draft.status).toBe(201);
    expect(draft.body).toMatchObject({ kind: 'case_amendment', status: 'draft' });
    const amendId = draft.body.id;
    const item = draft.body.items[0]!;
    expect((await applicant.request('PATCH', `/api/applications/${amendId}/items/${item.id}`, { quantity: 3 })).status).toBe(200);
    expect((await applicant.request('PATCH', `/api/applications/${amendId}`, { declaration: { accepted: true, name: 'Jonas Keller' } })).status).toBe(200);
    const sub = await applicant.request<ExporterApplication>('POST', `/api/applications/${amendId}/submit`);
    expect(sub.status).toBe(200);
    expect(sub.body.amendment!.diff.changes.map((c) => c.label)).toEqual([`“${item.name}”: quantity changed`]);
    const old = ExporterApplicationSchema.parse((await applicant.request('GET', `/api/applications/${original}`)).body);
    expect(old.status).toBe('superseded');
    expect(old.clock!.status).toBe('stopped');
    const k = (await officer.request<CaseView>('GET', `/api/cases/${amendId}`)).body;
    expect(k.flags.map((f) => f.flag)).toContain('amendment');
    const pre = k.prechecks.latest as { classification: Array<{ carried_over: boolean }>; screening: Array<{ carried_over: boolean }> };
    expect(pre.classification.map((c) => c.carried_over)).toEqual([false]);
    expect(pre.screening.map((s) => s.carried_over)).toEqual([true, true]);
    const again = await applicant.request<Err>('POST', `/api/applications/${original}/amendments`);
    expect([again.status, again.body.error.code]).toEqual([409, 'LICENSING_NOT_AMENDABLE']);
  });

  it('hears an appeal against conditions and varies them; a late appeal is refused', async () => {
    const id = await submitted('Conditions');
    await step(officer, id, 'register');
    await step(officer, id, 'review');
    await step(officer, id, 'final-review');
    expect((await officer.request('PUT', `/api/cases/${id}/proposal`, { kind: 'approve', reasons: 'Approved with reporting duties.', conditions: [{ id: 'no_re_export' }, { text: 'Report every build job to the authority weekly.' }] })).status).toBe(200);
    const k0 = (await officer.request<CaseView>('GET', `/api/cases/${id}`)).body;
    if (k0.countersignatures_required > 0) {
      await step(officer, id, 'countersign-request');
      await step(supervisor, id, 'countersignatures', { outcome: 'accept' });
    }
    await step(officer, id, 'approve');
    let mine = ExporterApplicationSchema.parse((await applicant.request('GET', `/api/applications/${id}`)).body);
    expect(mine.appeal_deadline).not.toBeNull();
    const filed = await applicant.request<ExporterApplication>('POST', `/api/applications/${id}/appeal`, { grounds: 'A weekly report of every build job is disproportionate for a civil series production.' });
    expect(filed.body.status).toBe('under_appeal');
    const wrong = await officer2.request<Err>('POST', `/api/cases/${id}/appeal-decision`, { outcome: 'allowed', reasons: 'Allowed.' });
    expect([wrong.status, wrong.body.error.code]).toEqual([400, 'LICENSING_APPEAL_OUTCOME_INVALID']);
    await step(officer2, id, 'appeal-decision', { outcome: 'conditions_varied', reasons: 'A quarterly usage report is enough.', conditions: [{ id: 'no_re_export' }, { id: 'usage_reporting' }] });
    mine = ExporterApplicationSchema.parse((await applicant.request('GET', `/api/applications/${id}`)).body);
    expect(mine.appeal).toMatchObject({ outcome: 'conditions_varied' });
    const lic = await applicant.request<{ version: number; reference: string; conditions: Array<{ id: string | null }> }>('GET', `/api/licences/${mine.licence!.id}`);
    expect(lic.body).toMatchObject({ version: 2 });
    expect(lic.body.reference).toMatch(/\/B$/);
    expect(lic.body.conditions.map((c) => c.id)).toEqual(['no_re_export', 'usage_reporting']);

    // A refusal appealed after its 28 days is refused.
    const late = await submitted('Late appeal');
    await step(officer, late, 'register');
    await step(officer, late, 'review');
    await step(officer, late, 'final-review');
    expect((await officer.request('PUT', `/api/cases/${late}/proposal`, { kind: 'refuse', reasons: 'Diversion risk.', refusal_criteria: [{ criterion: '7', target: 'application', explanation: 'The end user could not be verified.' }] })).status).toBe(200);
    const k1 = (await officer.request<CaseView>('GET', `/api/cases/${late}`)).body;
    if (k1.countersignatures_required > 0) {
      await step(officer, late, 'countersign-request');
      await step(supervisor, late, 'countersignatures', { outcome: 'accept' });
    }
    await step(officer, late, 'intent-to-refuse');
    await w.advance(21 * DAY);
    await step(officer, late, 'refuse');
    await w.advance(29 * DAY);
    const tooLate = await applicant.request<Err>('POST', `/api/applications/${late}/appeal`, { grounds: 'We only now found the registry extract showing the end user exists.' });
    expect([tooLate.status, tooLate.body.error.code]).toEqual([409, 'LICENSING_APPEAL_WINDOW_CLOSED']);
  });
});
