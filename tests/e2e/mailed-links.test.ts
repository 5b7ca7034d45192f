// Every link Atrium mails opens a page that exists, in Debian's Chromium. Each kind of mail
// is one entry of MAILS: how to make Atrium send it (through the API, as a person would),
// who opens it, and the pages its links must land on. The test sends each mail to a real
// SMTP capture, follows every link in it at 1,400 and 390 px wide, and checks that the
// page is not a 404, shows what it should, and does not scroll sideways; a screenshot of each
// goes to test-results/screenshots/mailed-links/.
//
// A new kind of mail is one more entry; a link added to a mail fails the test until the
// entry names the page it lands on.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { isCspViolation, launchChromium, signInThroughPortal } from '../support/browser.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { CapturedMail, SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';

const WIDTHS = [1400, 390] as const;
const SCREENSHOTS = new URL('../../test-results/screenshots/mailed-links/', import.meta.url);

/** What the entries get: the platform, the mail capture, and a tenant with a signed-in owner. */
interface Ctx {
  platform: Platform;
  smtp: SmtpCapture;
  owner: TestUser;
  slug: string;
}

/** A page a mailed link may land on: where (after redirects) and what shows it is that page. */
interface Landing {
  /** The link's path (and query), as found in the mail. */
  link: RegExp;
  /** The path the browser ends on; default: the link's own path. */
  lands?: RegExp;
  /** A selector only that page has. */
  shows: string;
}

interface MailKind {
  kind: string;
  /**
   * Makes Atrium send the mail; returns the address it goes to, how to recognize it, and who
   * opens its links (signed in through the login page; default: nobody signed in).
   */
  send(ctx: Ctx): Promise<{ to: string; subject: RegExp; openAs?: { email: string; password: string } }>;
  /** Every link of the mail, in order, and the page each lands on. */
  links: Landing[];
}

const TENANT_OVERVIEW: Omit<Landing, 'lands'> = {
  link: /^\/tenants\/[a-z0-9-]+$/,
  shows: '[data-testid="tenant-facts"]',
};
const INVITATION: Landing = {
  link: /^\/invitations\/[\w-]{43}$/,
  shows: 'form[aria-label="Accept the invitation"]',
};

const json = (user: TestUser) => ({ headers: user.headers });

