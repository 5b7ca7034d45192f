// The stuck-activities page in Chromium, on a real worker whose cluster cannot be reached (a
// suspension's workload step retries without end, tests/support/stuck-activities.ts):
// operator-read opens it from the navigation, sees "Nothing is stuck" under the default
// threshold, the stuck activity once the threshold is short enough, and the actions disabled
// saying why; at a phone's width an operator-write terminates it through the confirmation
// dialog, which wants a reason, and the workflow ends terminated in Temporal, audited. Someone
// without an operator role gets the 404 page and no link.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { isCspViolation, launchChromium, signInThroughPortal, visibleErrorPage } from '../support/browser.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { StuckSuspension } from '../support/stuck-activities.ts';
import {
  grantOperatorRole,
  STUCK_ACTIVITY_TYPE,
  startStuckSuspension,
  unreachableClusterEnv,
  waitForAttempt,
} from '../support/stuck-activities.ts';
import { waitFor } from '../support/wait-for.ts';

describe('portal: stuck activities', () => {
  let platform: Platform;
  let browser: Browser;
  let reader: TestUser;
  let writer: TestUser;
  let stuck: StuckSuspension;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  async function newPage(viewport: { width: number; height: number }): Promise<Page> {
    const context = await browser.newContext({ baseURL: platform.baseUrl, viewport });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => problems.push(`${page.url()}: ${String(error)}`));
    page.on('console', (message) => {
      if (isCspViolation(message.text())) problems.push(message.text());
    });
    return page;
  }

  before(async () => {
    platform = await startPlatform({
      portal: true,
      env: { LOGIN_RATE_LIMIT: '1000' },
      workerEnv: await unreachableClusterEnv(),
    });
    browser = await launchChromium();
    reader = await seedUser(platform.database, { email: 'reader@stuck-page.test' });
    writer = await seedUser(platform.database, { email: 'writer@stuck-page.test' });
    await grantOperatorRole(platform, reader.userId, 'read');
    await grantOperatorRole(platform, writer.userId, 'write');
    stuck = await startStuckSuspension(platform, 'stuck-page');
    // Attempt 4 waits after the third failure: retrying for 3 s at least.
    await waitForAttempt(platform, stuck.workflowId, 4);
  });
  after(async () => {
    if (stuck) {
      const handle = platform.temporal.workflow.getHandle(stuck.workflowId);
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('the test ended');
    }
    for (const context of contexts) await context.close();
    await browser?.close();
    await platform?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  it('lists the stuck activity for operator-read, with the actions disabled saying why', async () => {
    const page = await newPage({ width: 1400, height: 900 });
    await signInThroughPortal(page, reader.email, reader.password);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Stuck activities' }).click();
    await page.waitForURL('**/admin/stuck-activities');
    // Retrying for seconds only: not stuck under the default five minutes.
    await page.getByTestId('stuck-empty').getByText('Nothing is stuck').waitFor();

    await page.goto('/admin/stuck-activities?olderThan=2s');
    const row = page.locator(`[data-testid="stuck-row"][data-workflow-id="${stuck.workflowId}"]`);
    await row.waitFor();
    const text = await row.innerText();
    assert.match(text, new RegExp(stuck.slug));
    assert.match(text, /tenant-suspend/);
    assert.match(text, new RegExp(STUCK_ACTIVITY_TYPE));
    assert.match(text, /attempt \d+/);
    assert.match(text, /Cannot reach the Kubernetes API server/);
    assert.equal(await page.getByTestId('stuck-cards').isVisible(), false, 'a table on a desktop, not cards');
    for (const name of ['Retry now', 'Cancel…', 'Terminate…']) {
      const button = row.getByRole('button', { name });
      assert.equal(await button.isDisabled(), true, `${name} is disabled for operator-read`);
      assert.match((await button.getAttribute('title')) ?? '', /need operator-write/);
    }
    assert.match(await page.getByTestId('stuck-read-only').innerText(), /operator-read/);
    // The operation's page is one click away.
    assert.equal(
      await row.getByRole('link', { name: stuck.workflowId }).getAttribute('href'),
      `/operations/${encodeURIComponent(stuck.workflowId)}`,
    );

    // The threshold selector: an hour is longer than it has been retrying.
    await page.getByLabel('Retrying for longer than').selectOption('1h');
    await page.getByRole('button', { name: 'Check again' }).click();
    await page.waitForURL('**/admin/stuck-activities?olderThan=1h');
    await page.getByTestId('stuck-empty').waitFor();
  });

  it('lets operator-write terminate it at a phone’s width, with a reason', async () => {
    const page = await newPage({ width: 390, height: 844 });
    await signInThroughPortal(page, writer.email, writer.password);
    await page.goto('/admin/stuck-activities?olderThan=2s');
    const card = page.locator(`[data-testid="stuck-card"][data-workflow-id="${stuck.workflowId}"]`);
    await card.waitFor();
    assert.equal(await page.getByTestId('stuck-table').isVisible(), false, 'cards on a phone, not the table');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);

    await card.getByRole('button', { name: 'Terminate…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Terminate the workflow' });
    await dialog.waitFor();
    // No reason: the form is not sent (the field is required).
    await dialog.getByRole('button', { name: 'Terminate' }).click();
    assert.equal(
      await dialog
        .getByRole('textbox', { name: /Reason/ })
        .evaluate((field) => (field as HTMLTextAreaElement).validity.valid),
      false,
    );
    assert.equal((await platform.temporal.workflow.getHandle(stuck.workflowId).describe()).status.name, 'RUNNING');

    await dialog.getByRole('textbox', { name: /Reason/ }).fill('The cluster was decommissioned');
    await dialog.getByRole('button', { name: 'Terminate' }).click();
    await page.getByTestId('stuck-action-done').waitFor();
    assert.match(await page.getByTestId('stuck-action-done').innerText(), /was terminated/);
    await page.getByTestId('stuck-empty').waitFor();

    const description = await platform.temporal.workflow.getHandle(stuck.workflowId).describe();
    assert.equal(description.status.name, 'TERMINATED');
    const audit = await waitFor('the audit entry', async () => {
      const [row] = await platform.database.query<{ actor_id: string; after: Record<string, unknown> }>(
        `SELECT actor_id, after FROM audit_log WHERE action = 'stuck_activity.terminate' AND target_id = $1`,
        [stuck.workflowId],
      );
      return row ?? false;
    });
    assert.equal(audit.actor_id, writer.userId);
    assert.equal(audit.after.reason, 'The cluster was decommissioned');
  });

  it('is the 404 page for someone without an operator role', async () => {
    const member = await seedUser(platform.database, { email: 'member@stuck-page.test', platformAdmin: true });
    await grantOperatorRole(platform, member.userId, null);
    const page = await newPage({ width: 1400, height: 900 });
    await signInThroughPortal(page, member.email, member.password);
    await page.goto('/admin/stuck-activities');
    await visibleErrorPage(page).getByText('Page not found').waitFor();
    assert.equal(
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Stuck activities' }).count(),
      0,
    );
  });
});
