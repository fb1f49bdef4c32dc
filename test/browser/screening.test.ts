/**
 * SPINE step 2 in the real UI, in Chromium, as the demo users, on the demo
 * lists (OFAC Consolidated and BIS DPL) and the demo exporter's customers:
 *
 * - officer@aurora.example screens "Otkrytoe Aktsionernoe Obshchestvo Kontsern
 *   Sirius" (a romanisation of JSC Concern Sirius) and sees the OFAC hit,
 *   explained word by word with what country and type did; a look-alike
 *   ("Sirius Precision Optics GmbH") is not flagged, nor is the demo customer
 *   "Sirius Additive Manufacturing GmbH".
 * - She adds a customer who shares a listed person's name but not his date of
 *   birth, reviews its alert as a false positive and the Sirius alert as a true
 *   positive, each with a reason: each leaves the queue, and both decisions are
 *   listed and remembered.
 * - She uploads a small batch (JSON lines), watches it finish, reads the
 *   results and downloads them.
 * - The applicant may screen but not review: no queue, no decision buttons.
 * - admin@authority.example, who may load lists but not screen, sees only the
 *   lists: he loads a new week of the DPL and compares it with the previous one.
 * - The alert review and the lists read at tablet width.
 *
 * Screenshots of each main screen go to test-results/screenshots/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { seedDemo, type DemoCredential } from '../../src/app/seed.js';
import type { RunningServer } from '../../src/app/server.js';
import { demoListDir, seedScreeningDemo } from '../../src/screening/demo.js';
import { launchBrowser, screenshot, signInThroughUi } from '../../src/shared/test-support/browser.js';
import { openTestServices, type TestServices } from '../../src/shared/test-support/databases.js';
import { startTestServer } from '../../src/shared/test-support/http.js';

const LONG = 180_000;
const SIRIUS = 'Otkrytoe Aktsionernoe Obshchestvo Kontsern Sirius';
const NAMESAKE = 'Mohammed Abu Teir';
const FALSE_REASON = 'Namesake: our customer was born 1988-04-02 in Kassel (passport checked); the listed person was born 1951.';
const TRUE_REASON = 'Same company: OGRN 1097746424368 on the customer file equals the listed Registration ID. Do not ship.';

describe('screening in Chromium (SPINE step 2)', () => {
  let services: TestServices;
  let server: RunningServer;
  let browser: Browser;
  let creds: DemoCredential[];
  const users: Record<string, Page> = {};

  const password = (email: string) => creds.find((c) => c.email === email)!.password;

  /** A browser context of its own per user and width, signed in through the login page. */
  async function as(email: string, width = 1280): Promise<Page> {
    const key = `${email}@${width}`;
    if (users[key]) return users[key]!;
    const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    await signInThroughUi(page, server.url, email, password(email));
    users[key] = page;
    return page;
  }

  const modules = (page: Page) => page.getByRole('navigation', { name: 'Modules' });
  const tabs = (page: Page) => page.getByRole('navigation', { name: 'Screening views' });
  async function open(page: Page, tab: string) {
    if (!page.url().includes('/screening')) {
      await modules(page).getByRole('link', { name: 'Screening', exact: true }).click();
      await page.getByRole('heading', { name: 'Screening', level: 1 }).waitFor();
    }
    await tabs(page).getByRole('link', { name: tab, exact: true }).click();
    await expect.poll(() => tabs(page).getByRole('link', { name: tab, exact: true }).getAttribute('aria-current')).toBe('page');
  }

  async function screen(page: Page, q: { name: string; country?: string; type?: string; dob?: string }) {
    const form = page.getByRole('form', { name: 'Screen a party' });
    await form.getByLabel('Name').fill(q.name);
    await form.getByLabel('Country').selectOption(q.country ?? '');
    await form.getByLabel('Type').selectOption(q.type ?? '');
    await form.getByLabel('Date of birth').fill(q.dob ?? '');
    await form.getByRole('button', { name: 'Screen' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 2 }).first().textContent()).toContain(`for “${q.name}”`);
  }

  async function decide(page: Page, party: string, decision: 'True positive' | 'False positive', reason: string) {
    await open(page, 'Alert queue');
    await page.getByRole('table', { name: 'Open alerts' }).getByRole('link', { name: party, exact: true }).click();
    await page.getByRole('heading', { name: new RegExp(`^Review: ${party}`), level: 2 }).waitFor();
    const form = page.getByRole('form', { name: 'Decide the alert' });
    await form.getByLabel(new RegExp(`${decision}:`)).check();
    // a reason is required: no decision without one
    expect(await form.getByRole('button', { name: 'Record decision' }).isDisabled()).toBe(true);
    await form.getByLabel('Reason (required)').fill(reason);
    await form.getByRole('button', { name: 'Record decision' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Decided' }).textContent()).toContain(party);
  }

  beforeAll(async () => {
    services = await openTestServices('sqlite');
    // the browser judges cookie expiry by its own clock: run the server on real time
    services.clock.set(new Date());
    creds = (await seedDemo(services))!;
    // the first-start seed: OFAC Consolidated and BIS DPL loaded, four customers of the demo exporter screened
    await seedScreeningDemo(services, { exporter: 'Aurora Additive GmbH' });
    server = await startTestServer(services);
    browser = await launchBrowser();
  }, LONG);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await services?.dispose();
  });

  it(
    'flags the romanised Sirius with the OFAC entry, explained word by word, and not the look-alikes',
    async () => {
      const page = await as('officer@aurora.example');
      await open(page, 'Screen a party');
      await screen(page, { name: SIRIUS, country: 'RU', type: 'organisation' });
      expect(await page.getByRole('status').first().textContent()).toContain('Flagged: 1 listed entity');
      const hit = page.getByRole('listitem', { name: 'Match 1: KONTSERN SIRIUS OAO' });
      const text = (await hit.textContent()) ?? '';
      expect(text).toContain('OFAC Consolidated (non-SDN) List');
      expect(text).toContain('entity 18783');
      expect(text).toContain('score 1.00');
      expect(text).toContain('Matched the primary name KONTSERN SIRIUS OAO.');
      // word by word: the romanised legal form is recognised as JSC, the two name words are the listed ones
      const words = hit.getByRole('table', { name: /^Word by word/ });
      expect(await words.getByRole('row').allTextContents()).toEqual([
        'Your wordListed wordHow they compareSimilarity',
        'kontsernkontsernsame word1.00',
        'siriussiriussame word1.00',
        'JSCJSCsame legal form1.00',
      ]);
      expect(text).toContain('+0.03 Country: RU is among the listed countries');
      expect(text).toContain('+0.02 Type: both are organisations');
      // the listed entity, folded until asked for
      await hit.getByText('The listed entity').click();
      expect(await hit.textContent()).toContain('CONCERN SIRIUS JOINT STOCK COMPANY');
      await screenshot(page, 'screening-screen-sirius');

      // a legitimate look-alike sharing the word "Sirius" is not flagged
      await screen(page, { name: 'Sirius Precision Optics GmbH', country: 'DE', type: 'organisation' });
      expect(await page.getByRole('status').first().textContent()).toContain('Not flagged');
      expect(await page.getByRole('listitem', { name: /^Match/ }).count()).toBe(0);
      await screenshot(page, 'screening-screen-lookalike');

      // the demo customers: Sirius raised an alert, the look-alike customer is clear
      await open(page, 'Customers');
      const customers = page.getByRole('table', { name: 'Customers' });
      await expect.poll(() => customers.getByRole('row', { name: new RegExp(SIRIUS) }).textContent()).toContain('1 hit, 1 open alert');
      expect(await customers.getByRole('row', { name: /Sirius Additive Manufacturing GmbH/ }).textContent()).toContain('clear');
      expect(await customers.getByRole('row').count()).toBe(5);
    },
    LONG,
  );

  it(
    'adds a namesake customer and reviews its alert as a false positive, then the Sirius alert as a true positive',
    async () => {
      const page = await as('officer@aurora.example');
      await open(page, 'Customers');
      await page.getByText('Add a customer').click();
      const form = page.getByRole('form', { name: 'Add a customer' });
      await form.getByLabel('Customer name').fill(NAMESAKE);
      await form.getByLabel('Country').selectOption('DE');
      await form.getByLabel('Type').selectOption('person');
      await form.getByLabel('Date of birth').fill('1988-04-02');
      await form.getByLabel('Your reference').fill('C-2041');
      await form.getByRole('button', { name: 'Add and screen' }).click();
      await expect.poll(() => page.getByRole('status').filter({ hasText: NAMESAKE }).textContent()).toContain('1 alert raised for review');
      await expect.poll(() => page.getByRole('table', { name: 'Customers' }).getByRole('row', { name: new RegExp(NAMESAKE) }).textContent()).toContain('1 open alert');
      await screenshot(page, 'screening-customers');

      await open(page, 'Alert queue');
      const queue = page.getByRole('table', { name: 'Open alerts' });
      await expect.poll(() => queue.getByRole('row').count()).toBe(3);
      await screenshot(page, 'screening-alert-queue');

      // the namesake: the names agree, the dates of birth do not, and the review says so side by side
      await queue.getByRole('link', { name: NAMESAKE, exact: true }).click();
      await page.getByRole('heading', { name: new RegExp(`^Review: ${NAMESAKE}`), level: 2 }).waitFor();
      const customer = page.getByRole('region', { name: 'Your customer' });
      const listed = page.getByRole('region', { name: 'Listed entity' });
      expect(await customer.textContent()).toContain('1988-04-02');
      expect(await customer.textContent()).toContain('C-2041');
      expect(await listed.textContent()).toContain('ABU TEIR, Mohammed');
      expect(await listed.textContent()).toContain('1951');
      expect(await page.getByRole('region', { name: 'Why it matched' }).textContent()).toContain('Date of birth: listed date(s) of birth 1951 differ from 1988-04-02');
      await screenshot(page, 'screening-review-namesake');
      await decide(page, NAMESAKE, 'False positive', FALSE_REASON);
      expect(await page.getByRole('table', { name: 'Open alerts' }).textContent()).not.toContain(NAMESAKE);

      // Sirius: the listed entity's identifiers, programme and aliases beside the customer
      await decide(page, SIRIUS, 'True positive', TRUE_REASON);
      expect(await page.getByRole('table', { name: 'Open alerts' }).textContent()).not.toContain(SIRIUS);
      await screenshot(page, 'screening-alert-queue-after');

      // both decisions are listed with their reasons
      await open(page, 'Decisions');
      const decisions = page.getByRole('table', { name: 'Decisions' });
      await expect.poll(() => decisions.getByRole('row', { name: new RegExp(SIRIUS) }).textContent()).toContain('true positive');
      expect(await decisions.getByRole('row', { name: new RegExp(SIRIUS) }).textContent()).toContain(TRUE_REASON);
      expect(await decisions.getByRole('row', { name: new RegExp(NAMESAKE) }).textContent()).toContain('false positive');
      await screenshot(page, 'screening-decisions');

      // remembered: screening Sirius again shows the decision on the hit
      await open(page, 'Screen a party');
      await screen(page, { name: SIRIUS, country: 'RU', type: 'organisation' });
      expect(await page.getByRole('listitem', { name: 'Match 1: KONTSERN SIRIUS OAO' }).textContent()).toContain(TRUE_REASON);
      // and the customer record shows the hit decided, with no alert open
      await open(page, 'Customers');
      await page.getByRole('table', { name: 'Customers' }).getByRole('link', { name: SIRIUS }).click();
      const hits = page.getByRole('table', { name: `Hits of ${SIRIUS}` });
      await expect.poll(() => hits.textContent()).toContain('true positive');
      await screenshot(page, 'screening-customer');
    },
    LONG,
  );

  it(
    'screens an uploaded batch, shows its progress and results, and downloads them',
    async () => {
      const page = await as('officer@aurora.example');
      await open(page, 'Batches');
      const lines = [
        { id: 'C-1001', name: 'Kontsern Sirius', country: 'RU', type: 'organisation' },
        { id: 'C-1002', name: 'Sirius Precision Optics GmbH', country: 'DE', type: 'organisation' },
        { id: 'C-1003', name: 'Tecnoforma S.r.l.', country: 'IT' },
      ];
      const form = page.getByRole('form', { name: 'Upload a batch' });
      await form.getByLabel('Parties file (JSON lines)').setInputFiles({ name: 'customers-week-12.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n') });
      await form.getByRole('button', { name: 'Screen the batch' }).click();
      const panel = page.getByRole('region', { name: 'Batch customers-week-12.jsonl' });
      await expect.poll(() => panel.getByRole('status').textContent(), { timeout: 60_000 }).toBe('Done: 3 screened, 1 with matches.');
      const results = panel.getByRole('table', { name: 'Results of customers-week-12.jsonl' });
      await expect.poll(() => results.getByRole('row', { name: /C-1001/ }).textContent()).toContain('KONTSERN SIRIUS OAO');
      expect(await results.getByRole('row', { name: /C-1001/ }).textContent()).toContain('Kontsern Sirius');
      expect(await results.getByRole('row', { name: /C-1002/ }).textContent()).toContain('clear');
      expect(await results.getByRole('row', { name: /C-1003/ }).textContent()).toContain('clear');
      await screenshot(page, 'screening-batch');

      const [download] = await Promise.all([page.waitForEvent('download'), panel.getByRole('link', { name: 'Download the results (JSON lines)' }).click()]);
      expect(download.suggestedFilename()).toBe('customers-week-12-results.jsonl');
      const got = readFileSync((await download.path())!, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { id: string; matches: Array<{ entity_id: string; list: string }> });
      expect(got.map((r) => r.id)).toEqual(['C-1001', 'C-1002', 'C-1003']);
      expect(got[0]!.matches[0]).toMatchObject({ list: 'us-ofac-cons', entity_id: '18783' });
      expect(got[1]!.matches).toEqual([]);
      // the batch stays listed
      expect(await page.getByRole('table', { name: 'Batches' }).textContent()).toContain('customers-week-12.jsonl');
    },
    LONG,
  );

  it(
    'offers each role only what it may do: the applicant screens without reviewing, the authority admin manages lists',
    async () => {
      const applicant = await as('applicant@aurora.example');
      await modules(applicant).getByRole('link', { name: 'Screening', exact: true }).click();
      await applicant.getByRole('heading', { name: 'Screening', level: 1 }).waitFor();
      expect(await tabs(applicant).getByRole('link').allTextContents()).toEqual(['Screen a party', 'Batches', 'Customers', 'Lists']);
      await screen(applicant, { name: SIRIUS, country: 'RU', type: 'organisation' });
      // the decision is visible to the applicant, the means to record one is not
      expect(await applicant.getByRole('listitem', { name: 'Match 1: KONTSERN SIRIUS OAO' }).textContent()).toContain('true positive');
      expect(await applicant.getByRole('button', { name: /decision on this hit/ }).count()).toBe(0);
      await open(applicant, 'Lists');
      expect(await applicant.getByText('Load a new list version').count()).toBe(0);
      expect(await applicant.getByRole('button', { name: /^Activate/ }).count()).toBe(0);

      const officer = await as('officer@aurora.example');
      await open(officer, 'Lists');
      expect(await officer.getByText('Load a new list version').count()).toBe(0);

      // the authority admin loads lists and screens nobody
      const admin = await as('admin@authority.example');
      await modules(admin).getByRole('link', { name: 'Screening', exact: true }).click();
      await admin.getByRole('heading', { name: 'Screening', level: 1 }).waitFor();
      expect(await tabs(admin).getByRole('link').allTextContents()).toEqual(['Lists']);
      const ofac = admin.getByRole('article', { name: 'OFAC Consolidated (non-SDN) List' });
      await expect.poll(() => ofac.textContent()).toContain('442');
      expect(await ofac.textContent()).toMatch(/Content hash[0-9a-f]{64}/);
      await screenshot(admin, 'screening-lists');
    },
    LONG,
  );

  it(
    'lets the authority admin load a new DPL week and compare it with the previous one',
    async () => {
      const admin = await as('admin@authority.example');
      await open(admin, 'Lists');
      // next week's DPL: two entries gone, one address changed, one person added
      const [header, ...rows] = readFileSync(join(demoListDir(), 'bis-dpl', 'dpl.txt'), 'utf8').split(/\r?\n/).filter((l) => l.trim());
      const changed = rows[4]!.replace('"605 TRAIL LAKE DRIVE"', '"777 NEW ADDRESS LANE"');
      expect(changed).not.toBe(rows[4]);
      const added = '"ZYGMUNT TESTOWY"\t"1 EXAMPLE STREET"\t"GDANSK"\t""\t"PL"\t"80-001"\t"03/02/2026"\t"03/02/2036"\t"Y"\t"2026-03-02"\t"F.R. NOTICE ADDED"\t"91 F.R. 1000 3/2/2026"';
      const nextWeek = [header, ...rows.slice(2, 4), changed, ...rows.slice(5), added].join('\n') + '\n';
      await admin.getByText('Load a new list version').click();
      const form = admin.getByRole('form', { name: 'Load a list version' });
      await form.getByLabel('List files').setInputFiles({ name: 'dpl.txt', mimeType: 'text/plain', buffer: Buffer.from(nextWeek) });
      await form.getByRole('button', { name: 'Load' }).click();
      await expect.poll(() => admin.getByRole('status').filter({ hasText: 'BIS Denied Persons List' }).textContent(), { timeout: 60_000 }).toContain('now active');
      const versions = admin.getByRole('table', { name: 'List versions' });
      await expect.poll(() => versions.getByRole('row').count()).toBe(4);
      // the previous week can be made active again, by this role only
      expect(await versions.getByRole('button', { name: /^Activate BIS Denied Persons List/ }).count()).toBe(1);

      const compare = admin.getByRole('form', { name: 'Compare two versions' });
      await compare.getByLabel('List').selectOption('us-bis-dpl');
      await compare.getByRole('button', { name: 'Compare' }).click();
      const summary = admin.getByRole('status').filter({ hasText: 'added' });
      await expect.poll(() => summary.textContent()).toMatch(/^1 added, 2 removed, 1 changed, \d+ unchanged\.$/);
      expect(await admin.getByRole('table', { name: 'Added entities' }).textContent()).toContain('ZYGMUNT TESTOWY');
      expect(await admin.getByRole('table', { name: 'Changed entities' }).textContent()).toContain('777 NEW ADDRESS LANE');
      await screenshot(admin, 'screening-lists-diff');
    },
    LONG,
  );

  it(
    'reads at tablet width',
    async () => {
      const page = await as('officer@aurora.example', 820);
      await open(page, 'Customers');
      await page.getByRole('table', { name: 'Customers' }).getByRole('link', { name: SIRIUS }).click();
      await page.getByRole('heading', { name: new RegExp(`^${SIRIUS}`), level: 2 }).waitFor();
      // the hit's alert, decided, is still readable with both sides and the decision
      await page.getByRole('table', { name: `Alerts of ${SIRIUS}` }).getByRole('link', { name: 'KONTSERN SIRIUS OAO' }).click();
      await page.getByRole('heading', { name: new RegExp(`^Review: ${SIRIUS}`), level: 2 }).waitFor();
      expect(await page.getByRole('region', { name: 'Decision', exact: true }).textContent()).toContain(TRUE_REASON);
      // nothing wider than the window
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(820);
      await screenshot(page, 'screening-review-tablet');
      await open(page, 'Screen a party');
      await screen(page, { name: SIRIUS, country: 'RU', type: 'organisation' });
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(820);
      await screenshot(page, 'screening-screen-tablet');
    },
    LONG,
  );
});
