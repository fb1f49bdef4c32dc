/**
 * EU sanctions, two sources:
 *
 * 1. The EU Financial Sanctions Files XML (`<export>` of `<sanctionEntity
 *    logicalId=…>` with `<nameAlias>`, `<citizenship>`, `<birthdate>`, `<address>`,
 *    `<identification>`), per the Commission's FSF documentation. entity_id is the
 *    `logicalId`. No real sample is in the reference data (the file is ~20 MB).
 * 2. OpenSanctions' transcriptions of the Official Journal annexes (one CSV row
 *    per listed party: celex, recordId, annex, schema, name, alias, …). recordId
 *    is unique only within an annex, so entity_id is `celex/annex/recordId`; rows
 *    without a recordId get `celex/annex/#` + the first 12 hex digits of the
 *    SHA-256 of the listed name, stable for as long as the name is.
 */
import { createHash } from 'node:crypto';
import type { EntityType, ListEntity } from '../model.js';
import { csvRows } from './csv.js';
import { EntityBuilder, splitList } from './entity-builder.js';
import { malformed } from './errors.js';
import { parseDates } from './dates.js';
import { children, xmlRecords } from './xml.js';

export const EU_FSF_LIST = 'eu-fsf';

export async function* parseEuXml(file: string, text: AsyncIterable<string>, meta: { generationDate?: string } = {}): AsyncGenerator<ListEntity> {
  let rootSeen = false;
  const records = xmlRecords(file, text, {
    isRecord: (p) => p.length === 2 && p[1] === 'sanctionEntity',
    onOpen: (p, attrs) => {
      if (p.length === 1) {
        if (p[0] !== 'export') throw malformed(file, 'root element', '<export>', `<${p[0]}>`);
        rootSeen = true;
        if (attrs.generationDate) meta.generationDate = attrs.generationDate;
      }
    },
  });
  for await (const r of records) {
    const id = r.attrs.logicalId;
    if (!id) throw malformed(file, `line ${r.line} <sanctionEntity>`, 'a logicalId attribute');
    const subject = children(r, 'subjectType')[0]?.attrs;
    const code = (subject?.classificationCode ?? subject?.code ?? '').toLowerCase();
    const type: EntityType = code === 'p' || code === 'person' ? 'person' : code === 'e' || code === 'enterprise' ? 'organisation' : 'unknown';
    const names = children(r, 'nameAlias').map((n) => ({
      name: (n.attrs.wholeName || [n.attrs.firstName, n.attrs.middleName, n.attrs.lastName].filter((x) => x).join(' ')).trim(),
      strong: n.attrs.strong !== 'false',
    }));
    const primary = names.find((n) => n.name && n.strong) ?? names.find((n) => n.name);
    if (!primary) throw malformed(file, `line ${r.line} <sanctionEntity logicalId="${id}">`, 'a <nameAlias> with a wholeName');
    const b = new EntityBuilder(id, EU_FSF_LIST, type, primary.name);
    for (const n of names) b.alias(n.name, n.strong ? 'strong' : 'weak', 'aka');
    for (const reg of children(r, 'regulation')) b.programme(reg.attrs.programme);
    if (r.attrs.euReferenceNumber) b.identifier('EU reference number', r.attrs.euReferenceNumber);
    for (const c of children(r, 'citizenship')) b.country(c.attrs.countryIso2Code || c.attrs.countryDescription);
    for (const d of children(r, 'birthdate')) b.dob(parseDates(d.attrs.birthdate || d.attrs.year));
    for (const a of children(r, 'address')) b.address([a.attrs.street, a.attrs.poBox, a.attrs.city, a.attrs.region, a.attrs.zipCode], a.attrs.countryIso2Code || a.attrs.countryDescription);
    for (const i of children(r, 'identification')) b.identifier(i.attrs.identificationTypeDescription || i.attrs.identificationTypeCode || 'ID', i.attrs.number, i.attrs.countryIso2Code);
    const remark = children(r, 'remark')
      .map((x) => x.text.trim())
      .filter((x) => x)
      .join('; ');
    if (remark) b.remarks = remark;
    yield b.build();
  }
  if (!rootSeen) throw malformed(file, 'document', '<export> root element');
}

