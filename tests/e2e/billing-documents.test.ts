// @needs-servers: stripe
// The plan page's billing documents in Chromium, for a tenant billed through stripe-mock: its
// invoices from Stripe (a table at 1,400 px, cards at 390 px), its signed reconciliation
// records and its license. Usage reported with the tenant's API key is reconciled by a real
// run of reconcileMetering (started as an operator does, POST /api/v1/admin/metering/runs),
// the worker's Stripe client talking to the fake ledger in front of stripe-mock
// (tests/support/fake-ledger.ts); the record is downloaded as its compact JWS (verified here
// with jose against the JWKS, and equal to what the API serves) and verified in the browser
// ("valid", with the key id); a record tampered with on its way to the browser is "invalid".
// The license downloads and verifies the same way. Nothing scrolls sideways; screenshots in
// test-results/screenshots/billing-documents/.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { compactVerify, createLocalJWKSet, jwtVerify } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { ReconciliationDocument, ReconciliationList } from '../../contracts/metering.ts';
import { LicenseJwks, TenantLicenseDocument } from '../../contracts/license.ts';
import { METER_NAMES } from '../../workflows/shared/meters.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import {
  isCspViolation,
  launchChromium,
  scrollsSideways,
  signInThroughPortal,
  waitForHydration,
} from '../support/browser.ts';
import type { FakeLedger } from '../support/fake-ledger.ts';
import { startFakeLedger } from '../support/fake-ledger.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';
import { workerEnvFor } from '../support/servers.ts';

const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/billing-documents/', import.meta.url));
const HOUR = 3_600_000;
// Every meter is billed, so every reconciled window can match (Atrium's own meters count too).
const STRIPE_METERS = Object.fromEntries(
  METER_NAMES.map((meter) => [meter, { id: `mtr_${meter.replace(/\W/g, '_')}`, event: meter.replace(/\W/g, '_') }]),
);

