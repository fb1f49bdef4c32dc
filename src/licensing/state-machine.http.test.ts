/**
 * Generated from the transition table, through real HTTP on both engines:
 * a case is put in every state of the machine in turn, and every step route
 * is called on it by a role that holds the route's permission. Where the
 * table has no transition from that state, the route refuses with
 * LICENSING_TRANSITION_NOT_ALLOWED (or 404 for a draft, which no authority
 * sees); where it has one, the refusal, if any, comes from a guard — never
 * from the table. So no route can take a transition the table does not allow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../shared/test-support/http.js';
import { licensingReference } from './reference.js';
import { STEP_TRANSITIONS } from './routes/cases.js';
import { MACHINE_SPEC } from './test-support/fixtures.js';
import { DIALECTS, openWorld, pdf, upload, type World } from './test-support/world.js';

type Err = { error?: { code: string } };
const machine = licensingReference().machine.data;
const allowedFrom = (transition: string) => new Set(machine.transitions.filter((t) => t.id === transition).flatMap((t) => t.from));

const BODIES: Record<string, unknown> = {
  return_without_action: { reasons: 'The end-use statement is unsigned.' },
  refer: { advisers: ['Ministry of Defence'] },
  ask_applicant: { question: 'Which alloys will the end user process?' },
  close_query: { reasons: 'Answered by telephone; note on file.' },
  refuse: {},
  reconsider: { reasons: 'The response resolves criterion 7.' },
  decide_appeal: { outcome: 'dismissed', reasons: 'The decision stands.' },
};

describe.each(DIALECTS)('every step route against every state on %s', (dialect) => {
  let w: World;
  let caseId: string;
  let supervisor: Client;
  let applicant: Client;

  beforeAll(async () => {
    w = await openWorld(dialect);
    supervisor = w.users.supervisor1.client;
    applicant = w.users.applicant.client;
    const created = await applicant.request<{ id: string }>('POST', '/api/applications', {
      licence_type: 'individual',
      content: {
        destinations: ['US'],
        end_use: { text: 'Production of titanium brackets for civil airliner fuselages at the end user’s plant.', domains: ['aerospace'] },
        production_volume: { parts_per_year: 4000 },
        due_diligence: { re_export_undertaking: true, accepts_post_shipment_verification: true, end_use_statement_elements: { end_user_identified: true, end_use_stated: true, items_and_quantities: true, no_re_export_commitment: true, signed_and_dated: true } },
        declaration: { accepted: true, name: 'Jonas Keller' },
      },
    });
    caseId = created.body.id;
    await applicant.request('POST', `/api/applications/${caseId}/items`, { spec: MACHINE_SPEC, quantity: 1, unit: 'pieces', value: { amount: 850000, currency: 'EUR' } });
    for (const role of ['consignee', 'end_user']) {
      await applicant.request('POST', `/api/applications/${caseId}/parties`, { role, name: 'Wichita Aero Structures LLC', country: 'US', address: '3801 S Oliver St, Wichita, KS' });
    }
    await upload(applicant, w.server.url, caseId, 'end_use_statement', 'eus.pdf', pdf('End-use statement'));
    const submitted = await applicant.request('POST', `/api/applications/${caseId}/submit`);
    expect(submitted.status).toBe(200);
  });
  afterAll(async () => {
    await w?.close();
  });

  /** Put the case in a state directly (the only write in Fabgate that bypasses the machine: this test's). */
  async function putIn(state: string): Promise<void> {
    await w.services.database.db.updateTable('licensing_applications').set({ state, previous_state: 'under_review' }).where('id', '=', caseId).execute();
  }

  const routes = [
    ...STEP_TRANSITIONS.filter((s) => s.transition !== 'countersign').map((s) => ({ who: 'authority' as const, path: s.path, transitions: [s.transition], body: BODIES[s.transition] ?? {} })),
    { who: 'authority' as const, path: '/api/cases/{id}/countersignatures', transitions: ['countersign', 'countersign_second'], body: { outcome: 'accept' } },
    { who: 'authority' as const, path: '/api/cases/{id}/countersignatures', transitions: ['reject_countersign'], body: { outcome: 'reject', reasons: 'Add a delivery verification condition.' } },
    { who: 'exporter' as const, path: '/api/applications/{id}/submit', transitions: ['submit'], body: undefined },
    { who: 'exporter' as const, path: '/api/applications/{id}/withdraw', transitions: ['withdraw'], body: {} },
    { who: 'exporter' as const, path: '/api/applications/{id}/appeal', transitions: ['appeal'], body: { grounds: 'The refusal misread the end user’s ownership structure entirely.' } },
  ];

  it.each(machine.states.map((s) => s.id))('from %s, only the transitions of the table get past the table', async (state) => {
    let checked = 0;
    for (const r of routes) {
      await putIn(state);
      const c = r.who === 'authority' ? supervisor : applicant;
      const res = await c.request<Err>('POST', r.path.replace('{id}', caseId), r.body);
      const label = `${state}: POST ${r.path} ${JSON.stringify(r.body ?? {})} → ${res.status} ${res.body?.error?.code ?? ''}`;
      const allowed = r.transitions.some((t) => allowedFrom(t).has(state));
      if (r.who === 'authority' && state === 'draft') expect(res.status, label).toBe(404);
      else if (!allowed) {
        expect(res.status, label).toBe(409);
        expect(res.body.error!.code, label).toBe('LICENSING_TRANSITION_NOT_ALLOWED');
      } else {
        expect(res.body?.error?.code, label).not.toBe('LICENSING_TRANSITION_NOT_ALLOWED');
        expect([401, 403], label).not.toContain(res.status);
      }
      checked++;
    }
    expect(checked).toBe(routes.length);
  });

  it('refuses the case officer’s own countersignature and a licensing officer’s (no cases:countersign)', async () => {
    await putIn('countersign_1');
    const officer = await w.users.officer1.client.request<Err>('POST', `/api/cases/${caseId}/countersignatures`, { outcome: 'accept' });
    expect(officer.status).toBe(403);
    expect(officer.body.error!.code).toBe('FORBIDDEN');
  });
});
