/**
 * Hostile and malformed input is refused with a specific code, never a crash,
 * a hang or a partial list: DOCTYPEs (entity expansion, external entities),
 * broken XML, rows of the wrong shape, oversized records, unknown formats.
 */
import { describe, expect, it } from 'vitest';
import { FabgateError } from '../../shared/errors.js';
import { openLists, readAll } from './load.js';

const enc = (s: string) => new TextEncoder().encode(s);
async function parseText(name: string, text: string, format?: 'auto' | 'un' | 'ofac-csv') {
  const loads = await openLists([{ name, bytes: enc(text) }], { format });
  const out = [];
  for (const l of loads) out.push(await readAll(l));
  return out;
}
async function failure(p: Promise<unknown>): Promise<FabgateError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FabgateError);
    return e as FabgateError;
  }
  throw new Error('expected a failure');
}

const UN_HEAD = '<?xml version="1.0" encoding="UTF-8"?>';
const individual = (ref: string, name: string) => `<INDIVIDUAL><DATAID>1</DATAID><FIRST_NAME>${name}</FIRST_NAME><REFERENCE_NUMBER>${ref}</REFERENCE_NUMBER></INDIVIDUAL>`;

describe('hostile XML', () => {
  it('refuses entity expansion ("billion laughs") at the DOCTYPE', async () => {
    const lol = `${UN_HEAD}<!DOCTYPE CONSOLIDATED_LIST [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]><CONSOLIDATED_LIST><INDIVIDUALS>${individual('QDi.1', '&lol9;')}</INDIVIDUALS></CONSOLIDATED_LIST>`;
    const e = await failure(parseText('lol.xml', lol));
    expect(e.code).toBe('SCREENING_XML_DOCTYPE');
    expect(e.details).toMatchObject({ file: 'lol.xml', line: expect.any(Number) });
  });

  it('refuses an external entity (XXE) at the DOCTYPE, before anything is read from it', async () => {
    const xxe = `${UN_HEAD}<!DOCTYPE CONSOLIDATED_LIST [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><CONSOLIDATED_LIST><INDIVIDUALS>${individual('QDi.1', '&xxe;')}</INDIVIDUALS></CONSOLIDATED_LIST>`;
    expect((await failure(parseText('xxe.xml', xxe))).code).toBe('SCREENING_XML_DOCTYPE');
  });

  it('refuses any DOCTYPE, even an empty one', async () => {
    const x = `${UN_HEAD}<!DOCTYPE sdnList><sdnList></sdnList>`;
    expect((await failure(parseText('sdn.xml', x))).code).toBe('SCREENING_XML_DOCTYPE');
  });

  it('reports malformed XML with the file and line', async () => {
    const broken = `${UN_HEAD}\n<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n<INDIVIDUAL><FIRST_NAME>A</FIRST_NAME>\n</INDIVIDUALS></CONSOLIDATED_LIST>`;
    const e = await failure(parseText('un.xml', broken));
    expect(e.code).toBe('SCREENING_LIST_MALFORMED');
    expect(e.details).toMatchObject({ file: 'un.xml', expected: 'well-formed XML' });
    expect((e.details as { where: string }).where).toMatch(/^line \d+/);
  });

  it('reports a record without its identifier, naming the element', async () => {
    const x = `${UN_HEAD}<CONSOLIDATED_LIST><INDIVIDUALS>\n<INDIVIDUAL><FIRST_NAME>A</FIRST_NAME></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>`;
    const e = await failure(parseText('un.xml', x));
    expect(e.code).toBe('SCREENING_LIST_MALFORMED');
    expect((e.details as { where: string }).where).toContain('<INDIVIDUAL>');
  });

  it('bounds nesting depth', async () => {
    const deep = `${UN_HEAD}<CONSOLIDATED_LIST>${'<a>'.repeat(200)}${'</a>'.repeat(200)}</CONSOLIDATED_LIST>`;
    expect((await failure(parseText('deep.xml', deep))).code).toBe('SCREENING_LIST_TOO_LARGE');
  });

  it('refuses a UN-format file forced on an OFAC CSV', async () => {
    const e = await failure(parseText('sdn.csv', '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n', 'un'));
    expect(e.code).toBe('SCREENING_LIST_MALFORMED');
  });
});

describe('malformed CSV and JSON', () => {
  it('names the line of an OFAC row with the wrong number of fields', async () => {
    const text = '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n173,"ANGLO-CARIBBEAN CO., LTD.",-0- ,"CUBA"\n';
    const e = await failure(parseText('sdn.csv', text));
    expect(e.code).toBe('SCREENING_LIST_MALFORMED');
    expect(e.details).toMatchObject({ file: 'sdn.csv', where: 'line 2' });
  });

  it('reports an unterminated quote', async () => {
    const ok = '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n';
    const e = await failure(parseText('sdn.csv', ok + '173,"ANGLO-CARIBBEAN CO., LTD.,-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'));
    expect(e.code).toBe('SCREENING_LIST_MALFORMED');
    expect(e.details).toMatchObject({ file: 'sdn.csv' });
  });

  it('refuses a record over the size limit instead of buffering it', async () => {
    const ok = '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n';
    const huge = '37,"' + 'A'.repeat(1_100_000) + '",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n';
    expect((await failure(parseText('sdn.csv', ok + huge))).code).toBe('SCREENING_LIST_TOO_LARGE');
    // With --format the flag is trusted when the head alone cannot tell.
    expect((await failure(parseText('sdn.csv', huge, 'ofac-csv'))).code).toBe('SCREENING_LIST_TOO_LARGE');
  });

  it('names the line of a broken FollowTheMoney line', async () => {
    const text = '{"id": "a", "schema": "Person", "properties": {"name": ["A B"]}}\n{"id": "b", "schema": "Person", "properties": {\n';
    const e = await failure(parseText('x.ftm.json', text));
    expect(e.code).toBe('SCREENING_LIST_MALFORMED');
    expect(e.details).toMatchObject({ where: 'line 2' });
  });

  it('refuses a file that is no list format', async () => {
    expect((await failure(parseText('notes.txt', 'hello, world\nthis is not a list\n'))).code).toBe('SCREENING_FORMAT_UNKNOWN');
    expect((await failure(parseText('empty', ''))).code).toBe('SCREENING_FORMAT_UNKNOWN');
  });

  it('says so for OFAC advanced XML, which is not supported', async () => {
    const adv = '<?xml version="1.0"?><Sanctions xmlns="https://www.treasury.gov/ofac/DeltaFile/1.0"><DateOfIssue/></Sanctions>';
    expect((await failure(parseText('SDN_ADVANCED.XML', adv))).code).toBe('SCREENING_FORMAT_UNSUPPORTED');
  });

  it('refuses an EU journal CSV whose row is short', async () => {
    const text = 'celex,recordId,annex,schema,name,alias\n32014R0833,1,IV,LegalEntity,JSC Sirius,Kontsern Sirius\n32014R0833,2,IV,LegalEntity\n';
    const e = await failure(parseText('833.csv', text));
    expect(e.details).toMatchObject({ where: 'line 3', expected: '6 fields' });
  });
});
