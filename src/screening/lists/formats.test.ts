/**
 * Formats with no full real file in the reference data (OFAC SDN XML, CSL JSON,
 * EU FSF XML, UK OFSI ConList) are tested on documents written in the published
 * layouts from real records of the other lists, and must give the same entity.
 */
import { describe, expect, it } from 'vitest';
import { FILES, loadEntities } from '../test-support/lists.js';
import type { ListEntity } from '../model.js';
import { detectFormat } from './detect.js';
import { openLists, readAll } from './load.js';

const enc = (s: string) => new TextEncoder().encode(s);
const load = async (name: string, text: string) => {
  const [l] = await openLists([{ name, bytes: enc(text) }]);
  return readAll(l!);
};
const xmlEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

describe('OFAC SDN XML', () => {
  it('reads sdnEntry records into the same entities as the legacy CSV', async () => {
    const csv = await loadEntities(FILES.benchSdn, FILES.benchAlt, FILES.benchAdd);
    const pick = ['306', '173', '36'].map((id) => csv.find((e) => e.entity_id === id)!);
    const entry = (e: ListEntity) => `  <sdnEntry>
    <uid>${e.entity_id}</uid>
    <lastName>${xmlEsc(e.name)}</lastName>
    <sdnType>Entity</sdnType>
    <programList>${e.programmes.map((p) => `<program>${p}</program>`).join('')}</programList>
    <akaList>${e.aliases.map((a, i) => `<aka><uid>${i + 1}</uid><type>a.k.a.</type><category>${a.quality}</category><lastName>${xmlEsc(a.name)}</lastName></aka>`).join('')}</akaList>
    <addressList>${e.addresses.map((a, i) => `<address><uid>${i + 1}</uid><city>${xmlEsc(a.text)}</city><country>${a.country ?? ''}</country></address>`).join('')}</addressList>
  </sdnEntry>`;
    const xml = `<?xml version="1.0" standalone="yes"?>
<sdnList xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML">
  <publshInformation><Publish_Date>07/07/2021</Publish_Date><Record_Count>3</Record_Count></publshInformation>
${pick.map(entry).join('\n')}
</sdnList>`;
    expect(detectFormat(enc(xml))).toEqual({ format: 'ofac-xml' });
    const { entities, summary } = await load('sdn.xml', xml);
    expect(summary.source_date).toBe('07/07/2021');
    expect(entities.map((e) => e.entity_id)).toEqual(['306', '173', '36']);
    for (const [i, e] of entities.entries()) {
      expect(e.name).toBe(pick[i]!.name);
      expect(e.aliases.map((a) => [a.name, a.quality])).toEqual(pick[i]!.aliases.map((a) => [a.name, a.quality]));
      expect(e.programmes).toEqual(pick[i]!.programmes);
      expect(e.countries.sort()).toEqual([...pick[i]!.countries].sort());
    }
  });
});

describe('CSL JSON', () => {
  it('reads the "results" array of the CSL download into the same entities as the CSV', async () => {
    const csv = await loadEntities(FILES.csl2025);
    const results = csv.map((e) => ({
      id: e.entity_id,
      source: e.programmes[0],
      programs: e.programmes.slice(1),
      name: e.name,
      type: e.type === 'person' ? 'Individual' : e.type === 'organisation' ? 'Entity' : null,
      alt_names: e.aliases.map((a) => a.name),
      addresses: e.addresses.map((a) => ({ address: a.text, country: a.country ?? null })),
      dates_of_birth: e.dates_of_birth,
      ids: e.identifiers.map((i) => ({ type: i.type, number: i.value, country: i.country ?? null })),
    }));
    const json = JSON.stringify({ total: results.length, sources: [{ source: 'x' }], results }, null, 2);
    expect(detectFormat(enc(json))).toEqual({ format: 'csl', variant: 'json' });
    const { entities } = await load('consolidated.json', json);
    expect(entities.map((e) => e.entity_id)).toEqual(csv.map((e) => e.entity_id));
    expect(entities.map((e) => e.aliases.map((a) => a.name))).toEqual(csv.map((e) => e.aliases.map((a) => a.name)));
    // A document cut short is malformed, not a crash.
    await expect(load('cut.json', json.slice(0, json.length / 2))).rejects.toMatchObject({ code: 'SCREENING_LIST_MALFORMED' });
  });
});

