// Signing up in Debian's Chromium: the signup form (required marks; checked in the browser
// with the same schema as the server), the check-your-email page (at 1,400 and 390 px) and its
// resend, the mailed link that creates the account and lands on the new organization's
// provisioning, live; used and unknown links; signing out and in again; then a forgotten
// password reset by mail.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { uniqueSlug } from '../support/api-client.ts';
import { isCspViolation, launchChromium, signInThroughPortal } from '../support/browser.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';
import { SIGNUP_LINK_SUBJECT, signupLinkIn } from '../support/signup.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';

const EMAIL = 'new.person@signup-ui.test';
const PASSWORD = 'a long enough passphrase';

const SCREENSHOTS = join(tmpdir(), 'atrium-screenshots');

/** The page at 1,400 and 390 px wide: a screenshot of each, and no sideways page scroll. */
async function checkWidths(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  for (const width of [1400, 390]) {
    await page.setViewportSize({ width, height: 900 });
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scrollWidth <= width, `${name} at ${width} px scrolls sideways (${scrollWidth} px wide)`);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe('portal: sign up, confirm by mail, sign in, reset', () => {
  let platform: Platform;
  let smtp: SmtpCapture;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    smtp = await startSmtpCapture();
    platform = await startPlatform({ portal: true, env: { SMTP_URL: smtp.url, LOGIN_RATE_LIMIT: '1000' } });
    browser = await launchChromium();
    page = await (await browser.newContext({ baseURL: platform.baseUrl })).newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('console', (message) => {
      if (isCspViolation(message.text())) problems.push(message.text());
    });
  });
  after(async () => {
    await browser?.close();
    await platform?.stop();
    await smtp?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  /** The path and query of the link in a captured mail, on this test's portal. */
  const linkIn = (text: string, path: string) => {
    const match = new RegExp(`https?://[^/\\s]+(${path}\\?token=[\\w%-]+)`).exec(text);
    assert.ok(match, `a ${path} link in: ${text}`);
    return match[1]!;
  };

  it('signs up, is told to check the email, resends, and the mailed link creates the account and its organization', async () => {
    await page.goto('/login');
    await page.getByRole('link', { name: 'Create an account' }).click();
    const form = page.getByRole('form', { name: 'Sign up' });
    // Every field is marked required, as on the sign-in page.
    for (const name of ['displayName', 'email', 'password', 'organizationName', 'slug'])
      assert.equal(await form.locator(`input[name="${name}"]`).getAttribute('required'), '', `${name} required`);
    assert.equal(await form.locator('label', { hasText: '*' }).count(), 5, 'five labels with the required mark');
    await form.getByRole('textbox', { name: 'Your name' }).fill('New Person');
    await form.getByRole('textbox', { name: 'Email' }).fill(EMAIL);
    await form.locator('input[name="password"]').fill('short');
    const slug = uniqueSlug('newco');
    await form.getByRole('textbox', { name: 'Organization', exact: true }).fill('New Co');
    await form.getByRole('textbox', { name: 'Organization slug' }).fill(slug);
    await form.getByRole('button', { name: 'Create account' }).click();
    await form.getByText('Use at least 12 characters.').waitFor(); // the browser's check, no request
    await form.locator('input[name="password"]').fill(PASSWORD);
    await form.getByRole('button', { name: 'Create account' }).click();

    await page.waitForURL('**/signup/check-email');
    await page.getByTestId('signup-check-email').filter({ hasText: EMAIL }).waitFor();
    await checkWidths(page, 'signup-check-email');
    const first = await smtp.waitForMail((m) => m.to.includes(EMAIL) && SIGNUP_LINK_SUBJECT.test(m.subject));
    await page.getByRole('button', { name: 'Send the mail again' }).click();
    await page.getByTestId('signup-resent').waitFor();
    const resent = await smtp.waitForMail(
      (m) => m !== first && m.to.includes(EMAIL) && SIGNUP_LINK_SUBJECT.test(m.subject),
    );

    await page.goto(signupLinkIn(resent));
    await checkWidths(page, 'signup-confirm');
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.waitForURL(`**/operations/tenant-provision%2F${slug}`);
    await page
      .getByTestId('operation-status')
      .filter({ hasText: /completed/i })
      .waitFor({ timeout: 60_000 });
    await page.goto('/tenants');
    await page.getByText(slug).waitFor();

    // Either link again: a clear page saying the signup is complete, with the way to sign in.
    await page.context().clearCookies(); // signed out
    await page.goto(signupLinkIn(first));
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page
      .getByTestId('signup-confirm-problem')
      .filter({ hasText: /complete already/ })
      .waitFor();
    await page.getByRole('link', { name: 'Sign in', exact: true }).first().waitFor();
    await checkWidths(page, 'signup-confirm-used');

    await signInThroughPortal(page, EMAIL, PASSWORD);
    await page.goto('/tenants');
    await page.getByText(slug).waitFor();
  });

  it('shows a clear page for an unknown or incomplete signup link', async () => {
    await page.context().clearCookies();
    await page.goto(`/signup/confirm?token=${'x'.repeat(43)}`);
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page
      .getByTestId('signup-confirm-problem')
      .filter({ hasText: /not valid/ })
      .waitFor();
    await page.goto('/signup/confirm');
    await page
      .getByTestId('signup-confirm-problem')
      .filter({ hasText: /whole link/ })
      .waitFor();
  });

  it('resets a forgotten password through the mailed link', async () => {
    await page.context().clearCookies();
    await page.goto('/login');
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    const form = page.getByRole('form', { name: 'Request a password reset' });
    await form.getByRole('textbox', { name: 'Email' }).fill(EMAIL);
    await form.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByTestId('reset-requested').waitFor();

    const mail = await smtp.waitForMail((m) => m.to.includes(EMAIL) && /Reset your/.test(m.subject));
    await page.goto(linkIn(mail.text, '/reset-password'));
    const reset = page.getByRole('form', { name: 'Choose a new password' });
    await reset.locator('input[name="password"]').fill('an even longer new passphrase');
    await reset.getByRole('button', { name: 'Set password' }).click();
    await page.getByTestId('password-changed').waitFor();
    await signInThroughPortal(page, EMAIL, 'an even longer new passphrase');
  });

  it('renames and changes the password on the profile page, staying signed in', async () => {
    await page.goto('/tenants');
    await page.waitForLoadState('networkidle');
    await page.getByTestId('current-user-name').click();
    await page.waitForURL('**/profile');
    const name = page.getByRole('form', { name: 'Name' });
    await name.getByRole('textbox', { name: 'Display name' }).fill('Renamed Person');
    await name.getByRole('button', { name: 'Save name' }).click();
    await page.getByTestId('profile-rename-done').waitFor();
    await page.getByTestId('current-user-name').filter({ hasText: 'Renamed Person' }).waitFor();

    const password = page.getByRole('form', { name: 'Password' });
    await password.locator('input[name="currentPassword"]').fill('wrong password');
    await password.locator('input[name="newPassword"]').fill('the newest passphrase of all');
    await password.getByRole('button', { name: 'Change password' }).click();
    await password.getByText('Not your current password.').waitFor();
    await password.locator('input[name="currentPassword"]').fill('an even longer new passphrase');
    await password.getByRole('button', { name: 'Change password' }).click();
    await page.getByTestId('profile-password-done').waitFor();
    // This session carries on with the fresh tokens.
    await page.goto('/tenants');
    assert.equal(new URL(page.url()).pathname, '/tenants');
  });
});
