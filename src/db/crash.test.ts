import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { pino } from 'pino';
import { openServices } from '../app/services.js';
import { DIALECTS, openTestServices } from '../shared/test-support/databases.js';

const writer = fileURLToPath(new URL('./test-support/crash-writer.ts', import.meta.url));

describe.each(DIALECTS)('SIGKILL during writes on %s', (dialect) => {
  it('loses no acknowledged transaction and leaves no half-written one', async () => {
    // Prepare an empty, migrated database, then hand it to a child process.
    const services = await openTestServices(dialect);
    const schema = dialect === 'postgres' ? ((await sql<{ s: string }>`select current_schema() as s`.execute(services.database.db)).rows[0]!.s) : undefined;
    await services.close();

    const child = spawn(process.execPath, ['--import', 'tsx', writer], {
      env: {
        ...process.env,
        FABGATE_DATA_DIR: services.config.dataDir,
        FABGATE_KEK: services.config.kek,
        ...(services.config.databaseUrl ? { FABGATE_DATABASE_URL: services.config.databaseUrl } : {}),
        ...(schema ? { PG_SCHEMA: schema } : {}),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acknowledged: string[] = [];
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line === 'ready') return;
        acknowledged.push(line);
        if (acknowledged.length === 150) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => child.once('exit', r));
    expect(child.signalCode).toBe('SIGKILL');

    // reopen the crashed database as a restarting server would (migrations included)
    const after = await openServices(services.config, { logger: pino({ level: 'silent' }), processMetrics: false, ...(schema ? { pgSchema: schema } : {}) });
    try {
      const db = after.database.db;
      if (dialect === 'sqlite') {
        const check = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(db);
        expect(check.rows[0]!.integrity_check).toBe('ok');
      }
      const orgs = await db.selectFrom('organisations').select('id').where('name', 'like', 'crash-%').execute();
      const ids = new Set(orgs.map((o) => o.id));
      for (const id of acknowledged) expect(ids.has(id), `acknowledged ${id} lost`).toBe(true);
      // every organisation that exists has both of its audit rows: nothing half-written
      const audits = await db.selectFrom('audit_events').select(['target_id', 'action']).where('action', 'like', 'test.%').execute();
      for (const id of ids) {
        expect(audits.filter((a) => a.target_id === id).map((a) => a.action).sort()).toEqual(['test.organisation_checked', 'test.organisation_created']);
      }
      expect(audits.length).toBe(ids.size * 2);
    } finally {
      await after.close();
      await services.dispose().catch(() => undefined);
    }
  });
});