describe('EU Financial Sanctions Files XML', () => {
  it('reads sanctionEntity records with logicalId, name aliases, citizenship and birth dates', async () => {
    const eu = await loadEntities(FILES.eu269);
    const p = eu.find((e) => e.entity_id === '32014R0269/I.PERSONS/1')!;
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2026-08-14T10:00:00.000+02:00" globalFileId="1">
  <sanctionEntity designationDate="2014-03-17" logicalId="13041" euReferenceNumber="EU.3.10" unitedNationId="">
    <regulation regulationType="amendment" publicationDate="2014-03-17" programme="UKR" logicalId="1" numberTitle="269/2014"/>
    <subjectType code="person" classificationCode="P"/>
    <nameAlias firstName="Sergey" middleName="Valeryevich" lastName="Aksyonov" wholeName="${p.name}" strong="true" logicalId="1"/>
    ${p.aliases.map((a, i) => `<nameAlias wholeName="${xmlEsc(a.name)}" strong="${a.quality !== 'weak'}" logicalId="${i + 2}"/>`).join('\n    ')}
    <citizenship countryIso2Code="UA" countryDescription="UKRAINE"/>
    <birthdate birthdate="1972-11-26" year="1972" city="Beltsy"/>
  </sanctionEntity>
</export>`;
    expect(detectFormat(enc(xml))).toEqual({ format: 'eu', variant: 'fsf-xml' });
    const { entities, summary } = await load('fsf.xml', xml);
    expect(summary.source_date).toBe('2026-08-14T10:00:00.000+02:00');
    const e = entities[0]!;
    expect(e).toMatchObject({ entity_id: '13041', list: 'eu-fsf', type: 'person', name: p.name, countries: ['UA'], dates_of_birth: ['1972-11-26'] });
    expect(e.aliases.map((a) => a.name)).toEqual(p.aliases.map((a) => a.name));
    expect(e.dates_of_birth).toEqual(p.dates_of_birth);
  });
});

describe('UK OFSI ConList.csv', () => {
  it('groups the rows of one Group ID into one entity with its aliases', async () => {
    const header =
      'Name 6,Name 1,Name 2,Name 3,Name 4,Name 5,Title,Name Non-Latin Script,Non-Latin Script Type,Non-Latin Script Language,DOB,Town of Birth,Country of Birth,Nationality,Passport Number,Passport Details,National Identification Number,National Identification Details,Position,Address 1,Address 2,Address 3,Address 4,Address 5,Address 6,Post/Zip Code,Country,Other Information,Group Type,Alias Type,Alias Quality,Regime,Listed On,UK Sanctions List Date Designated,Last Updated,Group ID';
    const row = (cells: Record<string, string>) => header.split(',').map((h) => JSON.stringify(cells[h] ?? '')).join(',');
    const text = [
      'Last Updated,14/08/2026',
      header,
      row({ 'Name 6': 'AKSYONOV', 'Name 1': 'Sergey', 'Name 2': 'Valeryevich', 'Name Non-Latin Script': 'Сергей Валерьевич АКСЁНОВ', DOB: '26/11/1972', Nationality: 'Ukraine', 'Group Type': 'Individual', 'Alias Type': 'Primary name', Regime: 'Russia', 'Group ID': '13041' }),
      row({ 'Name 6': 'AKSENOV', 'Name 1': 'Sergei', 'Name 2': 'Valerievich', 'Group Type': 'Individual', 'Alias Type': 'AKA', 'Alias Quality': 'Good', Regime: 'Russia', 'Group ID': '13041' }),
      row({ 'Name 6': 'CONCERN SIRIUS', 'Group Type': 'Entity', 'Alias Type': 'Primary name', 'Address 1': 'Pirogovskaya M. Str., 18', 'Address 4': 'Moscow', Country: 'Russia', Regime: 'Russia', 'Group ID': '15001' }),
      row({ 'Name 6': 'SIRIUS', 'Group Type': 'Entity', 'Alias Type': 'AKA', 'Alias Quality': 'Low', Regime: 'Russia', 'Group ID': '15001' }),
    ].join('\r\n');
    expect(detectFormat(enc(text))).toEqual({ format: 'uk' });
    const { entities, summary } = await load('ConList.csv', text);
    expect(summary.source_date).toBe('14/08/2026');
    expect(summary.counts.records['ConList.csv']).toBe(4);
    expect(entities).toHaveLength(2);
    const [a, s] = entities;
    expect(a).toMatchObject({ entity_id: '13041', list: 'uk-ofsi', type: 'person', name: 'Sergey Valeryevich AKSYONOV', dates_of_birth: ['1972-11-26'], countries: ['UA'], programmes: ['Russia'] });
    expect(a!.aliases).toEqual([
      { name: 'Сергей Валерьевич АКСЁНОВ', quality: 'strong', kind: 'original_script' },
      { name: 'Sergei Valerievich AKSENOV', quality: 'strong', kind: 'aka' },
    ]);
    expect(s).toMatchObject({ entity_id: '15001', type: 'organisation', name: 'CONCERN SIRIUS', countries: ['RU'] });
    expect(s!.aliases).toEqual([{ name: 'SIRIUS', quality: 'weak', kind: 'aka' }]);
  });
});
