import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registerServiceCommands } from '../app/cli.js';
import { runCli } from '../shared/test-support/cli.js';
import { registerLicensingCommands } from './cli.js';
import { demoPdf } from './demo.js';
import { MACHINE_SPEC } from './test-support/fixtures.js';

describe('fabgate application / case / licence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fabgate-licensing-cli-'));
  const env = { FABGATE_DATA_DIR: dir, FABGATE_KEK: randomBytes(32).toString('base64'), FABGATE_LOG_LEVEL: 'silent' };
  const run = (...argv: string[]) => runCli([registerServiceCommands, registerLicensingCommands], argv, { env, cwd: dir });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let id: string;

  it('creates a draft from a file, shows its checklist and submits it', async () => {
    expect((await run('org', 'add', '--name', 'Aurora Additive GmbH', '--kind', 'exporter', '--country', 'DE')).code).toBe(0);
    expect((await run('org', 'add', '--name', 'ECJU', '--kind', 'authority', '--country', 'GB')).code).toBe(0);
    for (const [org, email, role] of [
      ['Aurora Additive GmbH', 'jonas@aurora.test', 'applicant'],
      ['ECJU', 'miriam@ecju.test', 'licensing_officer'],
    ]) {
      expect((await run('user', 'add', '--org', org!, '--email', email!, '--role', role!, '--password', 'twelve chars min')).code).toBe(0);
    }
    writeFileSync(join(dir, 'eus.pdf'), demoPdf('End-use statement'));
    const file = {
      licence_type: 'individual',
      authority: 'ECJU',
      content: {
        destinations: ['US'],
        end_use: { text: 'Serial production of titanium brackets for civil airliner fuselages at the end user’s plant.', domains: ['aerospace'] },
        production_volume: { parts_per_year: 4000 },
        due_diligence: { re_export_undertaking: true, accepts_post_shipment_verification: true, end_use_statement_elements: { end_user_identified: true, end_use_stated: true, items_and_quantities: true, no_re_export_commitment: true, signed_and_dated: true } },
        declaration: { accepted: true, name: 'Jonas Keller' },
      },
      items: [{ spec: MACHINE_SPEC, quantity: 1, unit: 'pieces', value: { amount: 850000, currency: 'EUR' } }],
      parties: ['consignee', 'end_user'].map((role) => ({ role, name: 'Wichita Aero Structures LLC', country: 'US', address: '3801 S Oliver St, Wichita, KS' })),
      documents: [{ doc_type: 'end_use_statement', path: 'eus.pdf', party: 1 }],
    };
    writeFileSync(join(dir, 'application.json'), JSON.stringify(file));
    const created = await run('application', 'create', '--as', 'jonas@aurora.test', '--from', 'application.json', '--json');
    expect(created.code).toBe(0);
    const draft = created.json<{ id: string; status: string; items: Array<{ classification: { status: string } }>; checklist: { clear: boolean } }>();
    expect(draft).toMatchObject({ status: 'draft', checklist: { clear: true } });
    expect(draft.items[0]!.classification.status).toBe('controlled');
    id = draft.id;
    const checklist = await run('application', 'checklist', id);
    expect(checklist.code).toBe(0);
    expect(checklist.stdout).toMatch(/could not be screened: no screening list is loaded/);
    const submitted = await run('application', 'submit', id, '--as', 'jonas@aurora.test', '--json');
    expect(submitted.code).toBe(0);
    expect(submitted.json()).toMatchObject({ state: 'submitted', reference: 'IEL/2026/0000001', queue: 'registration' });
  });

  it('lists the queue, takes steps through the state machine and refuses what it does not allow', async () => {
    const list = await run('case', 'list', '--authority', 'ECJU', '--queue', 'registration', '--json');
    expect(list.json<{ cases: Array<{ id: string }> }>().cases.map((c) => c.id)).toEqual([id]);
    expect((await run('case', 'step', id, 'register', '--as', 'miriam@ecju.test', '--json')).json()).toMatchObject({ state: 'initial_checks' });
    const refused = await run('case', 'step', id, 'approve', '--as', 'miriam@ecju.test', '--json');
    expect(refused.code).toBe(1);
    expect(refused.json<{ error: { code: string } }>().error.code).toBe('LICENSING_TRANSITION_NOT_ALLOWED');
    const foreign = await run('case', 'step', id, 'withdraw', '--as', 'miriam@ecju.test');
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain('LICENSING_ROLE_NOT_ALLOWED');
    const show = await run('case', 'show', id);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/clock UK-SLA-STD-20: 0 used, 20 left/);
    expect(show.stdout).toMatch(/screening_unavailable/);
  });

  it('exits 1 on an incomplete checklist and 2 on a bad file', async () => {
    writeFileSync(join(dir, 'empty.json'), JSON.stringify({ licence_type: 'individual' }));
    const created = await run('application', 'create', '--as', 'jonas@aurora.test', '--from', 'empty.json', '--json');
    const emptyId = created.json<{ id: string }>().id;
    expect((await run('application', 'checklist', emptyId)).code).toBe(1);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ licence_type: 'individual', items: 'many' }));
    const bad = await run('application', 'create', '--as', 'jonas@aurora.test', '--from', 'bad.json', '--json');
    expect(bad.code).toBe(2);
    expect(bad.json<{ error: { code: string } }>().error.code).toBe('LICENSING_CLI_INPUT_INVALID');
    expect((await run('licence', 'list', '--org', 'Aurora Additive GmbH', '--status', 'lost')).code).toBe(2);
  });
});
