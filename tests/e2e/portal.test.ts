// The portal in a real browser (Debian's Chromium through playwright-core) against the
// whole platform: API + portal in production mode, a worker, Temporal and Postgres.
// Creating a tenant lands on the live operation view, which must follow the workflow to
// completion over the event stream; a bad slug comes back as a field error. Pages carry a
// nonce-based content security policy, and no page may trip it.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { uniqueSlug } from '../support/api-client.ts';
import { testEnv } from '../support/env.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';

/**
 * How Chromium reports a content-security-policy violation on the console. Older versions
 * said "Refused to …"; today most read "… violates the following Content Security Policy
 * directive …" (only some, like a blocked fetch, still say "Refused to").
 */
const isCspViolation = (text: string) => /Content Security Policy|Refused to/i.test(text);

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-gpu',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

describe('portal', () => {
  let platform: Platform;
  let browser: Browser;
  let page: Page;
  let pageErrors: Error[];
  let cspViolations: string[];

  before(async () => {
    platform = await startPlatform({ portal: true });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await platform?.stop();
  });
  beforeEach(async () => {
    page = await browser.newPage({ baseURL: platform.baseUrl });
    page.setDefaultTimeout(30_000);
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error));
    cspViolations = [];
    page.on('console', (message) => {
      if (isCspViolation(message.text())) cspViolations.push(message.text());
    });
  });
  afterEach(async () => {
    await page?.close();
    assert.deepEqual(pageErrors.map(String), [], 'no uncaught errors in the page');
    assert.deepEqual(cspViolations, [], 'no content security policy violations');
  });

  async function fillCreateTenantForm(slug: string): Promise<void> {
    const form = page.getByRole('form', { name: 'Create tenant' });
    await form.getByLabel('Slug').fill(slug);
    await form.getByLabel('Name').fill('Portal Test Inc.');
    await form.getByLabel('Plan').selectOption('team');
    await form.getByLabel('Owner email').fill('owner@portal.test');
    await form.getByRole('button', { name: 'Create tenant' }).click();
  }

  it('creates a tenant and follows its provisioning live until it is active', async () => {
    const slug = uniqueSlug('portal');
    const operationId = `tenant-provision/${slug}`;

    await page.goto('/');
    assert.match(new URL(page.url()).pathname, /^\/tenants$/, '/ redirects to the tenants page');
    // With no worker polling, the operation cannot progress: the view must open on a
    // running operation, and only the event stream can bring it to completion.
    await platform.worker.stop();
    await fillCreateTenantForm(slug);

    await page.waitForURL(`**/operations/${encodeURIComponent(operationId)}`);
    assert.equal(await page.getByTestId('operation-view').getAttribute('data-operation-id'), operationId);
    assert.equal(await page.getByTestId('operation-status').getAttribute('data-status'), 'running');
    await page.evaluate(() => Object.assign(window, { sameDocument: true }));

    await platform.startWorker();
    await page.locator('[data-testid="operation-status"][data-status="completed"]').waitFor({ timeout: 90_000 });
    assert.equal(
      await page.evaluate(() => 'sameDocument' in window),
      true,
      'the view updated in place, without a reload',
    );
    const steps = await page
      .getByTestId('operation-step')
      .evaluateAll((items) => items.map((item) => [item.getAttribute('data-step'), item.getAttribute('data-status')]));
    assert.ok(steps.length > 0, 'the steps are shown');
    for (const [name, status] of steps) assert.equal(status, 'completed', `step ${name}`);

    const temporalUi = await page.getByRole('link', { name: 'Open in Temporal UI' }).getAttribute('href');
    assert.ok(
      temporalUi?.startsWith(
        `${testEnv.ATRIUM_TEST_TEMPORAL_UI_URL.replace(/\/$/, '')}/namespaces/default/workflows/${encodeURIComponent(operationId)}/`,
      ),
      `Temporal UI link: ${temporalUi}`,
    );

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tenants' }).click();
    const row = page.locator(`[data-testid="tenant-row"][data-slug="${slug}"]`);
    assert.equal(await row.getByTestId('tenant-status').textContent(), 'active');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operations' }).click();
    await page.locator(`[data-testid="operation-row"][data-operation-id="${operationId}"]`).getByRole('link').click();
    await page.waitForURL(`**/operations/${encodeURIComponent(operationId)}`);
    assert.equal(await page.getByTestId('operation-status').getAttribute('data-status'), 'completed');
  });

  it('shows the API’s validation error on the slug field', async () => {
    await page.goto('/tenants');
    await fillCreateTenantForm('Not A Slug');

    const error = page.getByTestId('slug-error');
    assert.match((await error.textContent()) ?? '', /lowercase/i);
    assert.equal(await page.getByLabel('Slug').getAttribute('aria-invalid'), 'true');
    assert.equal(new URL(page.url()).pathname, '/tenants');
  });

  it('answers unknown pages with a 404 inside the app', async () => {
    const response = await page.goto('/no-such-page');
    assert.equal(response?.status(), 404);
    await page.getByTestId('error-page').getByText('Page not found').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
  });

  it('sends pages a nonce-based content security policy, a fresh nonce per response', async () => {
    const first = await fetch(new URL('/tenants', platform.baseUrl));
    const second = await fetch(new URL('/tenants', platform.baseUrl));
    const nonces: string[] = [];
    for (const response of [first, second]) {
      assert.equal(response.status, 200);
      const policy = response.headers.get('content-security-policy') ?? '';
      const nonce = /script-src 'self' 'nonce-([A-Za-z0-9+/]{22}==)'/.exec(policy)?.[1];
      assert.ok(nonce, `script-src allows a nonce: ${policy}`);
      assert.match(policy, /(^|; )default-src 'self'(;|$)/);
      assert.match(policy, /(^|; )object-src 'none'(;|$)/);
      assert.match(policy, /(^|; )frame-ancestors 'none'(;|$)/);
      assert.doesNotMatch(policy, /ws:/, 'no live-reload socket in production');
      // Every inline script in the document carries this response's nonce.
      const inlineScripts = [...(await response.text()).matchAll(/<script\b(?![^>]*\bsrc=)[^>]*>/g)].map(
        ([tag]) => tag,
      );
      assert.ok(inlineScripts.length > 0, 'the page has inline scripts');
      for (const tag of inlineScripts) assert.ok(tag.includes(`nonce="${nonce}"`), `nonce on ${tag}`);
      nonces.push(nonce);
    }
    assert.notEqual(nonces[0], nonces[1], 'each response gets its own nonce');

    const api = await fetch(new URL('/api/v1/tenants', platform.baseUrl));
    const apiPolicy = api.headers.get('content-security-policy') ?? '';
    assert.match(apiPolicy, /(^|;)default-src 'none'(;|$)/, `the API keeps its own policy: ${apiPolicy}`);
    assert.doesNotMatch(apiPolicy, /nonce-/);
  });

  it('refuses an inline script without the nonce (and the test notices)', async () => {
    await page.goto('/tenants');
    await page.getByRole('form', { name: 'Create tenant' }).waitFor();
    const refused = page.waitForEvent('console', (message) => isCspViolation(message.text()));
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.injected = true;';
      document.body.append(script);
    });
    assert.match((await refused).text(), /inline script/);
    assert.equal(await page.evaluate(() => 'injected' in window), false, 'the injected script did not run');
    assert.equal(cspViolations.length, 1, 'the console listener saw the violation');
    cspViolations = [];
  });
});
