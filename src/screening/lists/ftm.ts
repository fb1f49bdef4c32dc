/**
 * OpenSanctions exports.
 *
 * - FollowTheMoney JSON lines (`entities.ftm.json`): one entity per line,
 *   `{id, schema, caption, properties: {name: [...], ...}, datasets}`. Only the
 *   parties one can trade with become entities (Person, Company, Organization,
 *   LegalEntity, PublicBody, Vessel, Airplane); Sanction, Ownership, Address and
 *   other link records are counted as skipped.
 * - `targets.simple.csv`: id, schema, name, aliases, birth_date, countries,
 *   addresses, identifiers, sanctions, phones, emails, dataset, first_seen, …
 *   with `;`-separated multi-values.
 *
 * entity_id is the OpenSanctions id (e.g. "NK-2Tbri3s6GgNtAwsSXh4qpL", "Q296771").
 */
import type { EntityType, ListEntity } from '../model.js';
import { csvRows } from './csv.js';
import { EntityBuilder, splitList } from './entity-builder.js';
import { malformed } from './errors.js';
import { parseDates } from './dates.js';
import { lines } from './json-stream.js';

export const FTM_LIST = 'opensanctions';

export const FTM_SCHEMA_TYPES: Record<string, EntityType> = {
  Person: 'person',
  Company: 'organisation',
  Organization: 'organisation',
  LegalEntity: 'organisation',
  PublicBody: 'organisation',
  Vessel: 'vessel',
  Airplane: 'aircraft',
};

const ID_PROPS: Array<[string, string]> = [
  ['idNumber', 'ID Number'],
  ['passportNumber', 'Passport'],
  ['taxNumber', 'Tax Number'],
  ['innCode', 'INN'],
  ['ogrnCode', 'OGRN'],
  ['registrationNumber', 'Registration Number'],
  ['leiCode', 'LEI'],
  ['imoNumber', 'IMO'],
  ['mmsi', 'MMSI'],
  ['swiftBic', 'SWIFT/BIC'],
];

export interface FtmTally {
  skipped: number;
}

export async function* parseFtmJsonLines(file: string, text: AsyncIterable<string>, tally: FtmTally = { skipped: 0 }): AsyncGenerator<ListEntity> {
  for await (const { text: l, line } of lines(file, text)) {
    let o: { id?: unknown; schema?: unknown; caption?: unknown; properties?: Record<string, unknown>; datasets?: unknown };
    try {
      o = JSON.parse(l);
    } catch (e) {
      throw malformed(file, `line ${line}`, 'one JSON object per line (FollowTheMoney)', (e as Error).message);
    }
    if (!o || typeof o !== 'object' || typeof o.id !== 'string' || typeof o.schema !== 'string') {
      throw malformed(file, `line ${line}`, 'an object with string "id" and "schema"');
    }
    const type = FTM_SCHEMA_TYPES[o.schema];
    if (!type) {
      tally.skipped++;
      continue;
    }
    const props = o.properties && typeof o.properties === 'object' ? o.properties : {};
    const p = (k: string): string[] => (Array.isArray(props[k]) ? (props[k] as unknown[]).filter((x): x is string => typeof x === 'string') : []);
    const names = p('name');
    const primary = (typeof o.caption === 'string' && o.caption) || names[0];
    if (!primary) throw malformed(file, `line ${line} (${o.id})`, 'a caption or a "name" property');
    const b = new EntityBuilder(o.id, FTM_LIST, type, primary);
    for (const n of names) b.alias(n, 'strong', /[^\p{Script=Latin}\p{Script=Common}\p{Script=Inherited}]/u.test(n) ? 'original_script' : 'aka');
    for (const n of p('alias')) b.alias(n, 'strong', 'aka');
    for (const n of p('previousName')) b.alias(n, 'strong', 'previous_name');
    for (const n of p('weakAlias')) b.alias(n, 'weak', 'aka');
    for (const k of ['country', 'nationality', 'citizenship', 'jurisdiction', 'flag', 'mainCountry']) for (const c of p(k)) b.country(c);
    b.dob(p('birthDate').flatMap((d) => parseDates(d)));
    for (const a of p('address')) b.address([a]);
    for (const [k, t] of ID_PROPS) for (const v of p(k)) b.identifier(t, v);
    for (const prog of p('programId')) b.programme(prog);
    if (Array.isArray(o.datasets)) for (const d of o.datasets) if (typeof d === 'string') b.programme(`dataset:${d}`);
    yield b.build();
  }
}

export const TARGETS_SIMPLE_HEADER = ['id', 'schema', 'name', 'aliases', 'birth_date', 'countries', 'addresses', 'identifiers', 'sanctions'];

export async function* parseTargetsSimpleCsv(file: string, text: AsyncIterable<string>): AsyncGenerator<ListEntity> {
  let col: Record<string, number> | undefined;
  let width = 0;
  for await (const { fields, line } of csvRows(file, text)) {
    if (!col) {
      const h = fields.map((f) => f.trim().replace(/^\uFEFF/, ''));
      col = Object.fromEntries(h.map((x, i) => [x, i]));
      width = h.length;
      for (const req of TARGETS_SIMPLE_HEADER) if (col[req] === undefined) throw malformed(file, 'line 1 (header)', `a "${req}" column (targets.simple.csv)`, h.join(','));
      continue;
    }
    if (fields.length !== width) throw malformed(file, `line ${line}`, `${width} fields`, String(fields.length));
    const c = col;
    const get = (k: string) => (c[k] === undefined ? '' : (fields[c[k]!] ?? '').trim());
    const id = get('id');
    const name = get('name');
    if (!id || !name) throw malformed(file, `line ${line}`, 'an id and a name');
    const b = new EntityBuilder(id, FTM_LIST, FTM_SCHEMA_TYPES[get('schema')] ?? 'unknown', name);
    for (const a of splitList(get('aliases'))) b.alias(a, 'strong', 'aka');
    for (const d of splitList(get('birth_date'))) b.dob(parseDates(d));
    for (const x of splitList(get('countries'))) b.country(x);
    for (const a of splitList(get('addresses'))) b.address([a]);
    for (const i of splitList(get('identifiers'))) b.identifier('ID', i);
    for (const s of splitList(get('sanctions'))) b.programme(s);
    if (get('dataset')) b.programme(`dataset:${get('dataset')}`);
    yield b.build();
  }
  if (!col) throw malformed(file, 'line 1', 'a header row');
}
