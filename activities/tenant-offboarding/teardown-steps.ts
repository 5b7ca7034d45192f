// The deletion steps of offboardTenant, run after the grace period in this order:
// namespaces, secrets, database, billing. Each records in the teardown report the evidence
// that what it deleted is gone, checked against the system that held it (the Kubernetes API
// server, the secret store's metadata, pg_roles, the billing provider's answer). The
// deletions themselves are the provisioning compensations (activities/shared/
// tenant-teardown.ts), so the undo logic exists once.
import { Context } from '@temporalio/activity';
import { lockTenantResources } from '../../db/repositories/tenant-resources.ts';
import type { TeardownSteps } from '../../db/repositories/tenant-offboarding.ts';
import { stepsOf } from '../../db/repositories/tenant-offboarding.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { lockedTenantStep, tenantStep } from '../shared/kernel.ts';
import { tenantSchemaName } from '../shared/tenant-schema-name.ts';
import {
  createTenantTeardown,
  listSecretsUnder,
  tenantLoginRoleName,
  tenantLoginRoleNames,
  tenantOwnerRoleName,
  tenantWebhookSecretsPath,
} from '../shared/tenant-teardown.ts';
import type { OffboardingStepInput } from './report.ts';
import { recordStep, reportOf } from './report.ts';

