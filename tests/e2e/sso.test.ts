// Single sign-on in Debian's Chromium against oidc-provider on loopback: an owner
// configures the provider and verifies the domain from the mailed link; a new person signs
// in through "Sign in with single sign-on", passes the provider's login and consent pages
// and lands in the tenant as a member; on a plan without single sign-on, the sign-in page
// shows why it is refused; with SSO required, a password sign-in at the domain is sent to
// single sign-on instead.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { freePort } from '../../scripts/free-port.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { isCspViolation, launchChromium, signInThroughPortal } from '../support/browser.ts';
import type { OidcTestProvider } from '../support/oidc-provider.ts';
import { startOidcProvider } from '../support/oidc-provider.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';

describe('portal: single sign-on', () => {
  let platform: Platform;
  let browser: Browser;
  let smtp: SmtpCapture;
  let idp: OidcTestProvider;
  let owner: TestUser;
  let ownerPage: Page;
  let slug: string;
  let domain: string;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  async function newPage(viewport?: { width: number; height: number }): Promise<Page> {
    const context = await browser.newContext({ baseURL: platform.baseUrl, ...(viewport ? { viewport } : {}) });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('console', (message) => {
      // Only the portal's own pages have a policy to violate; the provider's are not ours.
      if (isCspViolation(message.text()) && page.url().startsWith(platform.baseUrl)) problems.push(message.text());
    });
    return page;
  }

  before(async () => {
    // The redirect URI registered at the provider must be the portal's real address.
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    smtp = await startSmtpCapture();
    idp = await startOidcProvider({ redirectUris: [`${publicUrl}/sso/callback`] });
    platform = await startPlatform({
      portal: true,
      env: {
        PORT: String(port),
        PUBLIC_URL: publicUrl,
        SMTP_URL: smtp.url,
        SSO_ALLOW_INSECURE_ISSUERS: 'true',
        // The provider runs on loopback, which the outbound guard refuses unless told otherwise.
        OUTBOUND_ALLOW_LOOPBACK: 'true',
        LOGIN_RATE_LIMIT: '1000',
      },
    });
    browser = await launchChromium();
    slug = uniqueSlug('sso-ui');
    domain = `${slug}.test`;
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'SSO UI', ownerEmail: `owner@${domain}` },
    });
    await waitForOperation(platform, created.body.operation.id);
    // Single sign-on is the enterprise plan's (the `sso` feature).
    await platform.database.query(`UPDATE tenants SET plan = 'enterprise' WHERE id = $1`, [created.body.tenant.id]);
    // The owner's address is elsewhere: requiring SSO must not lock the owner's password out.
    owner = await seedUser(platform.database, { email: `owner@owner-${slug}.test` });
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      created.body.tenant.id,
      owner.userId,
    ]);
    idp.people.set('alice', { email: `alice@${domain}`, name: 'Alice Browser' });
    ownerPage = await newPage();
    await signInThroughPortal(ownerPage, owner.email, owner.password);
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await platform?.stop();
    await idp?.stop();
    await smtp?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  it('on a plan without single sign-on, says which plan has it and disables saving and adding a domain', async () => {
    await platform.database.query(`UPDATE tenants SET plan = 'team' WHERE slug = $1`, [slug]);
    try {
      const page = ownerPage;
      await page.goto(`/tenants/${slug}/sso`);
      await page.getByTestId('sso-plan-gate').getByText('Single sign-on comes with the enterprise plan').waitFor();
      const form = page.getByRole('form', { name: 'Identity provider' });
      assert.equal(await form.getByRole('button', { name: 'Save' }).isDisabled(), true);
      assert.equal(await form.getByRole('textbox', { name: 'Issuer URL' }).isDisabled(), true);
      assert.equal(await page.getByTestId('sso-save-gate').textContent(), 'Available on the enterprise plan');
      const domains = page.getByRole('form', { name: 'Add a domain' });
      assert.equal(await domains.getByRole('button', { name: 'Add domain' }).isDisabled(), true);
      assert.equal(await page.getByTestId('sso-domain-gate').textContent(), 'Available on the enterprise plan');
    } finally {
      await platform.database.query(`UPDATE tenants SET plan = 'enterprise' WHERE slug = $1`, [slug]);
    }
  });

  it('configures the provider and verifies the domain from the mailed link', async () => {
    const page = ownerPage;
    await page.goto(`/tenants/${slug}/sso`);
    await page.getByTestId('sso-status').filter({ hasText: 'not configured' }).waitFor();
    await page.waitForLoadState('networkidle'); // hydrated: the form checks fields in the browser
    const form = page.getByRole('form', { name: 'Identity provider' });
    // The shared schema refuses an empty issuer in the browser.
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByText('Enter the issuer URL').waitFor();

    await form.getByRole('textbox', { name: 'Issuer URL' }).fill(idp.issuer);
    await form.getByRole('textbox', { name: 'Client id' }).fill(idp.clientId);
    await form.getByLabel('Client secret').fill(idp.clientSecret);
    await form.getByRole('combobox', { name: /Role of people/ }).selectOption('developer');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('sso-saved').waitFor();
    await page.getByTestId('sso-status').filter({ hasText: 'enabled' }).waitFor();
    assert.equal(await page.getByTestId('sso-redirect-uri').textContent(), `${platform.baseUrl}/sso/callback`);

    const domains = page.getByRole('form', { name: 'Add a domain' });
    await domains.getByRole('textbox', { name: 'Domain' }).fill(domain);
    await domains.getByRole('textbox', { name: 'Send the link to' }).fill(`it@${domain}`);
    await domains.getByRole('button', { name: 'Add domain' }).click();
    await page.locator(`[data-testid="sso-domain-row"][data-domain="${domain}"]`).getByText('waiting').waitFor();

    const mail = await smtp.waitForMail((m) => m.to.includes(`it@${domain}`));
    const link = mail.text.match(/http:\/\/127\.0\.0\.1:\d+\/sso\/verify-domain\?token=[\w-]+/)?.[0];
    assert.ok(link, mail.text);
    await page.goto(link);
    await page.getByRole('button', { name: 'Verify domain' }).click();
    await page.getByTestId('domain-verified').waitFor();
    await page.goto(`/tenants/${slug}/sso`);
    await page.locator(`[data-testid="sso-domain-row"][data-domain="${domain}"]`).getByText('verified').waitFor();
  });

  it('signs a new person in through the provider into the tenant', async () => {
    const page = await newPage();
    await page.goto('/login');
    await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
    await page.waitForURL(/\/sso/);
    await page.waitForLoadState('networkidle'); // hydrated: the portal follows the redirect to the provider
    await page.getByRole('textbox', { name: 'Work email' }).fill(`alice@${domain}`);
    await page.getByRole('button', { name: 'Continue with single sign-on' }).click();

    // The provider's own pages: its login form, then consent.
    await page.waitForURL((url) => url.href.startsWith(idp.issuer));
    await page.locator('input[name="login"]').fill('sub-alice');
    await page.locator('input[name="password"]').fill('any');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.waitForURL(`${platform.baseUrl}/tenants/${slug}/members`);
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    const row = page.getByRole('row').filter({ hasText: `alice@${domain}` });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /developer/);
  });

  it('on a plan without single sign-on, the sign-in page says so and offers the password (at 390 and 1400 px)', async () => {
    await platform.database.query(`UPDATE tenants SET plan = 'team' WHERE slug = $1`, [slug]);
    try {
      for (const width of [390, 1400]) {
        const page = await newPage({ width, height: 900 });
        await page.goto('/login');
        await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
        await page.waitForURL(/\/sso/);
        await page.waitForLoadState('networkidle');
        await page.getByRole('textbox', { name: 'Work email' }).fill(`alice@${domain}`);
        await page.getByRole('button', { name: 'Continue with single sign-on' }).click();
        const problem = page.getByTestId('sso-problem');
        await problem.waitFor();
        assert.equal(await problem.getAttribute('data-status'), '403');
        assert.match(
          (await problem.textContent()) ?? '',
          /SSO UI cannot sign in through single sign-on: its plan does not include it \(the enterprise plan does\)/,
        );
        assert.ok(page.url().startsWith(platform.baseUrl), 'the browser stayed in the portal');
        // Nothing spills over the phone's width; the way back to the password is there.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `the page is ${overflow} px wider than the window`);
        await page.getByRole('link', { name: 'Sign in with a password instead' }).waitFor();

        // By organization (the link the tenant's routes send members to) as well.
        await page.goto(`/sso?tenant=${slug}`);
        await page.waitForLoadState('networkidle');
        await page.getByRole('button', { name: 'Continue with single sign-on' }).click();
        await page.getByTestId('sso-problem').filter({ hasText: 'the enterprise plan does' }).waitFor();
      }
    } finally {
      await platform.database.query(`UPDATE tenants SET plan = 'enterprise' WHERE slug = $1`, [slug]);
    }
  });

  it('sends a password sign-in to single sign-on once SSO is required', async () => {
    // The owner's password session would be locked out: the form says so at the checkbox.
    await ownerPage.goto(`/tenants/${slug}/sso`);
    await ownerPage.waitForLoadState('networkidle');
    const ownerForm = ownerPage.getByRole('form', { name: 'Identity provider' });
    await ownerForm.getByRole('checkbox', { name: /Require SSO/ }).check();
    await ownerForm.getByRole('button', { name: 'Save' }).click();
    await ownerForm.getByText(/would lock you out/).waitFor();

    // Platform staff keep access whatever the tenant requires: an admin turns it on.
    const adminPage = await newPage();
    await signInThroughPortal(adminPage, platform.admin.email, platform.admin.password);
    await adminPage.goto(`/tenants/${slug}/sso`);
    await adminPage.waitForLoadState('networkidle');
    const form = adminPage.getByRole('form', { name: 'Identity provider' });
    const required = form.getByRole('checkbox', { name: /Require SSO/ });
    await required.check();
    assert.equal(await required.isChecked(), true);
    await form.getByRole('button', { name: 'Save' }).click();
    // Saved, or the problem the API gave (shown on the form), whichever comes first.
    const outcome = adminPage.locator('[data-testid="sso-saved"], [data-testid="sso-problem"]');
    await outcome.first().waitFor({ timeout: 60_000 });
    const shown = (await outcome.first().textContent()) ?? '';
    assert.equal(await outcome.first().getAttribute('data-testid'), 'sso-saved', shown);

    const carol = await seedUser(platform.database, { email: `carol@${domain}` });
    const page = await newPage();
    await page.goto('/login');
    await page.getByRole('textbox', { name: 'Email' }).fill(carol.email);
    await page.getByRole('textbox', { name: 'Password' }).fill(carol.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByTestId('sso-required-notice').waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Work email' }).inputValue(), carol.email);
  });
});
