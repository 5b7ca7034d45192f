// @needs-servers: kube
// Environments as tenant data, against the real platform with the local Kubernetes control
// plane: a team tenant is provisioned with the plan's default environments (CLUSTER_ENVIRONMENTS
// capped at three) and their namespaces; a fourth is refused by the plan; deleting one removes
// its namespace from the API server and frees its name, which a new environment takes (its
// namespace really appears); configuration and protection are validated field by field and
// changed by owners and admins only; the last environment of a free tenant cannot be deleted;
// outsiders get 404, and row-level security keeps the rows to their tenant.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import type { Environment, EnvironmentList, EnvironmentStarted } from '../../contracts/environments.ts';
import type { Problem } from '../../contracts/problems.ts';
import { createDataSource } from '../../db/data-source.ts';
import { withTenantScope } from '../../db/scope.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import { kubeServer, workerEnvFor } from '../support/servers.ts';

const kube = new k8s.KubeConfig();
kube.loadFromFile(kubeServer().kubeconfig);
const core = kube.makeApiClient(k8s.CoreV1Api);

async function namespaceExists(name: string): Promise<boolean> {
  try {
    await core.readNamespace({ name });
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return false;
    throw error;
  }
}

const problem = (body: unknown) => body as Problem;
const paths = (body: unknown) => (problem(body).errors ?? []).map((error) => error.path);

