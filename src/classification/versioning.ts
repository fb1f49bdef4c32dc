/**
 * Rule-set versions: what changed between two versions of a regime's rule set,
 * which stored classifications a new version would change, and which rule sets
 * are past their review or sunset date.
 */
import { FabgateError } from '../shared/errors.js';
import { classify, compileRuleSets, type LoadedRuleSet } from './evaluate.js';
import type { ItemSpec } from './item-schema.js';
import { withRuleSet } from './rules/index.js';
import type { Entry, RuleSet } from './rules/ruleset-schema.js';
import type { EntryStatus } from './types.js';

export interface FieldChange {
  /** e.g. "title", "parameter 2B910.c.2.t", "branch equipment logic" */
  what: string;
  old?: unknown;
  new?: unknown;
}

export interface RuleSetDiff {
  regime: string;
  old_version: string;
  new_version: string;
  metadata: FieldChange[];
  added: string[];
  removed: string[];
  changed: Array<{ key: string; changes: FieldChange[] }>;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

const ENTRY_FIELDS = [
  'title',
  'category',
  'role',
  'item_kinds',
  'reasons_for_control',
  'country_chart',
  'license_exceptions',
  'destination_logic',
  'related_entries',
  'effective_date',
  'effective_date_text',
  'source',
  'confidence',
  'effect',
] as const satisfies ReadonlyArray<keyof Entry>;

function diffById<T>(label: string, olds: T[], news: T[], id: (x: T) => string): FieldChange[] {
  const out: FieldChange[] = [];
  const o = new Map(olds.map((x) => [id(x), x]));
  const n = new Map(news.map((x) => [id(x), x]));
  for (const [k, v] of o) {
    if (!n.has(k)) out.push({ what: `${label} ${k} removed`, old: v });
    else if (!same(v, n.get(k))) out.push({ what: `${label} ${k} changed`, old: v, new: n.get(k) });
  }
  for (const [k, v] of n) if (!o.has(k)) out.push({ what: `${label} ${k} added`, new: v });
  return out;
}

function diffEntry(a: Entry, b: Entry): FieldChange[] {
  const out: FieldChange[] = [];
  for (const f of ENTRY_FIELDS) if (!same(a[f], b[f])) out.push({ what: f, old: a[f], new: b[f] });
  out.push(...diffById('parameter', a.parameters, b.parameters, (p) => p.id));
  out.push(...diffById('branch', a.branches, b.branches, (br) => br.name));
  out.push(...diffById('note', a.notes, b.notes, (n) => `${n.type}: ${n.summary}`));
  out.push(...diffById('amendment', a.amendments, b.amendments, (n) => n.summary));
  return out;
}

/** Entries added, removed and changed (and what changed in each) from `old` to `next`. */
export function diffRuleSets(old: RuleSet, next: RuleSet): RuleSetDiff {
  if (old.regime !== next.regime) {
    throw new FabgateError('CLASSIFICATION_RULESET_MISMATCH', `cannot diff rule sets of different regimes (${old.regime} and ${next.regime})`, 'invalid_input');
  }
  const metadata: FieldChange[] = [];
  for (const f of ['version', 'status', 'title', 'effective_date', 'review_date', 'sunset_date', 'licensing', 'open_questions', 'provenance'] as const) {
    if (!same(old[f], next[f])) metadata.push({ what: f, old: old[f], new: next[f] });
  }
  const o = new Map(old.entries.map((e) => [e.key, e]));
  const n = new Map(next.entries.map((e) => [e.key, e]));
  const changed: RuleSetDiff['changed'] = [];
  for (const [key, e] of o) {
    const f = n.get(key);
    if (!f) continue;
    const changes = diffEntry(e, f);
    if (changes.length) changed.push({ key, changes });
  }
  return {
    regime: old.regime,
    old_version: old.version,
    new_version: next.version,
    metadata,
    added: [...n.keys()].filter((k) => !o.has(k)),
    removed: [...o.keys()].filter((k) => !n.has(k)),
    changed,
  };
}

export interface StoredItem {
  /** where the item came from: its id, file name or line */
  ref: string;
  item: ItemSpec;
}

export interface ClassificationChange {
  ref: string;
  changes: Array<{ key: string; old_status: EntryStatus | 'absent'; new_status: EntryStatus | 'absent' }>;
}

/** Which stored items' classifications under the regime would change if `next` replaced `old`. */
export function wouldChange(items: StoredItem[], old: LoadedRuleSet, next: LoadedRuleSet, base?: LoadedRuleSet[]): ClassificationChange[] {
  if (old.ruleSet.regime !== next.ruleSet.regime) {
    throw new FabgateError('CLASSIFICATION_RULESET_MISMATCH', `cannot compare rule sets of different regimes (${old.ruleSet.regime} and ${next.ruleSet.regime})`, 'invalid_input');
  }
  const before = compileRuleSets(withRuleSet(old, base));
  const after = compileRuleSets(withRuleSet(next, base));
  const out: ClassificationChange[] = [];
  for (const { ref, item } of items) {
    const a = new Map(classify(before, item, { regimes: [old.ruleSet.id] }).results.map((r) => [r.key, r.status]));
    const b = new Map(classify(after, item, { regimes: [next.ruleSet.id] }).results.map((r) => [r.key, r.status]));
    const changes: ClassificationChange['changes'] = [];
    for (const key of new Set([...a.keys(), ...b.keys()])) {
      const x = a.get(key) ?? 'absent';
      const y = b.get(key) ?? 'absent';
      if (x !== y) changes.push({ key, old_status: x, new_status: y });
    }
    if (changes.length) out.push({ ref, changes });
  }
  return out;
}

export type RuleSetState = 'current' | 'not_yet_effective' | 'review_overdue' | 'sunset_passed';

export interface RuleSetStatus {
  id: string;
  regime: string;
  version: string;
  status: RuleSet['status'];
  effective_date: string;
  review_date: string;
  sunset_date: string | null;
  state: RuleSetState;
  /** true when the rule set must be looked at (review or sunset date passed) */
  flagged: boolean;
  message: string;
}

/** The state of each rule set on `now` (UTC date): sunset passed, review overdue, not yet effective or current. */
export function ruleSetStatus(sets: LoadedRuleSet[], now: Date): RuleSetStatus[] {
  const today = now.toISOString().slice(0, 10);
  return sets.map(({ ruleSet: r }) => {
    let state: RuleSetState;
    let message: string;
    if (r.sunset_date !== null && r.sunset_date < today) {
      state = 'sunset_passed';
      message = `sunset date ${r.sunset_date} has passed: do not rely on version ${r.version} without a new version`;
    } else if (r.review_date < today) {
      state = 'review_overdue';
      message = `review date ${r.review_date} has passed: re-check the sources`;
    } else if (r.effective_date > today) {
      state = 'not_yet_effective';
      message = `takes effect on ${r.effective_date}`;
    } else {
      state = 'current';
      message = `current; review by ${r.review_date}`;
    }
    return {
      id: r.id,
      regime: r.regime,
      version: r.version,
      status: r.status,
      effective_date: r.effective_date,
      review_date: r.review_date,
      sunset_date: r.sunset_date,
      state,
      flagged: state === 'review_overdue' || state === 'sunset_passed',
      message,
    };
  });
}
