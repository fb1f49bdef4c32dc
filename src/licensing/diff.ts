/**
 * The diff an amendment shows: what it changes against the licence (or the
 * case) it amends, section by section, so the officer re-reviews only the
 * changed parts. Items and parties are matched by their origin: an amended
 * item keeps the id of the licence item it continues.
 */
import { canonicalJson } from '../ledger/core/canonical-json.js';

export interface ComparableItem {
  key: string;
  name: string;
  quantity: number | null;
  unit: string | null;
  value: { amount: number; currency: string } | null;
  spec_sha256: string;
}

export interface ComparableParty {
  key: string;
  role: string;
  name: string;
  country: string;
  address?: string | undefined;
  [field: string]: unknown;
}

/** The parts of a licence or application an amendment may change. */
export interface AmendableView {
  items: ComparableItem[];
  parties: ComparableParty[];
  destinations: string[];
  end_use: { text?: string | undefined; domains?: string[] | undefined } | undefined;
  valid_to: string | null | undefined;
}

export interface Change {
  section: 'items' | 'parties' | 'destinations' | 'end_use' | 'validity';
  change: 'added' | 'removed' | 'changed';
  /** Item or party key (its origin id), for item and party changes. */
  key?: string;
  field?: string;
  before?: unknown;
  after?: unknown;
  label: string;
}

export interface AmendmentDiff {
  changes: Change[];
  sections: string[];
  /** Keys of the items and parties of the amendment that are new or changed: what the pre-checks review again. */
  changed_items: string[];
  changed_parties: string[];
}

const same = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);
const PARTY_IGNORED = new Set(['key', 'id', 'screening', 'origin_id']);

/** Diff `after` (the amendment) against `before` (what it amends). Pure. */
export function diffAmendment(before: AmendableView, after: AmendableView): AmendmentDiff {
  const changes: Change[] = [];
  const changedItems = new Set<string>();
  const changedParties = new Set<string>();

  const beforeItems = new Map(before.items.map((i) => [i.key, i]));
  const afterItems = new Map(after.items.map((i) => [i.key, i]));
  for (const [key, a] of afterItems) {
    const b = beforeItems.get(key);
    if (!b) {
      changes.push({ section: 'items', change: 'added', key, after: a, label: `item “${a.name}” added` });
      changedItems.add(key);
      continue;
    }
    for (const field of ['quantity', 'unit', 'value', 'spec_sha256'] as const) {
      if (!same(b[field], a[field])) {
        changes.push({ section: 'items', change: 'changed', key, field, before: b[field], after: a[field], label: `“${a.name}”: ${field === 'spec_sha256' ? 'item specification' : field} changed` });
        changedItems.add(key);
      }
    }
  }
  for (const [key, b] of beforeItems) if (!afterItems.has(key)) changes.push({ section: 'items', change: 'removed', key, before: b, label: `item “${b.name}” removed` });

  const beforeParties = new Map(before.parties.map((p) => [p.key, p]));
  const afterParties = new Map(after.parties.map((p) => [p.key, p]));
  for (const [key, a] of afterParties) {
    const b = beforeParties.get(key);
    if (!b) {
      changes.push({ section: 'parties', change: 'added', key, after: a, label: `${a.role.replace(/_/g, ' ')} “${a.name}” added` });
      changedParties.add(key);
      continue;
    }
    const fields = new Set([...Object.keys(a), ...Object.keys(b)].filter((f) => !PARTY_IGNORED.has(f)));
    for (const field of fields) {
      if (!same(b[field], a[field])) {
        changes.push({ section: 'parties', change: 'changed', key, field, before: b[field], after: a[field], label: `${a.role.replace(/_/g, ' ')} “${a.name}”: ${field.replace(/_/g, ' ')} changed` });
        changedParties.add(key);
      }
    }
  }
  for (const [key, b] of beforeParties) if (!afterParties.has(key)) changes.push({ section: 'parties', change: 'removed', key, before: b, label: `${b.role.replace(/_/g, ' ')} “${b.name}” removed` });

  const bd = new Set(before.destinations);
  const ad = new Set(after.destinations);
  for (const d of ad) if (!bd.has(d)) changes.push({ section: 'destinations', change: 'added', after: d, label: `destination ${d} added` });
  for (const d of bd) if (!ad.has(d)) changes.push({ section: 'destinations', change: 'removed', before: d, label: `destination ${d} removed` });

  if (!same(before.end_use?.text, after.end_use?.text)) changes.push({ section: 'end_use', change: 'changed', field: 'text', before: before.end_use?.text, after: after.end_use?.text, label: 'end use changed' });
  if (!same([...(before.end_use?.domains ?? [])].sort(), [...(after.end_use?.domains ?? [])].sort())) {
    changes.push({ section: 'end_use', change: 'changed', field: 'domains', before: before.end_use?.domains, after: after.end_use?.domains, label: 'application domains changed' });
  }
  if (after.valid_to !== undefined && !same(before.valid_to, after.valid_to)) {
    changes.push({ section: 'validity', change: 'changed', field: 'valid_to', before: before.valid_to, after: after.valid_to, label: `validity ${before.valid_to ?? 'open'} → ${after.valid_to ?? 'open'}` });
  }
  return { changes, sections: [...new Set(changes.map((c) => c.section))], changed_items: [...changedItems], changed_parties: [...changedParties] };
}
