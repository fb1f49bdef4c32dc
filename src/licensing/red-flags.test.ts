import { describe, expect, it } from 'vitest';
import type { ApplicationSnapshot } from './model.js';
import { evaluateRedFlags, RED_FLAG_TESTS, type RedFlagResult } from './red-flags.js';
import { licensingReference } from './reference.js';
import { completeApplication, item, NOW, party, POWDER_SPEC } from './test-support/fixtures.js';

const run = (app: ApplicationSnapshot) => evaluateRedFlags(app, { now: NOW });
const byId = (rs: RedFlagResult[]) => new Map(rs.map((r) => [r.id, r]));
const raised = (rs: RedFlagResult[]) => rs.filter((r) => r.status === 'raised').map((r) => r.id);

describe('red flags', () => {
  it('evaluates every flag of red-flags.json with an implemented test', () => {
    const flags = licensingReference().redFlags.data.flags;
    expect(flags).toHaveLength(41);
    for (const f of flags) expect(RED_FLAG_TESTS[f.evaluation.test], f.id).toBeTypeOf('function');
    expect(run(completeApplication()).map((r) => r.id)).toEqual(flags.map((f) => f.id));
  });

  it('raises nothing for a clean, well-documented application', () => {
    expect(raised(run(completeApplication()))).toEqual([]);
  });

  it('names the fields that raised each flag', () => {
    const base = completeApplication();
    const app: ApplicationSnapshot = {
      ...base,
      content: {
        ...base.content,
        end_use: { text: 'general use', domains: ['other'] },
        commercial: { payment_terms: 'cash', payer_country: 'PA' },
        production_volume: { parts_per_year: 200, feedstock_kg_per_year: 100, machines_installed: 1 },
        due_diligence: { ...base.content.due_diligence, re_export_undertaking: false, accepts_post_shipment_verification: false, declined_installation_or_training: true, end_use_statement_elements: { end_user_identified: true, end_use_stated: true, items_and_quantities: true, no_re_export_commitment: false, signed_and_dated: true } },
      },
      items: [base.items[0]!, item('itm_powder', POWDER_SPEC, { quantity: 2500, unit: 'kg' })],
      parties: [
        party('pty_consignee', { role: 'consignee', name: 'Global Logistics Hub FZE', country: 'AE', address_type: 'free_trade_zone', business_type: 'freight_forwarder' }),
        party('pty_ic', { role: 'intermediate_consignee', name: 'Caucasus Transit LLC', country: 'GE', address: undefined, business_type: 'distributor' }),
        party('pty_end_user', { role: 'end_user', name: 'Sky Parts Trading', business_type: 'trading_house', sub_type: 'military', email: 'skyparts@gmail.com', website: undefined, established_year: 2025, registration_number: undefined }),
      ],
    };
    const rs = byId(run(app));
    expect(rs.get('BIS-RF-02')).toMatchObject({ status: 'raised', fields: ['content.end_use.text'] });
    expect(rs.get('BIS-RF-05')).toMatchObject({ status: 'raised', fields: ['content.commercial.payment_terms'] });
    expect(rs.get('BIS-RF-06')).toMatchObject({ status: 'raised', fields: ['parties[pty_end_user].established_year'] });
    expect(rs.get('BIS-RF-08')).toMatchObject({ status: 'raised', fields: ['content.due_diligence.declined_installation_or_training'] });
    expect(rs.get('BIS-RF-13')!.status).toBe('raised');
    expect(rs.get('TRISEAL-06')).toMatchObject({ status: 'raised', fields: ['content.commercial.payer_country'] });
    expect(rs.get('TRISEAL-07')).toMatchObject({ status: 'raised', fields: ['parties[pty_end_user].email'] });
    expect(rs.get('TRISEAL-11')).toMatchObject({ status: 'raised', fields: ['parties[pty_end_user].website'] });
    // Georgia is in EAR Country Group D:1 and on the way to a US end user.
    expect(rs.get('TRISEAL-12')).toMatchObject({ status: 'raised', fields: ['parties[pty_ic].country'] });
    expect(rs.get('EUICP-01')).toMatchObject({ status: 'raised', fields: ['parties[pty_end_user].business_type'] });
    expect(rs.get('EUICP-02')).toMatchObject({ status: 'raised', fields: ['parties[pty_end_user].sub_type'] });
    expect(rs.get('WA-EUC-01')).toMatchObject({ status: 'raised', fields: ['content.due_diligence.end_use_statement_elements.no_re_export_commitment'] });
    expect(rs.get('WA-EUC-02')!.status).toBe('raised');
    expect(rs.get('AM-02')!.fields).toEqual(['items[itm_powder].quantity', 'content.production_volume.feedstock_kg_per_year']);
    expect(rs.get('BIS-RF-03')!.status).toBe('not_raised');
    // The KYC guidance flag: raised flags without a recorded follow-up.
    expect(rs.get('BIS-KYC-02')).toMatchObject({ status: 'raised', fields: ['content.due_diligence.red_flag_resolutions'] });
  });

  it('clears BIS-KYC-02 once every raised flag has a recorded follow-up', () => {
    const base = completeApplication();
    const app = { ...base, content: { ...base.content, commercial: { ...base.content.commercial, payment_terms: 'cash' as const }, due_diligence: { ...base.content.due_diligence, red_flag_resolutions: [{ flag_id: 'BIS-RF-05', resolution: 'Cash deposit is the customer’s bank policy; source of funds verified by our bank.' }] } } };
    const rs = byId(run(app));
    expect(rs.get('BIS-RF-05')!.status).toBe('raised');
    expect(rs.get('BIS-KYC-02')!.status).toBe('not_raised');
  });

  it('raises a declared flag from the exporter’s own observation, and leaves undeclared ones not evaluable', () => {
    const base = completeApplication();
    const app = { ...base, content: { ...base.content, due_diligence: { ...base.content.due_diligence, observed_red_flags: [{ id: 'AM-03', note: 'Customer asked how to disable the machine’s geofencing.' }] } } };
    const rs = byId(run(app));
    expect(rs.get('AM-03')).toMatchObject({ status: 'raised', evaluation: 'declared', fields: ['content.due_diligence.observed_red_flags[0]'] });
    expect(rs.get('AM-04')).toMatchObject({ status: 'not_evaluable', evaluation: 'declared' });
  });

  it('uses fresh screening results over the party’s own', () => {
    const app = completeApplication();
    const screening = new Map([['pty_end_user', { status: 'potential_match' as const, list_version: 'v2', screened_at: NOW.toISOString(), matches: [{ list: 'UN', entity_id: '110402', matched_name: 'ABZAR BORESH KAVEH CO.', score: 0.88 }] }]]);
    const r = evaluateRedFlags(app, { now: NOW, screening }).find((x) => x.id === 'BIS-RF-01')!;
    expect(r).toMatchObject({ status: 'raised', fields: ['parties[pty_end_user].screening'] });
    expect(r.detail).toMatch(/ABZAR BORESH KAVEH/);
  });
});
