import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { seedDemo, type DemoCredential } from '../../src/app/seed.js';
import type { RunningServer } from '../../src/app/server.js';
import { logDecisiveEvents } from '../../src/ledger/decisive.js';
import { launchBrowser, screenshot, signInThroughUi } from '../../src/shared/test-support/browser.js';
import { openTestServices, type TestServices } from '../../src/shared/test-support/databases.js';
import { startTestServer } from '../../src/shared/test-support/http.js';

describe('the transparency log page in Chromium', () => {
  let services: TestServices;
  let server: RunningServer;
  let browser: Browser;
  let creds: DemoCredential[];

  beforeAll(async () => {
    services = await openTestServices('sqlite');
    services.clock.set(new Date());
    creds = (await seedDemo(services))!;
    // 13 entries: an odd-sized tree exercises every branch of the proof check
    await services.database.db.transaction().execute((trx) =>
      logDecisiveEvents(trx, Array.from({ length: 13 }, (_, i) => ({ type: 'case.decided', recordType: 'decision', recordId: `dec_${i}`, record: { i }, at: services.clock.now() }))),
    );
    await services.ledger.integrate();
    server = await startTestServer(services);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await services?.dispose();
  });

  it('verifies receipts in the browser against the log key, and fails a forged one', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const auditor = creds.find((c) => c.email === 'auditor@authority.example')!;
    await signInThroughUi(page, server.url, auditor.email, auditor.password);
    await page.getByRole('link', { name: 'Transparency log' }).click();
    await expect.poll(() => page.getByTestId('checkpoint').textContent()).toContain('\n13\n');
    for (const index of ['0', '6', '12']) {
      const row = page.locator('tr', { has: page.locator('td', { hasText: new RegExp(`^${index}$`) }) }).first();
      await row.getByRole('button', { name: 'Verify' }).click();
      await expect.poll(() => row.getByRole('status').textContent()).toContain(`in the log (entry ${index})`);
    }
    await screenshot(page, 'transparency-log');

    const receipt = await (await fetch(`${server.url}/log/receipt/5`)).text();
    const forged = receipt.replace(/^index 5$/m, 'index 4');
    await page.getByLabel(/Paste a/).fill(forged);
    await expect.poll(() => page.locator('section > details.receipt').getByRole('status').textContent()).toContain('does not verify');
    await page.getByLabel(/Paste a/).fill(receipt);
    await expect.poll(() => page.locator('section > details.receipt').getByRole('status').textContent()).toContain('in the log (entry 5)');
    await page.close();
  });
});
