/**
 * A licence for tests that exercise licences themselves (depletion, records):
 * an application drafted and granted through the store functions, without the
 * case work in between.
 */
import type { TestServices } from '../../shared/test-support/databases.js';
import { createApplication, addItem, addParty, loadApplication, loadSnapshot } from '../store/applications.js';
import type { LicensingActor } from '../store/common.js';
import { issueLicence } from '../store/licences.js';
import { MACHINE_SPEC, POWDER_SPEC } from './fixtures.js';

export async function grantTestLicence(services: TestServices, exporter: LicensingActor, authorityId: string, powderKg: number, reference = 'IEL/2026/9999999') {
  const db = services.database.db;
  return db.transaction().execute(async (trx) => {
    const app = await createApplication(trx, services.clock, exporter, exporter.organisationId!, {
      licence_type: 'individual',
      authority_id: authorityId,
      content: { destinations: ['US'], end_use: { text: 'Brackets for civil airliner fuselages at the end user’s plant.', domains: ['aerospace'] } },
    });
    await addItem(trx, services.clock, exporter, app, { spec: MACHINE_SPEC, quantity: 2, unit: 'pieces', value: { amount: 1_700_000, currency: 'EUR' } });
    await addItem(trx, services.clock, exporter, await loadApplication(trx, app.id, { side: 'system' }), { spec: POWDER_SPEC, quantity: powderKg, unit: 'kg', value: null });
    await addParty(trx, services.clock, exporter, await loadApplication(trx, app.id, { side: 'system' }), { role: 'end_user', name: 'Wichita Aero Structures LLC', country: 'US', type: 'organisation', address: 'Wichita, KS' });
    await trx.updateTable('licensing_applications').set({ reference, state: 'decided_approved' }).where('id', '=', app.id).execute();
    const row = await loadApplication(trx, app.id, { side: 'system' });
    const lic = await issueLicence(trx, services.clock.now(), row, await loadSnapshot(trx, row), { conditions: [{ id: 'no_re_export', text: 'No re-export without consent.' }] });
    const items = await trx.selectFrom('licensing_licence_items').selectAll().where('licence_id', '=', lic.id).orderBy('position').execute();
    return { licence: lic, machineItem: items[0]!.id, powderItem: items[1]!.id, applicationId: app.id };
  });
}
