// The Environments page in Debian's Chromium, at desktop and phone widths: an owner sees the
// tenant's environments in order, is told on the line which freeze window ends before it starts,
// adds an environment, edits production's protection (soak time, a weekly freeze window) and
// deletes the new environment after confirming. At phone width a viewer sees cards with the
// configuration and protection and an Add button that says why it is disabled; on a free tenant
// the owner is told the plan is full and that the last environment stays.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { isCspViolation, launchChromium, signInThroughPortal } from '../support/browser.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import { waitFor } from '../support/wait-for.ts';

describe('portal: environments', () => {
  let platform: Platform;
  let browser: Browser;
  let owner: TestUser;
  let viewer: TestUser;
  let slug: string;
  let freeSlug: string;
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

  const statusOf = async (tenant: string, name: string) => {
    const answer = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${tenant}/environments/${name}`, {
      headers: owner.headers,
    });
    return answer.status === 200 ? (answer.body as { status: string }).status : `http ${answer.status}`;
  };

  before(async () => {
    platform = await startPlatform({
      portal: true,
      env: { LOGIN_RATE_LIMIT: '1000', CLUSTER_ENVIRONMENTS: 'production' },
    });
    browser = await launchChromium();
    owner = await seedUser(platform.database, { email: 'owner@envs-ui.test' });
    viewer = await seedUser(platform.database, { email: 'viewer@envs-ui.test' });
    for (const [prefix, plan] of [
      ['envs-ui', 'team'],
      ['envs-free', 'free'],
    ] as const) {
      const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
        headers: platform.admin.headers,
        json: { slug: uniqueSlug(prefix), name: prefix, plan, ownerEmail: `owner@${prefix}.test` },
      });
      await waitForOperation(platform, created.body.operation.id);
      const tenant = created.body.tenant as { id: string; slug: string };
      if (plan === 'team') slug = tenant.slug;
      else freeSlug = tenant.slug;
      await platform.database.query(
        `INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner') ON CONFLICT DO NOTHING`,
        [tenant.id, owner.userId],
      );
      if (plan === 'team')
        await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'viewer')`, [
          tenant.id,
          viewer.userId,
        ]);
    }
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await platform?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  it('adds, edits and deletes environments (desktop)', async () => {
    const page = await pageFor(owner, { width: 1400, height: 900 });
    await page.goto(`/tenants/${slug}`);
    await page.getByRole('tab', { name: 'Environments' }).click();
    await page.getByTestId('environments-table').waitFor();
    assert.equal(await page.getByTestId('environment-row').count(), 1);
    await page.getByTestId('environment-row').getByText(`tenant-${slug}-production`).waitFor();
    assert.match((await page.getByTestId('environment-limit').textContent()) ?? '', /1 of 3 environments/);

    const form = page.getByRole('form', { name: 'Add an environment' });
    await form.getByRole('textbox', { name: 'Name' }).fill('staging');
    await form
      .getByRole('textbox', { name: 'Freeze windows' })
      .fill('once 2026-12-27T00:00:00Z 2026-12-24T00:00:00Z Holidays');
    await form.getByRole('button', { name: 'Add environment' }).click();
    await form.getByText('Line 1: End the window after it starts.').waitFor();
    assert.equal(await statusOf(slug, 'staging'), 'http 404', 'nothing was created');

    await form
      .getByRole('textbox', { name: 'Freeze windows' })
      .fill('once 2026-12-24T00:00:00Z 2026-12-27T00:00:00Z Holidays');
    await form.getByRole('textbox', { name: 'Variables' }).fill('LOG_LEVEL=debug');
    await form.getByRole('button', { name: 'Add environment' }).click();
    await page.getByTestId('environment-started').waitFor();
    await waitFor('staging is ready', async () => (await statusOf(slug, 'staging')) === 'ready', 60_000);
    await page.reload();
    assert.equal(await page.getByTestId('environment-row').count(), 2);
    const staging = page.getByTestId('environment-row').filter({ hasText: `tenant-${slug}-staging` });
    await staging.getByText('1 replica · 1 variable').waitFor();
    await staging.getByText('once 2026-12-24T00:00:00Z 2026-12-27T00:00:00Z Holidays').waitFor();

    // Edit production's protection.
    await page.getByRole('link', { name: 'Edit production' }).click();
    const edit = page.getByRole('form', { name: 'Edit production' });
    await edit.getByRole('textbox', { name: /Soak time/ }).fill('30');
    await edit.getByRole('checkbox', { name: 'developer' }).uncheck();
    await edit.getByRole('textbox', { name: 'Freeze windows' }).fill('weekly fri 16:00-23:59 Europe/Berlin Weekend');
    await edit.getByRole('button', { name: 'Save production' }).click();
    const production = page.getByTestId('environment-row').filter({ hasText: `tenant-${slug}-production` });
    await production.getByText('weekly fri 16:00-23:59 Europe/Berlin Weekend').waitFor();
    await production.getByText('Deploy: owner, admin').waitFor();
    await production.getByText('Soak: 30 min in the previous environment').waitFor();

    // Delete staging, after confirming.
    await page.getByRole('button', { name: 'Delete staging' }).click();
    await page.getByRole('button', { name: 'Confirm deleting staging' }).click();
    await page.getByTestId('environment-started').filter({ hasText: 'Deleting staging' }).waitFor();
    await waitFor('staging is deleted', async () => (await statusOf(slug, 'staging')) === 'http 404', 60_000);
    const audit = await platform.database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE target_type = 'environment' AND target_id = 'staging' ORDER BY id`,
    );
    assert.deepEqual(
      audit.map((entry) => entry.action),
      ['environment.create_requested', 'environment.created', 'environment.delete_requested', 'environment.deleted'],
    );
  });

  it('shows cards at phone width; a viewer is told why they cannot add one', async () => {
    const page = await pageFor(viewer, { width: 390, height: 844 });
    await page.goto(`/tenants/${slug}/environments`);
    await page.getByTestId('environments-cards').waitFor();
    const card = page.getByTestId('environment-card').first();
    await card.getByTestId('environment-configuration').waitFor();
    await card.getByTestId('environment-protection').waitFor();
    assert.equal(await page.getByRole('link', { name: /^Edit / }).count(), 0, 'no Edit for a viewer');
    assert.ok(await page.getByRole('button', { name: 'Add environment' }).isDisabled());
    assert.match(
      (await page.getByTestId('create-environment-refusal').textContent()) ?? '',
      /Your role \(viewer\) cannot add environments/,
    );
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page does not scroll sideways (${overflow}px)`);
  });

  it('on the free plan: Add is disabled with the plan reason, the last environment cannot be deleted', async () => {
    const page = await pageFor(owner, { width: 390, height: 844 });
    await page.goto(`/tenants/${freeSlug}/environments`);
    await page.getByTestId('environments-cards').waitFor();
    assert.ok(await page.getByRole('button', { name: 'Add environment' }).isDisabled());
    assert.match(
      (await page.getByTestId('create-environment-refusal').textContent()) ?? '',
      /The plan allows 1 environment; delete one or change the plan/,
    );
    const card = page.getByTestId('environment-card');
    assert.ok(await card.getByRole('button', { name: 'Delete production' }).isDisabled());
    await card.getByText('A tenant keeps at least one environment.').waitFor();
  });
});
