import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../app/seed.js';
import { DIALECTS, openTestServices, type TestServices } from '../shared/test-support/databases.js';
import { seedLicensingDemo } from './demo.js';

describe.each(DIALECTS)('the licensing demo on %s', (dialect) => {
  let s: TestServices;
  beforeAll(async () => {
    s = await openTestServices(dialect);
    await seedDemo(s);
  });
  afterAll(async () => {
    await s?.dispose();
  });

  it('seeds a draft, a submitted case waiting for registration and an approved case with an active licence, once', async () => {
    const r = await seedLicensingDemo(s, { exporter: 'Aurora Additive GmbH', authority: 'Federal Export Licensing Authority' });
    expect(r).not.toBeNull();
    const db = s.database.db;
    const state = async (id: string) => (await db.selectFrom('licensing_applications').select(['state', 'queue', 'reference']).where('id', '=', id).executeTakeFirstOrThrow());
    expect(await state(r!.draft)).toMatchObject({ state: 'draft', queue: null });
    expect(await state(r!.submitted)).toMatchObject({ state: 'submitted', queue: 'registration' });
    expect(await state(r!.approved)).toMatchObject({ state: 'decided_approved', queue: null });
    const items = await db.selectFrom('licensing_licence_items').select(['kind', 'granted_milli', 'remaining_milli']).where('licence_id', '=', r!.licence).orderBy('position').execute();
    expect(items.map((i) => [i.kind, Number(i.granted_milli), Number(i.remaining_milli)])).toEqual([
      ['am_machine', 2000, 1000],
      ['metal_powder', 400000, 400000],
    ]);
    expect(await seedLicensingDemo(s, { exporter: 'Aurora Additive GmbH', authority: 'Federal Export Licensing Authority' })).toBeNull();
  });
});
