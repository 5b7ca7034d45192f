// @needs-servers: vault stripe kube
// provisionTenant end to end against the real servers: the worker uses OpenBao (Vault
// API), stripe-mock and the local Kubernetes control plane; a tenant created through the
// HTTP API ends with its own database login (password only in OpenBao), a Vault policy
// that keeps it to its own path, a Stripe customer and subscription made with derived
// idempotency keys, namespaces with quota, network policies and credentials, and a license
// that verifies with the published key. Then the same with a kubeconfig whose user may not
// create namespaces: the cluster step fails for good and everything before it is undone.
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import vault from 'node-vault';
import pg from 'pg';
import { scramVerifierMatches } from '../../activities/tenant-provisioning/scram.ts';
import { createVaultSecretStore } from '../../integrations/secrets/vault.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';
import { kubeServer, vaultServer, workerEnvFor } from '../support/servers.ts';

const vaultAddress = vaultServer();
const rootStore = createVaultSecretStore({
  address: vaultAddress.address,
  auth: { token: vaultAddress.rootToken },
  kvMount: 'secret',
  transitMount: 'transit',
  approleMount: 'approle',
});
const kube = new k8s.KubeConfig();
kube.loadFromFile(kubeServer().kubeconfig);
const core = kube.makeApiClient(k8s.CoreV1Api);
const networking = kube.makeApiClient(k8s.NetworkingV1Api);

const ENVIRONMENTS = ['production', 'staging'];

function schemaOf(slug: string): string {
  return `tenant_${slug.replaceAll('-', '_')}`;
}

async function createTenant(platform: Platform, slug: string, plan: string) {
  const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
    headers: platform.admin.headers,
    json: { slug, name: `Org ${slug}`, plan, ownerEmail: `owner@${slug}.test` },
  });
  assert.equal(created.status, 202, JSON.stringify(created.body));
  const operation = await waitForOperation(platform, created.body.operation.id, 180_000);
  return { tenantId: created.body.tenant.id as string, operation };
}

async function vaultStatus(path: string): Promise<number> {
  const response = await fetch(`${vaultAddress.address}/v1/${path}`, {
    headers: { 'X-Vault-Token': vaultAddress.rootToken },
  });
  return response.status;
}

