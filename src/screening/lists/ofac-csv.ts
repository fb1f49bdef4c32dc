/**
 * OFAC legacy CSV: `sdn.csv` (primary records), `alt.csv` (aliases), `add.csv`
 * (addresses) and `sdn_comments.csv` (remarks overflow), joined by `ent_num`.
 * The same layout serves the non-SDN Consolidated List (`cons_prim.csv`,
 * `cons_alt.csv`, `cons_add.csv`, `cons_comments.csv`). The files carry no header;
 * each part is recognised by its content (see `ofacCsvRole`).
 *
 * The aliases, addresses and comments are held in memory keyed by ent_num (they
 * are the smaller files: ~1 MB for the full SDN) while the primary file streams.
 */
import type { EntityType, ListEntity } from '../model.js';
import { csvRows, ofacField } from './csv.js';
import { EntityBuilder } from './entity-builder.js';
import { malformed } from './errors.js';
import { applyOfacRemarks, ofacProgrammes } from './ofac-remarks.js';

export type OfacCsvRole = 'primary' | 'alt' | 'add' | 'comments';

const ENT_NUM = /^\d+$/;

/**
 * Which part of the OFAC CSV set a file is, from its first record:
 * primary rows have 12 fields with the SDN type third; alias rows have 5 with
 * aka/fka/nka third; address rows 6 with two numbers first; comment rows 2.
 */
export function ofacCsvRole(firstRecord: string[]): OfacCsvRole | undefined {
  const f = firstRecord.map((x) => x.trim());
  if (!ENT_NUM.test(f[0] ?? '')) return undefined;
  if (f.length === 12 && /^(individual|vessel|aircraft|-0-|)$/i.test(f[2] ?? 'x')) return 'primary';
  if (f.length === 5 && /^(aka|fka|nka)$/i.test(f[2] ?? '') && ENT_NUM.test(f[1] ?? '')) return 'alt';
  if (f.length === 6 && ENT_NUM.test(f[1] ?? '')) return 'add';
  if (f.length === 2) return 'comments';
  return undefined;
}

/** A record that is only OFAC's end-of-file marker (0x1A, DOS EOF). */
const SUB = String.fromCharCode(0x1a);
const isEof = (fields: string[]) => fields.length === 1 && (fields[0] ?? '').split(SUB).join('').trim() === '';

export interface OfacAlias {
  type: string;
  name: string;
}
export interface OfacAddress {
  parts: string[];
  country: string;
}

/** Alias rows of alt.csv: ent_num, alt_num, alt_type, alt_name, alt_remarks. */
export async function* ofacAltRows(file: string, text: AsyncIterable<string>): AsyncGenerator<{ ent: string; alias: OfacAlias }> {
  for await (const { fields, line } of csvRows(file, text)) {
    if (isEof(fields)) continue;
    if (fields.length !== 5 || !ENT_NUM.test(fields[0]!.trim())) throw malformed(file, `line ${line}`, '5 fields: ent_num, alt_num, alt_type, alt_name, alt_remarks', fields.join(','));
    yield { ent: fields[0]!.trim(), alias: { type: ofacField(fields[2]), name: ofacField(fields[3]) } };
  }
}

/** Address rows of add.csv: ent_num, add_num, address, city/state/postal, country, add_remarks. */
export async function* ofacAddRows(file: string, text: AsyncIterable<string>): AsyncGenerator<{ ent: string; address: OfacAddress }> {
  for await (const { fields, line } of csvRows(file, text)) {
    if (isEof(fields)) continue;
    if (fields.length !== 6 || !ENT_NUM.test(fields[0]!.trim())) throw malformed(file, `line ${line}`, '6 fields: ent_num, add_num, address, city/state/postal, country, add_remarks', fields.join(','));
    yield { ent: fields[0]!.trim(), address: { parts: [ofacField(fields[2]), ofacField(fields[3])], country: ofacField(fields[4]) } };
  }
}

