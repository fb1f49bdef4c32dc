/**
 * licensing's PartyScreener over the database index: unavailable without a
 * list, strong match for the romanised Concern Sirius, clear for its
 * look-alike, and a list-set name that changes exactly when an activation
 * changes the lists (the checklist's "screen again").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestServices, type TestServices } from '../shared/test-support/databases.js';
import { licensingPartyScreener } from './licensing-adapter.js';
import { activateVersion, afterActivation } from './service.js';
import { FILES } from './test-support/lists.js';
import { loadOne, TEST_ACTOR } from './test-support/service.js';

describe.each(DIALECTS)('licensing screener on %s', (dialect) => {
  let s: TestServices;
  beforeAll(async () => {
    s = await openTestServices(dialect);
  });
  afterAll(async () => {
    await s?.dispose();
  });

  it('says unavailable before any list is loaded, then screens against the active versions', async () => {
    const screener = licensingPartyScreener(s);
    const now = new Date('2026-03-02T10:00:00Z');
    expect(await screener.listVersion()).toBeNull();
    const none = await screener.screen([{ id: 'p1', name: 'Kontsern Sirius' }], now);
    expect(none.get('p1')).toMatchObject({ status: 'unavailable', list_version: null });

    const cons = await loadOne(s, FILES.consPrim, FILES.consAlt, FILES.consAdd, FILES.consComments);
    const v1 = await screener.listVersion();
    expect(v1).toMatch(/^lists-[0-9a-f]{16}$/);
    const r = await screener.screen(
      [
        { id: 'sirius', name: 'Otkrytoe Aktsionernoe Obshchestvo Kontsern Sirius', country: 'RU', type: 'organisation' },
        { id: 'alike', name: 'Sirius Additive Manufacturing GmbH', country: 'DE', type: 'organisation' },
      ],
      now,
    );
    expect(r.get('sirius')).toMatchObject({ status: 'strong_match', list_version: v1, screened_at: now.toISOString(), matches: [{ list: 'us-ofac-cons', entity_id: '18783', matched_name: 'KONTSERN SIRIUS OAO' }] });
    expect(r.get('alike')).toMatchObject({ status: 'clear', matches: [] });

    // another list: another set; back to the same versions: the same name again
    const dpl = await loadOne(s, FILES.dpl);
    const v2 = await screener.listVersion();
    expect(v2).not.toBe(v1);
    const un = await loadOne(s, FILES.un2026);
    const v3 = await screener.listVersion();
    const un18 = await loadOne(s, FILES.un2018);
    expect(await screener.listVersion()).not.toBe(v3);
    await s.database.db.transaction().execute((trx) => activateVersion(s, trx, un.version.id, TEST_ACTOR));
    afterActivation(s);
    expect(await licensingPartyScreener(s, { strongMatchScore: 0.99 }).listVersion()).toBe(v3);
    expect([cons.created, dpl.created, un18.created]).toEqual([true, true, true]);
  });
});
