// Removing what provisioning built for a tenant, shared by provisionTenant's compensations
// (activities/tenant-provisioning/) and offboardTenant (activities/tenant-offboarding/),
// so the undo logic exists once. Each function removes only what is there, so running it
// again removes nothing more and succeeds; it updates `tenant_resources` and writes the audit
// entry of a removal in the caller's transaction (a kernel transaction: it holds the tenant
// lock, and its audit entries carry the caller's actor), and returns what it found and did,
// the evidence a teardown report keeps.
import type { EntityManager } from 'typeorm';
import { quoteIdentifier } from '../../db/identifiers.ts';
import { lockTenantResources, updateTenantResources } from '../../db/repositories/tenant-resources.ts';
import { recordTenantSchema } from '../../db/repositories/tenants.ts';
import type { Billing, BillingCancellation, BillingDeletion } from '../../integrations/billing/port.ts';
import type { Cluster } from '../../integrations/cluster/port.ts';
import type { SecretStore } from '../../integrations/secrets/port.ts';
import type { StepTransaction } from './kernel.ts';
import { tenantSchemaName } from './tenant-schema-name.ts';

export interface TeardownDeps {
  secretStore: SecretStore;
  billing: Billing;
  cluster: { port: Cluster };
}

/** Whose resources: the actor comes with the transaction (StepTransaction.audit). */
export interface TeardownInput {
  tenantId: string;
  slug: string;
}

/** The login role of a tenant's schema (≤ 53 characters: slugs are ≤ 40); login A of the two (docs/decisions/0032). */
export function tenantLoginRoleName(slug: string): string {
  return `${tenantSchemaName(slug)}_login`;
}

/** The tenant's two login roles, used alternately by rotations (docs/decisions/0032); ≤ 55 characters. */
export function tenantLoginRoleNames(slug: string): readonly [string, string] {
  return [tenantLoginRoleName(slug), `${tenantSchemaName(slug)}_login_b`];
}

/** The NOLOGIN role that owns the tenant's objects; both logins become it on connect. */
export function tenantOwnerRoleName(slug: string): string {
  return `${tenantSchemaName(slug)}_owner`;
}

export function tenantDatabaseSecretPath(slug: string): string {
  return `tenants/${slug}/database`;
}

/** Where the tenant's webhook signing secrets live (`<this>/<endpoint id>`, api/webhooks/endpoint-routes.ts). */
export function tenantWebhookSecretsPath(slug: string): string {
  return `tenants/${slug}/webhooks`;
}

/** Billing idempotency keys: one per tenant and step, so a retry finds the first result. */
export function billingIdempotencyKey(tenantId: string, what: string): string {
  return `tenant/${tenantId}/provision/${what}`;
}

export interface DatabaseTeardown {
  roleName: string;
  roleDropped: boolean;
  schemaName: string;
  schemaDropped: boolean;
  secretPath: string;
  secretDestroyed: boolean;
}

export interface SecretsTeardown {
  policyName: string | null;
  /** Every secret destroyed under `tenants/<slug>/`. */
  destroyed: string[];
}

export interface BillingTeardown {
  subscription: BillingCancellation | null;
  customer: BillingDeletion | null;
}

