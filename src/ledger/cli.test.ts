import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize, sep } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProgram } from '../cli/program.js';
import type { CliIO } from '../cli/io.js';
import { registerLedgerOfflineCommands } from './cli.js';
import { TileReader } from './core/tiles.js';
import { formatReceipt } from './core/receipt.js';
import { formatCheckpoint } from './core/checkpoint.js';
import { generateNoteKey, parseSignerKey } from './core/keys.js';
import { signNote } from './core/note.js';
import { MemoryHashStore } from './core/hash-store.js';
import { inclusionProof, rootAt } from './core/proof.js';
import { leafForRecord, newSalt } from './core/leaf.js';
import { tlogData } from './core/test-support/vectors.js';

const TESSERA = tlogData('transparency-dev-tessera', 'testdata', 'log');
const TESSERA_KEY = 'example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx';
const PETER = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: () => Record<string, unknown>;
}

async function run(argv: string[], cwd = process.cwd()): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, done) {
        append(String(chunk));
        done();
      },
    });
  const io: CliIO = {
    stdout: sink((s) => (stdout += s)),
    stderr: sink((s) => (stderr += s)),
    stdin: new PassThrough(),
    env: {},
    cwd,
  };
  const code = await runProgram(argv, io, [registerLedgerOfflineCommands]);
  return { code, stdout, stderr, json: () => JSON.parse(stdout) as Record<string, unknown> };
}

/**
 * Serve a folder over loopback HTTP, as a static tlog-tiles log would be served.
 * `alter` can corrupt a response to play a misbehaving log.
 */
function serveFolder(root: string, alter?: (path: string, body: Buffer) => Buffer, extra: Record<string, string> = {}): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/log\//, '');
    if (extra[path] !== undefined) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(extra[path]);
      return;
    }
    const file = normalize(join(root, path));
    if (!file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': path === 'checkpoint' ? 'text/plain; charset=utf-8' : 'application/octet-stream' });
    res.end(alter ? alter(path, body) : body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      resolve({ server, url: `http://127.0.0.1:${address.port}/log/` });
    }),
  );
}

