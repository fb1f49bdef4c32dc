/**
 * SPINE step 5 in Chromium: the device operator enrols a print host (the
 * token comes from the Devices page, the host posts its own keys), then the
 * exporter's compliance officer uploads the build file of a licensed part (a
 * 3MF), protects it for the enrolled print host, and issues a ticket for two
 * prints within an envelope — logged, its receipt verified in the browser,
 * and the downloaded bundle verifying offline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { seedDemo, type DemoCredential } from '../../src/app/seed.js';
import type { RunningServer } from '../../src/app/server.js';
import { findOrganisation } from '../../src/identity/service.js';
import { parseVerifierKey } from '../../src/ledger/core/keys.js';
import { launchBrowser, screenshot, signInThroughUi } from '../../src/shared/test-support/browser.js';
import { openTestServices, type TestServices } from '../../src/shared/test-support/databases.js';
import { client, startTestServer } from '../../src/shared/test-support/http.js';
import { sharedData } from '../../src/shared/test-support/shared-data.js';
import { edKeys, grantPrintLicence, rsaKeys } from '../../src/tickets/test-support/world.js';
import { issuerPublicKey, verifyPrintTicket, type TicketBundle } from '../../src/tickets/ticket.js';

describe('designs, devices and print tickets in Chromium (SPINE step 5)', () => {
  let services: TestServices;
  let server: RunningServer;
  let browser: Browser;
  let creds: DemoCredential[];
  const host = { id: '', content: rsaKeys(), signing: edKeys() };
  let licence: { id: string; reference: string };

  const signIn = (page: Page, email: string) => signInThroughUi(page, server.url, email, creds.find((c) => c.email === email)!.password);

  beforeAll(async () => {
    services = await openTestServices('sqlite');
    // the browser judges cookie expiry by its own clock: run the server on real time
    services.clock.set(new Date());
    creds = (await seedDemo(services))!;
    const db = services.database.db;
    const aurora = (await findOrganisation(db, 'Aurora Additive GmbH'))!;
    const authority = (await findOrganisation(db, 'Federal Export Licensing Authority'))!;
    const officer = await db.selectFrom('users').select('id').where('email', '=', 'officer@aurora.example').executeTakeFirstOrThrow();
    // SPINE step 4 ends with an approved, time-bound licence: granted here through the licensing store
    licence = await grantPrintLicence(services, {
      actor: { type: 'user', id: officer.id, userId: officer.id, organisationId: aurora.id, kind: 'exporter', role: 'compliance_officer' },
      authorityId: authority.id,
      prints: 10,
    });
    server = await startTestServer(services);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await services?.dispose();
  });

  it('lets the device operator create an enrolment token the print host enrols with', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, 'operator@northwind.example');
    await page.getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('heading', { name: 'Devices', level: 1 }).waitFor();
    await page.getByLabel('Device name').fill('Northwind MK4 line 1');
    await page.getByRole('button', { name: 'Create enrolment token' }).click();
    const shown = await page.getByTestId('enrolment-token').textContent();
    const token = /--token (fge_\S+)/.exec(shown ?? '')![1]!;
    await screenshot(page, 'devices-enrolment-token');

    // the print host (the agent) posts its own public keys with the token
    const enrolled = await client(server.url).request<{ device_id: string }>('POST', '/api/devices/enrol', { token, content_key: host.content.pem, signing_key: host.signing.pem, model: 'Prusa MK4' });
    expect(enrolled.status).toBe(201);
    host.id = enrolled.body.device_id;

    await page.reload();
    const devices = page.getByRole('table', { name: 'Devices' });
    await devices.getByRole('cell', { name: 'Northwind MK4 line 1' }).waitFor();
    expect(await devices.textContent()).toContain(host.id);
    await page.getByRole('button', { name: 'Keys' }).click();
    await page.getByText('current').waitFor();
    await screenshot(page, 'devices-enrolled');
    await page.close();
  });

  it('uploads a 3MF, protects it for the enrolled print host and issues a ticket for two prints with a verified receipt', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await signIn(page, 'officer@aurora.example');
    await page.getByRole('link', { name: 'Designs & tickets' }).click();
    await page.getByRole('heading', { name: 'Designs & tickets' }).waitFor();
    await page.getByLabel('Build file').setInputFiles(sharedData('gcode', 'prusaslicer', 'part.3mf'));
    await page.getByLabel('Name').fill('Hinge bracket H-200');
    await screenshot(page, 'designs-upload');
    await page.getByRole('button', { name: 'Upload and protect' }).click();
    await page.getByRole('heading', { name: 'Hinge bracket H-200' }).waitFor();
    expect(await page.getByTestId('classification-link').textContent()).toContain('not linked');

    // the only active licence is chosen; name the operator's print host under it
    await page.getByText('Devices named under this licence').waitFor();
    expect(await page.getByLabel('Licence').inputValue()).toBe(licence.id);
    await page.getByLabel('Device id').fill(host.id);
    await page.getByRole('button', { name: 'Name under this licence' }).click();
    await page.getByRole('checkbox', { name: /Northwind MK4 line 1/ }).waitFor();
    expect(await page.getByRole('checkbox', { name: /Northwind MK4 line 1/ }).isChecked()).toBe(true);

    await page.getByRole('button', { name: 'Protect for 1 device(s)' }).click();
    const release = await page.getByTestId('release').textContent();
    expect(release).toMatch(/manifest [0-9a-f]{64}/);
    const manifest = /[0-9a-f]{64}/.exec(release!)![0];

    await page.getByLabel('Prints').fill('2');
    await page.getByRole('button', { name: 'Issue ticket' }).click();
    await page.getByTestId('issued').waitFor();
    // the receipt is verified in the browser against the log key
    await expect.poll(() => page.getByTestId('issued').getByRole('status').last().textContent(), { timeout: 15_000 }).toContain('✓ in the log');
    await screenshot(page, 'designs-ticket-issued');

    // the bundle the page offers verifies offline: issuer key set, device key, design hash, log receipt
    const href = await page.getByRole('link', { name: 'Download ticket bundle' }).first().getAttribute('href');
    const bundle = JSON.parse(decodeURIComponent(href!.slice(href!.indexOf(',') + 1))) as TicketBundle;
    const jwks = await client(server.url).request<{ keys: Array<{ kid: string; kty: string; crv: string; x: string }> }>('GET', '/api/tickets/issuer-keys');
    const vkey = (await client(server.url).request<string>('GET', '/log/key')).body.trim();
    const { keyFingerprint } = await import('../../src/designs/securecontent/index.js');
    const v = verifyPrintTicket(bundle.ticket, {
      issuers: jwks.body.keys.map((k) => ({ kid: k.kid, publicKey: issuerPublicKey(k) })),
      deviceContentKeySha256: keyFingerprint(host.content.publicKey),
      now: new Date(),
      designManifestSha256: manifest,
      log: { proof: bundle.log!, policy: { logKeys: [parseVerifierKey(vkey)], origin: services.config.logOrigin } },
    });
    expect(v.claims.prints).toBe(2);
    expect(v.claims.licence.reference).toBe(licence.reference);
    expect(v.claims.envelope.nozzle_temp_c).toEqual({ max: 260 });

    // the ticket table shows it, and its page shows state, usage and the receipt
    await page.getByRole('link', { name: v.claims.jti }).click();
    await page.getByRole('heading', { name: /Ticket/ }).waitFor();
    await expect.poll(() => page.locator('details.receipt').textContent(), { timeout: 15_000 }).toContain('✓ in the log');
    expect(await page.locator('main').textContent()).toContain('0 used of 2');
    await screenshot(page, 'ticket-page');
    await page.close();
  });

  it('shows the device operator the ticket bound to its print host', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, 'operator@northwind.example');
    await page.getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('heading', { name: 'Print tickets' }).waitFor();
    await expect.poll(() => page.getByRole('table', { name: 'Print tickets' }).textContent()).toContain('Hinge bracket H-200');
    await screenshot(page, 'devices-tickets');
    await page.close();
  });
});
