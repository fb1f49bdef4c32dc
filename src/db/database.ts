import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, sql, type DatabaseConnection, type Driver } from 'kysely';
import pg from 'pg';
import { FabgateError } from '../shared/errors.js';
import type { Tables } from './tables.js';

export type DialectName = 'sqlite' | 'postgres';

/** An open database: Kysely for queries, plus what differs between the two engines. */
export interface Database {
  readonly db: Kysely<Tables>;
  readonly dialect: DialectName;
  /** true when the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
  /** The raw better-sqlite3 handle, for the few hot paths that batch outside Kysely (SQLite only). */
  readonly sqlite?: BetterSqlite3.Database;
}

export type Trx = Kysely<Tables>;

export interface OpenOptions {
  /** postgres://… — when absent, SQLite at `sqlitePath`. */
  url?: string | undefined;
  sqlitePath?: string;
  /** PostgreSQL schema to use (tests isolate themselves in a schema of their own). */
  pgSchema?: string;
  pgPoolSize?: number;
}

// BIGINT (int8) as a JS number: Fabgate's counters and sequence numbers stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * Kysely's SQLite driver starts transactions with a deferred BEGIN. A deferred
 * transaction that reads and then writes fails at once with SQLITE_BUSY when
 * another process (the CLI beside the server) wrote in between; BEGIN IMMEDIATE
 * takes the write lock up front and waits for it under busy_timeout instead.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    const begin = async (connection: DatabaseConnection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return Object.assign(driver, { beginTransaction: begin });
  }
}

export function openDatabase(opts: OpenOptions): Database {
  if (opts.url) return openPostgres(opts.url, opts.pgSchema, opts.pgPoolSize);
  if (!opts.sqlitePath) throw new FabgateError('DB_CONFIG', 'no database URL and no SQLite path', 'invalid_input');
  return openSqlite(opts.sqlitePath);
}

function openSqlite(path: string): Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const handle = new BetterSqlite3(path);
  // WAL: readers never block the writer. synchronous=FULL: a commit is on disk
  // before it is acknowledged, so neither a killed process nor a power cut loses it.
  handle.pragma('journal_mode = WAL');
  handle.pragma('synchronous = FULL');
  handle.pragma('foreign_keys = ON');
  handle.pragma('busy_timeout = 5000');
  const db = new Kysely<Tables>({ dialect: new ImmediateSqliteDialect({ database: handle }) });
  return {
    db,
    dialect: 'sqlite',
    sqlite: handle,
    async ping() {
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
    close: () => db.destroy(),
  };
}

function openPostgres(url: string, schema: string | undefined, poolSize = 10): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    // A schema of its own keeps parallel test runs (and co-hosted instances) apart.
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process.
  pool.on('error', () => undefined);
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    async ping() {
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
    close: () => db.destroy(),
  };
}

/** true when the error is a unique-constraint violation, on either engine. */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return err?.code === '23505' || err?.code === 'SQLITE_CONSTRAINT_UNIQUE' || err?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
