import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diffListVersions } from './diff.js';
import { FILES, loadEntities } from './test-support/lists.js';

const entNums = (p: string) => new Set((readFileSync(p, 'utf-8').match(/^\d+(?=,)/gm) ?? []).map(String));

describe('diffListVersions', () => {
  it('finds what changed between two consecutive weeks of the OFAC SDN list', async () => {
    const [before, after] = await Promise.all([loadEntities(FILES.sdn20240426), loadEntities(FILES.sdn20240503)]);
    const d = diffListVersions(before, after);
    const a = entNums(FILES.sdn20240426);
    const b = entNums(FILES.sdn20240503);
    const added = [...b].filter((x) => !a.has(x));
    const removed = [...a].filter((x) => !b.has(x));
    expect(d.added.map((e) => e.entity_id).sort()).toEqual(added.sort());
    expect(d.removed.map((e) => e.entity_id).sort()).toEqual(removed.sort());
    expect([d.added.length, d.removed.length]).toEqual([305, 8]);
    expect(d.added.length + d.changed.length + d.unchanged).toBe(after.length);
    // Changed entries: the raw rows differ, and the diff names the fields.
    const rowsA = new Map((readFileSync(FILES.sdn20240426, 'utf-8').match(/^\d+,.*$/gm) ?? []).map((l) => [l.split(',')[0]!, l]));
    const rowsB = new Map((readFileSync(FILES.sdn20240503, 'utf-8').match(/^\d+,.*$/gm) ?? []).map((l) => [l.split(',')[0]!, l]));
    const rawChanged = [...rowsB.keys()].filter((k) => rowsA.has(k) && rowsA.get(k) !== rowsB.get(k));
    expect(d.changed.map((c) => c.entity_id).sort()).toEqual(rawChanged.sort());
    for (const c of d.changed) expect(c.fields.length).toBeGreaterThan(0);
    // A real entry amended in the later week (an alias added, as OFAC does) is reported as changed.
    const amended = after.map((e) => (e.entity_id === '306' ? { ...e, aliases: [...e.aliases, { name: 'BNC HAVANA', quality: 'strong' as const }] } : e));
    const d2 = diffListVersions(after, amended);
    expect(d2.changed.map((c) => [c.entity_id, c.fields])).toEqual([['306', ['aliases']]]);
    expect(d2.unchanged).toBe(after.length - 1);
  });

  it('reports the changed fields of one entity', () => {
    const base = { entity_id: '1', list: 'l', type: 'person' as const, name: 'A B', aliases: [{ name: 'C' }, { name: 'D' }], addresses: [], countries: ['RU', 'UA'], dates_of_birth: [], identifiers: [], programmes: ['X'] };
    const reordered = { ...base, aliases: [{ name: 'D' }, { name: 'C' }], countries: ['UA', 'RU'] };
    const renamed = { ...base, name: 'A  C', programmes: ['X', 'Y'] };
    expect(diffListVersions([base], [reordered])).toMatchObject({ added: [], removed: [], changed: [], unchanged: 1 });
    expect(diffListVersions([base], [renamed]).changed[0]!.fields).toEqual(['name', 'programmes']);
    expect(diffListVersions([base], [])).toMatchObject({ removed: [base] });
  });
});
