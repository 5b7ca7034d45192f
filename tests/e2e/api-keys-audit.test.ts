// The API keys and audit log pages in Debian's Chromium: an owner creates a key, sees it
// once, uses it against the API, revokes it; then finds both changes in the audit log,
// filters it, and downloads the export through the portal.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { isCspViolation, launchChromium, signInThroughPortal } from '../support/browser.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

describe('portal: API keys and audit log', () => {
  let platform: Platform;
  let browser: Browser;
  let page: Page;
  let owner: TestUser;
  let slug: string;
  const problems: string[] = [];

  before(async () => {
    platform = await startPlatform({ portal: true, env: { LOGIN_RATE_LIMIT: '1000' } });
    browser = await launchChromium();
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: uniqueSlug('keys-ui'), name: 'Keys UI', ownerEmail: 'owner@keys-ui.test' },
    });
    await waitForOperation(platform, created.body.operation.id);
    slug = created.body.tenant.slug;
    owner = await seedUser(platform.database, { email: 'owner@keys-ui.test' });
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      created.body.tenant.id,
      owner.userId,
    ]);
    const context = await browser.newContext({ baseURL: platform.baseUrl, acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('console', (message) => {
      if (isCspViolation(message.text())) problems.push(message.text());
    });
    await signInThroughPortal(page, owner.email, owner.password);
  });
  after(async () => {
    await browser?.close();
    await platform?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  it('creates a key shown once, which works against the API until it is revoked', async () => {
    await page.goto(`/tenants/${slug}/api-keys`);
    const form = page.getByRole('form', { name: 'Create an API key' });
    // The shared schema refuses an empty name in the browser, before any request.
    await form.getByRole('button', { name: 'Create key' }).click();
    await form.getByText('Enter a name.').waitFor();

    await form.getByRole('textbox', { name: 'Name' }).fill('Deploy bot');
    await form.getByRole('combobox', { name: 'Role' }).selectOption('developer');
    await form.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-api-key-value').textContent())?.trim() ?? '';
    assert.match(key, /^atr_[0-9a-f]{12}_/);
    const row = page.locator('[data-testid="api-key-row"][data-name="Deploy bot"]');
    await row.waitFor();
    // The form starts again once the key exists (issue 11: it kept the name, role and expiry).
    await page.waitForFunction(
      () =>
        document.querySelector<HTMLInputElement>('form[aria-label="Create an API key"] input[name="name"]')?.value ===
        '',
    );
    assert.equal(await form.getByRole('combobox', { name: 'Role' }).inputValue(), 'developer');
    assert.ok((await row.textContent())?.includes(key.split('_')[1]!), 'the row shows the prefix');

    const withKey = () =>
      request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/members`, {
        headers: { authorization: `Bearer ${key}` },
      });
    assert.equal((await withKey()).status, 200);

    // Reloading never shows the key again.
    await page.reload();
    assert.equal(await page.getByTestId('new-api-key').count(), 0);
    // The secret part: everything after `atr_<prefix>_` (base64url may contain "_").
    assert.ok(!(await page.content()).includes(key.slice('atr_'.length + 12 + 1)));

    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Confirm revoking Deploy bot' }).click();
    await row.getByTestId('api-key-revoked').waitFor();
    assert.equal((await withKey()).status, 401);
  });

  it('shows both changes in the audit log, filters them, and exports through the portal', async () => {
    await page.getByRole('tab', { name: 'Audit log' }).click();
    await page.waitForURL(`**/tenants/${slug}/audit-log`);
    // The URL changes as the navigation starts; wait for the page's own rows.
    await page.getByTestId('audit-log-row').first().waitFor();
    const actions = await page.getByTestId('audit-log-row').locator('code').allTextContents();
    assert.ok(actions.includes('api_key.created') && actions.includes('api_key.revoked'), actions.join(', '));

    const filter = page.getByRole('form', { name: 'Filter the audit log' });
    await filter.getByRole('textbox', { name: 'Action' }).fill('api_key.revoked');
    await filter.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/action=api_key\.revoked/);
    // The URL changes as the navigation starts; wait for the filtered rows themselves.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-log-row"]').length === 1);
    assert.deepEqual(await page.getByTestId('audit-log-row').locator('code').allTextContents(), ['api_key.revoked']);

    // The date pickers send days; a hand-edited URL with something else gets the API's field error.
    await page.goto(`/tenants/${slug}/audit-log?action=api_key.revoked&from=last-tuesday`);
    await page.getByText('Use an ISO 8601 date-time').waitFor();
    await page.goto(`/tenants/${slug}/audit-log?action=api_key.revoked`);
    await page.getByTestId('audit-log-row').first().waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('audit-log-export-csv').click(),
    ]);
    assert.match(download.suggestedFilename(), new RegExp(`^audit-log-${slug}-\\d{4}-\\d{2}-\\d{2}\\.csv$`));
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.trim().split('\r\n');
    assert.equal(lines[0]!.split(',')[4], 'action');
    assert.equal(lines.length, 2, 'the header and the one revoked entry');
    assert.ok(lines[1]!.includes('api_key.revoked'));
  });
});
