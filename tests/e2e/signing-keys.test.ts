// The admin console's signing-keys page in Chromium (docs/decisions/0030, 0038): a platform admin
// opens it from the navigation and sees both keyrings, each with its current key, and the live
// API process signing with it; a rotation policy under the minimum is refused at the field and
// nothing changes, a valid one shows its next rotations; "Rotate now" for access tokens is
// confirmed and the page follows the rotation until a new key signs everywhere; while another
// rotation is under way "Rotate now" shows the API's refusal; at 390 px nothing scrolls
// sideways. Anyone but a platform admin gets the 404 page. Tokens live 10 s here and processes
// reread the keyring every 500 ms, so a rotation takes seconds.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { SigningKeyPolicies, SigningKeysOverview } from '../../contracts/secret-rotation.ts';
import { request } from '../support/api-client.ts';
import {
  isCspViolation,
  launchChromium,
  scrollsSideways,
  signInThroughPortal,
  visibleErrorPage,
  waitForHydration,
} from '../support/browser.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

describe('portal: the platform’s signing keys', () => {
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

  // Tokens live 10 s here: sign in afresh for each API call.
  const headersOf = async (user: TestUser) => {
    const answer = await request(platform.baseUrl, 'POST', '/api/v1/auth/login', {
      json: { email: user.email, password: user.password },
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return { authorization: `Bearer ${answer.body.accessToken as string}` };
  };
  const keyringOf = async (purpose: string) => {
    const answer = await request<SigningKeysOverview>(
      platform.baseUrl,
      'GET',
      `/api/v1/admin/signing-keys?purpose=${purpose}`,
      { headers: await headersOf(platform.admin) },
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  };
  const accessTokenPolicy = async () => {
    const answer = await request<SigningKeyPolicies>(platform.baseUrl, 'GET', '/api/v1/admin/signing-keys/policies', {
      headers: await headersOf(platform.admin),
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.policies.find((policy) => policy.purpose === 'access-tokens');
  };

  before(async () => {
    platform = await startPlatform({
      portal: true,
      env: {
        ACCESS_TOKEN_TTL: '10s',
        SIGNING_KEYS_RELOAD_INTERVAL: '500ms',
        SIGNING_KEY_DISTRIBUTION_TIMEOUT: '5s',
        JWKS_MAX_AGE: '1s',
        SIGNING_KEY_ROTATION_MINIMUM: '2h',
        LOGIN_RATE_LIMIT: '10000',
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

  const keyring = (page: Page, purpose: string): Locator =>
    page.locator(`[data-testid="signing-keyring"][data-purpose="${purpose}"]`);
  const currentKid = async (section: Locator) => {
    const current = section.locator('[data-testid="signing-key"][data-state="current"]');
    assert.equal(await current.count(), 1);
    return (await current.getAttribute('data-kid'))!;
  };

  it('shows both keyrings, refuses a short policy at the field, sets one and rotates to a new key', async () => {
    const page = await newPage();
    await signInThroughPortal(page, platform.admin.email, platform.admin.password);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Signing keys' }).click();
    await page.waitForURL('**/admin/signing-keys');
    await waitForHydration(page);

    const accessTokens = keyring(page, 'access-tokens');
    const licenses = keyring(page, 'licenses');
    await accessTokens.getByRole('heading', { name: 'Access tokens' }).waitFor();
    await licenses.getByRole('heading', { name: 'Licenses' }).waitFor();
    const initialKid = await currentKid(accessTokens);
    assert.ok((await currentKid(licenses)).length > 0);
    // The API process answering signs with the current key, and holds the keyring's version.
    const processes = accessTokens.getByTestId('api-process');
    assert.ok((await processes.count()) >= 1);
    await accessTokens.getByTestId('api-process-signs').filter({ hasText: initialKid }).first().waitFor();
    assert.match(await accessTokens.getByTestId('processes-summary').innerText(), /^(\d+) of \1 live API process/);

    // Under the minimum (2 hours here): refused at the field, the policy stays off.
    const policy = accessTokens.getByRole('form', { name: 'Access tokens rotation policy' });
    await policy.getByRole('textbox', { name: 'Rotate every' }).fill('1');
    await policy.getByRole('combobox', { name: 'Unit' }).selectOption('hours');
    await policy.getByRole('button', { name: 'Turn on' }).click();
    await policy.locator('input[name="every"][aria-invalid="true"]').waitFor();
    await policy.getByText(/Must be at least 7200/).waitFor();
    assert.match(await accessTokens.getByTestId('policy-summary').innerText(), /^Off/);
    assert.equal((await accessTokenPolicy())?.everySeconds ?? null, null, 'nothing changed');

    await policy.getByRole('textbox', { name: 'Rotate every' }).fill('30');
    await policy.getByRole('combobox', { name: 'Unit' }).selectOption('days');
    await policy.getByRole('button', { name: 'Turn on' }).click();
    await accessTokens.getByTestId('policy-summary').getByText('Rotated every 30 days').waitFor();
    const next = accessTokens.getByTestId('next-rotations').locator('time');
    await next.first().waitFor();
    assert.equal((await accessTokenPolicy())?.everySeconds, 30 * 86_400);

    // Rotate now: confirmed, followed until only the new key is left and every process signs with it.
    await accessTokens.getByRole('button', { name: 'Rotate now…' }).click();
    await accessTokens.getByRole('button', { name: 'Confirm rotation' }).click();
    await accessTokens.getByTestId('rotation-started').waitFor();
    const operationHref = await accessTokens.getByTestId('rotation-started').getByRole('link').getAttribute('href');
    assert.match(operationHref ?? '', /^\/operations\/signing-key-rotate/);
    // New key published, then the old one retiring for a token lifetime: the page shows it under way.
    await accessTokens.getByTestId('rotation-progress').waitFor();
    await accessTokens.getByTestId('rotation-finished').waitFor({ timeout: 120_000 });
    const newKid = await currentKid(accessTokens);
    assert.notEqual(newKid, initialKid);
    assert.equal(await accessTokens.getByTestId('signing-key').count(), 1, 'the old key is gone');
    await accessTokens.getByTestId('api-process-signs').filter({ hasText: newKid }).first().waitFor();
    assert.equal((await keyringOf('access-tokens')).keys[0]!.kid, newKid);
  });

  it('shows the API’s refusal while a rotation is under way, and fits a phone', async () => {
    const page = await newPage();
    await signInThroughPortal(page, platform.admin.email, platform.admin.password);
    const started = await request(platform.baseUrl, 'POST', '/api/v1/admin/signing-keys/rotations', {
      headers: await headersOf(platform.admin),
      json: { purpose: 'access-tokens' },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    // Under way once its new key is published.
    for (let i = 0; (await keyringOf('access-tokens')).keys.length < 2; i++) {
      assert.ok(i < 60, 'the rotation publishes its new key');
      await sleep(500);
    }
    await page.goto('/admin/signing-keys');
    await waitForHydration(page);
    const accessTokens = keyring(page, 'access-tokens');
    await accessTokens.getByTestId('rotation-progress').waitFor();
    await accessTokens.getByRole('button', { name: 'Rotate now…' }).click();
    await accessTokens.getByRole('button', { name: 'Confirm rotation' }).click();
    await accessTokens
      .getByTestId('rotate-problem')
      .getByText(/A signing-key rotation is under way/)
      .waitFor();
    // The page keeps following the rotation (it reloads its data every 2 s); the refusal stays.
    await page.waitForTimeout(4_500);
    assert.equal(await accessTokens.getByTestId('rotate-problem').count(), 1);

    await page.setViewportSize({ width: 390, height: 844 });
    assert.equal(await scrollsSideways(page), false, 'no sideways scroll at 390 px while rotating');
    // The page follows the rotation to its end by itself.
    await page.locator('[data-testid="signing-keyring"][data-purpose="access-tokens"][data-rotating="false"]').waitFor({
      timeout: 120_000,
    });
    await page.reload();
    await keyring(page, 'licenses').getByTestId('signing-key').first().waitFor();
    assert.equal(await scrollsSideways(page), false, 'no sideways scroll at 390 px');
  });

  it('is the 404 page for anyone but platform admins', async () => {
    const member = await seedUser(platform.database, { email: 'member@signing-keys-page.test' });
    const page = await newPage();
    await signInThroughPortal(page, member.email, member.password);
    await page.goto('/admin/signing-keys');
    await visibleErrorPage(page).getByText('Page not found').waitFor();
    assert.equal(
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Signing keys' }).count(),
      0,
    );
    assert.equal(await page.getByTestId('signing-keyring').count(), 0);
  });
});
