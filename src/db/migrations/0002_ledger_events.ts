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
  },
};
