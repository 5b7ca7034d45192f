// The provisioning steps beyond the tenant row (provisionTenant v3): the tenant's database
// (schema + login role + its password in the secret store), its secret-store access, its
// billing, its namespaces, its license and its welcome mail, and the compensation of each.
//
// Every activity is safe to retry: it runs under the per-tenant lock, looks at what exists
// (tenant_resources records what each step made) and does only what is missing; external
// creates are create-if-absent (server-side apply, Vault's idempotent writes) or carry an
// idempotency key derived from the tenant and the step. Audit entries are written in the
// same transaction as the record of the change, and only when something changed. Secret
// values never leave an activity: inputs and results carry names and paths.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { DataSource, EntityManager } from 'typeorm';
import { quoteIdentifier } from '../../db/identifiers.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { lockTenantResources, updateTenantResources } from '../../db/repositories/tenant-resources.ts';
import { recordTenantSchema } from '../../db/repositories/tenants.ts';
import type { Billing } from '../../integrations/billing/port.ts';
import type { Cluster, TenantNamespaceRef } from '../../integrations/cluster/port.ts';
import type { Mailer } from '../../integrations/mail/port.ts';
import type { SecretData, SecretStore } from '../../integrations/secrets/port.ts';
import { SecretStoreError } from '../../integrations/secrets/port.ts';
import { addLogContext } from '../../logging/context.ts';
import { planDefinition } from '../../workflows/shared/plans.ts';
import { asActivityFailure } from '../shared/failures.ts';
import { heartbeatWhile } from '../shared/heartbeat.ts';
import { auditStep } from '../shared/step-audit.ts';
import type { LicenseSigner } from './license.ts';
import { generatePassword, scramSha256Verifier } from './scram.ts';
import { withTenantLock } from '../shared/tenant-lock.ts';
import {
  billingIdempotencyKey,
  createTenantTeardown,
  schemaExists,
  tenantDatabaseSecretPath,
  tenantLoginRoleName,
} from '../shared/tenant-teardown.ts';
import { tenantSchemaName } from '../shared/tenant-schema-name.ts';

export { billingIdempotencyKey, tenantDatabaseSecretPath, tenantLoginRoleName };

export interface ProvisioningDeps {
  dataSource: DataSource;
  secretStore: SecretStore;
  billing: Billing;
  cluster: { port: Cluster; environments: readonly string[] };
  mailer: Mailer;
  /** Where tenant workloads reach Atrium's PostgreSQL (written into their credentials). */
  tenantDatabase: { host: string; port: number; database: string };
  license: LicenseSigner;
  /** The portal's address, linked from the welcome mail. */
  publicUrl: string;
}

/** The Kubernetes Secret holding the database credentials in each tenant namespace. */
export const TENANT_DATABASE_K8S_SECRET = 'tenant-database';
/** The ServiceAccount (and Role) the tenant's workloads run as. */
export const TENANT_WORKLOAD_IDENTITY = 'tenant-workload';

interface StepInput {
  tenantId: string;
  slug: string;
  actor?: AuditActor;
}

