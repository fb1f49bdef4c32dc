/**
 * Matching against the real lists: one case per kind of variant that screening
 * meets, each with the entity it must find, plus the spine case (JSC Concern
 * Sirius, EU Reg. 833/2014 Annex IV) and a look-alike that must not be flagged.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FILES, loadEntities } from '../test-support/lists.js';
import type { ListEntity } from '../model.js';
import { screenBatch, compareNames } from './batch.js';
import { entityDigest, hitFingerprint, partyDigest } from './fingerprint.js';
import { buildIndex, type ScreeningIndex } from './index.js';
import { Screener } from './screen.js';
import { DEFAULT_THRESHOLD, type Match, type Party } from './types.js';

let index: ScreeningIndex;
let screener: Screener;
let entities: ListEntity[];

beforeAll(async () => {
  entities = [
    ...(await loadEntities(FILES.benchSdn, FILES.benchAlt, FILES.benchAdd)),
    ...(await loadEntities(FILES.eu833)),
    ...(await loadEntities(FILES.eu269)),
    ...(await loadEntities(FILES.un2026)),
    ...(await loadEntities(FILES.ftm)),
  ];
  index = await buildIndex(entities);
  screener = new Screener(index);
}, 120_000);

const screen = (p: Omit<Party, 'id'>, threshold?: number): Match[] => screener.screen({ id: 'q', ...p }, threshold === undefined ? {} : { threshold });
const ids = (m: Match[]) => m.map((x) => x.entity_id);

describe('the spine case', () => {
  it('flags a romanisation of the Cyrillic name of JSC Concern Sirius, with the explanation', () => {
    const m = screen({ name: 'Otkrytoe Aktsionernoe Obshchestvo Kontsern Sirius', country: 'RU', type: 'organisation' });
    const hit = m.find((x) => x.entity_id === '32014R0833/IV/1')!;
    expect(hit).toBeDefined();
    expect(m[0]).toBe(hit);
    expect(hit.list).toBe('eu-oj-32014R0833');
    expect(hit.score).toBeGreaterThanOrEqual(0.95);
    expect(hit.matched_name).toBe('Открытое Акционерное Общество «Концерн «Сириус»');
    expect(hit.explanation.name_kind).toBe('original script');
    expect(hit.explanation.tokens).toEqual([
      { query: '@jsc', list: '@jsc', similarity: 1, how: 'legal form' },
      { query: 'kontsern', list: 'kontsern', similarity: 1, how: 'exact' },
      { query: 'sirius', list: 'sirius', similarity: 1, how: 'exact' },
    ]);
    expect(hit.explanation.evidence.map((e) => e.kind)).toEqual(['type', 'country']);
  });

  it('does not flag a look-alike legitimate customer', () => {
    expect(screen({ name: 'Sirius Precision Optics GmbH', country: 'DE', type: 'organisation' })).toEqual([]);
    expect(screen({ name: 'Sirius Precision Optics GmbH' })).toEqual([]);
    // Below the threshold it is visible why: two words the list does not have.
    const low = screen({ name: 'Sirius Precision Optics GmbH', type: 'organisation' }, 0.3).find((x) => x.entity_id === '32014R0833/IV/1')!;
    expect(low.score).toBeLessThan(DEFAULT_THRESHOLD);
    expect(low.explanation.unmatched_query).toEqual(['precision', 'optics']);
  });
});

describe('variants', () => {
  it.each([
    ['exact name', { name: 'Banco Nacional de Cuba' }, '306', 'exact'],
    ['typos', { name: 'Banco Nacionale de Cubba' }, '306', 'typo'],
    ['an alias', { name: 'National Bank of Cuba' }, '306', 'exact'],
    ['another romanisation (ISO-like)', { name: 'Sergej Valerjevich Aksjonov', type: 'person' as const }, '32014R0269/I.PERSONS/1', undefined],
    ['the original script', { name: 'Сергей Аксёнов' }, '32014R0269/I.PERSONS/1', undefined],
    ['word order', { name: 'Zawahiri Ayman al' }, 'QDi.006', 'exact'],
    ['a changed legal form', { name: 'Stankoinstrument Limited Liability Company' }, '32014R0833/IV/2', 'legal form differs'],
    ['a dropped middle name (partial name)', { name: 'Vladimir Putin' }, '32014R0269/I.PERSONS/669', 'exact'],
    ['an initial', { name: 'A. al-Zawahiri', type: 'person' as const }, 'QDi.006', 'initial'],
    ['a romanised alias of a company', { name: 'Khimkompozit' }, '32014R0833/IV/3', 'exact'],
    ['Arabic script against the original-script name', { name: 'أيمن الظواهري' }, 'QDi.006', undefined],
    ['words run together', { name: 'ZalaAero Group' }, '32014R0833/IV/502', undefined],
  ])('finds %s', (_kind, party, expected, how) => {
    const m = screen(party);
    expect(ids(m)).toContain(expected);
    const hit = m.find((x) => x.entity_id === expected)!;
    expect(hit.score).toBeGreaterThanOrEqual(DEFAULT_THRESHOLD);
    if (how) expect(hit.explanation.tokens.map((t) => t.how)).toContain(how);
  });

  it('says how far a typo is from the listed spelling', () => {
    const hit = screen({ name: 'Banco Nacionale de Cubba' }).find((x) => x.entity_id === '306')!;
    expect(hit.explanation.tokens.map((t) => [t.query, t.list, t.how, t.edits])).toEqual([
      ['banco', 'banco', 'exact', undefined],
      ['nacionale', 'nacional', 'typo', 1],
      ['de', 'de', 'exact', undefined],
      // Doubled letters are folded like romanisation variants ("Hassan" / "Hasan").
      ['cubba', 'cuba', 'romanisation', undefined],
    ]);
  });

  it('does not flag names that only share a common first name', () => {
    for (const name of ['Vladimir Smirnoff', 'Mohammed Jones', 'Sergei Rachmaninoff', 'Ali Johnson', 'Kim Novak']) {
      expect(screen({ name, type: 'person' }).map((x) => x.matched_name), name).toEqual([]);
    }
  });
});

describe('secondary evidence', () => {
  it('lowers the score on a conflicting date of birth and raises it on a matching one', () => {
    const base = screen({ name: 'Ayman al-Zawahiri', type: 'person' }).find((x) => x.entity_id === 'QDi.006')!;
    const older = screen({ name: 'Ayman al-Zawahiri', type: 'person', dob: '1980-01-01' }).find((x) => x.entity_id === 'QDi.006')!;
    const same = screen({ name: 'Ayman al-Zawahiri', type: 'person', dob: '1951-06-19' }).find((x) => x.entity_id === 'QDi.006')!;
    expect(older.score).toBeLessThan(base.score);
    expect(older.explanation.evidence).toContainEqual(expect.objectContaining({ kind: 'date_of_birth', effect: -0.15 }));
    expect(same.explanation.evidence).toContainEqual(expect.objectContaining({ kind: 'date_of_birth', effect: 0.06 }));
  });

  it('lowers the score when a person is screened against an organisation name or the reverse', () => {
    const asOrg = screen({ name: 'Ayman al-Zawahiri', type: 'organisation' }, 0).find((x) => x.entity_id === 'QDi.006')!;
    expect(asOrg.explanation.evidence).toContainEqual(expect.objectContaining({ kind: 'type', effect: -0.2 }));
    expect(asOrg.score).toBeCloseTo(asOrg.explanation.name_score - 0.2, 2);
  });

  it('uses the country as weak evidence', () => {
    const ru = screen({ name: 'JSC Concern Sirius', country: 'Russia' }).find((x) => x.entity_id === '32014R0833/IV/1')!;
    const fr = screen({ name: 'JSC Concern Sirius', country: 'FR' }).find((x) => x.entity_id === '32014R0833/IV/1')!;
    expect(ru.score).toBeGreaterThan(fr.score);
    expect(fr.explanation.evidence).toContainEqual(expect.objectContaining({ kind: 'country', effect: -0.05 }));
  });
});

describe('thresholds, limits and batches', () => {
  it('honours a configured threshold and sorts by score', () => {
    const loose = screen({ name: 'Sirius' }, 0.5);
    const strict = screen({ name: 'Sirius' }, 0.99);
    expect(loose.length).toBeGreaterThan(strict.length);
    for (let i = 1; i < loose.length; i++) expect(loose[i]!.score).toBeLessThanOrEqual(loose[i - 1]!.score);
    expect(screen({ name: 'Sirius' }, 1.01)).toEqual([]);
    expect(screen({ name: '' })).toEqual([]);
    expect(screen({ name: '!!!' })).toEqual([]);
  });

  it('screens a stream of parties in order', async () => {
    async function* parties() {
      yield { id: 'a', name: 'Banco Nacional de Cuba' };
      yield { id: 'b', name: 'Sirius Precision Optics GmbH' };
      yield { id: 'c', name: 'Zala Aero Group' };
    }
    const out = [];
    for await (const r of screenBatch(parties(), index)) out.push(r);
    expect(out.map((r) => [r.id, r.matches.length > 0])).toEqual([
      ['a', true],
      ['b', false],
      ['c', true],
    ]);
  });

  it('scores two names directly', () => {
    expect(compareNames('Kontsern Sirius OAO', 'JSC Concern Sirius')).toBe(1);
    expect(compareNames('Olaf Scholze', 'Olaf Scholz', 'person')).toBeGreaterThan(0.9);
    expect(compareNames('Angela Merkel', 'Olaf Scholz', 'person')).toBe(0);
  });
});

describe('hit fingerprints (review memory)', () => {
  it('stay the same for the same party and entity, and change when either changes', () => {
    const sirius = entities.find((e) => e.entity_id === '32014R0833/IV/1')!;
    const party: Party = { id: 'c1', name: 'Otkrytoe Aktsionernoe Obshchestvo Kontsern Sirius', country: 'RU' };
    const fp = hitFingerprint(party, sirius);
    expect(hitFingerprint({ ...party, name: '  OTKRYTOE aktsionernoe obshchestvo, Kontsern «Sirius» ' }, sirius)).toBe(fp);
    expect(hitFingerprint(party, { ...sirius, aliases: [...sirius.aliases].reverse() })).toBe(fp);
    expect(hitFingerprint({ ...party, country: 'DE' }, sirius)).not.toBe(fp);
    expect(hitFingerprint({ ...party, name: 'Kontsern Sirius Holding' }, sirius)).not.toBe(fp);
    expect(hitFingerprint(party, { ...sirius, aliases: [...sirius.aliases, { name: 'Sirius Concern JSC', quality: 'strong' }] })).not.toBe(fp);
    expect(hitFingerprint(party, { ...sirius, programmes: [...sirius.programmes, 'EU-BLR'] })).not.toBe(fp);
    expect(entityDigest(sirius)).toMatch(/^[0-9a-f]{64}$/);
    expect(partyDigest(party)).toMatch(/^[0-9a-f]{64}$/);
  });
});