export function createTeardownActivities(
  deps: Pick<ActivityDeps, 'dataSource' | 'secretStore' | 'billing' | 'cluster'>,
) {
  const { secretStore, billing, cluster } = deps;
  const teardown = createTenantTeardown(deps);
  return {
    /**
     * Deletes every namespace of the tenant (recorded by provisioning, or found by its
     * label) and waits until the API server no longer has it, then reads each one back
     * (404) as evidence. Retry-safe: the plan is stored first and only grows, deleting a
     * gone namespace succeeds, and the evidence is checked again each attempt.
     */
    async offboardNamespaces(input: OffboardingStepInput): Promise<{ skipped: string | null; deleted: string[] }> {
      return tenantStep(deps, input, async (step) => {
        const listed = await cluster.port.listTenantNamespaces(input.slug);
        const { recorded, planned } = await step.locked(async ({ db }) => {
          const resources = await lockTenantResources(db, input.tenantId);
          const report = await reportOf(db, input.tenantId);
          const earlier = stepsOf(report).namespaces?.planned ?? [];
          const found = listed.status === 'done' ? listed.result : [];
          const plan = [...new Set([...earlier, ...resources.clusterNamespaces, ...found])].sort();
          await recordStep(db, input.tenantId, 'namespaces', {
            planned: plan,
            namespaces: [],
            completedAt: null,
          });
          return { recorded: resources.clusterNamespaces, planned: plan };
        });
        if (listed.status === 'skipped') {
          const left = recorded.length > 0 ? ` (recorded but not deleted: ${recorded.join(', ')})` : '';
          await step.locked(({ db }) =>
            recordStep(db, input.tenantId, 'namespaces', {
              planned,
              namespaces: [],
              skipped: `${listed.reason}${left}`,
              completedAt: new Date().toISOString(),
            }),
          );
          return { skipped: `${listed.reason}${left}`, deleted: [] };
        }
        const timeoutMs = Math.max(5_000, Context.current().info.startToCloseTimeoutMs - 5_000);
        const namespaces: NonNullable<TeardownSteps['namespaces']>['namespaces'] = [];
        for (const name of planned) {
          const deleted = await teardown.deleteNamespace(input, name, timeoutMs, step.locked);
          const status = await cluster.port.readNamespaceStatus(name);
          if (status.status === 'done' && status.result.found)
            throw new Error(
              `Namespace ${name} is still there (phase ${status.result.phase}) after its deletion; retrying.`,
            );
          namespaces.push({
            name,
            deletedByThisAttempt: deleted.existed,
            apiServer: status.status === 'done' ? { httpStatus: status.result.httpStatus, found: false } : null,
            checkedAt: new Date().toISOString(),
          });
        }
        await step.locked(({ db }) =>
          recordStep(db, input.tenantId, 'namespaces', {
            planned,
            namespaces,
            cluster: cluster.port.target,
            completedAt: new Date().toISOString(),
          }),
        );
        return { skipped: null, deleted: planned };
      });
    },

    /**
     * Destroys every secret under `tenants/<slug>/` and removes the tenant's policy and
     * AppRole, then checks that each path has no metadata left, nothing is listed under the
     * prefix and neither policy nor AppRole exists. With `keepWebhookSecrets`, the webhook
     * signing secrets (`tenants/<slug>/webhooks/…`) stay, listed as kept: the last step signs
     * the final `tenant.offboarded` delivery with them, then destroys them. Retry-safe: the list
     * of paths is stored before anything is destroyed and only grows; removing what is gone
     * succeeds.
     */
    async offboardSecrets(
      input: OffboardingStepInput & { keepWebhookSecrets?: boolean },
    ): Promise<{ destroyed: number }> {
      const prefix = `tenants/${input.slug}`;
      const webhooks = tenantWebhookSecretsPath(input.slug);
      const kept = (path: string) => input.keepWebhookSecrets === true && path.startsWith(`${webhooks}/`);
      return tenantStep(deps, input, async (step) => {
        const listed = await listSecretsUnder(secretStore, prefix);
        const found = listed.filter((path) => !kept(path));
        const planned = await step.locked(async ({ db }) => {
          const report = await reportOf(db, input.tenantId);
          const earlier = stepsOf(report).secrets?.planned ?? [];
          const plan = [...new Set([...earlier, ...found])].sort();
          await recordStep(db, input.tenantId, 'secrets', { planned: plan, completedAt: null });
          return plan;
        });
        await step.locked((tx) => teardown.revokeSecretAccess(tx, input, kept));
        const secrets: Array<{ path: string; metadata: null }> = [];
        for (const path of planned) {
          if ((await secretStore.metadata(path)) !== null)
            throw new Error(`Secret ${path} still has metadata after it was destroyed; retrying.`);
          secrets.push({ path, metadata: null });
        }
        const remaining = (await secretStore.list(prefix)).filter(
          (name) => !(input.keepWebhookSecrets && name === 'webhooks/'),
        );
        if (remaining.length > 0)
          throw new Error(`The secret store still lists ${remaining.join(', ')} under ${prefix}; retrying.`);
        const access = await secretStore.describeTenantAccess(input.slug);
        if (access.policy || access.role)
          throw new Error(
            `The secret store still has the tenant's policy or AppRole (${access.policyName}); retrying.`,
          );
        await step.locked(({ db }) =>
          recordStep(db, input.tenantId, 'secrets', {
            store: secretStore.kind,
            planned,
            secrets,
            listedUnderPrefix: remaining,
            ...(input.keepWebhookSecrets ? { keptForFinalDelivery: listed.filter(kept) } : {}),
            policy: { name: access.policyName, exists: false },
            appRole: { name: access.roleName, exists: false },
            completedAt: new Date().toISOString(),
          }),
        );
        return { destroyed: planned.length };
      });
    },

    /**
     * Drops the tenant's roles (both logins and the owner, with what they own) and schema and
     * withdraws its license, then checks pg_roles for all three and pg_namespace. Retry-safe:
     * one transaction (role and schema drops are transactional), and each is removed only if
     * present.
     */
    async offboardDatabase(input: OffboardingStepInput): Promise<{ roleName: string; schemaName: string }> {
      const roleName = tenantLoginRoleName(input.slug);
      // The second login and the owner go with the first (atrium_drop_tenant_login drops all three).
      const otherRoles = [tenantLoginRoleNames(input.slug)[1], tenantOwnerRoleName(input.slug)];
      const schemaName = tenantSchemaName(input.slug);
      return lockedTenantStep(deps, input, async (tx) => {
        const { db } = tx;
        const report = await reportOf(db, input.tenantId);
        const earlier = stepsOf(report).database;
        const dropped = await teardown.dropDatabase(tx, input);
        const licenses = await teardown.withdrawLicense(tx, input);
        const [left] = await db.query<Array<{ roles: number; schemas: number }>>(
          `SELECT (SELECT count(*) FROM pg_roles WHERE rolname = ANY($1))::int AS roles,
                  (SELECT count(*) FROM pg_namespace WHERE nspname = $2)::int AS schemas`,
          [[roleName, ...otherRoles], schemaName],
        );
        if (left?.roles || left?.schemas)
          throw new Error(
            `A role of ${[roleName, ...otherRoles].join(', ')} or the schema ${schemaName} is still there after dropping it; retrying.`,
          );
        await recordStep(db, input.tenantId, 'database', {
          role: { name: roleName, droppedByThisAttempt: dropped.roleDropped, rowsInPgRoles: 0 },
          otherRoles: otherRoles.map((name) => ({ name, rowsInPgRoles: 0 as const })),
          schema: { name: schemaName, droppedByThisAttempt: dropped.schemaDropped, rowsInPgNamespace: 0 },
          licensesWithdrawn: [...new Set([...(earlier?.licensesWithdrawn ?? []), ...licenses])],
          completedAt: new Date().toISOString(),
        });
        return { roleName, schemaName };
      });
    },

    /**
     * Cancels the recorded subscription and deletes the recorded customer, keeping the
     * provider's answers. Retry-safe: the calls carry the provisioning's idempotency keys
     * (a retry gets the first answer) and the evidence commits with the record's change;
     * a step already recorded is not repeated.
     */
    async offboardBilling(input: OffboardingStepInput): Promise<{ customerDeleted: boolean }> {
      return lockedTenantStep(deps, input, async (tx) => {
        const report = await reportOf(tx.db, input.tenantId);
        const earlier = report.steps.billing as
          { completedAt?: string; customer?: { deleted: boolean } | null } | undefined;
        if (earlier?.completedAt) return { customerDeleted: earlier.customer?.deleted ?? false };
        const result = await teardown.cancelBilling(tx, input);
        if (result.customer && !result.customer.deleted)
          throw new Error(`The billing provider did not delete customer ${result.customer.customerId}; retrying.`);
        await recordStep(tx.db, input.tenantId, 'billing', {
          provider: billing.kind,
          subscription: result.subscription,
          customer: result.customer,
          completedAt: new Date().toISOString(),
        });
        return { customerDeleted: result.customer?.deleted ?? false };
      });
    },
  };
}
