import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../cli/io.js';
import { runProgram } from '../cli/program.js';
import { registerScreeningCommands } from './cli.js';
import { FILES } from './test-support/lists.js';

function captureIO(cwd: string): { io: CliIO; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = '';
  let e = '';
  stdout.on('data', (c) => (o += c));
  stderr.on('data', (c) => (e += c));
  return { io: { stdout, stderr, stdin: new PassThrough(), env: {}, cwd }, out: () => o, err: () => e };
}

const dir = mkdtempSync(join(tmpdir(), 'fabgate-screen-'));
const run = (argv: string[]) => {
  const c = captureIO(dir);
  return runProgram(argv, c.io, [registerScreeningCommands]).then((code) => ({ code, out: c.out(), err: c.err() }));
};

describe('fabgate screen', () => {
  it('screens a JSON-lines file of parties and writes results sorted by score', async () => {
    const parties = [
      { id: 'p1', name: 'Otkrytoe Aktsionernoe Obshchestvo Kontsern Sirius', country: 'RU', type: 'organisation' },
      { id: 'p2', name: 'Sirius Precision Optics GmbH', country: 'DE', type: 'organisation' },
      { id: 'p3', name: 'Ayman al-Zawahiri', type: 'person', dob: '1951-06-19' },
    ];
    writeFileSync(join(dir, 'parties.jsonl'), parties.map((p) => JSON.stringify(p)).join('\n') + '\n');
    const r = await run(['screen', '--lists', FILES.eu833, FILES.un2026, '--input', 'parties.jsonl', '--output', 'results.jsonl', '--json']);
    expect(r.code).toBe(1); // matches found
    const summary = JSON.parse(r.out);
    expect(summary).toMatchObject({ parties: 3, parties_with_matches: 2, threshold: 0.8 });
    expect(summary.lists.map((l: { list: string }) => l.list).sort()).toEqual(['eu-oj-32014R0833', 'un-sc-consolidated']);
    const lines = readFileSync(join(dir, 'results.jsonl'), 'utf-8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(['p1', 'p2', 'p3']);
    expect(lines[0].matches[0]).toMatchObject({ entity_id: '32014R0833/IV/1', list: 'eu-oj-32014R0833' });
    expect(lines[0].matches[0].explanation.tokens.length).toBe(3);
    expect(lines[1].matches).toEqual([]);
    expect(lines[2].matches[0].entity_id).toBe('QDi.006');
    for (const l of lines) for (let i = 1; i < l.matches.length; i++) expect(l.matches[i].score).toBeLessThanOrEqual(l.matches[i - 1].score);
  });

  it('exits 0 when nobody matches, and takes a threshold', async () => {
    writeFileSync(join(dir, 'clean.jsonl'), JSON.stringify({ id: 'x', name: 'Sirius Precision Optics GmbH' }) + '\n');
    expect((await run(['screen', '--lists', FILES.eu833, '--input', 'clean.jsonl', '--output', 'clean-out.jsonl'])).code).toBe(0);
    expect((await run(['screen', '--lists', FILES.eu833, '--input', 'clean.jsonl', '--output', 'clean-out.jsonl', '--threshold', '0.3'])).code).toBe(1);
    const bad = await run(['screen', '--lists', FILES.eu833, '--input', 'clean.jsonl', '--output', '-', '--threshold', '2', '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.out).error.code).toBe('SCREENING_THRESHOLD_INVALID');
  });

  it('loads every list file of a folder, passing over files that are not lists', async () => {
    const lists = mkdtempSync(join(tmpdir(), 'fabgate-lists-'));
    copyFileSync(FILES.eu833, join(lists, '32014R0833.csv'));
    copyFileSync(FILES.dpl, join(lists, 'dpl.txt'));
    writeFileSync(join(lists, 'README.md'), '# lists\n');
    writeFileSync(join(dir, 'one.jsonl'), JSON.stringify({ id: 'x', name: 'JSC Concern Sirius' }) + '\n');
    const r = await run(['screen', '--lists', lists, '--input', 'one.jsonl', '--output', '-']);
    expect(r.code).toBe(1);
    const line = JSON.parse(r.out.trim().split('\n')[0]!);
    expect(line.matches[0].entity_id).toBe('32014R0833/IV/1');
  });

  it('rejects a malformed party line with its line number', async () => {
    writeFileSync(join(dir, 'bad.jsonl'), JSON.stringify({ id: 'a', name: 'A' }) + '\n' + JSON.stringify({ id: 'b' }) + '\n');
    const r = await run(['screen', '--lists', FILES.eu833, '--input', 'bad.jsonl', '--output', 'bad-out.jsonl', '--json']);
    expect(r.code).toBe(2);
    const err = JSON.parse(r.out).error;
    expect(err.code).toBe('SCREENING_PARTY_INVALID');
    expect(err.details).toEqual({ file: 'bad.jsonl', line: 2 });
  });
});

describe('fabgate lists inspect', () => {
  it('prints counts and the content hash of a list, OFAC CSV parts together', async () => {
    const r = await run(['lists', 'inspect', FILES.benchSdn, FILES.benchAlt, FILES.benchAdd, '--json']);
    expect(r.code).toBe(0);
    const [s] = JSON.parse(r.out).lists;
    expect(s).toMatchObject({ list: 'us-ofac-sdn', format: 'ofac-csv', counts: { entities: 8976, by_type: { person: 4620, organisation: 3673, vessel: 406, aircraft: 277 } } });
    expect(s.content_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a format that does not match the content, and hostile XML', async () => {
    const r = await run(['lists', 'inspect', FILES.un2026, '--format', 'ofac-csv', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).error.code).toBe('SCREENING_LIST_MALFORMED');
    writeFileSync(join(dir, 'xxe.xml'), '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><CONSOLIDATED_LIST>&e;</CONSOLIDATED_LIST>');
    const x = await run(['lists', 'inspect', 'xxe.xml', '--json']);
    expect(x.code).toBe(2);
    expect(JSON.parse(x.out).error.code).toBe('SCREENING_XML_DOCTYPE');
  });
});