/** Remarks overflow rows: ent_num, remarks continuation. */
export async function* ofacCommentRows(file: string, text: AsyncIterable<string>): AsyncGenerator<{ ent: string; text: string }> {
  for await (const { fields, line } of csvRows(file, text)) {
    if (isEof(fields)) continue;
    if (fields.length !== 2 || !ENT_NUM.test(fields[0]!.trim())) throw malformed(file, `line ${line}`, '2 fields: ent_num, remarks', fields.join(','));
    yield { ent: fields[0]!.trim(), text: fields[1] ?? '' };
  }
}

export interface OfacPrimaryRow {
  ent: string;
  fields: string[];
  line: number;
}

/** Primary rows: ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks. */
export async function* ofacPrimaryRows(file: string, text: AsyncIterable<string>): AsyncGenerator<OfacPrimaryRow> {
  for await (const { fields, line } of csvRows(file, text)) {
    if (isEof(fields)) continue;
    if (fields.length !== 12 || !ENT_NUM.test(fields[0]!.trim())) throw malformed(file, `line ${line}`, '12 fields starting with a numeric ent_num (OFAC sdn.csv layout)', fields.join(','));
    if (!ofacField(fields[1])) throw malformed(file, `line ${line}`, 'a name in SDN_Name');
    yield { ent: fields[0]!.trim(), fields, line };
  }
}

export interface OfacJoinParts {
  aliases: Map<string, OfacAlias[]>;
  addresses: Map<string, OfacAddress[]>;
  comments: Map<string, string>;
}

export function emptyJoinParts(): OfacJoinParts {
  return { aliases: new Map(), addresses: new Map(), comments: new Map() };
}

const push = <T>(m: Map<string, T[]>, k: string, v: T) => {
  const a = m.get(k);
  if (a) a.push(v);
  else m.set(k, [v]);
};

export async function collectAliases(parts: OfacJoinParts, file: string, text: AsyncIterable<string>): Promise<number> {
  let n = 0;
  for await (const r of ofacAltRows(file, text)) {
    push(parts.aliases, r.ent, r.alias);
    n++;
  }
  return n;
}
export async function collectAddresses(parts: OfacJoinParts, file: string, text: AsyncIterable<string>): Promise<number> {
  let n = 0;
  for await (const r of ofacAddRows(file, text)) {
    push(parts.addresses, r.ent, r.address);
    n++;
  }
  return n;
}
export async function collectComments(parts: OfacJoinParts, file: string, text: AsyncIterable<string>): Promise<number> {
  let n = 0;
  for await (const r of ofacCommentRows(file, text)) {
    parts.comments.set(r.ent, (parts.comments.get(r.ent) ?? '') + r.text);
    n++;
  }
  return n;
}

const TYPES: Record<string, EntityType> = { individual: 'person', vessel: 'vessel', aircraft: 'aircraft' };

/** One primary row joined with its aliases, addresses and remarks overflow. */
export function ofacEntity(list: string, row: OfacPrimaryRow, parts: OfacJoinParts): ListEntity {
  const f = row.fields.map(ofacField);
  const [ent, name, type, program, title, callSign, vessType, , , vessFlag, vessOwner, remarks0] = f as [string, string, string, string, string, string, string, string, string, string, string, string];
  const b = new EntityBuilder(ent, list, TYPES[type.toLowerCase()] ?? 'organisation', name);
  for (const p of ofacProgrammes(program)) b.programme(p);
  for (const a of parts.aliases.get(ent) ?? []) {
    const t = a.type.toLowerCase();
    b.alias(a.name, 'strong', t === 'fka' ? 'fka' : t === 'nka' ? 'nka' : 'aka');
  }
  for (const a of parts.addresses.get(ent) ?? []) b.address(a.parts, a.country || undefined);
  if (callSign) b.identifier('Call Sign', callSign);
  if (vessFlag) b.country(vessFlag);
  const remarks = remarks0 + (parts.comments.get(ent) ?? '');
  if (remarks) {
    applyOfacRemarks(b, remarks);
    b.remarks = remarks;
  }
  if (title && b.remarks === undefined) b.remarks = title;
  else if (title) b.remarks = `${title}; ${b.remarks}`;
  if (vessType || vessOwner) b.remarks = [b.remarks, vessType && `Vessel type ${vessType}`, vessOwner && `Owner ${vessOwner}`].filter((x) => x).join('; ');
  return b.build();
}
