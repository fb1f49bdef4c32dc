/**
 * OFAC remarks: the legacy CSV (and the SDN XML's free text) put weak aliases,
 * dates of birth, nationality and identity documents into `;`-separated remarks:
 * `DOB 01 Jan 1960; nationality Iran; Passport A123 (Iran); a.k.a. 'BNC'.`
 * Weak a.k.a.s are quoted with single quotes; strong ones are in alt.csv.
 */
import type { EntityBuilder } from './entity-builder.js';
import { parseDates } from './dates.js';

const ID_TYPES = [
  'Passport',
  'National ID No.',
  'Tax ID No.',
  'Registration Number',
  'Registration ID',
  'Identification Number',
  'Cedula No.',
  'C.U.R.P.',
  'R.F.C.',
  'NIT #',
  'D.N.I.',
  'SSN',
  'Driver\'s License No.',
  'Business Registration Number',
  'Business Number',
  'Company Number',
  'Legal Entity Number',
  'Government Gazette Number',
  'Chinese Commercial Code',
  'Vessel Registration Identification',
  'MMSI',
  'Aircraft Manufacturer\'s Serial Number (MSN)',
  'Unified Social Credit Code (USCC)',
  'SWIFT/BIC',
  'Kenyan ID No.',
  'Birth Certificate Number',
  'UK Company Number',
  'Trade License No.',
];

/** Apply what the remarks say to the entity under construction. */
export function applyOfacRemarks(b: EntityBuilder, remarks: string): void {
  // Weak aliases: a.k.a. 'NAME' (also f.k.a. / n.k.a.), possibly several in one item.
  const weak = /\b([afn])\.k\.a\.,?\s+'([^']+)'/g;
  let m: RegExpExecArray | null;
  while ((m = weak.exec(remarks))) b.alias(m[2], 'weak', m[1] === 'f' ? 'fka' : m[1] === 'n' ? 'nka' : 'aka');
  for (const raw of remarks.split(/;\s*/)) {
    const item = raw.replace(/^alt\.\s+/, '').replace(/\.$/, '').trim();
    if (!item) continue;
    if (/^DOB\b/.test(item)) {
      b.dob(parseDates(item.slice(3)));
      continue;
    }
    const nat = /^(?:nationality|citizen|Nationality of Registration)\s+(.+)$/.exec(item);
    if (nat) {
      b.country(nat[1]);
      continue;
    }
    const flag = /^Vessel Flag\s+(.+)$/.exec(item);
    if (flag) {
      b.country(flag[1]);
      continue;
    }
    for (const t of ID_TYPES) {
      if (item.startsWith(t + ' ')) {
        const rest = item.slice(t.length + 1).trim();
        const paren = /^(.*?)\s*\(([^()]*)\)\s*$/.exec(rest);
        const value = paren ? paren[1]! : rest;
        b.identifier(t === 'Vessel Registration Identification' ? 'IMO' : t, value.replace(/^IMO\s+/, ''), paren?.[2]);
        break;
      }
    }
  }
}

/** OFAC's programme field: `UKRAINE-EO13662] [RUSSIA-EO14024` → two programmes. */
export function ofacProgrammes(field: string): string[] {
  return field
    .split(/\]\s*\[/)
    .map((p) => p.replace(/[[\]]/g, '').trim())
    .filter((p) => p);
}
