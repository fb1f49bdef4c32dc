import { withSequence, type MigrationStep } from './helpers.js';

/**
 * Decisive events waiting for (or already in) the transparency log. A domain
 * writes one in the same transaction as the change it records, so the log can
 * never miss a committed decision (a transactional outbox); the sequencer later
 * gives it a leaf index.
 */
export const ledgerEvents: MigrationStep = {
  name: '0002_ledger_events',
  async up(db, dialect) {
    await withSequence(db.schema.createTable('ledger_events') as never, 'seq', dialect)
      .addColumn('event_type', 'text', (c) => c.notNull())
      .addColumn('record_type', 'text', (c) => c.notNull())
      .addColumn('record_id', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('organisation_id', 'text')
      .addColumn('salt', 'text', (c) => c.notNull())
      .addColumn('commitment', 'text', (c) => c.notNull())
      .addColumn('leaf_index', 'bigint', (c) => c.unique())
      .execute();
    await db.schema.createIndex('ledger_events_by_record').on('ledger_events').columns(['record_type', 'record_id']).execute();
    await db.schema.createIndex('ledger_events_pending').on('ledger_events').columns(['leaf_index', 'seq']).execute();

    // The Merkle tree as c2sp.org/tlog-tiles: each row is the widest version of one
    // tile (256 hashes of tree level 8*level); partial tiles are served as prefixes.
    await db.schema
      .createTable('ledger_tiles')
      .addColumn('level', 'integer', (c) => c.notNull())
      .addColumn('tile_index', 'bigint', (c) => c.notNull())
      .addColumn('width', 'integer', (c) => c.notNull())
      .addColumn('hashes', dialect === 'sqlite' ? 'blob' : 'bytea', (c) => c.notNull())
      .addPrimaryKeyConstraint('ledger_tiles_pk', ['level', 'tile_index'])
      .execute();

    await db.schema
      .createTable('ledger_checkpoints')
      .addColumn('size', 'bigint', (c) => c.primaryKey())
      .addColumn('root_hash', 'text', (c) => c.notNull())
      .addColumn('note', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    // Log signing keys, private halves wrapped under the key-encryption key.
    await db.schema
      .createTable('ledger_keys')
      .addColumn('key_id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('verifier_key', 'text', (c) => c.notNull())
      .addColumn('wrapped_seed', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('retired_at', 'text')
      .execute();
  },
};
