// Releases and promotions in Debian's Chromium (issue 14). A team-plan tenant with staging and
// production; production needs an admin's approval (the platform's default policy). At desktop
// width a developer is told on the field that an image needs a digest, creates release 1, opens
// Promote, picks production and reads the approval that will apply, submits, and lands on the
// promotion's live operation page waiting for the approval; the environments and releases pages
// show the promotion awaiting approval. At phone width (375 px) an admin approves it from the
// approvals queue with a comment (the card names release 1); with no Kubernetes cluster the
// deploy step is skipped and the promotion succeeds, the developer's open operation page turns
// completed by itself, so does the environments page left open, and the releases page shows
// release 1 running in production; a promotion started meanwhile makes the modal show the API's
// refusal. A free tenant's owner is told which plan brings releases. Screenshots of each page at
// both widths go to test-results/screenshots/promotions/ (git ignores it); nothing scrolls
// sideways.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { request, waitForOperation } from '../support/api-client.ts';
import { isCspViolation, launchChromium, signInThroughPortal, waitForHydration } from '../support/browser.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import { provisionTenantWithOwner } from '../support/provisioning.ts';
import { waitFor } from '../support/wait-for.ts';

const SCREENSHOTS = fileURLToPath(new URL('../../test-results/screenshots/promotions/', import.meta.url));
const DESKTOP = { width: 1400, height: 900 };
const PHONE = { width: 375, height: 812 };
const DIGEST = 'c'.repeat(64);
const IMAGE = `registry.test/shop/web@sha256:${DIGEST}`;

