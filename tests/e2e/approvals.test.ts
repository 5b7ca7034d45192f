// The approvals queue in Chromium on a phone (390 px): a platform admin finds an enterprise
// tenant waiting, is told a rejection needs a comment, approves it, and is left with the empty
// queue; nothing on the page overflows the screen.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { isCspViolation, launchChromium, scrollsSideways, signInThroughPortal } from '../support/browser.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';

describe('portal: approvals queue', () => {
  let platform: Platform;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    platform = await startPlatform({ portal: true, env: { LOGIN_RATE_LIMIT: '1000' } });
    browser = await launchChromium();
    const context = await browser.newContext({ baseURL: platform.baseUrl, viewport: { width: 390, height: 844 } });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('console', (message) => {
      if (isCspViolation(message.text())) problems.push(message.text());
    });
    await signInThroughPortal(page, platform.admin.email, platform.admin.password);
  });
  after(async () => {
    await browser?.close();
    await platform?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  const sideways = () => scrollsSideways(page);

  it('approves a waiting tenant from the queue at 390 px', async () => {
    await page.goto('/approvals');
    await page.getByTestId('approvals-empty').waitFor();

    const slug = uniqueSlug('e2e-appr');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Queue Co', plan: 'enterprise', ownerEmail: `owner@${slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    let card = page.locator('[data-testid="approval-card"]').filter({ hasText: slug });
    for (let i = 0; i < 100 && (await card.count()) === 0; i += 1) {
      await page.waitForTimeout(200);
      await page.goto('/approvals');
      card = page.locator('[data-testid="approval-card"]').filter({ hasText: slug });
    }
    await card.waitFor();
    assert.equal(await sideways(), false, 'no sideways scroll with a request in the queue');

    await card.getByTestId('reject').click();
    await card.getByText('Say why: the requester is told.').waitFor();

    await card.getByLabel('Comment').fill('Contract on file');
    await card.getByTestId('approve').click();
    await page.getByTestId('approval-decided').waitFor();
    assert.match((await page.getByTestId('approval-decided').textContent()) ?? '', /approved/);
    await page.getByTestId('approvals-empty').waitFor();

    const operation = await waitForOperation(platform, created.body.operation.id);
    assert.equal(operation.status, 'completed');
    const decisions = await platform.database.query<{ comment: string }>(
      `SELECT d.comment FROM approval_decisions d JOIN approval_requests r ON r.id = d.request_id
        JOIN tenants t ON t.id = r.tenant_id WHERE t.slug = $1`,
      [slug],
    );
    assert.deepEqual(
      decisions.map((d) => d.comment),
      ['Contract on file'],
    );
  });
});
