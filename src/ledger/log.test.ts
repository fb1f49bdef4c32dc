import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { RunningServer } from '../app/server.js';
import { createOrganisation } from '../identity/service.js';
import { DIALECTS, openTestServices, type TestServices } from '../shared/test-support/databases.js';
import { client, startTestServer } from '../shared/test-support/http.js';
import { runCli } from '../shared/test-support/cli.js';
import { auditLog } from './audit.js';
import { registerLedgerOfflineCommands } from './cli.js';
import { decodeBase64Strict } from './core/bytes.js';
import { openCheckpoint } from './core/checkpoint.js';
import { hashLeaf } from './core/hash.js';
import { parseVerifierKey } from './core/keys.js';
import { verifyReceipt } from './core/receipt.js';
import { verifyConsistency, verifyInclusion } from './core/verify.js';
import { logDecisiveEvent, registerRecordResolver } from './decisive.js';

/** A logged record type for these tests: an organisation as it was created. */
const RECORD_TYPE = 'test-organisation';
registerRecordResolver(RECORD_TYPE, {
  async load(db, id) {
    const o = await db.selectFrom('organisations').select(['id', 'name', 'kind']).where('id', '=', id).executeTakeFirst();
    return o ? { id: o.id, name: o.name, kind: o.kind } : undefined;
  },
});

async function logOrganisations(s: TestServices, count: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  // several events per transaction, as a batch of decisions would be
  for (let i = 0; i < count; i += 50) {
    await s.database.db.transaction().execute(async (trx) => {
      for (let j = i; j < Math.min(count, i + 50); j++) {
        const o = await createOrganisation(trx, s.clock, { name: `${prefix}-${j}`, kind: 'exporter' });
        await logDecisiveEvent(trx, { type: 'organisation.created', recordType: RECORD_TYPE, recordId: o.id, record: { id: o.id, name: o.name, kind: o.kind }, at: s.clock.now() });
        ids.push(o.id);
      }
    });
  }
  return ids;
}