export function createProvisioningActivities(deps: ProvisioningDeps) {
  const { dataSource, secretStore, billing, cluster, mailer } = deps;
  const teardown = createTenantTeardown(deps);

  /** Heartbeats, logs with the tenant, and turns "retrying will not help" into a non-retryable failure. */
  async function step<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    addLogContext({ tenantId });
    try {
      return await heartbeatWhile(work);
    } catch (error) {
      throw asActivityFailure(error);
    }
  }

  return {
    /**
     * The tenant's own schema and a login role that may use only that schema, with a
     * generated password kept in the secret store at `tenants/<slug>/database`.
     * Retry-safe: the schema and role are created if absent; the secret is written first
     * (check-and-set on "absent") and its password reused by every later attempt, so a
     * crash at any point leaves one secret version that matches the role. A role that
     * exists without a secret gets a new password, stored.
     */
    async createTenantDatabase(
      input: StepInput,
    ): Promise<{ schemaName: string; roleName: string; secretPath: string }> {
      const schemaName = tenantSchemaName(input.slug);
      const roleName = tenantLoginRoleName(input.slug);
      const secretPath = tenantDatabaseSecretPath(input.slug);
      await step(input.tenantId, () =>
        withTenantLock(dataSource, input.tenantId, async (db) => {
          const resources = await lockTenantResources(db, input.tenantId);
          const schemaExisted = await schemaExists(db, schemaName);
          await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schemaName)}`);
          await recordTenantSchema(db, input.tenantId, schemaName);
          if (!schemaExisted) await auditStep(db, input, 'tenant.schema_created', 'schema', schemaName);

          const { password, written, version } = await ensureDatabaseSecret(secretStore, secretPath, {
            username: roleName,
            host: deps.tenantDatabase.host,
            port: String(deps.tenantDatabase.port),
            database: deps.tenantDatabase.database,
            schema: schemaName,
          });
          // Audited by what the log lacks, not by who wrote it: the write commits in the
          // secret store at once, so an attempt that fails (or dies) after it loses its
          // entry with its transaction, and the retry finds the secret already there.
          if (written || !(await audited(db, input.tenantId, 'tenant.database_secret_written', secretPath)))
            await auditStep(db, input, 'tenant.database_secret_written', 'secret', secretPath, {
              version,
              secretStore: secretStore.kind,
            });

          const [ensured] = await db
            .query<Array<{ outcome: string }>>(`SELECT atrium_ensure_tenant_login($1, $2, $3) AS outcome`, [
              input.tenantId,
              scramSha256Verifier(password),
              written,
            ])
            .catch((error: unknown) => {
              throw databaseRoleFailure(error, roleName);
            });
          if (resources.databaseRole !== roleName)
            await updateTenantResources(db, input.tenantId, { databaseRole: roleName });
          const outcome = ensured?.outcome;
          if (outcome === 'created')
            await auditStep(db, input, 'tenant.database_role_created', 'database_role', roleName, {
              schema: schemaName,
            });
          if (outcome === 'password_reset')
            await auditStep(db, input, 'tenant.database_role_password_reset', 'database_role', roleName, {
              secretPath,
            });
        }),
      );
      Context.current().log.info('Tenant database ready', { schemaName, roleName });
      return { schemaName, roleName, secretPath };
    },

    /**
     * Compensation of createTenantDatabase: drops the login role (with what it owns), the
     * schema and the password. Retry-safe: each is removed only if present.
     */
    async dropTenantDatabase(input: StepInput): Promise<void> {
      await step(input.tenantId, () =>
        withTenantLock(dataSource, input.tenantId, (db) => teardown.dropDatabase(db, input)),
      );
    },

    /**
     * The tenant's access to the secret store: a policy limited to `tenants/<slug>/*` and
     * an AppRole bound to it for its workloads. Retry-safe: writing the same policy and
     * role again changes nothing; audited when first recorded.
     */
    async grantTenantSecretAccess(
      input: StepInput,
    ): Promise<{ pathPrefix: string; policyName: string; roleName: string; enforced: boolean }> {
      const access = await step(input.tenantId, () =>
        withTenantLock(dataSource, input.tenantId, async (db) => {
          const resources = await lockTenantResources(db, input.tenantId);
          const granted = await secretStore.ensureTenantAccess(input.slug);
          if (resources.secretPolicy !== granted.policyName) {
            await updateTenantResources(db, input.tenantId, { secretPolicy: granted.policyName });
            await auditStep(db, input, 'tenant.secret_access_granted', 'secret_policy', granted.policyName, {
              pathPrefix: granted.pathPrefix,
              appRole: granted.roleName,
              enforced: granted.enforced,
            });
          }
          return granted;
        }),
      );
      return {
        pathPrefix: access.pathPrefix,
        policyName: access.policyName,
        roleName: access.roleName,
        enforced: access.enforced,
      };
    },

    /**
     * Compensation of grantTenantSecretAccess: removes the AppRole and policy and destroys
     * every secret under `tenants/<slug>/`. Retry-safe: removing what is gone succeeds.
     */
    async revokeTenantSecretAccess(input: StepInput): Promise<void> {
      await step(input.tenantId, () =>
        withTenantLock(dataSource, input.tenantId, (db) => teardown.revokeSecretAccess(db, input)),
      );
    },

    /**
     * The tenant's billing customer and its subscription to the plan. Retry-safe: both
     * creates carry idempotency keys derived from the tenant id and the step, so a retry
     * gets the first customer and subscription back; each is audited when first recorded.
     */
    async createTenantBilling(input: StepInput & { name: string; ownerEmail: string; plan: string }): Promise<{
      customerId: string;
      subscriptionId: string;
      status: string;
      customerKey: string;
      subscriptionKey: string;
    }> {
      const customerKey = billingIdempotencyKey(input.tenantId, 'billing-customer');
      const subscriptionKey = billingIdempotencyKey(input.tenantId, 'billing-subscription');
      return step(input.tenantId, () =>
        withTenantLock(dataSource, input.tenantId, async (db) => {
          const resources = await lockTenantResources(db, input.tenantId);
          const { customerId } = await billing.ensureCustomer(
            { tenantId: input.tenantId, slug: input.slug, name: input.name, email: input.ownerEmail },
            customerKey,
          );
          if (resources.billingCustomerId !== customerId) {
            await updateTenantResources(db, input.tenantId, { billingCustomerId: customerId });
            await auditStep(db, input, 'tenant.billing_customer_created', 'billing_customer', customerId, {
              provider: billing.kind,
              idempotencyKey: customerKey,
            });
          }
          const subscription = await billing.ensureSubscription(
            { tenantId: input.tenantId, customerId, plan: input.plan },
            subscriptionKey,
          );
          if (resources.billingSubscriptionId !== subscription.subscriptionId) {
            await updateTenantResources(db, input.tenantId, { billingSubscriptionId: subscription.subscriptionId });
            await auditStep(
              db,
              input,
              'tenant.billing_subscription_created',
              'billing_subscription',
              subscription.subscriptionId,
              {
                provider: billing.kind,
                plan: input.plan,
                status: subscription.status,
                idempotencyKey: subscriptionKey,
              },
            );
          }
          return {
            customerId,
            subscriptionId: subscription.subscriptionId,
            status: subscription.status,
            customerKey,
            subscriptionKey,
          };
        }),
      );
    },

    /**
     * Compensation of createTenantBilling: cancels the subscription and deletes the
     * customer it recorded. Retry-safe: cancelling or deleting what is gone succeeds.
     */
    async cancelTenantBilling(input: StepInput): Promise<void> {
      await step(input.tenantId, () =>
        withTenantLock(dataSource, input.tenantId, (db) => teardown.cancelBilling(db, input)),
      );
    },

    /**
     * One namespace per configured environment, with the plan's ResourceQuota and
     * LimitRange, the network policies, the workload identity and the database
     * credentials as a Secret (read from the secret store here, never passed in).
     * Retry-safe: every object is a server-side apply. With no cluster configured it
     * returns the reason it skipped.
     */
    async createTenantNamespaces(
      input: StepInput & { plan: string },
    ): Promise<{ skipped: string | null; namespaces: string[] }> {
      const limits = planDefinition(input.plan).cluster;
      return step(input.tenantId, async () => {
        const namespaces: string[] = [];
        for (const environment of cluster.environments) {
          const ref: TenantNamespaceRef = { tenantId: input.tenantId, slug: input.slug, environment };
          const created = await cluster.port.ensureNamespace(ref);
          if (created.status === 'skipped') return { skipped: created.reason, namespaces: [] };
          // Recorded at once, so a compensation deletes it even if a later object fails.
          await withTenantLock(dataSource, input.tenantId, async (db) => {
            const resources = await lockTenantResources(db, input.tenantId);
            if (resources.clusterNamespaces.includes(created.result.name)) return;
            await updateTenantResources(db, input.tenantId, {
              clusterNamespaces: [...resources.clusterNamespaces, created.result.name],
            });
            await auditStep(db, input, 'tenant.namespace_created', 'namespace', created.result.name, {
              environment,
              plan: input.plan,
            });
          });
          await cluster.port.ensureResourceLimits(ref, limits);
          await cluster.port.ensureNetworkPolicies(ref);
          await cluster.port.ensureWorkloadIdentity(ref, {
            name: TENANT_WORKLOAD_IDENTITY,
            readableSecrets: [TENANT_DATABASE_K8S_SECRET],
          });
          const credentials = await secretStore.read(tenantDatabaseSecretPath(input.slug));
          if (!credentials)
            throw ApplicationFailure.nonRetryable(
              `The database credentials of tenant "${input.slug}" are missing from the secret store (${tenantDatabaseSecretPath(input.slug)}); the database step must run first.`,
              'TenantCredentialsMissing',
            );
          await cluster.port.ensureSecret(ref, { name: TENANT_DATABASE_K8S_SECRET, data: credentials.data });
          namespaces.push(created.result.name);
        }
        return { skipped: null, namespaces };
      });
    },

    /**
     * Compensation of createTenantNamespaces: deletes every namespace it recorded and
     * waits until each is gone. Retry-safe: deleting a missing namespace succeeds.
     */
    async deleteTenantNamespaces(input: StepInput): Promise<void> {
      await step(input.tenantId, async () => {
        const recorded = await withTenantLock(
          dataSource,
          input.tenantId,
          async (db) => (await lockTenantResources(db, input.tenantId)).clusterNamespaces,
        );
        // Leave room for the attempt to report before its start-to-close timeout.
        const timeoutMs = Math.max(5_000, Context.current().info.startToCloseTimeoutMs - 5_000);
        for (const name of recorded)
          await teardown.deleteNamespace(input, name, timeoutMs, (work) =>
            withTenantLock(dataSource, input.tenantId, work),
          );
      });
    },

    /**
     * Signs the tenant's license for its plan and stores it. Retry-safe: a stored license
     * for the same tier and key is kept; its public key is stored alongside (insert if absent).
     */
    async issueTenantLicense(
      input: StepInput & { plan: string },
    ): Promise<{ licenseId: string; keyId: string; tier: string }> {
      const plan = planDefinition(input.plan);
      return step(input.tenantId, () =>
        withTenantLock(dataSource, input.tenantId, async (db) => {
          await db.query(
            `INSERT INTO license_signing_keys (key_id, public_jwk) VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING`,
            [deps.license.keyId, JSON.stringify(deps.license.publicJwk)],
          );
          const [existing] = await db.query<Array<{ license_id: string; key_id: string; tier: string }>>(
            `SELECT license_id, key_id, tier FROM tenant_licenses WHERE tenant_id = $1`,
            [input.tenantId],
          );
          if (existing?.tier === plan.tier && existing.key_id === deps.license.keyId)
            return { licenseId: existing.license_id, keyId: existing.key_id, tier: existing.tier };
          const licenseId = randomUUID();
          const token = await deps.license.sign(
            {
              licenseId,
              tenantId: input.tenantId,
              slug: input.slug,
              tier: plan.tier,
              features: plan.features,
              limits: plan.limits,
            },
            new Date(),
          );
          await db.query(`DELETE FROM tenant_licenses WHERE tenant_id = $1`, [input.tenantId]);
          await db.query(
            `INSERT INTO tenant_licenses (tenant_id, license_id, key_id, tier, token) VALUES ($1, $2, $3, $4, $5)`,
            [input.tenantId, licenseId, deps.license.keyId, plan.tier, token],
          );
          await auditStep(db, input, 'tenant.license_issued', 'license', licenseId, {
            tier: plan.tier,
            keyId: deps.license.keyId,
            features: plan.features,
          });
          return { licenseId, keyId: deps.license.keyId, tier: plan.tier };
        }),
      );
    },

    /** Compensation of issueTenantLicense: withdraws the license. Retry-safe: delete if present. */
    async withdrawTenantLicense(input: StepInput): Promise<void> {
      await step(input.tenantId, () =>
        withTenantLock(dataSource, input.tenantId, (db) => teardown.withdrawLicense(db, input)),
      );
    },

    /**
     * Mails the owner a welcome. Retry-safe: the sent mail is recorded (with its audit
     * entry) in the transaction that holds the tenant lock, and a recorded mail is not sent
     * again. Only a crash between handing the mail over and committing sends it twice; the
     * stable Message-ID lets mail systems drop the copy.
     */
    async sendWelcomeMail(input: StepInput & { name: string; ownerEmail: string }): Promise<{ sent: boolean }> {
      return step(input.tenantId, () =>
        withTenantLock(dataSource, input.tenantId, async (db) => {
          const resources = await lockTenantResources(db, input.tenantId);
          if (resources.welcomeSentAt) return { sent: false };
          const portal = new URL(`/tenants/${input.slug}`, deps.publicUrl).toString();
          const { messageId } = await mailer.send({
            to: input.ownerEmail,
            subject: `Welcome to Atrium: ${input.name} is ready`,
            text: [
              `Hello,`,
              ``,
              `Your organization "${input.name}" (${input.slug}) is set up on Atrium.`,
              `Open it here: ${portal}`,
              ``,
              `— Atrium`,
            ].join('\n'),
            messageId: `welcome.${input.tenantId}@atrium`,
          });
          await updateTenantResources(db, input.tenantId, { welcomeSentAt: new Date() });
          await auditStep(db, input, 'tenant.welcome_mail_sent', 'mail', messageId, { to: input.ownerEmail });
          return { sent: true };
        }),
      );
    },
  };
}

export type ProvisioningActivities = ReturnType<typeof createProvisioningActivities>;

/** Whether the tenant's audit log has an entry of `action` on `targetId`. */
async function audited(db: EntityManager, tenantId: string, action: string, targetId: string): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `SELECT 1 FROM audit_log WHERE tenant_id = $1 AND action = $2 AND target_id = $3 LIMIT 1`,
    [tenantId, action, targetId],
  );
  return rows.length > 0;
}