const MAILS: MailKind[] = [
  {
    kind: 'welcome, to an existing account (made the owner)',
    async send({ platform }) {
      const slug = uniqueSlug('welcome');
      const email = `owner@${slug}.test`;
      const owner = await seedUser(platform.database, { email });
      await createTenant(platform, slug, email);
      return { to: email, subject: /^Welcome to Atrium/, openAs: owner };
    },
    links: [TENANT_OVERVIEW],
  },
  {
    kind: 'welcome, to an address without an account (an owner invitation)',
    async send({ platform }) {
      const slug = uniqueSlug('invited-owner');
      await createTenant(platform, slug, `owner@${slug}.test`);
      return { to: `owner@${slug}.test`, subject: /^Welcome to Atrium/ };
    },
    links: [
      INVITATION,
      // Not signed in (no account yet): the overview asks to sign in first, then opens.
      { ...TENANT_OVERVIEW, lands: /^\/login$/, shows: '[data-testid="login-form"]' },
    ],
  },
  {
    kind: 'invitation',
    async send({ platform, owner, slug }) {
      const to = `invitee@${slug}.test`;
      const invited = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/invitations`, {
        ...json(owner),
        json: { email: to, role: 'developer' },
      });
      assert.equal(invited.status, 201, JSON.stringify(invited.body));
      return { to, subject: /^You are invited/ };
    },
    links: [INVITATION],
  },
  {
    kind: 'email verification (signup)',
    async send({ platform }) {
      const slug = uniqueSlug('signup');
      const to = `person@${slug}.test`;
      const signedUp = await request(platform.baseUrl, 'POST', '/api/v1/auth/signup', {
        json: {
          email: to,
          password: 'a long enough passphrase',
          displayName: 'Sign Up',
          organization: { name: 'Signed Up Co', slug },
        },
      });
      assert.equal(signedUp.status, 202, JSON.stringify(signedUp.body));
      return { to, subject: /^Confirm your email address to finish signing up/ };
    },
    links: [{ link: /^\/signup\/confirm\?token=[\w%-]+$/, shows: 'form[aria-label="Finish signing up"]' }],
  },
  {
    kind: 'signup attempt with an address that has an account',
    async send({ platform, owner }) {
      const signedUp = await request(platform.baseUrl, 'POST', '/api/v1/auth/signup', {
        json: {
          email: owner.email,
          password: 'a long enough passphrase',
          displayName: 'Someone Else',
          organization: { name: 'Another Co', slug: uniqueSlug('taken') },
        },
      });
      assert.equal(signedUp.status, 202, JSON.stringify(signedUp.body));
      return { to: owner.email, subject: /^Someone tried to sign up/ };
    },
    links: [
      { link: /^\/login$/, shows: '[data-testid="login-form"]' },
      { link: /^\/forgot-password$/, shows: 'form[aria-label="Request a password reset"]' },
    ],
  },
  {
    kind: 'email change to an address that has an account',
    async send({ platform, slug }) {
      const holder = await seedUser(platform.database, { email: `holder@${slug}.test` });
      const asker = await seedUser(platform.database, { email: `asker@${slug}.test` });
      const asked = await request(platform.baseUrl, 'POST', '/api/v1/me/email', {
        ...json(asker),
        json: { email: holder.email },
      });
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      return { to: holder.email, subject: /^Someone asked to use your address/ };
    },
    links: [{ link: /^\/login$/, shows: '[data-testid="login-form"]' }],
  },
  {
    kind: 'email change confirmation',
    async send({ platform, owner, slug }) {
      const to = `new-address@${slug}.test`;
      const asked = await request(platform.baseUrl, 'POST', '/api/v1/me/email', {
        ...json(owner),
        json: { email: to },
      });
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      return { to, subject: /Confirm your new email/ };
    },
    links: [{ link: /^\/verify-email\?token=[\w%-]+$/, shows: 'form[aria-label="Confirm email"]' }],
  },
  {
    kind: 'password reset',
    async send({ platform, owner }) {
      const asked = await request(platform.baseUrl, 'POST', '/api/v1/auth/password-reset', {
        json: { email: owner.email },
      });
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      return { to: owner.email, subject: /^Reset your Atrium password/ };
    },
    links: [{ link: /^\/reset-password\?token=[\w%-]+$/, shows: 'form[aria-label="Choose a new password"]' }],
  },
  {
    kind: 'password changed notice (no links)',
    async send({ platform, smtp }) {
      const person = await seedUser(platform.database, { email: `resetter@${uniqueSlug('reset')}.test` });
      const start = smtp.mails.length;
      await request(platform.baseUrl, 'POST', '/api/v1/auth/password-reset', { json: { email: person.email } });
      const reset = await mailAfter(smtp, start, (m) => m.to.includes(person.email));
      const token = /\/reset-password\?token=([\w%-]+)/.exec(reset.text)?.[1];
      assert.ok(token, reset.text);
      const confirmed = await request(platform.baseUrl, 'POST', '/api/v1/auth/password-reset/confirm', {
        json: { token: decodeURIComponent(token), password: 'another long passphrase' },
      });
      assert.equal(confirmed.status, 204, JSON.stringify(confirmed.body));
      return { to: person.email, subject: /password was changed/ };
    },
    links: [],
  },
  {
    kind: 'single sign-on domain verification',
    async send({ platform, owner, slug }) {
      const domain = `${slug}.test`;
      const to = `it@${domain}`;
      // Single sign-on is the enterprise plan's (the `sso` feature).
      await platform.database.query(`UPDATE tenants SET plan = 'enterprise' WHERE slug = $1`, [slug]);
      const added = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/sso/domains`, {
        ...json(owner),
        json: { domain, verificationEmail: to },
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      return { to, subject: /^Confirm that/ };
    },
    links: [{ link: /^\/sso\/verify-domain\?token=[\w%-]+$/, shows: 'form[aria-label="Verify domain"]' }],
  },
];

async function createTenant(platform: Platform, slug: string, ownerEmail: string): Promise<void> {
  const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
    ...json(platform.admin),
    json: { slug, name: `Tenant ${slug}`, ownerEmail },
  });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  await waitForOperation(platform, created.body.operation.id);
}

