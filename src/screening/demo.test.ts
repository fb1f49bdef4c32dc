/**
 * The demo seed: the shipped lists are byte-for-byte the US Government files
 * of the reference data (their SHA-256 as demo/README.md gives it), loaded as
 * list versions with their activations in the log; the demo exporter's
 * customers are screened at once — the romanised Concern Sirius raises an
 * alert, its legitimate look-alike does not; a second run does nothing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../app/seed.js';
import { findOrganisation } from '../identity/service.js';
import { DIALECTS, openTestServices, type TestServices } from '../shared/test-support/databases.js';
import { DEMO_CUSTOMERS, demoListDir, demoListFiles, seedScreeningDemo } from './demo.js';
import { listAlerts, listParties } from './review.js';
import { FILES } from './test-support/lists.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('the shipped demo lists', () => {
  it('are the official files, as their provenance says, and live in the repository', () => {
    const files = demoListFiles();
    const readme = readFileSync(`${demoListDir()}/README.md`, 'utf-8');
    const originals: Record<string, string> = { 'cons_prim.csv': FILES.consPrim, 'cons_alt.csv': FILES.consAlt, 'cons_add.csv': FILES.consAdd, 'cons_comments.csv': FILES.consComments, 'dpl.txt': FILES.dpl };
    for (const f of files) {
      expect(f).not.toContain('/shared/data/');
      expect(sha(f)).toBe(sha(originals[basename(f)]!));
      expect(readme).toContain(sha(f));
    }
    // nothing marked CC BY-NC in the reference data is shipped
    for (const f of files) expect(f).not.toMatch(/opensanctions|ftm|targets/i);
  });
});

describe.each(DIALECTS)('seedScreeningDemo on %s', (dialect) => {
  let s: TestServices;
  beforeAll(async () => {
    s = await openTestServices(dialect);
    await seedDemo(s);
  });
  afterAll(async () => {
    await s?.dispose();
  });

  it('loads the lists, logs their activation, and flags the Sirius customer but not the look-alike', async () => {
    const demo = (await seedScreeningDemo(s, { exporter: 'Aurora Additive GmbH' }))!;
    expect(demo.versions.map((v) => [v.list, v.entities]).sort()).toEqual([
      ['us-bis-dpl', 461],
      ['us-ofac-cons', 442],
    ]);
    const events = await s.database.db.selectFrom('ledger_events').select(['event_type', 'record_id']).execute();
    expect(events.filter((e) => e.event_type === 'list_version.activated').map((e) => e.record_id).sort()).toEqual(demo.versions.map((v) => v.id).sort());

    const org = (await findOrganisation(s.database.db, 'Aurora Additive GmbH'))!;
    const parties = await listParties(s.database.db, org.id);
    expect(parties.map((p) => p.name).sort()).toEqual(DEMO_CUSTOMERS.map((c) => c.name).sort());
    const byName = new Map(parties.map((p) => [p.name, p]));
    expect(byName.get('Otkrytoe Aktsionernoe Obshchestvo Kontsern Sirius')).toMatchObject({ status: 'hits', open_alerts: 1 });
    expect(byName.get('Sirius Additive Manufacturing GmbH')).toMatchObject({ status: 'clear', hits: 0 });
    expect(parties.filter((p) => p.status === 'hits')).toHaveLength(1);
    const alerts = await listAlerts(s.database.db, org.id);
    expect(alerts.map((a) => [a.entity_id, a.list, a.matched_name])).toEqual([['18783', 'us-ofac-cons', 'KONTSERN SIRIUS OAO']]);
    expect(alerts[0]!.match.explanation.tokens.map((t) => t.how)).toEqual(expect.arrayContaining(['exact', 'legal form']));

    expect(await seedScreeningDemo(s, { exporter: 'Aurora Additive GmbH' })).toBeNull();
  });
});
