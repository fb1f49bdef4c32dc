/**
 * Durable appends to the transparency log on SQLite: decisive events committed
 * in batches (synchronous=FULL, fsync per commit), integrated into the tiled
 * Merkle tree and covered by a signed checkpoint — next to the in-memory
 * compact-range upper bound over the same leaves, in the same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { openServices } from '../src/app/services.js';
import { loadConfig } from '../src/shared/config.js';
import { CompactRange } from '../src/ledger/core/compact-range.js';
import { hashLeaf } from '../src/ledger/core/hash.js';
import { leafForRecord, newSalt } from '../src/ledger/core/leaf.js';
import { logDecisiveEvents } from '../src/ledger/decisive.js';
import type { BenchRow } from './types.js';

const ENTRIES = 50_000;
const BATCH = 500;

export default async function run(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fabgate-bench-ledger-'));
  const config = loadConfig({ FABGATE_DATA_DIR: dir, FABGATE_KEK: randomBytes(32).toString('base64') }, dir);
  const s = await openServices(config, { logger: pino({ level: 'silent' }), processMetrics: false });
  const at = new Date();
  const record = (i: number) => ({ decision: 'approved', case: `case-${i}`, conditions: ['report-annually'] });
  try {
    const started = performance.now();
    for (let i = 0; i < ENTRIES; i += BATCH) {
      await s.database.db.transaction().execute((trx) =>
        logDecisiveEvents(
          trx,
          Array.from({ length: BATCH }, (_, k) => ({ type: 'case.decided', recordType: 'decision', recordId: `dec-${i + k}`, record: record(i + k), at })),
        ),
      );
      // the sequencer runs beside the writers, as in the server
      if ((i / BATCH) % 10 === 9) await s.ledger.integrate();
    }
    await s.ledger.integrate();
    const seconds = (performance.now() - started) / 1000;
    const cp = await s.ledger.latestCheckpoint();
    if (cp?.size !== BigInt(ENTRIES)) throw new Error(`checkpoint covers ${cp?.size}, expected ${ENTRIES}`);

    // upper bound: the same leaves (encoded, hashed) into an in-memory compact range
    const leaves = Array.from({ length: ENTRIES }, (_, i) =>
      leafForRecord({ eventType: 'case.decided', time: at, recordType: 'decision', recordId: `dec-${i}`, record: record(i), salt: newSalt() }).leaf,
    );
    const t0 = performance.now();
    const range = CompactRange.empty();
    for (const leaf of leaves) range.append(hashLeaf(leaf));
    range.root();
    const memorySeconds = (performance.now() - t0) / 1000;

    // proofs from stored tiles at this size
    const samples = 5000;
    const times: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let k = 0; k < samples; k++) {
      const t = performance.now();
      await s.ledger.inclusionProof(BigInt((k * 7919) % ENTRIES), BigInt(ENTRIES));
      times.push(performance.now() - t);
    }
    const cpu = process.cpuUsage(cpu0);
    times.sort((a, b) => a - b);
    const p50 = times[Math.floor(samples * 0.5)]!;
    const p99 = times[Math.floor(samples * 0.99)]!;
    const cpuMs = (cpu.user + cpu.system) / 1000 / samples;

    return [
      {
        what: `log: durable appends on SQLite (${ENTRIES} events, ${BATCH}/commit, integrated + checkpoint signed)`,
        ours: ENTRIES / seconds,
        peer: ENTRIES / memorySeconds,
        peerName: 'in-memory compact range, same leaves',
        unit: 'entries/s',
        higherIsBetter: true,
        target: '>= 5,000/s',
        note: 'ratio = fraction of the in-memory upper bound',
      },
      { what: `log: inclusion proof from stored tiles, p50 (SQLite, ${ENTRIES} entries)`, ours: p50, unit: 'ms', higherIsBetter: false, target: '<= 1 ms' },
      { what: `log: inclusion proof from stored tiles, p99`, ours: p99, unit: 'ms', higherIsBetter: false, target: '<= 1 ms', note: `CPU ${cpuMs.toFixed(3)} ms/proof` },
    ];
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
