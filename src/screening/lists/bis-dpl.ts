/**
 * BIS Denied Persons List, the tab-separated text file (`dpl.txt`): Name,
 * Street_Address, City, State, Country, Postal_Code, Effective_Date,
 * Expiration_Date, Standard_Order, Last_Update, Action, FR_Citation.
 *
 * The DPL has one row per (denied party, address): rows with the same name and
 * effective date (one denial order) form one entity with several addresses. The
 * DPL carries no identifier, so entity_id is `dpl#` + 12 hex digits of the
 * SHA-256 of name and effective date, which stays stable when BIS updates an
 * address. The file is small (hundreds of rows); rows are grouped in memory.
 */
import { createHash } from 'node:crypto';
import type { ListEntity } from '../model.js';
import { csvRows } from './csv.js';
import { EntityBuilder } from './entity-builder.js';
import { malformed } from './errors.js';

export const DPL_LIST = 'us-bis-dpl';
export const DPL_HEADER = ['Name', 'Street_Address', 'City', 'State', 'Country', 'Postal_Code', 'Effective_Date', 'Expiration_Date', 'Standard_Order', 'Last_Update', 'Action', 'FR_Citation'];

export async function* parseBisDpl(file: string, text: AsyncIterable<string>, tally: { records?: number } = {}): AsyncGenerator<ListEntity> {
  let header = false;
  const groups = new Map<string, EntityBuilder>();
  for await (const { fields, line } of csvRows(file, text, { delimiter: '\t', relaxQuotes: true })) {
    if (!header) {
      const h = fields.map((f) => f.trim());
      if (h[0] !== 'Name' || h[6] !== 'Effective_Date') throw malformed(file, 'line 1 (header)', DPL_HEADER.join('\\t'), h.join('\\t'));
      header = true;
      continue;
    }
    tally.records = (tally.records ?? 0) + 1;
    if (fields.length !== DPL_HEADER.length) throw malformed(file, `line ${line}`, `${DPL_HEADER.length} tab-separated fields`, String(fields.length));
    const [name, street, city, state, country, postal, effective, expiration, , , action, citation] = fields.map((f) => f.trim()) as string[];
    if (!name) throw malformed(file, `line ${line}`, 'a Name');
    const key = `${name}\n${effective}`;
    let b = groups.get(key);
    if (!b) {
      const id = 'dpl#' + createHash('sha256').update(key).digest('hex').slice(0, 12);
      // The DPL lists both people and companies without saying which.
      b = new EntityBuilder(id, DPL_LIST, 'unknown', name);
      b.programme('Denied Persons List');
      b.remarks = [effective && `effective ${effective}`, expiration && `expires ${expiration}`, action, citation].filter((x) => x).join('; ');
      groups.set(key, b);
    }
    b.address([street, city, state, postal], country);
  }
  if (!header) throw malformed(file, 'line 1', 'a header row');
  for (const b of groups.values()) yield b.build();
}
