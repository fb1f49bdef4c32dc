import type { CreateTableBuilder } from 'kysely';
import { makeAppendOnly, withSequence, type MigrationStep } from './helpers.js';

/**
 * Devices (print hosts, their keys and enrolment tokens), protected designs
 * (the stored copy, releases per device set, the vault key), print tickets
 * (issued tickets, their devices, revocations, signed revocation lists, issuer
 * keys, devices named under licences) and usage records with their anomaly
 * flags. Revocations, revocation lists, usage records and flags are
 * append-only.
 */
export const devicesDesignsTickets: MigrationStep = {
  name: '0006_devices_designs_tickets',
  async up(db, dialect) {
    const blob = dialect === 'sqlite' ? 'blob' : 'bytea';
    const seq = (name: string) => withSequence(db.schema.createTable(name) as unknown as CreateTableBuilder<string, never>, 'seq', dialect);

    /* ------------------------------------------------------------ devices */
    await db.schema
      .createTable('device_enrolment_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
      .addColumn('device_name', 'text')
      .addColumn('created_by', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('used_at', 'text')
      .addColumn('device_id', 'text')
      .execute();
    await db.schema.createIndex('device_enrolment_tokens_by_organisation').on('device_enrolment_tokens').columns(['organisation_id', 'created_at']).execute();

    await db.schema
      .createTable('devices')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('model', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('enrolled_at', 'text', (c) => c.notNull())
      .addColumn('enrolment_token_id', 'text', (c) => c.notNull().unique().references('device_enrolment_tokens.id'))
      .addColumn('api_token_id', 'text', (c) => c.notNull().unique().references('api_tokens.id'))
      .addColumn('revoked_at', 'text')
      .addColumn('revoked_reason', 'text')
      .addColumn('revoked_by', 'text')
      .execute();
    await db.schema.createIndex('devices_by_organisation').on('devices').columns(['organisation_id', 'enrolled_at']).execute();

    await db.schema
      .createTable('device_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      .addColumn('content_key', 'text', (c) => c.notNull())
      .addColumn('content_key_sha256', 'text', (c) => c.notNull())
      .addColumn('signing_key', 'text', (c) => c.notNull())
      .addColumn('signing_key_sha256', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('retired_at', 'text')
      .execute();
    await db.schema.createIndex('device_keys_by_device').on('device_keys').columns(['device_id', 'created_at']).execute();
    await db.schema.createIndex('device_keys_by_content_key').on('device_keys').column('content_key_sha256').execute();

    /* ------------------------------------------------------------ designs */
    await db.schema
      .createTable('design_vault_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('wrapped_private_key', 'text', (c) => c.notNull())
      // unique, and NULL for retired keys: at most one current key, on both engines
      .addColumn('current', 'text', (c) => c.unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('retired_at', 'text')
      .execute();

    await db.schema
      .createTable('designs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('filename', 'text', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('content_type', 'text', (c) => c.notNull())
      .addColumn('plain_size', 'bigint', (c) => c.notNull())
      .addColumn('plain_sha256', 'text', (c) => c.notNull())
      .addColumn('item_id', 'text')
      .addColumn('content', blob, (c) => c.notNull())
      .addColumn('stored_size', 'bigint', (c) => c.notNull())
      .addColumn('stored_sha256', 'text', (c) => c.notNull())
      .addColumn('vault_key_id', 'text', (c) => c.notNull().references('design_vault_keys.id'))
      .addColumn('protection', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('designs_by_organisation').on('designs').columns(['organisation_id', 'created_at']).execute();

    await db.schema
      .createTable('design_releases')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('design_id', 'text', (c) => c.notNull().references('designs.id'))
      .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('licence_id', 'text', (c) => c.notNull())
      .addColumn('manifest_sha256', 'text', (c) => c.notNull().unique())
      .addColumn('recipients_key', 'text', (c) => c.notNull())
      .addColumn('recipients', 'text', (c) => c.notNull())
      .addColumn('content', blob, (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    // One release per design and device key set: a second request for the same set reuses it.
    await db.schema.createIndex('design_releases_by_recipients').on('design_releases').columns(['design_id', 'recipients_key']).unique().execute();

    await db.schema
      .createTable('design_release_devices')
      .addColumn('release_id', 'text', (c) => c.notNull().references('design_releases.id'))
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      .addPrimaryKeyConstraint('design_release_devices_pk', ['release_id', 'device_id'])
      .execute();
    await db.schema.createIndex('design_release_devices_by_device').on('design_release_devices').columns(['device_id', 'release_id']).execute();

    /* ------------------------------------------------------------ tickets */
    await db.schema
      .createTable('ticket_issuer_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('public_key', 'text', (c) => c.notNull())
      .addColumn('wrapped_private_key', 'text', (c) => c.notNull())
      .addColumn('current', 'text', (c) => c.unique())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('retired_at', 'text')
      .execute();

    await db.schema
      .createTable('licence_devices')
      .addColumn('licence_id', 'text', (c) => c.notNull())
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('named_by', 'text', (c) => c.notNull())
      .addColumn('named_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('licence_devices_pk', ['licence_id', 'device_id'])
      .execute();

    await db.schema
      .createTable('print_tickets')
      .addColumn('jti', 'text', (c) => c.primaryKey())
      .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('licence_id', 'text', (c) => c.notNull())
      .addColumn('licence_item_id', 'text', (c) => c.notNull())
      .addColumn('design_id', 'text', (c) => c.notNull().references('designs.id'))
      .addColumn('release_id', 'text', (c) => c.notNull().references('design_releases.id'))
      .addColumn('manifest_sha256', 'text', (c) => c.notNull())
      .addColumn('prints', 'integer', (c) => c.notNull())
      .addColumn('not_before', 'text', (c) => c.notNull())
      .addColumn('not_after', 'text', (c) => c.notNull())
      .addColumn('envelope', 'text', (c) => c.notNull())
      .addColumn('devices', 'text', (c) => c.notNull())
      .addColumn('jws', 'text', (c) => c.notNull())
      .addColumn('kid', 'text', (c) => c.notNull())
      .addColumn('issued_at', 'text', (c) => c.notNull())
      .addColumn('issued_by', 'text', (c) => c.notNull())
      .addColumn('depletion_id', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('print_tickets_by_organisation').on('print_tickets').columns(['organisation_id', 'issued_at']).execute();
    await db.schema.createIndex('print_tickets_by_licence').on('print_tickets').columns(['licence_id', 'issued_at']).execute();
    await db.schema.createIndex('print_tickets_by_design').on('print_tickets').columns(['design_id', 'issued_at']).execute();

    await db.schema
      .createTable('ticket_devices')
      .addColumn('jti', 'text', (c) => c.notNull().references('print_tickets.jti'))
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      .addPrimaryKeyConstraint('ticket_devices_pk', ['jti', 'device_id'])
      .execute();
    await db.schema.createIndex('ticket_devices_by_device').on('ticket_devices').columns(['device_id', 'jti']).execute();

    await seq('ticket_revocations')
      .addColumn('jti', 'text', (c) => c.notNull().unique().references('print_tickets.jti'))
      .addColumn('organisation_id', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('revoked_by', 'text', (c) => c.notNull())
      .execute();
    await makeAppendOnly(db, dialect, 'ticket_revocations');

    await db.schema
      .createTable('ticket_revocation_lists')
      .addColumn('serial', 'integer', (c) => c.primaryKey())
      .addColumn('covers_seq', 'bigint', (c) => c.notNull())
      .addColumn('jws', 'text', (c) => c.notNull())
      .addColumn('kid', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('next_update', 'text', (c) => c.notNull())
      .execute();
    await makeAppendOnly(db, dialect, 'ticket_revocation_lists');

    /* ------------------------------------------------------------- usage */
    await db.schema
      .createTable('usage_records')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('device_id', 'text', (c) => c.notNull().references('devices.id'))
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('prev', 'text', (c) => c.notNull())
      .addColumn('ticket_jti', 'text', (c) => c.notNull())
      .addColumn('design_sha256', 'text', (c) => c.notNull())
      .addColumn('counter', 'integer', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('ended_at', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('record', 'text', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .addColumn('licence_id', 'text')
      .addColumn('exporter_id', 'text')
      .addColumn('received_at', 'text', (c) => c.notNull())
      .addColumn('ack', 'text', (c) => c.notNull())
      .execute();
    // The chain's guard: one record per device and sequence number, whichever request commits first.
    await db.schema.createIndex('usage_records_by_device_seq').on('usage_records').columns(['device_id', 'seq']).unique().execute();
    await db.schema.createIndex('usage_records_by_ticket').on('usage_records').columns(['ticket_jti', 'seq']).execute();
    await makeAppendOnly(db, dialect, 'usage_records');

    await seq('usage_flags')
      .addColumn('usage_record_id', 'text', (c) => c.notNull().references('usage_records.id'))
      .addColumn('device_id', 'text', (c) => c.notNull())
      .addColumn('ticket_jti', 'text', (c) => c.notNull())
      .addColumn('licence_id', 'text')
      .addColumn('exporter_id', 'text')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('usage_flags_by_ticket').on('usage_flags').columns(['ticket_jti', 'seq']).execute();
    await db.schema.createIndex('usage_flags_by_licence').on('usage_flags').columns(['licence_id', 'seq']).execute();
    await makeAppendOnly(db, dialect, 'usage_flags');
  },
};
