// A tenant's signed license for its plan (provisioning's `license` step, and the billing
// workflow when the subscription changes the plan): signed by the worker's LicenseSigner,
// stored in tenant_licenses (one per tenant), its public key in license_signing_keys.
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { planDefinition } from '../../workflows/shared/plans.ts';
import type { LicenseSigner } from '../tenant-provisioning/license.ts';

export interface TenantLicense {
  licenseId: string;
  keyId: string;
  tier: string;
  /** False when the stored license already was for this tier and key (nothing changed). */
  issued: boolean;
}

/**
 * Makes the tenant's stored license one for `plan`, signed with the current key. Idempotent:
 * a stored license for the same tier and key is kept; otherwise a new one replaces it. Run
 * inside the caller's transaction (the tenant's scope), which audits what it issued.
 */
export async function ensureTenantLicense(
  db: EntityManager,
  signer: LicenseSigner,
  input: { tenantId: string; slug: string; plan: string },
): Promise<TenantLicense> {
  const plan = planDefinition(input.plan);
  // The keyring's current key, once: its kid, public key and signature belong together.
  const key = await signer.current();
  await db.query(
    `INSERT INTO license_signing_keys (key_id, public_jwk) VALUES ($1, $2) ON CONFLICT (key_id) DO NOTHING`,
    [key.keyId, JSON.stringify(key.publicJwk)],
  );
  const [existing] = await db.query<Array<{ license_id: string; key_id: string; tier: string }>>(
    `SELECT license_id, key_id, tier FROM tenant_licenses WHERE tenant_id = $1`,
    [input.tenantId],
  );
  if (existing?.tier === plan.tier && existing.key_id === key.keyId)
    return { licenseId: existing.license_id, keyId: existing.key_id, tier: existing.tier, issued: false };
  const licenseId = randomUUID();
  const token = await key.sign(
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
    [input.tenantId, licenseId, key.keyId, plan.tier, token],
  );
  return { licenseId, keyId: key.keyId, tier: plan.tier, issued: true };
}
