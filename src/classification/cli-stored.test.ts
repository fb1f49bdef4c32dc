/**
 * `fabgate rules diff current NEW --stored ORG`: a new rule-set version against
 * an organisation's item register and recorded classifications in the
 * database (SQLite, as `fabgate` opens it from its data directory).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServices } from '../app/services.js';
import { createOrganisation } from '../identity/service.js';
import { loadConfig } from '../shared/config.js';
import { runCli } from '../shared/test-support/cli.js';
import { registerClassificationCommands } from './cli.js';
import { ruleSetFileText } from './rules/import-entries.js';
import { defaultEngine, shippedRuleSets } from './rules/index.js';
import { createItem, recordClassification } from './store.js';
import { machine, powder, SPINE_MACHINE } from './test-support/items.js';

describe('fabgate rules diff --stored', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fabgate-rules-stored-'));
  const env = { FABGATE_DATA_DIR: dir, FABGATE_KEK: randomBytes(32).toString('base64'), FABGATE_LOG_LEVEL: 'silent' };
  const next = structuredClone(shippedRuleSets().find((s) => s.ruleSet.id === 'us-ear')!.ruleSet);
  const newFile = join(dir, 'us-ear-next.json');
  let spineRecord = '';

  beforeAll(async () => {
    // The next version: cameras count from 900 nm, so the spine's 850 nm camera no longer does.
    next.version = '2026-09-01.1';
    const band = next.entries.find((e) => e.key === 'US-EAR:2B910')!.parameters.find((p) => p.id === '2B910.c.1.w')!;
    if (band.operator !== 'in_range') throw new Error('2B910.c.1.w changed shape');
    band.value = { ...band.value, min: 900 };
    writeFileSync(newFile, ruleSetFileText(next));

    const s = await openServices(loadConfig(env, dir), { logger: pino({ level: 'silent' }), processMetrics: false });
    try {
      const db = s.database.db;
      const org = await createOrganisation(db, s.clock, { name: 'Aurora Additive GmbH', kind: 'exporter', country: 'DE' });
      await createOrganisation(db, s.clock, { name: 'Rival Printers Ltd', kind: 'exporter', country: 'GB' });
      const actor = { type: 'user' as const, id: 'usr_cli_test' };
      const spine = await createItem(db, s.clock, { organisationId: org.id, actor, spec: SPINE_MACHINE });
      await createItem(db, s.clock, { organisationId: org.id, actor, name: 'Stainless powder', spec: powder() });
      await createItem(db, s.clock, { organisationId: org.id, actor, name: 'Pyrometer machine', spec: machine((m) => (m.in_process_monitoring = [{ sensor_type: 'pyrometer', configuration: 'co-axial', max_measurable_temperature: { value: 2200, unit: 'degC' } }])) });
      spineRecord = (await db.transaction().execute((trx) => recordClassification(trx, s.clock, defaultEngine(), { organisationId: org.id, actor, itemId: spine.id }))).record.id;
    } finally {
      await s.close();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...argv: string[]) => runCli([registerClassificationCommands], argv, { env, cwd: dir });

  it("names the organisation's items and recorded classifications the new version would change", async () => {
    const r = await run('rules', 'diff', 'current', newFile, '--stored', 'Aurora Additive GmbH', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = r.json<{
      old_version: string;
      new_version: string;
      changed: Array<{ key: string }>;
      stored: { organisation: string; impact: { items_checked: number; items: Array<{ name: string; changes: unknown[] }>; recorded: Array<{ classification_id: string; changes: unknown[] }>; recorded_checked: number } };
    }>();
    expect(out.old_version).toBe(shippedRuleSets()[0]!.ruleSet.version);
    expect(out.new_version).toBe('2026-09-01.1');
    expect(out.changed.map((c) => c.key)).toEqual(['US-EAR:2B910']);
    expect(out.stored.organisation).toBe('Aurora Additive GmbH');
    expect(out.stored.impact.items_checked).toBe(3);
    // the camera machine changes; the pyrometer machine and the powder do not
    expect(out.stored.impact.items).toEqual([{ item_id: expect.any(String), ref: expect.any(String), name: 'Laser powder-bed metal printer', changes: [{ key: 'US-EAR:2B910', old_status: 'controlled', new_status: 'not_controlled' }] }]);
    expect(out.stored.impact.recorded_checked).toBe(1);
    expect(out.stored.impact.recorded).toEqual([expect.objectContaining({ classification_id: spineRecord, changes: [{ key: 'US-EAR:2B910', old_status: 'controlled', new_status: 'not_controlled' }] })]);

    const text = await run('rules', 'diff', 'current', newFile, '--stored', 'Aurora Additive GmbH');
    expect(text.stdout).toContain('Aurora Additive GmbH: 3 items checked, 1 would change');
    expect(text.stdout).toContain('US-EAR:2B910 controlled -> not_controlled');
  });

  it('finds nothing for another organisation, and refuses an unknown one', async () => {
    const other = await run('rules', 'diff', 'current', newFile, '--stored', 'Rival Printers Ltd', '--json');
    expect(other.json<{ stored: { impact: { items_checked: number; recorded_checked: number } } }>().stored.impact).toMatchObject({ items_checked: 0, recorded_checked: 0 });
    const unknown = await run('rules', 'diff', 'current', newFile, '--stored', 'Nobody GmbH', '--json');
    expect(unknown.code).toBe(2);
    expect(unknown.json<{ error: { code: string } }>().error.code).toBe('CLASSIFICATION_ORGANISATION_UNKNOWN');
  });
});
