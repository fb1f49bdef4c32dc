/**
 * US Consolidated Screening List (trade.gov): the Commerce (BIS Entity List,
 * Denied Persons, Unverified, Military End-User), State and Treasury lists in
 * one file. Bulk CSV in two layouts (2019: 28 columns from `source`; current:
 * 29 columns from `_id`) and the JSON download (`{"results": [...]}`).
 *
 * entity_id is the CSL `_id`/`id` when present, else the source's
 * `entity_number`, else (older DPL/ISN rows carry neither) `csl#` + 12 hex digits
 * of SHA-256 over source, name and addresses.
 */
import { createHash } from 'node:crypto';
import type { EntityType, ListEntity } from '../model.js';
import { csvRows } from './csv.js';
import { EntityBuilder, splitList } from './entity-builder.js';
import { malformed } from './errors.js';
import { parseDates } from './dates.js';
import { jsonArrayElements } from './json-stream.js';

export const CSL_LIST = 'us-csl';

const TYPES: Record<string, EntityType> = { individual: 'person', entity: 'organisation', vessel: 'vessel', aircraft: 'aircraft' };

/** One CSL record, whichever format it came from (arrays already split). */
export interface CslRecord {
  id?: string;
  source: string;
  entity_number?: string;
  type?: string;
  programs: string[];
  name: string;
  title?: string;
  addresses: Array<{ address?: string; city?: string; state?: string; postal_code?: string; country?: string }>;
  alt_names: string[];
  citizenships: string[];
  nationalities: string[];
  dates_of_birth: string[];
  ids: Array<{ type?: string; number?: string; country?: string }>;
  remarks?: string;
  vessel_flag?: string;
  call_sign?: string;
}

export function cslEntity(r: CslRecord): ListEntity {
  const name = r.name.trim();
  const id =
    r.id?.trim() ||
    r.entity_number?.trim() ||
    'csl#' +
      createHash('sha256')
        .update([r.source, name, ...r.addresses.map((a) => a.address ?? '')].join('\n'))
        .digest('hex')
        .slice(0, 12);
  const b = new EntityBuilder(id, CSL_LIST, TYPES[(r.type ?? '').toLowerCase()] ?? 'unknown', name);
  b.programme(r.source);
  for (const p of r.programs) b.programme(p);
  for (const a of r.alt_names) b.alias(a, 'strong', 'aka');
  for (const a of r.addresses) b.address([a.address, a.city, a.state, a.postal_code], a.country);
  for (const c of [...r.citizenships, ...r.nationalities]) b.country(c);
  if (r.vessel_flag) b.country(r.vessel_flag);
  for (const d of r.dates_of_birth) b.dob(parseDates(d));
  for (const i of r.ids) b.identifier(i.type || 'ID', i.number, i.country);
  if (r.call_sign) b.identifier('Call Sign', r.call_sign);
  const remarks = [r.title, r.remarks].filter((x) => x && x.trim()).join('; ');
  if (remarks) b.remarks = remarks;
  return b.build();
}

/**
 * The CSV's `addresses` column: addresses separated by ';', each
 * "street, city, state, postal code, country" with the country last.
 */
function cslAddresses(field: string): CslRecord['addresses'] {
  return splitList(field).map((a) => {
    const parts = a.split(',').map((x) => x.trim());
    const country = parts.length > 1 ? parts.pop() : undefined;
    return { address: parts.join(', '), country };
  });
}

/** The CSV's `ids` column: "type, number, country, issue date, expiry date" entries separated by ';'. */
function cslIds(field: string): CslRecord['ids'] {
  return splitList(field).map((x) => {
    const [type, number, country] = x.split(',').map((s) => s.trim());
    return { type, number, country };
  });
}

export const CSL_REQUIRED = ['source', 'name', 'alt_names', 'addresses'] as const;

export async function* parseCslCsv(file: string, text: AsyncIterable<string>): AsyncGenerator<ListEntity> {
  let header: string[] | undefined;
  let col: Record<string, number> = {};
  for await (const { fields, line } of csvRows(file, text)) {
    if (!header) {
      header = fields.map((f) => f.trim().replace(/^\uFEFF/, ''));
      col = Object.fromEntries(header.map((h, i) => [h, i]));
      for (const req of CSL_REQUIRED) if (col[req] === undefined) throw malformed(file, 'line 1 (header)', `a "${req}" column (CSL bulk CSV layout)`, header.join(','));
      continue;
    }
    if (fields.length !== header.length) throw malformed(file, `line ${line}`, `${header.length} fields`, String(fields.length));
    const get = (k: string) => (col[k] === undefined ? '' : (fields[col[k]!] ?? '').trim());
    const name = get('name');
    if (!name) throw malformed(file, `line ${line}`, 'a name');
    yield cslEntity({
      id: get('_id'),
      source: get('source'),
      entity_number: get('entity_number'),
      type: get('type'),
      programs: splitList(get('programs')),
      name,
      title: get('title'),
      addresses: cslAddresses(get('addresses')),
      alt_names: splitList(get('alt_names')),
      citizenships: splitList(get('citizenships')),
      nationalities: splitList(get('nationalities')),
      dates_of_birth: splitList(get('dates_of_birth')),
      ids: cslIds(get('ids')),
      remarks: get('remarks'),
      vessel_flag: get('vessel_flag'),
      call_sign: get('call_sign'),
    });
  }
  if (!header) throw malformed(file, 'line 1', 'a header row');
}

const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const strs = (v: unknown) => (Array.isArray(v) ? v.map(str).filter((x): x is string => !!x) : typeof v === 'string' ? splitList(v) : []);

export async function* parseCslJson(file: string, text: AsyncIterable<string>): AsyncGenerator<ListEntity> {
  let n = 0;
  for await (const v of jsonArrayElements(file, text, 'results')) {
    n++;
    const o = v as Record<string, unknown>;
    const name = str(o.name);
    if (!name) throw malformed(file, `results[${n - 1}]`, 'a "name" string');
    const obj = (x: unknown) => (x && typeof x === 'object' ? (x as Record<string, unknown>) : {});
    yield cslEntity({
      id: str(o.id) ?? str(o._id),
      source: str(o.source) ?? '',
      entity_number: str(o.entity_number),
      type: str(o.type),
      programs: strs(o.programs),
      name,
      title: str(o.title),
      addresses: (Array.isArray(o.addresses) ? o.addresses : []).map((a) => {
        const r = obj(a);
        return { address: str(r.address), city: str(r.city), state: str(r.state), postal_code: str(r.postal_code), country: str(r.country) };
      }),
      alt_names: strs(o.alt_names),
      citizenships: strs(o.citizenships),
      nationalities: strs(o.nationalities),
      dates_of_birth: strs(o.dates_of_birth),
      ids: (Array.isArray(o.ids) ? o.ids : []).map((i) => {
        const r = obj(i);
        return { type: str(r.type), number: str(r.number), country: str(r.country) };
      }),
      remarks: str(o.remarks),
      vessel_flag: str(o.vessel_flag),
      call_sign: str(o.call_sign),
    });
  }
}