/** The header of OpenSanctions' EU Official Journal transcriptions. */
export const EU_OJ_REQUIRED = ['celex', 'recordId', 'annex', 'schema', 'name', 'alias'] as const;

const SCHEMA_TYPES: Record<string, EntityType> = {
  person: 'person',
  legalentity: 'organisation',
  company: 'organisation',
  organization: 'organisation',
  publicbody: 'organisation',
  vessel: 'vessel',
  airplane: 'aircraft',
};

/** "NAME (ИМЯ)" → both spellings; an alias list is split on ';'. */
export function splitAliases(field: string): string[] {
  const out: string[] = [];
  for (const a of splitList(field)) {
    const m = /^(.*\S)\s*\(([^()]{2,})\)$/.exec(a);
    if (m) out.push(m[1]!, m[2]!);
    else out.push(a);
  }
  return out;
}

const ID_COLUMNS: Array<[string, string]> = [
  ['registrationNumber', 'Registration Number'],
  ['taxNumber', 'Tax Number'],
  ['idNumber', 'ID Number'],
  ['passportNumber', 'Passport'],
  ['innCode', 'INN'],
  ['ogrnCode', 'OGRN'],
  ['kppCode', 'KPP'],
  ['okpoCode', 'OKPO'],
  ['leiCode', 'LEI'],
  ['swiftBic', 'SWIFT/BIC'],
  ['imoNumber', 'IMO'],
  ['mmsi', 'MMSI'],
];

export async function* parseEuJournalCsv(file: string, text: AsyncIterable<string>): AsyncGenerator<ListEntity> {
  let header: string[] | undefined;
  let col: Record<string, number> = {};
  for await (const { fields, line } of csvRows(file, text)) {
    if (!header) {
      header = fields.map((f) => f.trim());
      col = Object.fromEntries(header.map((h, i) => [h, i]));
      for (const req of EU_OJ_REQUIRED) if (col[req] === undefined) throw malformed(file, 'line 1 (header)', `a "${req}" column (OpenSanctions EU journal layout)`, header.join(','));
      continue;
    }
    const get = (k: string) => (col[k] === undefined ? '' : (fields[col[k]!] ?? '').trim());
    if (fields.length !== header.length) throw malformed(file, `line ${line}`, `${header.length} fields`, String(fields.length));
    const celex = get('celex');
    const annex = get('annex');
    const name = get('name');
    if (!celex || !name) throw malformed(file, `line ${line}`, 'a celex number and a name');
    const rid = get('recordId') || '#' + createHash('sha256').update(name).digest('hex').slice(0, 12);
    const b = new EntityBuilder(`${celex}/${annex}/${rid}`, `eu-oj-${celex}`, SCHEMA_TYPES[get('schema').toLowerCase()] ?? 'unknown', name);
    for (const a of splitAliases(get('alias'))) b.alias(a, 'strong', /[\u0400-\u04ff]/.test(a) ? 'original_script' : 'aka');
    for (const a of splitAliases(get('weakAlias'))) b.alias(a, 'weak', 'aka');
    for (const a of splitAliases(get('previousName'))) b.alias(a, 'strong', 'previous_name');
    for (const c of ['country', 'nationality', 'jurisdiction', 'flag']) for (const v of splitList(get(c))) b.country(v);
    b.dob(parseDates(get('birthDate')));
    for (const a of splitList(get('address'))) b.address([a], a.split(',').pop());
    for (const [c, t] of ID_COLUMNS) for (const v of splitList(get(c))) b.identifier(t, v);
    b.programme(get('programKey'));
    b.programme(`Annex ${annex}${get('measure') ? ': ' + get('measure') : ''}`);
    const reason = get('reason');
    if (reason) b.remarks = reason;
    yield b.build();
  }
  if (!header) throw malformed(file, 'line 1', 'a header row');
}
