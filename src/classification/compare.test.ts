import { describe, expect, it } from 'vitest';
import { compareClassification, entryFamilies, harmonisationReport } from './compare.js';
import { classify } from './evaluate.js';
import { defaultEngine } from './rules/index.js';
import { machine, powder } from './test-support/items.js';

const engine = defaultEngine();

describe('harmonisation report over all rules', () => {
  const report = harmonisationReport(engine);
  const family = (key: string) => report.families.find((f) => f.family.includes(key))!;

  it('groups the metal-AM controls of the US, the EU, the UK and the Canadian proposal', () => {
    expect(family('US-EAR:2B910').family).toEqual(['CA-ECL:proposed-metal-AM', 'EU-2021/821:2B510', 'UK-ECO2008:PL9015', 'US-EAR:2B910']);
    expect(family('US-EAR:2B910').regimes_without_entry).toContain('Wassenaar');
    expect(family('WA-DU:9B001.c').source_remarks.join(' ')).toMatch(/NOT in the Wassenaar list/);
  });

  it('EU 1C513 has no counterpart (the source says: no US CCL equivalent)', () => {
    expect(report.single_regime).toContainEqual(['EU-2021/821:1C513']);
    expect(family('EU-2021/821:1C513').source_remarks.join(' ')).toMatch(/no US CCL equivalent/);
  });

  it('US and EU 1C002 differ on the production processes (ultrasonic atomisation)', () => {
    const d = family('US-EAR:1C002').differences.find((x) => x.parameter === 'material.production_process')!;
    expect(d).toBeDefined();
    expect(JSON.stringify(d.by_entry['EU-2021/821:1C002'])).toContain('ultrasonic_atomisation');
    expect(JSON.stringify(d.by_entry['US-EAR:1C002'])).not.toContain('ultrasonic_atomisation');
  });

  it('US 2B910 and EU 2B510 have the same technical thresholds; the US adds its 772.1(b) release', () => {
    const diffs = family('US-EAR:2B910').differences;
    const comparable = (key: string, x: Array<{ id: string }> | null) =>
      JSON.stringify(x?.map(({ id: _id, ...rest }) => rest) ?? null).replaceAll(key, '$self');
    const usEu = diffs.filter((d) => comparable('US-EAR:2B910', d.by_entry['US-EAR:2B910']!) !== comparable('EU-2021/821:2B510', d.by_entry['EU-2021/821:2B510']!));
    expect(usEu.map((d) => d.parameter)).toEqual(['component.us_specially_designed_release']);
  });

  it('families pair only counterparts of the same category across regimes', () => {
    for (const fam of entryFamilies(engine)) expect(new Set(fam.map((e) => e.category)).size).toBe(1);
  });
});

describe('comparing one item across regimes', () => {
  it('an inoculated HEA powder is controlled in the EU and not in the US', () => {
    const hea = powder((m) =>
      Object.assign(m, { composition: { Co_wt_pct: 20, Cr_wt_pct: 20, Fe_wt_pct: 20, Mn_wt_pct: 20, Ni_wt_pct: 20 }, is_high_entropy_alloy: true, principal_elements_count_5to35at_pct: 5, surface_modified_with_inoculants: true }),
    );
    const cmp = compareClassification(classify(engine, hea), engine);
    expect(cmp.controlled_in).toEqual(['EU-2021/821']);
    expect(cmp.not_controlled_in).toContain('US-EAR');
    const f = cmp.families.find((x) => x.family.includes('EU-2021/821:1C513'))!;
    expect(f.divergence).toMatch(/no counterpart entry in the loaded US-EAR/);
  });

  it('a Ti-Al-X powder made by ultrasonic atomisation: EU 1C002 controls it, US 1C002 does not', () => {
    const p = powder((m) =>
      Object.assign(m, { composition: { Ti_wt_pct: 51, Al_wt_pct: 33, Nb_wt_pct: 16 }, composition_system: 'Ti-Al-X', capable_of_forming: ['1C002.a'], production_process: 'ultrasonic_atomisation' }),
    );
    const cmp = compareClassification(classify(engine, p), engine);
    const f = cmp.families.find((x) => x.family.includes('US-EAR:1C002'))!;
    expect(f.divergence).toBe('controlled by EU-2021/821:1C002 but not by US-EAR:1C002');
  });

  it('the spine machine: controlled in the US and the EU, open in the UK', () => {
    const cmp = compareClassification(classify(engine, machine()), engine);
    expect(cmp.controlled_in).toEqual(['US-EAR', 'EU-2021/821']);
    expect(cmp.undecided_in).toContain('UK');
  });
});
