/**
 * Depletion under concurrency, on SQLite and PostgreSQL: parallel requests
 * against one licence never take more than its balance — through real HTTP
 * (the server's pool runs them at once on PostgreSQL) and through parallel
 * transactions calling `depleteLicence` directly, with random quantities.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFabgateError } from '../shared/errors.js';
import { actorFromPrincipal } from './store/common.js';
import { depleteLicence } from './store/licences.js';
import { fromMilli } from './quantity.js';
import { grantTestLicence } from './test-support/licence.js';
import { DIALECTS, openWorld, type World } from './test-support/world.js';

describe.each(DIALECTS)('licence depletion under concurrency on %s', (dialect) => {
  let w: World;
  const exporterActor = () => actorFromPrincipal({ type: 'user', id: w.users.applicant.userId, userId: w.users.applicant.userId, organisationId: w.exporterId, organisationKind: 'exporter', role: 'applicant', permissions: new Set() });

  beforeAll(async () => {
    w = await openWorld(dialect);
  });
  afterAll(async () => {
    await w?.close();
  });

  const remaining = async (itemId: string) => Number((await w.services.database.db.selectFrom('licensing_licence_items').select('remaining_milli').where('id', '=', itemId).executeTakeFirstOrThrow()).remaining_milli);
  const used = async (licenceId: string) => (await w.services.database.db.selectFrom('licensing_depletions').select('quantity_milli').where('licence_id', '=', licenceId).execute()).reduce((s, r) => s + Number(r.quantity_milli), 0);

  it('lets exactly the balance through 40 parallel HTTP requests', async () => {
    const { licence, powderItem } = await grantTestLicence(w.services, exporterActor(), w.authorityId, 25, 'IEL/2026/9000001');
    const c = w.users.applicant.client;
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => c.request<{ error?: { code: string } }>('POST', `/api/licences/${licence.id}/usage`, { item: powderItem, quantity: 1, reason: 'shipment', reference: `AWB-${i}` })));
    const ok = results.filter((r) => r.status === 200).length;
    expect(ok).toBe(25);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.error!.code === 'LICENSING_BALANCE_EXCEEDED')).toBe(true);
    expect(results.filter((r) => r.status !== 200 && r.status !== 409)).toEqual([]);
    expect(await remaining(powderItem)).toBe(0);
    expect(await used(licence.id)).toBe(25_000);
    const view = await c.request<{ status: string }>('GET', `/api/licences/${licence.id}`);
    // The machine item still has its two pieces: the licence is not exhausted.
    expect(view.body.status).toBe('active');
  });

  it('never exceeds the balance with random quantities in parallel transactions (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 2, maxLength: 24 }), fc.integer({ min: 1, max: 30 }), async (milli, grantedKg) => {
        const { licence, powderItem } = await grantTestLicence(w.services, exporterActor(), w.authorityId, grantedKg, `IEL/2026/${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`);
        const outcomes = await Promise.all(
          milli.map((m, i) =>
            w.services.database.db
              .transaction()
              .execute((trx) => depleteLicence(trx, { licenceId: licence.id, itemRef: powderItem, quantity: fromMilli(m), reason: 'print', reference: `t-${i}`, at: w.services.clock.now() }))
              .then(
                () => m,
                (e: unknown) => {
                  if (isFabgateError(e) && e.code === 'LICENSING_BALANCE_EXCEEDED') return 0;
                  throw e;
                },
              ),
          ),
        );
        const taken = outcomes.reduce((a, b) => a + b, 0);
        expect(taken).toBeLessThanOrEqual(grantedKg * 1000);
        expect(await remaining(powderItem)).toBe(grantedKg * 1000 - taken);
        expect(await used(licence.id)).toBe(taken);
      }),
      { numRuns: 12 },
    );
  });

  it('refuses a second use with the same reference, and a use of a suspended licence', async () => {
    const { licence, machineItem } = await grantTestLicence(w.services, exporterActor(), w.authorityId, 10, 'IEL/2026/9000002');
    const c = w.users.applicant.client;
    expect((await c.request('POST', `/api/licences/${licence.id}/usage`, { item: machineItem, quantity: 1, reason: 'shipment', reference: 'AWB-X' })).status).toBe(200);
    const twice = await c.request<{ error: { code: string } }>('POST', `/api/licences/${licence.id}/usage`, { item: machineItem, quantity: 1, reason: 'shipment', reference: 'AWB-X' });
    expect([twice.status, twice.body.error.code]).toEqual([409, 'LICENSING_DEPLETION_DUPLICATE']);
    expect(await remaining(machineItem)).toBe(1000);
    const officer = await w.users.officer1.client.request<{ error: { code: string } }>('POST', `/api/licences/${licence.id}/suspend`, { reasons: 'Under investigation.' });
    expect([officer.status, officer.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect((await w.users.supervisor1.client.request('POST', `/api/licences/${licence.id}/suspend`, { reasons: 'Under investigation for diversion.' })).status).toBe(200);
    const refused = await c.request<{ error: { code: string } }>('POST', `/api/licences/${licence.id}/usage`, { item: machineItem, quantity: 1, reason: 'shipment' });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'LICENSING_LICENCE_NOT_ACTIVE']);
    expect((await w.users.supervisor1.client.request('POST', `/api/licences/${licence.id}/reinstate`, { reasons: 'Investigation closed.' })).status).toBe(200);
    expect((await c.request('POST', `/api/licences/${licence.id}/usage`, { item: machineItem, quantity: 1, reason: 'shipment' })).status).toBe(200);
    const exhausted = await c.request<{ status: string }>('GET', `/api/licences/${licence.id}`);
    expect(exhausted.body.status).toBe('active'); // the powder is untouched
  });
});
