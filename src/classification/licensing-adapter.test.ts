/**
 * The licensing seam implemented by the classification domain: the same
 * answers the item register records, invalid specifications reported rather
 * than thrown, destination unknowns spelled out, and the licensing pre-checks
 * running on it.
 */
import { describe, expect, it } from 'vitest';
import { runPrechecks } from '../licensing/prechecks.js';
import { unavailableScreener } from '../licensing/seams.js';
import { completeApplication, item, NOW } from '../licensing/test-support/fixtures.js';
import { classify } from './evaluate.js';
import { parseItem } from './item.js';
import { licensingItemClassifier } from './licensing-adapter.js';
import { defaultEngine, shippedRuleSets } from './rules/index.js';
import { overallStatus } from './summary.js';
import { machine, powder, SPINE_MACHINE } from './test-support/items.js';

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('licensingItemClassifier', () => {
  const classifier = licensingItemClassifier();

  it('stamps the rule sets in force', () => {
    expect(classifier.ruleSets()).toEqual(shippedRuleSets().map((s) => ({ id: s.ruleSet.id, regime: s.ruleSet.regime, version: s.ruleSet.version, sha256: s.sha256 })));
  });

  it('classifies the spine machine as the register does', async () => {
    const s = await classifier.classify(clone(SPINE_MACHINE), NOW);
    expect(s).toMatchObject({ status: 'controlled', controlled_by: ['US-EAR:2B910', 'EU-2021/821:2B510'], needs_information: [], classified_at: NOW.toISOString() });
    expect(s.needs_review).toContain('UK-ECO2008:PL9015');
    expect(s.rule_sets).toEqual(classifier.ruleSets());
    expect(classifier.parse(clone(SPINE_MACHINE))).toEqual({ kind: 'am_machine', name: 'Laser powder-bed metal printer' });
  });

  it('uses the register’s status order: missing information before review', async () => {
    const open = machine((m) => delete m.closed_loop_control);
    const s = await classifier.classify(open, NOW);
    expect(s.needs_information).toContain('US-EAR:2B910');
    expect(s.needs_review).toContain('UK-ECO2008:PL9015');
    expect(s.status).toBe('needs_information');
    expect(s.status).toBe(overallStatus(classify(defaultEngine(), open)));
  });

  it('reports an invalid specification as status invalid with the core’s code, and parse throws it', async () => {
    const bad = clone(SPINE_MACHINE) as unknown as { machine: Record<string, unknown> };
    bad.machine.chamber_vacuum_pressure = { value: 1, unit: 'furlong' };
    const s = await classifier.classify(bad, NOW);
    expect(s).toMatchObject({ status: 'invalid', controlled_by: [], error: { code: 'CLASSIFICATION_UNIT_UNKNOWN' } });
    expect(() => classifier.parse(bad)).toThrow(expect.objectContaining({ code: 'CLASSIFICATION_UNIT_UNKNOWN' }));
    expect(await classifier.destination!(bad, 'CN')).toBeNull();
  });

  it('gives the licence requirement for CN per regime, with what the rule data cannot tell', async () => {
    const f = (await classifier.destination!(clone(SPINE_MACHINE), 'cn'))!;
    expect(f.country).toBe('CN');
    const us = f.regimes.find((r) => r.regime === 'US-EAR')!;
    expect(us.status).toBe('licence_required');
    expect(us.reasons.join('\n')).toMatch(/worldwide control/);
    expect(f.regimes.find((r) => r.regime === 'EU-2021/821')!.status).toBe('licence_required');
    expect(f.regimes.flatMap((r) => r.reasons).some((x) => x.startsWith('Not in the rule data: '))).toBe(true);
    await expect(classifier.destination!(clone(SPINE_MACHINE), 'XX')).rejects.toMatchObject({ code: 'CLASSIFICATION_COUNTRY_UNKNOWN' });
  });

  it('answers the same from its memo as without one, whatever the key order of the specification', async () => {
    const fresh = licensingItemClassifier({ cacheSize: 0 });
    const small = licensingItemClassifier({ cacheSize: 1 });
    const reordered = Object.fromEntries(Object.entries(clone(SPINE_MACHINE)).reverse());
    const specs = [clone(SPINE_MACHINE), powder(), reordered, machine((m) => (m.output_material_class = ['polymer'])), clone(SPINE_MACHINE)];
    for (const spec of specs) {
      const want = await fresh.classify(spec, NOW);
      expect(await classifier.classify(spec, NOW)).toEqual(want);
      expect(await small.classify(spec, NOW)).toEqual(want);
      expect(await small.destination!(spec, 'RU')).toEqual(await fresh.destination!(spec, 'RU'));
    }
    expect(parseItem(reordered)).toEqual(parseItem(clone(SPINE_MACHINE)));
  });

  it('runs the licensing pre-checks: the spine machine to China is controlled and needs a licence', async () => {
    const base = completeApplication();
    const app = { ...base, content: { ...base.content, destinations: ['CN'] }, items: [item('itm_spine', clone(SPINE_MACHINE))] };
    const r = await runPrechecks(app, { classifier, screener: unavailableScreener, now: NOW });
    expect(r.versions.rule_sets).toEqual(classifier.ruleSets());
    expect(r.classification).toEqual([expect.objectContaining({ item_id: 'itm_spine', status: 'controlled', controlled_by: ['US-EAR:2B910', 'EU-2021/821:2B510'] })]);
    const cn = r.destinations.find((d) => d.country === 'CN')!;
    expect(cn.findings[0]!.regimes.find((x) => x.regime === 'US-EAR')!.status).toBe('licence_required');
    expect(r.flags).toContain('classification_controlled');
  });
});
