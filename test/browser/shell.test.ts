import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { seedDemo, type DemoCredential } from '../../src/app/seed.js';
import type { RunningServer } from '../../src/app/server.js';
import { launchBrowser, screenshot } from '../../src/shared/test-support/browser.js';
import { openTestServices, type TestServices } from '../../src/shared/test-support/databases.js';
import { startTestServer } from '../../src/shared/test-support/http.js';

describe('the web shell in Chromium', () => {
  let services: TestServices;
  let server: RunningServer;
  let browser: Browser;
  let creds: DemoCredential[];
  const cred = (email: string) => creds.find((c) => c.email === email)!;

  beforeAll(async () => {
    services = await openTestServices('sqlite');
    // the browser judges cookie expiry by its own clock: run the server on real time
    services.clock.set(new Date());
    creds = (await seedDemo(services))!;
    server = await startTestServer(services);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await services?.dispose();
  });

  it('shows a wrong password with its error code, then signs in and shows organisation and role', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(server.url + '/');
    await page.getByLabel('E-mail').fill('officer@aurora.example');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('AUTH_INVALID_CREDENTIALS');
    await screenshot(page, 'login-error');

    await page.getByLabel('Password').fill(cred('officer@aurora.example').password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const who = await page.getByTestId('who').textContent();
    expect(who).toContain('Hanna Berger');
    expect(who).toContain('compliance officer');
    expect(who).toContain('Aurora Additive GmbH');
    // an exporter's officer has no audit trail entry in the navigation
    expect(await page.getByRole('navigation', { name: 'Modules' }).textContent()).not.toContain('Audit trail');
    await screenshot(page, 'overview-exporter');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Fabgate' }).waitFor();
    await page.close();
  });

  it("lets an auditor read the organisation's audit trail, including the sign-in just made", async () => {
    const page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    await page.goto(server.url + '/');
    await page.getByLabel('E-mail').fill('auditor@authority.example');
    await page.getByLabel('Password').fill(cred('auditor@authority.example').password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Audit trail' }).click();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    await expect.poll(() => page.locator('table').textContent()).toContain('identity.signed_in');
    expect(new URL(page.url()).pathname).toBe('/audit');
    await screenshot(page, 'audit-trail');
    // a reload keeps the session and the client-side route
    await page.reload();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    await page.close();
  });
});
