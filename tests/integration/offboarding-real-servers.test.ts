// @needs-servers: vault stripe kube
// offboardTenant end to end against the real servers: a tenant provisioned on OpenBao,
// stripe-mock and the local Kubernetes control plane is offboarded through the HTTP API;
// afterwards its namespaces are gone from the API server (finalized: 404), its OpenBao
// paths, policy and AppRole are gone, its database role and schema are gone, and the
// teardown report keeps stripe-mock's answer to the customer deletion.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
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

const ENVIRONMENTS = ['production', 'staging'];
const schemaOf = (slug: string) => `tenant_${slug.replaceAll('-', '_')}`;

async function vaultStatus(path: string): Promise<number> {
  const response = await fetch(`${vaultAddress.address}/v1/${path}`, {
    headers: { 'X-Vault-Token': vaultAddress.rootToken },
  });
  return response.status;
}

async function namespaceStatus(name: string): Promise<number> {
  try {
    await core.readNamespace({ name });
    return 200;
  } catch (error) {
    return (error as { code?: number }).code ?? 0;
  }
}

describe('offboarding against OpenBao, stripe-mock and Kubernetes', () => {
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

  it('deletes every resource of the tenant on the real servers and reports the evidence', async () => {
    const slug = uniqueSlug('gone');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: `Org ${slug}`, plan: 'team', ownerEmail: `owner@${slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const tenantId = created.body.tenant.id as string;
    const provisioned = await waitForOperation(platform, created.body.operation.id, 180_000);
    assert.equal(provisioned.status, 'completed', JSON.stringify(provisioned));
    const namespaces = ENVIRONMENTS.map((environment) => `tenant-${slug}-${environment}`);
    for (const namespace of namespaces) assert.equal(await namespaceStatus(namespace), 200);
    assert.ok(await rootStore.read(`tenants/${slug}/database`));
    assert.equal(await vaultStatus(`sys/policies/acl/atrium-tenant-${slug}`), 200);
    const [resources] = await platform.database.query<{ billing_customer_id: string }>(
      `SELECT billing_customer_id FROM tenant_resources WHERE tenant_id = $1`,
      [tenantId],
    );
    const customerId = resources?.billing_customer_id ?? '';
    assert.match(customerId, /^cus_/);

    const started = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${slug}/offboard`, {
      headers: platform.admin.headers,
      json: { reason: 'Real servers check', gracePeriod: '1s' },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const operation = await waitForOperation(platform, started.body.operation.id, 180_000);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    assert.deepEqual(
      operation.steps.map((s: { name: string; status: string }) => [s.name, s.status]),
      [
        'export',
        'grace',
        'connections',
        'promotions',
        'plan-changes',
        'approvals',
        'namespaces',
        'environments',
        'secrets',
        'database',
        'metering',
        'billing',
        'report',
        'webhooks',
      ].map((name) => [name, 'completed']),
    );

    // Kubernetes: the namespaces are finalized, not just terminating.
    for (const namespace of namespaces) assert.equal(await namespaceStatus(namespace), 404, namespace);
    // OpenBao: nothing under the tenant's path, no policy, no AppRole.
    assert.equal(await rootStore.read(`tenants/${slug}/database`), null);
    assert.equal(await rootStore.metadata(`tenants/${slug}/database`), null);
    assert.deepEqual(await rootStore.list(`tenants/${slug}`), []);
    assert.equal(await vaultStatus(`sys/policies/acl/atrium-tenant-${slug}`), 404, 'no policy');
    assert.equal(await vaultStatus(`auth/approle/role/atrium-tenant-${slug}`), 404, 'no AppRole');
    // PostgreSQL: no login role, no schema.
    const role = await platform.database.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [
      `${schemaOf(slug)}_login`,
    ]);
    assert.equal(role.length, 0, 'no login role');
    const schema = await platform.database.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schemaOf(slug)]);
    assert.equal(schema.length, 0, 'no schema');

    const report = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/offboard/report`, {
      headers: platform.admin.headers,
    });
    assert.equal(report.status, 200);
    assert.equal(report.body.status, 'offboarded');
    // stripe-mock keeps nothing; its answer to the DELETE is the evidence it got it.
    assert.equal(report.body.steps.billing.provider, 'stripe');
    assert.equal(report.body.steps.billing.customer.found, true);
    assert.equal(report.body.steps.billing.customer.deleted, true);
    assert.match(report.body.steps.billing.customer.customerId, /^cus_/);
    // (stripe-mock answers with its fixture, whose status is "active"; Stripe says "canceled".)
    assert.equal(report.body.steps.billing.subscription.found, true);
    assert.match(report.body.steps.billing.subscription.subscriptionId, /^sub_/);
    const evidence = Object.fromEntries(
      report.body.resources.map((r: { kind: string; name: string; evidence: string }) => [
        `${r.kind} ${r.name}`,
        r.evidence,
      ]),
    );
    for (const namespace of namespaces) assert.match(evidence[`namespace ${namespace}`] ?? '', /answered 404/);
    // The environments' rows are deleted once their namespaces were gone.
    for (const environment of ENVIRONMENTS)
      assert.equal(
        evidence[`environment ${environment}`],
        `marked deleted once its namespace tenant-${slug}-${environment} was gone`,
      );
    const live = await platform.database.query(
      `SELECT name FROM tenant_environments WHERE tenant_id = $1 AND status <> 'deleted'`,
      [tenantId],
    );
    assert.deepEqual(live, [], 'no environment left');
    assert.match(evidence[`secret tenants/${slug}/database`] ?? '', /vault store has no metadata/);
    assert.equal(report.body.steps.secrets.policy.exists, false);
    const deleted = await platform.database.query<{ target_id: string }>(
      `SELECT target_id FROM audit_log WHERE tenant_id = $1 AND action = 'tenant.billing_customer_deleted'`,
      [tenantId],
    );
    assert.deepEqual(
      deleted.map((d) => d.target_id),
      [customerId],
    );
  });
});
