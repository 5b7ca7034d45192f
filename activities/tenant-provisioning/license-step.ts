// The provisioning step `license`: the tenant's signed license for its plan (signed by
// license.ts's signer, through activities/shared/tenant-license.ts), and its compensation.
import { planDefinition } from '../../workflows/shared/plans.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantActivityInput } from '../shared/kernel.ts';
import { lockedTenantStep } from '../shared/kernel.ts';
import { ensureTenantLicense } from '../shared/tenant-license.ts';
import { createTenantTeardown } from '../shared/tenant-teardown.ts';

type StepInput = TenantActivityInput & { slug: string };

export function createLicenseActivities(
  deps: Pick<ActivityDeps, 'dataSource' | 'secretStore' | 'billing' | 'cluster' | 'license'>,
) {
  const teardown = createTenantTeardown(deps);
  return {
    /**
     * Signs the tenant's license for its plan and stores it. Retry-safe: a stored license
     * for the same tier and key is kept; its public key is stored alongside (insert if absent).
     */
    async issueTenantLicense(
      input: StepInput & { plan: string },
    ): Promise<{ licenseId: string; keyId: string; tier: string }> {
      return lockedTenantStep(deps, input, async ({ db, audit }) => {
        const license = await ensureTenantLicense(db, deps.license, input);
        if (license.issued) {
          const { features } = planDefinition(input.plan);
          await audit('tenant.license_issued', 'license', license.licenseId, {
            tier: license.tier,
            keyId: license.keyId,
            features,
          });
        }
        return { licenseId: license.licenseId, keyId: license.keyId, tier: license.tier };
      });
    },

    /** Compensation of issueTenantLicense: withdraws the license. Retry-safe: delete if present. */
    async withdrawTenantLicense(input: StepInput): Promise<void> {
      await lockedTenantStep(deps, input, (tx) => teardown.withdrawLicense(tx, input));
    },
  };
}
