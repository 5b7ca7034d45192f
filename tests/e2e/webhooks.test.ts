// The Webhooks tab in Debian's Chromium, against a real receiver on loopback that verifies
// every request with the `standardwebhooks` library: an owner adds an endpoint (mistakes shown
// by the field: the browser's schema, then the API's outbound guard), sees its signing secret
// once, sends a test event and sees the receiver's answer, finds the delivery in the log and
// replays it from there (the receiver gets the same webhook-id again); a developer sees the
// same pages read-only. Screenshots at 1,400 and 390 px, with no sideways scrolling on either.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { isCspViolation, launchChromium, signInThroughPortal, waitForHydration } from '../support/browser.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { WebhookReceiver } from '../support/webhook-receiver.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

const SCREENSHOTS = new URL('../../test-results/screenshots/webhooks/', import.meta.url);

describe('portal: webhooks', () => {
  let platform: Platform;
  let browser: Browser;
  let receiver: WebhookReceiver;
  let owner: TestUser;
  let developer: TestUser;
  let slug: string;
  let endpointPath = '';
  const problems: string[] = [];

  before(async () => {
    receiver = await startWebhookReceiver();
    receiver.answerBody = 'thanks from the receiver';
    platform = await startPlatform({
      portal: true,
      env: {
        LOGIN_RATE_LIMIT: '1000',
        // The receiver is on loopback, over http: allowed only in development, as here.
        OUTBOUND_ALLOW_LOOPBACK: 'true',
        WEBHOOK_ALLOW_INSECURE_URLS: 'true',
        WEBHOOK_DISPATCH_INTERVAL: '100ms',
        WEBHOOK_RETRY_INITIAL_INTERVAL: '200ms',
      },
    });
    browser = await launchChromium();
    slug = uniqueSlug('hooks-ui');
    owner = await seedUser(platform.database, { email: `owner@${slug}.test` });
    developer = await seedUser(platform.database, { email: `dev@${slug}.test` });
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Hooks UI', ownerEmail: owner.email },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForOperation(platform, created.body.operation.id);
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'developer')`, [
      created.body.tenant.id,
      developer.userId,
    ]);
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await platform?.stop();
    await receiver?.stop();
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

  /** A full-page screenshot, and the page must not scroll sideways. */
  async function shot(page: Page, name: string): Promise<void> {
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      innerWidth: window.innerWidth,
    }));
    assert.ok(scrollWidth <= innerWidth, `${name}: the page scrolls sideways (${scrollWidth} > ${innerWidth})`);
    await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: true });
  }

  it('adds an endpoint, shows its secret once, sends a test event and replays it from the log (1,400 px)', async () => {
    const page = await signedIn(owner, 1400);
    try {
      await page.goto(`/tenants/${slug}`);
      await page.getByRole('tab', { name: 'Webhooks' }).click();
      await page.waitForURL(`**/tenants/${slug}/webhooks`);
      await page.getByTestId('webhooks-empty').waitFor();
      await waitForHydration(page);
      await shot(page, 'list-empty-1400');

      const form = page.getByRole('form', { name: 'Add a webhook endpoint' });
      // The browser's check (the API's own schema): no event type ticked.
      await form.getByRole('textbox', { name: 'Endpoint URL' }).fill(receiver.url);
      await form.getByRole('button', { name: 'Add endpoint' }).click();
      await page.getByTestId('event-types-error').getByText('Choose at least one event type.').waitFor();
      // The API's check, shown by the field it names: the cloud's metadata address.
      await form.getByRole('textbox', { name: 'Endpoint URL' }).fill('http://169.254.169.254/latest');
      await form.getByRole('checkbox', { name: 'api_key.created' }).check();
      await form.getByRole('button', { name: 'Add endpoint' }).click();
      await form.getByText(/169\.254\.169\.254.*metadata/).waitFor();
      assert.equal(await page.getByTestId('webhook-secret').count(), 0);

      await form.getByRole('textbox', { name: 'Endpoint URL' }).fill(receiver.url);
      await form.getByRole('textbox', { name: 'Description' }).fill('Our CI listener');
      await form.getByRole('checkbox', { name: 'member.removed' }).check();
      await form.getByRole('button', { name: 'Add endpoint' }).click();
      const secret = ((await page.getByTestId('webhook-secret-value').textContent()) ?? '').trim();
      assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
      receiver.secrets = [secret];
      const row = page.locator(`[data-testid="webhook-row"][data-url="${receiver.url}"]`);
      await row.getByTestId('endpoint-status').getByText('enabled').waitFor();
      await shot(page, 'list-created-1400');
      // Shown once: a reload never shows it again.
      await page.reload();
      await row.waitFor();
      assert.equal(await page.getByTestId('webhook-secret').count(), 0);
      assert.ok(!(await page.content()).includes(secret.slice('whsec_'.length)));

      await row.getByRole('link', { name: receiver.url }).click();
      await page.waitForURL(`**/tenants/${slug}/webhooks/*`);
      endpointPath = new URL(page.url()).pathname;
      await page.getByTestId('delivery-log-empty').waitFor();
      await waitForHydration(page);

      await page.getByRole('button', { name: 'Send test event' }).click();
      const result = page.getByTestId('test-send-result');
      await result.waitFor();
      assert.equal(await result.getAttribute('data-outcome'), 'delivered');
      assert.equal(await result.getByTestId('test-send-status').innerText(), '200');
      assert.equal(await result.getByTestId('test-send-response').innerText(), 'thanks from the receiver');
      assert.equal(receiver.requests.length, 1);
      const [test] = receiver.requests;
      assert.equal(test!.verifiedWith, 0, 'standardwebhooks verifies the test event');
      assert.equal(JSON.parse(test!.body).type, 'webhook.test');
      const eventId = test!.headers['webhook-id'] as string;

      // The delivery log shows it (the page reloaded its data after the send).
      const logged = page.locator(`[data-testid="delivery-row"][data-event-id="${eventId}"]`);
      await logged.first().waitFor();
      assert.equal(await logged.first().getAttribute('data-kind'), 'test');
      await shot(page, 'endpoint-tested-1400');

      // Replay it from its row: the receiver gets the same webhook-id again, verified.
      await logged
        .first()
        .getByRole('button', { name: `Replay event ${eventId}` })
        .click();
      await page.getByTestId('row-replay-started').waitFor();
      for (let i = 0; receiver.requests.length < 2 && i < 300; i += 1) await page.waitForTimeout(100);
      const again = receiver.requests[1];
      assert.equal(again?.headers['webhook-id'], eventId, 'the same webhook-id');
      assert.equal(again?.verifiedWith, 0);
      // The replay's attempt joins the log (Refresh shows attempts made since the page loaded).
      const replayed = page.locator(`[data-testid="delivery-row"][data-event-id="${eventId}"][data-kind="replay"]`);
      for (let i = 0; (await replayed.count()) === 0 && i < 50; i += 1) {
        await page.getByTestId('delivery-log-refresh').click();
        await page.waitForTimeout(200);
      }
      await replayed.waitFor();
      assert.equal(await replayed.getAttribute('data-outcome'), 'delivered');
      await shot(page, 'endpoint-replayed-1400');
    } finally {
      await page.context().close();
    }
  });

  it('fits a phone (390 px): the list and the endpoint page with its log', async () => {
    assert.ok(endpointPath, 'the endpoint from the test before');
    const page = await signedIn(owner, 390);
    try {
      // Cards instead of tables on a phone.
      await page.goto(`/tenants/${slug}/webhooks`);
      await page.getByTestId('webhook-card').first().waitFor();
      assert.equal(await page.getByTestId('webhooks-table').isVisible(), false);
      await shot(page, 'list-390');
      await page.goto(endpointPath);
      await page.getByTestId('delivery-card').first().waitFor();
      assert.equal(await page.getByTestId('delivery-log').isVisible(), false);
      assert.deepEqual(
        await page.getByTestId('delivery-card').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-kind'))),
        ['replay', 'test'],
      );
      await page.getByRole('button', { name: 'Send test event' }).waitFor();
      await shot(page, 'endpoint-390');
    } finally {
      await page.context().close();
    }
  });

  it('shows a developer the endpoint and its log, read-only', async () => {
    const page = await signedIn(developer, 390);
    try {
      await page.goto(`/tenants/${slug}/webhooks`);
      await page.getByTestId('read-only-note').waitFor();
      assert.equal(await page.getByRole('form', { name: 'Add a webhook endpoint' }).count(), 0);
      await page.goto(endpointPath);
      await page.getByTestId('delivery-card').first().waitFor();
      assert.equal(await page.getByRole('button', { name: 'Send test event' }).count(), 0);
      assert.equal(await page.getByRole('button', { name: /^Replay event/ }).count(), 0);
      await shot(page, 'endpoint-developer-390');
    } finally {
      await page.context().close();
    }
  });

  it('replays a time range, rotates the secret, disables, enables and deletes the endpoint', async () => {
    assert.ok(endpointPath, 'the endpoint from the test before');
    // A real flow emits an event the endpoint subscribes to: creating an API key.
    const key = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/api-keys`, {
      headers: owner.headers,
      json: { name: 'range replay', role: 'viewer' },
    });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    for (let i = 0; receiver.requests.length < 3 && i < 300; i += 1) await new Promise((r) => setTimeout(r, 100));
    const keyEvent = receiver.requests[2];
    assert.equal(JSON.parse(keyEvent!.body).type, 'api_key.created');

    const page = await signedIn(owner, 1400);
    try {
      await page.goto(endpointPath);
      await waitForHydration(page);
      await page.getByRole('button', { name: 'Replay a time range' }).click();
      const range = page.getByRole('form', { name: 'Replay a time range' });
      // The browser's check: the range ends before it starts (named under "Up to").
      await range.getByLabel('From (UTC)').fill('2026-01-02T00:00:00');
      await range.getByLabel('Up to (UTC)').fill('2026-01-01T00:00:00');
      await range.getByRole('button', { name: 'Replay the range' }).click();
      await range.getByText('Must be after from.').waitFor();
      // The defaults (the last hour) hold the key's event, and the test event is no subscription.
      await page.reload();
      await waitForHydration(page);
      await page.getByRole('button', { name: 'Replay a time range' }).click();
      await range.getByRole('button', { name: 'Replay the range' }).click();
      await page.getByTestId('replay-started').getByText('The event goes').waitFor();
      for (let i = 0; receiver.requests.length < 4 && i < 300; i += 1) await page.waitForTimeout(100);
      assert.equal(receiver.requests[3]?.headers['webhook-id'], keyEvent!.headers['webhook-id']);
      assert.equal(receiver.requests[3]?.verifiedWith, 0);

      // A rotation: the new secret once, and until when the old one still signs.
      await page.getByRole('button', { name: 'Rotate secret' }).click();
      const rotated = ((await page.getByTestId('webhook-secret-value').textContent()) ?? '').trim();
      assert.match(rotated, /^whsec_/);
      assert.notEqual(rotated, receiver.secrets[0]);
      await page.getByTestId('previous-secret-expires').waitFor();
      receiver.secrets = [rotated];
      await page.getByRole('button', { name: 'Send test event' }).click();
      await page.getByTestId('test-send-result').waitFor();
      const signed = receiver.requests.at(-1)!;
      assert.equal(signed.verifiedWith, 0, 'the new secret verifies');
      assert.equal((signed.headers['webhook-signature'] as string).split(' ').length, 2, 'both sign meanwhile');

      await page.getByRole('button', { name: 'Disable' }).click();
      await page.getByTestId('endpoint-status').getByText('disabled').waitFor();
      await page.getByTestId('endpoint-status-reason').getByText('disabled by a member').waitFor();
      assert.equal(await page.getByRole('button', { name: /^Replay event/ }).count(), 0, 'no replay to a disabled one');
      await page.getByRole('button', { name: 'Enable' }).click();
      await page.getByTestId('endpoint-status').getByText('enabled').waitFor();

      await page.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('dialog', { name: 'Delete this endpoint' }).waitFor();
      await shot(page, 'endpoint-delete-1400');
      await page.getByRole('button', { name: 'Delete endpoint' }).click();
      await page.waitForURL(`**/tenants/${slug}/webhooks`);
      await page.getByTestId('webhooks-empty').waitFor();
    } finally {
      await page.context().close();
    }
  });
});
