// @needs-servers: jaeger
// The portal in a real browser (Debian's Chromium through playwright-core) against the
// whole platform: API + portal in production mode, a worker, Temporal and Postgres.
// Creating a tenant lands on the live operation view, which must follow the workflow to
// completion over the event stream; a bad slug comes back as a field error. Pages carry a
// nonce-based content security policy, and no page may trip it. Every page wants a
// signed-in user: the session lives in a signed cookie, and the access tokens in it are
// made to expire so fast here that every page load exercises the refresh and rotation.
// The members page lists a tenant's members; an owner changes roles and removes members,
// a viewer only looks. Tracing is on (into the run's Jaeger): the operation page draws the
// provisioning's trace as a waterfall, also at phone width.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createDataSource } from '../../db/data-source.ts';
import type { Role } from '../../contracts/members.ts';
import { createUserIfAbsent } from '../../db/repositories/users.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { isCspViolation, launchChromium, signInThroughPortal, visibleErrorPage } from '../support/browser.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';
import { tracingEnv } from '../support/servers.ts';

const PASSWORD = 'portal-test-password';
const ADMIN = 'admin@portal.test';

describe('portal', () => {
  let platform: Platform;
  let browser: Browser;
  let page: Page;
  let pageErrors: Error[];
  let cspViolations: string[];

  before(async () => {
    platform = await startPlatform({
      portal: true,
      // Shorter than the portal's refresh margin (30 s): every signed-in page load refreshes.
      env: { ACCESS_TOKEN_TTL: '20s', LOGIN_RATE_LIMIT: '1000', ...tracingEnv() },
    });
    browser = await launchChromium();
    await seedUsers([[ADMIN, 'Ada Admin', null, true]]);
  });
  after(async () => {
    await browser?.close();
    await platform?.stop();
  });
  beforeEach(async () => {
    // A context per test: cookies (the session) never leak from one test into another.
    page = await (await browser.newContext({ baseURL: platform.baseUrl })).newPage();
    page.setDefaultTimeout(30_000);
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error));
    cspViolations = [];
    page.on('console', (message) => {
      if (isCspViolation(message.text())) cspViolations.push(message.text());
    });
  });
  afterEach(async () => {
    await page?.context().close();
    assert.deepEqual(pageErrors.map(String), [], 'no uncaught errors in the page');
    assert.deepEqual(cspViolations, [], 'no content security policy violations');
  });

  /** Creates users (and their memberships) straight in the database, as the owner role. */
  async function seedUsers(
    people: Array<[email: string, name: string, tenant: [string, Role] | null, admin: boolean]>,
  ) {
    const owner = createDataSource({
      url: platform.database.ownerUrl,
      applicationName: 'atrium-test-seed',
      poolSize: 1,
    });
    await owner.initialize();
    try {
      for (const [email, displayName, membership, isPlatformAdmin] of people) {
        // The platform admin here is an operator too: the Temporal UI links are for operators.
        const id = await createUserIfAbsent(owner, {
          email,
          displayName,
          password: PASSWORD,
          isPlatformAdmin,
          operatorRole: isPlatformAdmin ? 'read' : null,
        });
        if (membership) {
          await owner.query(
            `INSERT INTO memberships (tenant_id, user_id, role) SELECT id, $2, $3 FROM tenants WHERE slug = $1`,
            [membership[0], id, membership[1]],
          );
        }
      }
    } finally {
      await owner.destroy();
    }
  }

  function signIn(email = ADMIN, password = PASSWORD, into: Page = page): Promise<void> {
    return signInThroughPortal(into, email, password);
  }

  async function provisionTenant(prefix: string): Promise<string> {
    const slug = uniqueSlug(prefix);
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: `${prefix} tenant`, ownerEmail: `${prefix}@portal.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForOperation(platform, created.body.operation.id);
    return slug;
  }

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

    await signIn();
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
    // Without a cluster (the test worker has no KUBECONFIG) that step is skipped, saying why.
    for (const [name, status] of steps)
      assert.equal(status, name === 'cluster' ? 'skipped' : 'completed', `step ${name}`);
    assert.equal(
      await page.getByTestId('step-skip-reason').textContent(),
      'Skipped: no cluster configured (set KUBECONFIG)',
    );

    const temporalUi = await page.getByRole('link', { name: 'Open in Temporal UI' }).getAttribute('href');
    assert.ok(
      temporalUi?.startsWith(`/ops/temporal/namespaces/default/workflows/${encodeURIComponent(operationId)}/`),
      `Temporal UI link: ${temporalUi}`,
    );

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tenants' }).click();
    const row = page.locator(`[data-testid="tenant-row"][data-slug="${slug}"]`);
    assert.equal(await row.getByTestId('tenant-status').textContent(), 'active');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operations' }).click();
    await page.locator(`[data-testid="operation-row"][data-operation-id="${operationId}"]`).getByRole('link').click();
    await page.waitForURL(`**/operations/${encodeURIComponent(operationId)}`);
    assert.equal(await page.getByTestId('operation-status').getAttribute('data-status'), 'completed');

    // The trace as a waterfall, at phone width: the request, the workflow and its activities
    // (spans are exported in batches, so the page may need a reload or two to have them all).
    await page.setViewportSize({ width: 390, height: 844 });
    const deadline = Date.now() + 30_000;
    for (;;) {
      await page.reload();
      const kinds = await page
        .getByTestId('trace-span')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-kind')));
      if (['request', 'workflow', 'activity', 'database'].every((kind) => kinds.includes(kind))) break;
      assert.ok(Date.now() < deadline, `waterfall rows after 30 s: ${kinds.join(', ') || 'none'}`);
      await page.waitForTimeout(1_000);
    }
    const waterfall = page.getByTestId('trace-waterfall');
    assert.match((await waterfall.getAttribute('data-trace-id')) ?? '', /^[0-9a-f]{32}$/);
    assert.ok(await page.getByText('RunWorkflow:provisionTenant').isVisible());
    assert.equal(
      await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
      true,
      'the waterfall fits 390 px without scrolling sideways',
    );
  });

  it('shows the API’s validation error on the slug field', async () => {
    await signIn();
    await page.goto('/tenants');
    await fillCreateTenantForm('Not A Slug');

    const error = page.getByTestId('slug-error');
    assert.match((await error.textContent()) ?? '', /lowercase/i);
    assert.equal(await page.getByLabel('Slug').getAttribute('aria-invalid'), 'true');
    assert.equal(new URL(page.url()).pathname, '/tenants');
  });

  it('answers unknown pages with a 404 inside the app', async () => {
    await signIn();
    const response = await page.goto('/no-such-page');
    assert.equal(response?.status(), 404);
    await visibleErrorPage(page).getByText('Page not found').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
  });

  it('sends pages a nonce-based content security policy, a fresh nonce per response', async () => {
    await signIn();
    const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const first = await fetch(new URL('/tenants', platform.baseUrl), { headers: { cookie }, redirect: 'manual' });
    // The first answer rotated the tokens; the second request brings the cookie it set.
    const rotated = /^[^;]+/.exec(first.headers.get('set-cookie') ?? '')?.[0] ?? cookie;
    const second = await fetch(new URL('/tenants', platform.baseUrl), {
      headers: { cookie: rotated },
      redirect: 'manual',
    });
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
    await signIn();
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
  it('sends a signed-out visitor to the login page and back after signing in', async () => {
    const response = await page.goto('/tenants?from=test');
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(new URL(page.url()).searchParams.get('redirectTo'), '/tenants?from=test');
    assert.equal(response?.status(), 200);
    await page.getByRole('navigation', { name: 'Main' }).waitFor({ state: 'detached' });

    await signIn();
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/tenants?from=test');
    const user = page.getByTestId('current-user');
    assert.equal(await user.getAttribute('data-email'), ADMIN);
    assert.equal(await page.getByTestId('current-user-name').textContent(), 'Ada Admin');
    await page.getByTestId('platform-admin-badge').getByText('Platform admin').waitFor();

    const [cookie] = await page.context().cookies();
    assert.equal(cookie?.httpOnly, true, 'the session cookie is httpOnly');
    assert.equal(cookie?.sameSite, 'Lax');
    assert.equal(cookie?.secure, false, 'not Secure over plain http');
    assert.doesNotMatch(await page.content(), /rt_[A-Za-z0-9_-]{20,}|eyJ[A-Za-z0-9_-]{20,}\./, 'no token in the page');

    // Short-lived access tokens: each page load exchanges the refresh token for a new one.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operations' }).click();
    await page.waitForURL('**/operations');
    await page.reload();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tenants' }).click();
    await page.getByTestId('current-user').waitFor();
    const [family] = await platform.database.query<{ used: number; revoked: number }>(
      `SELECT count(used_at)::int AS used, count(revoked_at)::int AS revoked FROM refresh_tokens t
       JOIN users u ON u.id = t.user_id WHERE u.email = $1
       GROUP BY family_id ORDER BY max(issued_at) DESC LIMIT 1`,
      [ADMIN],
    );
    assert.ok((family?.used ?? 0) >= 3, `the refresh token was rotated: ${JSON.stringify(family)}`);
    assert.equal(family?.revoked, 0, 'and never presented twice');
  });

  it('shows the API’s problem when the password is wrong', async () => {
    await page.goto('/login');
    const form = page.getByRole('form', { name: 'Sign in' });
    await form.getByRole('textbox', { name: 'Email' }).fill(ADMIN);
    await form.getByRole('textbox', { name: 'Password' }).fill('not the password');
    await form.getByRole('button', { name: 'Sign in' }).click();
    const problem = page.getByTestId('login-problem');
    await problem.waitFor();
    assert.equal(await problem.getAttribute('data-status'), '401');
    assert.match((await problem.textContent()) ?? '', /Check the email address and password/);
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(await form.getByRole('textbox', { name: 'Email' }).inputValue(), ADMIN, 'the email is kept');
    assert.deepEqual(await page.context().cookies(), [], 'no session');
  });

  it('lists a tenant’s members; an owner changes a role and removes a member', async () => {
    const slug = await provisionTenant('members');
    const at = (email: string) => `${email.split('@')[0]}@${slug}.test`;
    await seedUsers([
      [at('olivia@x'), 'Olivia Owner', [slug, 'owner'], false],
      [at('dev@x'), 'Dev Eloper', [slug, 'developer'], false],
      [at('vic@x'), 'Vic Viewer', [slug, 'viewer'], false],
      [at('leaver@x'), 'Lee Leaver', [slug, 'viewer'], false],
    ]);

    await page.goto('/tenants');
    await signIn(at('olivia@x'));
    await page.locator(`[data-testid="tenant-row"][data-slug="${slug}"]`).getByTestId('tenant-members-link').click();
    await page.waitForURL(`**/tenants/${slug}/members`);
    await page.getByTestId('members-table').waitFor();
    const row = (email: string) => page.locator(`[data-testid="member-row"][data-email="${at(email)}"]`);
    const rows = await page
      .getByTestId('member-row')
      .evaluateAll((items) => items.map((item) => [item.getAttribute('data-email'), item.getAttribute('data-role')]));
    assert.deepEqual(
      new Map(rows as Array<[string, string]>),
      new Map([
        [at('olivia@x'), 'owner'],
        [at('dev@x'), 'developer'],
        [at('vic@x'), 'viewer'],
        [at('leaver@x'), 'viewer'],
      ]),
    );

    await row('dev@x')
      .getByLabel(`Role of ${at('dev@x')}`)
      .selectOption('admin');
    await page.locator(`[data-testid="member-row"][data-email="${at('dev@x')}"][data-role="admin"]`).waitFor();

    await row('leaver@x').getByRole('button', { name: 'Remove' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove member' });
    await dialog.getByText('Lee Leaver').waitFor();
    await dialog.getByRole('button', { name: 'Remove member' }).click();
    await row('leaver@x').waitFor({ state: 'detached' });
    await dialog.waitFor({ state: 'hidden' });

    // The last owner stays: the API's 409 appears next to the row, and the role is unchanged.
    await row('olivia@x')
      .getByLabel(`Role of ${at('olivia@x')}`)
      .selectOption('viewer');
    const problem = row('olivia@x').getByTestId('member-problem');
    await problem.waitFor();
    assert.match((await problem.textContent()) ?? '', /last owner/);
    assert.equal(
      await row('olivia@x')
        .getByLabel(`Role of ${at('olivia@x')}`)
        .inputValue(),
      'owner',
    );

    const members = await platform.database.query<{ email: string; role: string }>(
      `SELECT u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id
       JOIN tenants t ON t.id = m.tenant_id WHERE t.slug = $1 ORDER BY u.email`,
      [slug],
    );
    assert.deepEqual(
      members.map((m) => [m.email, m.role]),
      [
        [at('dev@x'), 'admin'],
        [at('olivia@x'), 'owner'],
        [at('vic@x'), 'viewer'],
      ],
    );

    // A viewer sees the members and no way to change them.
    const viewer = await (await browser.newContext({ baseURL: platform.baseUrl })).newPage();
    try {
      await viewer.goto(`/tenants/${slug}/members`);
      await signIn(at('vic@x'), PASSWORD, viewer);
      assert.equal(new URL(viewer.url()).pathname, `/tenants/${slug}/members`);
      await viewer.getByTestId('members-table').waitFor();
      assert.equal(await viewer.getByTestId('member-row').count(), 3);
      await viewer.getByTestId('read-only-note').waitFor();
      assert.equal(await viewer.getByRole('combobox').count(), 0, 'no role select');
      assert.equal(await viewer.getByRole('button', { name: 'Remove' }).count(), 0, 'no remove button');

      // Someone else's tenant is not there at all.
      const other = await viewer.goto('/tenants/no-such-tenant/members');
      assert.equal(other?.status(), 404);
      await visibleErrorPage(viewer).getByText('Page not found').waitFor();
    } finally {
      await viewer.context().close();
    }
  });

  it('ends the session on logout', async () => {
    await signIn();
    await page.goto('/operations');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    assert.deepEqual(await page.context().cookies(), [], 'the cookie is gone');
    await page.goto('/tenants');
    assert.equal(new URL(page.url()).pathname, '/login');
    const [family] = await platform.database.query<{ revoked: number }>(
      `SELECT count(revoked_at)::int AS revoked FROM refresh_tokens t JOIN users u ON u.id = t.user_id
       WHERE u.email = $1 GROUP BY family_id ORDER BY max(issued_at) DESC LIMIT 1`,
      [ADMIN],
    );
    assert.ok((family?.revoked ?? 0) > 0, 'the API revoked the login');
  });
});
