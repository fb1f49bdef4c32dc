/**
 * OFAC SDN XML (`sdn.xml` / `consolidated.xml`: `<sdnList>` of `<sdnEntry>`),
 * per OFAC's "SDN data specification". No full sample is in the reference data
 * (the file is over 4 MiB), so this follows the published element names; the
 * namespace varies between publications and is ignored.
 *
 * Names are written "LAST, First" like the legacy CSV's SDN_Name, so an entity
 * reads the same whichever OFAC format it was loaded from.
 */
import type { EntityType, ListEntity } from '../model.js';
import { EntityBuilder } from './entity-builder.js';
import { malformed } from './errors.js';
import { parseDates } from './dates.js';
import { applyOfacRemarks } from './ofac-remarks.js';
import { child, children, textOf, xmlRecords, type XmlNode } from './xml.js';

export interface OfacXmlMeta {
  publishDate?: string;
  recordCount?: number;
}

const TYPES: Record<string, EntityType> = { individual: 'person', entity: 'organisation', vessel: 'vessel', aircraft: 'aircraft' };

export async function* parseOfacXml(file: string, text: AsyncIterable<string>, list: string, meta: OfacXmlMeta = {}): AsyncGenerator<ListEntity> {
  let rootSeen = false;
  const records = xmlRecords(file, text, {
    isRecord: (p) => p.length === 2 && (p[1] === 'sdnEntry' || p[1] === 'publshInformation'),
    onOpen: (p) => {
      if (p.length === 1) {
        if (p[0] !== 'sdnList') throw malformed(file, 'root element', '<sdnList>', `<${p[0]}>`);
        rootSeen = true;
      }
    },
  });
  for await (const r of records) {
    if (r.name === 'publshInformation') {
      meta.publishDate = textOf(r, 'Publish_Date') || undefined;
      const n = Number(textOf(r, 'Record_Count'));
      if (Number.isFinite(n) && n > 0) meta.recordCount = n;
      continue;
    }
    yield sdnEntry(file, list, r);
  }
  if (!rootSeen) throw malformed(file, 'document', '<sdnList> root element');
}

const fullName = (n: XmlNode) => {
  const last = textOf(n, 'lastName');
  const first = textOf(n, 'firstName');
  return last && first ? `${last}, ${first}` : last || first;
};

function sdnEntry(file: string, list: string, r: XmlNode): ListEntity {
  const uid = textOf(r, 'uid');
  if (!/^\d+$/.test(uid)) throw malformed(file, `line ${r.line} <sdnEntry>`, 'a numeric <uid>', uid);
  const name = fullName(r);
  if (!name) throw malformed(file, `line ${r.line} <sdnEntry> ${uid}`, '<lastName>');
  const b = new EntityBuilder(uid, list, TYPES[textOf(r, 'sdnType').toLowerCase()] ?? 'organisation', name);
  for (const p of children(child(r, 'programList') ?? r, 'program')) b.programme(textOf(p));
  for (const a of children(child(r, 'akaList') ?? r, 'aka')) {
    const t = textOf(a, 'type').toLowerCase();
    b.alias(fullName(a), textOf(a, 'category').toLowerCase() === 'weak' ? 'weak' : 'strong', t.startsWith('f') ? 'fka' : t.startsWith('n') ? 'nka' : 'aka');
  }
  for (const a of children(child(r, 'addressList') ?? r, 'address')) {
    b.address(['address1', 'address2', 'address3', 'city', 'stateOrProvince', 'postalCode'].map((n) => textOf(a, n)), textOf(a, 'country') || undefined);
  }
  for (const l of ['nationalityList', 'citizenshipList']) for (const c of child(r, l)?.children ?? []) b.country(textOf(c, 'country'));
  for (const d of children(child(r, 'dateOfBirthList') ?? r, 'dateOfBirthItem')) b.dob(parseDates(textOf(d, 'dateOfBirth')));
  for (const id of children(child(r, 'idList') ?? r, 'id')) b.identifier(textOf(id, 'idType') || 'ID', textOf(id, 'idNumber'), textOf(id, 'idCountry') || undefined);
  const vessel = child(r, 'vesselInfo');
  if (vessel) {
    b.identifier('Call Sign', textOf(vessel, 'callSign'));
    b.country(textOf(vessel, 'vesselFlag'));
  }
  const remarks = textOf(r, 'remarks');
  if (remarks) {
    applyOfacRemarks(b, remarks);
    b.remarks = remarks;
  }
  return b.build();
}
