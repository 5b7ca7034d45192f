// A step that fails for good makes provisionTenant undo what it did, in reverse: license
// withdrawn, billing cancelled, secret access and secrets removed, role and schema dropped,
// and the tenant ends `failed` with the reason, visible in the operation. (On the embedded
// defaults; tests/integration/provisioning-real-servers.test.ts does it against OpenBao,
// stripe-mock and Kubernetes.)
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTenantProvisioning } from '../../api/tenant-provisioning/starter.ts';
import { operationPath, request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';

describe('provisioning compensation', () => {
  let platform: Platform;
  before(async () => {
    platform = await startPlatform();
  });
  after(async () => {
    await platform?.stop();
  });

  it('undoes every step and marks the tenant failed when activation is refused', async () => {
    const slug = uniqueSlug('saga');
    const tenantId = randomUUID();
    // The row exists already, marked failed (say, by an operator): record and schema
    // succeed, activation is refused for good, and everything done is undone.
    await platform.database.query(
      `INSERT INTO tenants (id, slug, name, plan, status, owner_email, failure_reason)
       VALUES ($1, $2, 'Saga', 'free', 'failed', 'o@saga.test', 'blocked by an operator')`,
      [tenantId, slug],
    );
    const started = await startTenantProvisioning(
      {
        client: platform.temporal,
        taskQueuePrefix: platform.taskQueue,
        timings: { heartbeatTimeoutMs: 3_000, startToCloseTimeoutMs: 60_000 },
      },
      { tenantId, slug, name: 'Saga', plan: 'free', ownerEmail: 'o@saga.test' },
    );
    assert.ok(started.started);

    const operation = await waitForOperation(platform, started.workflowId);
    assert.equal(operation.status, 'failed');
    assert.match(operation.error, /cannot be activated from status "failed"/);
    assert.deepEqual(
      operation.steps.map((s: any) => [s.name, s.status]),
      [
        ['record', 'completed'],
        ['database', 'compensated'],
        ['secrets', 'compensated'],
        ['billing', 'compensated'],
        ['cluster', 'skipped'],
        ['license', 'compensated'],
        ['welcome', 'completed'],
        ['activate', 'failed'],
      ],
    );
    const roles = await platform.database.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [
      `tenant_${slug.replaceAll('-', '_')}_login`,
    ]);
    assert.equal(roles.length, 0, 'the login role was dropped');
    const secrets = await platform.database.query(`SELECT 1 FROM local_secrets WHERE path LIKE $1`, [
      `tenants/${slug}/%`,
    ]);
    assert.equal(secrets.length, 0, 'the secrets were destroyed');
    const access = await platform.database.query(`SELECT 1 FROM local_secret_access WHERE slug = $1`, [slug]);
    assert.equal(access.length, 0, 'the secret access was removed');
    const customers = await platform.database.query<{ deleted: boolean }>(
      `SELECT deleted_at IS NOT NULL AS deleted FROM local_billing_customers WHERE tenant_id = $1`,
      [tenantId],
    );
    assert.deepEqual(customers, [{ deleted: true }], 'the billing customer was deleted');
    const subscriptions = await platform.database.query<{ status: string }>(
      `SELECT status FROM local_billing_subscriptions WHERE tenant_id = $1`,
      [tenantId],
    );
    assert.deepEqual(subscriptions, [{ status: 'canceled' }]);
    const licenses = await platform.database.query(`SELECT 1 FROM tenant_licenses WHERE tenant_id = $1`, [tenantId]);
    assert.equal(licenses.length, 0, 'the license was withdrawn');

    const schema = await platform.database.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [
      `tenant_${slug.replaceAll('-', '_')}`,
    ]);
    assert.equal(schema.length, 0, 'the schema was dropped');
    const [tenant] = await platform.database.query<{
      status: string;
      failure_reason: string;
      schema_name: string | null;
    }>(`SELECT status, failure_reason, schema_name FROM tenants WHERE id = $1`, [tenantId]);
    assert.equal(tenant?.status, 'failed');
    assert.equal(tenant?.schema_name, null);
    assert.match(tenant?.failure_reason ?? '', /cannot be activated/);

    // The failed operation is still readable through the API without a running query.
    const again = await request(platform.baseUrl, 'GET', operationPath(started.workflowId), {
      headers: platform.admin.headers,
    });
    assert.equal(again.body.status, 'failed');
    await recordHistory(platform.temporal, started.workflowId, 'provision-tenant-compensated');
  });
});
