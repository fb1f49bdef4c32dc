/**
 * UK OFSI Consolidated List, CSV layout (`ConList.csv`), as documented by OFSI:
 * a first line `Last Updated,<date>`, then a header with `Name 6` (surname or
 * entity name), `Name 1`…`Name 5`, `Title`, `Name Non-Latin Script`, `DOB`,
 * `Nationality`, `Passport Number`, `National Identification Number`,
 * `Address 1`…`Address 6`, `Post/Zip Code`, `Country`, `Group Type`
 * (Individual / Entity / Ship), `Alias Type` (Primary name, AKA, …),
 * `Alias Quality` (Good / Low), `Regime`, `Group ID`. One row per name: rows of
 * one Group ID form one entity, whose entity_id is the Group ID.
 *
 * No real UK file is in the reference data; OFSI does not promise that rows of
 * one group are adjacent, so groups are gathered in memory (the list holds a few
 * thousand groups) and emitted at the end.
 */
import type { EntityType, ListEntity } from '../model.js';
import { csvRows } from './csv.js';
import { EntityBuilder } from './entity-builder.js';
import { malformed } from './errors.js';
import { parseDates } from './dates.js';

export const UK_LIST = 'uk-ofsi';
export const UK_REQUIRED = ['Name 6', 'Group ID', 'Group Type', 'Alias Type'] as const;

const TYPES: Record<string, EntityType> = { individual: 'person', entity: 'organisation', ship: 'vessel' };

export async function* parseUkConList(file: string, text: AsyncIterable<string>, meta: { lastUpdated?: string } = {}, tally: { records?: number } = {}): AsyncGenerator<ListEntity> {
  let col: Record<string, number> | undefined;
  let width = 0;
  let first = true;
  const groups = new Map<string, EntityBuilder>();
  for await (const { fields, line } of csvRows(file, text)) {
    if (first) {
      first = false;
      if ((fields[0] ?? '').trim().replace(/^\uFEFF/, '') === 'Last Updated') {
        meta.lastUpdated = fields[1]?.trim();
        continue;
      }
    }
    if (!col) {
      const h = fields.map((f) => f.trim().replace(/^\uFEFF/, ''));
      col = Object.fromEntries(h.map((x, i) => [x, i]));
      width = h.length;
      for (const req of UK_REQUIRED) if (col[req] === undefined) throw malformed(file, `line ${line} (header)`, `a "${req}" column (OFSI ConList.csv)`, h.join(','));
      continue;
    }
    tally.records = (tally.records ?? 0) + 1;
    if (fields.length < width) throw malformed(file, `line ${line}`, `${width} fields`, String(fields.length));
    const c = col;
    const get = (k: string) => (c[k] === undefined ? '' : (fields[c[k]!] ?? '').trim());
    const gid = get('Group ID');
    if (!gid) throw malformed(file, `line ${line}`, 'a Group ID');
    const type = TYPES[get('Group Type').toLowerCase()] ?? 'unknown';
    // Given names first, surname (Name 6) last: how the person is usually written.
    const name = [1, 2, 3, 4, 5, 6].map((i) => get(`Name ${i}`)).filter((x) => x).join(' ');
    if (!name) throw malformed(file, `line ${line}`, 'a name in Name 1…Name 6');
    const aliasType = get('Alias Type').toLowerCase();
    let b = groups.get(gid);
    if (!b) {
      b = new EntityBuilder(gid, UK_LIST, type, name);
      groups.set(gid, b);
    } else if (aliasType.startsWith('primary name') && aliasType !== 'primary name variation') {
      b.alias(b.name, 'strong', 'aka');
      b.name = name;
    }
    if (b.name !== name) b.alias(name, get('Alias Quality').toLowerCase() === 'low' ? 'weak' : 'strong', 'aka');
    b.alias(get('Name Non-Latin Script'), 'strong', 'original_script');
    b.dob(parseDates(get('DOB').replace(/^(\d{2})\/(\d{2})\/(\d{4})$/, '$3-$2-$1').replace(/^00\/00\//, '').replace(/^dd\/mm\//i, '')));
    b.country(get('Nationality'));
    b.address(['Address 1', 'Address 2', 'Address 3', 'Address 4', 'Address 5', 'Address 6', 'Post/Zip Code'].map(get), get('Country') || undefined);
    b.identifier('Passport', get('Passport Number'));
    b.identifier('National ID', get('National Identification Number'));
    b.programme(get('Regime'));
    const other = get('Other Information');
    if (other && !b.remarks) b.remarks = other;
  }
  if (!col) throw malformed(file, 'line 1', 'the ConList.csv header');
  for (const b of groups.values()) yield b.build();
}
