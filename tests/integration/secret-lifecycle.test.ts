// A tenant's secrets across its lifecycle (issue 16), through the whole platform with the real
// Temporal dev server, PostgreSQL and the local secret store: one team-plan tenant with a
// managed secret on a rotation policy (two versions) and a database login rotation policy.
// - suspending it pauses both policies' Schedules and records them on the suspension;
//   reactivating resumes them (that a member's own pause survives is shown for sync Schedules
//   in connector-syncs.test.ts, by the same activity);
// - offboarding it deletes both Schedules, every secret under `tenants/<slug>/` and the
//   tenant's three PostgreSQL roles, and the report lists the secret paths and Schedules.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ScheduleNotFoundError } from '@temporalio/client';
import { tenantLoginRoleNames, tenantOwnerRoleName } from '../../activities/shared/tenant-teardown.ts';
import { databaseLoginScheduleId, rotationScheduleId } from '../../workflows/secret-rotation/contract.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';

describe('secret lifecycle: suspension pauses the rotation Schedules, offboarding deletes secrets, Schedules and roles', () => {
  let platform: Platform;
  let owner: TestUser;
  const tenant = { id: '', slug: '' };
  let secretId = '';
  let schedules: string[] = [];

  before(async () => {
    platform = await startPlatform({ env: { SECRET_ROTATION_MINIMUM: '2s' } });
    owner = await seedUser(platform.database, { email: 'owner@lifecycle.test' });
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: uniqueSlug('lifecycle'), name: 'Lifecycle Co', plan: 'team', ownerEmail: owner.email },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const provisioned = await waitForOperation(platform, created.body.operation.id);
    assert.equal(provisioned.status, 'completed', JSON.stringify(provisioned));
    tenant.id = created.body.tenant.id;
    tenant.slug = created.body.tenant.slug;

    // A policy long enough that neither Schedule fires during the test.
    const secret = await as(owner, 'POST', `${tenantPath()}/secrets`, {
      name: 'PARTNER_TOKEN',
      kind: 'generic',
      environment: 'staging', // production's changes wait for an approval
      value: 'lifecycle-first-value',
      consumers: ['deployment/web'],
      rotationPolicy: { every: '1h' },
    });
    assert.equal(secret.status, 201, JSON.stringify(secret.body));
    secretId = secret.body.id;
    const second = await as(owner, 'POST', `${tenantPath()}/secrets/${secretId}/versions`, {
      value: 'lifecycle-second-value',
    });
    assert.equal(second.status, 201, JSON.stringify(second.body));
    assert.equal(second.body.version, 2);
    const policy = await as(platform.admin, 'PUT', `${tenantPath()}/database-login/policy`, { every: '1h' });
    assert.equal(policy.status, 200, JSON.stringify(policy.body));
    schedules = [rotationScheduleId(tenant.slug, secretId), databaseLoginScheduleId(tenant.slug)];
  });
  after(async () => {
    await platform?.stop();
  });

  const tenantPath = () => `/api/v1/tenants/${tenant.slug}`;
  const as = (person: TestUser, method: string, path: string, json?: unknown) =>
    request(platform.baseUrl, method, path, { headers: person.headers, ...(json === undefined ? {} : { json }) });
  const paused = async (id: string) => (await platform.temporal.schedule.getHandle(id).describe()).state.paused;
  const storedPaths = async () =>
    (
      await platform.database.query<{ path: string }>(
        `SELECT DISTINCT path FROM local_secrets WHERE starts_with(path, $1) ORDER BY path`,
        [`tenants/${tenant.slug}/`],
      )
    ).map((row) => row.path);
  const rolesLeft = async () =>
    (
      await platform.database.query<{ rolname: string }>(
        `SELECT rolname FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname`,
        [[...tenantLoginRoleNames(tenant.slug), tenantOwnerRoleName(tenant.slug)]],
      )
    ).map((row) => row.rolname);

  it('suspending pauses the secret and database login rotation Schedules; reactivating resumes both', async () => {
    for (const id of schedules) assert.equal(await paused(id), false, `${id} runs before the suspension`);

    const suspend = await as(platform.admin, 'POST', `${tenantPath()}/suspend`, { reason: 'Lifecycle check' });
    assert.equal(suspend.status, 202, JSON.stringify(suspend.body));
    const suspended = await waitForOperation(platform, suspend.body.operation.id);
    assert.equal(suspended.status, 'completed', JSON.stringify(suspended));
    for (const id of schedules) assert.equal(await paused(id), true, `${id} is paused`);
    const [row] = await platform.database.query<{ paused_schedules: string[] }>(
      `SELECT paused_schedules FROM tenant_suspensions WHERE tenant_id = $1 ORDER BY number DESC LIMIT 1`,
      [tenant.id],
    );
    assert.deepEqual([...row!.paused_schedules].sort(), [...schedules].sort());

    const reactivate = await as(platform.admin, 'POST', `${tenantPath()}/reactivate`, {});
    assert.equal(reactivate.status, 202, JSON.stringify(reactivate.body));
    const reactivated = await waitForOperation(platform, reactivate.body.operation.id);
    assert.equal(reactivated.status, 'completed', JSON.stringify(reactivated));
    for (const id of schedules) assert.equal(await paused(id), false, `${id} runs again`);
  });

  it('offboarding deletes every secret under the tenant, both Schedules and its roles, and reports them', async () => {
    const secretPath = `tenants/${tenant.slug}/secrets/${secretId}`;
    const databasePath = `tenants/${tenant.slug}/database`;
    const [versions] = await platform.database.query<{ versions: number[] }>(
      `SELECT array_agg(version ORDER BY version) AS versions FROM local_secrets WHERE path = $1`,
      [secretPath],
    );
    assert.deepEqual(versions!.versions, [1, 2]);
    assert.ok((await storedPaths()).includes(databasePath));
    assert.equal((await rolesLeft()).length, 3, 'both logins and the owner role exist');

    const started = await as(platform.admin, 'POST', `${tenantPath()}/offboard`, {
      reason: 'Lifecycle check',
      gracePeriod: '1s',
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const operation = await waitForOperation(platform, started.body.operation.id, 180_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));

    assert.deepEqual(await storedPaths(), [], 'nothing left in the store under the tenant');
    for (const id of schedules)
      await assert.rejects(platform.temporal.schedule.getHandle(id).describe(), ScheduleNotFoundError, id);
    assert.deepEqual(await rolesLeft(), [], 'both logins and the owner role are dropped');

    const report = await as(platform.admin, 'GET', `${tenantPath()}/offboard/report`);
    assert.equal(report.status, 200, JSON.stringify(report.body));
    const listed = (kind: string) =>
      report.body.resources
        .filter((resource: { kind: string }) => resource.kind === kind)
        .map((resource: { name: string }) => resource.name);
    for (const path of [secretPath, databasePath]) assert.ok(listed('secret').includes(path), path);
    for (const id of schedules) assert.ok(listed('schedule').includes(id), id);
    assert.deepEqual(
      [...listed('database_role')].sort(),
      [...tenantLoginRoleNames(tenant.slug), tenantOwnerRoleName(tenant.slug)].sort(),
    );
  });
});
