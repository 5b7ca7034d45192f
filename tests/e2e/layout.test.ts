// The portal's layout in Chromium at a desktop width (1,400 px) and a phone's (390 px), as a
// tenant owner and as a platform admin (issue 11, items 3, 4 and 8):
// - every page it can reach: no sideways page scroll, nothing of the header beyond the
//   screen's edge, every table inside a container that scrolls it (a screenshot of each
//   page at both widths goes to test-results/screenshots/, which git ignores);
// - the audit log at 1,400 px: the actor by name and email (the id on hover), dates on one
//   line, the change fits its column and opens in full; date pickers whose days stay in the URL;
// - on a phone, the navigation with the tenant switcher and "Log out" opens from the burger;
// - an operation's page links back to its tenant and the switcher stays on that tenant;
//   the Temporal UI links (to /ops/temporal/) are for operators only, platform admins or not.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { isCspViolation, launchChromium, signInThroughPortal, waitForHydration } from '../support/browser.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/', import.meta.url));
const WIDTHS = [
  { name: 'desktop', width: 1400, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;
const TARGET_ID = '7d1c5a9e-3b7f-4c2e-9a51-0f6b8e2d4c13';

describe('portal layout at 1,400 and 390 px', () => {
  let platform: Platform;
  let browser: Browser;
  let owner: TestUser;
  let slugA: string;
  let slugB: string;
  let operationA: string;
  let secretA: string;
  const problems: string[] = [];

  async function provision(prefix: string, name: string): Promise<{ slug: string; id: string; operation: string }> {
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: uniqueSlug(prefix), name, ownerEmail: 'owner@layout.test' },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForOperation(platform, created.body.operation.id);
    return { slug: created.body.tenant.slug, id: created.body.tenant.id, operation: created.body.operation.id };
  }

  before(async () => {
    platform = await startPlatform({ portal: true, env: { LOGIN_RATE_LIMIT: '1000' } });
    browser = await launchChromium();
    await mkdir(SCREENSHOTS, { recursive: true });
    const a = await provision('layout-a', 'Layout Alpha Incorporated');
    const b = await provision('layout-b', 'Layout Beta');
    slugA = a.slug;
    slugB = b.slug;
    operationA = a.operation;
    owner = await seedUser(platform.database, { email: 'owner@layout.test', displayName: 'Olivia Owner' });
    await platform.database.query(
      `INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $3, 'owner'), ($2, $3, 'owner')
       ON CONFLICT DO NOTHING`,
      [a.id, b.id, owner.userId],
    );
    // Something in every table of tenant A: a key, a pending invitation, and an audit entry
    // with a long change, by the owner.
    const key = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slugA}/api-keys`, {
      headers: owner.headers,
      json: { name: 'Deploy bot with a rather long name', role: 'developer' },
    });
    assert.equal(key.status, 201, JSON.stringify(key.body));
    const invited = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slugA}/invitations`, {
      headers: owner.headers,
      json: { email: 'someone.with.a.long.address@layout-example.test', role: 'viewer' },
    });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const secret = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slugA}/secrets`, {
      headers: owner.headers,
      json: {
        name: 'A_RATHER_LONG_SECRET_NAME_FOR_THE_PAYMENT_PROVIDER_WEBHOOK_SIGNING_KEY',
        kind: 'signing-key',
        value: 'layout-secret-value',
        description: 'Signs the payment provider webhooks of the production deployment, rotated by hand for now',
        consumers: ['deployment/production/payments-webhook-receiver-with-a-long-name', 'job/nightly-reconciliation'],
      },
    });
    assert.equal(secret.status, 201, JSON.stringify(secret.body));
    secretA = secret.body.id;
    const long = 'x'.repeat(300);
    await platform.database.query(
      `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, target_type, target_id, before, after)
       VALUES ($1, 'user', $2, 'member.role_changed', 'membership', $3, $4, $5)`,
      [
        a.id,
        owner.userId,
        TARGET_ID,
        JSON.stringify({ role: 'developer', note: long, labels: ['a', 'b'], since: '2026-01-01T00:00:00Z' }),
        JSON.stringify({ role: 'admin', note: `${long}!`, labels: ['a', 'b', 'c'], since: '2026-01-01T00:00:00Z' }),
      ],
    );
  });
  after(async () => {
    await browser?.close();
    await platform?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  async function signedIn(
    who: TestUser,
    viewport: { width: number; height: number },
  ): Promise<{ page: Page; context: BrowserContext }> {
    const context = await browser.newContext({ baseURL: platform.baseUrl, viewport, timezoneId: 'UTC' });
    const page = await context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('console', (message) => {
      if (isCspViolation(message.text())) problems.push(message.text());
    });
    await signInThroughPortal(page, who.email, who.password);
    return { page, context };
  }

  /** The switcher's select, wherever Mantine puts the test id (the select or its wrapper). */
  const switcherOf = (page: Page, testId: string) =>
    page.locator(`select[data-testid="${testId}"], [data-testid="${testId}"] select`);

  /** Opens a page and waits until React has hydrated it (the header's colour toggle tells). */
  async function open(page: Page, path: string): Promise<void> {
    const response = await page.goto(path, { waitUntil: 'load' });
    assert.ok(response && response.status() < 400, `${path}: ${response?.status()}`);
    await waitForHydration(page);
  }

  /** What breaks the layout at this width, in words (empty when nothing does). */
  function layoutProblems(page: Page): Promise<string[]> {
    return page.evaluate(() => {
      const found: string[] = [];
      const width = window.innerWidth;
      const describe = (el: Element) =>
        `${el.tagName.toLowerCase()}${el.getAttribute('data-testid') ? `[data-testid=${el.getAttribute('data-testid')}]` : ''}` +
        ` "${(el.textContent ?? '').trim().slice(0, 40)}"`;
      const visible = (el: Element) => {
        const rect = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        return rect.width > 0 && rect.height > 0 && style.visibility !== 'hidden';
      };
      if (document.documentElement.scrollWidth > width)
        found.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${width}`);
      const header = document.querySelector('header');
      for (const el of header ? Array.from(header.querySelectorAll('*')) : []) {
        if (!visible(el)) continue;
        const rect = el.getBoundingClientRect();
        if (rect.right > width + 0.5 || rect.left < -0.5)
          found.push(`header: ${describe(el)} spans ${Math.round(rect.left)}–${Math.round(rect.right)} of ${width}`);
      }
      // A table wider than its place must sit in a container that scrolls it.
      for (const table of Array.from(document.querySelectorAll('main table'))) {
        let clip: Element | null = table.parentElement;
        while (clip && clip !== document.body) {
          const overflowX = getComputedStyle(clip).overflowX;
          if (overflowX !== 'visible' && overflowX !== 'clip') break;
          clip = clip.parentElement;
        }
        const tableRect = table.getBoundingClientRect();
        if (!clip || clip === document.body) {
          if (tableRect.right > width + 0.5) found.push(`table ${describe(table)} runs off the screen`);
          continue;
        }
        const style = getComputedStyle(clip).overflowX;
        if (tableRect.width > clip.getBoundingClientRect().width + 0.5 && style !== 'auto' && style !== 'scroll')
          found.push(`table ${describe(table)} is cut off by an element that does not scroll (${style})`);
        if (clip.getBoundingClientRect().right > width + 0.5)
          found.push(`the scroll container of table ${describe(table)} runs off the screen`);
      }
      // Each component's stylesheet must win over those it is built from, whatever order they
      // arrived in: tabs and buttons are UnstyledButtons, whose reset sets padding 0.
      for (const el of Array.from(document.querySelectorAll('.mantine-Tabs-tab, .mantine-Button-root'))) {
        if (visible(el) && parseFloat(getComputedStyle(el).paddingLeft) === 0)
          found.push(`${describe(el)} has lost its component's styles (no padding)`);
      }
      return found;
    });
  }

  /**
   * The problems still there a second later: on a busy machine a page can be checked in the
   * moment a stylesheet is being applied after hydration (once, a table's scroll container
   * was seen without its overflow), which no one would see as the page's layout.
   */
  async function lastingLayoutProblems(page: Page): Promise<string[]> {
    let problems = await layoutProblems(page);
    for (let retry = 0; retry < 4 && problems.length > 0; retry++) {
      await page.waitForTimeout(250);
      problems = await layoutProblems(page);
    }
    return problems;
  }

  async function checkPages(who: TestUser, role: string, paths: Array<[name: string, path: string]>) {
    const found: string[] = [];
    for (const size of WIDTHS) {
      const { page, context } = await signedIn(who, size);
      try {
        for (const [name, path] of paths) {
          await open(page, path);
          await page.screenshot({ path: `${SCREENSHOTS}${role}-${size.width}-${name}.png`, fullPage: true });
          for (const problem of await lastingLayoutProblems(page))
            found.push(`${role} at ${size.width} px, ${path}: ${problem}`);
        }
      } finally {
        await context.close();
      }
    }
    assert.deepEqual(found, []);
  }

  const tenantPages = (): Array<[string, string]> => [
    ['tenants', '/tenants'],
    ['overview', `/tenants/${slugA}`],
    ['members', `/tenants/${slugA}/members`],
    ['invitations', `/tenants/${slugA}/invitations`],
    ['api-keys', `/tenants/${slugA}/api-keys`],
    ['environments', `/tenants/${slugA}/environments`],
    ['releases', `/tenants/${slugA}/releases`],
    ['secrets', `/tenants/${slugA}/secrets`],
    ['secret', `/tenants/${slugA}/secrets/${secretA}`],
    ['audit-log', `/tenants/${slugA}/audit-log`],
    ['sso', `/tenants/${slugA}/sso`],
    ['webhooks', `/tenants/${slugA}/webhooks`],
    ['connectors', `/tenants/${slugA}/connectors`],
    ['plan', `/tenants/${slugA}/plan`],
    ['approval-policies', `/tenants/${slugA}/approval-policies`],
    ['operations', '/operations'],
    ['approvals', '/approvals'],
    ['operation', `/operations/${encodeURIComponent(operationA)}`],
    ['profile', '/profile'],
  ];

  it('every page a tenant owner reaches fits 1,400 and 390 px', async () => {
    await checkPages(owner, 'owner', tenantPages());
  });

  it('every page a platform admin reaches fits 1,400 and 390 px', async () => {
    await checkPages(platform.admin, 'admin', [
      ...tenantPages(),
      ['admin', '/admin'],
      ['admin-tenant', `/admin/tenants/${slugA}`],
      ['signing-keys', '/admin/signing-keys'],
    ]);
  });

  it('the signed-out pages fit 1,400 and 390 px', async () => {
    const found: string[] = [];
    for (const size of WIDTHS) {
      const context = await browser.newContext({ baseURL: platform.baseUrl, viewport: size });
      const page = await context.newPage();
      for (const [name, path] of [
        ['login', '/login'],
        ['forgot-password', '/forgot-password'],
      ] as const) {
        await open(page, path);
        await page.screenshot({ path: `${SCREENSHOTS}signed-out-${size.width}-${name}.png`, fullPage: true });
        for (const problem of await layoutProblems(page)) found.push(`${size.width} px, ${path}: ${problem}`);
      }
      await context.close();
    }
    assert.deepEqual(found, []);
  });

  it('the audit log at 1,400 px: actor by name, dates on one line, the change fits and opens in full', async () => {
    const { page, context } = await signedIn(owner, WIDTHS[0]);
    try {
      await open(page, `/tenants/${slugA}/audit-log`);
      const row = page.getByTestId('audit-log-row').filter({ hasText: 'member.role_changed' }).first();
      await row.waitFor();

      const actor = row.getByTestId('audit-log-actor');
      assert.equal(await actor.getAttribute('data-actor-id'), owner.userId);
      const actorText = (await actor.textContent()) ?? '';
      assert.ok(actorText.includes('Olivia Owner') && actorText.includes('owner@layout.test'), actorText);
      assert.ok(!(await row.textContent())?.includes(owner.userId), 'no raw actor id in the row');
      // The id shows on hover (the link's title, also its accessible description).
      assert.match(
        (await actor.getByRole('link', { name: 'Olivia Owner' }).getAttribute('title')) ?? '',
        new RegExp(`id ${owner.userId}`),
      );

      // Every date on one line.
      const dateLines = await page.$$eval('[data-testid="audit-log-row"] time', (times) =>
        times.map((time) => time.getBoundingClientRect().height / parseFloat(getComputedStyle(time).lineHeight)),
      );
      assert.ok(dateLines.length > 0);
      assert.ok(
        dateLines.every((lines) => lines < 1.5),
        `lines per date: ${dateLines.join(', ')}`,
      );

      // The table fits its place: no column (the change above all) is cut off or scrolled away.
      const fits = await page.getByTestId('audit-log-table').evaluate((table) => {
        let el: HTMLElement | null = table.parentElement;
        while (el && getComputedStyle(el).overflowX === 'visible') el = el.parentElement;
        return { table: table.getBoundingClientRect().width, room: el?.getBoundingClientRect().width ?? 0 };
      });
      assert.ok(fits.table <= fits.room + 1, `table ${fits.table} px in ${fits.room} px`);

      // The long change is summed up, and opens to the whole before and after.
      const change = row.getByTestId('audit-log-change');
      assert.ok((await change.textContent())?.includes('role: "developer" → "admin"'));
      await change.getByRole('button', { name: /Show all/ }).click();
      const full = (await row.getByTestId('audit-log-change-full').textContent()) ?? '';
      assert.ok(full.includes(`${'x'.repeat(300)}!`) && full.includes('"before"'), full.slice(0, 200));
      await change.getByRole('button', { name: 'Show less' }).click();
      await row.getByTestId('audit-log-change-full').waitFor({ state: 'detached' });

      // The actor's name filters the log by that actor.
      await actor.getByRole('link', { name: 'Olivia Owner' }).click();
      await page.waitForURL((url) => url.searchParams.get('actor') === owner.userId);
    } finally {
      await context.close();
    }
  });

  it('filters the audit log by days picked in date pickers, kept in the URL and used by the export', async () => {
    const { page, context } = await signedIn(owner, WIDTHS[0]);
    try {
      await open(page, `/tenants/${slugA}/audit-log`);
      const today = new Date().toISOString().slice(0, 10);
      const filter = page.getByRole('form', { name: 'Filter the audit log' });
      for (const picker of ['audit-log-from', 'audit-log-to']) {
        await filter.getByTestId(picker).click();
        await page
          .locator('[data-dates-dropdown] button[data-today], .mantine-Popover-dropdown button[data-today]')
          .first()
          .click();
        await page.locator('.mantine-Popover-dropdown').waitFor({ state: 'detached' });
      }
      await filter.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL((url) => url.searchParams.get('from') === today && url.searchParams.get('to') === today);
      await page.getByTestId('audit-log-row').first().waitFor();
      assert.ok(
        (await filter.getByTestId('audit-log-from').textContent())?.includes(today),
        'the picker shows the day',
      );

      const exported = await page.request.get(
        (await page.getByTestId('audit-log-export-json').getAttribute('href')) as string,
      );
      assert.equal(exported.status(), 200);
      assert.ok(((await exported.json()) as unknown[]).length > 0, 'the export covers the picked days');

      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      await open(page, `/tenants/${slugA}/audit-log?from=${tomorrow}`);
      await page.getByTestId('audit-log-empty').waitFor();
      await open(page, `/tenants/${slugA}/audit-log?from=${today}&to=${today}&action=member.role_changed`);
      await page.getByTestId('audit-log-row').first().waitFor();
    } finally {
      await context.close();
    }
  });

  it('on a phone the navigation, the tenant switcher and "Log out" open from the burger', async () => {
    const { page, context } = await signedIn(owner, WIDTHS[1]);
    try {
      await open(page, `/tenants/${slugA}/audit-log`);
      const navbar = page.locator('.mantine-AppShell-navbar');
      const burger = page.getByRole('button', { name: 'Toggle navigation' });
      const onScreen = async (locator: ReturnType<Page['locator']>) => {
        const box = await locator.boundingBox();
        return box !== null && box.x >= 0 && box.x + box.width <= 390;
      };
      assert.equal(await page.locator('header').getByRole('button', { name: 'Log out' }).count(), 0);
      assert.equal(
        (await switcherOf(page, 'tenant-switcher').count()) > 0 &&
          (await onScreen(switcherOf(page, 'tenant-switcher'))),
        false,
      );
      await burger.click();
      assert.equal(await burger.getAttribute('aria-expanded'), 'true');
      const switcher = switcherOf(page, 'tenant-switcher-nav');
      await page.waitForFunction(() => {
        const nav = document.querySelector('.mantine-AppShell-navbar');
        return nav !== null && nav.getBoundingClientRect().left >= 0;
      });
      assert.ok(await onScreen(switcher), 'the switcher is in the opened navigation');
      assert.ok(await onScreen(navbar.getByRole('button', { name: 'Log out' })), 'and so is Log out');
      assert.ok(await onScreen(navbar.getByRole('link', { name: 'Operations' })));
      assert.equal(await switcher.inputValue(), slugA);
      await switcher.selectOption(slugB);
      await page.waitForURL(`**/tenants/${slugB}/audit-log`);
      await page.getByRole('heading', { name: 'Audit log' }).waitFor();
      assert.equal(await burger.getAttribute('aria-expanded'), 'false', 'the navigation closed');
    } finally {
      await context.close();
    }
  });

  it("an operation's page leads back to its tenant, keeps the switcher on it, and shows Temporal UI to operators only", async () => {
    const path = `/operations/${encodeURIComponent(operationA)}`;
    const asOwner = await signedIn(owner, WIDTHS[0]);
    try {
      await open(asOwner.page, path);
      const back = asOwner.page.getByTestId('operation-tenant-link');
      assert.equal(await back.getAttribute('href'), `/tenants/${slugA}`);
      assert.equal(await switcherOf(asOwner.page, 'tenant-switcher').inputValue(), slugA);
      assert.equal(await asOwner.page.getByTestId('temporal-ui-link').count(), 0);
      assert.equal(await asOwner.page.getByRole('link', { name: /Temporal UI/ }).count(), 0);
      assert.equal(await asOwner.page.getByTestId('operation-admin-tenant-link').count(), 0);
      await back.click();
      await asOwner.page.waitForURL(`**/tenants/${slugA}`);
    } finally {
      await asOwner.context.close();
    }

    // A platform admin who is no operator sees no Temporal UI link; one who is sees both.
    const asPlainAdmin = await signedIn(platform.admin, WIDTHS[0]);
    try {
      await open(asPlainAdmin.page, path);
      await asPlainAdmin.page.getByTestId('operation-admin-tenant-link').waitFor();
      assert.equal(await asPlainAdmin.page.getByTestId('temporal-ui-link').count(), 0);
      assert.equal(await asPlainAdmin.page.getByRole('link', { name: /Temporal UI/ }).count(), 0);
    } finally {
      await asPlainAdmin.context.close();
    }
    await platform.database.query(`UPDATE users SET operator_role = 'read' WHERE id = $1`, [platform.admin.userId]);
    const asAdmin = await signedIn(platform.admin, WIDTHS[0]);
    try {
      await open(asAdmin.page, path);
      await asAdmin.page.getByTestId('temporal-ui-link').waitFor();
      assert.match(
        (await asAdmin.page.getByTestId('temporal-ui-link').getAttribute('href')) ?? '',
        /^\/ops\/temporal\/namespaces\/default\/workflows\//,
      );
      assert.equal(
        await asAdmin.page
          .locator('nav[aria-label="Main"]')
          .getByRole('link', { name: /Temporal UI/ })
          .getAttribute('href'),
        '/ops/temporal/',
      );
      await asAdmin.page
        .locator('nav[aria-label="Main"]')
        .getByRole('link', { name: /Temporal UI/ })
        .waitFor();
      assert.equal(
        await asAdmin.page.getByTestId('operation-admin-tenant-link').getAttribute('href'),
        `/admin/tenants/${slugA}`,
      );
      assert.equal(await switcherOf(asAdmin.page, 'tenant-switcher').inputValue(), slugA);
    } finally {
      await asAdmin.context.close();
    }
  });
});
