/**
 * Fingerprints that let a reviewed hit be remembered.
 *
 * An officer who marks a hit a false positive wants it not raised again — unless
 * something relevant changed. `hitFingerprint(party, entity)` is a SHA-256 over
 * the party as screened (normalised name, country, type, date of birth) and the
 * entity's matching-relevant content; a new list version that changes the
 * entity, or an edit to the party, gives a new fingerprint, so the hit is raised
 * again. The store keeps fingerprints of reviewed hits.
 */
import { createHash } from 'node:crypto';
import { countryCode } from '../lists/countries.js';
import { parseDates } from '../lists/dates.js';
import type { ListEntity } from '../model.js';
import { normalisedText } from '../normalise/name.js';
import type { Party } from './types.js';

/** Canonical JSON: object keys sorted, no whitespace (so equal content hashes equally). */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return '[' + v.map(canonicalJson).join(',') + ']';
  const o = v as Record<string, unknown>;
  return (
    '{' +
    Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => JSON.stringify(k) + ':' + canonicalJson(o[k]))
      .join(',') +
    '}'
  );
}

const sortedBy = <T>(a: T[], key: (x: T) => string) => [...a].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));

/** SHA-256 (hex) of what matching and review look at in an entity; list order does not count. */
export function entityDigest(e: ListEntity): string {
  const content = {
    entity_id: e.entity_id,
    list: e.list,
    type: e.type,
    name: e.name,
    aliases: sortedBy(e.aliases, (a) => a.name),
    countries: [...e.countries].sort(),
    dates_of_birth: [...e.dates_of_birth].sort(),
    identifiers: sortedBy(e.identifiers, (i) => `${i.type}|${i.value}`),
    programmes: [...e.programmes].sort(),
    addresses: sortedBy(e.addresses, (a) => a.text),
  };
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** SHA-256 (hex) of the party as screening sees it: formatting differences in the name do not count. */
export function partyDigest(p: Party): string {
  const content = {
    name: normalisedText(p.name, { person: p.type === 'person' }),
    country: countryCode(p.country) ?? null,
    type: p.type ?? null,
    dob: p.dob ? parseDates(p.dob).sort() : [],
  };
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** Changes when the party or the entity changes; stable otherwise. */
export function hitFingerprint(party: Party, entity: ListEntity): string {
  return fingerprintOfDigests(partyDigest(party), entityDigest(entity));
}

/**
 * The same fingerprint from the two digests, for a store that keeps each
 * entity's `entityDigest` beside it instead of the entity in memory.
 */
export function fingerprintOfDigests(partyDigestHex: string, entityDigestHex: string): string {
  return createHash('sha256').update(`fabgate-hit-v1\n${partyDigestHex}\n${entityDigestHex}`).digest('hex');
}