/**
 * The database secret, written once. Returns its password and whether this call wrote it.
 * A secret without a password, or for another role, is replaced (check-and-set on its version).
 */
async function ensureDatabaseSecret(
  store: SecretStore,
  path: string,
  connection: Omit<SecretData, 'password'> & { username: string },
): Promise<{ password: string; written: boolean; version: number }> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const current = await store.read(path);
    if (current?.data.password && current.data.username === connection.username)
      return { password: current.data.password, written: false, version: current.version };
    const password = generatePassword();
    try {
      const { version } = await store.write(path, { ...connection, password }, { cas: current?.version ?? 0 });
      return { password, written: true, version };
    } catch (error) {
      // Another attempt wrote it meanwhile: read theirs.
      if (error instanceof SecretStoreError && error.reason === 'conflict') continue;
      throw error;
    }
  }
  throw new SecretStoreError('failed', `The secret ${path} kept changing while it was written; retrying.`);
}

/** PostgreSQL's refusals of the role functions, in words that say what to do. */
function databaseRoleFailure(error: unknown, roleName: string): unknown {
  const pgError = error as { code?: string; message?: string; hint?: string };
  if (pgError.code === '42710' || pgError.code === '42501' || pgError.code === '22023' || pgError.code === 'P0002')
    return ApplicationFailure.nonRetryable(
      `Cannot set up the login role ${roleName}: ${pgError.message}${pgError.hint ? ` (${pgError.hint})` : ''}.`,
      'TenantDatabaseRoleRefused',
    );
  if (pgError.code === '42883')
    return ApplicationFailure.nonRetryable(
      `The database has no atrium_ensure_tenant_login function: run the migrations (npm run migrate) with DATABASE_MIGRATION_URL.`,
      'MigrationsMissing',
    );
  return error;
}
