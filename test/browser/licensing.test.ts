/**
 * SPINE steps 3, 4 and 8 in the real UI, in Chromium, as the demo users:
 *
 * 3. applicant@aurora.example drafts an application for five machines (an
 *    item of the register, classified) to a non-flagged end user in Vietnam,
 *    with an end-use statement, watching the live checklist; an incomplete
 *    submission is refused with its code; submission runs the pre-checks and
 *    starts the clock.
 * 4. officer@authority.example finds it in the registration queue with its
 *    risk breakdown, registers it (it moves to the high-risk queue, and says
 *    why), asks a question (the clock pauses), the applicant answers (it
 *    resumes), the officer approves with a reporting condition,
 *    supervisor@authority.example countersigns; the licence is time-bound and
 *    the exporter sees the decision and its reasons but no internal note.
 * 8. A second application naming a party on the UN list is refused with
 *    structured criteria after an intent to refuse; the exporter appeals with
 *    grounds and a document; the deciding officer may not decide the appeal,
 *    officer2@authority.example does.
 *
 * Screenshots of each main screen go to test-results/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { seedDemo, type DemoCredential } from '../../src/app/seed.js';
import type { RunningServer } from '../../src/app/server.js';
import { DEMO_MACHINE_SPEC, demoPdf, seedLicensingDemo } from '../../src/licensing/demo.js';
import { configureLicensing, type LicensingSeams } from '../../src/licensing/seams.js';
import { unListScreener } from '../../src/licensing/test-support/screening.js';
import { launchBrowser, screenshot, signInThroughUi } from '../../src/shared/test-support/browser.js';
import { openTestServices, type TestServices } from '../../src/shared/test-support/databases.js';
import { signIn as apiSignIn, startTestServer, type Client } from '../../src/shared/test-support/http.js';

const LONG = 180_000;
const NOTE = 'Hoa Lac is a civil tech park; check who owns the end user before deciding.';
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('licensing in Chromium (SPINE steps 3, 4 and 8)', () => {
  let services: TestServices;
  let server: RunningServer;
  let browser: Browser;
  let creds: DemoCredential[];
  let previousSeams: LicensingSeams;
  let machineId: string;
  const users: Record<string, Page> = {};
  let reference = '';
  let applicationUrl = '';
  let refusedReference = '';
  let refusedUrl = '';

  const password = (email: string) => creds.find((c) => c.email === email)!.password;

  /** A browser context of its own per user, signed in through the login page. */
  async function as(email: string, width = 1280): Promise<Page> {
    const key = `${email}@${width}`;
    if (users[key]) return users[key]!;
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await context.newPage();
    await signInThroughUi(page, server.url, email, password(email));
    users[key] = page;
    return page;
  }

  const nav = async (page: Page, label: string) => {
    await page.getByRole('navigation', { name: 'Modules' }).getByRole('link', { name: label, exact: true }).click();
    await page.getByRole('heading', { name: label, level: 1 }).waitFor();
  };
  const step = (page: Page, label: string) => page.getByRole('navigation', { name: 'Application steps' }).getByRole('button', { name: new RegExp(`\\d+\\. ${esc(label)}`) });
  const saved = (page: Page) => expect.poll(() => page.getByRole('status').filter({ hasText: 'Saved' }).count()).toBeGreaterThan(0);
  const heading = (page: Page) => page.getByRole('heading', { level: 1 });
  const yes = (page: Page, question: string | RegExp, answer: 'Yes' | 'No' = 'Yes') => page.getByRole('group', { name: question }).getByLabel(answer, { exact: true }).check();

  async function openCase(page: Page, queue: string, ref: string) {
    await nav(page, 'Cases');
    await page.getByRole('navigation', { name: 'Queues' }).getByRole('link', { name: new RegExp(`^${esc(queue)}`) }).click();
    await page.getByRole('heading', { name: queue, level: 2 }).waitFor();
    await page.getByRole('link', { name: ref, exact: true }).click();
    await expect.poll(() => heading(page).textContent()).toContain(ref);
  }

  async function addParty(page: Page, p: { role: string; name: string; country: string; address: string; registration: string; website?: string; addressType?: string; businessType?: string }) {
    const form = page.getByRole('form', { name: 'Add a party' });
    await form.getByLabel('Role').selectOption(p.role);
    await form.getByLabel('Name', { exact: true }).fill(p.name);
    await form.getByLabel('Country').selectOption(p.country);
    await form.getByLabel('Address', { exact: true }).fill(p.address);
    await form.getByLabel('Address type').selectOption(p.addressType ?? 'industrial_site');
    await form.getByLabel('Sector').selectOption('commercial');
    await form.getByLabel('Business type').selectOption(p.businessType ?? 'manufacturer');
    await form.getByLabel('Registration number').fill(p.registration);
    if (p.website) await form.getByLabel('Website').fill(p.website);
    await form.getByLabel('Established (year)').fill('2012');
    await form.getByRole('button', { name: 'Add party' }).click();
    await page.getByRole('table', { name: 'Parties of the application' }).getByRole('cell', { name: p.name, exact: true }).first().waitFor();
  }

  beforeAll(async () => {
    // Screening against the real UN consolidated list (reference data), as the licensing HTTP tests do.
    const { screener } = await unListScreener();
    previousSeams = configureLicensing({ screener });
    services = await openTestServices('sqlite');
    // the browser judges cookie expiry by its own clock: run the server on real time
    services.clock.set(new Date());
    creds = (await seedDemo(services))!;
    await seedLicensingDemo(services, { exporter: 'Aurora Additive GmbH', authority: 'Federal Export Licensing Authority' });
    server = await startTestServer(services);
    // SPINE step 1 left the machine in the item register with a recorded classification (through the classification API).
    const hanna = await apiSignIn(server.url, 'officer@aurora.example', password('officer@aurora.example'));
    const item = await hanna.request<{ id: string }>('POST', '/api/items', { spec: DEMO_MACHINE_SPEC });
    expect(item.status).toBe(201);
    machineId = item.body.id;
    expect((await hanna.request('POST', `/api/items/${machineId}/classifications`, { destination: 'VN', note: 'SPINE step 1' })).status).toBe(201);
    browser = await launchBrowser();
  }, LONG);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await services?.dispose();
    if (previousSeams) configureLicensing(previousSeams);
  });

  it(
    'step 3: the applicant drafts with the live checklist, is refused while incomplete, and submits',
    async () => {
      const page = await as('applicant@aurora.example');
      await nav(page, 'Applications');
      // the seeded demo draft and cases are listed
      await expect.poll(() => page.getByRole('table', { name: 'Applications' }).textContent()).toContain('DEMO: two M400 machines for Wichita');
      await page.getByRole('radio', { name: /Individual export licence/ }).check();
      await page.getByRole('button', { name: 'Start draft' }).click();
      await expect.poll(() => heading(page).textContent()).toContain('Draft application');
      applicationUrl = new URL(page.url()).pathname;
      const summary = page.getByTestId('checklist-summary');
      await expect.poll(() => summary.textContent()).toMatch(/\d+ missing/);
      await screenshot(page, 'licensing-wizard-start');

      // step 1: the authority is chosen (the only one); a title of our own
      expect(await page.getByLabel('Licensing authority').inputValue()).not.toBe('');
      await page.getByLabel('Title (your own reference)').fill('Five M400 machines for Hanoi Space Structures');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await saved(page);

      // submitting now is refused, with the code
      await page.getByRole('button', { name: 'Submit application' }).click();
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('LICENSING_APPLICATION_INCOMPLETE');
      const open = page.getByRole('list', { name: 'Open checklist entries' });
      expect(await open.textContent()).toContain('Add at least one item.');
      expect(await open.textContent()).toContain('Name the destination country.');
      await screenshot(page, 'licensing-wizard-refused');

      // items: from the register, classified again on adding
      await open.getByRole('button', { name: 'Go to items' }).first().click();
      await expect.poll(() => page.evaluate<string | undefined>('document.activeElement?.id')).toBe('step-heading');
      await page.getByLabel('Item from the register').selectOption(machineId);
      await page.getByLabel('Quantity').fill('5');
      await page.getByLabel('Unit').selectOption('pieces');
      await page.getByLabel('Value').fill('4250000');
      await page.getByLabel('Currency').fill('EUR');
      await page.getByRole('button', { name: 'Add item' }).click();
      const items = page.getByRole('list', { name: 'Items of the application' });
      await expect.poll(() => items.textContent()).toContain('US-EAR:2B910');
      expect(await items.textContent()).toContain('EU-2021/821:2B510');
      expect(await items.textContent()).toContain('5 pieces');
      await expect.poll(() => open.textContent()).not.toContain('Add at least one item.');
      await screenshot(page, 'licensing-wizard-items');

      // destination
      await step(page, 'Destination').click();
      await page.getByLabel('Destination country').selectOption('VN');
      await page.getByRole('button', { name: 'Save destination' }).click();
      await saved(page);

      // parties: consignee and end user, each screened at once
      await step(page, 'Parties').click();
      const hanoi = { name: 'Hanoi Space Structures JSC', country: 'VN', address: 'Lot 12, Hoa Lac Hi-Tech Park, Hanoi', registration: 'VN-0108123456', website: 'https://hanoi-space-structures.example' };
      await addParty(page, { role: 'consignee', ...hanoi });
      await addParty(page, { role: 'end_user', ...hanoi });
      const parties = page.getByRole('table', { name: 'Parties of the application' });
      await expect.poll(async () => (await parties.getByText('clear', { exact: true }).count())).toBe(2);
      await screenshot(page, 'licensing-wizard-parties');

      // end use in words and in the vocabulary
      await step(page, 'End use').click();
      await page.getByLabel('End use in your words').fill('Serial production of titanium brackets and antenna mounts for small earth-observation satellites at the end user’s Hanoi plant.');
      await page.getByRole('checkbox', { name: 'Space (launchers, satellites)' }).check();
      await page.getByRole('button', { name: 'Save end use' }).click();
      await saved(page);

      // production volumes and commercial terms
      await step(page, 'Production volumes').click();
      await page.getByLabel('Parts per year').fill('4000');
      await page.getByLabel('Feedstock per year (kg)').fill('900');
      await page.getByLabel('Machines installed').fill('5');
      await page.getByLabel('Payment terms').selectOption('letter_of_credit');
      await page.getByLabel('Delivery terms (Incoterm and place)').fill('DAP Hanoi');
      await page.getByRole('button', { name: 'Save production and terms' }).click();
      await saved(page);

      // the end-use statement, uploaded and stored with its hash
      await step(page, 'Documents').click();
      await page.getByLabel('Document type').selectOption('end_use_statement');
      await page.getByLabel('File').setInputFiles({ name: 'end-use-statement.pdf', mimeType: 'application/pdf', buffer: Buffer.from(demoPdf('End-use statement, Hanoi Space Structures JSC')) });
      await page.getByRole('button', { name: 'Upload', exact: true }).click();
      const docs = page.getByRole('table', { name: 'Documents' });
      await expect.poll(() => docs.textContent()).toContain('end-use-statement.pdf');
      expect(await docs.textContent()).toContain('application/pdf');

      // due diligence evidence
      await step(page, 'Due diligence').click();
      for (const q of ['written undertaking not to re-export', 'post-shipment verification', 'internal compliance programme', "visited the end user's declared site", 'registration, ownership and trade references', 'beneficial owners']) await yes(page, q);
      await yes(page, 'declined installation', 'No');
      for (const el of ['end user is identified', 'end use is stated', 'items and their quantities', 'not to re-export without consent', 'Signed and dated']) await yes(page, el);
      await page.getByRole('button', { name: 'Save due diligence' }).click();
      await saved(page);

      // declaration: the checklist clears
      await step(page, 'Declaration').click();
      await page.getByLabel(/I declare that the information/).check();
      await page.getByLabel('Name of the signatory').fill('Jonas Keller');
      await page.getByRole('button', { name: 'Save declaration' }).click();
      await expect.poll(() => summary.textContent()).toContain('Complete: ready to submit');
      // every step is complete (the marks say it to screen readers too)
      expect(await step(page, 'Parties').getAttribute('aria-current')).toBeNull();
      expect(await step(page, 'Items').textContent()).toContain('(complete)');
      await screenshot(page, 'licensing-wizard-complete');

      // submit: reference, clock, pre-checks
      await page.getByRole('button', { name: 'Submit application' }).click();
      await expect.poll(() => heading(page).textContent()).toMatch(/IEL\/\d{4}\/\d{7}/);
      reference = /IEL\/\d{4}\/\d{7}/.exec((await heading(page).textContent())!)![0];
      expect(await heading(page).textContent()).toContain('received');
      const clock = page.getByRole('meter', { name: 'Case clock' });
      expect(await clock.getAttribute('aria-valuetext')).toMatch(/0 of 20 working days used, 20 left\. Running/);
      await screenshot(page, 'licensing-application-submitted');
    },
    LONG,
  );

  it(
    'step 4: the officer works the case (queue, risk breakdown, question), the supervisor countersigns, the exporter sees the decision without internal notes',
    async () => {
      const officer = await as('officer@authority.example');
      await openCase(officer, 'Registration and initial checks', reference);
      // the queue said why the case is there; the case view says it again, with the rule version
      await expect.poll(() => officer.getByTestId('routing-summary').textContent()).toContain('Rule registration (tier 4) placed the case in registration');
      const risk = officer.getByRole('table', { name: /Risk breakdown: score \d+, band high/ });
      await risk.waitFor();
      expect(await risk.getByRole('row', { name: /VN is in Country Group D:1/ }).textContent()).toContain('+20');
      expect(await risk.getByRole('row', { name: /declared domains: space/ }).textContent()).toContain('source: risk-config.json');
      expect(await risk.getByRole('row', { name: /evidence held: site visit done/ }).textContent()).toContain('-3');
      const screening = officer.getByRole('table', { name: 'Screening per party' });
      expect(await screening.textContent()).toContain('Hanoi Space Structures JSC');
      expect(await officer.getByRole('table', { name: 'Classification per item' }).textContent()).toContain('US-EAR:2B910');
      await screenshot(officer, 'licensing-case-submitted');

      await officer.getByRole('button', { name: 'Register (initial checks)' }).click();
      await expect.poll(() => officer.getByTestId('routing-summary').textContent()).toContain('Rule high-risk (tier 7) placed the case in high-risk: risk band in: high.');
      await officer.getByRole('button', { name: 'Begin the review' }).click();
      await expect.poll(() => heading(officer).textContent()).toContain('under review');
      expect(await officer.evaluate<string | undefined>('document.activeElement?.tagName')).toBe('H1');

      await officer.getByLabel('New internal note').fill(NOTE);
      await officer.getByRole('button', { name: 'Add note' }).click();
      await expect.poll(() => officer.getByRole('list', { name: 'Internal notes' }).textContent()).toContain(NOTE);

      await officer.getByLabel('Question to the applicant').fill('Who owns Hanoi Space Structures JSC, and does it supply any military programme?');
      await officer.getByRole('button', { name: 'Ask the applicant' }).click();
      await expect.poll(() => heading(officer).textContent()).toContain('awaiting applicant');
      expect(await officer.getByRole('meter', { name: 'Case clock' }).getAttribute('aria-valuetext')).toContain('Paused since');
      await screenshot(officer, 'licensing-case-question');

      // the queue shows it with its exporter, destination and days left
      await nav(officer, 'Cases');
      await officer.getByRole('navigation', { name: 'Queues' }).getByRole('link', { name: /^High and critical risk/ }).click();
      const queue = officer.getByRole('table', { name: 'Cases: High and critical risk' });
      const row = queue.getByRole('row', { name: new RegExp(esc(reference)) });
      await expect.poll(() => row.textContent()).toContain('Aurora Additive GmbH');
      expect(await row.textContent()).toContain('Vietnam (VN)');
      expect(await row.textContent()).toMatch(/20 of 20 left · paused/);
      expect(await row.textContent()).toContain('placed the case in high-risk');
      await screenshot(officer, 'licensing-queue-high-risk');

      // the applicant answers: the clock resumes
      const applicant = await as('applicant@aurora.example');
      await applicant.goto(server.url + applicationUrl);
      await expect.poll(() => heading(applicant).textContent()).toContain('awaiting your response');
      expect(await applicant.getByRole('meter', { name: 'Case clock' }).getAttribute('aria-valuetext')).toContain('Paused since');
      await applicant.getByLabel('Your answer').fill('Owned by its two founders (registry extract on file); no military customers or programmes.');
      await screenshot(applicant, 'licensing-application-question');
      await applicant.getByRole('button', { name: 'Send answer' }).click();
      await expect.poll(() => heading(applicant).textContent()).toContain('under review');
      expect(await applicant.getByRole('meter', { name: 'Case clock' }).getAttribute('aria-valuetext')).toContain('Running');

      // final review: approve with a reporting condition, sent for countersigning
      await officer.goto(server.url + `/cases?queue=high-risk`);
      await officer.getByRole('link', { name: reference, exact: true }).click();
      await officer.getByRole('button', { name: 'Move to final review' }).click();
      await expect.poll(() => heading(officer).textContent()).toContain('final review');
      await officer.getByRole('radio', { name: 'Approve with conditions' }).check();
      await officer.getByLabel('Reasons (shown to the exporter)').fill('Civil space end use by a verified end user; the end-use statement is complete and ownership was explained.');
      await officer.getByRole('checkbox', { name: /usage_reporting/ }).check();
      await officer.getByRole('checkbox', { name: /no_re_export/ }).check();
      await officer.getByRole('button', { name: 'Add a specific condition' }).click();
      await officer.getByRole('textbox', { name: 'Specific condition 1' }).fill('The machines shall be installed only at Lot 12, Hoa Lac Hi-Tech Park.');
      await screenshot(officer, 'licensing-decision-form');
      await officer.getByRole('button', { name: 'Save proposed decision' }).click();
      await expect.poll(() => officer.getByTestId('countersignatures').textContent()).toBe('0 of 1');
      await officer.getByRole('button', { name: 'Send for countersigning' }).click();
      await expect.poll(() => heading(officer).textContent()).toContain('countersign 1');

      // the supervisor countersigns from the countersigning queue
      const supervisor = await as('supervisor@authority.example');
      await openCase(supervisor, 'Countersigning', reference);
      expect(await supervisor.getByRole('region', { name: 'Proposed decision' }).textContent()).toContain('report each shipment');
      await supervisor.getByLabel('Reasons (required to reject)').fill('Conditions sufficient.');
      await supervisor.getByRole('button', { name: 'Countersign the decision' }).click();
      await expect.poll(() => supervisor.getByTestId('countersignatures').textContent()).toBe('1 of 1');
      await screenshot(supervisor, 'licensing-countersigned');

      // the officer approves: the licence is issued
      await officer.reload();
      await officer.getByRole('button', { name: 'Approve and issue the licence' }).click();
      await expect.poll(() => heading(officer).textContent()).toContain('decided approved');
      const decision = officer.getByRole('article', { name: 'Decision: Approved' });
      expect(await decision.textContent()).toContain('countersigned by Clara Neumann (supervisor)');
      await officer.getByRole('list', { name: 'State timeline' }).waitFor();
      expect(await officer.getByRole('list', { name: 'State timeline' }).textContent()).toContain('approve: countersign 1 → decided approved');
      await screenshot(officer, 'licensing-case-approved');

      // the exporter: decision, reasons, conditions, the licence — and no internal note, risk or routing
      await applicant.reload();
      await expect.poll(() => heading(applicant).textContent()).toContain('approved');
      const mine = applicant.getByRole('article', { name: 'Decision: Approved' });
      expect(await mine.textContent()).toContain('Civil space end use by a verified end user');
      expect(await mine.textContent()).toContain('report each shipment made under this licence within 30 days');
      expect(await mine.textContent()).toContain('installed only at Lot 12');
      expect(await applicant.getByRole('meter', { name: 'Case clock' }).getAttribute('aria-valuetext')).toContain('within the target');
      const text = (await applicant.locator('main').textContent())!;
      expect(text).not.toContain(NOTE);
      expect(text).not.toMatch(/risk|high-risk|routing|countersign/i);
      await screenshot(applicant, 'licensing-application-approved');

      await applicant.getByRole('link', { name: /^Licence IEL\// }).click();
      await expect.poll(() => heading(applicant).textContent()).toContain('active');
      const balance = applicant.getByRole('table', { name: 'Items and balance' });
      expect(await balance.textContent()).toContain('5 of 5 pieces left');
      expect(await applicant.getByText(/^\d{4}-\d\d-\d\d – \d{4}-\d\d-\d\d$/).count()).toBe(1); // time-bound
      await screenshot(applicant, 'licensing-licence');
      await nav(applicant, 'Licences');
      const register = applicant.getByRole('table', { name: 'Licence register' });
      await expect.poll(() => register.textContent()).toContain(`${reference}/A`);
      await screenshot(applicant, 'licensing-licence-register');
    },
    LONG,
  );

  it(
    'the holder amends the licence without starting over: only the change is shown and reviewed',
    async () => {
      const applicant = await as('applicant@aurora.example');
      await nav(applicant, 'Licences');
      await applicant.getByRole('link', { name: `${reference}/A` }).click();
      await applicant.getByRole('button', { name: 'Amend the licence' }).click();
      await expect.poll(() => heading(applicant).textContent()).toContain('Draft application');
      const diff = applicant.getByRole('region', { name: 'Changes to the licence' });
      await expect.poll(() => diff.textContent()).toContain('Nothing changed yet');
      await step(applicant, 'Items').click();
      await applicant.getByRole('button', { name: 'Change quantity or value of Aurora PBF-LB M400' }).click();
      await applicant.getByRole('group', { name: 'Change Aurora PBF-LB M400' }).getByRole('spinbutton', { name: 'Quantity' }).fill('7');
      await applicant.getByRole('button', { name: 'Save item' }).click();
      const change = diff.getByRole('row', { name: /Aurora PBF-LB M400”: quantity changed/ });
      await expect.poll(() => change.textContent()).toMatch(/57$/);
      await step(applicant, 'Declaration').click();
      await applicant.getByLabel(/I declare that the information/).check();
      await applicant.getByLabel('Name of the signatory').fill('Jonas Keller');
      await applicant.getByRole('button', { name: 'Save declaration' }).click();
      await expect.poll(() => applicant.getByTestId('checklist-summary').textContent()).toContain('Complete: ready to submit');
      await screenshot(applicant, 'licensing-amendment-draft');
      await applicant.getByRole('button', { name: 'Submit amendment' }).click();
      await expect.poll(() => heading(applicant).textContent()).toMatch(/IEL\/\d{4}\/\d{7}.*received/);
      expect(await applicant.getByRole('region', { name: 'Changes to the licence' }).textContent()).toContain('quantity changed');
      // the officer reviews only the change: the unchanged parties' screening is carried over
      const amendment = /IEL\/\d{4}\/\d{7}/.exec((await heading(applicant).textContent())!)![0];
      const officer = await as('officer@authority.example');
      await openCase(officer, 'Registration and initial checks', amendment);
      expect(await officer.getByRole('region', { name: 'Changes to the licence' }).textContent()).toContain('quantity changed');
      expect(await officer.getByRole('table', { name: 'Screening per party' }).textContent()).toContain('carried over');
      await screenshot(officer, 'licensing-case-amendment');
    },
    LONG,
  );

  it(
    'step 8: a listed party, an intent to refuse, a refusal with criteria, an appeal decided by another officer',
    async () => {
      // The second application is drafted through the API (the wizard was walked above) …
      const api: Client = await apiSignIn(server.url, 'applicant@aurora.example', password('applicant@aurora.example'));
      const draft = await api.request<{ id: string }>('POST', '/api/applications', { licence_type: 'individual', content: { title: 'M400 for Jebel Ali' } });
      const id = draft.body.id;
      const base = { country: 'AE', address: 'Plot S30504, Jebel Ali Free Zone South', address_type: 'industrial_site', sub_type: 'commercial', business_type: 'manufacturer', registration_number: 'JAFZA-114455', website: 'https://gulf-precision.example', established_year: 2015 };
      expect(
        (
          await api.request('PATCH', `/api/applications/${id}`, {
            destinations: ['AE'],
            end_use: { text: 'Production of titanium brackets for civil airliner interiors at the end user’s Jebel Ali plant, qualified to AS9100.', domains: ['aerospace'] },
            production_volume: { parts_per_year: 3000, feedstock_kg_per_year: 700, machines_installed: 1 },
            due_diligence: { re_export_undertaking: true, accepts_post_shipment_verification: true, site_visit_done: true, references_checked: true, beneficial_owners_screened: true, end_use_statement_elements: { end_user_identified: true, end_use_stated: true, items_and_quantities: true, no_re_export_commitment: true, signed_and_dated: true } },
            declaration: { accepted: true, name: 'Jonas Keller' },
          })
        ).status,
      ).toBe(200);
      expect((await api.request('POST', `/api/applications/${id}/items`, { spec: DEMO_MACHINE_SPEC, quantity: 1, unit: 'pieces', value: { amount: 850000, currency: 'EUR' } })).status).toBe(201);
      for (const role of ['consignee', 'end_user']) expect((await api.request('POST', `/api/applications/${id}/parties`, { role, name: 'Gulf Precision Aerospace FZE', ...base })).status).toBe(201);
      expect((await api.upload(`/api/applications/${id}/documents`, { bytes: demoPdf('End-use statement, Gulf Precision Aerospace FZE'), name: 'end-use-statement-gpa.pdf' }, { doc_type: 'end_use_statement' })).status).toBe(201);

      // … and the intermediate consignee is added in the wizard: it resembles a UN-listed entity
      const applicant = await as('applicant@aurora.example');
      refusedUrl = `/applications/${id}`;
      await applicant.goto(server.url + refusedUrl + '?step=parties');
      await addParty(applicant, { role: 'intermediate_consignee', name: 'Abzar Boresh Kaveh Company', country: 'IR', address: 'Tehran', registration: 'IR-10101', addressType: 'business_premises', businessType: 'distributor' });
      const parties = applicant.getByRole('table', { name: 'Parties of the application' });
      const listed = parties.getByRole('row', { name: /Abzar Boresh Kaveh Company/ });
      await expect.poll(() => listed.textContent()).toContain('potential match');
      expect(await listed.textContent()).toContain('ABZAR BORESH KAVEH CO. (BK CO.)');
      await expect.poll(() => applicant.getByRole('list', { name: 'Open checklist entries' }).textContent()).toMatch(/Abzar Boresh Kaveh Company/);
      await screenshot(applicant, 'licensing-wizard-listed-party');
      await applicant.getByRole('button', { name: 'Submit application' }).click();
      await expect.poll(() => heading(applicant).textContent()).toMatch(/IEL\/\d{4}\/\d{7}/);
      refusedReference = /IEL\/\d{4}\/\d{7}/.exec((await heading(applicant).textContent())!)![0];

      // the officer: the screening hit routes the case; a refusal with criteria per party and destination
      const officer = await as('officer@authority.example');
      await openCase(officer, 'Registration and initial checks', refusedReference);
      const hit = officer.getByRole('table', { name: 'Screening per party' }).getByRole('row', { name: /Abzar Boresh Kaveh Company/ });
      expect(await hit.textContent()).toContain('potential match');
      expect(await officer.getByRole('list', { name: 'Raised red flags' }).textContent()).toMatch(/parties\[.+\]\.screening/);
      await officer.getByRole('button', { name: 'Register (initial checks)' }).click();
      await expect.poll(() => officer.getByTestId('routing-summary').textContent()).toContain('placed the case in screening-review');
      await screenshot(officer, 'licensing-case-screening-hit');
      await officer.getByRole('button', { name: 'Begin the review' }).click();
      await expect.poll(() => heading(officer).textContent()).toContain('under review');
      await officer.getByRole('button', { name: 'Move to final review' }).click();
      await expect.poll(() => heading(officer).textContent()).toContain('final review');
      await officer.getByRole('radio', { name: 'Refuse (after an intent to refuse)' }).check();
      await officer.getByLabel('Reasons (shown to the exporter)').fill('Unacceptable risk of diversion through a listed intermediary.');
      await officer.getByRole('button', { name: 'Add a criterion' }).click();
      await officer.getByLabel('Criterion', { exact: true }).selectOption('7');
      await officer.getByLabel('Concerns').selectOption('party');
      await officer.getByLabel('Which party').selectOption({ label: 'Abzar Boresh Kaveh Company (intermediate consignee)' });
      await officer.getByLabel('Explanation').fill('The intermediate consignee matches a UN-listed entity involved in centrifuge component production.');
      await officer.getByRole('button', { name: 'Add a criterion' }).click();
      const second = officer.getByRole('group', { name: 'Criterion 2' });
      await second.getByLabel('Criterion', { exact: true }).selectOption('WMD');
      await second.getByLabel('Concerns').selectOption('destination');
      await second.getByLabel('Which destination').selectOption('AE');
      await second.getByLabel('Explanation').fill('Routing via Jebel Ali to an Iranian intermediary creates a risk of diversion to a WMD programme.');
      await screenshot(officer, 'licensing-refusal-form');
      await officer.getByRole('button', { name: 'Save proposed decision' }).click();
      await expect.poll(() => officer.getByTestId('countersignatures').textContent()).toBe('0 of 1');
      await officer.getByRole('button', { name: 'Send for countersigning' }).click();
      await expect.poll(() => heading(officer).textContent()).toContain('countersign 1');

      const supervisor = await as('supervisor@authority.example');
      await openCase(supervisor, 'Countersigning', refusedReference);
      await supervisor.getByRole('button', { name: 'Countersign the decision' }).click();
      await expect.poll(() => supervisor.getByTestId('countersignatures').textContent()).toBe('1 of 1');

      await officer.reload();
      await officer.getByRole('button', { name: 'Notify the intent to refuse' }).click();
      await expect.poll(() => heading(officer).textContent()).toContain('intent to refuse');

      // the exporter sees the intended refusal with its criteria and responds
      await applicant.goto(server.url + refusedUrl);
      await expect.poll(() => heading(applicant).textContent()).toContain('intent to refuse');
      const criteria = applicant.getByRole('table', { name: 'Criteria of the intended refusal' });
      expect(await criteria.getByRole('row', { name: /^7/ }).textContent()).toContain('party: Abzar Boresh Kaveh Company (intermediate consignee)');
      expect(await criteria.getByRole('row', { name: /^WMD/ }).textContent()).toContain('destination: United Arab Emirates (AE)');
      expect(await applicant.getByRole('meter', { name: 'Case clock' }).getAttribute('aria-valuetext')).toContain('Paused since');
      await applicant.getByLabel('Your response to the intended refusal').fill('The intermediary is a different company of a similar name; we will ship directly to Jebel Ali.');
      await screenshot(applicant, 'licensing-intent-to-refuse');
      await applicant.getByRole('button', { name: 'Send response' }).click();
      await expect.poll(() => applicant.getByText('Your response', { exact: true }).count()).toBe(1);

      // the refusal becomes final
      await officer.reload();
      await officer.getByLabel('Reasons for the final refusal (added to the proposed reasons)').fill('A name variant of the listed entity with the same address pattern; the response does not remove the risk.');
      await officer.getByRole('button', { name: 'Refuse', exact: true }).click();
      await expect.poll(() => heading(officer).textContent()).toContain('decided refused');

      // the exporter reads the structured reasons and appeals with grounds and a document
      await applicant.reload();
      await expect.poll(() => heading(applicant).textContent()).toContain('refused');
      const refusal = applicant.getByRole('article', { name: 'Decision: Refused' });
      expect(await refusal.getByRole('table', { name: 'Refusal criteria' }).textContent()).toContain('centrifuge component production');
      expect(await refusal.textContent()).toContain('On the applicant’s response');
      const evidence = applicant.getByRole('form', { name: 'Upload evidence for the appeal' });
      await evidence.getByLabel('Document type').selectOption('appeal_grounds');
      await evidence.getByLabel('File').setInputFiles({ name: 'registry-extract.txt', mimeType: 'text/plain', buffer: Buffer.from('Registry extract: Abzar Boresh Kaveh Company (Tehran), founded 2019, unrelated to the listed entity.\n') });
      await evidence.getByRole('button', { name: 'Upload', exact: true }).click();
      await applicant.getByRole('list', { name: 'Documents attached to the appeal' }).getByText('registry-extract.txt').waitFor();
      await applicant.getByLabel('Grounds of appeal').fill('The refusal confuses our intermediary with a listed entity; see the registry extract.');
      await screenshot(applicant, 'licensing-appeal-form');
      await applicant.getByRole('button', { name: 'File appeal' }).click();
      await expect.poll(() => heading(applicant).textContent()).toContain('under appeal');
      expect(await applicant.getByRole('meter', { name: 'Appeal clock' }).getAttribute('aria-valuetext')).toMatch(/0 of 30 working days used/);

      // the officer who decided may not decide the appeal
      await nav(officer, 'Appeals');
      const appeals = officer.getByRole('table', { name: 'Appeals under review' });
      const appealRow = appeals.getByRole('row', { name: new RegExp(esc(refusedReference)) });
      await expect.poll(() => appealRow.textContent()).toContain('you decided it');
      await appealRow.getByRole('link', { name: refusedReference }).click();
      await expect.poll(() => officer.getByRole('note').textContent()).toContain('another officer decides the appeal');
      expect(await officer.getByRole('button', { name: 'Record the appeal decision' }).count()).toBe(0);

      // a different officer decides it
      const officer2 = await as('officer2@authority.example');
      await nav(officer2, 'Appeals');
      const row2 = officer2.getByRole('table', { name: 'Appeals under review' }).getByRole('row', { name: new RegExp(esc(refusedReference)) });
      await expect.poll(() => row2.textContent()).toContain('you may decide');
      await screenshot(officer2, 'licensing-appeals');
      await row2.getByRole('link', { name: refusedReference }).click();
      await officer2.getByLabel('Outcome', { exact: true }).selectOption('dismissed');
      await officer2.getByLabel('Reasons for the outcome').fill('The extract does not show a different company; the listed entity uses this name variant.');
      await screenshot(officer2, 'licensing-appeal-decision');
      await officer2.getByRole('button', { name: 'Record the appeal decision' }).click();
      await expect.poll(() => heading(officer2).textContent()).toContain('appeal decided');
      expect(await officer2.getByRole('region', { name: 'Appeal', exact: true }).textContent()).toContain('by Tobias Brandt');

      await applicant.reload();
      await expect.poll(() => heading(applicant).textContent()).toContain('appeal decided');
      expect(await applicant.getByRole('region', { name: 'Your appeal' }).textContent()).toContain('Appeal dismissed: the decision stands');
      expect(await applicant.getByRole('meter', { name: 'Appeal clock' }).getAttribute('aria-valuetext')).toContain('within the target');
      await screenshot(applicant, 'licensing-appeal-decided');
    },
    LONG,
  );

  it(
    'works at tablet width, and the queues stay keyboard-reachable',
    async () => {
      const tablet = await as('officer@authority.example', 820);
      await tablet.goto(server.url + '/cases?queue=@all');
      const table = tablet.getByRole('table', { name: 'Cases: All cases' });
      await expect.poll(() => table.textContent()).toContain(reference);
      await screenshot(tablet, 'licensing-queue-tablet');
      await table.getByRole('link', { name: reference, exact: true }).focus();
      await tablet.keyboard.press('Enter');
      await expect.poll(() => heading(tablet).textContent()).toContain(reference);
      // one column: nothing wider than the viewport
      expect(await tablet.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(820);
      await screenshot(tablet, 'licensing-case-tablet');
      const wizard = await as('applicant@aurora.example', 820);
      await wizard.goto(server.url + '/applications');
      await wizard.getByRole('button', { name: 'Start draft' }).click();
      await expect.poll(() => heading(wizard).textContent()).toContain('Draft application');
      expect(await wizard.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(820);
      await screenshot(wizard, 'licensing-wizard-tablet');
    },
    LONG,
  );
});