describe.each(DIALECTS)('the transparency log service on %s', (dialect) => {
  let s: TestServices;
  let server: RunningServer;
  let vkey: string;

  beforeAll(async () => {
    s = await openTestServices(dialect);
    server = await startTestServer(s);
  });
  afterAll(async () => {
    await server?.close();
    await s?.dispose();
  });

  it('serves its verifier key and has no checkpoint while empty', async () => {
    const key = await client(server.url).request<string>('GET', '/log/key');
    vkey = key.body.trim();
    expect(vkey).toMatch(/^fabgate\.example\/log\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/);
    expect(parseVerifierKey(vkey).name).toBe('fabgate.example/log');
    const cp = await client(server.url).request<{ error: { code: string } }>('GET', '/log/checkpoint');
    expect(cp.status).toBe(404);
    expect(cp.body.error.code).toBe('LEDGER_EMPTY');
  });

  it('integrates committed events across tile boundaries and signs a checkpoint that verifies', async () => {
    await logOrganisations(s, 300, 'first');
    const first = await s.ledger.integrate();
    expect(first).toEqual({ added: 300, size: 300n });
    await logOrganisations(s, 470, 'second');
    expect((await s.ledger.integrate()).size).toBe(770n);

    const note = (await client(server.url).request<string>('GET', '/log/checkpoint')).body;
    const cp = openCheckpoint(note, { logKeys: [parseVerifierKey(vkey)], origin: 'fabgate.example/log' });
    expect(cp.size).toBe(770n);

    for (const index of [0, 255, 256, 299, 300, 511, 512, 769]) {
      const p = await client(server.url).request<{ size: string; leaf_hash: string; proof: string[] }>('GET', `/log/proof/inclusion?index=${index}`);
      expect(p.status).toBe(200);
      const entry = await client(server.url).request<{ leaf: string }>('GET', `/log/entries/${index}`);
      const leafHash = hashLeaf(new TextEncoder().encode(entry.body.leaf));
      expect(Buffer.from(leafHash).toString('base64')).toBe(p.body.leaf_hash);
      verifyInclusion(leafHash, BigInt(index), 770n, p.body.proof.map((h) => decodeBase64Strict(h)!), cp.rootHash);
    }
    const c = await client(server.url).request<{ proof: string[] }>('GET', '/log/proof/consistency?from=300&to=770');
    const checkpoints = await s.database.db.selectFrom('ledger_checkpoints').selectAll().orderBy('size').execute();
    expect(checkpoints.map((r) => Number(r.size))).toEqual([300, 770]);
    verifyConsistency(300n, 770n, decodeBase64Strict(checkpoints[0]!.root_hash)!, cp.rootHash, c.body.proof.map((h) => decodeBase64Strict(h)!));
  });

  it('serves tiles with immutable caching for full tiles, and answers bad paths and indices clearly', async () => {
    const full = await client(server.url).request('GET', '/log/tile/0/000');
    expect(full.status).toBe(200);
    expect(full.headers.get('cache-control')).toContain('immutable');
    const partial = await fetch(`${server.url}/log/tile/0/003.p/2`);
    expect(partial.headers.get('cache-control')).toBe('no-cache');
    expect((await partial.arrayBuffer()).byteLength).toBe(64);
    const bad = await client(server.url).request<{ error: { code: string } }>('GET', '/log/tile/0/3');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('LEDGER_TILE_PATH_MALFORMED');
    const beyond = await client(server.url).request<{ error: { code: string } }>('GET', '/log/proof/inclusion?index=99999');
    expect(beyond.status).toBe(400);
    const junk = await client(server.url).request<{ error: { code: string } }>('GET', '/log/proof/inclusion?index=-1');
    expect(junk.body.error.code).toBe('REQUEST_INVALID');
  });

  it('hands out receipts that verify offline, with the library and with fabgate log verify-receipt', async () => {
    const receipt = (await client(server.url).request<string>('GET', '/log/receipt/512')).body;
    const verified = verifyReceipt(receipt, { logKeys: [parseVerifierKey(vkey)], origin: 'fabgate.example/log' });
    expect(verified.index).toBe(512n);
    const dir = mkdtempSync(join(tmpdir(), 'fabgate-receipt-'));
    writeFileSync(join(dir, 'r.tlog-proof'), receipt);
    const ok = await runCli([registerLedgerOfflineCommands], ['log', 'verify-receipt', 'r.tlog-proof', '--key', vkey, '--json'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(ok.json<{ entry: { recordType: string } }>().entry.recordType).toBe(RECORD_TYPE);
    writeFileSync(join(dir, 'forged.tlog-proof'), receipt.replace(/^index 512$/m, 'index 513'));
    expect((await runCli([registerLedgerOfflineCommands], ['log', 'verify-receipt', 'forged.tlog-proof', '--key', vkey], { cwd: dir })).code).toBe(1);
  });

  it('is verifiable from outside with fabgate log verify-remote (tiles recompute the signed root)', async () => {
    const r = await runCli([registerLedgerOfflineCommands], ['log', 'verify-remote', `${server.url}/log/`, '--key', vkey, '--entries', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(Number(r.json<{ entriesChecked: string }>().entriesChecked)).toBe(770);
  });

  it('audits clean, then reports an altered record, a deleted record and an altered event row', async () => {
    expect((await auditLog(s.database.db, s.ledger.origin)).findings).toEqual([]);
    const db = s.database.db;
    const [victim, gone] = await db.selectFrom('ledger_events').select('record_id').where('leaf_index', 'in', [10, 11]).orderBy('leaf_index').execute();
    await db.updateTable('organisations').set({ name: 'renamed behind the log’s back' }).where('id', '=', victim!.record_id).execute();
    await db.deleteFrom('organisations').where('id', '=', gone!.record_id).execute();
    const report = await auditLog(db, s.ledger.origin);
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'record_altered', record_id: victim!.record_id }),
        expect.objectContaining({ kind: 'record_deleted', record_id: gone!.record_id }),
      ]),
    );

    // Rewriting the commitment to match the edit is caught by the tree itself.
    await db.updateTable('ledger_events').set({ commitment: 'a'.repeat(64) }).where('leaf_index', '=', 20).execute();
    const rewritten = await auditLog(db, s.ledger.origin);
    expect(rewritten.findings.map((f) => f.kind)).toEqual(expect.arrayContaining(['entry_altered', 'checkpoint_root_mismatch']));
  });

  it('never signs a checkpoint inconsistent with the last one, even when its tiles were rewritten', async () => {
    const before = await s.database.db.selectFrom('ledger_checkpoints').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    // rewrite history: the level-1 tile whose hashes cover the first 768 entries
    await s.database.db.updateTable('ledger_tiles').set({ hashes: Buffer.alloc(3 * 32, 7) }).where('level', '=', 1).where('tile_index', '=', 0).execute();
    await logOrganisations(s, 3, 'after-tamper');
    await expect(s.ledger.integrate()).rejects.toMatchObject({ code: 'LEDGER_CONSISTENCY_REFUSED' });
    const after = await s.database.db.selectFrom('ledger_checkpoints').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });
});

describe.each(DIALECTS)('log key rotation on %s', (dialect) => {
  it('signs with the new key and keeps old checkpoints verifiable', async () => {
    const s = await openTestServices(dialect);
    try {
      await logOrganisations(s, 5, 'rot');
      await s.ledger.integrate();
      const oldKey = await s.ledger.verifierKey();
      const { verifierKey } = await s.ledger.rotateKey();
      expect(verifierKey).not.toBe(oldKey);
      await logOrganisations(s, 5, 'rot2');
      await s.ledger.integrate();
      const cp = (await s.ledger.latestCheckpoint())!;
      expect(() => openCheckpoint(cp.note, { logKeys: [parseVerifierKey(oldKey)] })).toThrow();
      expect(openCheckpoint(cp.note, { logKeys: [parseVerifierKey(verifierKey)] }).size).toBe(10n);
      expect((await auditLog(s.database.db, s.ledger.origin)).ok).toBe(true);
      // the wrapped seed is not the key: the database alone cannot sign
      const row = await s.database.db.selectFrom('ledger_keys').select('wrapped_seed').executeTakeFirstOrThrow();
      expect(row.wrapped_seed).toMatch(/^kw1\./);
      void sql;
    } finally {
      await s.dispose();
    }
  });
});
