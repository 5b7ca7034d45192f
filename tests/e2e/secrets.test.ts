// The Secrets pages in Debian's Chromium, at desktop and phone widths: an owner sees the empty
// state, creates a secret (the shared schema refusing a bad name first), sets a new version,
// reveals it once and copies nothing more on reload, finds the history, and deletes it after
// confirming. A developer may set values but sees no Reveal button. At phone width an owner
// sets a consumer's verify hook, presses "Rotate now" and sees the rotation's report. On an
// existing secret's page an owner changes the rotation policy (a value under the minimum is
// refused by the field, nothing changed), sees the Schedule's next rotation, edits the consumers
// and turns the policy off (the Schedule goes); a viewer reads it; a free plan's form is disabled.
// On the secrets page an owner sets a kind's default rotation (refused under the minimum by the
// field), and a secret of the kind says it follows it; a viewer reads it, a free plan's is disabled.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { rotationScheduleId } from '../../workflows/secret-rotation/contract.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { isCspViolation, launchChromium, signInThroughPortal } from '../support/browser.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { RotationConsumers } from '../support/rotation-consumer.ts';
import { startRotationConsumers } from '../support/rotation-consumer.ts';

describe('portal: tenant secrets', () => {
  let platform: Platform;
  let browser: Browser;
  let owner: TestUser;
  let developer: TestUser;
  let viewer: TestUser;
  let freeOwner: TestUser;
  let slug: string;
  let freeSlug: string;
  let consumers: RotationConsumers;
  const problems: string[] = [];
  const contexts: BrowserContext[] = [];

  async function pageFor(person: TestUser, viewport: { width: number; height: number }): Promise<Page> {
    const context = await browser.newContext({ baseURL: platform.baseUrl, viewport });
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

  before(async () => {
    consumers = await startRotationConsumers();
    platform = await startPlatform({
      portal: true,
      env: { LOGIN_RATE_LIMIT: '1000', OUTBOUND_ALLOW_LOOPBACK: 'true' },
    });
    browser = await launchChromium();
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: uniqueSlug('secrets-ui'), name: 'Secrets UI', plan: 'team', ownerEmail: 'owner@secrets-ui.test' },
    });
    await waitForOperation(platform, created.body.operation.id);
    slug = created.body.tenant.slug;
    owner = await seedUser(platform.database, { email: 'owner@secrets-ui.test' });
    developer = await seedUser(platform.database, { email: 'developer@secrets-ui.test' });
    viewer = await seedUser(platform.database, { email: 'viewer@secrets-ui.test' });
    for (const [person, role] of [
      [owner, 'owner'],
      [developer, 'developer'],
      [viewer, 'viewer'],
    ] as const)
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        created.body.tenant.id,
        person.userId,
        role,
      ]);
    // A free plan has no `secret-rotation`: its policy form is disabled.
    const free = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: {
        slug: uniqueSlug('secrets-free'),
        name: 'Secrets free',
        plan: 'free',
        ownerEmail: 'owner@secrets-free.test',
      },
    });
    await waitForOperation(platform, free.body.operation.id);
    freeSlug = free.body.tenant.slug;
    freeOwner = await seedUser(platform.database, { email: 'owner@secrets-free.test' });
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      free.body.tenant.id,
      freeOwner.userId,
    ]);
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await consumers?.stop();
    await platform?.stop();
    assert.deepEqual(problems, [], 'no page errors and no content security policy violations');
  });

  it('creates, sets a new version, reveals once, shows the history and deletes (desktop)', async () => {
    const page = await pageFor(owner, { width: 1280, height: 900 });
    await page.goto(`/tenants/${slug}/secrets`);
    await page.getByTestId('secrets-empty').waitFor();

    const form = page.getByRole('form', { name: 'Create a secret' });
    await form.getByRole('textbox', { name: 'Name' }).fill('../bad');
    await form.getByRole('button', { name: 'Create secret' }).click();
    await form.getByText('Use letters, digits, _, - and . only').waitFor();

    await form.getByRole('textbox', { name: 'Name' }).fill('DATABASE_PASSWORD');
    await form.getByRole('combobox', { name: 'Kind' }).selectOption('database-password');
    // Not production: production's values and reveals wait for an approval (secret-approvals e2e).
    await form.getByRole('textbox', { name: 'Environment' }).fill('staging');
    await form.getByLabel('Value').fill('first-value-of-the-browser-test');
    await form.getByRole('textbox', { name: 'Consumers' }).fill('deployment/web\njob/nightly');
    await form.getByRole('textbox', { name: 'Rotate every' }).fill('30d');
    await form.getByRole('button', { name: 'Create secret' }).click();
    await page.getByTestId('secret-created').waitFor();
    const row = page.locator('[data-testid="secret-row"][data-name="DATABASE_PASSWORD"]');
    await row.waitFor();
    assert.ok(!(await page.content()).includes('first-value-of-the-browser-test'), 'the list shows no value');

    await row.getByRole('link', { name: 'DATABASE_PASSWORD' }).click();
    await page.getByRole('heading', { name: 'DATABASE_PASSWORD' }).waitFor();
    await page.getByTestId('policy-current').getByText('Rotated every 30d').waitFor();
    await page.getByLabel('New value').fill('second-value-of-the-browser-test');
    await page.getByRole('button', { name: 'Set new version' }).click();
    await page.getByTestId('secret-version-set').waitFor();
    await page.locator('[data-testid="secret-version-row"][data-version="1"]').waitFor();

    await page.getByRole('button', { name: 'Reveal version 2' }).click();
    const revealed = page.getByTestId('revealed-value');
    await revealed.waitFor();
    assert.equal((await revealed.textContent())?.trim(), 'second-value-of-the-browser-test');
    await page.getByTestId('revealed-secret').getByRole('button', { name: 'Copy' }).waitFor();
    // Shown once: a reload has no value.
    await page.reload();
    await page.getByTestId('secret-versions').waitFor();
    assert.equal(await page.getByTestId('revealed-secret').count(), 0);
    assert.ok(!(await page.content()).includes('second-value-of-the-browser-test'));

    const audit = await platform.database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE target_type = 'tenant_secret' ORDER BY id`,
    );
    assert.deepEqual(
      audit.map((entry) => entry.action),
      ['secret.created', 'secret.version_added', 'secret.revealed'],
    );

    await page.getByRole('button', { name: 'Delete secret' }).click();
    await page.getByRole('button', { name: 'Confirm deleting DATABASE_PASSWORD' }).click();
    await page.getByTestId('secrets-empty').waitFor();
    assert.match(page.url(), new RegExp(`/tenants/${slug}/secrets$`));
  });

  it('works at phone width; a developer sets values but cannot reveal', async () => {
    const created = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/secrets`, {
      headers: owner.headers,
      json: { name: 'SMTP_PASSWORD', kind: 'generic', environment: 'staging', value: 'phone-width-value' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const page = await pageFor(developer, { width: 390, height: 844 });
    await page.goto(`/tenants/${slug}/secrets`);
    const row = page.locator('[data-testid="secret-row"][data-name="SMTP_PASSWORD"]');
    await row.waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page does not scroll sideways (${overflow}px)`);
    await row.getByRole('link', { name: 'SMTP_PASSWORD' }).click();
    await page.getByTestId('secret-versions').waitFor();
    assert.equal(await page.getByRole('button', { name: /^Reveal/ }).count(), 0, 'no Reveal for a developer');
    await page.getByLabel('New value').fill('phone-width-value-2');
    await page.getByRole('button', { name: 'Set new version' }).click();
    await page.getByTestId('secret-version-set').waitFor();
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(sideways <= 1, `the secret's page does not scroll sideways (${sideways}px)`);
  });

  it('rotates now from the portal at phone width and shows which consumers were verified', async () => {
    const created = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/secrets`, {
      headers: owner.headers,
      json: {
        name: 'ROTATED_TOKEN',
        kind: 'generic',
        environment: 'staging',
        value: 'rotated-token-first-value',
        consumers: ['web'],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const page = await pageFor(owner, { width: 390, height: 844 });
    await page.goto(`/tenants/${slug}/secrets/${created.body.id}`);
    const panel = page.getByTestId('secret-rotation');
    await panel.getByTestId('rotations-empty').waitFor();
    const settings = page.getByRole('form', { name: 'Rotation settings' });
    await settings.getByRole('textbox', { name: 'Verify hook of web' }).fill(consumers.url('e2e-web'));
    await settings.getByRole('textbox', { name: 'Overlap window' }).fill('1s');
    await settings.getByRole('button', { name: 'Save rotation settings' }).click();
    await page.getByTestId('rotation-settings-saved').waitFor();
    await panel.getByRole('button', { name: 'Rotate now' }).click();
    await page.getByTestId('rotation-started').waitFor();
    // The page refreshes itself while the rotation is open.
    const done = page.locator('[data-testid="rotation"][data-number="1"][data-status="completed"]');
    await done.waitFor({ timeout: 60_000 });
    assert.match((await done.getByTestId('rotation-report').textContent()) ?? '', /web: verified at/);
    assert.ok(consumers.state('e2e-web').current, 'the consumer was handed the new value');
    assert.ok(!(await page.content()).includes(consumers.state('e2e-web').current!), 'the page shows no value');
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(sideways <= 1, `the rotation panel does not scroll sideways (${sideways}px)`);
  });

  it("changes an existing secret's policy and consumers, refuses one under the minimum, turns it off (phone width)", async () => {
    const created = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/secrets`, {
      headers: owner.headers,
      json: { name: 'POLICY_TOKEN', kind: 'generic', environment: 'staging', value: 'policy-token-value' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const secretId = created.body.id as string;
    const scheduleId = rotationScheduleId(slug, secretId);
    const read = async () =>
      (
        await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/secrets/${secretId}`, {
          headers: owner.headers,
        })
      ).body;
    const page = await pageFor(owner, { width: 390, height: 844 });
    await page.goto(`/tenants/${slug}/secrets/${secretId}`);
    const panel = page.getByTestId('secret-policy');
    await panel.getByTestId('policy-current').getByText('No rotation policy').waitFor();
    const form = page.getByRole('form', { name: 'Rotation policy' });

    // Under SECRET_ROTATION_MINIMUM (1d by default): the API's message by the field, nothing changed.
    await form.getByRole('textbox', { name: 'Rotate every' }).fill('1h');
    await form.getByRole('button', { name: 'Save policy' }).click();
    await form.getByText('at least 1d').waitFor();
    const refused = await read();
    assert.equal(refused.rotationPolicy, null);
    assert.equal(refused.schedule.state, 'none');
    await assert.rejects(platform.temporal.schedule.getHandle(scheduleId).describe(), ScheduleNotFoundError);

    await form.getByRole('textbox', { name: 'Rotate every' }).fill('7d');
    await form.getByRole('button', { name: 'Save policy' }).click();
    await panel.getByTestId('policy-saved').waitFor();
    await panel.getByTestId('policy-current').getByText('Rotated every 7d').waitFor();
    const next = panel.getByTestId('policy-next-rotation');
    await next.getByText('Next rotation').waitFor();
    const saved = await read();
    assert.deepEqual(saved.rotationPolicy, { everySeconds: 7 * 86_400, every: '7d' });
    assert.equal(saved.schedule.state, 'scheduled');
    assert.ok(saved.schedule.nextRotations.length > 0, 'the Schedule has due times');
    const described = await platform.temporal.schedule.getHandle(scheduleId).describe();
    assert.equal(described.info.nextActionTimes[0]?.toISOString(), saved.schedule.nextRotations[0]);
    const [audit] = await platform.database.query<{ before: any; after: any }>(
      `SELECT before, after FROM audit_log WHERE action = 'secret.updated' AND target_id = $1 ORDER BY id DESC LIMIT 1`,
      [secretId],
    );
    assert.equal(audit?.before.rotationPolicy, null);
    assert.equal(audit?.after.rotationPolicy, '7d');

    // Consumers: the API's refusal by the field, then saved.
    const consumersForm = page.getByRole('form', { name: 'Consumers' });
    await consumersForm.getByRole('textbox', { name: 'Consumers' }).fill('deployment/web\ndeployment/web');
    await consumersForm.getByRole('button', { name: 'Save consumers' }).click();
    await consumersForm.getByText('Name each consumer once.').waitFor();
    assert.deepEqual((await read()).consumers, []);
    await consumersForm.getByRole('textbox', { name: 'Consumers' }).fill('deployment/web\njob/nightly');
    await consumersForm.getByRole('button', { name: 'Save consumers' }).click();
    await panel.getByTestId('consumers-saved').waitFor();
    assert.deepEqual((await read()).consumers, ['deployment/web', 'job/nightly']);

    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(sideways <= 1, `the policy section does not scroll sideways (${sideways}px)`);

    await form.getByRole('button', { name: 'Turn rotation off' }).click();
    await panel.getByTestId('policy-current').getByText('No rotation policy').waitFor();
    const off = await read();
    assert.equal(off.rotationPolicy, null);
    assert.equal(off.schedule.state, 'none');
    await assert.rejects(platform.temporal.schedule.getHandle(scheduleId).describe(), ScheduleNotFoundError);
  });

  it('shows the policy read-only without secrets.manage, and disabled on a plan without secret-rotation', async () => {
    const created = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/secrets`, {
      headers: owner.headers,
      json: {
        name: 'READ_ONLY_POLICY',
        kind: 'generic',
        environment: 'staging',
        value: 'read-only-policy-value',
        consumers: ['deployment/api'],
        rotationPolicy: { every: '30d' },
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const page = await pageFor(viewer, { width: 1280, height: 900 });
    await page.goto(`/tenants/${slug}/secrets/${created.body.id}`);
    const panel = page.getByTestId('secret-policy');
    await panel.getByTestId('policy-read-only').waitFor();
    await panel.getByTestId('policy-current').getByText('Rotated every 30d').waitFor();
    await panel.getByTestId('policy-next-rotation').getByText('Next rotation').waitFor();
    await panel.getByTestId('consumers-list').getByText('deployment/api').waitFor();
    assert.equal(await page.getByRole('form', { name: 'Rotation policy' }).count(), 0);
    assert.equal(await page.getByRole('form', { name: 'Consumers' }).count(), 0);

    const free = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${freeSlug}/secrets`, {
      headers: freeOwner.headers,
      json: { name: 'FREE_TOKEN', kind: 'generic', environment: 'staging', value: 'free-token-value' },
    });
    assert.equal(free.status, 201, JSON.stringify(free.body));
    const freePage = await pageFor(freeOwner, { width: 390, height: 844 });
    await freePage.goto(`/tenants/${freeSlug}/secrets/${free.body.id}`);
    const form = freePage.getByRole('form', { name: 'Rotation policy' });
    await form
      .getByTestId('policy-plan-gate')
      .getByText(/Available on the \w+ plan/)
      .waitFor();
    assert.ok(await form.getByRole('button', { name: 'Save policy' }).isDisabled());
    assert.ok(await form.getByRole('textbox', { name: 'Rotate every' }).isDisabled());
    // Consumers need no plan feature.
    assert.ok(await freePage.getByRole('button', { name: 'Save consumers' }).isEnabled());
  });

  it("sets a kind's default rotation on the secrets page (phone width); a secret's page says it follows its kind", async () => {
    const page = await pageFor(owner, { width: 390, height: 844 });
    await page.goto(`/tenants/${slug}/secrets`);
    const row = page.getByTestId('kind-policies').locator('[data-kind="database-password"]');
    await row.getByTestId('kind-policy-current').getByText('none').waitFor();
    const form = page.getByRole('form', { name: 'Rotation of database-password secrets' });
    const every = form.getByRole('textbox', { name: 'Rotate database-password secrets every' });
    // Under SECRET_ROTATION_MINIMUM (1d by default): the API's message by the field, nothing saved.
    await every.fill('1h');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByText('at least 1d').waitFor();
    await every.fill('7d');
    await form.getByRole('button', { name: 'Save' }).click();
    await row.getByTestId('kind-policy-saved').waitFor();
    await row.getByTestId('kind-policy-current').getByText('every 7d').waitFor();
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(sideways <= 1, `the kind section does not scroll sideways (${sideways}px)`);

    const created = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/secrets`, {
      headers: owner.headers,
      json: { name: 'DB_PASSWORD_BY_KIND', kind: 'database-password', environment: 'staging', value: 'db-by-kind' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.effectivePolicy, { every: '7d', everySeconds: 7 * 86_400, source: 'kind' });
    await page.goto(`/tenants/${slug}/secrets/${created.body.id}`);
    await page.getByTestId('policy-current').getByText('the default for database-password secrets').waitFor();
    await page.getByTestId('policy-next-rotation').getByText('Next rotation').waitFor();

    const viewerPage = await pageFor(viewer, { width: 1280, height: 900 });
    await viewerPage.goto(`/tenants/${slug}/secrets`);
    await viewerPage.getByTestId('kind-policy-read-only').waitFor();
    await viewerPage
      .locator('[data-kind="database-password"]')
      .getByTestId('kind-policy-current')
      .getByText('every 7d')
      .waitFor();
    assert.equal(await viewerPage.getByRole('form', { name: 'Rotation of database-password secrets' }).count(), 0);

    const freePage = await pageFor(freeOwner, { width: 390, height: 844 });
    await freePage.goto(`/tenants/${freeSlug}/secrets`);
    await freePage
      .getByTestId('kind-policy-plan-gate')
      .getByText(/Available on the \w+ plan/)
      .waitFor();
    const freeForm = freePage.getByRole('form', { name: 'Rotation of generic secrets' });
    assert.ok(await freeForm.getByRole('button', { name: 'Save' }).isDisabled());
  });
});
