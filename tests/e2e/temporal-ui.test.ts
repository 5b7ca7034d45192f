// The Temporal UI through the portal, in Chromium: someone not signed in who opens
// /ops/temporal/ lands on the sign-in page and, once signed in as an operator, on the real UI
// (served by the run's dev server under --ui-public-path=/ops/temporal, every file through
// Atrium's proxy, with the UI's own content security policy and none of the portal's), which
// lists a workflow; the navigation's "Temporal UI" link leads there.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { launchChromium, signInThroughPortal } from '../support/browser.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

describe('the Temporal UI behind the portal sign-in', () => {
  let platform: Platform;
  let browser: Browser;
  let operator: TestUser;
  let operationId: string;

  before(async () => {
    platform = await startPlatform({ portal: true });
    browser = await launchChromium();
    operator = await seedUser(platform.database, { email: 'operator@ui.test', displayName: 'Otto Operator' });
    await platform.database.query(`UPDATE users SET operator_role = 'read' WHERE id = $1`, [operator.userId]);
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: uniqueSlug('ui'), name: 'UI Co', ownerEmail: 'owner@ui.test' },
    });
    operationId = created.body.operation.id;
    await waitForOperation(platform, operationId);
  });
  after(async () => {
    await browser?.close();
    await platform?.stop();
  });

  it('sends a visitor to sign in, then shows an operator the real UI through Atrium', async () => {
    const context = await browser.newContext({ baseURL: platform.baseUrl });
    const page = await context.newPage();
    const outside: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith(platform.baseUrl) && !req.url().startsWith('data:')) outside.push(req.url());
    });
    try {
      await page.goto('/ops/temporal/namespaces/default/workflows');
      assert.equal(new URL(page.url()).pathname, '/login');
      assert.equal(new URL(page.url()).searchParams.get('redirectTo'), '/ops/temporal/namespaces/default/workflows');

      const document = page.waitForResponse((response) =>
        response.url().endsWith('/ops/temporal/namespaces/default/workflows'),
      );
      await signInThroughPortal(page, operator.email, operator.password);
      const csp = (await (await document).allHeaders())['content-security-policy'] ?? '';
      assert.doesNotMatch(csp, /form-action 'self'/, "not the portal's policy");
      // The UI itself lists the provisioning workflow (read through /ops/temporal/api/v1/…).
      await page.getByText(operationId).first().waitFor({ timeout: 30_000 });
      assert.equal(new URL(page.url()).pathname.startsWith('/ops/temporal/'), true, page.url());
      assert.deepEqual(outside, [], 'everything came through Atrium');

      // The portal links it for the operator.
      await page.goto('/tenants');
      assert.equal(
        await page
          .locator('nav[aria-label="Main"]')
          .getByRole('link', { name: /Temporal UI/ })
          .getAttribute('href'),
        '/ops/temporal/',
      );
    } finally {
      await context.close();
    }
  });
});