describe('fabgate log verify-remote (the Tessera example log over real HTTP)', () => {
  const servers: Server[] = [];
  let url = '';
  beforeAll(async () => {
    const s = await serveFolder(TESSERA);
    servers.push(s.server);
    url = s.url;
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('verifies the checkpoint and recomputes its root from the tiles', async () => {
    const r = await run(['log', 'verify-remote', url, '--key', TESSERA_KEY, '--json']);
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out.valid).toBe(true);
    expect(out.checkpoint).toMatchObject({ origin: 'example.com/log/testdata', size: '15', signedBy: ['example.com/log/testdata+33d7b496'] });
    expect(out.entriesChecked).toBe('0');
  });

  it('with --entries re-hashes all 15 entries; prints for people without --json', async () => {
    const r = await run(['log', 'verify-remote', url, '--key', TESSERA_KEY, '--origin', 'example.com/log/testdata', '--entries']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('log verified: example.com/log/testdata at tree size 15');
    expect(r.stdout).toContain('15 fetched and re-hashed');
  });

  it('takes the key from the log itself when it serves one, and says so', async () => {
    const s = await serveFolder(TESSERA, undefined, { key: `${TESSERA_KEY}\n` });
    servers.push(s.server);
    const r = await run(['log', 'verify-remote', s.url, '--json']);
    expect(r.code).toBe(0);
    expect(String(r.json().keySource)).toContain('not independent');
  });

  it('exit 2 when there is no key to verify with', async () => {
    const r = await run(['log', 'verify-remote', url, '--json']);
    expect(r.code).toBe(2);
    expect(r.json()).toMatchObject({ valid: false, error: { code: 'LEDGER_KEY_MISSING' } });
  });

  it('exit 1 for a checkpoint not signed by the given key', async () => {
    const r = await run(['log', 'verify-remote', url, '--key', PETER, '--json']);
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({ valid: false, error: { code: 'LEDGER_NOTE_UNVERIFIED' } });
    expect(r.stderr).toContain('LEDGER_NOTE_UNVERIFIED');
  });

  it('exit 1 when a served tile was altered', async () => {
    const s = await serveFolder(TESSERA, (path, body) => {
      if (path === 'tile/0/000.p/15') body[40] = body[40]! ^ 0xff;
      return body;
    });
    servers.push(s.server);
    const r = await run(['log', 'verify-remote', s.url, '--key', TESSERA_KEY, '--json']);
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({ error: { code: 'LEDGER_ROOT_MISMATCH' } });
  });

  it('exit 1 when an entry bundle disagrees with its tile (--entries)', async () => {
    const s = await serveFolder(TESSERA, (path, body) => (path === 'tile/entries/000.p/15' ? Buffer.from(body.toString('latin1').replace('seven', 'SEVEN'), 'latin1') : body));
    servers.push(s.server);
    const r = await run(['log', 'verify-remote', s.url, '--key', TESSERA_KEY, '--entries', '--json']);
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({ error: { code: 'LEDGER_BUNDLE_MALFORMED' } });
  });

  it('exit 2 when the log cannot be reached', async () => {
    const s = await serveFolder(TESSERA);
    await new Promise((r) => s.server.close(r));
    const r = await run(['log', 'verify-remote', s.url, '--key', TESSERA_KEY, '--json']);
    expect(r.code).toBe(2);
    expect(r.json()).toMatchObject({ error: { code: 'LEDGER_FETCH_FAILED' } });
  });
});

describe('fabgate log verify-receipt', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fabgate-receipt-'));
  const fromDisk = async (path: string) => new Uint8Array(readFileSync(join(TESSERA, path)));
  const checkpoint = readFileSync(join(TESSERA, 'checkpoint'), 'utf8');

  beforeAll(async () => {
    // A receipt for entry 6 ("seven") of the real Tessera log, proof built from its tiles.
    const proof = await new TileReader(fromDisk, 15n).inclusionProof(6n);
    writeFileSync(join(dir, 'seven.tlog-proof'), formatReceipt({ extra: new TextEncoder().encode('seven'), index: 6n, proof, checkpoint }));
    writeFileSync(join(dir, 'bare.tlog-proof'), formatReceipt({ index: 6n, proof, checkpoint }));
    writeFileSync(join(dir, 'seven.entry'), 'seven');
    writeFileSync(join(dir, 'log.vkey'), `${TESSERA_KEY}\n`);
    writeFileSync(join(dir, 'forged.tlog-proof'), formatReceipt({ extra: new TextEncoder().encode('eight'), index: 6n, proof, checkpoint }));
    writeFileSync(join(dir, 'garbage.tlog-proof'), 'c2sp.org/tlog-proof@v1\nindex x\n\n');

    // A Fabgate leaf in a log signed with a fresh key.
    const keys = generateNoteKey('fabgate.example/log');
    writeFileSync(join(dir, 'fabgate.vkey'), keys.verifierKey);
    const store = new MemoryHashStore();
    const leaves = [0, 1, 2].map((i) =>
      leafForRecord({ eventType: 'licensing.case_decided', time: new Date(Date.UTC(2025, 5, 1, 12, 0, i)), recordType: 'case', recordId: `case_${i}`, record: { decision: i }, salt: newSalt() }),
    );
    for (const l of leaves) store.appendLeafHash(l.leafHash);
    const note = signNote(formatCheckpoint({ origin: 'fabgate.example/log', size: 3n, rootHash: rootAt(store, 3n), extensions: [] }), [parseSignerKey(keys.signerKey)]);
    writeFileSync(join(dir, 'case.tlog-proof'), formatReceipt({ extra: leaves[1]!.leaf, index: 1n, proof: inclusionProof(store, 1n, 3n), checkpoint: note }));
  });

  it('exit 0 for a real Tessera entry, key given inline or as a file', async () => {
    const r = await run(['log', 'verify-receipt', 'seven.tlog-proof', '--key', TESSERA_KEY, '--json'], dir);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ valid: true, index: '6', entry: { format: 'opaque', base64: Buffer.from('seven').toString('base64') } });
    expect((await run(['log', 'verify-receipt', 'seven.tlog-proof', '--key', 'log.vkey'], dir)).code).toBe(0);
  });

  it('decodes a Fabgate leaf for people', async () => {
    const r = await run(['log', 'verify-receipt', 'case.tlog-proof', '--key', 'fabgate.vkey', '--origin', 'fabgate.example/log'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('receipt valid: entry 1 is in fabgate.example/log (tree size 3)');
    expect(r.stdout).toContain('licensing.case_decided at 2025-06-01T12:00:01.000Z');
    expect(r.stdout).toContain('case case_1');
  });

  it('a receipt without the entry needs --entry', async () => {
    expect((await run(['log', 'verify-receipt', 'bare.tlog-proof', '--key', TESSERA_KEY], dir)).code).toBe(2);
    expect((await run(['log', 'verify-receipt', 'bare.tlog-proof', '--key', TESSERA_KEY, '--entry', 'seven.entry'], dir)).code).toBe(0);
  });

  it('exit 1 for a forged entry, a wrong key or a wrong origin', async () => {
    const forged = await run(['log', 'verify-receipt', 'forged.tlog-proof', '--key', TESSERA_KEY, '--json'], dir);
    expect(forged.code).toBe(1);
    expect(forged.json()).toMatchObject({ valid: false, error: { code: 'LEDGER_ROOT_MISMATCH' } });
    expect((await run(['log', 'verify-receipt', 'seven.tlog-proof', '--key', PETER], dir)).code).toBe(1);
    expect((await run(['log', 'verify-receipt', 'seven.tlog-proof', '--key', TESSERA_KEY, '--origin', 'other'], dir)).code).toBe(1);
    expect((await run(['log', 'verify-receipt', 'seven.tlog-proof', '--key', TESSERA_KEY, '--quorum', '1', '--witness', PETER], dir)).code).toBe(1);
  });

  it('exit 2 for an unreadable receipt, a missing file, a bad key or no key', async () => {
    const garbage = await run(['log', 'verify-receipt', 'garbage.tlog-proof', '--key', TESSERA_KEY, '--json'], dir);
    expect(garbage.code).toBe(2);
    expect(garbage.json()).toMatchObject({ error: { code: 'LEDGER_RECEIPT_MALFORMED' } });
    expect((await run(['log', 'verify-receipt', 'nope.tlog-proof', '--key', TESSERA_KEY], dir)).code).toBe(2);
    expect((await run(['log', 'verify-receipt', 'seven.tlog-proof', '--key', 'not-a-key+1234'], dir)).code).toBe(2);
    expect((await run(['log', 'verify-receipt', 'seven.tlog-proof'], dir)).code).toBe(2);
  });
});
