/**
 * The difference between two versions of a list: entities added, removed and
 * changed (matched by entity_id), with the fields that changed. Pure: the store
 * feeds it the entities of two versions; re-screening uses `added` and `changed`
 * to decide which parties need a fresh look.
 */
import type { ListEntity } from './model.js';

/** The entity fields a version diff compares. */
export const DIFF_FIELDS = ['name', 'type', 'aliases', 'addresses', 'countries', 'dates_of_birth', 'identifiers', 'programmes', 'remarks'] as const;
export type DiffField = (typeof DIFF_FIELDS)[number];

export interface ChangedEntity {
  entity_id: string;
  before: ListEntity;
  after: ListEntity;
  fields: DiffField[];
}

export interface ListDiff {
  added: ListEntity[];
  removed: ListEntity[];
  changed: ChangedEntity[];
  unchanged: number;
}

/** A field's value in a form where order inside lists does not count. */
function comparable(e: ListEntity, f: DiffField): string {
  const v = e[f];
  if (Array.isArray(v)) return JSON.stringify(v.map((x) => (typeof x === 'string' ? x : stableJson(x))).sort());
  return JSON.stringify(v ?? null);
}

function stableJson(o: object): string {
  return JSON.stringify(Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
}

/** Which fields differ between two versions of one entity. */
export function changedFields(before: ListEntity, after: ListEntity): DiffField[] {
  return DIFF_FIELDS.filter((f) => comparable(before, f) !== comparable(after, f));
}

export function diffListVersions(oldEntities: Iterable<ListEntity>, newEntities: Iterable<ListEntity>): ListDiff {
  const before = new Map<string, ListEntity>();
  for (const e of oldEntities) before.set(e.entity_id, e);
  const added: ListEntity[] = [];
  const changed: ChangedEntity[] = [];
  let unchanged = 0;
  const seen = new Set<string>();
  for (const e of newEntities) {
    seen.add(e.entity_id);
    const b = before.get(e.entity_id);
    if (!b) {
      added.push(e);
      continue;
    }
    const fields = changedFields(b, e);
    if (fields.length > 0) changed.push({ entity_id: e.entity_id, before: b, after: e, fields });
    else unchanged++;
  }
  const removed = [...before.values()].filter((e) => !seen.has(e.entity_id));
  return { added, removed, changed, unchanged };
}
