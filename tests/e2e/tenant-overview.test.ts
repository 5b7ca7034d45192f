// The tenant overview (/tenants/:slug) in Debian's Chromium: what its owner, a viewer and an
// outsider see, at 1,400 and 390 px wide, without sideways scrolling.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { isCspViolation, launchChromium, signInThroughPortal, visibleErrorPage } from '../support/browser.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

const WIDTHS = [1400, 390] as const;
const SCREENSHOTS = new URL('../../test-results/screenshots/tenant-overview/', import.meta.url);

describe('portal: the tenant overview', () => {
  let platform: Platform;
  let browser: Browser;
  let owner: TestUser;
  let viewer: TestUser;
  let outsider: TestUser;
  let slug: string;
  let operationId: string;
  const problems: string[] = [];

  before(async () => {
    platform = await startPlatform({ portal: true, env: { LOGIN_RATE_LIMIT: '1000' } });
    browser = await launchChromium();
    slug = uniqueSlug('overview');
    owner = await seedUser(platform.database, { email: `owner@${slug}.test` });
    viewer = await seedUser(platform.database, { email: `viewer@${slug}.test` });
    outsider = await seedUser(platform.database, { email: `outsider@${slug}.test` });
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Overview Co', plan: 'team', ownerEmail: owner.email },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    operationId = created.body.operation.id;
    await waitForOperation(platform, operationId);
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'viewer')`, [
      created.body.tenant.id,
      viewer.userId,
    ]);
    const invited = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/invitations`, {
      headers: owner.headers,
      json: { email: `dev@${slug}.test`, role: 'developer' },
    });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await platform?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  async function signedIn(user: TestUser, width: number): Promise<Page> {
    const context = await browser.newContext({ baseURL: platform.baseUrl, viewport: { width, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('console', (message) => {
      if (isCspViolation(message.text())) problems.push(message.text());
    });
    await signInThroughPortal(page, user.email, user.password);
    return page;
  }

  async function checkLayout(page: Page, name: string): Promise<void> {
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    }));
    assert.ok(scrollWidth <= innerWidth, `${name}: the page scrolls sideways (${scrollWidth} > ${innerWidth})`);
    await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: true });
  }

  for (const width of WIDTHS) {
    it(`shows its owner status, plan, members, recent operations and the areas to come (${width} px)`, async () => {
      const page = await signedIn(owner, width);
      try {
        const response = await page.goto(`/tenants/${slug}`);
        assert.equal(response?.status(), 200);
        await page.getByRole('heading', { level: 1, name: 'Overview Co' }).waitFor();
        const facts = page.getByTestId('tenant-facts');
        assert.equal((await facts.getByTestId('tenant-status').innerText()).toLowerCase(), 'active');
        assert.equal((await facts.getByTestId('tenant-plan').innerText()).toLowerCase(), 'team');
        assert.equal(await facts.getByTestId('member-count').innerText(), '2 members');
        assert.equal(await facts.getByTestId('pending-invitation-count').innerText(), '1 invited');
        const recent = page.locator(`[data-testid="recent-operation"][data-operation-id="${operationId}"]`);
        await recent.waitFor();
        assert.deepEqual(
          (
            await page.getByTestId('tenant-area').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-area')))
          ).sort(),
          ['connections', 'environments', 'secrets', 'usage'],
        );
        await checkLayout(page, `owner-${width}`);
        // The operation opens its live page.
        await recent.getByRole('link').click();
        await page.waitForURL(`**/operations/${encodeURIComponent(operationId)}`);
        await page.getByTestId('operation-status').waitFor();
      } finally {
        await page.context().close();
      }
    });
  }

  it('shows a viewer the tenant, with a note instead of operations', async () => {
    for (const width of WIDTHS) {
      const page = await signedIn(viewer, width);
      try {
        const response = await page.goto(`/tenants/${slug}`);
        assert.equal(response?.status(), 200);
        await page.getByTestId('tenant-facts').waitFor();
        await page.getByTestId('operations-not-allowed').waitFor();
        assert.equal(await page.getByTestId('recent-operation').count(), 0);
        await checkLayout(page, `viewer-${width}`);
      } finally {
        await page.context().close();
      }
    }
  });

  it('gives an outsider the not-found page, naming nothing of the tenant', async () => {
    const page = await signedIn(outsider, 390);
    try {
      const response = await page.goto(`/tenants/${slug}`);
      assert.equal(response?.status(), 404);
      await visibleErrorPage(page).waitFor();
      const text = await page.locator('body').innerText();
      assert.doesNotMatch(text, /Overview Co/);
      assert.equal(await page.getByTestId('tenant-facts').count(), 0);
      await checkLayout(page, 'outsider-390');
    } finally {
      await page.context().close();
    }
  });
});
