// The local billing adapter (the embedded default) against a real PostgreSQL test
// database, connected as the application's runtime role (under row-level security).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../db/data-source.ts';
import { PLAN_NAMES } from '../../workflows/shared/plans.ts';
import { createLocalBilling } from '../../integrations/billing/local.ts';
import { BillingError } from '../../integrations/billing/port.ts';
import type { TestDatabase } from '../support/database.ts';
import { createTestDatabase } from '../support/database.ts';
import { billingContract } from './billing.contract.ts';

async function openDatabase(): Promise<{ database: TestDatabase; dataSource: DataSource }> {
  const database = await createTestDatabase();
  const dataSource = createDataSource({ url: database.url, applicationName: 'atrium-test-billing', poolSize: 4 });
  await dataSource.initialize();
  return { database, dataSource };
}

billingContract('local', async () => {
  const { database, dataSource } = await openDatabase();
  return {
    billing: createLocalBilling({ dataSource, plans: PLAN_NAMES }),
    stateful: true,
    stop: async () => {
      await dataSource.destroy();
      await database.drop();
    },
  };
});

describe('local billing: records', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  before(async () => {
    ({ database, dataSource } = await openDatabase());
  });
  after(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  test('keeps customers and subscriptions as records: canceled and deleted, never removed', async () => {
    const billing = createLocalBilling({ dataSource, plans: PLAN_NAMES });
    const tenantId = randomUUID();
    const { customerId } = await billing.ensureCustomer(
      { tenantId, slug: 'rec', name: 'Rec', email: 'r@rec.test' },
      `tenant/${tenantId}/c`,
    );
    const { subscriptionId } = await billing.ensureSubscription(
      { tenantId, customerId, plan: 'free' },
      `tenant/${tenantId}/s`,
    );
    await billing.cancelSubscription({ tenantId, subscriptionId }, 'x');
    await billing.deleteCustomer({ tenantId, customerId }, 'y');
    const [sub] = await database.query<{ status: string; canceled_at: Date | null }>(
      `SELECT status, canceled_at FROM local_billing_subscriptions WHERE id = $1`,
      [subscriptionId],
    );
    assert.equal(sub?.status, 'canceled');
    assert.ok(sub?.canceled_at);
    const [customer] = await database.query<{ deleted_at: Date | null }>(
      `SELECT deleted_at FROM local_billing_customers WHERE id = $1`,
      [customerId],
    );
    assert.ok(customer?.deleted_at);
    const error = await billing
      .ensureSubscription({ tenantId, customerId, plan: 'team' }, `tenant/${tenantId}/s2`)
      .catch((e: unknown) => e);
    assert.ok(error instanceof BillingError && error.reason === 'not_found', 'no subscriptions for a deleted customer');
  });

  test("one tenant's idempotency key cannot reach another tenant's customer", async () => {
    const billing = createLocalBilling({ dataSource, plans: PLAN_NAMES });
    const [a, b] = [randomUUID(), randomUUID()];
    await billing.ensureCustomer({ tenantId: a, slug: 'a', name: 'A', email: 'a@a.test' }, 'shared-key');
    const error = await billing
      .ensureCustomer({ tenantId: b, slug: 'b', name: 'B', email: 'b@b.test' }, 'shared-key')
      .catch((e: unknown) => e);
    assert.ok(error instanceof BillingError && error.reason === 'invalid', String(error));
  });
});
