import type { CreateTableBuilder } from 'kysely';
import { makeAppendOnly, withSequence, type MigrationStep } from './helpers.js';

/**
 * Screening: list versions (staged, then completed and activated in one
 * transaction), entity bodies stored once per content, the append-only
 * activation history and the active version of each list; per organisation the
 * customer register, current hits, alerts, review decisions (append-only) and
 * background jobs with their inputs and results. See src/screening/tables.ts.
 */
export const screening: MigrationStep = {
  name: '0004_screening',
  async up(db, dialect) {
    const seq = (name: string) => withSequence(db.schema.createTable(name) as unknown as CreateTableBuilder<string, never>, 'seq', dialect);

    await db.schema
      .createTable('screening_list_versions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('list', 'text', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('source_date', 'text')
      .addColumn('files', 'text', (c) => c.notNull())
      .addColumn('counts', 'text', (c) => c.notNull())
      .addColumn('entities', 'integer', (c) => c.notNull())
      .addColumn('entities_digest', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('heartbeat_at', 'text', (c) => c.notNull())
      .addColumn('completed_at', 'text')
      .addColumn('loaded_by_type', 'text', (c) => c.notNull())
      .addColumn('loaded_by', 'text')
      .addColumn('organisation_id', 'text', (c) => c.references('organisations.id'))
      .execute();
    await db.schema.createIndex('screening_list_versions_by_list').on('screening_list_versions').columns(['list', 'state', 'completed_at']).execute();

    await db.schema
      .createTable('screening_entity_bodies')
      .addColumn('sha256', 'text', (c) => c.primaryKey())
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('screening_version_entities')
      .addColumn('version_id', 'text', (c) => c.notNull().references('screening_list_versions.id'))
      .addColumn('entity_id', 'text', (c) => c.notNull())
      .addColumn('list', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('body_sha256', 'text', (c) => c.notNull())
      .addColumn('match_digest', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('screening_version_entities_pk', ['version_id', 'entity_id'])
      .execute();

    await seq('screening_activations')
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('list', 'text', (c) => c.notNull())
      .addColumn('version_id', 'text', (c) => c.notNull().references('screening_list_versions.id'))
      .addColumn('previous_version_id', 'text')
      .addColumn('activated_at', 'text', (c) => c.notNull())
      .addColumn('activated_by_type', 'text', (c) => c.notNull())
      .addColumn('activated_by', 'text')
      .addColumn('organisation_id', 'text', (c) => c.references('organisations.id'))
      .execute();
    await makeAppendOnly(db, dialect, 'screening_activations');

    await db.schema
      .createTable('screening_active_lists')
      .addColumn('list', 'text', (c) => c.primaryKey())
      .addColumn('version_id', 'text', (c) => c.notNull().references('screening_list_versions.id'))
      .addColumn('activation_seq', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('screening_parties')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('country', 'text')
      .addColumn('type', 'text')
      .addColumn('dob', 'text')
      .addColumn('reference', 'text')
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text')
      .addColumn('screened_at', 'text')
      .addColumn('screened_generation', 'bigint')
      .execute();
    await db.schema.createIndex('screening_parties_by_organisation').on('screening_parties').columns(['organisation_id', 'name']).execute();

    await db.schema
      .createTable('screening_hits')
      .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('party_kind', 'text', (c) => c.notNull())
      .addColumn('party_ref', 'text', (c) => c.notNull())
      .addColumn('list', 'text', (c) => c.notNull())
      .addColumn('entity_id', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('score_milli', 'integer', (c) => c.notNull())
      .addColumn('first_seen_at', 'text', (c) => c.notNull())
      .addColumn('last_seen_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('screening_hits_pk', ['party_kind', 'party_ref', 'list', 'entity_id'])
      .execute();

    await seq('screening_alerts')
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('party_kind', 'text', (c) => c.notNull())
      .addColumn('party_ref', 'text', (c) => c.notNull())
      .addColumn('party', 'text', (c) => c.notNull())
      .addColumn('list', 'text', (c) => c.notNull())
      .addColumn('entity_id', 'text', (c) => c.notNull())
      .addColumn('version_id', 'text', (c) => c.notNull())
      .addColumn('entity_digest', 'text', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('score_milli', 'integer', (c) => c.notNull())
      .addColumn('matched_name', 'text', (c) => c.notNull())
      .addColumn('match', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('closed_at', 'text')
      .addColumn('decision_id', 'text')
      .execute();
    await db.schema.createIndex('screening_alerts_queue').on('screening_alerts').columns(['organisation_id', 'state', 'seq']).execute();
    await db.schema.createIndex('screening_alerts_by_party').on('screening_alerts').columns(['party_kind', 'party_ref', 'list', 'entity_id', 'state']).execute();

    await seq('screening_decisions')
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('party_digest', 'text', (c) => c.notNull())
      .addColumn('entity_digest', 'text', (c) => c.notNull())
      .addColumn('party', 'text', (c) => c.notNull())
      .addColumn('party_kind', 'text')
      .addColumn('party_ref', 'text')
      .addColumn('list', 'text', (c) => c.notNull())
      .addColumn('entity_id', 'text', (c) => c.notNull())
      .addColumn('version_id', 'text', (c) => c.notNull())
      .addColumn('matched_name', 'text', (c) => c.notNull())
      .addColumn('score_milli', 'integer', (c) => c.notNull())
      .addColumn('decision', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('alert_id', 'text')
      .addColumn('decided_at', 'text', (c) => c.notNull())
      .addColumn('decided_by_type', 'text', (c) => c.notNull())
      .addColumn('decided_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('screening_decisions_by_fingerprint').on('screening_decisions').columns(['organisation_id', 'fingerprint', 'seq']).execute();
    await makeAppendOnly(db, dialect, 'screening_decisions');

    await db.schema
      .createTable('screening_jobs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('organisation_id', 'text', (c) => c.references('organisations.id'))
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('name', 'text')
      .addColumn('total', 'integer', (c) => c.notNull())
      .addColumn('done', 'integer', (c) => c.notNull())
      .addColumn('matched', 'integer', (c) => c.notNull())
      .addColumn('threshold_milli', 'integer', (c) => c.notNull())
      .addColumn('generation', 'bigint')
      .addColumn('cursor', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by_type', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text')
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'text')
      .addColumn('error', 'text')
      .execute();
    await db.schema.createIndex('screening_jobs_by_state').on('screening_jobs').columns(['state', 'created_at']).execute();
    await db.schema.createIndex('screening_jobs_by_organisation').on('screening_jobs').columns(['organisation_id', 'created_at']).execute();

    await db.schema
      .createTable('screening_batch_items')
      .addColumn('job_id', 'text', (c) => c.notNull().references('screening_jobs.id'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('party', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('screening_batch_items_pk', ['job_id', 'position'])
      .execute();

    await db.schema
      .createTable('screening_batch_results')
      .addColumn('job_id', 'text', (c) => c.notNull().references('screening_jobs.id'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('matches', 'text', (c) => c.notNull())
      .addColumn('match_count', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('screening_batch_results_pk', ['job_id', 'position'])
      .execute();
  },
};