describe('environments (tenant data, namespaces on the control plane)', () => {
  let platform: Platform;
  let team: { id: string; slug: string };
  let free: { id: string; slug: string };
  const people: Record<string, TestUser> = {};
  const base = () => `/api/v1/tenants/${team.slug}/environments`;

  before(async () => {
    platform = await startPlatform({
      env: { CLUSTER_ENVIRONMENTS: 'dev,staging,production,canary' },
      workerEnv: workerEnvFor({ kube: 'admin' }),
    });
    const tenants: Array<{ id: string; slug: string }> = [];
    for (const [prefix, plan] of [
      ['envteam', 'team'],
      ['envfree', 'free'],
    ] as const) {
      const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
        headers: platform.admin.headers,
        json: { slug: uniqueSlug(prefix), name: prefix, plan, ownerEmail: `owner@${prefix}.test` },
      });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      const operation = await waitForOperation(platform, created.body.operation.id, 180_000);
      assert.equal(operation.status, 'completed', JSON.stringify(operation));
      if (prefix === 'envteam')
        await recordHistory(platform.temporal, created.body.operation.id, 'provision-tenant-plan-environments');
      tenants.push(created.body.tenant);
    }
    [team, free] = tenants as [typeof team, typeof free];
    for (const role of ['owner', 'admin', 'developer', 'viewer'] as const) {
      people[role] = await seedUser(platform.database, { email: `${role}@env.test` });
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        team.id,
        people[role].userId,
        role,
      ]);
    }
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      free.id,
      people.owner!.userId,
    ]);
    people.outsider = await seedUser(platform.database, { email: 'outsider@env.test' });
  });
  after(async () => {
    await platform?.stop();
  });

  const list = async (slug = team.slug, as = people.viewer!) => {
    const answer = await request<EnvironmentList>(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/environments`, {
      headers: as.headers,
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  };

  it("provisions the plan's default environments in order, each with its namespace", async () => {
    const body = await list();
    assert.deepEqual(
      body.items.map((e) => [e.name, e.position, e.status, e.namespace]),
      ['dev', 'staging', 'production'].map((name, index) => [name, index + 1, 'ready', `tenant-${team.slug}-${name}`]),
    );
    assert.deepEqual([body.limit, body.used], [3, 3]);
    for (const name of ['dev', 'staging', 'production'])
      assert.ok(await namespaceExists(`tenant-${team.slug}-${name}`), `${name} has its namespace`);
    assert.equal(await namespaceExists(`tenant-${team.slug}-canary`), false, 'the plan caps the defaults');
    // The free plan: the first configured environment only.
    assert.deepEqual(
      (await list(free.slug, people.owner)).items.map((e) => e.name),
      ['dev'],
    );
  });

  it('refuses a fourth environment on the team plan: 409 plan-limit-reached on name, nothing recorded', async () => {
    const answer = await request(platform.baseUrl, 'POST', base(), {
      headers: people.owner!.headers,
      json: { name: 'qa' },
    });
    assert.equal(answer.status, 409, JSON.stringify(answer.body));
    assert.match(answer.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(problem(answer.body).type, 'urn:atrium:problem:plan-limit-reached');
    assert.deepEqual(paths(answer.body), ['name']);
    assert.equal((await list()).used, 3);
  });

  it('names each mistake: the field of a bad name, a freeze window ending before it starts, a missing secret', async () => {
    const cases: Array<[unknown, string[]]> = [
      [{ name: 'Bad_Name' }, ['name']],
      [{ name: 'x'.repeat(16) }, ['name']],
      [
        {
          name: 'qa',
          protection: {
            freezeWindows: [
              { kind: 'once', start: '2026-12-24T00:00:00Z', end: '2026-12-23T00:00:00Z', reason: 'holidays' },
              { kind: 'weekly', days: ['fri'], start: '18:00', end: '09:00', reason: 'weekend' },
              { kind: 'weekly', days: [], start: '18:00', end: '19:00', timeZone: 'Mars/Olympus', reason: '' },
            ],
          },
        },
        [
          'protection.freezeWindows.0.end',
          'protection.freezeWindows.1.end',
          'protection.freezeWindows.2.days',
          'protection.freezeWindows.2.timeZone',
          'protection.freezeWindows.2.reason',
        ],
      ],
      [
        { name: 'qa', configuration: { replicas: -1, variables: { '1BAD': 'x' } } },
        ['configuration.variables.1BAD', 'configuration.replicas'],
      ],
      [
        { name: 'qa', configuration: { resources: { requests: { cpu: '2' }, limits: { cpu: '500m' } } } },
        ['configuration.resources.requests.cpu'],
      ],
      [{ name: 'qa', extra: true }, ['extra']],
    ];
    for (const [json, expected] of cases) {
      const answer = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${free.slug}/environments`, {
        headers: people.owner!.headers,
        json,
      });
      assert.equal(answer.status, 422, `${JSON.stringify(json)}: ${JSON.stringify(answer.body)}`);
      assert.deepEqual(paths(answer.body).sort(), [...expected].sort(), JSON.stringify(answer.body));
    }
    // A secret reference must name a secret of the environment (checked after the plan's limit,
    // so on the team tenant with a place free: see the delete test below).
  });

  it('changes configuration and protection for owners and admins only, audited; refuses unknown secrets', async () => {
    const protection = {
      deployRoles: ['owner', 'admin'],
      soakMinutes: 60,
      freezeWindows: [
        {
          kind: 'weekly',
          days: ['fri', 'sat'],
          start: '16:00',
          end: '23:59',
          timeZone: 'Europe/Berlin',
          reason: 'weekend',
        },
        { kind: 'once', start: '2026-12-24T00:00:00Z', end: '2026-12-27T00:00:00Z', reason: 'holidays' },
      ],
    };
    const refused = await request(platform.baseUrl, 'PATCH', `${base()}/production`, {
      headers: people.developer!.headers,
      json: { protection },
    });
    assert.equal(refused.status, 403);
    const changed = await request<Environment>(platform.baseUrl, 'PATCH', `${base()}/production`, {
      headers: people.admin!.headers,
      json: { protection, configuration: { variables: { LOG_LEVEL: 'info' }, replicas: 3 } },
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.deepEqual(changed.body.protection, {
      ...protection,
      freezeWindows: [{ ...protection.freezeWindows[0], timeZone: 'Europe/Berlin' }, protection.freezeWindows[1]],
    });
    assert.deepEqual(changed.body.configuration, {
      variables: { LOG_LEVEL: 'info' },
      secretRefs: [],
      replicas: 3,
      resources: null,
    });
    assert.equal(changed.body.updatedBy, people.admin!.userId);
    const [audit] = await platform.database.query<{ action: string; actor_id: string }>(
      `SELECT action, actor_id FROM audit_log WHERE tenant_id = $1 AND action = 'environment.updated'`,
      [team.id],
    );
    assert.deepEqual(audit, { action: 'environment.updated', actor_id: people.admin!.userId });

    const unknownSecret = await request(platform.baseUrl, 'PATCH', `${base()}/production`, {
      headers: people.owner!.headers,
      json: { configuration: { secretRefs: ['DB_PASSWORD'] } },
    });
    assert.equal(unknownSecret.status, 422, JSON.stringify(unknownSecret.body));
    assert.deepEqual(paths(unknownSecret.body), ['configuration.secretRefs.0']);
    assert.equal((await list()).items.find((e) => e.name === 'production')?.configuration.replicas, 3, 'unchanged');

    const secret = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${team.slug}/secrets`, {
      headers: people.owner!.headers,
      json: { name: 'DB_PASSWORD', kind: 'generic', environment: 'production', value: 's3cret-value' },
    });
    assert.equal(secret.status, 201, JSON.stringify(secret.body));
    const referenced = await request<Environment>(platform.baseUrl, 'PATCH', `${base()}/production`, {
      headers: people.owner!.headers,
      json: { configuration: { secretRefs: ['DB_PASSWORD'] } },
    });
    assert.equal(referenced.status, 200, JSON.stringify(referenced.body));
    assert.deepEqual(referenced.body.configuration.secretRefs, ['DB_PASSWORD']);
    assert.deepEqual(referenced.body.protection.deployRoles, ['owner', 'admin'], 'the protection stays');
  });

  it('deletes an environment with its namespace; the name is free again and a new one gets its namespace', async () => {
    const viewerRefused = await request(platform.baseUrl, 'DELETE', `${base()}/staging`, {
      headers: people.viewer!.headers,
    });
    assert.equal(viewerRefused.status, 403);
    const deleted = await request<EnvironmentStarted>(platform.baseUrl, 'DELETE', `${base()}/staging`, {
      headers: people.owner!.headers,
    });
    assert.equal(deleted.status, 202, JSON.stringify(deleted.body));
    assert.equal(deleted.body.environment.status, 'deleting');
    assert.equal(deleted.body.operation.id, `environment-delete/${team.slug}/staging`);
    const deletion = await waitForOperation(platform, deleted.body.operation.id, 120_000);
    assert.equal(deletion.status, 'completed', JSON.stringify(deletion));
    await recordHistory(platform.temporal, deleted.body.operation.id, 'delete-environment-completed');
    assert.equal(await namespaceExists(`tenant-${team.slug}-staging`), false, 'the namespace is gone');
    assert.deepEqual(
      (await list()).items.map((e) => e.name),
      ['dev', 'production'],
    );

    const created = await request<EnvironmentStarted>(platform.baseUrl, 'POST', base(), {
      headers: people.admin!.headers,
      json: {
        name: 'staging',
        configuration: { replicas: 2, resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1' } } },
        protection: { soakMinutes: 30 },
      },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal(created.body.environment.status, 'creating');
    assert.equal(created.body.environment.position, 3, 'after the last one (production moved up to 2)');
    const creation = await waitForOperation(platform, created.body.operation.id, 120_000);
    assert.equal(creation.status, 'completed', JSON.stringify(creation));
    assert.deepEqual(
      creation.steps.map((s: { name: string; status: string }) => [s.name, s.status]),
      [
        ['namespace', 'completed'],
        ['ready', 'completed'],
      ],
    );
    await recordHistory(platform.temporal, created.body.operation.id, 'create-environment-completed');
    assert.ok(await namespaceExists(`tenant-${team.slug}-staging`), 'the namespace appeared on the API server');
    const one = await request<Environment>(platform.baseUrl, 'GET', `${base()}/staging`, {
      headers: people.viewer!.headers,
    });
    assert.equal(one.status, 200);
    assert.equal(one.body.status, 'ready');
    assert.deepEqual(one.body.configuration.resources, {
      requests: { cpu: '250m', memory: '256Mi' },
      limits: { cpu: '1' },
    });

    const duplicate = await request(platform.baseUrl, 'POST', base(), {
      headers: people.owner!.headers,
      json: { name: 'staging' },
    });
    // The plan is full again, which is said first; the name is the field either way.
    assert.equal(duplicate.status, 409);
    assert.deepEqual(paths(duplicate.body), ['name']);

    const actions = await platform.database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE tenant_id = $1 AND action LIKE 'environment.%' ORDER BY id`,
      [team.id],
    );
    assert.deepEqual(
      actions.map((a) => a.action).filter((a) => a !== 'environment.updated'),
      [
        'environment.created',
        'environment.created',
        'environment.created',
        'environment.delete_requested',
        'environment.deleted',
        'environment.create_requested',
        'environment.created',
      ],
    );
  });

  it("refuses to delete a tenant's last environment, naming it", async () => {
    const answer = await request(platform.baseUrl, 'DELETE', `/api/v1/tenants/${free.slug}/environments/dev`, {
      headers: people.owner!.headers,
    });
    assert.equal(answer.status, 409, JSON.stringify(answer.body));
    assert.deepEqual(paths(answer.body), ['environment']);
    assert.ok(await namespaceExists(`tenant-${free.slug}-dev`));
    const limit = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${free.slug}/environments`, {
      headers: people.owner!.headers,
      json: { name: 'staging' },
    });
    assert.equal(limit.status, 409);
    assert.equal(problem(limit.body).type, 'urn:atrium:problem:plan-limit-reached');
  });

  it('answers outsiders 404 and keeps the rows to their tenant under row-level security', async () => {
    for (const [method, path] of [
      ['GET', base()],
      ['GET', `${base()}/dev`],
      ['DELETE', `${base()}/dev`],
    ] as const) {
      const answer = await request(platform.baseUrl, method, path, { headers: people.outsider!.headers });
      assert.equal(answer.status, 404, `${method} ${path}`);
    }
    // The application role, scoped to one tenant, sees that tenant's rows and no other's.
    const app = createDataSource({ url: platform.database.url, applicationName: 'atrium-test-rls', poolSize: 1 });
    await app.initialize();
    try {
      const seen = await withTenantScope(app, free.id, (db) =>
        db.query<Array<{ tenant_id: string; name: string }>>(`SELECT tenant_id, name FROM tenant_environments`),
      );
      assert.deepEqual(
        seen.map((row) => [row.tenant_id, row.name]),
        [[free.id, 'dev']],
      );
      const unscoped = await app.query<Array<{ count: string }>>(`SELECT count(*) FROM tenant_environments`);
      assert.equal(Number(unscoped[0]?.count), 0, 'no tenant set: no rows');
    } finally {
      await app.destroy();
    }
  });
});
