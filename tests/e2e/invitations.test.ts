// Invitations in Debian's Chromium: an owner invites someone from the Invitations tab; in
// a second browser context (another person) the mailed link is opened, a new account is
// made by accepting, and the owner sees the new member.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { isCspViolation, launchChromium, signInThroughPortal } from '../support/browser.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';

describe('portal: invitations', () => {
  let platform: Platform;
  let smtp: SmtpCapture;
  let browser: Browser;
  let owner: TestUser;
  let slug: string;
  const problems: string[] = [];
  const contexts: BrowserContext[] = [];

  async function newPage() {
    const context = await browser.newContext({ baseURL: platform.baseUrl });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('console', (message) => {
      if (isCspViolation(message.text())) problems.push(message.text());
    });
    return page;
  }

  before(async () => {
    smtp = await startSmtpCapture();
    platform = await startPlatform({ portal: true, env: { SMTP_URL: smtp.url, LOGIN_RATE_LIMIT: '1000' } });
    browser = await launchChromium();
    // The owner has an account already: provisioning makes them the tenant's owner.
    owner = await seedUser(platform.database, { email: 'owner@team-ui.test' });
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: uniqueSlug('team'), name: 'Team Co', ownerEmail: 'owner@team-ui.test' },
    });
    await waitForOperation(platform, created.body.operation.id);
    slug = created.body.tenant.slug;
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await platform?.stop();
    await smtp?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  it('invites in one browser and accepts as a new user in another', async () => {
    const ownerPage = await newPage();
    await signInThroughPortal(ownerPage, owner.email, owner.password);
    await ownerPage.goto(`/tenants/${slug}/members`);
    await ownerPage.getByRole('tab', { name: 'Invitations' }).click();
    const form = ownerPage.getByRole('form', { name: 'Invite someone' });
    await form.getByRole('textbox', { name: 'Email' }).fill('not an email');
    await form.getByRole('button', { name: 'Invite' }).click();
    await form.getByText('Enter a valid email address.').waitFor(); // checked in the browser
    await form.getByRole('textbox', { name: 'Email' }).fill('dana@team-ui.test');
    await form.getByRole('combobox', { name: 'Role' }).selectOption('admin');
    await form.getByRole('button', { name: 'Invite' }).click();
    await ownerPage.getByTestId('invited').waitFor();
    await ownerPage.locator('[data-testid="invitation-row"][data-email="dana@team-ui.test"]').waitFor();
    // The form starts again once the invitation went out (issue 11: it kept the address and role).
    await ownerPage.waitForFunction(
      () =>
        document.querySelector<HTMLInputElement>('form[aria-label="Invite someone"] input[name="email"]')?.value === '',
    );
    assert.equal(await form.getByRole('combobox', { name: 'Role' }).inputValue(), 'developer');

    const mail = await smtp.waitForMail((m) => m.to.includes('dana@team-ui.test'));
    const link = /https?:\/\/[^/\s]+(\/invitations\/[\w-]{43})/.exec(mail.text)?.[1];
    assert.ok(link, mail.text);

    const dana = await newPage();
    await dana.goto(link);
    const accept = dana.getByRole('form', { name: 'Accept the invitation' });
    await accept.getByRole('textbox', { name: 'Your name' }).fill('Dana');
    await accept.locator('input[name="password"]').fill('dana has a long passphrase');
    await accept.getByRole('button', { name: 'Accept and join' }).click();
    await dana.waitForURL(`**/tenants/${slug}/members`);
    await dana.locator('[data-testid="member-row"][data-email="dana@team-ui.test"][data-role="admin"]').waitFor();

    // The link is spent: opening it again says so.
    await dana.goto(link);
    await dana.getByTestId('invitation-closed').waitFor();

    await ownerPage.goto(`/tenants/${slug}/members`);
    await ownerPage.locator('[data-testid="member-row"][data-email="dana@team-ui.test"]').waitFor();
    await ownerPage.goto(`/tenants/${slug}/invitations`);
    await ownerPage.getByTestId('invitations-empty').waitFor();
  });

  it('lets a person in several tenants switch between them, staying in the same section and remembered', async () => {
    const other = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: uniqueSlug('second'), name: 'Second Co', ownerEmail: 'someone-else@team-ui.test' },
    });
    await waitForOperation(platform, other.body.operation.id);
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'admin')`, [
      other.body.tenant.id,
      owner.userId,
    ]);
    const page = await newPage();
    await signInThroughPortal(page, owner.email, owner.password);
    await page.goto(`/tenants/${slug}/invitations`);
    const switcher = page.getByRole('combobox', { name: 'Switch tenant' });
    assert.equal(await switcher.inputValue(), slug);
    // The switcher acts through React: let the page hydrate before choosing.
    await page.waitForLoadState('networkidle');
    await switcher.selectOption({ label: 'Second Co' });
    await page.waitForURL(`**/tenants/${other.body.tenant.slug}/invitations`);
    // The second tenant's page has rendered once the switcher shows it.
    await page.waitForFunction(
      (expected) =>
        document.querySelector<HTMLSelectElement>(
          '[data-testid="tenant-switcher"] select, select[aria-label="Switch tenant"]',
        )?.value === expected,
      other.body.tenant.slug,
    );
    // The session remembers the choice: the portal's home opens that tenant.
    await page.goto('/');
    await page.waitForURL(`**/tenants/${other.body.tenant.slug}/members`);
  });
});
