/**
 * The log's storage: tiles, checkpoints and integration of queued events, in
 * SQL that both SQLite and PostgreSQL run.
 */
import { sql, type Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import { fromHexStrict } from './core/bytes.js';
import { HASH_SIZE } from './core/hash.js';
import { encodeLeaf, leafTime, type LeafEvent } from './core/leaf.js';
import { TILE_WIDTH, type TileId } from './core/tile-path.js';
import type { LedgerEventRow } from './tables.js';

type Db = Kysely<Tables>;

/** Number of leaves integrated so far. */
export async function integratedSize(db: Db): Promise<bigint> {
  const row = await db.selectFrom('ledger_events').select((eb) => eb.fn.max('leaf_index').as('max')).executeTakeFirst();
  return row?.max === null || row?.max === undefined ? 0n : BigInt(row.max) + 1n;
}

/** A stored tile's hashes (its widest version), or undefined. */
export async function readTile(db: Db, level: number, index: bigint): Promise<Uint8Array | undefined> {
  const row = await db.selectFrom('ledger_tiles').select(['hashes', 'width']).where('level', '=', level).where('tile_index', '=', Number(index)).executeTakeFirst();
  return row ? new Uint8Array(row.hashes.buffer, row.hashes.byteOffset, row.width * HASH_SIZE) : undefined;
}

/** The bytes of `tile` (a prefix of the stored version when a partial width is asked). */
export async function tileBytes(db: Db, tile: TileId & { level: number }): Promise<Uint8Array | undefined> {
  const stored = await readTile(db, tile.level, tile.index);
  if (!stored || stored.length < tile.width * HASH_SIZE) return undefined;
  return stored.subarray(0, tile.width * HASH_SIZE);
}

export async function writeTile(db: Db, level: number, index: bigint, hashes: Uint8Array): Promise<void> {
  const width = hashes.length / HASH_SIZE;
  const values = { level, tile_index: Number(index), width, hashes: Buffer.from(hashes) };
  await db
    .insertInto('ledger_tiles')
    .values(values)
    .onConflict((oc) => oc.columns(['level', 'tile_index']).doUpdateSet({ width, hashes: values.hashes }))
    .execute();
}

/** The leaf (LEAF-FORMAT.md) of a stored event: rebuilt from its columns, never stored twice. */
export function leafEventOf(row: Pick<LedgerEventRow, 'event_type' | 'at' | 'record_type' | 'record_id' | 'commitment'>): LeafEvent {
  return {
    eventType: row.event_type,
    time: leafTime(row.at),
    recordType: row.record_type,
    recordId: row.record_id,
    commitment: fromHexStrict(row.commitment) ?? new Uint8Array(0),
  };
}

export function leafBytesOf(row: Pick<LedgerEventRow, 'event_type' | 'at' | 'record_type' | 'record_id' | 'commitment'>): Uint8Array {
  return encodeLeaf(leafEventOf(row));
}

export async function pendingEvents(db: Db, limit: number) {
  return db.selectFrom('ledger_events').selectAll().where('leaf_index', 'is', null).orderBy('seq').limit(limit).execute();
}

/** Give queued events their leaf indices in one statement (UPDATE … FROM VALUES runs on both engines). */
export async function assignLeafIndices(db: Db, assignments: Array<{ seq: number; index: bigint }>): Promise<void> {
  for (let i = 0; i < assignments.length; i += 500) {
    const chunk = assignments.slice(i, i + 500);
    // Parameters arrive as text in PostgreSQL: cast them, in a spelling SQLite also reads.
    const values = sql.join(chunk.map((a) => sql`(cast(${a.seq} as bigint), cast(${Number(a.index)} as bigint))`));
    await sql`update ledger_events set leaf_index = v.column2 from (values ${values}) as v where ledger_events.seq = v.column1`.execute(db);
  }
}

export async function eventsInRange(db: Db, start: bigint, end: bigint) {
  return db
    .selectFrom('ledger_events')
    .selectAll()
    .where('leaf_index', '>=', Number(start))
    .where('leaf_index', '<', Number(end))
    .orderBy('leaf_index')
    .execute();
}

export async function latestCheckpointRow(db: Db) {
  return db.selectFrom('ledger_checkpoints').selectAll().orderBy('size', 'desc').limit(1).executeTakeFirst();
}

export { TILE_WIDTH };
