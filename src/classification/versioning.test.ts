import { describe, expect, it } from 'vitest';
import type { LoadedRuleSet } from './evaluate.js';
import { ruleSetDigest } from './evaluate.js';
import { shippedRuleSets } from './rules/index.js';
import type { RuleSet } from './rules/ruleset-schema.js';
import { machine } from './test-support/items.js';
import { diffRuleSets, ruleSetStatus, wouldChange } from './versioning.js';

const us = shippedRuleSets()[0]!;

/** A new version of the US rule set: the vacuum threshold tightened to 10 Pa, 0B501 removed, one entry added. */
function nextVersion(): LoadedRuleSet {
  const r = structuredClone(us.ruleSet) as RuleSet;
  r.version = '2027-01-15.1';
  r.effective_date = '2027-01-15';
  const e = r.entries.find((x) => x.key === 'US-EAR:2B910')!;
  const p = e.parameters.find((x) => x.id === '2B910.b.2.p')!;
  if (p.operator !== 'lte') throw new Error('unexpected');
  p.value = 10;
  r.entries = r.entries.filter((x) => x.key !== 'US-EAR:0B501');
  r.entries.push({ ...structuredClone(r.entries.find((x) => x.key === 'US-EAR:9B001')!), key: 'US-EAR:9B002', id: '9B002' });
  return { ruleSet: r, sha256: ruleSetDigest(r) };
}

describe('rule-set versions', () => {
  it('diffRuleSets lists added, removed and changed entries and what changed', () => {
    const d = diffRuleSets(us.ruleSet, nextVersion().ruleSet);
    expect(d.added).toEqual(['US-EAR:9B002']);
    expect(d.removed).toEqual(['US-EAR:0B501']);
    expect(d.changed).toHaveLength(1);
    expect(d.changed[0]!.key).toBe('US-EAR:2B910');
    expect(d.changed[0]!.changes).toEqual([
      expect.objectContaining({ what: 'parameter 2B910.b.2.p changed', old: expect.objectContaining({ value: 100 }), new: expect.objectContaining({ value: 10 }) }),
    ]);
    expect(d.metadata.map((m) => m.what)).toEqual(['version', 'effective_date']);
  });

  it('diffing a rule set with itself finds nothing; different regimes are refused', () => {
    const d = diffRuleSets(us.ruleSet, us.ruleSet);
    expect([d.added, d.removed, d.changed, d.metadata]).toEqual([[], [], [], []]);
    expect(() => diffRuleSets(us.ruleSet, shippedRuleSets()[1]!.ruleSet)).toThrow(expect.objectContaining({ code: 'CLASSIFICATION_RULESET_MISMATCH' }));
  });

  it('wouldChange names the stored items whose classification changes', () => {
    const ebeam = (pa: number) =>
      machine((m) => Object.assign(m, { consolidation_sources: ['electron_beam'], process_atmosphere: ['vacuum'], chamber_vacuum_pressure: { value: pa, unit: 'Pa' } }));
    const items = [
      { ref: 'ebeam-50Pa', item: ebeam(50) },
      { ref: 'ebeam-5Pa', item: ebeam(5) },
      { ref: 'lpbf-argon', item: machine() },
    ];
    const changes = wouldChange(items, us, nextVersion());
    expect(changes.map((c) => c.ref)).toEqual(['ebeam-50Pa', 'ebeam-5Pa', 'lpbf-argon']);
    expect(changes[0]!.changes).toContainEqual({ key: 'US-EAR:2B910', old_status: 'controlled', new_status: 'not_controlled' });
    // the 5 Pa machine stays 2B910-controlled: only the removed and added entries change for it
    expect(changes[1]!.changes.map((c) => c.key).sort()).toEqual(['US-EAR:0B501', 'US-EAR:9B002']);
    expect(changes[1]!.changes).toContainEqual({ key: 'US-EAR:0B501', old_status: 'not_controlled', new_status: 'absent' });
  });
});

describe('rule-set status', () => {
  it('flags review and sunset dates that have passed', () => {
    const sets = shippedRuleSets();
    const today = ruleSetStatus(sets, new Date('2026-11-26T12:00:00Z'));
    expect(today.every((s) => s.state === 'current' && !s.flagged)).toBe(true);
    const later = ruleSetStatus(sets, new Date('2027-03-01T00:00:00Z'));
    expect(later.find((s) => s.id === 'uk')).toMatchObject({ state: 'review_overdue', flagged: true });
    expect(later.find((s) => s.id === 'us-ear')).toMatchObject({ state: 'current', flagged: false });
    const muchLater = ruleSetStatus(sets, new Date('2028-01-01T00:00:00Z'));
    expect(muchLater.every((s) => s.state === 'sunset_passed')).toBe(true);
    const before = ruleSetStatus(sets, new Date('2025-01-01T00:00:00Z'));
    expect(before.find((s) => s.id === 'eu-2021-821')!.state).toBe('not_yet_effective');
  });
});
