// The admin console in Debian's Chromium: a platform admin approves an enterprise tenant
// from the pending list and watches its provisioning go on live; opens an active tenant's
// page (its resources), suspends it with a reason after confirming, watches the operation,
// and reactivates it; a tenant owner gets the 404 page for /admin.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { isCspViolation, launchChromium, signInThroughPortal, visibleErrorPage } from '../support/browser.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

describe('portal: admin console', () => {
  let platform: Platform;
  let browser: Browser;
  let page: Page;
  let owner: TestUser;
  let teamSlug: string;
  let enterpriseSlug: string;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ baseURL: platform.baseUrl });
    contexts.push(context);
    const opened = await context.newPage();
    opened.setDefaultTimeout(30_000);
    opened.on('pageerror', (error) => problems.push(`${opened.url()}: ${String(error)}`));
    opened.on('console', (message) => {
      if (isCspViolation(message.text())) problems.push(message.text());
    });
    return opened;
  }

  before(async () => {
    platform = await startPlatform({ portal: true, env: { LOGIN_RATE_LIMIT: '1000' } });
    browser = await launchChromium();
    teamSlug = uniqueSlug('adm-team');
    const team = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: teamSlug, name: 'Team Co', plan: 'team', ownerEmail: 'owner@adm-team.test' },
    });
    await waitForOperation(platform, team.body.operation.id);
    owner = await seedUser(platform.database, { email: 'owner@adm-team.test' });
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      team.body.tenant.id,
      owner.userId,
    ]);
    enterpriseSlug = uniqueSlug('adm-ent');
    const enterprise = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: enterpriseSlug, name: 'Enterprise Co', plan: 'enterprise', ownerEmail: 'owner@adm-ent.test' },
    });
    assert.equal(enterprise.body.tenant.approvalStatus, 'pending');
    page = await newPage();
    await signInThroughPortal(page, platform.admin.email, platform.admin.password);
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await platform?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  it('approves a waiting enterprise tenant and follows its provisioning live', async () => {
    // The approval step marks the tenant pending first; wait for that through the API.
    for (let i = 0; i < 100; i += 1) {
      const tenant = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${enterpriseSlug}`, {
        headers: platform.admin.headers,
      });
      if (tenant.body.approvalStatus === 'pending') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin console' }).click();
    await page.waitForURL('**/admin');
    const row = page.locator(`[data-testid="approval-row"][data-slug="${enterpriseSlug}"]`);
    await row.waitFor();
    await page.waitForLoadState('networkidle');
    await row.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`**/operations/${encodeURIComponent(`tenant-provision/${enterpriseSlug}`)}`);
    await page.locator('[data-testid="operation-status"][data-status="completed"]').waitFor({ timeout: 90_000 });

    await page.goto('/admin');
    const tenantRow = page.locator(`[data-testid="admin-tenant-row"][data-slug="${enterpriseSlug}"]`);
    await tenantRow.getByText('active').waitFor();
    assert.equal(await page.locator(`[data-testid="approval-row"][data-slug="${enterpriseSlug}"]`).count(), 0);
  });

  it("shows a tenant's resources, suspends it after confirming, and reactivates it", async () => {
    await page.goto('/admin');
    await page.locator(`[data-testid="admin-tenant-row"][data-slug="${teamSlug}"]`).getByRole('link').click();
    await page.waitForURL(`**/admin/tenants/${teamSlug}`);
    const resources = page.getByTestId('tenant-resources');
    await resources.getByText(`tenant_${teamSlug.replaceAll('-', '_')}_login`).waitFor();
    await resources.getByText(/^team · /).waitFor();
    await page.waitForLoadState('networkidle'); // hydrated: the confirmation is React state

    await page.getByRole('button', { name: 'Suspend…' }).click();
    const suspend = page.getByRole('form', { name: 'Suspend tenant' });
    await suspend.getByRole('textbox', { name: /Why/ }).fill('Unpaid invoices');
    await suspend.getByRole('button', { name: 'Confirm suspension' }).click();
    await page.waitForURL(`**/operations/${encodeURIComponent(`tenant-suspend/${teamSlug}/1`)}`);
    await page.locator('[data-testid="operation-status"][data-status="completed"]').waitFor({ timeout: 60_000 });

    const refused = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${teamSlug}/members`, {
      headers: owner.headers,
    });
    assert.equal(refused.status, 403);

    await page.goto(`/admin/tenants/${teamSlug}`);
    await page.getByTestId('tenant-status').filter({ hasText: 'suspended' }).waitFor();
    await page.getByTestId('suspensions').getByText('Unpaid invoices').waitFor();
    await page.waitForLoadState('networkidle');
    await page.getByRole('button', { name: 'Reactivate…' }).click();
    await page.getByRole('button', { name: 'Confirm reactivation' }).click();
    await page.waitForURL(`**/operations/${encodeURIComponent(`tenant-reactivate/${teamSlug}/1`)}`);
    await page.locator('[data-testid="operation-status"][data-status="completed"]').waitFor({ timeout: 60_000 });
    const back = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${teamSlug}/members`, {
      headers: owner.headers,
    });
    assert.equal(back.status, 200);
  });

  it('offboards a tenant after confirming: the report lists what was deleted and the export downloads', async () => {
    const slug = uniqueSlug('adm-off');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Leaving Co', plan: 'team', ownerEmail: 'owner@adm-off.test' },
    });
    await waitForOperation(platform, created.body.operation.id);
    await page.goto(`/admin/tenants/${slug}`);
    await page.waitForLoadState('networkidle');
    await page.getByRole('button', { name: 'Offboard…' }).click();
    const form = page.getByRole('form', { name: 'Offboard tenant' });
    await form.getByRole('textbox', { name: 'Why' }).fill('Contract ended');
    await form.getByRole('textbox', { name: 'Grace period' }).fill('2s');
    await form.getByRole('button', { name: 'Confirm offboarding' }).click();
    await page.waitForURL(`**/operations/${encodeURIComponent(`tenant-offboard/${slug}`)}`);
    await page.locator('[data-testid="operation-status"][data-status="completed"]').waitFor({ timeout: 90_000 });

    await page.goto(`/admin/tenants/${slug}`);
    await page.getByTestId('tenant-status').filter({ hasText: 'offboarded' }).waitFor();
    const report = page.getByTestId('teardown-report');
    await report
      .getByText(`tenant_${slug.replaceAll('-', '_')}`)
      .first()
      .waitFor();
    assert.ok((await report.getByTestId('teardown-resource').count()) >= 2);
    const download = await page.request.get(`/admin/tenants/${slug}/export`);
    assert.equal(download.status(), 200);
    assert.match(download.headers()['content-disposition'] ?? '', /attachment; filename=".+"/);
    const body = await download.body();
    assert.deepEqual([...body.subarray(0, 2)], [0x1f, 0x8b], 'a gzip archive');
  });

  it('cancels an offboarding during its grace period', async () => {
    const slug = uniqueSlug('adm-stay');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Staying Co', plan: 'team', ownerEmail: 'owner@adm-stay.test' },
    });
    await waitForOperation(platform, created.body.operation.id);
    await page.goto(`/admin/tenants/${slug}`);
    await page.waitForLoadState('networkidle');
    await page.getByRole('button', { name: 'Offboard…' }).click();
    const form = page.getByRole('form', { name: 'Offboard tenant' });
    await form.getByRole('textbox', { name: 'Why' }).fill('Asked to leave');
    await form.getByRole('textbox', { name: 'Grace period' }).fill('10m');
    await form.getByRole('button', { name: 'Confirm offboarding' }).click();
    await page.waitForURL(`**/operations/${encodeURIComponent(`tenant-offboard/${slug}`)}`);
    // Once the export is done the tenant is in its grace period.
    await page
      .locator('[data-testid="operation-step"][data-step="grace"][data-status="running"]')
      .waitFor({ timeout: 60_000 });

    await page.goto(`/admin/tenants/${slug}`);
    await page.getByTestId('tenant-status').filter({ hasText: 'offboarding' }).waitFor();
    await page.getByRole('button', { name: 'Cancel offboarding' }).click();
    await page.waitForURL(`**/operations/${encodeURIComponent(`tenant-offboard/${slug}`)}`);
    await page.goto(`/admin/tenants/${slug}`);
    await page.getByTestId('tenant-status').filter({ hasText: 'active' }).waitFor({ timeout: 30_000 });
  });

  it('pages through more tenants than a page holds, and filters them', async () => {
    // Rows straight into the table, created before everything else, so they fill the last pages.
    for (let i = 0; i < 55; i += 1)
      await platform.database.query(
        `INSERT INTO tenants (id, slug, name, plan, status, owner_email, created_at)
         VALUES (gen_random_uuid(), $1, $2, 'free', 'active', 'owner@bulk.test', now() - interval '1 day' - $3 * interval '1 second')`,
        [`bulk-${String(i).padStart(2, '0')}`, `Bulk ${i}`, i],
      );
    await page.goto('/admin');
    const rows = page.locator('[data-testid="admin-tenant-row"]');
    await page.getByTestId('admin-tenants-pages-next').waitFor();
    assert.equal(await rows.count(), 50);
    const seen = new Set(await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-slug'))));
    await page.getByTestId('admin-tenants-pages-next').click();
    await page.waitForURL(/cursor=/);
    await page.locator('[data-testid="admin-tenant-row"][data-slug="bulk-54"]').waitFor();
    const next = await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-slug')));
    assert.ok(next.length > 0 && next.every((slug) => !seen.has(slug)), 'the next page repeats no tenant');
    assert.equal(await page.getByTestId('admin-tenants-pages-next').count(), 0, 'the last page');
    await page.getByTestId('admin-tenants-pages-first').click();
    await page.getByTestId('admin-tenants-pages-next').waitFor();

    const filters = page.getByRole('form', { name: 'Filter tenants' });
    await filters.getByRole('textbox', { name: 'Slug or name starts with' }).fill('bulk-5');
    await filters.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/q=bulk-5/);
    await page.locator('[data-testid="admin-tenant-row"][data-slug="bulk-50"]').waitFor();
    assert.deepEqual(await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-slug'))), [
      'bulk-50',
      'bulk-51',
      'bulk-52',
      'bulk-53',
      'bulk-54',
    ]);
  });

  it('is not there for people who are not platform admins', async () => {
    const ownerPage = await newPage();
    await signInThroughPortal(ownerPage, owner.email, owner.password);
    await ownerPage.goto('/admin');
    await visibleErrorPage(ownerPage).getByText('Page not found').waitFor();
    assert.equal(
      await ownerPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin console' }).count(),
      0,
    );
  });
});
