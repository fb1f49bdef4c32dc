import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { openServices } from '../app/services.js';
import { DIALECTS, openTestServices } from '../shared/test-support/databases.js';
import { auditLog } from './audit.js';

const appender = fileURLToPath(new URL('./test-support/crash-appender.ts', import.meta.url));

describe.each(DIALECTS)('SIGKILL during log appends on %s', (dialect) => {
  it('keeps every acknowledged event and stays consistent with its signed checkpoints', async () => {
    const prepared = await openTestServices(dialect);
    const schema = dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(prepared.database.db)).rows[0]!.s : undefined;
    await prepared.close();

    const child = spawn(process.execPath, ['--import', 'tsx', appender], {
      env: {
        ...process.env,
        FABGATE_DATA_DIR: prepared.config.dataDir,
        FABGATE_KEK: prepared.config.kek,
        ...(prepared.config.databaseUrl ? { FABGATE_DATABASE_URL: prepared.config.databaseUrl } : {}),
        ...(schema ? { PG_SCHEMA: schema } : {}),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acknowledged: number[] = [];
    let batches = 0;
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line === 'ready') return;
        acknowledged.push(...line.split(',').map(Number));
        // kill at an uneven moment: mid-integration of a later batch
        if (++batches === 40) setTimeout(() => (child.kill('SIGKILL'), resolve()), 7);
      });
    });
    await new Promise((r) => child.once('exit', r));
    expect(child.signalCode).toBe('SIGKILL');

    const s = await openServices(prepared.config, { logger: pino({ level: 'silent' }), processMetrics: false, ...(schema ? { pgSchema: schema } : {}) });
    try {
      const checkpointsBefore = await s.database.db.selectFrom('ledger_checkpoints').select('size').execute();
      expect(checkpointsBefore.length).toBeGreaterThan(0);
      await s.ledger.integrate();
      const rows = await s.database.db.selectFrom('ledger_events').select(['seq', 'leaf_index']).execute();
      const bySeq = new Map(rows.map((r) => [Number(r.seq), r.leaf_index]));
      for (const seq of acknowledged) {
        expect(bySeq.has(seq), `acknowledged event ${seq} lost`).toBe(true);
        expect(bySeq.get(seq), `event ${seq} never integrated`).not.toBeNull();
      }
      // every checkpoint signed before the crash is consistent with the one signed after it
      const report = await auditLog(s.database.db, s.ledger.origin);
      expect(report.findings).toEqual([]);
      expect(report.checked.entries).toBe(rows.length);
      expect(Number(report.latest_checkpoint!.size)).toBe(rows.length);
    } finally {
      await s.close();
      await prepared.dispose().catch(() => undefined);
    }
  });
});
