/**
 * US DoD "Section 1260H" list of Chinese military companies, in the CSV that
 * OpenSanctions keeps (`Name, Clean Name, Alias, Previous Name, Parent Name,
 * Note, Start date, End date, Source Url`). The list has no identifier, so
 * entity_id is `1260h#` + 12 hex digits of the SHA-256 of the clean name.
 */
import { createHash } from 'node:crypto';
import type { ListEntity } from '../model.js';
import { csvRows } from './csv.js';
import { EntityBuilder, splitList } from './entity-builder.js';
import { malformed } from './errors.js';

export const DOD_LIST = 'us-dod-1260h';
export const DOD_HEADER = ['Name', 'Clean Name', 'Alias', 'Previous Name', 'Parent Name'];

export async function* parseDod1260h(file: string, text: AsyncIterable<string>): AsyncGenerator<ListEntity> {
  let col: Record<string, number> | undefined;
  let width = 0;
  for await (const { fields, line } of csvRows(file, text)) {
    if (!col) {
      const h = fields.map((f) => f.trim().replace(/^\uFEFF/, ''));
      col = Object.fromEntries(h.map((x, i) => [x, i]));
      width = h.length;
      for (const req of DOD_HEADER) if (col[req] === undefined) throw malformed(file, 'line 1 (header)', `a "${req}" column (1260H list)`, h.join(','));
      continue;
    }
    if (fields.length !== width) throw malformed(file, `line ${line}`, `${width} fields`, String(fields.length));
    const c = col;
    const get = (k: string) => (c[k] === undefined ? '' : (fields[c[k]!] ?? '').trim());
    const name = get('Clean Name') || get('Name').replace(/\*+$/, '');
    if (!name) throw malformed(file, `line ${line}`, 'a Name');
    const b = new EntityBuilder('1260h#' + createHash('sha256').update(name).digest('hex').slice(0, 12), DOD_LIST, 'organisation', name);
    for (const a of splitList(get('Alias'))) b.alias(a, 'strong', 'aka');
    for (const a of splitList(get('Previous Name'))) b.alias(a, 'strong', 'previous_name');
    b.country('CN');
    b.programme('Section 1260H');
    const note = [get('Parent Name') && `parent: ${get('Parent Name')}`, get('Note'), get('End date') && `delisted ${get('End date')}`].filter((x) => x).join('; ');
    if (note) b.remarks = note;
    yield b.build();
  }
  if (!col) throw malformed(file, 'line 1', 'a header row');
}
