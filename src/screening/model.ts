/**
 * The screening domain's data model: one shape for an entity from any list.
 *
 * Every parser in `lists/` turns its source format into `ListEntity` values, so
 * the index, the matcher, the version diff and (later) the store see one shape.
 */

/** What kind of party a list entry designates. */
export type EntityType = 'person' | 'organisation' | 'vessel' | 'aircraft' | 'unknown';

/**
 * How much the list itself trusts an alias. OFAC separates strong a.k.a.s
 * (alt.csv / `<category>strong</category>`) from weak ones (quoted in remarks);
 * the UN marks aliases Good or Low; the EU marks `strong="false"`.
 */
export type AliasQuality = 'strong' | 'weak';

/** Where an alias comes from, as far as the list tells. */
export type AliasKind = 'aka' | 'fka' | 'nka' | 'original_script' | 'previous_name';

export interface Alias {
  name: string;
  quality?: AliasQuality;
  kind?: AliasKind;
}

export interface Address {
  /** Street, city, region and postal code as the list writes them, joined with ", ". */
  text: string;
  /** ISO 3166-1 alpha-2 when the country could be resolved. */
  country?: string;
}

export interface Identifier {
  /** As the list names it: "Passport", "Tax ID No.", "IMO", "INN", "Registration Number"... */
  type: string;
  value: string;
  /** ISO 3166-1 alpha-2 of the issuing country when known. */
  country?: string;
}

/** One designated party, in the list's own terms. */
export interface ListEntity {
  /** The source's own identifier (OFAC ent_num/uid, UN reference number, EU logical id, CSL id, OpenSanctions id). */
  entity_id: string;
  /** Which list this entry belongs to (e.g. "us-ofac-sdn", "un-sc-consolidated", "eu-oj-32014R0833"). */
  list: string;
  type: EntityType;
  /** The primary name as listed. */
  name: string;
  aliases: Alias[];
  addresses: Address[];
  /** ISO 3166-1 alpha-2 codes: nationality, citizenship, residence, incorporation, address countries. */
  countries: string[];
  /** ISO-8601 dates or prefixes ("1964-07-17", "1964-07", "1964"); a range is listed year by year. */
  dates_of_birth: string[];
  identifiers: Identifier[];
  /** Sanctions programmes, regimes or annexes the entity is listed under. */
  programmes: string[];
  /** Free-text remarks, kept for the reviewer (not used for matching). */
  remarks?: string;
}

/** The formats the parsers read; `auto` detects from content. */
export const LIST_FORMATS = [
  'ofac-xml',
  'ofac-csv',
  'csl',
  'un',
  'eu',
  'uk',
  'ftm',
  'bis-dpl',
  'dod-1260h',
] as const;
export type ListFormat = (typeof LIST_FORMATS)[number];

/** Tallies of one load, for the version record and `lists inspect`. */
export interface ListCounts {
  entities: number;
  by_type: Record<EntityType, number>;
  names: number;
  aliases: number;
  addresses: number;
  /** Source records read (rows, elements, lines) per input file, keyed by file name. */
  records: Record<string, number>;
  /** Source records deliberately not turned into entities (e.g. FtM Sanction/Ownership records), per file. */
  skipped: Record<string, number>;
}

export function emptyCounts(): ListCounts {
  return {
    entities: 0,
    by_type: { person: 0, organisation: 0, vessel: 0, aircraft: 0, unknown: 0 },
    names: 0,
    aliases: 0,
    addresses: 0,
    records: {},
    skipped: {},
  };
}

export function countEntity(counts: ListCounts, e: ListEntity): void {
  counts.entities++;
  counts.by_type[e.type]++;
  counts.names += 1 + e.aliases.length;
  counts.aliases += e.aliases.length;
  counts.addresses += e.addresses.length;
}
