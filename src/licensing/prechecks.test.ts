import { beforeAll, describe, expect, it } from 'vitest';
import { applicationInputsDigest, runPrechecks } from './prechecks.js';
import { engineClassifier, unavailableScreener, type ItemClassifier, type PartyScreener } from './seams.js';
import { completeApplication, NOW, party } from './test-support/fixtures.js';
import { unListScreener } from './test-support/screening.js';

describe('pre-checks on the real classification engine and the UN consolidated list', () => {
  let screener: PartyScreener;
  let listVersion: string;
  const classifier = engineClassifier();
  beforeAll(async () => {
    ({ screener, listVersion } = await unListScreener());
  });

  it('classifies every item, screens every party, evaluates red flags and destination rules', async () => {
    const app = completeApplication();
    const r = await runPrechecks(app, { classifier, screener, now: NOW });
    expect(r.versions.list_version).toBe(listVersion);
    expect(r.versions.rule_sets.map((x) => x.id)).toContain('us-ear');
    expect(r.classification.find((c) => c.item_id === 'itm_machine')).toMatchObject({ status: 'controlled', controlled_by: ['US-EAR:2B910', 'EU-2021/821:2B510'], differs_from_application: true, carried_over: false });
    expect(r.screening.every((s) => s.status === 'clear' && s.list_version === listVersion)).toBe(true);
    expect(r.red_flags.filter((f) => f.status === 'raised')).toEqual([]);
    const us = r.destinations[0]!;
    expect(us).toMatchObject({ country: 'US', name: 'United States', embargoed: false });
    expect(us.groups.map((g) => g.id)).toEqual(['A:1']);
    // The classifier's destination check: the machine is controlled under 2B510, and EU001 covers the United States.
    const machine = us.findings.find((f) => f.item_id === 'itm_machine')!;
    expect(machine.regimes.find((x) => x.regime === 'EU-2021/821')!.status).toBe('general_authorisation_available');
    expect(r.flags).toEqual(expect.arrayContaining(['classification_controlled', 'classification_differs']));
    expect(r.inputs_sha256).toBe(applicationInputsDigest(app));
  });

  it('finds a party that resembles a listed entity and raises BIS-RF-01', async () => {
    const base = completeApplication();
    const app = { ...base, parties: [...base.parties, party('pty_ic', { role: 'intermediate_consignee', name: 'Abzar Boresh Kaveh Company', country: 'IR', address: 'Tehran' })] };
    const r = await runPrechecks(app, { classifier, screener, now: NOW });
    const hit = r.screening.find((s) => s.party_id === 'pty_ic')!;
    expect(['potential_match', 'strong_match']).toContain(hit.status);
    expect(hit.matches[0]!.matched_name).toMatch(/ABZAR BORESH KAVEH/);
    expect(r.red_flags.find((f) => f.id === 'BIS-RF-01')).toMatchObject({ status: 'raised', fields: ['parties[pty_ic].screening'] });
    expect(r.flags).toContain(`screening_${hit.status}`);
    expect(r.flags).toContain('red_flag:BIS-RF-01');
  });

  it('flags embargoed destinations and the absence of screening lists', async () => {
    const base = completeApplication();
    const app = { ...base, content: { ...base.content, destinations: ['SY'] } };
    const r = await runPrechecks(app, { classifier, screener: unavailableScreener, now: NOW });
    expect(r.destinations[0]).toMatchObject({ country: 'SY', embargoed: true });
    expect(r.flags).toEqual(expect.arrayContaining(['embargoed_destination', 'arms_embargoed_destination', 'screening_unavailable']));
    expect(r.screening[0]).toMatchObject({ status: 'unavailable', reason: 'no screening list is loaded' });
  });

  it('re-checks only the changed parts of an amendment', async () => {
    let classified = 0;
    let screened = 0;
    const counting: ItemClassifier = { ...classifier, classify: (spec, now) => (classified++, classifier.classify(spec, now)) };
    const countingScreener: PartyScreener = { listVersion: () => screener.listVersion(), screen: (s, now) => ((screened += s.length), screener.screen(s, now)) };
    const base = completeApplication({ kind: 'licence_amendment' });
    const app = { ...base, items: base.items.map((i) => ({ ...i, classification: { status: 'controlled' as const, controlled_by: ['US-EAR:2B910'], needs_information: [], needs_review: [], rule_sets: classifier.ruleSets(), classified_at: NOW.toISOString() } })) };
    const r = await runPrechecks(app, { classifier: counting, screener: countingScreener, now: NOW, carriedOver: { items: new Set(['itm_machine']), parties: new Set(['pty_consignee', 'pty_purchaser']) } });
    expect(classified).toBe(1);
    expect(screened).toBe(1);
    expect(r.classification.map((c) => c.carried_over)).toEqual([true, false]);
    expect(r.screening.map((s) => s.carried_over)).toEqual([true, false, true]);
    expect(r.flags).toContain('amendment');
  });

  it('changes the inputs digest when the applicant’s inputs change, not when results do', () => {
    const a = completeApplication();
    const screenedAgain = { ...a, parties: a.parties.map((p) => ({ ...p, screening: { ...p.screening!, list_version: 'other' } })) };
    const edited = { ...a, content: { ...a.content, end_use: { ...a.content.end_use, text: a.content.end_use!.text + ' Also tooling.' } } };
    expect(applicationInputsDigest(screenedAgain)).toBe(applicationInputsDigest(a));
    expect(applicationInputsDigest(edited)).not.toBe(applicationInputsDigest(a));
  });
});
