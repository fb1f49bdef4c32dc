/**
 * UN Security Council Consolidated List XML (`<CONSOLIDATED_LIST>` with
 * `<INDIVIDUALS><INDIVIDUAL>` and `<ENTITIES><ENTITY>`), as published at
 * scsanctions.un.org; layout per the UN's sc-sanctions.xsd.
 *
 * entity_id is the UN reference number (e.g. "KPi.033"), the identifier the
 * Security Council itself cites; DATAID is kept as an identifier.
 */
import type { ListEntity } from '../model.js';
import { EntityBuilder } from './entity-builder.js';
import { malformed } from './errors.js';
import { parseDates } from './dates.js';
import { children, textOf, values, xmlRecords, type XmlNode } from './xml.js';

export const UN_LIST = 'un-sc-consolidated';

export interface UnMeta {
  dateGenerated?: string;
}

export async function* parseUnXml(file: string, text: AsyncIterable<string>, meta: UnMeta = {}): AsyncGenerator<ListEntity> {
  let rootSeen = false;
  const records = xmlRecords(file, text, {
    isRecord: (p) => p.length === 3 && (p[2] === 'INDIVIDUAL' || p[2] === 'ENTITY'),
    onOpen: (p, attrs) => {
      if (p.length === 1) {
        if (p[0] !== 'CONSOLIDATED_LIST') throw malformed(file, 'root element', '<CONSOLIDATED_LIST>', `<${p[0]}>`);
        rootSeen = true;
        if (attrs.dateGenerated) meta.dateGenerated = attrs.dateGenerated;
      }
    },
  });
  for await (const rec of records) yield unRecord(file, rec);
  if (!rootSeen) throw malformed(file, 'document', '<CONSOLIDATED_LIST> root element');
}

function unRecord(file: string, r: XmlNode): ListEntity {
  const ref = textOf(r, 'REFERENCE_NUMBER');
  const dataid = textOf(r, 'DATAID');
  if (!ref && !dataid) throw malformed(file, `line ${r.line} <${r.name}>`, '<REFERENCE_NUMBER> or <DATAID>');
  const person = r.name === 'INDIVIDUAL';
  const parts = ['FIRST_NAME', 'SECOND_NAME', 'THIRD_NAME', 'FOURTH_NAME'].map((n) => textOf(r, n)).filter((x) => x);
  const name = parts.join(' ');
  if (!name) throw malformed(file, `line ${r.line} <${r.name}> ${ref}`, '<FIRST_NAME>');
  const b = new EntityBuilder(ref || dataid, UN_LIST, person ? 'person' : 'organisation', name);
  if (dataid) b.identifier('UN DATAID', dataid);
  b.programme(textOf(r, 'UN_LIST_TYPE'));
  b.alias(textOf(r, 'NAME_ORIGINAL_SCRIPT'), undefined, 'original_script');
  for (const a of children(r, person ? 'INDIVIDUAL_ALIAS' : 'ENTITY_ALIAS')) {
    // The UN grades aliases "Good" or "Low"; "Low" aliases are the weak ones.
    const q = textOf(a, 'QUALITY').toLowerCase();
    b.alias(textOf(a, 'ALIAS_NAME'), q === 'low' ? 'weak' : q === 'good' ? 'strong' : undefined, 'aka');
  }
  for (const n of values(r, 'NATIONALITY', 'VALUE')) b.country(n);
  for (const a of children(r, person ? 'INDIVIDUAL_ADDRESS' : 'ENTITY_ADDRESS')) {
    b.address(['STREET', 'CITY', 'STATE_PROVINCE', 'ZIP_CODE'].map((n) => textOf(a, n)), textOf(a, 'COUNTRY') || undefined);
  }
  for (const d of children(r, 'INDIVIDUAL_DATE_OF_BIRTH')) {
    const date = textOf(d, 'DATE');
    const year = textOf(d, 'YEAR');
    const from = textOf(d, 'FROM_YEAR');
    const to = textOf(d, 'TO_YEAR');
    if (date) b.dob(parseDates(date));
    else if (year) b.dob(parseDates(year));
    else if (from && to) b.dob(parseDates(`${from} to ${to}`));
  }
  for (const d of children(r, 'INDIVIDUAL_DOCUMENT')) {
    const type = textOf(d, 'TYPE_OF_DOCUMENT') || 'Document';
    b.identifier(type, textOf(d, 'NUMBER'), textOf(d, 'ISSUING_COUNTRY') || textOf(d, 'COUNTRY_OF_ISSUE') || undefined);
  }
  const comments = textOf(r, 'COMMENTS1');
  if (comments) b.remarks = comments;
  return b.build();
}
