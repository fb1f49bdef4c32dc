/**
 * Regime comparison: where the same item is treated differently, and where the
 * rules themselves differ (the harmonisation gaps between the US, the EU, the
 * UK and the multilateral lists).
 *
 * Entries are grouped into families of counterparts: entries of different
 * regimes and the same category linked by `related_entries` (US 2B910, EU 2B510,
 * UK PL9015, the Canadian proposal). A regime without an entry in a family is
 * reported as "no entry in the loaded rule set" — the shipped rule sets hold only
 * the AM-relevant entries, so absence is a gap only where the source says so
 * (e.g. EU 1C513: "no US CCL equivalent found").
 */
import type { Engine } from './evaluate.js';
import type { Condition, Entry } from './rules/ruleset-schema.js';
import type { Classification, EntryStatus } from './types.js';

/** Families of counterpart entries across regimes, each sorted by key. */
export function entryFamilies(engine: Engine): Entry[][] {
  const entries = engine.entries.map((c) => c.entry);
  const byKey = new Map(entries.map((e) => [e.key, e]));
  const parent = new Map(entries.map((e) => [e.key, e.key]));
  const find = (k: string): string => {
    let r = k;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(k, r);
    return r;
  };
  for (const e of entries) {
    for (const rel of e.related_entries) {
      const other = byKey.get(rel);
      // Counterparts: another regime, same category (equipment with equipment, technology with technology).
      if (other && other.regime !== e.regime && other.category === e.category) parent.set(find(e.key), find(other.key));
    }
  }
  const groups = new Map<string, Entry[]>();
  for (const e of entries) groups.set(find(e.key), [...(groups.get(find(e.key)) ?? []), e]);
  return [...groups.values()].map((g) => g.sort((a, b) => a.key.localeCompare(b.key)));
}

export interface ItemFamilyComparison {
  family: string[];
  statuses: Array<{ key: string; regime: string; status: EntryStatus }>;
  regimes_without_entry: string[];
  /** one sentence, or null when all regimes agree */
  divergence: string | null;
}

export interface ItemComparison {
  by_regime: Array<{ regime: string; controlled_by: string[]; needs_information: string[]; needs_review: string[] }>;
  /** regimes under which the item is controlled, and those under which nothing controls it */
  controlled_in: string[];
  not_controlled_in: string[];
  undecided_in: string[];
  families: ItemFamilyComparison[];
}

/** Compare one classification across regimes (`fabgate classify --compare`). */
export function compareClassification(c: Classification, engine: Engine): ItemComparison {
  const regimes = c.rule_sets.map((r) => r.regime);
  const by_regime = regimes.map((regime) => {
    const mine = c.results.filter((r) => r.regime === regime);
    return {
      regime,
      controlled_by: mine.filter((r) => r.status === 'controlled').map((r) => r.key),
      needs_information: mine.filter((r) => r.status === 'needs_information').map((r) => r.key),
      needs_review: mine.filter((r) => r.status === 'needs_review').map((r) => r.key),
    };
  });
  const status = new Map(c.results.map((r) => [r.key, r]));
  const families: ItemFamilyComparison[] = [];
  for (const fam of entryFamilies(engine)) {
    const results = fam.map((e) => status.get(e.key)).filter((r) => r !== undefined && r.applicable);
    if (results.length === 0) continue;
    const famRegimes = new Set(fam.map((e) => e.regime));
    const statuses = results.map((r) => ({ key: r!.key, regime: r!.regime, status: r!.status }));
    const controlled = statuses.filter((s) => s.status === 'controlled');
    const free = statuses.filter((s) => s.status === 'not_controlled');
    const open = statuses.filter((s) => s.status === 'needs_information' || s.status === 'needs_review');
    const without = regimes.filter((r) => !famRegimes.has(r));
    let divergence: string | null = null;
    if (controlled.length > 0 && free.length > 0) {
      divergence = `controlled by ${controlled.map((s) => s.key).join(', ')} but not by ${free.map((s) => s.key).join(', ')}`;
    } else if (controlled.length > 0 && open.length > 0) {
      divergence = `controlled by ${controlled.map((s) => s.key).join(', ')}; open under ${open.map((s) => `${s.key} (${s.status})`).join(', ')}`;
    } else if (controlled.length > 0 && without.length > 0) {
      divergence = `controlled by ${controlled.map((s) => s.key).join(', ')}; no counterpart entry in the loaded ${without.join(', ')} rule sets`;
    }
    families.push({ family: fam.map((e) => e.key), statuses, regimes_without_entry: without, divergence });
  }
  return {
    by_regime,
    controlled_in: by_regime.filter((r) => r.controlled_by.length > 0).map((r) => r.regime),
    not_controlled_in: by_regime.filter((r) => r.controlled_by.length + r.needs_information.length + r.needs_review.length === 0).map((r) => r.regime),
    undecided_in: by_regime.filter((r) => r.controlled_by.length === 0 && r.needs_information.length + r.needs_review.length > 0).map((r) => r.regime),
    families: families.filter((f) => f.statuses.length > 1 || f.divergence !== null),
  };
}

