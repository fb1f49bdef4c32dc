/**
 * Every real list file of the reference data is parsed, and its record counts
 * are checked against counts taken from the file by simpler means (regular
 * expressions over the raw text, or csv-parse's synchronous parser).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { FILES, loadEntities } from '../test-support/lists.js';
import { openLists, readAll } from './load.js';
import { ofacAddRows, ofacAltRows, ofacCommentRows } from './ofac-csv.js';
import { fileInput, textChunks, chunks, newHash } from './source.js';

const raw = (p: string) => readFileSync(p, 'utf-8');
const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
/** OFAC rows: lines that start with a numeric ent_num. */
const ofacRows = (p: string) => (raw(p).match(/^\d+,/gm) ?? []).length;
const csvRecords = (p: string, delimiter = ',') => parse(raw(p), { relax_column_count: true, relax_quotes: true, delimiter, bom: true }) as string[][];
const unique = (xs: string[]) => new Set(xs).size === xs.length;

describe('OFAC legacy CSV', () => {
  it.each([
    ['2024-05-03', FILES.sdn20240503, 14965],
    ['2024-04-26', FILES.sdn20240426, 14668],
    ['2021 bench', FILES.benchSdn, 8976],
  ])('reads every entry of the %s sdn.csv with its type', async (_label, path, expected) => {
    const [load] = await openLists([fileInput(path)]);
    const { entities, summary } = await readAll(load!);
    expect(entities.length).toBe(ofacRows(path));
    expect(entities.length).toBe(expected);
    expect(summary.content_hash).toBe(sha256(path));
    expect(summary.list).toBe('us-ofac-sdn');
    const rows = csvRecords(path).filter((r) => /^\d+$/.test(r[0]!));
    const typeCount = (t: string) => rows.filter((r) => r[2]!.trim() === t).length;
    expect(summary.counts.by_type.person).toBe(typeCount('individual'));
    expect(summary.counts.by_type.vessel).toBe(typeCount('vessel'));
    expect(summary.counts.by_type.aircraft).toBe(typeCount('aircraft'));
    expect(summary.counts.by_type.organisation).toBe(typeCount('-0-'));
    expect(unique(entities.map((e) => e.entity_id))).toBe(true);
  });

  it('joins sdn.csv, alt.csv, add.csv and sdn_comments.csv given in any order, recognised by content', async () => {
    const loads = await openLists([FILES.benchComments, FILES.benchAdd, FILES.benchSdn, FILES.benchAlt].map(fileInput));
    expect(loads).toHaveLength(1);
    const { entities, summary } = await readAll(loads[0]!);
    expect(entities).toHaveLength(8976);
    expect(summary.files.map((f) => f.role).sort()).toEqual(['add', 'alt', 'comments', 'primary']);
    expect(summary.counts.records[FILES.benchAlt]).toBe(ofacRows(FILES.benchAlt));
    expect(summary.counts.records[FILES.benchAdd]).toBe(ofacRows(FILES.benchAdd));
    // Every alias row of alt.csv lands on its entity as a strong alias.
    const byId = new Map(entities.map((e) => [e.entity_id, e]));
    const altRows = csvRecords(FILES.benchAlt).filter((r) => /^\d+$/.test(r[0]!));
    const same = (a: string, b: string) => a.replace(/\s+/g, ' ').trim().toLowerCase() === b.replace(/\s+/g, ' ').trim().toLowerCase();
    for (const r of altRows) {
      const e = byId.get(r[0]!)!;
      const alias = r[3]!;
      expect(same(e.name, alias) || e.aliases.some((a) => same(a.name, alias) && a.quality === 'strong')).toBe(true);
    }
    // 306 BANCO NACIONAL DE CUBA: strong alias from alt.csv, weak one from remarks, addresses from add.csv.
    const bnc = byId.get('306')!;
    expect(bnc.aliases).toContainEqual({ name: 'NATIONAL BANK OF CUBA', quality: 'strong', kind: 'aka' });
    expect(bnc.aliases).toContainEqual({ name: 'BNC', quality: 'weak', kind: 'aka' });
    expect(bnc.addresses.map((a) => a.country)).toEqual(expect.arrayContaining(['CH', 'ES', 'JP']));
    // The combined content hash changes with any of the parts.
    expect(summary.content_hash).not.toBe(sha256(FILES.benchSdn));
  });

  it('appends the remarks overflow of sdn_comments.csv to the entity remarks', async () => {
    const entities = await loadEntities(FILES.benchSdn, FILES.benchComments);
    const comments = csvRecords(FILES.benchComments).filter((r) => /^\d+$/.test(r[0]!));
    expect(comments.length).toBe(5);
    for (const [ent, text] of comments) {
      expect(entities.find((e) => e.entity_id === ent)!.remarks!.endsWith(text!.trim())).toBe(true);
    }
  });

  it('reads dates of birth, nationality and passports from remarks', async () => {
    const entities = await loadEntities(FILES.sdn20240503);
    const persons = entities.filter((e) => e.type === 'person');
    const withDob = persons.filter((e) => e.dates_of_birth.length > 0).length;
    const rowsWithDob = csvRecords(FILES.sdn20240503).filter((r) => r[2]?.trim() === 'individual' && /\bDOB\b/.test(r[11] ?? '')).length;
    expect(withDob).toBe(rowsWithDob);
    expect(persons.some((e) => e.identifiers.some((i) => i.type === 'Passport'))).toBe(true);
  });

  it('reads the non-SDN Consolidated List parts as their own list', async () => {
    const loads = await openLists([FILES.consAlt, FILES.consPrim, FILES.consAdd, FILES.consComments].map(fileInput));
    const { entities, summary } = await readAll(loads[0]!);
    expect(summary.list).toBe('us-ofac-cons');
    expect(entities).toHaveLength(ofacRows(FILES.consPrim));
    expect(entities).toHaveLength(442);
    expect(summary.counts.records[FILES.consAlt]).toBe(1073);
  });

  it.each([
    ['static alt.csv', FILES.staticAlt, 17091, ofacAltRows],
    ['pkg alt.csv', FILES.pkgAlt, 19486, ofacAltRows],
    ['static add.csv', FILES.staticAdd, 18990, ofacAddRows],
    ['pkg add.csv', FILES.pkgAdd, 22641, ofacAddRows],
    ['static sdn_comments.csv', FILES.staticComments, 13, ofacCommentRows],
    ['pkg sdn_comments.csv', FILES.pkgComments, 21, ofacCommentRows],
  ] as const)('reads every row of the %s', async (_l, path, expected, reader) => {
    let n = 0;
    for await (const _r of reader(path, textChunks(chunks(fileInput(path), newHash())))) n++;
    expect(n).toBe(expected);
    expect(n).toBe(ofacRows(path));
  });

  it('refuses alias and address files loaded without their primary file', async () => {
    await expect(openLists([FILES.staticAlt, FILES.staticAdd].map(fileInput))).rejects.toMatchObject({ code: 'SCREENING_OFAC_PRIMARY_MISSING' });
  });
});

