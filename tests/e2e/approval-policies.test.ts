// The approval policy editor in Chromium: a tenant with no policy shows the default that
// applies; raising prod's approvals from one to two and pressing Simulate lists the request an
// admin approved alone as blocked (a table at 1400 px, cards at 390 px, nothing overflowing);
// a mistake is shown at its field; Save stores the policy.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { ApprovalRequester } from '../support/approval-requests.ts';
import { startApprovalRequester } from '../support/approval-requests.ts';
import { waitFor } from '../support/wait-for.ts';
import {
  isCspViolation,
  launchChromium,
  scrollsSideways,
  signInThroughPortal,
  waitForHydration,
} from '../support/browser.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

describe('portal: approval policy editor', () => {
  let platform: Platform;
  let requester: ApprovalRequester;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let slug: string;
  let requestId: string;
  const problems: string[] = [];

  before(async () => {
    platform = await startPlatform({ portal: true, env: { LOGIN_RATE_LIMIT: '1000' } });
    slug = uniqueSlug('e2e-policy');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Policy Co', plan: 'team', ownerEmail: `owner@${slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const tenantId: string = created.body.tenant.id;
    await waitForOperation(platform, created.body.operation.id);
    const people: Record<string, TestUser> = {};
    for (const role of ['admin', 'developer'] as const) {
      people[role] = await seedUser(platform.database, { email: `${role}@${slug}.test` });
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        tenantId,
        people[role].userId,
        role,
      ]);
    }
    // A prod request under the policy that applies (Atrium's default: one admin), approved by one admin.
    const applies = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/approval-policies/prod`, {
      headers: platform.admin.headers,
    });
    requester = await startApprovalRequester(platform);
    const opened = await requester.open({
      tenantId,
      requesterId: people.developer!.userId,
      label: 'release 7 to prod',
      attributes: { environment: 'prod' },
      policy: applies.body.policy,
    });
    requestId = opened.requestId;
    const approved = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/approvals/${requestId}/approve`, {
      headers: people.admin!.headers,
      json: {},
    });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    await requester.result(opened.workflowId);

    browser = await launchChromium();
    context = await browser.newContext({ baseURL: platform.baseUrl, viewport: { width: 1400, height: 900 } });
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
    await requester?.stop();
    await platform?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  const sideways = () => scrollsSideways(page);
  const approvalsNeeded = () => page.getByTestId('policy-stage').first().getByLabel('Approvals needed');

  it('shows the default that applies, simulates one → two approvers, and saves', async () => {
    await page.goto(`/tenants/${slug}`);
    await page.getByRole('tab', { name: 'Approval policies' }).click();
    await page.getByTestId('policy-empty').waitFor();
    await page.getByRole('link', { name: 'Tenant default' }).waitFor();
    await page.getByLabel('Environment', { exact: true }).fill('prod');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.waitForURL(/environment=prod/);
    const empty = page.getByTestId('policy-empty');
    await empty.waitFor();
    assert.match((await page.getByTestId('policy-applies').textContent()) ?? '', /production.*1 × admin/);

    // The page must be hydrated for the edit to reach the form's state (its hidden `policy`
    // field): on a busy machine the server-rendered page is visible first. Wait for React, then
    // type until the edit took.
    await waitForHydration(page);
    await waitFor('the edit in the form', async () => {
      await approvalsNeeded().fill('2');
      return /"count":2/.test((await page.locator('input[name="policy"]').inputValue()) ?? '');
    });
    await page.getByTestId('policy-simulate').click();
    const row = page.locator(`[data-testid="simulation-row"][data-request-id="${requestId}"]`);
    await row.waitFor();
    // Said whole when it fails (CI once saw 'false' here): what was sent, and the row's verdicts.
    const sent = await page.locator('input[name="policy"]').inputValue();
    assert.equal(await row.getAttribute('data-changed'), 'true', `sent ${sent}; row: ${await row.innerText()}`);
    assert.equal(await row.locator('[data-outcome]').nth(0).getAttribute('data-outcome'), 'allowed');
    assert.equal(await row.locator('[data-outcome]').nth(1).getAttribute('data-outcome'), 'blocked');
    assert.match((await page.getByTestId('simulation-summary').textContent()) ?? '', /1 would change/);
    assert.equal(await sideways(), false, 'no sideways scroll at 1400 px');

    // On a phone: the same answer as cards.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByTestId('simulation-card').first().waitFor({ state: 'visible' });
    assert.equal(await page.getByTestId('simulation-table').isVisible(), false);
    assert.equal(await sideways(), false, 'no sideways scroll at 390 px');
    await page.setViewportSize({ width: 1400, height: 900 });

    // A mistake is shown at its field; nothing is stored.
    await approvalsNeeded().fill('0');
    await page.getByTestId('policy-save').click();
    await page.getByTestId('policy-problem').waitFor();
    await page.getByText('At least one approver.').waitFor();
    const stored = await platform.database.query(`SELECT 1 FROM approval_policies`);
    assert.equal(stored.length, 0);

    await approvalsNeeded().fill('2');
    await page.getByTestId('policy-save').click();
    await page.getByTestId('policy-saved').waitFor();
    await page.getByText(`Stored by ${platform.admin.email}.`).waitFor();
    assert.equal(await empty.count(), 0, 'the empty state is gone');
    const [policy] = await platform.database.query<{
      policy: { rules: Array<{ stages: Array<{ approvers: { count: number } }> }> };
    }>(`SELECT policy FROM approval_policies WHERE environment = 'prod'`);
    assert.equal(policy?.policy.rules[0]?.stages[0]?.approvers.count, 2);
  });

  it('names a delegate for a period, with a mistake shown at its field, at 390 px', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const panel = page.getByTestId('delegation-panel');
    await panel.getByTestId('delegations-empty').waitFor();
    await panel.getByLabel('Delegate').selectOption({ label: `developer@${slug}.test` });
    await panel.getByLabel('Until (UTC)').fill('2020-01-01T00:00');
    await panel.getByRole('button', { name: 'Delegate' }).click();
    await panel.getByText('End after the start.').waitFor();
    await panel.getByLabel('Delegate').selectOption({ label: `developer@${slug}.test` });
    await panel.getByLabel('Until (UTC)').fill(new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 16));
    await panel.getByRole('button', { name: 'Delegate' }).click();
    const line = panel.getByTestId('delegation');
    await line.waitFor();
    assert.match((await line.textContent()) ?? '', new RegExp(`in force.*developer@${slug}`));
    assert.equal(await sideways(), false, 'no sideways scroll at 390 px');
    await line.getByRole('button', { name: 'End now' }).click();
    await panel.getByText('ended').waitFor();
  });
});
