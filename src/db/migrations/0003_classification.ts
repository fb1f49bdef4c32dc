import type { CreateTableBuilder } from 'kysely';
import { makeAppendOnly, withSequence, type MigrationStep } from './helpers.js';

/**
 * Classification: an organisation's item register, the classifications
 * recorded for its items (append-only: a recorded classification is evidence,
 * committed to the transparency log) and uploaded rule-set versions.
 */
export const classification: MigrationStep = {
  name: '0003_classification',
  async up(db, dialect) {
    await db.schema
      .createTable('classification_items')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('spec', 'text', (c) => c.notNull())
      .addColumn('spec_sha256', 'text', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('classification_items_by_organisation').on('classification_items').columns(['organisation_id', 'updated_at', 'id']).execute();

    // seq: the order of recording, also within one millisecond (the history lists newest first).
    await withSequence(db.schema.createTable('classification_records') as unknown as CreateTableBuilder<string, never>, 'seq', dialect)
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('item_id', 'text', (c) => c.notNull().references('classification_items.id'))
      .addColumn('item_revision', 'integer', (c) => c.notNull())
      .addColumn('item_name', 'text', (c) => c.notNull())
      .addColumn('spec', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('controlled_by', 'text', (c) => c.notNull())
      .addColumn('needs_information', 'text', (c) => c.notNull())
      .addColumn('needs_review', 'text', (c) => c.notNull())
      .addColumn('results', 'text', (c) => c.notNull())
      .addColumn('rule_sets', 'text', (c) => c.notNull())
      .addColumn('destination', 'text')
      .addColumn('destination_result', 'text')
      .addColumn('note', 'text')
      .addColumn('classified_at', 'text', (c) => c.notNull())
      .addColumn('classified_by_type', 'text', (c) => c.notNull())
      .addColumn('classified_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('classification_records_by_item').on('classification_records').columns(['organisation_id', 'item_id', 'seq']).execute();
    await makeAppendOnly(db, dialect, 'classification_records');

    await db.schema
      .createTable('classification_rule_sets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('rule_set_id', 'text', (c) => c.notNull())
      .addColumn('regime', 'text', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull().unique())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('uploaded_at', 'text', (c) => c.notNull())
      .addColumn('uploaded_by', 'text', (c) => c.notNull())
      .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('note', 'text')
      .execute();
    await db.schema.createIndex('classification_rule_sets_by_id').on('classification_rule_sets').columns(['rule_set_id', 'uploaded_at']).execute();
  },
};