describe('portal: invoices, reconciliation records and the license on the plan page', () => {
  let platform: Platform;
  let ledger: FakeLedger;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const tenant = { id: '', slug: '' };
  let period = '';

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    ledger = await startFakeLedger({
      meters: Object.fromEntries(Object.values(STRIPE_METERS).map((m) => [m.id, m.event])),
    });
    platform = await startPlatform({
      portal: true,
      // The API reads invoices from stripe-mock itself; the worker bills through the ledger.
      env: { ...workerEnvFor({ stripe: true }), METERING_SETTLING_DELAY: '1s', LOGIN_RATE_LIMIT: '1000' },
      workerEnv: ledger.workerEnv(STRIPE_METERS),
    });
    tenant.slug = uniqueSlug('docs');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: tenant.slug, name: 'Documents Co', plan: 'team', ownerEmail: `owner@${tenant.slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForOperation(platform, created.body.operation.id, 120_000);
    tenant.id = created.body.tenant.id;

    // Usage in one closed hour (one day's record), reported with the tenant's key, then a reconciliation run.
    const key = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${tenant.slug}/api-keys`, {
      headers: platform.admin.headers,
      json: { name: 'metering', role: 'developer' },
    });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const openHour = Math.floor(Date.now() / HOUR) * HOUR;
    const at = (hoursAgo: number) => new Date(openHour - hoursAgo * HOUR + 600_000).toISOString();
    const reported = await request(platform.baseUrl, 'POST', '/api/v1/usage', {
      headers: { authorization: `Bearer ${key.body.key}` },
      json: {
        events: [
          { id: 'job-1', meter: 'compute.seconds', quantity: 30, timestamp: at(2) },
          { id: 'job-2', meter: 'compute.seconds', quantity: 12, timestamp: at(2) },
          { id: 'job-3', meter: 'compute.seconds', quantity: 8, timestamp: at(2) },
        ],
      },
    });
    assert.equal(reported.status, 202, JSON.stringify(reported.body));
    const run = await request(platform.baseUrl, 'POST', '/api/v1/admin/metering/runs', {
      headers: platform.admin.headers,
    });
    assert.equal(run.status, 202, JSON.stringify(run.body));
    await platform.temporal.workflow.getHandle(run.body.workflowId as string).result();
    const list = ReconciliationList.parse(
      (
        await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/reconciliations`, {
          headers: platform.admin.headers,
        })
      ).body,
    );
    const withCompute = list.reconciliations.find((record) =>
      record.meters.some((meter) => meter.meter === 'compute.seconds'),
    );
    assert.ok(withCompute, JSON.stringify(list));
    period = withCompute.period;

    browser = await launchChromium();
    const context = await browser.newContext({ baseURL: platform.baseUrl, acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => problems.push(`${page.url()}: ${String(error)}`));
    page.on('console', (message) => {
      if (isCspViolation(message.text())) problems.push(message.text());
    });
    await signInThroughPortal(page, platform.admin.email, platform.admin.password);
  });
  after(async () => {
    await browser?.close();
    await platform?.stop();
    await ledger?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  /** Opens the plan page and waits until React has hydrated it (the Verify buttons act through React). */
  async function openPlanPage(): Promise<void> {
    await page.goto(`/tenants/${tenant.slug}/plan`, { waitUntil: 'load' });
    await waitForHydration(page, '[data-testid="license-panel"] button');
  }

  it('shows the invoices as a table at 1,400 px and as cards at 390 px, and the records and the license', async () => {
    for (const width of [1400, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await openPlanPage();
      const invoices = page.getByTestId('invoices-panel');
      // stripe-mock's fixture: one draft invoice of 10.00 USD.
      if (width === 1400) {
        await invoices.getByTestId('invoice-row').first().waitFor();
        assert.equal(await invoices.getByTestId('invoice-card').first().isVisible(), false);
        assert.match((await invoices.getByTestId('invoices-table').textContent()) ?? '', /draft.*\$10\.00/);
      } else {
        await invoices.getByTestId('invoice-card').first().waitFor();
        assert.equal(await invoices.getByTestId('invoices-table').isVisible(), false);
        assert.match((await invoices.getByTestId('invoice-card').first().textContent()) ?? '', /Due \$10\.00/);
      }
      const record = page.locator(`[data-testid="reconciliation"][data-period="${period}"]`);
      const compute = record.locator('tr[data-meter="compute.seconds"]');
      await compute.waitFor();
      // What Atrium counted, and what Stripe (the ledger) counted: the same 50 seconds.
      assert.deepEqual(
        (await compute.locator('td').allTextContents()).slice(1).map((text) => text.trim()),
        ['50', '50'],
      );
      assert.match((await page.getByTestId('license-summary').textContent()) ?? '', /The team plan, license/);
      assert.equal(await scrollsSideways(page), false, `the plan page scrolls sideways at ${width} px`);
      await page.screenshot({ path: `${SCREENSHOTS}plan-documents-${width}.png`, fullPage: true });
    }
  });

  it('downloads the signed record, and verifies it in the browser: valid, and invalid once tampered with', async () => {
    await page.setViewportSize({ width: 1400, height: 900 });
    await openPlanPage();
    const record = page.locator(`[data-testid="reconciliation"][data-period="${period}"]`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      record.getByTestId('reconciliation-download').click(),
    ]);
    assert.equal(download.suggestedFilename(), `atrium-reconciliation-${tenant.slug}-${period}.jws`);
    const jws = readFileSync(await download.path(), 'utf8');
    const served = ReconciliationDocument.parse(
      (
        await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/reconciliations/${period}`, {
          headers: platform.admin.headers,
        })
      ).body,
    );
    assert.equal(jws, served.jws);
    const jwks = LicenseJwks.parse((await request(platform.baseUrl, 'GET', '/api/v1/license/jwks')).body);
    const verified = await compactVerify(jws, createLocalJWKSet(jwks));
    assert.equal(verified.protectedHeader.typ, 'atrium-reconciliation+jws');
    assert.deepEqual(JSON.parse(new TextDecoder().decode(verified.payload)), served.record);

    await record.getByRole('button', { name: `Verify the record of ${period}` }).click();
    const outcome = record.getByTestId('reconciliation-verified');
    await outcome.waitFor();
    assert.equal(await outcome.getAttribute('data-outcome'), 'valid', (await outcome.textContent()) ?? '');
    const text = (await outcome.textContent()) ?? '';
    assert.ok(text.includes(`key ${served.keyId}`), text);
    assert.ok(text.includes(`${tenant.slug}'s record of ${period}`), text);
    await page.screenshot({ path: `${SCREENSHOTS}reconciliation-verified-1400.png`, fullPage: true });

    // The same check on a record changed on its way: one byte of the payload differs.
    await page.route('**/reconciliations/*/jws', async (route) => {
      const response = await route.fetch();
      const [header, payload, signature] = (await response.text()).split('.');
      const record = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as { revision: number };
      record.revision += 1;
      const forged = Buffer.from(JSON.stringify(record)).toString('base64url');
      await route.fulfill({ response, body: `${header}.${forged}.${signature}` });
    });
    await openPlanPage();
    await page
      .locator(`[data-testid="reconciliation"][data-period="${period}"]`)
      .getByRole('button', { name: `Verify the record of ${period}` })
      .click();
    const forged = page
      .locator(`[data-testid="reconciliation"][data-period="${period}"]`)
      .getByTestId('reconciliation-verified');
    await forged.waitFor();
    assert.equal(await forged.getAttribute('data-outcome'), 'invalid');
    assert.match((await forged.textContent()) ?? '', /does not match the content/);
    await page.unroute('**/reconciliations/*/jws');
  });

  it('downloads the license and verifies it in the browser; a tenant without a Stripe customer has no invoices', async () => {
    await page.setViewportSize({ width: 390, height: 900 });
    await openPlanPage();
    const panel = page.getByTestId('license-panel');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      panel.getByTestId('license-download').click(),
    ]);
    assert.equal(download.suggestedFilename(), `atrium-license-${tenant.slug}.jwt`);
    const token = readFileSync(await download.path(), 'utf8');
    const license = TenantLicenseDocument.parse(
      (
        await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant.slug}/license`, {
          headers: platform.admin.headers,
        })
      ).body,
    );
    assert.equal(token, license.token);
    const jwks = LicenseJwks.parse((await request(platform.baseUrl, 'GET', '/api/v1/license/jwks')).body);
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: 'atrium',
      audience: 'atrium-license',
    });
    assert.equal(payload.tier, 'team');

    await panel.getByRole('button', { name: 'Verify the license' }).click();
    const outcome = panel.getByTestId('license-verified');
    await outcome.waitFor();
    assert.equal(await outcome.getAttribute('data-outcome'), 'valid', (await outcome.textContent()) ?? '');
    assert.match(
      (await outcome.textContent()) ?? '',
      new RegExp(`key ${license.keyId}.*licenses ${tenant.slug} for the team plan`),
    );
    assert.equal(await scrollsSideways(page), false, 'the plan page scrolls sideways at 390 px after verifying');
    await page.screenshot({ path: `${SCREENSHOTS}license-verified-390.png`, fullPage: true });

    await platform.database.query(`UPDATE tenant_resources SET billing_customer_id = NULL WHERE tenant_id = $1`, [
      tenant.id,
    ]);
    await openPlanPage();
    assert.match(
      (await page.getByTestId('invoices-empty').textContent()) ?? '',
      /No invoices yet: Stripe issues the first one/,
    );
  });
});
