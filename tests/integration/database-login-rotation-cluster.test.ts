// @needs-servers: kube
// Issue 16: the tenant's Kubernetes Secrets are consumers of its database login. A tenant is
// provisioned with a namespace per environment on the local Kubernetes control plane; a
// platform admin rotates its login through the API (POST …/database-login/rotations). Every
// namespace's `tenant-database` Secret, read back from the API server, then holds the new
// login and a new password, and a connection made with exactly what the Secret holds works;
// the rotation's report lists each Secret as verified; after the overlap the old login may no
// longer log in. (The password itself is checked on a scram cluster by
// database-login-rotation.test.ts; this machine's PostgreSQL trusts local logins, so here the
// login is what a connection proves.)
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import pg from 'pg';
import type { DatabaseLoginOverview } from '../../contracts/secret-rotation.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';
import { kubeServer, workerEnvFor } from '../support/servers.ts';
import { waitFor } from '../support/wait-for.ts';

const ENVIRONMENTS = ['production', 'staging'];
const kube = new k8s.KubeConfig();
kube.loadFromFile(kubeServer().kubeconfig);
const core = kube.makeApiClient(k8s.CoreV1Api);

/** What a namespace's `tenant-database` Secret holds, decoded. */
async function secretOf(namespace: string): Promise<Record<string, string>> {
  const secret = await core.readNamespacedSecret({ name: 'tenant-database', namespace });
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()]),
  );
}

describe('database login rotation: the Kubernetes Secrets are consumers', () => {
  let platform: Platform;
  let slug: string;
  before(async () => {
    platform = await startPlatform({
      env: { DATABASE_LOGIN_OVERLAP: '1s' },
      workerEnv: { ...workerEnvFor({ kube: 'admin' }), CLUSTER_ENVIRONMENTS: ENVIRONMENTS.join(',') },
    });
    slug = uniqueSlug('dblogin-k8s');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'Login Co', plan: 'team', ownerEmail: `owner@${slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const provisioned = await waitForOperation(platform, created.body.operation.id, 180_000);
    assert.equal(provisioned.status, 'completed', JSON.stringify(provisioned));
  });
  after(async () => {
    await platform?.stop();
  });

  /** Connects to the tenant's database with what a Secret holds, as a workload in the namespace would. */
  async function connectWith(credentials: Record<string, string>): Promise<string> {
    const url = new URL(platform.database.url);
    const client = new pg.Client({
      host: url.hostname,
      port: Number(url.port),
      database: url.pathname.slice(1),
      user: credentials.username,
      password: credentials.password,
    });
    await client.connect();
    try {
      const { rows } = await client.query<{ user: string }>('SELECT current_user AS user');
      return rows[0]!.user;
    } finally {
      await client.end();
    }
  }

  it('hands every namespace the new login and password, verifies each, and disables the old login', async () => {
    const namespaces = ENVIRONMENTS.map((environment) => `tenant-${slug}-${environment}`);
    const before = await Promise.all(namespaces.map(secretOf));
    const oldLogin = before[0]!.username!;
    for (const held of before) {
      assert.equal(held.username, oldLogin, 'every namespace holds the same login');
      assert.equal(await connectWith(held), oldLogin);
    }

    const started = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/database-login/rotations`, {
      headers: platform.admin.headers,
      json: {},
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const rotation = await waitForOperation(platform, started.body.operation.id, 180_000);
    assert.equal(rotation.status, 'completed', JSON.stringify(rotation));

    const afterRotation = await Promise.all(namespaces.map(secretOf));
    const newLogin = afterRotation[0]!.username!;
    assert.notEqual(newLogin, oldLogin, 'the idle login became current');
    for (const [index, held] of afterRotation.entries()) {
      assert.equal(held.username, newLogin, `${namespaces[index]} holds the new login`);
      assert.notEqual(held.password, before[index]!.password, `${namespaces[index]} holds a new password`);
      assert.equal(await connectWith(held), newLogin, `${namespaces[index]}'s credentials connect`);
    }

    const overview = await request<DatabaseLoginOverview>(
      platform.baseUrl,
      'GET',
      `/api/v1/tenants/${slug}/database-login`,
      { headers: platform.admin.headers },
    );
    assert.equal(overview.status, 200, JSON.stringify(overview.body));
    assert.equal(overview.body.currentLogin, newLogin);
    const [latest] = overview.body.rotations;
    assert.equal(latest?.outcome, 'completed', JSON.stringify(latest));
    const verified = latest.report.filter((check) => check.outcome === 'verified').map((check) => check.consumer);
    for (const environment of ENVIRONMENTS)
      assert.ok(
        verified.some((consumer) => consumer.startsWith('kubernetes:') && consumer.includes(environment)),
        `the ${environment} namespace's Secret is a verified consumer: ${JSON.stringify(latest.report)}`,
      );
    assert.ok(verified.some((consumer) => consumer.startsWith('secret-store:')));
    for (const check of latest.report)
      assert.ok(
        Date.parse(check.at) >= Date.parse(latest.startedAt) && Date.parse(check.at) <= Date.parse(latest.endedAt!),
        `checked during the rotation: ${JSON.stringify(latest)}`,
      );

    // The old login is disabled once the overlap has passed: what a namespace held before no longer logs in.
    const canLogin = async () =>
      (
        await platform.database.query<{ rolcanlogin: boolean }>(`SELECT rolcanlogin FROM pg_roles WHERE rolname = $1`, [
          oldLogin,
        ])
      )[0]?.rolcanlogin;
    await waitFor('the old login to be disabled', async () => (await canLogin()) === false);
    await assert.rejects(connectWith(before[0]!), /not permitted to log in/);
  });
});
