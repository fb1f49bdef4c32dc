import { sql, type CreateTableBuilder } from 'kysely';
import { makeAppendOnly, withSequence, type MigrationStep } from './helpers.js';

/**
 * Licensing: applications (the exporter's side) and cases (the authority's
 * side of the same row), their items, parties, documents, pre-checks, risk
 * assessments, routing and SLA clock events, questions, countersignatures,
 * decisions, intents to refuse, appeals, licences with their balances,
 * versions and depletions. History tables are append-only.
 */
export const licensing: MigrationStep = {
  name: '0005_licensing',
  async up(db, dialect) {
    const seq = (name: string) => withSequence(db.schema.createTable(name) as unknown as CreateTableBuilder<string, never>, 'seq', dialect);
    const blob = dialect === 'sqlite' ? 'blob' : 'bytea';

    await db.schema
      .createTable('licensing_applications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('reference', 'text', (c) => c.unique())
      .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('authority_id', 'text', (c) => c.references('organisations.id'))
      .addColumn('licence_type', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('amends_licence_id', 'text')
      .addColumn('amends_application_id', 'text')
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('previous_state', 'text')
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('content_version', 'integer', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('submitted_at', 'text')
      .addColumn('decided_at', 'text')
      .addColumn('case_officer_id', 'text')
      .addColumn('queue', 'text')
      .addColumn('risk_score', 'integer')
      .addColumn('risk_band', 'text')
      .addColumn('flags', 'text', (c) => c.notNull())
      .addColumn('sla_due_at', 'text')
      .addColumn('appeal_deadline', 'text')
      .addColumn('proposal', 'text')
      .addColumn('proposal_version', 'integer', (c) => c.notNull())
      .addColumn('countersignatures_required', 'integer', (c) => c.notNull())
      .addColumn('latest_precheck_id', 'text')
      .addColumn('latest_risk_id', 'text')
      .addColumn('licence_id', 'text')
      .execute();
    // The exporter's list, newest first; the authority's queues, oldest first or by due date.
    await db.schema.createIndex('licensing_applications_by_exporter').on('licensing_applications').columns(['organisation_id', 'updated_at', 'id']).execute();
    await db.schema.createIndex('licensing_cases_by_queue').on('licensing_applications').columns(['authority_id', 'queue', 'submitted_at', 'id']).execute();
    await db.schema.createIndex('licensing_cases_by_submission').on('licensing_applications').columns(['authority_id', 'submitted_at', 'id']).execute();
    await db.schema.createIndex('licensing_cases_by_due').on('licensing_applications').columns(['authority_id', 'queue', 'sla_due_at', 'id']).execute();

    await db.schema
      .createTable('licensing_items')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull().references('licensing_applications.id'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('spec', 'text', (c) => c.notNull())
      .addColumn('spec_sha256', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('quantity_milli', 'bigint')
      .addColumn('unit', 'text')
      .addColumn('value', 'text')
      .addColumn('classification', 'text')
      .addColumn('origin_id', 'text')
      .execute();
    await db.schema.createIndex('licensing_items_by_application').on('licensing_items').columns(['application_id', 'position']).execute();

    await db.schema
      .createTable('licensing_parties')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull().references('licensing_applications.id'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('name_key', 'text', (c) => c.notNull())
      .addColumn('country', 'text', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull())
      .addColumn('screening', 'text')
      .addColumn('origin_id', 'text')
      .execute();
    await db.schema.createIndex('licensing_parties_by_application').on('licensing_parties').columns(['application_id', 'position']).execute();
    await db.schema.createIndex('licensing_parties_by_name').on('licensing_parties').columns(['name_key', 'country']).execute();

    await db.schema
      .createTable('licensing_documents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull().references('licensing_applications.id'))
      .addColumn('organisation_id', 'text', (c) => c.notNull())
      .addColumn('doc_type', 'text', (c) => c.notNull())
      .addColumn('filename', 'text', (c) => c.notNull())
      .addColumn('media_type', 'text', (c) => c.notNull())
      .addColumn('size', 'integer', (c) => c.notNull())
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('content', blob, (c) => c.notNull())
      .addColumn('party_id', 'text')
      .addColumn('context', 'text', (c) => c.notNull())
      .addColumn('context_id', 'text')
      .addColumn('uploaded_by', 'text')
      .addColumn('uploaded_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('licensing_documents_by_application').on('licensing_documents').columns(['application_id', 'uploaded_at']).execute();

    await seq('licensing_events')
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor_type', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('actor_role', 'text')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('transition', 'text')
      .addColumn('from_state', 'text')
      .addColumn('to_state', 'text')
      .addColumn('visibility', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('details', 'text')
      .execute();
    await db.schema.createIndex('licensing_events_by_application').on('licensing_events').columns(['application_id', 'seq']).execute();

    await seq('licensing_clock_events')
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('clock', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .execute();
    await db.schema.createIndex('licensing_clock_events_by_application').on('licensing_clock_events').columns(['application_id', 'clock', 'seq']).execute();

    await db.schema
      .createTable('licensing_prechecks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('ran_at', 'text', (c) => c.notNull())
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('inputs_sha256', 'text', (c) => c.notNull())
      .addColumn('result', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('licensing_prechecks_by_application').on('licensing_prechecks').columns(['application_id', 'ran_at']).execute();

    await db.schema
      .createTable('licensing_risk_assessments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('config_version', 'text', (c) => c.notNull())
      .addColumn('config_sha256', 'text', (c) => c.notNull())
      .addColumn('score', 'integer', (c) => c.notNull())
      .addColumn('band', 'text', (c) => c.notNull())
      .addColumn('result', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('licensing_risk_by_application').on('licensing_risk_assessments').columns(['application_id', 'at']).execute();

    await seq('licensing_routing_events')
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('queue', 'text')
      .addColumn('rule_id', 'text')
      .addColumn('rules_version', 'text', (c) => c.notNull())
      .addColumn('rules_sha256', 'text', (c) => c.notNull())
      .addColumn('explanation', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('licensing_routing_by_application').on('licensing_routing_events').columns(['application_id', 'seq']).execute();

    await db.schema
      .createTable('licensing_queries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('asked_by', 'text')
      .addColumn('asked_at', 'text', (c) => c.notNull())
      .addColumn('question', 'text', (c) => c.notNull())
      .addColumn('respond_by', 'text', (c) => c.notNull())
      .addColumn('answered_by', 'text')
      .addColumn('answered_at', 'text')
      .addColumn('answer', 'text')
      .addColumn('closed_by', 'text')
      .addColumn('closed_at', 'text')
      .addColumn('close_reason', 'text')
      .execute();
    await db.schema.createIndex('licensing_queries_by_application').on('licensing_queries').columns(['application_id', 'asked_at']).execute();

    await db.schema
      .createTable('licensing_notes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('author_id', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('licensing_notes_by_application').on('licensing_notes').columns(['application_id', 'at']).execute();

    await db.schema
      .createTable('licensing_referrals')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('adviser', 'text', (c) => c.notNull())
      .addColumn('referred_by', 'text')
      .addColumn('referred_at', 'text', (c) => c.notNull())
      .addColumn('deadline', 'text', (c) => c.notNull())
      .addColumn('advice', 'text')
      .addColumn('advice_kind', 'text')
      .addColumn('responded_at', 'text')
      .addColumn('recorded_by', 'text')
      .execute();
    await db.schema.createIndex('licensing_referrals_by_application').on('licensing_referrals').columns(['application_id', 'referred_at']).execute();

    await db.schema
      .createTable('licensing_countersignatures')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('proposal_version', 'integer', (c) => c.notNull())
      .addColumn('order_no', 'integer', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('reasons', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('invalidated_at', 'text')
      .execute();
    await db.schema.createIndex('licensing_countersignatures_by_application').on('licensing_countersignatures').columns(['application_id', 'at']).execute();

    await db.schema
      .createTable('licensing_flag_clearances')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('flag', 'text', (c) => c.notNull())
      .addColumn('cleared_by', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('reasons', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('licensing_flag_clearances_by_application').on('licensing_flag_clearances').columns(['application_id', 'flag']).execute();

    await db.schema
      .createTable('licensing_decisions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('case_reference', 'text', (c) => c.notNull())
      .addColumn('organisation_id', 'text', (c) => c.notNull())
      .addColumn('authority_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('decided_by', 'text')
      .addColumn('decided_at', 'text', (c) => c.notNull())
      .addColumn('reasons', 'text', (c) => c.notNull())
      .addColumn('conditions', 'text', (c) => c.notNull())
      .addColumn('refusal_criteria', 'text', (c) => c.notNull())
      .addColumn('countersigned_by', 'text', (c) => c.notNull())
      .addColumn('licence_id', 'text')
      .addColumn('appeal_id', 'text')
      .addColumn('previous_decision_id', 'text')
      .addColumn('appeal_deadline', 'text')
      .execute();
    await db.schema.createIndex('licensing_decisions_by_application').on('licensing_decisions').columns(['application_id', 'decided_at']).execute();
    await db.schema.createIndex('licensing_decisions_by_licence').on('licensing_decisions').columns(['licence_id']).execute();

    await db.schema
      .createTable('licensing_intents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('issued_by', 'text')
      .addColumn('issued_at', 'text', (c) => c.notNull())
      .addColumn('respond_by', 'text', (c) => c.notNull())
      .addColumn('criteria', 'text', (c) => c.notNull())
      .addColumn('reasons', 'text', (c) => c.notNull())
      .addColumn('response', 'text')
      .addColumn('responded_at', 'text')
      .addColumn('closed_at', 'text')
      .addColumn('outcome', 'text')
      .execute();
    await db.schema.createIndex('licensing_intents_by_application').on('licensing_intents').columns(['application_id', 'issued_at']).execute();

    await db.schema
      .createTable('licensing_appeals')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('decision_id', 'text', (c) => c.notNull())
      .addColumn('filed_by', 'text')
      .addColumn('filed_at', 'text', (c) => c.notNull())
      .addColumn('grounds', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text')
      .addColumn('decided_by', 'text')
      .addColumn('decided_at', 'text')
      .addColumn('reasons', 'text')
      .addColumn('outcome_decision_id', 'text')
      .execute();
    await db.schema.createIndex('licensing_appeals_by_application').on('licensing_appeals').columns(['application_id', 'filed_at']).execute();

    await db.schema
      .createTable('licensing_licences')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('reference', 'text', (c) => c.notNull().unique())
      .addColumn('application_id', 'text', (c) => c.notNull())
      .addColumn('holder_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('authority_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('licence_type', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('valid_from', 'text', (c) => c.notNull())
      .addColumn('valid_to', 'text')
      .addColumn('destinations', 'text', (c) => c.notNull())
      .addColumn('parties', 'text', (c) => c.notNull())
      .addColumn('conditions', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('issued_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('last_case_id', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('licensing_licences_by_holder').on('licensing_licences').columns(['holder_id', 'issued_at', 'id']).execute();
    await db.schema.createIndex('licensing_licences_by_authority').on('licensing_licences').columns(['authority_id', 'issued_at', 'id']).execute();

    await db.schema
      .createTable('licensing_licence_items')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('licence_id', 'text', (c) => c.notNull().references('licensing_licences.id'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('origin_item_id', 'text')
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('spec_sha256', 'text', (c) => c.notNull())
      .addColumn('unit', 'text')
      .addColumn('granted_milli', 'bigint')
      // Never below zero, whatever SQL reaches the table: the last line of defence behind the conditional UPDATE.
      .addColumn('remaining_milli', 'bigint', (c) => c.check(sql`remaining_milli is null or remaining_milli >= 0`))
      .addColumn('value', 'text')
      .execute();
    await db.schema.createIndex('licensing_licence_items_by_licence').on('licensing_licence_items').columns(['licence_id', 'position']).execute();

    await db.schema
      .createTable('licensing_licence_versions')
      .addColumn('licence_id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('reference', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('record', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('licensing_licence_versions_pk', ['licence_id', 'version'])
      .execute();

    await seq('licensing_depletions')
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('licence_id', 'text', (c) => c.notNull())
      .addColumn('licence_item_id', 'text', (c) => c.notNull())
      .addColumn('quantity_milli', 'bigint', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('reference', 'text')
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor_type', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .execute();
    await db.schema.createIndex('licensing_depletions_by_licence').on('licensing_depletions').columns(['licence_id', 'seq']).execute();
    await db.schema.createIndex('licensing_depletions_reference').on('licensing_depletions').columns(['licence_id', 'reference']).unique().execute();

    await db.schema
      .createTable('licensing_sequences')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('value', 'bigint', (c) => c.notNull())
      .execute();

    for (const t of [
      'licensing_events',
      'licensing_clock_events',
      'licensing_routing_events',
      'licensing_risk_assessments',
      'licensing_prechecks',
      'licensing_notes',
      'licensing_flag_clearances',
      'licensing_decisions',
      'licensing_licence_versions',
      'licensing_depletions',
    ]) {
      await makeAppendOnly(db, dialect, t);
    }
  },
};
