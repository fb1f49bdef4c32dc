import { describe, expect, it } from 'vitest';
import { evaluateRedFlags } from './red-flags.js';
import { licensingReference } from './reference.js';
import { assessRisk, type RiskInput } from './risk.js';
import { engineClassifier } from './seams.js';
import { completeApplication, MACHINE_SPEC, NOW } from './test-support/fixtures.js';

async function inputFor(over: Partial<RiskInput> = {}): Promise<RiskInput> {
  const app = completeApplication();
  const classifier = engineClassifier();
  const items = await Promise.all(app.items.map(async (i) => ({ id: i.id, name: i.name, kind: i.kind, quantity: i.quantity, unit: i.unit, classification: await classifier.classify(i.spec, NOW) })));
  return {
    domains: app.content.end_use!.domains!,
    items,
    production_volume: app.content.production_volume,
    due_diligence: app.content.due_diligence!,
    document_types: app.documents.map((d) => d.doc_type),
    destinations: app.content.destinations!,
    party_history: [],
    screening: app.parties.map((p) => ({ party_id: p.id, name: p.name, status: 'clear' as const })),
    red_flags: evaluateRedFlags(app, { now: NOW }),
    flags: [],
    ...over,
  };
}

describe('risk assessment', () => {
  it('shows every contribution with what was observed and where the rule comes from, and adds up', async () => {
    const a = assessRisk(await inputFor());
    expect(a.config_version).toBe(licensingReference().risk.version);
    expect(a.config_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(a.score).toBe(a.contributions.reduce((s, c) => s + c.points, 0));
    for (const c of a.contributions) {
      expect(c.observed.length).toBeGreaterThan(5);
      expect(c.source).toMatch(/^risk-config\.json 2026-03-01\.1 indicators\./);
    }
    const domain = a.contributions.find((c) => c.indicator === 'application_domain')!;
    expect(domain).toMatchObject({ points: 10, source: expect.stringContaining('weights.aerospace') });
    const complexity = a.contributions.filter((c) => c.indicator === 'technical_complexity');
    expect(complexity[0]!.observed).toBe('controlled by US-EAR:2B910, EU-2021/821:2B510');
    expect(complexity[0]!.source).toContain('us-ear 2026-07-23.1');
    // US is in Country Group A:1 and in no group of concern.
    expect(a.contributions.find((c) => c.indicator === 'destination')).toMatchObject({ points: 0 });
    // 10 + 12 + 8 + 6 + 3 − 16 + 0: a controlled machine to a well-known civil end user is medium risk.
    expect(a.score).toBe(23);
    expect(a.band).toBe('medium');
    expect(a.countersignatures_required).toBe(0);
  });

  it('raises the score for an embargoed destination, a strong screening match, prior refusals and red flags, and asks for countersignatures', async () => {
    const a = assessRisk(
      await inputFor({
        destinations: ['IR'],
        screening: [{ party_id: 'pty_end_user', name: 'Abzar Boresh Kaveh Co', status: 'strong_match' }],
        party_history: [{ party_id: 'pty_end_user', name: 'Abzar Boresh Kaveh Co', prior_refusals: ['IEL/2025/0000007'], prior_approvals: [] }],
        flags: ['embargoed_destination', 'screening_strong_match'],
      }),
    );
    expect(a.by_indicator.destination).toBe(40);
    expect(a.contributions.find((c) => c.indicator === 'destination')!.observed).toBe('IR is in Country Group E:1 (Terrorist supporting countries / comprehensive embargo)');
    expect(a.by_indicator.party_history).toBe(15 + 40);
    expect(a.band).toBe('critical');
    expect(a.countersignatures_required).toBe(2);
    expect(a.countersign_reasons).toEqual(['risk band critical: 2', 'flag embargoed_destination: 2', 'flag screening_strong_match: 2']);
  });

  it('lowers the score for due-diligence evidence held', async () => {
    const held = assessRisk(await inputFor());
    const none = assessRisk(await inputFor({ due_diligence: {}, document_types: [] }));
    expect(held.by_indicator.due_diligence).toBeLessThan(0);
    expect(none.by_indicator.due_diligence).toBeGreaterThan(0);
    expect(none.score - held.score).toBe(none.by_indicator.due_diligence - held.by_indicator.due_diligence);
  });

  it('is reproducible: the same input and configuration give the same assessment', async () => {
    const input = await inputFor({ items: [{ id: 'x', name: MACHINE_SPEC.name, kind: 'am_machine', classification: null, quantity: 1, unit: 'pieces' }] });
    expect(assessRisk(input)).toEqual(assessRisk(structuredClone(input)));
  });
});
