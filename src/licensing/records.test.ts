/**
 * Decisive records: every licensing event in the log outbox opens with the
 * record its resolver rebuilds from the database (LEAF-FORMAT.md §2), and an
 * edit of a logged licence in place is detected; decision rows cannot be
 * edited at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordCommitment } from '../ledger/core/leaf.js';
import { recordResolver } from '../ledger/decisive.js';
import { DIALECTS, openTestServices, type TestServices } from '../shared/test-support/databases.js';
import { createOrganisation } from '../identity/service.js';
import { ensureUser } from '../shared/test-support/http.js';
import { actOnLicence, depleteLicence } from './store/licences.js';
import { DECISION_RECORD, LICENCE_RECORD, USAGE_RECORD } from './store/records.js';
import type { LicensingActor } from './store/common.js';
import { grantTestLicence } from './test-support/licence.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

describe.each(DIALECTS)('licensing decisive records on %s', (dialect) => {
  let s: TestServices;
  let exporter: LicensingActor;
  let supervisor: LicensingActor;
  let authorityId: string;

  beforeAll(async () => {
    s = await openTestServices(dialect);
    const a = await createOrganisation(s.database.db, s.clock, { name: 'Authority', kind: 'authority', country: 'DE' });
    authorityId = a.id;
    const e = await ensureUser(s, { name: 'Exporter', kind: 'exporter' }, 'applicant', 'x@e.test');
    const sup = await ensureUser(s, { name: 'Authority', kind: 'authority' }, 'supervisor', 's@a.test');
    exporter = { type: 'user', id: e.userId, userId: e.userId, organisationId: e.organisationId, kind: 'exporter', role: 'applicant' };
    supervisor = { type: 'user', id: sup.userId, userId: sup.userId, organisationId: a.id, kind: 'authority', role: 'supervisor' };
  });
  afterAll(async () => {
    await s?.dispose();
  });

  async function verifyAll(): Promise<Array<{ type: string; ok: boolean }>> {
    const db = s.database.db;
    const events = await db.selectFrom('ledger_events').selectAll().where('record_type', 'in', [DECISION_RECORD, LICENCE_RECORD, USAGE_RECORD]).orderBy('seq').execute();
    const out = [];
    for (const e of events) {
      const record = await recordResolver(e.record_type)!.load(db, e.record_id);
      out.push({ type: e.event_type, ok: record !== undefined && Buffer.from(recordCommitment(record, hex(e.salt))).toString('hex') === e.commitment });
    }
    return out;
  }

  it('rebuilds every logged record exactly, and lists them', async () => {
    const { licence, powderItem } = await grantTestLicence(s, exporter, authorityId, 50);
    await s.database.db.transaction().execute(async (trx) => {
      await depleteLicence(trx, { licenceId: licence.id, itemRef: powderItem, quantity: 12.5, reason: 'shipment', reference: 'AWB-1', actor: exporter, at: s.clock.now() });
      await actOnLicence(trx, s.clock, supervisor, licence, 'suspend', 'Suspended pending an end-use check.');
    });
    expect(await verifyAll()).toEqual([
      { type: 'licence.issued', ok: true },
      { type: 'licence.used', ok: true },
      { type: 'licence.suspended', ok: true },
    ]);
    expect(await recordResolver(LICENCE_RECORD)!.list!(s.database.db)).toEqual([`${licence.id}:v1`]);
    expect(await recordResolver(USAGE_RECORD)!.list!(s.database.db)).toHaveLength(1);
  });

  it('detects a licence edited in place, and refuses edits of decisions', async () => {
    const db = s.database.db;
    await db.updateTable('licensing_licences').set({ valid_to: '2099-01-01T00:00:00.000Z' }).execute();
    expect((await verifyAll()).map((v) => v.ok)).toEqual([false, true, true]);
    await expect(db.updateTable('licensing_decisions').set({ reasons: 'rewritten' }).execute()).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom('licensing_depletions').execute()).rejects.toThrow(/append-only/);
  });
});
