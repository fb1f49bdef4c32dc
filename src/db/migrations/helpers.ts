import type { ColumnDefinitionBuilder, CreateTableBuilder, Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DialectName } from '../database.js';

/** One step of the single migration history both engines share. */
export interface MigrationStep {
  name: string;
  up(db: Kysely<unknown>, dialect: DialectName): Promise<void>;
}

/** An increasing integer primary key (append order), spelled for each engine. */
export function withSequence<T extends string>(table: CreateTableBuilder<T, never>, column: string, dialect: DialectName) {
  return dialect === 'sqlite'
    ? table.addColumn(column, 'integer', (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement())
    : table.addColumn(column, 'bigint', (c: ColumnDefinitionBuilder) => c.primaryKey().generatedAlwaysAsIdentity());
}

/**
 * Make a table append-only in the database itself: UPDATE and DELETE raise an
 * error, whoever issues them through SQL. (Tampering below SQL is what the
 * transparency log detects.)
 */
export async function makeAppendOnly(db: Kysely<unknown>, dialect: DialectName, table: string): Promise<void> {
  if (dialect === 'sqlite') {
    for (const op of ['update', 'delete']) {
      await sql
        .raw(`create trigger ${table}_no_${op} before ${op} on ${table} begin select raise(abort, '${table} is append-only'); end`)
        .execute(db);
    }
  } else {
    await sql
      .raw(
        `create or replace function fabgate_append_only() returns trigger language plpgsql as $$ begin raise exception '% is append-only', TG_TABLE_NAME; end $$`,
      )
      .execute(db);
    await sql.raw(`create trigger ${table}_append_only before update or delete on ${table} for each row execute function fabgate_append_only()`).execute(db);
  }
}