describe('provisioning against OpenBao, stripe-mock and Kubernetes', () => {
  let platform: Platform;
  before(async () => {
    platform = await startPlatform({
      workerEnv: {
        ...workerEnvFor({ vault: true, stripe: true, kube: 'admin' }),
        CLUSTER_ENVIRONMENTS: ENVIRONMENTS.join(','),
      },
    });
  });
  after(async () => {
    await platform?.stop();
  });

  it('builds every resource of the tenant on the real servers', async () => {
    const slug = uniqueSlug('real');
    const { tenantId, operation } = await createTenant(platform, slug, 'team');
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    assert.deepEqual(
      operation.steps.map((s: any) => [s.name, s.status]),
      ['record', 'database', 'secrets', 'billing', 'cluster', 'license', 'welcome', 'activate'].map((name) => [
        name,
        'completed',
      ]),
    );

    // Database: the schema, and a login role whose password is only in OpenBao.
    const role = `${schemaOf(slug)}_login`;
    const secret = await rootStore.read(`tenants/${slug}/database`);
    assert.ok(secret, 'the database secret is in OpenBao');
    assert.equal(secret.version, 1);
    assert.equal(secret.data.username, role);
    assert.equal(secret.data.schema, schemaOf(slug));
    const [stored] = await platform.database.query<{ rolpassword: string; rolsuper: boolean; rolcreaterole: boolean }>(
      `SELECT rolpassword, rolsuper, rolcreaterole FROM pg_authid WHERE rolname = $1`,
      [role],
    );
    assert.ok(stored, 'the login role exists');
    assert.equal(stored.rolsuper || stored.rolcreaterole, false);
    assert.ok(scramVerifierMatches(stored.rolpassword, secret.data.password!), 'the role has the stored password');
    const history = JSON.stringify(await platform.temporal.workflow.getHandle(operation.id).fetchHistory());
    assert.ok(!history.includes(secret.data.password!), 'the password is not in the workflow history');

    const loginUrl = new URL(platform.database.url);
    loginUrl.username = role;
    loginUrl.password = secret.data.password!;
    const asTenant = new pg.Client({ connectionString: loginUrl.toString() });
    await asTenant.connect();
    try {
      const [who] = (await asTenant.query(`SELECT current_user AS name, current_schema() AS schema`)).rows;
      assert.deepEqual(who, { name: role, schema: schemaOf(slug) });
      // It has the tenant's owner role's privileges (docs/decisions/0032).
      const [member] = (
        await asTenant.query(`SELECT pg_has_role(current_user, $1, 'USAGE') AS owner`, [`${schemaOf(slug)}_owner`])
      ).rows;
      assert.equal(member.owner, true);
      await asTenant.query(`CREATE TABLE notes (id int)`);
      await assert.rejects(asTenant.query(`SELECT * FROM public.tenants`), /permission denied/);
    } finally {
      await asTenant.end();
    }

    // Secrets: the tenant's AppRole reads its own path and is denied another tenant's.
    const other = uniqueSlug('other');
    await rootStore.write(`tenants/${other}/database`, { password: 'not yours' });
    const access = await rootStore.ensureTenantAccess(slug);
    const { secretId } = await rootStore.issueTenantSecretId(slug);
    const client = vault({ apiVersion: 'v1', endpoint: vaultAddress.address });
    const login = (await client.approleLogin({ role_id: access.roleId, secret_id: secretId })) as {
      auth: { client_token: string };
    };
    client.token = login.auth.client_token;
    const own = (await client.read(`secret/data/tenants/${slug}/database`)) as { data: { data: { username: string } } };
    assert.equal(own.data.data.username, role);
    const denied = (await client.read(`secret/data/tenants/${other}/database`).catch((e: unknown) => e)) as {
      response?: { statusCode: number };
    };
    assert.equal(denied.response?.statusCode, 403);
    await rootStore.destroy(`tenants/${other}/database`);

    // Billing: stripe-mock keeps nothing, so the record and its audit entries tell what was sent.
    const [resources] = await platform.database.query<{
      billing_customer_id: string;
      billing_subscription_id: string;
      cluster_namespaces: string[];
    }>(`SELECT * FROM tenant_resources WHERE tenant_id = $1`, [tenantId]);
    assert.match(resources?.billing_customer_id ?? '', /^cus_/);
    assert.match(resources?.billing_subscription_id ?? '', /^sub_/);
    const billingAudit = await platform.database.query<{ action: string; after: { idempotencyKey: string } }>(
      `SELECT action, after FROM audit_log WHERE tenant_id = $1 AND action LIKE 'tenant.billing_%' ORDER BY id`,
      [tenantId],
    );
    assert.deepEqual(
      billingAudit.map((e) => [e.action, e.after.idempotencyKey]),
      [
        ['tenant.billing_customer_created', `tenant/${tenantId}/provision/billing-customer`],
        ['tenant.billing_subscription_created', `tenant/${tenantId}/provision/billing-subscription`],
      ],
    );

    // Cluster: one namespace per environment, with the team plan's quota, the network
    // policies, the workload identity and the database credentials.
    const namespaces = ENVIRONMENTS.map((environment) => `tenant-${slug}-${environment}`);
    assert.deepEqual([...(resources?.cluster_namespaces ?? [])].sort(), [...namespaces].sort());
    for (const namespace of namespaces) {
      const ns = await core.readNamespace({ name: namespace });
      assert.equal(ns.metadata?.labels?.['atrium.dev/tenant'], slug);
      assert.equal(ns.metadata?.labels?.['atrium.dev/tenant-id'], tenantId);
      const quota = await core.readNamespacedResourceQuota({ name: 'atrium-plan', namespace });
      assert.equal(quota.spec?.hard?.pods, '50');
      assert.equal(quota.spec?.hard?.['limits.memory'], '16Gi');
      const policies = await networking.listNamespacedNetworkPolicy({ namespace });
      assert.ok(
        policies.items.some((p) => p.metadata?.name === 'atrium-default-deny'),
        JSON.stringify(policies.items.map((p) => p.metadata?.name)),
      );
      await core.readNamespacedServiceAccount({ name: 'tenant-workload', namespace });
      const credentials = await core.readNamespacedSecret({ name: 'tenant-database', namespace });
      assert.equal(Buffer.from(credentials.data?.password ?? '', 'base64').toString(), secret.data.password);
    }

    // License: a JWT signed with a key the API publishes.
    const [license] = await platform.database.query<{ token: string }>(
      `SELECT token FROM tenant_licenses WHERE tenant_id = $1`,
      [tenantId],
    );
    assert.ok(license);
    const jwks = await request(platform.baseUrl, 'GET', '/api/v1/license/jwks');
    assert.equal(jwks.status, 200);
    assert.equal(decodeProtectedHeader(license.token).kid, jwks.body.keys[0].kid);
    const { payload } = await jwtVerify(license.token, createLocalJWKSet(jwks.body), {
      algorithms: ['EdDSA'],
      issuer: 'atrium',
      audience: 'atrium-license',
      typ: 'atrium-license+jwt',
    });
    assert.equal(payload.sub, tenantId);
    assert.equal(payload.tier, 'team');
    assert.ok((payload.features as string[]).includes('promotions'));
    assert.deepEqual(payload.limits, { members: 25, environments: 3, connectors: 20, apiKeys: 20 });
  });
});

