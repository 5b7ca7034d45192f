// The provisioning step `license`: the tenant's signed license for its plan (signed by
// license.ts's signer), and its compensation.
import { randomUUID } from 'node:crypto';
import { planDefinition } from '../../workflows/shared/plans.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantActivityInput } from '../shared/kernel.ts';
import { lockedTenantStep } from '../shared/kernel.ts';
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
      const plan = planDefinition(input.plan);
      return lockedTenantStep(deps, input, async ({ db, audit }) => {
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
        await audit('tenant.license_issued', 'license', licenseId, {
          tier: plan.tier,
          keyId: deps.license.keyId,
          features: plan.features,
        });
        return { licenseId, keyId: deps.license.keyId, tier: plan.tier };
      });
    },

    /** Compensation of issueTenantLicense: withdraws the license. Retry-safe: delete if present. */
    async withdrawTenantLicense(input: StepInput): Promise<void> {
      await lockedTenantStep(deps, input, (tx) => teardown.withdrawLicense(tx, input));
    },
  };
}
