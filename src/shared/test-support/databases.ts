import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { pino } from 'pino';
import { openServices, type Services } from '../../app/services.js';
import type { DialectName } from '../../db/database.js';
import { ManualClock } from '../clock.js';
import { loadConfig, type Config } from '../config.js';

/** Both engines every store test runs against. */
export const DIALECTS: DialectName[] = ['sqlite', 'postgres'];

/**
 * The PostgreSQL the tests use. On these machines one listens on 127.0.0.1:5432
 * with trust authentication; FABGATE_TEST_DATABASE_URL points elsewhere.
 */
export const TEST_PG_URL = process.env.FABGATE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestServices extends Services {
  clock: ManualClock;
  /** The environment under which `fabgate` commands open this same database (data folder, key, PostgreSQL schema). */
  cliEnv(): Record<string, string>;
  /** Close and delete the test database (temporary folder or schema). */
  dispose(): Promise<void>;
}

async function createSchema(): Promise<string> {
  const schema = `fg_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  try {
    await client.connect();
  } catch (e) {
    throw new Error(`PostgreSQL is required by the test suite and is not reachable at ${TEST_PG_URL} (${(e as Error).message}). Start it or set FABGATE_TEST_DATABASE_URL.`);
  }
  await client.query(`create schema ${schema}`);
  await client.end();
  return schema;
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
}

/** Open fresh, migrated services on an empty database of the given engine. */
export async function openTestServices(dialect: DialectName, overrides: Partial<Config> = {}): Promise<TestServices> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fabgate-test-'));
  const base = loadConfig({ FABGATE_DATA_DIR: dataDir, FABGATE_KEK: randomBytes(32).toString('base64'), FABGATE_LOG_LEVEL: 'silent' }, dataDir);
  const schema = dialect === 'postgres' ? await createSchema() : undefined;
  const config: Config = { ...base, ...(dialect === 'postgres' ? { databaseUrl: TEST_PG_URL } : {}), ...overrides };
  const clock = new ManualClock(new Date('2026-03-02T09:00:00.000Z'));
  const services = await openServices(config, { clock, logger: pino({ level: 'silent' }), processMetrics: false, ...(schema ? { pgSchema: schema } : {}) });
  return Object.assign(services, {
    clock,
    cliEnv() {
      const env: Record<string, string> = { FABGATE_DATA_DIR: dataDir, FABGATE_KEK: config.kek!, FABGATE_LOG_LEVEL: 'silent' };
      if (schema) {
        const url = new URL(TEST_PG_URL);
        url.searchParams.set('options', `-c search_path=${schema}`);
        env.FABGATE_DATABASE_URL = url.toString();
      }
      return env;
    },
    async dispose() {
      await services.close();
      if (schema) await dropSchema(schema);
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
