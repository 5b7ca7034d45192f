// A step that fails for good makes provisionTenant undo what it did, in reverse: the
// schema is dropped and the tenant ends `failed` with the reason, visible in the operation.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTenantProvisioning } from '../../api/starters/provision-tenant.ts';
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

  it('drops the schema and marks the tenant failed when activation is refused', async () => {
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
        taskQueue: platform.taskQueue,
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
        ['schema', 'compensated'],
        ['activate', 'failed'],
      ],
    );

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