describe('UN Security Council consolidated XML', () => {
  it.each([
    ['2026', FILES.un2026, 730, 273, '2026-02-27T00:00:09.554Z'],
    ['2018', FILES.un2018, 703, 390, '2018-10-29T19:09:49.856-04:00'],
  ])('reads every individual and entity of the %s file', async (_y, path, persons, orgs, date) => {
    const text = raw(path);
    const [load] = await openLists([fileInput(path)]);
    const { entities, summary } = await readAll(load!);
    expect(summary.counts.by_type.person).toBe((text.match(/<INDIVIDUAL>/g) ?? []).length);
    expect(summary.counts.by_type.organisation).toBe((text.match(/<ENTITY>/g) ?? []).length);
    expect([summary.counts.by_type.person, summary.counts.by_type.organisation]).toEqual([persons, orgs]);
    expect(summary.source_date).toBe(date);
    expect(summary.content_hash).toBe(sha256(path));
    expect(unique(entities.map((e) => e.entity_id))).toBe(true);
    // Aliases: every non-empty ALIAS_NAME lands somewhere (as an alias or as the name itself).
    const aliasNames = [...text.matchAll(/<ALIAS_NAME>([^<]+)<\/ALIAS_NAME>/g)].map((m) => m[1]!.replace(/\s+/g, ' ').trim()).filter((x) => x);
    const all = new Set(entities.flatMap((e) => [e.name.toLowerCase(), ...e.aliases.map((a) => a.name.toLowerCase())]));
    for (const a of aliasNames) expect(all.has(a.toLowerCase().replace(/&amp;/g, '&').replace(/&apos;/g, "'").replace(/&quot;/g, '"'))).toBe(true);
  });

  it('keeps the UN reference number as entity_id and grades Low aliases weak', async () => {
    const entities = await loadEntities(FILES.un2018);
    const ri = entities.find((e) => e.entity_id === 'KPi.033')!;
    expect(ri.name).toBe('RI WON HO');
    expect(ri.dates_of_birth).toEqual(['1964-07-17']);
    expect(ri.countries).toEqual(['KP']);
    expect(ri.identifiers).toContainEqual({ type: 'Passport', value: '381310014' });
    expect(entities.some((e) => e.aliases.some((a) => a.quality === 'weak'))).toBe(true);
  });
});