describe('portal: releases and promotions', () => {
  let platform: Platform;
  let browser: Browser;
  let slug: string;
  let freeSlug: string;
  let freeOwner: TestUser;
  let developer: TestUser;
  let admin: TestUser;
  let developerPage: Page;
  /** The developer's environments page, left open: it follows the promotion by itself. */
  let watcher: Page;
  const problems: string[] = [];
  const contexts: BrowserContext[] = [];

  async function pageFor(person: TestUser, viewport: { width: number; height: number }): Promise<Page> {
    const context = await browser.newContext({ baseURL: platform.baseUrl, viewport, timezoneId: 'UTC' });
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

  /** Opens a page and waits until React has hydrated it (then forms and buttons are handled). */
  async function open(page: Page, path: string): Promise<void> {
    const response = await page.goto(path, { waitUntil: 'load' });
    assert.ok(response && response.status() < 400, `${path}: ${response?.status()}`);
    await waitForHydration(page);
  }

  /** A full-page screenshot; the page must not scroll sideways. */
  async function shoot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `${name}: the page does not scroll sideways (${overflow}px)`);
  }

  before(async () => {
    platform = await startPlatform({
      portal: true,
      env: { LOGIN_RATE_LIMIT: '1000', CLUSTER_ENVIRONMENTS: 'staging,production' },
    });
    browser = await launchChromium();
    await mkdir(SCREENSHOTS, { recursive: true });
    const [team, free] = await Promise.all([
      provisionTenantWithOwner(platform, 'promo-ui', { plan: 'team' }),
      provisionTenantWithOwner(platform, 'promo-free', { plan: 'free' }),
    ]);
    slug = team.slug;
    freeSlug = free.slug;
    freeOwner = free.owner;
    developer = await seedUser(platform.database, { email: `dev@${slug}.test`, displayName: 'Dana Developer' });
    admin = await seedUser(platform.database, { email: `admin@${slug}.test`, displayName: 'Ada Admin' });
    for (const [who, role] of [
      [developer, 'developer'],
      [admin, 'admin'],
    ] as const)
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        team.id,
        who.userId,
        role,
      ]);
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await platform?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  const releases = async () =>
    (await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/releases`, { headers: developer.headers })).body
      .items as Array<{ number: number; image: string; notes: string; configurationVersion: string | null }>;

  const promotions = async (environment: string) =>
    (
      await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/environments/${environment}/promotions`, {
        headers: developer.headers,
      })
    ).body.items as Array<{ number: number; release: number; status: string }>;

  it('a developer creates a release and requests its promotion to production (desktop)', async () => {
    const page = await pageFor(developer, DESKTOP);
    developerPage = page;
    await open(page, `/tenants/${slug}`);
    await page.getByRole('tab', { name: 'Releases' }).click();
    await page.waitForURL(`**/tenants/${slug}/releases`);
    await page.getByTestId('releases-empty').waitFor();
    const deployments = page.getByTestId('deployment-card');
    assert.deepEqual(
      await deployments.evaluateAll((cards) => cards.map((card) => card.getAttribute('data-environment'))),
      ['staging', 'production'],
    );
    assert.equal(await page.getByTestId('running-release-none').count(), 2, 'nothing runs anywhere yet');
    await waitForHydration(page);
    await shoot(page, 'releases-empty-desktop');

    // A tag could move: the API's error shows on the Image field, and nothing is created.
    const form = page.getByRole('form', { name: 'Create a release' });
    await form.getByRole('textbox', { name: 'Image' }).fill('registry.test/shop/web:1.0');
    await form.getByRole('button', { name: 'Create release' }).click();
    await form.getByText(/Name the image by digest/).waitFor();
    assert.deepEqual(await releases(), []);

    await form.getByRole('textbox', { name: 'Image' }).fill(IMAGE);
    await form.getByRole('textbox', { name: 'Configuration version' }).fill('cfg-7');
    await form.getByRole('textbox', { name: 'Notes' }).fill('Checkout in one step');
    await form.getByRole('button', { name: 'Create release' }).click();
    await page.getByTestId('release-created').waitFor();
    const row = page.getByTestId('release-row').filter({ hasText: 'Checkout in one step' });
    await row.waitFor();
    assert.equal(await row.getAttribute('data-release'), '1');
    await row.getByText('Dana Developer').waitFor();
    await row.getByText('Configuration cfg-7').waitFor();
    // The digest is shortened on the page, whole on hover and in the copy.
    const image = row.getByTestId('release-image');
    assert.equal(await image.textContent(), `registry.test/shop/web@sha256:${DIGEST.slice(0, 12)}…`);
    assert.equal(await image.getAttribute('title'), IMAGE);
    const [created] = await releases();
    assert.deepEqual(
      { number: created?.number, image: created?.image, notes: created?.notes, cfg: created?.configurationVersion },
      { number: 1, image: IMAGE, notes: 'Checkout in one step', cfg: 'cfg-7' },
    );

    // Promote: production needs an admin's approval (the platform's default policy).
    await page.getByRole('button', { name: 'Promote release 1' }).click();
    const modal = page.getByRole('dialog', { name: 'Promote release 1' });
    await modal.getByTestId('promotion-preview').waitFor();
    await modal.getByLabel('Target environment').selectOption('production');
    await modal.getByTestId('preview-approval').getByText('“production”').waitFor();
    const stages = modal.getByTestId('preview-stage');
    assert.equal(await stages.count(), 1);
    assert.match(
      (await stages.first().textContent()) ?? '',
      /admins: 1 admin \(or owners\) must approve; if not approved within 1 day, the promotion is rejected\./,
    );
    assert.equal(
      await modal.getByTestId('preview-current').textContent(),
      'Nothing runs in production yet: release 1 will be its first.',
    );
    assert.equal(await modal.getByTestId('preview-blockers').count(), 0);
    assert.equal(await modal.getByTestId('preview-freeze').count(), 0);
    await shoot(page, 'promote-modal-desktop');
    await modal.getByRole('button', { name: 'Request the promotion' }).click();

    // The promotion's live view: its operation page, waiting at the approval.
    await page.waitForURL((url) => url.pathname.startsWith('/operations/'));
    const operationId = `promotion/${slug}/production/1`;
    await page.locator(`[data-testid="operation-view"][data-operation-id="${operationId}"]`).waitFor();
    await page.locator('[data-testid="operation-step"][data-step="approval"][data-status="running"]').waitFor();
    assert.equal(await page.getByTestId('operation-releases-link').getAttribute('href'), `/tenants/${slug}/releases`);
    await shoot(page, 'promotion-awaiting-approval-desktop');

    // What runs where says it too, on the releases and the environments pages (once the
    // promotion's row says so: the workflow marks it when the request takes decisions).
    await waitFor(
      'the promotion awaits approval',
      async () => (await promotions('production'))[0]?.status === 'awaiting-approval',
      30_000,
    );
    const other = await pageFor(developer, DESKTOP);
    watcher = other;
    await open(other, `/tenants/${slug}/releases`);
    const production = other.locator('[data-testid="deployment-card"][data-environment="production"]');
    await production.locator('[data-testid="promotion-status"][data-status="awaiting-approval"]').waitFor();
    assert.equal(
      await production.getByTestId('open-promotion-link').getAttribute('href'),
      `/operations/${encodeURIComponent(operationId)}`,
    );
    await open(other, `/tenants/${slug}/environments`);
    const row2 = other.getByTestId('environment-row').filter({ hasText: `tenant-${slug}-production` });
    await row2.locator('[data-testid="promotion-status"][data-status="awaiting-approval"]').waitFor();
    await shoot(other, 'environments-desktop');

    // From the environment, Promote offers the release and tells why it cannot start now.
    await other.getByRole('button', { name: 'Promote to production' }).click();
    const fromEnvironment = other.getByRole('dialog', { name: 'Promote to production' });
    await fromEnvironment
      .getByTestId('preview-blocker')
      .filter({ hasText: 'Promotion 1 of release 1 is still awaiting-approval there.' })
      .waitFor();
    assert.ok(await fromEnvironment.getByTestId('promote-submit').isDisabled(), 'Promote is disabled with a blocker');
    await fromEnvironment.getByRole('button', { name: 'Cancel' }).click();
  });

  it('an admin approves it from the queue at 375 px; production then runs release 1', async () => {
    const page = await pageFor(admin, PHONE);
    await open(page, '/approvals?kind=promotion');
    const card = page.getByTestId('approval-card').filter({ hasText: slug });
    await card.waitFor();
    assert.equal(await card.getByTestId('approval-release').textContent(), 'Release 1');
    assert.equal(
      await card.getByTestId('approval-promotion').textContent(),
      'Promotion 1 into production of release 1: the tenant’s releases and what runs where',
    );
    assert.equal(await card.getByTestId('approval-releases-link').getAttribute('href'), `/tenants/${slug}/releases`);
    await shoot(page, 'approvals-phone');
    await card.getByLabel('Comment').fill('Checked the release notes');
    await card.getByTestId('approve').click();
    await page.getByTestId('approval-decided').waitFor();
    assert.match((await page.getByTestId('approval-decided').textContent()) ?? '', /approved/);

    const operation = await waitForOperation(platform, `promotion/${slug}/production/1`);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    const decisions = await platform.database.query<{ comment: string }>(
      `SELECT d.comment FROM approval_decisions d JOIN approval_requests r ON r.id = d.request_id
        WHERE r.tenant_id = (SELECT id FROM tenants WHERE slug = $1)`,
      [slug],
    );
    assert.deepEqual(
      decisions.map((decision) => decision.comment),
      ['Checked the release notes'],
    );

    // The developer's operation page followed it live.
    await developerPage.locator('[data-testid="operation-status"][data-status="completed"]').waitFor();
    await developerPage.locator('[data-testid="operation-step"][data-step="deploy"][data-status="skipped"]').waitFor();
    await shoot(developerPage, 'promotion-succeeded-desktop');
    // So did the environments page left open (it reads itself again while a promotion is open).
    await watcher
      .getByTestId('environment-row')
      .filter({ hasText: `tenant-${slug}-production` })
      .locator('[data-testid="running-release"][data-release="1"]')
      .waitFor();

    await open(page, `/tenants/${slug}/releases`);
    const production = page.locator('[data-testid="deployment-card"][data-environment="production"]');
    assert.equal(await production.getByTestId('running-release').getAttribute('data-release'), '1');
    assert.equal(await production.getByTestId('open-promotion').count(), 0, 'nothing is on its way');
    const card1 = page.locator('[data-testid="release-card"][data-release="1"]');
    await card1.getByText('runs in production').waitFor();
    await shoot(page, 'releases-phone');

    await open(page, `/tenants/${slug}/environments`);
    const productionCard = page.getByTestId('environment-card').filter({ hasText: `tenant-${slug}-production` });
    assert.equal(await productionCard.getByTestId('running-release').getAttribute('data-release'), '1');
    await shoot(page, 'environments-phone');

    // Promote from a phone: the modal fits and shows what would replace what.
    await open(page, `/tenants/${slug}/releases`);
    await card1.getByRole('button', { name: 'Promote release 1' }).click();
    const modal = page.getByRole('dialog', { name: 'Promote release 1' });
    await modal.getByLabel('Target environment').selectOption('production');
    await modal.getByText('Release 1 runs in production already; promoting it deploys it again.').waitFor();
    await shoot(page, 'promote-modal-phone');

    // Another promotion started meanwhile (through the API): the POST's problem shows in the modal.
    const meanwhile = await request(
      platform.baseUrl,
      'POST',
      `/api/v1/tenants/${slug}/environments/production/promotions`,
      { headers: developer.headers, json: { release: 1 } },
    );
    assert.equal(meanwhile.status, 202, JSON.stringify(meanwhile.body));
    await modal.getByRole('button', { name: 'Request the promotion' }).click();
    await modal
      .getByTestId('promote-problem')
      .getByText(/^Promotion 2 of release 1 is still [a-z-]+ in "production"; wait for it to end\.$/)
      .waitFor();
    assert.equal(new URL(page.url()).pathname, `/tenants/${slug}/releases`, 'the page stays');
  });

  it("a free tenant's owner is told which plan brings releases (375 px)", async () => {
    const page = await pageFor(freeOwner, PHONE);
    await open(page, `/tenants/${freeSlug}/releases`);
    const gate = page.getByTestId('releases-plan-gate');
    await gate.getByText('Releases and promotions come with the team plan').waitFor();
    assert.equal(
      await gate.getByRole('link', { name: 'See the plans' }).getAttribute('href'),
      `/tenants/${freeSlug}/plan`,
    );
    assert.ok(await page.getByRole('button', { name: 'Create release' }).isDisabled());
    await page
      .getByTestId('create-release-refusal')
      .getByText('The free plan does not include releases and promotions.')
      .waitFor();
    await shoot(page, 'releases-free-plan-phone');
  });
});
