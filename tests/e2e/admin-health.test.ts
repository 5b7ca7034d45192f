// The platform health page in Chromium: a platform admin opens it from the navigation and
// sees PostgreSQL and Temporal up, the cluster not configured (the embedded default), and
// SMTP — pointed at a port nobody listens on — down with its error, the summary saying so;
// at a phone's width the page fits without sideways scrolling; anyone else gets the 404 page.
// After some requests and an operation, the charts of the API process's metrics history (sampled
// every second here) show them, at a desktop's and a phone's width; the operations chart has a
// line for each way operations end (counted from Temporal; tests/integration/metrics.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../scripts/free-port.ts';
import { request, uniqueSlug } from '../support/api-client.ts';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { isCspViolation, launchChromium, signInThroughPortal, visibleErrorPage } from '../support/browser.ts';
import type { Platform } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

describe('portal: platform health', () => {
  let platform: Platform;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  async function newPage(viewport?: { width: number; height: number }): Promise<Page> {
    const context = await browser.newContext({ baseURL: platform.baseUrl, ...(viewport ? { viewport } : {}) });
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
      env: {
        SMTP_URL: `smtp://127.0.0.1:${await freePort()}`,
        LOGIN_RATE_LIMIT: '1000',
        METRICS_HISTORY_INTERVAL: '1s',
      },
    });
    browser = await launchChromium();
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await platform?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  it('shows each component’s state, and SMTP down with its error', async () => {
    const page = await newPage();
    await signInThroughPortal(page, platform.admin.email, platform.admin.password);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Platform health' }).click();
    await page.waitForURL('**/admin/health');
    const card = (component: string) => page.locator(`[data-testid="health-component"][data-component="${component}"]`);
    assert.equal(await card('postgres').getAttribute('data-status'), 'up');
    assert.equal(await card('temporal').getAttribute('data-status'), 'up');
    assert.equal(await card('cluster').getAttribute('data-status'), 'not-configured');
    assert.match(await card('cluster').innerText(), /not configured/i);
    assert.equal(await card('mail').getAttribute('data-status'), 'down');
    assert.match(await card('mail').innerText(), /Error[\s\S]*(ECONNREFUSED|connect)/i);
    const summary = page.getByTestId('health-summary');
    assert.equal(await summary.getAttribute('data-status'), 'degraded');
    assert.match(await summary.innerText(), /Down: Mail/);
    assert.equal(await page.getByTestId('health-task-queues').locator('tbody tr').count(), platform.taskQueues.length);
    // "Check again" asks again, and the error is still there.
    await page.getByRole('button', { name: 'Check again' }).click();
    await page.waitForLoadState('networkidle');
    assert.equal(await card('mail').getAttribute('data-status'), 'down');
  });

  it('fits a phone’s width', async () => {
    const page = await newPage({ width: 375, height: 800 });
    await signInThroughPortal(page, platform.admin.email, platform.admin.password);
    await page.goto('/admin/health');
    await page.getByTestId('health-components').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    const cards = page.getByTestId('health-component');
    const first = await cards.first().boundingBox();
    const second = await cards.nth(1).boundingBox();
    assert.ok(first && second && second.y > first.y, 'the cards stack in one column');
  });

  it('charts the requests and operations of the last minutes at both widths', async () => {
    for (let i = 0; i < 5; i++) {
      const answer = await request(platform.baseUrl, 'GET', '/api/v1/tenants', { headers: platform.admin.headers });
      assert.equal(answer.status, 200);
    }
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: uniqueSlug('charted'), name: 'Charted', plan: 'team', ownerEmail: 'owner@charted.test' },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    // With SMTP down here the provisioning's mail step keeps retrying: it does not end, so only
    // its start is charted, and it is not waited for.
    // The next reading (every second) takes them in.
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    for (const viewport of [
      { width: 1400, height: 1000 },
      { width: 390, height: 844 },
    ]) {
      const page = await newPage(viewport);
      await signInThroughPortal(page, platform.admin.email, platform.admin.password);
      await page.goto('/admin/health');
      const chart = (id: string) => page.locator(`[data-testid="metrics-chart"][data-chart="${id}"]`);
      await chart('requests').locator('.recharts-line-curve').first().waitFor();
      assert.equal(await page.getByTestId('metrics-chart').count(), 4);
      assert.ok(Number(await chart('requests').getAttribute('data-total')) >= 6, 'the requests are charted');
      assert.ok(Number(await chart('operations').getAttribute('data-total')) >= 1, 'the operation is charted');
      assert.ok(Number(await chart('latency').getAttribute('data-total')) > 0, 'a p95 is charted');
      // Lines and areas drawn with a real extent, not an empty frame.
      const legend = await chart('operations').getByRole('list').innerText();
      for (const label of ['Started', 'Completed', 'Failed or timed out', 'Cancelled or terminated'])
        assert.ok(legend.includes(label), `the operations chart's legend names ${label}`);
      for (const [id, selector] of [
        ['requests', '.recharts-line-curve'],
        ['operations', '.recharts-line-curve'],
      ] as const) {
        const box = await chart(id).locator(selector).first().boundingBox();
        assert.ok(box && box.width > 50, `${id} at ${viewport.width} px: a series is drawn (${JSON.stringify(box)})`);
      }
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `at ${viewport.width} px the page is ${overflow}px wider than the screen`);
    }
  });

  it('is the 404 page for anyone but platform admins', async () => {
    const member = await seedUser(platform.database, { email: 'member@health-page.test' });
    const page = await newPage();
    await signInThroughPortal(page, member.email, member.password);
    await page.goto('/admin/health');
    await visibleErrorPage(page).getByText('Page not found').waitFor();
    assert.equal(
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Platform health' }).count(),
      0,
    );
    assert.equal(await page.getByTestId('health-components').count(), 0);
  });
});
