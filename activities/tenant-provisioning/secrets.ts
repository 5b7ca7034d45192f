// The provisioning step `secrets`: the tenant's access to the secret store (a policy limited
// to `tenants/<slug>/*` and an AppRole for its workloads), and its compensation.
import { lockTenantResources, updateTenantResources } from '../../db/repositories/tenant-resources.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantActivityInput } from '../shared/kernel.ts';
import { lockedTenantStep } from '../shared/kernel.ts';
import { createTenantTeardown } from '../shared/tenant-teardown.ts';

type StepInput = TenantActivityInput & { slug: string };

export function createSecretAccessActivities(
  deps: Pick<ActivityDeps, 'dataSource' | 'secretStore' | 'billing' | 'cluster'>,
) {
  const { secretStore } = deps;
  const teardown = createTenantTeardown(deps);
  return {
    /**
     * The tenant's access to the secret store: a policy limited to `tenants/<slug>/*` and
     * an AppRole bound to it for its workloads. Retry-safe: writing the same policy and
     * role again changes nothing; audited when first recorded.
     */
    async grantTenantSecretAccess(
      input: StepInput,
    ): Promise<{ pathPrefix: string; policyName: string; roleName: string; enforced: boolean }> {
      const access = await lockedTenantStep(deps, input, async ({ db, audit }) => {
        const resources = await lockTenantResources(db, input.tenantId);
        const granted = await secretStore.ensureTenantAccess(input.slug);
        if (resources.secretPolicy !== granted.policyName) {
          await updateTenantResources(db, input.tenantId, { secretPolicy: granted.policyName });
          await audit('tenant.secret_access_granted', 'secret_policy', granted.policyName, {
            pathPrefix: granted.pathPrefix,
            appRole: granted.roleName,
            enforced: granted.enforced,
          });
        }
        return granted;
      });
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
      await lockedTenantStep(deps, input, (tx) => teardown.revokeSecretAccess(tx, input));
    },
  };
}
