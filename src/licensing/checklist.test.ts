import { beforeAll, describe, expect, it } from 'vitest';
import { completenessChecklist, type Checklist } from './checklist.js';
import type { ApplicationSnapshot, RuleSetStamp } from './model.js';
import { licenceType } from './reference.js';
import { engineClassifier } from './seams.js';
import { completeApplication, NOW, party, POWDER_SPEC, item } from './test-support/fixtures.js';

const classifier = engineClassifier();
const ruleSets = classifier.ruleSets();
const ctx = { ruleSets, listVersion: 'test-list-v1' };

async function classified(app: ApplicationSnapshot): Promise<ApplicationSnapshot> {
  return { ...app, items: await Promise.all(app.items.map(async (i) => ({ ...i, classification: await classifier.classify(i.spec, NOW) }))) };
}
const ids = (c: Checklist, status: string) => c.entries.filter((e) => e.status === status).map((e) => e.id);

describe('completeness checklist', () => {
  let complete: ApplicationSnapshot;
  beforeAll(async () => {
    complete = await classified(completeApplication());
  });

  it('is clear for a complete individual application classified under the rule sets in force', () => {
    const c = completenessChecklist(licenceType('individual'), complete, ctx);
    expect(ids(c, 'missing')).toEqual([]);
    expect(ids(c, 'inconsistent')).toEqual([]);
    expect(c.clear).toBe(true);
    expect(ids(c, 'ok')).toEqual(expect.arrayContaining(['authority', 'items.present', 'destinations.count', 'parties.role.end_user', 'end_use.text', 'documents.end_use_statement', 'declaration']));
  });

  it('lists every missing section of an empty draft', () => {
    const empty: ApplicationSnapshot = { ...completeApplication(), authority_id: null, content: {}, items: [], parties: [], documents: [] };
    const c = completenessChecklist(licenceType('individual'), empty, ctx);
    expect(c.clear).toBe(false);
    expect(ids(c, 'missing')).toEqual([
      'authority',
      'items.present',
      'destinations.count',
      'parties.role.consignee',
      'parties.role.end_user',
      'end_use.text',
      'end_use.domains',
      'production_volume',
      'documents.end_use_statement',
      'due_diligence.re_export_undertaking',
      'due_diligence.accepts_post_shipment_verification',
      'due_diligence.end_use_statement_elements',
      'declaration',
    ]);
  });

  it('finds an item classified under an outdated rule set', () => {
    const stale: RuleSetStamp[] = ruleSets.map((r) => (r.id === 'us-ear' ? { ...r, version: '2025-01-01.1', sha256: '0'.repeat(64) } : r));
    const app = { ...complete, items: complete.items.map((i, n) => (n === 0 ? { ...i, classification: { ...i.classification!, rule_sets: stale } } : i)) };
    const c = completenessChecklist(licenceType('individual'), app, ctx);
    expect(ids(c, 'inconsistent')).toEqual(['items.itm_machine.rule_sets']);
    expect(c.entries.find((e) => e.id === 'items.itm_machine.rule_sets')!.message).toMatch(/us-ear 2025-01-01\.1 → us-ear /);
  });

  it('finds a party not screened since the last list version, and one never screened', () => {
    const app = {
      ...complete,
      parties: [
        ...complete.parties.slice(0, 2),
        party('pty_purchaser', { role: 'purchaser', name: 'Wichita Aero Structures LLC', screening: { status: 'clear', list_version: 'test-list-v0', screened_at: NOW.toISOString(), matches: [] } }),
        party('pty_agent', { role: 'third_party', name: 'Heartland Export Agents Inc.', screening: null }),
      ],
    };
    const c = completenessChecklist(licenceType('individual'), app, ctx);
    expect(ids(c, 'inconsistent')).toEqual(['parties.pty_purchaser.screening']);
    expect(ids(c, 'missing')).toEqual(['parties.pty_agent.screening']);
  });

  it('warns, without blocking, when no screening list is loaded', () => {
    const c = completenessChecklist(licenceType('individual'), complete, { ruleSets, listVersion: null });
    expect(c.clear).toBe(true);
    expect(ids(c, 'warning').filter((w) => w.startsWith('parties.'))).toEqual(complete.parties.map((p) => `parties.${p.id}.screening`));
  });

  it('finds an end user outside the destinations, a second end user and a payer who is no party', () => {
    const app = {
      ...complete,
      content: { ...complete.content, commercial: { payer_party_id: 'pty_nobody' } },
      parties: [...complete.parties, party('pty_eu2', { role: 'end_user', name: 'Aérostructures de Toulouse SAS', country: 'FR' })],
    };
    const c = completenessChecklist(licenceType('individual'), app, ctx);
    expect(ids(c, 'inconsistent').sort()).toEqual(['commercial.payer', 'parties.pty_eu2.country', 'parties.role.end_user.single']);
  });

  it('applies the rules of each licence type: EU001 destinations, the ICP of a global authorisation, no quantities on a registration', () => {
    const registration = { ...complete, licence_type: 'general_registration', parties: [], documents: [], content: { ...complete.content, destinations: ['JP', 'CN'] } };
    const r = completenessChecklist(licenceType('general_registration'), registration, ctx);
    expect(ids(r, 'inconsistent')).toEqual(['destinations.CN']);
    expect(ids(r, 'warning')).toEqual(expect.arrayContaining(['items.itm_machine.quantity']));
    const global = { ...complete, licence_type: 'global', content: { ...complete.content, destinations: ['US', 'CA'], due_diligence: { ...complete.content.due_diligence, icp_in_place: false } } };
    const g = completenessChecklist(licenceType('global'), global, ctx);
    expect(ids(g, 'inconsistent')).toContain('due_diligence.icp_in_place.required');
    expect(ids(g, 'missing')).toEqual(['documents.icp_description']);
  });

  it('checks values, validity and amendments', () => {
    const app = {
      ...complete,
      content: { ...complete.content, requested_validity_months: 72 },
      items: [...complete.items.slice(0, 1), { ...item('itm_p2', POWDER_SPEC), classification: complete.items[1]!.classification, origin_id: 'lit_powder', quantity: 10, unit: 'kg', value: { amount: 3000, currency: 'XXY' } }],
    };
    const c = completenessChecklist(licenceType('individual'), app, { ...ctx, amendment: { used: new Map([['lit_powder', 25]]), changes: 0 } });
    expect(ids(c, 'inconsistent').sort()).toEqual(['amendment.changes', 'items.itm_p2.below_used', 'items.itm_p2.value', 'validity']);
  });
});