export function createTenantTeardown({ secretStore, billing, cluster }: TeardownDeps) {
  return {
    /** Drops the tenant's roles (both logins and the owner, with what they own), the schema and the database password. */
    async dropDatabase({ db, audit }: StepTransaction, input: TeardownInput): Promise<DatabaseTeardown> {
      const schemaName = tenantSchemaName(input.slug);
      const roleName = tenantLoginRoleName(input.slug);
      const secretPath = tenantDatabaseSecretPath(input.slug);
      await lockTenantResources(db, input.tenantId);
      const [drop] = await db.query<Array<{ dropped: boolean }>>(`SELECT atrium_drop_tenant_login($1, $2) AS dropped`, [
        input.tenantId,
        roleName,
      ]);
      await updateTenantResources(db, input.tenantId, { databaseRole: null });
      if (drop?.dropped) await audit('tenant.database_role_dropped', 'database_role', roleName);
      const schemaDropped = await schemaExists(db, schemaName);
      await db.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schemaName)} CASCADE`);
      await recordTenantSchema(db, input.tenantId, null);
      if (schemaDropped) await audit('tenant.schema_dropped', 'schema', schemaName);
      const secretDestroyed = (await secretStore.metadata(secretPath)) !== null;
      if (secretDestroyed) {
        await secretStore.destroy(secretPath);
        await audit('tenant.database_secret_destroyed', 'secret', secretPath);
      }
      return { roleName, roleDropped: drop?.dropped ?? false, schemaName, schemaDropped, secretPath, secretDestroyed };
    },

    /**
     * Removes the tenant's AppRole and policy and destroys every secret under `tenants/<slug>/`
     * but those `keep` names (offboarding keeps the webhook signing secrets for a last delivery).
     */
    async revokeSecretAccess(
      { db, audit }: StepTransaction,
      input: TeardownInput,
      keep: (path: string) => boolean = () => false,
    ): Promise<SecretsTeardown> {
      const resources = await lockTenantResources(db, input.tenantId);
      await secretStore.removeTenantAccess(input.slug);
      const destroyed: string[] = [];
      for (const path of await listSecretsUnder(secretStore, `tenants/${input.slug}`)) {
        if (keep(path)) continue;
        await secretStore.destroy(path);
        destroyed.push(path);
      }
      if (resources.secretPolicy !== null || destroyed.length > 0) {
        await updateTenantResources(db, input.tenantId, { secretPolicy: null });
        await audit('tenant.secret_access_revoked', 'secret_policy', resources.secretPolicy, {
          destroyedSecrets: destroyed,
        });
      }
      return { policyName: resources.secretPolicy, destroyed };
    },

    /** Cancels the recorded subscription and deletes the recorded customer. */
    async cancelBilling({ db, audit }: StepTransaction, input: TeardownInput): Promise<BillingTeardown> {
      const resources = await lockTenantResources(db, input.tenantId);
      const result: BillingTeardown = { subscription: null, customer: null };
      if (resources.billingSubscriptionId) {
        result.subscription = await billing.cancelSubscription(
          { tenantId: input.tenantId, subscriptionId: resources.billingSubscriptionId },
          billingIdempotencyKey(input.tenantId, 'billing-subscription-cancel'),
        );
        await updateTenantResources(db, input.tenantId, { billingSubscriptionId: null });
        await audit('tenant.billing_subscription_canceled', 'billing_subscription', resources.billingSubscriptionId);
      }
      if (resources.billingCustomerId) {
        result.customer = await billing.deleteCustomer(
          { tenantId: input.tenantId, customerId: resources.billingCustomerId },
          billingIdempotencyKey(input.tenantId, 'billing-customer-delete'),
        );
        await updateTenantResources(db, input.tenantId, { billingCustomerId: null });
        await audit('tenant.billing_customer_deleted', 'billing_customer', resources.billingCustomerId);
      }
      return result;
    },

    /**
     * Deletes one recorded namespace and waits until the API server no longer has it, then
     * (in a transaction of `record`: TenantStep.locked) drops it from the record and audits it.
     */
    async deleteNamespace(
      input: TeardownInput,
      name: string,
      timeoutMs: number,
      record: (work: (tx: StepTransaction) => Promise<void>) => Promise<void>,
    ): Promise<{ existed: boolean; skipped: string | null }> {
      const deleted = await cluster.port.deleteNamespace(name, { timeoutMs });
      if (deleted.status === 'skipped') return { existed: false, skipped: deleted.reason };
      await record(async ({ db, audit }) => {
        const resources = await lockTenantResources(db, input.tenantId);
        await updateTenantResources(db, input.tenantId, {
          clusterNamespaces: resources.clusterNamespaces.filter((n) => n !== name),
        });
        if (resources.clusterNamespaces.includes(name)) await audit('tenant.namespace_deleted', 'namespace', name);
      });
      return { existed: deleted.result.existed, skipped: null };
    },

    /** Withdraws the tenant's license. */
    async withdrawLicense({ db, audit }: StepTransaction, input: TeardownInput): Promise<string[]> {
      // Wrapped in a SELECT: TypeORM returns [rows, count] for a bare DELETE ... RETURNING.
      const removed = await db.query<Array<{ license_id: string }>>(
        `WITH removed AS (DELETE FROM tenant_licenses WHERE tenant_id = $1 RETURNING license_id)
         SELECT license_id FROM removed`,
        [input.tenantId],
      );
      for (const { license_id } of removed) await audit('tenant.license_withdrawn', 'license', license_id);
      return removed.map((r) => r.license_id);
    },
  };
}

export type TenantTeardown = ReturnType<typeof createTenantTeardown>;

export async function schemaExists(db: EntityManager, name: string): Promise<boolean> {
  const rows = await db.query<unknown[]>(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [name]);
  return rows.length > 0;
}

/** Every secret path under `prefix`, depth first. */
export async function listSecretsUnder(store: SecretStore, prefix: string): Promise<string[]> {
  const paths: string[] = [];
  for (const name of await store.list(prefix)) {
    if (name.endsWith('/')) paths.push(...(await listSecretsUnder(store, `${prefix}/${name.slice(0, -1)}`)));
    else paths.push(`${prefix}/${name}`);
  }
  return paths;
}
