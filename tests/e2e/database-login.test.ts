// The Database login panel of the admin console's tenant page, in Debian's Chromium: a fresh
// tenant shows its active login and the empty history; a policy under the minimum is refused at
// the field and a valid one shows when it is next due; "Rotate now" is confirmed, opens the live
// operation, which completes; back on the page the other login is active and the rotation is
// listed with what it verified. At 390 px the page does not scroll sideways. No CSP violation.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { isCspViolation, launchChromium, signInThroughPortal } from '../support/browser.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';

describe('portal: a tenant database login rotated from the admin console', () => {
  let platform: Platform;
  let browser: Browser;
  let page: Page;
  let slug: string;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  before(async () => {
    platform = await startPlatform({
      portal: true,
      env: { LOGIN_RATE_LIMIT: '1000', DATABASE_LOGIN_OVERLAP: '1s', SECRET_ROTATION_MINIMUM: '1h' },
    });
    browser = await launchChromium();
    slug = uniqueSlug('dbl-e2e');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Login Co', plan: 'team', ownerEmail: 'owner@dbl-e2e.test' },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForOperation(platform, created.body.operation.id);
    const context = await browser.newContext({ baseURL: platform.baseUrl });
    contexts.push(context);
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => problems.push(`${page.url()}: ${String(error)}`));
    page.on('console', (message) => {
      if (isCspViolation(message.text())) problems.push(message.text());
    });
    await signInThroughPortal(page, platform.admin.email, platform.admin.password);
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await platform?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  it('shows the login, refuses a short policy at the field, rotates now and lists the rotation', async () => {
    const schema = `tenant_${slug.replaceAll('-', '_')}`;
    await page.goto(`/admin/tenants/${slug}`);
    const panel = page.getByTestId('database-login');
    await panel
      .getByTestId('database-login-current')
      .filter({ hasText: `${schema}_login` })
      .waitFor();
    await panel.getByTestId('database-login-empty').waitFor();
    await panel.getByText('no policy').waitFor();
    await page.waitForLoadState('networkidle'); // hydrated: the confirmation is React state

    await panel.getByLabel('Rotate every').fill('5m');
    await panel.getByRole('button', { name: 'Set policy' }).click();
    await panel.locator('input[name="every"][aria-invalid="true"]').waitFor();
    await panel.getByText(/Must be whole seconds, at least 1h/).waitFor();
    await panel.getByLabel('Rotate every').fill('30d');
    await panel.getByRole('button', { name: 'Set policy' }).click();
    await panel.getByRole('button', { name: 'Change policy' }).waitFor();
    assert.equal(await panel.getByText('no policy').count(), 0, 'the next due time is shown');

    await page.waitForLoadState('networkidle');
    await panel.getByRole('button', { name: 'Rotate now…' }).click();
    await panel.getByRole('button', { name: 'Confirm rotation' }).click();
    await page.waitForURL(/\/operations\/database-login-rotate%2F/);
    await page.locator('[data-testid="operation-status"][data-status="completed"]').waitFor({ timeout: 90_000 });

    await page.goto(`/admin/tenants/${slug}`);
    await panel
      .getByTestId('database-login-current')
      .filter({ hasText: `${schema}_login_b` })
      .waitFor();
    const rotation = panel.getByTestId('database-login-rotation').first();
    await rotation.getByText('completed').waitFor();
    await rotation.getByText(/Checked .+: secret-store:tenants\/.+\/database \(verified\)/).waitFor();
    await rotation.getByText('by an admin').waitFor();

    // A second rotation is refused while… none is open now: the API agrees it is idle.
    const overview = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/database-login`, {
      headers: platform.admin.headers,
    });
    assert.equal(overview.body.rotating, null);
    assert.equal(overview.body.rotations[0].outcome, 'completed');
    assert.equal(overview.body.policy.every, '30d');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await panel.getByTestId('database-login-rotation').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `no sideways scroll at 390 px (overflow ${overflow}px)`);
  });
});
