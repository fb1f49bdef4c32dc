import { Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import { FabgateError } from '../shared/errors.js';
import type { Database } from './database.js';
import { migrations } from './migrations/index.js';

/**
 * Apply every pending migration. Kysely's migrator runs each step in a
 * transaction and takes a lock, so two processes starting at once do not race.
 */
export async function migrate(database: Database): Promise<string[]> {
  const provider: MigrationProvider = {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const step of migrations) out[step.name] = { up: (db) => step.up(db as never, database.dialect) };
      return out;
    },
  };
  // Kysely looks for its bookkeeping tables in every schema unless told which:
  // name the current one, so instances sharing a PostgreSQL database stay apart.
  const schema =
    database.dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(database.db)).rows[0]?.s : undefined;
  const migrator = new Migrator({
    db: database.db,
    ...(schema ? { migrationTableSchema: schema } : {}),
    provider,
    migrationTableName: 'fabgate_migrations',
    migrationLockTableName: 'fabgate_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new FabgateError('DB_MIGRATION_FAILED', `migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message}`, 'internal');
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