describe('EU Official Journal annexes (OpenSanctions transcription)', () => {
  it.each([
    ['269/2014', FILES.eu269, 'eu-oj-32014R0269'],
    ['833/2014', FILES.eu833, 'eu-oj-32014R0833'],
    ['765/2006', FILES.eu765, 'eu-oj-32006R0765'],
  ])('reads every row of Reg. %s', async (_r, path, list) => {
    const rows = parse(raw(path), { columns: true }) as Array<Record<string, string>>;
    const [load] = await openLists([fileInput(path)]);
    const { entities, summary } = await readAll(load!);
    expect(entities).toHaveLength(rows.length);
    expect(summary.list).toBe(list);
    expect(summary.counts.by_type.person).toBe(rows.filter((r) => r.schema === 'Person').length);
    expect(summary.counts.by_type.vessel).toBe(rows.filter((r) => r.schema === 'Vessel').length);
    expect(unique(entities.map((e) => e.entity_id))).toBe(true);
  });

  it('finds JSC Concern Sirius on the Annex IV military end-user list with its Cyrillic name', async () => {
    const entities = await loadEntities(FILES.eu833);
    const annexIV = entities.filter((e) => e.programmes.some((p) => p.startsWith('Annex IV:')));
    expect(annexIV).toHaveLength(921);
    const sirius = entities.find((e) => e.entity_id === '32014R0833/IV/1')!;
    expect(sirius.name).toBe('JSC Sirius');
    expect(sirius.aliases.map((a) => a.name)).toEqual(
      expect.arrayContaining(['Открытое Акционерное Общество «Концерн «Сириус»', 'ОАО «Концерн «Сириус»', 'JSC Concern Sirius', 'Kontsern Sirius']),
    );
    expect(sirius.identifiers).toContainEqual({ type: 'Registration Number', value: '7704730655 (Tax ID/INN)' });
    expect(sirius.countries).toContain('RU');
  });
});

describe('US lists', () => {
  it.each([
    ['2019 layout', FILES.csl2019],
    ['current layout', FILES.csl2025],
  ])('reads every row of the CSL CSV (%s)', async (_l, path) => {
    const rows = parse(raw(path), { columns: true, bom: true }) as Array<Record<string, string>>;
    const entities = await loadEntities(path);
    expect(entities).toHaveLength(rows.length);
    expect(entities.map((e) => e.name)).toEqual(rows.map((r) => r.name!.trim()));
    expect(unique(entities.map((e) => e.entity_id))).toBe(true);
    const aliasCount = rows.reduce((n, r) => n + r.alt_names!.split(';').filter((x) => x.trim()).length, 0);
    expect(entities.reduce((n, e) => n + e.aliases.length, 0)).toBeLessThanOrEqual(aliasCount);
    expect(entities.reduce((n, e) => n + e.aliases.length, 0)).toBeGreaterThan(0);
  });

  it('reads every record of the BIS Denied Persons List', async () => {
    const rows = csvRecords(FILES.dpl, '\t').slice(1);
    expect(rows).toHaveLength(581);
    const [load] = await openLists([fileInput(FILES.dpl)]);
    const { entities, summary } = await readAll(load!);
    expect(summary.counts.records[FILES.dpl]).toBe(581);
    // One entity per denial order (name and effective date); one address per row.
    expect(entities).toHaveLength(new Set(rows.map((r) => `${r[0]!.trim()}|${r[6]}`)).size);
    expect(entities.reduce((n, e) => n + e.addresses.length, 0)).toBe(new Set(rows.map((r) => `${r[0]!.trim()}|${r[6]}|${r[1]}|${r[2]}|${r[3]}|${r[5]}`)).size);
    expect(unique(entities.map((e) => e.entity_id))).toBe(true);
    expect(entities[0]!.name).toBe('I. ASH');
  });

  it('reads the DoD 1260H Chinese military companies list', async () => {
    const rows = parse(raw(FILES.dod1260h), { columns: true }) as Array<Record<string, string>>;
    const entities = await loadEntities(FILES.dod1260h);
    expect(entities).toHaveLength(rows.length);
    expect(entities[0]!.name).toBe('360 Security Technology Inc.');
    expect(entities[0]!.aliases.map((a) => a.name)).toContain('Qihoo 360');
  });
});

describe('OpenSanctions exports', () => {
  it('reads FollowTheMoney JSON lines, keeping parties and counting link records as skipped', async () => {
    const lines = raw(FILES.ftm).split('\n').filter((l) => l.trim());
    const schemas = lines.map((l) => (JSON.parse(l) as { schema: string }).schema);
    const parties = schemas.filter((s) => ['Person', 'Company', 'Organization', 'LegalEntity', 'Vessel', 'Airplane', 'PublicBody'].includes(s)).length;
    const [load] = await openLists([fileInput(FILES.ftm)]);
    const { entities, summary } = await readAll(load!);
    expect(entities).toHaveLength(parties);
    expect(summary.counts.records[FILES.ftm]).toBe(lines.length);
    expect(summary.counts.skipped[FILES.ftm]).toBe(lines.length - parties);
    const maria = entities.find((e) => e.entity_id === 'NK-2Tbri3s6GgNtAwsSXh4qpL')!;
    expect(maria.type).toBe('person');
    expect(maria.dates_of_birth).toEqual(['1988-01-07']);
    expect(maria.aliases.some((a) => a.name === 'Мария Александровна Осетрова' && a.kind === 'original_script')).toBe(true);
  });

  it('reads targets.simple.csv', async () => {
    const rows = parse(raw(FILES.targetsSimple), { columns: true }) as Array<Record<string, string>>;
    const entities = await loadEntities(FILES.targetsSimple);
    expect(entities.map((e) => e.entity_id)).toEqual(rows.map((r) => r.id));
    expect(entities[0]!.aliases.map((a) => a.name)).toEqual(['Hariri', "Sa'd al-Din"]);
    expect(entities[0]!.countries.sort()).toEqual(['FR', 'LB', 'SA']);
  });
});
