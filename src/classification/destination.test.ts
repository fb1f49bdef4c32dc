import { describe, expect, it } from 'vitest';
import { assessDestination, normaliseCountry, type RegimeDestination } from './destination.js';
import { classify } from './evaluate.js';
import { defaultEngine } from './rules/index.js';
import { item, machine, powder } from './test-support/items.js';

const engine = defaultEngine();
const regime = (name: string, rs: RegimeDestination[]) => rs.find((r) => r.regime === name)!;
const spine = classify(engine, machine());

describe('destination of the spine machine (US 2B910 / EU 2B510)', () => {
  it('China: licence required under the US worldwide NS/RS controls, with presumption of denial; EU Art. 3 authorisation', () => {
    const d = assessDestination(spine, 'CN', engine);
    expect(d.destination).toEqual({ code: 'CN', name: 'China' });
    const us = regime('US-EAR', d.regimes);
    expect(us.status).toBe('licence_required');
    const e = us.entries.find((x) => x.key === 'US-EAR:2B910')!;
    expect(e.licence).toBe('required');
    expect(e.rows.filter((r) => r.licence_required).map((r) => r.reason)).toEqual(['NS', 'RS']);
    expect(us.reasons.some((r) => /presumption of denial/.test(r))).toBe(true);
    expect(us.unknowns.some((u) => /IEC/.test(u))).toBe(true);
    const eu = regime('EU-2021/821', d.regimes);
    expect(eu.status).toBe('licence_required');
    expect(eu.entries[0]!.rows[0]!.rule).toBe('Reg. (EU) 2021/821 Art. 3(1)');
  });

  it('the United Kingdom: still a US licence (worldwide control, presumption of approval for A:1); EU001 available from the EU', () => {
    const d = assessDestination(spine, 'gb', engine);
    const us = regime('US-EAR', d.regimes);
    expect(us.status).toBe('licence_required');
    expect(us.reasons.some((r) => /Country Group A:1: presumption of approval/.test(r))).toBe(true);
    const eu = regime('EU-2021/821', d.regimes);
    expect(eu.status).toBe('general_authorisation_available');
    expect(eu.entries[0]!.general_authorisations).toEqual([expect.objectContaining({ id: 'EU001', available: true })]);
    expect(regime('UK', d.regimes).status).toBe('not_applicable');
  });

  it('France: intra-EU transfer free unless Annex IV, which the data does not record: needs review, with the reason', () => {
    const eu = regime('EU-2021/821', assessDestination(spine, 'FR', engine).regimes);
    expect(eu.status).toBe('needs_review');
    expect(eu.unknowns.join(' ')).toMatch(/Annex IV/);
  });

  it('Hong Kong is assessed as China under the EAR; Iran is an embargo the chart does not resolve', () => {
    const hk = assessDestination(spine, 'HK', engine);
    expect(hk.destination.assessed_as).toBe('CN');
    expect(regime('US-EAR', hk.regimes).reasons.some((r) => /D:1 and D:5: presumption of denial/.test(r))).toBe(true);
    const ir = regime('US-EAR', assessDestination(spine, 'IR', engine).regimes);
    expect(ir.status).toBe('needs_review');
    expect(ir.reasons.join(' ')).toMatch(/part 746/);
  });

  it('the UK entry needs review; a licence would be needed to every destination if it applies', () => {
    const uk = regime('UK', assessDestination(spine, 'US', engine).regimes);
    expect(uk.status).toBe('needs_review');
    expect(uk.entries[0]!.rows[0]!.licence_required).toBe(true);
    expect(regime('US-EAR', assessDestination(spine, 'US', engine).regimes).status).toBe('not_applicable');
  });
});

describe('Country Chart columns', () => {
  const tiAl = classify(
    engine,
    powder((m) => Object.assign(m, { composition: { Ti_wt_pct: 51, Al_wt_pct: 33, Nb_wt_pct: 16 }, composition_system: 'Ti-Al-X', capable_of_forming: ['1C002.a'] })),
  );

  it('1C002 (NS2): Japan needs no licence, Brazil does; NP1 applies only to some paragraphs and is flagged', () => {
    const jp = regime('US-EAR', assessDestination(tiAl, 'JP', engine).regimes);
    const e = jp.entries.find((x) => x.key === 'US-EAR:1C002')!;
    expect(e.rows.find((r) => r.reason === 'NS')!.licence_required).toBe(false);
    expect(e.licence).toBe('not_required');
    expect(jp.status).toBe('no_licence_required');
    const br = regime('US-EAR', assessDestination(tiAl, 'BR', engine).regimes);
    expect(br.status).toBe('licence_required');
    expect(br.entries[0]!.rows.find((r) => r.reason === 'NS')!.why).toMatch(/NS2/);
  });

  it('EU001 to Japan: eligibility for 1C002 is not in the data, said so', () => {
    const eu = regime('EU-2021/821', assessDestination(tiAl, 'JP', engine).regimes);
    expect(eu.status).toBe('licence_required');
    expect(eu.unknowns.join(' ')).toMatch(/Annex II excludes EU-2021\/821:1C002/);
  });

  it('a firearm receiver file (0E501, NS1/RS1): Canada needs no licence for those columns, Brazil does', () => {
    const file = classify(
      engine,
      item({
        kind: 'design_file',
        file: { enables_production_of: 'firearm_frame_or_receiver', format_machine_ready: true, made_available_by_posting_on_internet: false },
        technology: { function: ['production'], target_item: ['0A501'] },
        software: { function: ['production'], target_item: ['0A501'] },
      }),
      { regimes: ['us-ear'] },
    );
    const br = regime('US-EAR', assessDestination(file, 'BR', engine).regimes);
    expect(br.status).toBe('licence_required');
    const ca = regime('US-EAR', assessDestination(file, 'CA', engine).regimes);
    // NS1/RS1 free for Canada, but the UN row ("See 746.1") is not resolved by the data
    expect(ca.status).toBe('needs_review');
    expect(ca.unknowns.join(' ')).toMatch(/746\.1/);
  });
});

describe('items no entry controls', () => {
  it('a polymer machine is not controlled under the US and the EU for Germany', () => {
    const polymer = classify(engine, machine((m) => Object.assign(m, { output_material_class: ['polymer'] })));
    const d = assessDestination(polymer, 'DE', engine);
    expect(regime('US-EAR', d.regimes).status).toBe('not_controlled');
    expect(regime('EU-2021/821', d.regimes).status).toBe('not_controlled');
    expect(regime('Wassenaar', d.regimes).status).toBe('not_applicable');
  });

  it('an incomplete classification does not become "no licence"', () => {
    const partial = classify(engine, item({ kind: 'am_machine', machine: { output_material_class: ['metal'], consolidation_sources: ['laser'] } }));
    expect(regime('US-EAR', assessDestination(partial, 'DE', engine).regimes).status).toBe('needs_information');
  });
});

describe('country codes', () => {
  it('accepts ISO 3166-1 alpha-2 in any case and refuses the rest', () => {
    expect(normaliseCountry('de')).toEqual({ code: 'DE', name: 'Germany' });
    for (const bad of ['XX', 'EU', 'DEU', '', '12']) {
      try {
        normaliseCountry(bad);
        throw new Error(`accepted ${bad}`);
      } catch (e) {
        expect((e as { code?: string }).code, bad).toBe('CLASSIFICATION_COUNTRY_UNKNOWN');
      }
    }
  });
});
