// The admin console's Billing panel in Chromium, for a tenant whose payment failed: a signed
// `invoice.payment_failed` posted to the real Stripe webhook route puts it in dunning, the short
// grace period suspends it for billing, and the tenant's admin page says so — the standing, the
// unpaid invoice, who was mailed, the suspension in force being billing's, the event and its
// outcome — at 1,400 and 390 px (nothing scrolls sideways; screenshots in
// test-results/screenshots/billing/). After `invoice.paid` it reads "in good standing". Then the
// tenant's plan page: a downgrade scheduled for the period's end and cancelled, an upgrade to
// enterprise (APPROVAL_PLANS) shown waiting for a platform admin's approval, approved by another
// admin and followed on its operation page; usage reported with an API key, drawn per meter and day.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import Stripe from 'stripe';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { isCspViolation, launchChromium, signInThroughPortal } from '../support/browser.ts';
import type { Platform } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import { waitFor } from '../support/wait-for.ts';

const SECRET = `whsec_${randomBytes(24).toString('hex')}`;
const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/billing/', import.meta.url));

describe('portal: the billing panel of a tenant in dunning', () => {
  let platform: Platform;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const tenant = { id: '', slug: '', customerId: '' };

  function post(type: string, status: string) {
    const payload = JSON.stringify({
      id: `evt_${randomBytes(10).toString('hex')}`,
      object: 'event',
      api_version: '2026-08-26.dahlia',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      type,
      data: { object: { id: 'in_panel_1', object: 'invoice', customer: tenant.customerId, status } },
    });
    return request(platform.baseUrl, 'POST', '/api/v1/webhooks/stripe', {
      body: payload,
      headers: {
        'content-type': 'application/json',
        'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
      },
    });
  }

  async function noSidewaysScroll(width: number): Promise<void> {
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scrollWidth <= width, `the page scrolls sideways at ${width} px: ${scrollWidth}`);
  }

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    platform = await startPlatform({
      portal: true,
      env: { STRIPE_WEBHOOK_SECRET: SECRET, BILLING_DUNNING_GRACE_PERIOD: '2s', LOGIN_RATE_LIMIT: '1000' },
    });
    tenant.slug = uniqueSlug('panel');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: tenant.slug, name: 'Panel Co', plan: 'team', ownerEmail: `owner@${tenant.slug}.test` },
    });
    await waitForOperation(platform, created.body.operation.id);
    tenant.id = created.body.tenant.id;
    const [resources] = await platform.database.query<{ billing_customer_id: string }>(
      `SELECT billing_customer_id FROM tenant_resources WHERE tenant_id = $1`,
      [tenant.id],
    );
    tenant.customerId = resources!.billing_customer_id;
    browser = await launchChromium();
    const context = await browser.newContext({ baseURL: platform.baseUrl });
    page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => problems.push(`${page.url()}: ${String(error)}`));
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

  it('shows dunning and the billing suspension at 1,400 and 390 px, then good standing once paid', async () => {
    assert.equal((await post('invoice.payment_failed', 'open')).status, 200);
    await waitFor('the billing suspension', async () => {
      const [row] = await platform.database.query<{ status: string }>(`SELECT status FROM tenants WHERE id = $1`, [
        tenant.id,
      ]);
      return row?.status === 'suspended';
    });
    await waitFor('the standing recorded', async () => {
      const [row] = await platform.database.query<{ standing: string }>(
        `SELECT standing FROM tenant_billing WHERE tenant_id = $1`,
        [tenant.id],
      );
      return row?.standing === 'suspended';
    });
    for (const width of [1400, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`/admin/tenants/${tenant.slug}`);
      const panel = page.getByTestId('billing-panel');
      await panel.waitFor();
      assert.equal(await panel.getByTestId('billing-standing').textContent(), 'suspended for billing');
      assert.match((await panel.getByTestId('billing-dunning').textContent()) ?? '', /in_panel_1/);
      assert.match(
        (await panel.getByTestId('billing-suspension').textContent()) ?? '',
        /#1 — billing \(lifted when the invoices are paid\)/,
      );
      assert.match((await panel.getByTestId('stripe-events').textContent()) ?? '', /dunning-started/);
      await noSidewaysScroll(width);
      await page.screenshot({ path: `${SCREENSHOTS}admin-tenant-dunning-${width}.png`, fullPage: true });
    }

    assert.equal((await post('invoice.paid', 'paid')).status, 200);
    await waitFor('dunning ended (after the reactivation)', async () => {
      const [row] = await platform.database.query<{ standing: string }>(
        `SELECT standing FROM tenant_billing WHERE tenant_id = $1`,
        [tenant.id],
      );
      return row?.standing === 'in-good-standing';
    });
    await page.goto(`/admin/tenants/${tenant.slug}`);
    assert.equal(await page.getByTestId('billing-standing').textContent(), 'in good standing');
    assert.match((await page.getByTestId('billing-suspension').textContent()) ?? '', /none/);
  });

  it('changes the plan from the plan page: a downgrade is scheduled and cancelled, an upgrade follows its operation', async () => {
    for (const width of [390, 1400]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`/tenants/${tenant.slug}/plan`);
      await page.getByTestId('plan-team').getByText('Current plan').waitFor();
      await noSidewaysScroll(width);
      await page.screenshot({ path: `${SCREENSHOTS}plan-${width}.png`, fullPage: true });
    }

    // A downgrade waits for the end of the billing period (local billing: a month after it began).
    const free = page.getByTestId('plan-free');
    await free.getByLabel('At the end of the billing period').check();
    await free.getByRole('button', { name: 'Downgrade to Free' }).click();
    await page.waitForURL(/\/operations\/tenant-plan%2F/);
    // The page shows the change as it was when loaded: "being applied" until the workflow has
    // recorded the date it waits for (a busy worker may take a while), then "scheduled".
    const pending = page.getByTestId('plan-pending');
    await waitFor(
      'the downgrade scheduled on the plan page',
      async () => {
        await page.goto(`/tenants/${tenant.slug}/plan`);
        return (await pending.getByText(/at the end of the billing period/).count()) > 0;
      },
      90_000,
    );
    assert.ok(await page.getByTestId('plan-enterprise').getByRole('button').isDisabled(), 'one change at a time');
    await pending.getByRole('button', { name: 'Cancel the downgrade' }).click();
    await waitFor('the downgrade cancelled', async () => {
      const [row] = await platform.database.query<{ status: string }>(
        `SELECT status FROM plan_changes WHERE tenant_id = $1 AND number = 1`,
        [tenant.id],
      );
      return row?.status === 'cancelled';
    });

    await page.goto(`/tenants/${tenant.slug}/plan`);
    const enterprise = page.getByTestId('plan-enterprise');
    await enterprise.getByTestId('plan-enterprise-needs-approval').waitFor();
    await enterprise.getByRole('button', { name: 'Upgrade to Enterprise' }).click();
    await page.waitForURL(/\/operations\/tenant-plan%2F/);
    const operationUrl = page.url();
    // Enterprise needs a platform admin's approval, as signing up on it does: the plan page says
    // the change waits for one (once the workflow has opened the request).
    await waitFor(
      'the upgrade awaiting approval on the plan page',
      async () => {
        await page.goto(`/tenants/${tenant.slug}/plan`);
        return (await page.getByTestId('plan-pending-approval').count()) > 0;
      },
      90_000,
    );
    await page.screenshot({ path: `${SCREENSHOTS}plan-awaiting-approval.png`, fullPage: true });
    // Another platform admin approves it (the admin who asked may not).
    const approver = await seedUser(platform.database, { email: 'approver@billing-panel.test', platformAdmin: true });
    const queue = await request(platform.baseUrl, 'GET', '/api/v1/approvals?kind=plan-change', {
      headers: approver.headers,
    });
    const approval = queue.body.approvals.find((a: { tenant: { slug: string } }) => a.tenant.slug === tenant.slug);
    assert.ok(approval, JSON.stringify(queue.body));
    const approved = await request(
      platform.baseUrl,
      'POST',
      `/api/v1/tenants/${tenant.slug}/approvals/${approval.id}/approve`,
      { headers: approver.headers, json: {} },
    );
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    await page.goto(operationUrl);
    await page.locator('[data-testid="operation-status"][data-status="completed"]').waitFor({ timeout: 60_000 });
    // Tracing is off in this platform: the operation page says so calmly, not as an error.
    await page.getByTestId('trace-off').waitFor();
    await page.screenshot({ path: `${SCREENSHOTS}plan-upgraded-operation.png`, fullPage: true });
    await page.goto(`/tenants/${tenant.slug}/plan`);
    await page.getByTestId('plan-enterprise').getByText('Current plan').waitFor();
    const history = (await page.getByTestId('plan-history').textContent()) ?? '';
    assert.match(history, /team → enterprise/);
    assert.match(history, /cancelled/);

    // Usage the tenant's systems report with an API key appears as a chart per meter. Before
    // it, only what Atrium counts itself is there: its workflow runs (provisioning, the plan
    // changes), once the worker has written them (every USAGE_METERING_INTERVAL).
    await waitFor('the workflow runs on the plan page', async () => {
      await page.goto(`/tenants/${tenant.slug}/plan`);
      return (await page.locator('[data-testid="usage-meter"][data-meter="workflow.runs"]').count()) > 0;
    });
    assert.equal(await page.locator('[data-testid="usage-meter"][data-meter="compute.seconds"]').count(), 0);
    const key = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${tenant.slug}/api-keys`, {
      headers: platform.admin.headers,
      json: { name: 'metering', role: 'developer' },
    });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    const reported = await request(platform.baseUrl, 'POST', '/api/v1/usage', {
      headers: { authorization: `Bearer ${key.body.key}` },
      json: {
        events: [
          { id: 'job-1', meter: 'compute.seconds', quantity: 20, timestamp: daysAgo(2) },
          { id: 'job-2', meter: 'compute.seconds', quantity: 12, timestamp: daysAgo(1) },
          { id: 'job-3', meter: 'compute.seconds', quantity: 10, timestamp: daysAgo(0) },
        ],
      },
    });
    assert.equal(reported.status, 202, JSON.stringify(reported.body));
    for (const width of [1400, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`/tenants/${tenant.slug}/plan`);
      const compute = page.locator('[data-testid="usage-meter"][data-meter="compute.seconds"]');
      await compute.waitFor();
      assert.equal((await compute.getByTestId('usage-total').textContent())?.trim(), '42 seconds');
      const bars = compute.getByTestId('usage-bar');
      const heights = await bars.evaluateAll((nodes) => nodes.map((node) => Number(node.getAttribute('height'))));
      assert.equal(heights.filter((height) => height > 0).length, 3, 'a bar for each day with usage');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `the plan page is ${overflow}px wider than the screen at ${width}`);
      await page.screenshot({ path: `${SCREENSHOTS}plan-usage-${width}.png`, fullPage: true });
    }
  });
});
