// A connection's syncs in the portal, in Debian's Chromium: an owner sees the empty state, is told
// the interval is below the platform's minimum (the field named), adds a sync, pauses it, runs it
// now and sees the run's counts; at phone width (390 px) the page does not scroll sideways and the
// sync's controls are there.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { isCspViolation, launchChromium, signInThroughPortal } from '../support/browser.ts';
import type { ConnectorTestProvider } from '../support/connector-provider.ts';
import { startConnectorProvider } from '../support/connector-provider.ts';
import { connectThroughProvider } from '../support/connectors.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { ResourceServer } from '../support/resource-server.ts';
import { startResourceServer } from '../support/resource-server.ts';
import { waitFor } from '../support/wait-for.ts';

// PUBLIC_URL's default: the redirect URI the API registers with providers.
const REDIRECT_URI = 'http://127.0.0.1:3000/connectors/callback';

describe('portal: a connection’s syncs', () => {
  let platform: Platform;
  let browser: Browser;
  let provider: ConnectorTestProvider;
  let api: ResourceServer;
  let owner: TestUser;
  let slug: string;
  let connectionId: string;
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
    provider = await startConnectorProvider({ redirectUris: [REDIRECT_URI] });
    api = await startResourceServer({
      provider,
      records: [1, 2, 3].map((n) => ({ id: `r-${n}`, name: `Record ${n}` })),
      pageSize: 2,
    });
    platform = await startPlatform({
      portal: true,
      env: {
        LOGIN_RATE_LIMIT: '1000',
        OUTBOUND_ALLOW_LOOPBACK: 'true',
        CONNECTOR_ALLOW_INSECURE_PROVIDERS: 'true',
        CONNECTOR_SYNC_MIN_INTERVAL: '2s',
      },
    });
    browser = await launchChromium();
    owner = await seedUser(platform.database, { email: 'owner@syncs-ui.test' });
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: uniqueSlug('syncs-ui'), name: 'Syncs UI', ownerEmail: 'owner@syncs-ui.test' },
    });
    await waitForOperation(platform, created.body.operation.id);
    slug = created.body.tenant.slug;
    await platform.database.query(
      `INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner') ON CONFLICT DO NOTHING`,
      [created.body.tenant.id, owner.userId],
    );
    const defined = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/connectors/providers`, {
      headers: owner.headers,
      json: {
        name: 'Records API',
        issuer: provider.issuer,
        apiBaseUrl: api.apiBaseUrl,
        scopes: ['openid', 'email', 'offline_access'],
        authorizationParams: { prompt: 'consent' },
        clientId: provider.clientId,
        clientSecret: provider.clientSecret,
      },
    });
    assert.equal(defined.status, 201, JSON.stringify(defined.body));
    const { started, operation } = await connectThroughProvider(platform, owner, slug, provider, defined.body.id, 'ui');
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    connectionId = started.connection.id;
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await platform?.stop();
    await api?.stop();
    await provider?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  it('adds a sync (refusing a too-short interval), pauses it, runs it now and shows the counts (desktop)', async () => {
    const page = await pageFor(owner, { width: 1280, height: 900 });
    await page.goto(`/tenants/${slug}/connections/${connectionId}`);
    await page.getByTestId('syncs-empty').waitFor();

    const form = page.getByTestId('sync-form');
    await form.getByRole('textbox', { name: 'Name' }).fill('Records');
    await form.getByRole('textbox', { name: 'Resource path' }).fill('/records');
    await form.getByRole('textbox', { name: 'Every (seconds)' }).fill('1');
    await form.getByRole('button', { name: 'Add sync' }).click();
    await form.getByText('Must be at least 2 (seconds).').waitFor();

    await form.getByRole('textbox', { name: 'Every (seconds)' }).fill('3600');
    await form.getByRole('button', { name: 'Add sync' }).click();
    const card = page.getByTestId('sync-card');
    await card.waitFor();
    assert.equal((await card.getByTestId('sync-schedule').textContent())?.trim(), 'active');

    await card.getByRole('button', { name: 'Pause Records' }).click();
    await card.getByRole('button', { name: 'Resume Records' }).waitFor();
    assert.equal((await card.getByTestId('sync-schedule').textContent())?.trim(), 'paused');

    await card.getByRole('button', { name: 'Run Records now' }).click();
    await waitFor('the run’s counts on the page', async () => {
      await page.reload();
      const counts = page.getByTestId('sync-run-counts');
      return (await counts.count()) > 0 && /3 fetched · 3 new/.test((await counts.first().textContent()) ?? '');
    });
    await page.getByTestId('connection-last-sync').waitFor();
  });

  it('works at phone width', async () => {
    const page = await pageFor(owner, { width: 390, height: 844 });
    await page.goto(`/tenants/${slug}/connections/${connectionId}`);
    const card = page.getByTestId('sync-card');
    await card.waitFor();
    await card.getByRole('button', { name: 'Run Records now' }).waitFor();
    await page.getByTestId('sync-form').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
  });
});
