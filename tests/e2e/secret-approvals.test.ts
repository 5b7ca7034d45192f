// A production secret in the portal, in Debian's Chromium (docs/decisions/0035): the owner sets
// a new value and is taken to the operation page, which says it waits for an approval; asking
// to reveal lands on the reveal's operation; once an admin approved it (through the API, as the
// approvals queue does), the owner reveals the value there once — a reload shows it no more and
// a second reveal is refused. At phone width the operation page does not scroll sideways.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { isCspViolation, launchChromium, signInThroughPortal } from '../support/browser.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import { waitFor } from '../support/wait-for.ts';

describe('portal: production secrets wait for an approval', () => {
  let platform: Platform;
  let browser: Browser;
  let owner: TestUser;
  let admin: TestUser;
  let slug: string;
  let secretId: string;
  const problems: string[] = [];
  const contexts: BrowserContext[] = [];

  async function pageFor(person: TestUser, viewport: { width: number; height: number }): Promise<Page> {
    const context = await browser.newContext({ baseURL: platform.baseUrl, viewport });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('console', (message) => {
      if (isCspViolation(message.text())) problems.push(message.text());
    });
    await signInThroughPortal(page, person.email, person.password);
    return page;
  }

  before(async () => {
    platform = await startPlatform({ portal: true, env: { LOGIN_RATE_LIMIT: '1000' } });
    browser = await launchChromium();
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: uniqueSlug('prodsec-ui'), name: 'Prod secrets UI', plan: 'team', ownerEmail: 'o@prodsec-ui.test' },
    });
    await waitForOperation(platform, created.body.operation.id);
    slug = created.body.tenant.slug;
    owner = await seedUser(platform.database, { email: 'owner@prodsec-ui.test' });
    admin = await seedUser(platform.database, { email: 'admin@prodsec-ui.test' });
    for (const [person, role] of [
      [owner, 'owner'],
      [admin, 'admin'],
    ] as const)
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        created.body.tenant.id,
        person.userId,
        role,
      ]);
    const secret = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/secrets`, {
      headers: owner.headers,
      json: { name: 'PROD_DB', kind: 'generic', environment: 'production', value: 'prod-first-value-of-the-browser' },
    });
    assert.equal(secret.status, 201, JSON.stringify(secret.body));
    secretId = secret.body.id;
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await platform?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  /** Approves the operation's request as the admin (what the approvals queue's button sends). */
  async function approve(operationId: string) {
    const pending = await waitFor('the approval request', async () => {
      const queue = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/approvals?mine=false`, {
        headers: admin.headers,
      });
      return (queue.body.approvals as Array<{ id: string; operation: { id: string } }>).find(
        (a) => a.operation.id === operationId,
      );
    });
    const approved = await request(
      platform.baseUrl,
      'POST',
      `/api/v1/tenants/${slug}/approvals/${pending.id}/approve`,
      { headers: admin.headers, json: {} },
    );
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    const operation = await waitForOperation(platform, operationId, 60_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
  }

  it('sets a value and reveals once after an approval (desktop)', async () => {
    const page = await pageFor(owner, { width: 1400, height: 900 });
    await page.goto(`/tenants/${slug}/secrets/${secretId}`);
    await page.getByTestId('secret-approval-note').waitFor();
    await page.getByLabel('New value').fill('prod-second-value-of-the-browser');
    await page.getByRole('button', { name: 'Set new version' }).click();
    await page.waitForURL(/\/operations\/secret-change%2F|\/operations\/secret-change\//);
    await page.getByTestId('secret-approval').getByText('A new value that needs an approval').waitFor();
    assert.ok(!(await page.content()).includes('prod-second-value-of-the-browser'));
    await approve(decodeURIComponent(new URL(page.url()).pathname.split('/operations/')[1]!));

    await page.goto(`/tenants/${slug}/secrets/${secretId}`);
    await page.getByRole('button', { name: 'Reveal version 2' }).click();
    await page.waitForURL(/secret-reveal/);
    await page.getByTestId('secret-approval').getByText('A reveal that needs an approval').waitFor();
    const operationId = decodeURIComponent(new URL(page.url()).pathname.split('/operations/')[1]!);
    await approve(operationId);
    await page.getByTestId('secret-approval-reveal').click();
    const revealed = page.getByTestId('revealed-value');
    await revealed.waitFor();
    assert.equal((await revealed.textContent())?.trim(), 'prod-second-value-of-the-browser');
    await page.reload();
    await page.getByTestId('secret-approval').waitFor();
    assert.equal(await page.getByTestId('revealed-secret').count(), 0, 'shown once');
    await page.getByTestId('secret-approval-reveal').click();
    await page
      .getByTestId('reveal-problem')
      .getByText(/Reveal grant \d+ was used already/)
      .waitFor();
  });

  it('explains a waiting reveal at phone width', async () => {
    const page = await pageFor(owner, { width: 390, height: 844 });
    await page.goto(`/tenants/${slug}/secrets/${secretId}`);
    await page.getByRole('button', { name: 'Reveal version 2' }).click();
    await page.waitForURL(/secret-reveal/);
    await page.getByTestId('secret-approval').getByText('Works once an approver has approved it.').waitFor();
    await page.getByTestId('secret-approval-reveal').click();
    await page
      .getByTestId('reveal-problem')
      .getByText(/still waits for its approval/)
      .waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page does not scroll sideways (${overflow}px)`);
  });
});