export interface ParameterDifference {
  parameter: string;
  /** per entry key: the conditions on this parameter, or null when the entry has none */
  by_entry: Record<string, Array<{ id: string; operator: string; value?: unknown; unit?: string }> | null>;
}

export interface FamilyReport {
  family: string[];
  regimes: string[];
  regimes_without_entry: string[];
  /** what the sources say about the differences (notes of type harmonisation, origin remarks) */
  source_remarks: string[];
  differences: ParameterDifference[];
}

export interface HarmonisationReport {
  rule_sets: Array<{ id: string; regime: string; version: string; entries: number }>;
  families: FamilyReport[];
  /** families present in one regime only, e.g. EU 1C513 */
  single_regime: string[][];
  caveat: string;
}

/** What a condition tests, with a reference to the entry itself written as $self (2B910's components branch refers to 2B910, 2B510's to 2B510). */
function signature(c: Condition, self: string): string {
  const value =
    c.operator === 'specified_in' ? { ...c.value, entries: c.value.entries.map((k) => (k === self ? '$self' : k)) } : 'value' in c ? c.value : null;
  return JSON.stringify([c.operator, value, 'unit' in c ? c.unit : null]);
}

/** Over all rules: counterpart entries and the parameters on which they differ. */
export function harmonisationReport(engine: Engine): HarmonisationReport {
  const regimes = engine.ruleSets.map((s) => s.ruleSet.regime);
  const families: FamilyReport[] = [];
  for (const fam of entryFamilies(engine)) {
    const famRegimes = [...new Set(fam.map((e) => e.regime))];
    const names = [...new Set(fam.flatMap((e) => e.parameters.map((p) => p.name)))].sort();
    const differences: ParameterDifference[] = [];
    for (const name of names) {
      const by_entry: ParameterDifference['by_entry'] = {};
      const sigs = new Set<string>();
      for (const e of fam) {
        const conds = e.parameters.filter((p) => p.name === name);
        by_entry[e.key] = conds.length
          ? conds.map((p) => ({ id: p.id, operator: p.operator, ...('value' in p ? { value: p.value } : {}), ...('unit' in p && p.unit ? { unit: p.unit } : {}) }))
          : null;
        sigs.add(conds.length ? conds.map((c) => signature(c, e.key)).sort().join('|') : 'absent');
      }
      if (sigs.size > 1) differences.push({ parameter: name, by_entry });
    }
    const source_remarks = fam.flatMap((e) => [
      ...e.notes.filter((n) => n.type === 'harmonisation').map((n) => `${e.key}: ${n.summary}`),
      ...(/no US|not adopted|not in Wassenaar|NOT in the Wassenaar/i.test(e.multilateral_origin) ? [`${e.key}: ${e.multilateral_origin}`] : []),
    ]);
    families.push({
      family: fam.map((e) => e.key),
      regimes: famRegimes,
      regimes_without_entry: regimes.filter((r) => !famRegimes.includes(r)),
      source_remarks,
      differences: fam.length > 1 ? differences : [],
    });
  }
  return {
    rule_sets: engine.ruleSets.map(({ ruleSet }) => ({ id: ruleSet.id, regime: ruleSet.regime, version: ruleSet.version, entries: ruleSet.entries.length })),
    families,
    single_regime: families.filter((f) => f.regimes.length === 1).map((f) => f.family),
    caveat:
      'The shipped rule sets hold the AM-relevant entries only (UK, Spain and Canada: their national additions only). A regime without an entry in a family is a harmonisation gap only where the source remarks say so.',
  };
}