/** The first mail after the first `start` captured ones that matches. */
async function mailAfter(smtp: SmtpCapture, start: number, match: (mail: CapturedMail) => boolean) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const found = smtp.mails.slice(start).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error('no such mail within 30 s');
    await sleep(50);
  }
}

/** The links of a mail, as path + query (mails point at PUBLIC_URL, the tests at their own port). */
function linksIn(mail: CapturedMail): string[] {
  return [...mail.text.matchAll(/https?:\/\/[^\s/]+(\/[^\s]*)/g)].map((match) => match[1]!);
}

describe('portal: every link Atrium mails opens a page', () => {
  let ctx: Ctx;
  let browser: Browser;
  const problems: string[] = [];

  before(async () => {
    const smtp = await startSmtpCapture();
    const platform = await startPlatform({ portal: true, env: { SMTP_URL: smtp.url, LOGIN_RATE_LIMIT: '1000' } });
    browser = await launchChromium();
    const slug = uniqueSlug('mails');
    // The owner has an account before the tenant exists: provisioning makes them its owner.
    const owner = await seedUser(platform.database, { email: `owner@${slug}.test` });
    await createTenant(platform, slug, owner.email);
    ctx = { platform, smtp, owner, slug };
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await ctx?.platform.stop();
    await ctx?.smtp.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  async function open(width: number, signIn: { email: string; password: string } | undefined): Promise<Page> {
    const context = await browser.newContext({ baseURL: ctx.platform.baseUrl, viewport: { width, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('console', (message) => {
      if (isCspViolation(message.text())) problems.push(message.text());
    });
    if (signIn) await signInThroughPortal(page, signIn.email, signIn.password);
    return page;
  }

  for (const mail of MAILS) {
    it(`${mail.kind}: each link opens its page at ${WIDTHS.join(' and ')} px`, async () => {
      const start = ctx.smtp.mails.length;
      const { to, subject, openAs } = await mail.send(ctx);
      const sent = await mailAfter(ctx.smtp, start, (m) => m.to.includes(to) && subject.test(m.subject));
      const links = linksIn(sent);
      assert.equal(links.length, mail.links.length, `the links of "${sent.subject}": ${JSON.stringify(links)}`);
      for (const [index, link] of links.entries()) {
        const landing = mail.links[index]!;
        assert.match(link, landing.link, `link ${index + 1} of "${sent.subject}"`);
        for (const width of WIDTHS) {
          const page = await open(width, openAs);
          try {
            const response = await page.goto(link);
            assert.ok(response, `${link} answered`);
            assert.notEqual(response.status(), 404, `${link} is not a 404 (at ${width} px)`);
            assert.ok(response.status() < 400, `${link} answered ${response.status()} (at ${width} px)`);
            const landed = new URL(page.url());
            assert.match(landed.pathname, landing.lands ?? new RegExp(`^${new URL(link, landed).pathname}$`));
            await page.locator(landing.shows).first().waitFor();
            assert.equal(await page.getByTestId('error-page').count(), 0, `${link} shows no error page`);
            const { scrollWidth, innerWidth } = await page.evaluate(() => ({
              scrollWidth: document.documentElement.scrollWidth,
              innerWidth: window.innerWidth,
            }));
            assert.ok(
              scrollWidth <= innerWidth,
              `${link} at ${width} px scrolls sideways: ${scrollWidth} > ${innerWidth}`,
            );
            const name = `${mail.kind.replace(/[^a-z0-9]+/gi, '-')}-${index + 1}-${width}.png`;
            await page.screenshot({ path: new URL(name, SCREENSHOTS).pathname, fullPage: true });
          } finally {
            await page.context().close();
          }
        }
      }
    });
  }
});
