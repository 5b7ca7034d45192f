// What a rotation policy's Schedule does first: claim the secret's next rotation, or say why not.
import { randomUUID } from 'node:crypto';
import { STRATEGY_OF_KIND } from '../../contracts/secret-rotation.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { claimRotation } from '../../db/repositories/secret-rotations.ts';
import { findTenantSecret } from '../../db/repositories/tenant-secrets.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import { rotateSecretWorkflowId } from '../../workflows/secret-rotation/contract.ts';
import { planDefinition } from '../../workflows/shared/plans.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { lockedTenantStep, SYSTEM_ACTOR } from '../shared/kernel.ts';

export function createClaimActivities(deps: ActivityDeps) {
  return {
    /**
     * Claims the next rotation for a Schedule's due time: none when the tenant is not active
     * (a suspended tenant's rotations wait), the plan lost `secret-rotation`, the secret is gone
     * or has no policy (its own or its kind's) or no strategy, or a rotation is still open. Retry-safe: a claim that
     * committed is found as the open rotation on a retry, and answered as such.
     */
    async claimScheduledRotation(input: {
      tenantId: string;
      slug: string;
      secretId: string;
    }): Promise<{ number: number | null; skipped: string | null; actor: AuditActor }> {
      const actor = SYSTEM_ACTOR;
      return lockedTenantStep(deps, { tenantId: input.tenantId, actor }, async (tx) => {
        const skip = (skipped: string) => ({ number: null, skipped, actor });
        const tenant = await findTenantById(tx.db, input.tenantId);
        if (!tenant || tenant.status !== 'active') return skip(`The tenant is ${tenant?.status ?? 'gone'}.`);
        if (!planDefinition(tenant.plan).features.includes('secret-rotation'))
          return skip(`The ${tenant.plan} plan does not include secret-rotation.`);
        const secret = await findTenantSecret(tx.db, input.tenantId, input.secretId, { lock: true });
        if (!secret) return skip('The secret was deleted.');
        // Its own policy or its kind's default (docs/decisions/0039).
        if (secret.effective_every_seconds === null) return skip('The secret has no rotation policy any more.');
        const strategy = STRATEGY_OF_KIND[secret.kind];
        const claimed = await claimRotation(tx.db, {
          id: randomUUID(),
          tenantId: input.tenantId,
          secretId: input.secretId,
          fromVersion: secret.current_version,
          strategy,
          trigger: 'schedule',
          requestedBy: null,
          workflowIdOf: (number) => rotateSecretWorkflowId(input.slug, input.secretId, number),
        });
        if (!claimed.claimed) {
          // The attempt before this one claimed it (its answer was lost): that rotation is ours.
          const own =
            claimed.open.trigger === 'schedule' && claimed.open.report.length === 0 && claimed.open.to_version === null;
          return own && claimed.open.status === 'running'
            ? { number: claimed.open.number, skipped: null, actor }
            : skip(`Rotation ${claimed.open.number} is still ${claimed.open.status}.`);
        }
        await tx.audit('secret.rotation_started', 'tenant_secret', input.secretId, {
          rotation: claimed.number,
          trigger: 'schedule',
          strategy,
        });
        return { number: claimed.number, skipped: null, actor };
      });
    },
  };
}
