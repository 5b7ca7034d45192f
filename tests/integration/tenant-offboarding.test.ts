// Offboarding a tenant over HTTP with the embedded defaults (local secret store, local
// billing, no cluster: the namespaces step reports "skipped"), against the real Temporal
// dev server and PostgreSQL: only platform admins may; the tenant is closed and its data
// exported into a tar.gz that holds its rows, schema, secret metadata and audit log; after
// the grace period its secrets, database role, schema and billing are deleted and the report
// says how we know; a cancel during the grace period leaves everything as it was, and a
// cancel once deletion began is refused.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { tenantLockKey } from '../../activities/shared/tenant-lock.ts';
import { operationPath, request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import { holdInTransaction, waitForStepBlocked } from '../support/provisioning.ts';
import { jsonLinesOf, readTarGz } from '../support/tar.ts';

const schemaOf = (slug: string) => `tenant_${slug.replaceAll('-', '_')}`;

describe('tenant offboarding', () => {
  let platform: Platform;
  let owner: TestUser;
  let outsider: TestUser;

  before(async () => {
    // The default grace period, for offboardings that do not name one.
    platform = await startPlatform({ env: { OFFBOARD_GRACE_PERIOD: '1h' } });
    owner = await seedUser(platform.database, { email: 'owner@offboard.test' });
    outsider = await seedUser(platform.database, { email: 'outsider@offboard.test' });
  });
  after(async () => {
    await platform?.stop();
  });

  const as = (headers: Record<string, string>, method: string, path: string, json?: unknown) =>
    request(platform.baseUrl, method, path, { headers, ...(json === undefined ? {} : { json }) });

  async function createTenant(prefix: string): Promise<{ slug: string; tenantId: string }> {
    const slug = uniqueSlug(prefix);
    const created = await as(platform.admin.headers, 'POST', '/api/v1/tenants', {
      slug,
      name: `Org ${prefix}`,
      ownerEmail: owner.email,
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const provisioned = await waitForOperation(platform, created.body.operation.id);
    assert.equal(provisioned.status, 'completed', JSON.stringify(provisioned));
    const tenantId = created.body.tenant.id as string;
    // The owner had an account before the tenant existed: provisioning made them its owner.
    assert.deepEqual(
      await platform.database.query(`SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2`, [
        tenantId,
        owner.userId,
      ]),
      [{ role: 'owner' }],
    );
    // The tenant's own data in its schema, written as its login role.
    const schema = schemaOf(slug);
    await platform.database.query(
      `SET ROLE ${schema}_login;
       CREATE TABLE ${schema}.notes (id integer PRIMARY KEY, body text NOT NULL DEFAULT '');
       INSERT INTO ${schema}.notes VALUES (1, 'first'), (2, 'second');
       RESET ROLE`,
    );
    return { slug, tenantId };
  }

  async function waitForStep(id: string, step: string, status: string) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { body } = await as(platform.admin.headers, 'GET', operationPath(id));
      if (body.steps?.find((s: { name: string }) => s.name === step)?.status === status) return body;
      if (Date.now() > deadline) throw new Error(`step ${step} never ${status}: ${JSON.stringify(body)}`);
      await sleep(200);
    }
  }

  const exists = async (sql: string, name: string) => (await platform.database.query(sql, [name])).length > 0;
  const roleExists = (slug: string) => exists(`SELECT 1 FROM pg_roles WHERE rolname = $1`, `${schemaOf(slug)}_login`);
  const schemaExists = (slug: string) => exists(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, schemaOf(slug));
  const statusOf = async (tenantId: string) =>
    (await platform.database.query<{ status: string }>(`SELECT status FROM tenants WHERE id = $1`, [tenantId]))[0]
      ?.status;

  it('exports, waits out the grace period, deletes everything and reports the evidence', async () => {
    const { slug, tenantId } = await createTenant('off');
    const path = `/api/v1/tenants/${slug}/offboard`;
    const key = await as(owner.headers, 'POST', `/api/v1/tenants/${slug}/api-keys`, { name: 'ci', role: 'viewer' });
    assert.equal(key.status, 201, JSON.stringify(key.body));

    // Platform admins only; bad input names the field and starts nothing.
    assert.equal((await as(owner.headers, 'POST', path, { reason: 'Contract ended' })).status, 403);
    assert.equal((await as(outsider.headers, 'POST', path, { reason: 'Contract ended' })).status, 404);
    const noReason = await as(platform.admin.headers, 'POST', path, { reason: '' });
    assert.equal(noReason.status, 422);
    assert.equal(noReason.body.errors[0].path, 'reason');
    const badGrace = await as(platform.admin.headers, 'POST', path, { reason: 'Contract ended', gracePeriod: '1y' });
    assert.equal(badGrace.status, 422);
    assert.equal(badGrace.body.errors[0].path, 'gracePeriod');
    const extra = await as(platform.admin.headers, 'POST', path, { reason: 'Contract ended', now: true });
    assert.equal(extra.status, 422);
    assert.equal((await as(platform.admin.headers, 'POST', `${path}/cancel`, {})).status, 409);
    assert.equal((await as(platform.admin.headers, 'GET', `${path}/export`)).status, 404);
    assert.equal(await statusOf(tenantId), 'active');

    const headers = { ...platform.admin.headers, 'idempotency-key': `offboard-${slug}` };
    const body = { reason: 'Contract ended', gracePeriod: '3s' };
    const started = await as(headers, 'POST', path, body);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.operation.id, `tenant-offboard/${slug}`);
    assert.equal(started.body.operation.kind, 'tenant-offboard');
    assert.equal(started.body.offboarding.gracePeriodMs, 3_000);
    const repeated = await as(headers, 'POST', path, body);
    assert.equal(repeated.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(repeated.body, started.body);
    const id = started.body.operation.id as string;

    // During the grace period: closed to members, and the deletion cannot be cancelled once
    // it began (the tenant lock holds the first deletion step where it starts).
    await waitForStep(id, 'grace', 'running');
    assert.equal(await statusOf(tenantId), 'offboarding');
    const refused = await as(owner.headers, 'GET', `/api/v1/tenants/${slug}/members`);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.type, 'urn:atrium:problem:tenant-offboarded');
    assert.equal((await as(platform.admin.headers, 'POST', path, { reason: 'Again' })).status, 409);
    const blocker = await holdInTransaction(
      platform,
      `SELECT pg_advisory_xact_lock(hashtextextended('${tenantLockKey(tenantId)}', 0))`,
    );
    try {
      await waitForStepBlocked(platform, id, 'connections');
      const late = await as(platform.admin.headers, 'POST', `${path}/cancel`, {});
      assert.equal(late.status, 409, JSON.stringify(late.body));
      assert.match(late.body.detail, /deletion has begun/);
    } finally {
      await blocker.release();
    }

    const operation = await waitForOperation(platform, id);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    assert.equal(operation.phase, 'completed');
    await recordHistory(platform.temporal, id, 'offboard-tenant-completed');
    assert.deepEqual(
      operation.steps.map((s: { name: string; status: string }) => [s.name, s.status]),
      [
        ['export', 'completed'],
        ['grace', 'completed'],
        ['connections', 'completed'],
        ['promotions', 'completed'],
        ['plan-changes', 'completed'],
        ['approvals', 'completed'],
        ['namespaces', 'skipped'],
        ['environments', 'completed'],
        ['secrets', 'completed'],
        ['database', 'completed'],
        ['metering', 'completed'],
        ['billing', 'completed'],
        ['report', 'completed'],
        ['webhooks', 'completed'],
      ],
    );
    assert.match(
      operation.steps.find((step: { name: string }) => step.name === 'namespaces').error,
      /no cluster configured/,
    );

    // The export: a tar.gz with the tenant's rows, schema, secret metadata and audit log.
    const download = await fetch(new URL(`${path}/export`, platform.baseUrl), { headers: platform.admin.headers });
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('content-type'), 'application/gzip');
    assert.match(
      download.headers.get('content-disposition') ?? '',
      /^attachment; filename="atrium-export-.+\.tar\.gz"$/,
    );
    const files = readTarGz(Buffer.from(await download.arrayBuffer()));
    const manifest = JSON.parse(files.get('manifest.json')!.toString());
    assert.equal(manifest.tenant.id, tenantId);
    assert.deepEqual(
      jsonLinesOf(files, 'tables/memberships.jsonl').map((m) => [m.user_id, m.role]),
      [[owner.userId, 'owner']],
    );
    const [apiKey] = jsonLinesOf(files, 'tables/api_keys.jsonl');
    assert.equal(apiKey.name, 'ci');
    assert.equal(apiKey.secret_hash, '[redacted]');
    const actions = jsonLinesOf(files, 'audit-log.jsonl').map((e) => e.action);
    for (const action of ['tenant.created', 'tenant.activated', 'api_key.created', 'tenant.offboarding_started'])
      assert.ok(actions.includes(action), `${action} in ${actions.join(', ')}`);
    assert.ok(jsonLinesOf(files, 'audit-log.jsonl').every((e) => e.tenant_id === tenantId));
    assert.match(
      files.get('schema/schema.sql')!.toString(),
      /CREATE TABLE tenant_\w+\.notes \(\n {2}id integer NOT NULL/,
    );
    assert.deepEqual(
      jsonLinesOf(files, 'schema/tables/notes.jsonl').map((n) => n.body),
      ['first', 'second'],
    );
    const secrets = JSON.parse(files.get('secrets.json')!.toString());
    assert.deepEqual(
      secrets.secrets.map((s: { path: string; currentVersion: number }) => [s.path, s.currentVersion]),
      [[`tenants/${slug}/database`, 1]],
    );
    assert.deepEqual(Object.keys(secrets.secrets[0]).sort(), ['currentVersion', 'path', 'versions']);

    // Everything is gone, and the report says how we know.
    assert.equal(await statusOf(tenantId), 'offboarded');
    assert.equal(await roleExists(slug), false, 'no login role');
    assert.equal(await schemaExists(slug), false, 'no schema');
    const left = await platform.database.query(`SELECT 1 FROM local_secrets WHERE path LIKE $1`, [`tenants/${slug}/%`]);
    assert.equal(left.length, 0, 'no secrets');
    const report = await as(platform.admin.headers, 'GET', `${path}/report`);
    assert.equal(report.status, 200, JSON.stringify(report.body));
    assert.equal(report.body.status, 'offboarded');
    assert.equal(report.body.reason, 'Contract ended');
    assert.ok(report.body.completedAt);
    const resources = report.body.resources.map((r: { kind: string; name: string }) => `${r.kind} ${r.name}`);
    for (const expected of [
      `secret tenants/${slug}/database`,
      `secret_policy atrium-tenant-${slug}`,
      `secret_approle atrium-tenant-${slug}`,
      `database_role ${schemaOf(slug)}_login`,
      `schema ${schemaOf(slug)}`,
    ])
      assert.ok(resources.includes(expected), `${expected} in ${resources.join(', ')}`);
    assert.ok(resources.some((r: string) => r.startsWith('license ')));
    assert.ok(
      resources.some((r: string) => r.startsWith('billing_customer lcus_')),
      resources.join(', '),
    );
    const database = report.body.resources.find((r: { kind: string }) => r.kind === 'database_role');
    assert.match(database.evidence, /absent from pg_roles/);
    assert.equal(report.body.steps.billing.customer.deleted, true);
    // The final metering reconciliation ran before the billing step (local billing bills every
    // meter); its evidence holds nothing left unreported.
    const metering = report.body.steps.metering;
    assert.ok(Date.parse(metering.completedAt) <= Date.parse(report.body.steps.billing.completedAt));
    assert.ok(
      metering.meters.every((m: { unreported: number }) => m.unreported === 0),
      JSON.stringify(metering),
    );

    const audit = await platform.database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE tenant_id = $1 AND id > (
         SELECT id FROM audit_log WHERE tenant_id = $1 AND action = 'tenant.offboarding_started') ORDER BY id`,
      [tenantId],
    );
    assert.deepEqual(
      // Whether the owner's API requests were written as usage before the metering step (every
      // USAGE_METERING_INTERVAL) decides whether a record was signed then: not compared here.
      audit.map((a) => a.action).filter((action) => !action.startsWith('metering.')),
      [
        'tenant.data_exported',
        'environment.deleted',
        'tenant.secret_access_revoked',
        'tenant.database_role_dropped',
        'tenant.schema_dropped',
        'tenant.license_withdrawn',
        'tenant.billing_subscription_canceled',
        'tenant.billing_customer_deleted',
        'tenant.offboarded',
      ],
    );
    const gone = await as(owner.headers, 'GET', `/api/v1/tenants/${slug}/members`);
    assert.equal(gone.status, 403);
    assert.match(gone.body.detail, /was offboarded/);
    assert.equal((await as(platform.admin.headers, 'POST', path, { reason: 'Again' })).status, 409);
    assert.equal((await as(platform.admin.headers, 'POST', `${path}/cancel`, {})).status, 409);
    const listed = await as(
      platform.admin.headers,
      'GET',
      `/api/v1/operations?tenantId=${tenantId}&kind=tenant-offboard`,
    );
    assert.deepEqual(
      listed.body.items.map((o: { id: string }) => o.id),
      [id],
    );
  });

  it('cancels during the grace period: the tenant is active again and intact', async () => {
    const { slug, tenantId } = await createTenant('keep');
    const path = `/api/v1/tenants/${slug}/offboard`;
    // No gracePeriod: OFFBOARD_GRACE_PERIOD (1h here).
    const started = await as(platform.admin.headers, 'POST', path, { reason: 'Asked to leave' });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    assert.equal(started.body.offboarding.gracePeriodMs, 3_600_000);
    const id = started.body.operation.id as string;
    await waitForStep(id, 'grace', 'running');
    assert.equal(await statusOf(tenantId), 'offboarding');

    assert.equal((await as(owner.headers, 'POST', `${path}/cancel`, {})).status, 403);
    const headers = { ...platform.admin.headers, 'idempotency-key': `cancel-${slug}` };
    const cancelled = await as(headers, 'POST', `${path}/cancel`, {});
    assert.equal(cancelled.status, 202, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.cancellation, 'confirmed');
    const repeated = await as(headers, 'POST', `${path}/cancel`, {});
    assert.equal(repeated.headers.get('idempotent-replayed'), 'true');

    const operation = await waitForOperation(platform, id);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    assert.equal(operation.phase, 'cancelled');
    await recordHistory(platform.temporal, id, 'offboard-tenant-cancelled');
    assert.deepEqual(
      operation.steps.map((s: { name: string; status: string }) => [s.name, s.status]),
      [
        ['export', 'completed'],
        ['grace', 'completed'],
        ['connections', 'skipped'],
        ['promotions', 'skipped'],
        ['plan-changes', 'skipped'],
        ['approvals', 'skipped'],
        ['namespaces', 'skipped'],
        ['environments', 'skipped'],
        ['secrets', 'skipped'],
        ['database', 'skipped'],
        ['metering', 'skipped'],
        ['billing', 'skipped'],
        ['report', 'skipped'],
        ['webhooks', 'skipped'],
      ],
    );
    assert.match(operation.steps[3].error, /cancelled during the grace period/);

    assert.equal(await statusOf(tenantId), 'active');
    assert.equal(await roleExists(slug), true, 'the login role is still there');
    assert.equal(await schemaExists(slug), true, 'the schema is still there');
    const notes = await platform.database.query(`SELECT body FROM ${schemaOf(slug)}.notes ORDER BY id`);
    assert.equal(notes.length, 2);
    const secrets = await platform.database.query(`SELECT 1 FROM local_secrets WHERE path = $1`, [
      `tenants/${slug}/database`,
    ]);
    assert.equal(secrets.length, 1, 'the database secret is still there');
    const access = await platform.database.query(`SELECT 1 FROM local_secret_access WHERE slug = $1`, [slug]);
    assert.equal(access.length, 1, 'the secret access is still there');
    const [resources] = await platform.database.query<{ billing_customer_id: string | null }>(
      `SELECT billing_customer_id FROM tenant_resources WHERE tenant_id = $1`,
      [tenantId],
    );
    assert.ok(resources?.billing_customer_id, 'the billing customer is still recorded');
    assert.equal((await as(owner.headers, 'GET', `/api/v1/tenants/${slug}/members`)).status, 200);
    const report = await as(platform.admin.headers, 'GET', `${path}/report`);
    assert.ok(report.body.cancelledAt);
    assert.equal(report.body.completedAt, null);
    const [cancelEntry] = await platform.database.query<{ actor_id: string }>(
      `SELECT actor_id FROM audit_log WHERE tenant_id = $1 AND action = 'tenant.offboarding_cancelled'`,
      [tenantId],
    );
    assert.equal(cancelEntry?.actor_id, platform.admin.userId);

    assert.equal((await as(platform.admin.headers, 'POST', `${path}/cancel`, {})).status, 409);
    // A later offboarding runs again under the same workflow id.
    const again = await as(platform.admin.headers, 'POST', path, { reason: 'Now for real', gracePeriod: '1h' });
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.notEqual(again.body.operation.runId, started.body.operation.runId);
    await waitForStep(id, 'grace', 'running');
    const cancelledAgain = await as(platform.admin.headers, 'POST', `${path}/cancel`, {});
    assert.equal(cancelledAgain.status, 202);
    await waitForOperation(platform, id);
    assert.equal(await statusOf(tenantId), 'active');
  });
});