describe('a cluster step that fails for good, against the real servers', () => {
  let platform: Platform;
  before(async () => {
    // The namespaced user of the local control plane may not create namespaces: a real
    // misconfiguration, refused with 403, which no retry fixes.
    platform = await startPlatform({ workerEnv: workerEnvFor({ vault: true, stripe: true, kube: 'limited' }) });
  });
  after(async () => {
    await platform?.stop();
  });

  it('undoes billing, secrets and the database, leaving nothing behind', async () => {
    const slug = uniqueSlug('denied');
    const { tenantId, operation } = await createTenant(platform, slug, 'free');
    assert.equal(operation.status, 'failed', JSON.stringify(operation));
    assert.deepEqual(
      operation.steps.map((s: any) => [s.name, s.status]),
      [
        ['record', 'completed'],
        ['database', 'compensated'],
        ['secrets', 'compensated'],
        ['billing', 'compensated'],
        ['cluster', 'failed'],
        ['license', 'pending'],
        ['welcome', 'pending'],
        ['activate', 'pending'],
      ],
    );
    const failedStep = operation.steps.find((s: any) => s.name === 'cluster');
    assert.match(failedStep.error, /namespaces/);
    assert.match(operation.error, /namespaces/);

    const [tenant] = await platform.database.query<{ status: string; failure_reason: string }>(
      `SELECT status, failure_reason FROM tenants WHERE id = $1`,
      [tenantId],
    );
    assert.equal(tenant?.status, 'failed');
    assert.match(tenant?.failure_reason ?? '', /namespaces/);

    const schema = await platform.database.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schemaOf(slug)]);
    assert.equal(schema.length, 0, 'no schema');
    const role = await platform.database.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [
      `${schemaOf(slug)}_login`,
    ]);
    assert.equal(role.length, 0, 'no login role');
    assert.equal(await rootStore.read(`tenants/${slug}/database`), null, 'no secret');
    assert.deepEqual(await rootStore.list(`tenants/${slug}`), [], 'nothing under the tenant path');
    assert.equal(await vaultStatus(`sys/policies/acl/atrium-tenant-${slug}`), 404, 'no policy');
    assert.equal(await vaultStatus(`auth/approle/role/atrium-tenant-${slug}`), 404, 'no AppRole');

    const [resources] = await platform.database.query<Record<string, unknown>>(
      `SELECT database_role, secret_policy, billing_customer_id, billing_subscription_id, cluster_namespaces
       FROM tenant_resources WHERE tenant_id = $1`,
      [tenantId],
    );
    assert.deepEqual(resources, {
      database_role: null,
      secret_policy: null,
      billing_customer_id: null,
      billing_subscription_id: null,
      cluster_namespaces: [],
    });
    const undone = await platform.database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE tenant_id = $1 AND id > (
         SELECT id FROM audit_log WHERE tenant_id = $1 AND action = 'tenant.billing_subscription_created')
       ORDER BY id`,
      [tenantId],
    );
    assert.deepEqual(
      undone.map((e) => e.action),
      [
        // The plan's environment, recorded before its namespace was refused, is marked deleted.
        'environment.created',
        'environment.deleted',
        'tenant.billing_subscription_canceled',
        'tenant.billing_customer_deleted',
        'tenant.secret_access_revoked',
        'tenant.database_role_dropped',
        'tenant.schema_dropped',
        'tenant.failed',
      ],
    );
  });
});
