// The worker is SIGKILLed while a provisioning step is in flight (its database session
// stuck on a lock the test holds); a new worker takes over and the tenant still ends
// active with exactly one tenant row, one schema, one login role, one version of its
// password, one billing customer under the derived key, and one audit entry per change.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';
import { activityAttempts, holdInTransaction, startProvisioning, waitForStepBlocked } from '../support/provisioning.ts';

describe('worker killed in the middle of provisioning', () => {
  let platform: Platform;
  before(async () => {
    platform = await startPlatform();
  });
  after(async () => {
    await platform?.stop();
  });

  it('survives a kill during the database step', async () => {
    const slug = uniqueSlug('crash-schema');
    // An uncommitted CREATE SCHEMA of the same name makes the activity wait.
    const blocker = await holdInTransaction(platform, `CREATE SCHEMA ${schemaOf(slug)}`);
    const id = await startProvisioning(platform, slug);
    await waitForStepBlocked(platform, id, 'database');
    await platform.worker.kill();
    await platform.startWorker();
    await blocker.release();
    await expectProvisionedOnce(slug);
    await expectRetriedAfterKill(id, 'createTenantDatabase');
  });

  it('survives a kill in the database step after the password was stored', async () => {
    const slug = uniqueSlug('crash-role');
    // An uncommitted CREATE ROLE of the same name makes the activity wait after it wrote
    // the password to the secret store (which commits at once) and before its transaction
    // commits: the retry finds the secret there and must still audit its write once.
    const blocker = await holdInTransaction(platform, `CREATE ROLE ${schemaOf(slug)}_login`);
    const id = await startProvisioning(platform, slug);
    await waitForStepBlocked(platform, id, 'database');
    await platform.worker.kill();
    await platform.startWorker();
    await blocker.release();
    await expectProvisionedOnce(slug);
    await expectRetriedAfterKill(id, 'createTenantDatabase');
  });

  it('survives a kill during the record step', async () => {
    const slug = uniqueSlug('crash-record');
    // A table lock makes the INSERT of the tenant row wait.
    const blocker = await holdInTransaction(platform, 'LOCK TABLE tenants IN SHARE MODE');
    const id = await startProvisioning(platform, slug);
    await waitForStepBlocked(platform, id, 'record');
    await platform.worker.kill();
    await platform.startWorker();
    await blocker.release();
    await expectProvisionedOnce(slug);
    await expectRetriedAfterKill(id, 'createTenantRecord');
  });

  it('survives a kill during the secrets step', async () => {
    const slug = uniqueSlug('crash-secrets');
    // The local store's access table, locked: recording the tenant's AppRole waits.
    const blocker = await holdInTransaction(platform, 'LOCK TABLE local_secret_access IN SHARE MODE');
    const id = await startProvisioning(platform, slug);
    await waitForStepBlocked(platform, id, 'secrets');
    await platform.worker.kill();
    await platform.startWorker();
    await blocker.release();
    await expectProvisionedOnce(slug);
    await expectRetriedAfterKill(id, 'grantTenantSecretAccess');
  });

  it('survives a kill during the billing step', async () => {
    const slug = uniqueSlug('crash-billing');
    // Local billing's customer table, locked: creating the customer waits.
    const blocker = await holdInTransaction(platform, 'LOCK TABLE local_billing_customers IN SHARE MODE');
    const id = await startProvisioning(platform, slug);
    await waitForStepBlocked(platform, id, 'billing');
    await platform.worker.kill();
    await platform.startWorker();
    await blocker.release();
    await expectProvisionedOnce(slug);
    await expectRetriedAfterKill(id, 'createTenantBilling');
  });

  /** The killed attempt timed out on heartbeats and a later attempt completed the step. */
  async function expectRetriedAfterKill(id: string, activityType: string): Promise<void> {
    const attempts = await activityAttempts(platform, id, activityType);
    assert.ok((attempts.at(-1) ?? 0) >= 2, `${activityType} ran again after the kill: ${JSON.stringify(attempts)}`);
  }

  async function expectProvisionedOnce(slug: string): Promise<void> {
    const operation = await waitForOperation(platform, `tenant-provision/${slug}`);
    assert.equal(operation.status, 'completed', JSON.stringify(operation));
    const tenants = await platform.database.query(`SELECT status FROM tenants WHERE slug = $1`, [slug]);
    assert.deepEqual(tenants, [{ status: 'active' }]);
    const schemas = await platform.database.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schemaOf(slug)]);
    assert.equal(schemas.length, 1);
    const roles = await platform.database.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [
      `${schemaOf(slug)}_login`,
    ]);
    assert.equal(roles.length, 1, 'one login role');
    const versions = await platform.database.query(`SELECT version FROM local_secrets WHERE path = $1`, [
      `tenants/${slug}/database`,
    ]);
    assert.equal(versions.length, 1, 'one version of the database password');
    const customers = await platform.database.query<{ key: string; tenant: string }>(
      `SELECT c.idempotency_key AS key, t.id AS tenant FROM local_billing_customers c JOIN tenants t ON t.id = c.tenant_id
       WHERE t.slug = $1`,
      [slug],
    );
    assert.equal(customers.length, 1, 'one billing customer');
    assert.equal(customers[0]?.key, `tenant/${customers[0]?.tenant}/provision/billing-customer`);
    const audited = await platform.database.query(
      `SELECT action, count(*)::int AS n FROM audit_log
       WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $1) GROUP BY action ORDER BY action`,
      [slug],
    );
    assert.deepEqual(
      audited,
      [
        'environment.created', // the plan's default environment
        'invitation.created', // the owner's invitation, sent with the welcome
        'tenant.activated',
        'tenant.billing_customer_created',
        'tenant.billing_subscription_created',
        'tenant.created',
        'tenant.database_role_created',
        'tenant.database_secret_written',
        'tenant.license_issued',
        'tenant.schema_created',
        'tenant.secret_access_granted',
        'tenant.welcome_mail_sent',
      ].map((action) => ({ action, n: 1 })),
      'each change audited exactly once despite the kill',
    );
  }
});

function schemaOf(slug: string): string {
  return `tenant_${slug.replaceAll('-', '_')}`;
}
