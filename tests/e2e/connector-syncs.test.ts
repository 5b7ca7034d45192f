// Connecting and syncing in the portal, in Debian's Chromium: an owner presses Connect, signs in
// and consents on the provider's own pages (oidc-provider on loopback), comes back through the
// portal's callback to an active connection; sees the syncs' empty state, is told the interval is
// below the platform's minimum (the field named), adds a sync, pauses it, runs it now and sees the
// run's counts; at phone width (390 px) the page does not scroll sideways and the sync's controls
// are there.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { isCspViolation, launchChromium, signInThroughPortal } from '../support/browser.ts';
import type { ConnectorTestProvider } from '../support/connector-provider.ts';
import { startConnectorProvider } from '../support/connector-provider.ts';
import { freePort } from '../../scripts/free-port.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { ResourceServer } from '../support/resource-server.ts';
import { startResourceServer } from '../support/resource-server.ts';
import { waitFor } from '../support/wait-for.ts';

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
    // The provider sends the browser back to PUBLIC_URL's callback: the portal must be there.
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    provider = await startConnectorProvider({ redirectUris: [`${publicUrl}/connectors/callback`] });
    api = await startResourceServer({
      provider,
      records: [1, 2, 3].map((n) => ({ id: `r-${n}`, name: `Record ${n}` })),
      pageSize: 2,
    });
    platform = await startPlatform({
      portal: true,
      env: {
        PORT: String(port),
        PUBLIC_URL: publicUrl,
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
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await platform?.stop();
    await api?.stop();
    await provider?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  it('connects through the provider’s sign-in and consent pages to an active connection (desktop)', async () => {
    const page = await pageFor(owner, { width: 1280, height: 900 });
    await page.goto(`/tenants/${slug}/connectors`);
    await page.getByTestId('connections-empty').waitFor();
    await page.getByRole('button', { name: 'Connect Records API' }).click();

    // The provider's own pages (oidc-provider's sign-in, then consent), on its own origin.
    await page.waitForURL((url) => url.origin === provider.issuer);
    const signIn = page.locator('form:has(input[name="prompt"][value="login"])');
    await signIn.locator('input[name="login"]').fill('sub-ui');
    await signIn.locator('input[name="password"]').fill('any');
    await signIn.locator('button[type="submit"]').click();
    const consent = page.locator('form:has(input[name="prompt"][value="consent"])');
    await consent.waitFor({ state: 'attached' });
    await consent.locator('button[type="submit"]').click();

    // Back through the portal's callback to the connection's page, which follows it to active.
    await page.waitForURL(new RegExp(`/tenants/${slug}/connections/[0-9a-f-]{36}$`));
    connectionId = new URL(page.url()).pathname.split('/').at(-1)!;
    await page.locator('[data-testid="connection-status"][data-status="active"]').waitFor({ timeout: 60_000 });
    await page.getByTestId('connection-account').waitFor();
    const stored = await platform.database.query<{ status: string; token_path: string | null }>(
      `SELECT status, token_path FROM connector_connections WHERE id = $1`,
      [connectionId],
    );
    assert.equal(stored[0]?.status, 'active');
    assert.ok(stored[0]?.token_path, 'its tokens are in the secret store');
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
    // The page shows what it loaded: reload until the run has finished and the connection says so.
    await waitFor('the run’s counts and the last sync on the page', async () => {
      await page.reload();
      const counts = page.getByTestId('sync-run-counts');
      return (
        (await counts.count()) > 0 &&
        /3 fetched · 3 new/.test((await counts.first().textContent()) ?? '') &&
        (await page.getByTestId('connection-last-sync').count()) > 0
      );
    });
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
