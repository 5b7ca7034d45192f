// promoteRelease's steps: the request checked against the environment, the release and the
// environment's protection; the promotion's status recorded; the release's Deployment applied
// (or the previous one put back) and its rollout read through the cluster port.
import { ApplicationFailure } from '@temporalio/activity';
import type { PromotionStatus } from '../../contracts/promotions.ts';
import { holdReason, readPromotionGates, soakRefusal } from '../../db/repositories/promotion-gates.ts';
import { findPromotion, lastSucceededRelease, updatePromotion } from '../../db/repositories/promotions.ts';
import { findRelease } from '../../db/repositories/releases.ts';
import { findEnvironment } from '../../db/repositories/tenant-environments.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import { withTenantScope } from '../../db/scope.ts';
import type { ReleaseDeployment, RolloutStatus } from '../../integrations/cluster/port.ts';
import { APPLICATION_DEPLOYMENT, releaseLabel } from '../../workflows/promotions/contract.ts';
import { planDefinition } from '../../workflows/shared/plans.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantActivityInput } from '../shared/kernel.ts';
import { lockedTenantStep, tenantStep } from '../shared/kernel.ts';
import { emitPromotionOutcome } from './outcome-event.ts';

type PromotionInput = TenantActivityInput & { slug: string; environment: string; number: number };

export interface ReleaseToRun {
  number: number;
  image: string;
}

/** What the Deployment takes from the environment's configuration (and the plan's defaults). */
export interface DeploymentSettings {
  replicas: number;
  env: Record<string, string>;
  resources: ReleaseDeployment['resources'];
}

const refused = (message: string) => ApplicationFailure.nonRetryable(message, 'PromotionRefused');

export function createPromotionActivities(deps: Pick<ActivityDeps, 'dataSource' | 'cluster'>) {
  const port = deps.cluster.port;
  const namespaceRef = (input: PromotionInput) => ({
    tenantId: input.tenantId,
    slug: input.slug,
    environment: input.environment,
  });

  return {
    /**
     * Checks the promotion: the environment is there and ready, the release exists, the
     * requester's role may deploy there (the environment's protection). Returns the release,
     * the one that ran there before (the last succeeded promotion) and the Deployment's
     * settings, and records the previous release on the promotion. Retry-safe: reads, and
     * one idempotent update.
     */
    async checkPromotion(input: PromotionInput & { release: number; requesterRole: string }): Promise<{
      release: ReleaseToRun;
      previous: ReleaseToRun | null;
      previousRelease: number | null;
      deployment: DeploymentSettings;
    }> {
      return lockedTenantStep(deps, input, async ({ db }) => {
        const promotion = await findPromotion(db, input.tenantId, input.environment, input.number);
        // The API starts the workflow inside the transaction that records the promotion: a
        // check that runs before it commits tries again (a rolled-back one ends the workflow).
        if (!promotion) throw new Error(`Promotion ${input.number} of "${input.environment}" is not recorded yet.`);
        const environment = await findEnvironment(db, input.tenantId, input.environment);
        if (!environment) throw refused(`The tenant has no environment "${input.environment}".`);
        if (environment.status !== 'ready')
          throw refused(`Environment "${input.environment}" is ${environment.status}, not ready.`);
        const roles: readonly string[] = environment.protection.deployRoles;
        if (!roles.includes(input.requesterRole))
          throw refused(
            `The role "${input.requesterRole}" may not deploy to "${input.environment}" (its protection allows: ${roles.join(', ')}).`,
          );
        const release = await findRelease(db, input.tenantId, input.release);
        if (!release) throw refused(`The tenant has no release ${input.release}.`);
        const gates = await readPromotionGates(db, input.tenantId, environment, input.release, new Date());
        const unsoaked = soakRefusal(input.environment, input.release, gates.soak);
        if (unsoaked) throw refused(unsoaked);
        const previousNumber = await lastSucceededRelease(db, input.tenantId, input.environment, input.number);
        const previousRow = previousNumber === null ? null : await findRelease(db, input.tenantId, previousNumber);
        const tenant = await findTenantById(db, input.tenantId);
        if (!tenant) throw refused(`Tenant ${input.tenantId} does not exist.`);
        const container = planDefinition(tenant.plan).cluster.container;
        const resources = environment.configuration.resources;
        if (promotion.previous_release !== previousNumber)
          await updatePromotion(db, input.tenantId, input.environment, input.number, {
            status: promotion.status,
            previous_release: previousNumber,
          });
        return {
          release: { number: release.number, image: release.image },
          previous: previousRow ? { number: previousRow.number, image: previousRow.image } : null,
          previousRelease: previousNumber,
          deployment: {
            replicas: environment.configuration.replicas,
            env: environment.configuration.variables,
            resources: {
              requests: {
                cpu: resources?.requests.cpu ?? container.defaultRequest.cpu,
                memory: resources?.requests.memory ?? container.defaultRequest.memory,
              },
              limits: {
                cpu: resources?.limits.cpu ?? container.defaultLimit.cpu,
                memory: resources?.limits.memory ?? container.defaultLimit.memory,
              },
            },
          },
        };
      });
    },

    /**
     * Why the promotion must wait before it deploys (a suspended tenant, a freeze window in
     * force, the soak time in the previous environment) and until when; null when it may go on.
     * Read afresh each time, so a window edited or removed counts at once. Retry-safe: a read.
     */
    async readPromotionHold(
      input: PromotionInput & { release: number },
    ): Promise<{ reason: string; until: string | null } | null> {
      return tenantStep(deps, input, () =>
        withTenantScope(deps.dataSource, input.tenantId, async (db) => {
          const environment = await findEnvironment(db, input.tenantId, input.environment);
          if (!environment) throw refused(`The tenant has no environment "${input.environment}" any more.`);
          const now = new Date();
          const gates = await readPromotionGates(db, input.tenantId, environment, input.release, now);
          const unsoaked = soakRefusal(input.environment, input.release, gates.soak);
          if (unsoaked) throw refused(unsoaked);
          const hold = holdReason(input.slug, input.environment, input.release, gates, now);
          return hold ? { reason: hold.reason, until: hold.until?.toISOString() ?? null } : null;
        }),
      );
    },

    /**
     * Moves an open promotion to `awaiting-approval`, `held` (with why) or `deploying`,
     * audited. Retry-safe: a status and detail already recorded are left as they are.
     */
    async markPromotion(
      input: PromotionInput & {
        status: Extract<PromotionStatus, 'awaiting-approval' | 'held' | 'deploying'>;
        detail?: string | null;
      },
    ) {
      await lockedTenantStep(deps, input, async ({ db, auditChange }) => {
        const row = await findPromotion(db, input.tenantId, input.environment, input.number, { lock: true });
        const detail = input.detail ?? null;
        if (!row || (row.status === input.status && row.detail === detail)) return;
        await updatePromotion(db, input.tenantId, input.environment, input.number, { status: input.status, detail });
        await auditChange(
          `promotion.${input.status.replace('-', '_')}`,
          'promotion',
          `${input.environment}/${input.number}`,
          { status: row.status, ...(row.detail ? { detail: row.detail } : {}) },
          { status: input.status, release: row.release_number, ...(detail ? { detail } : {}) },
        );
      });
    },

    /**
     * Applies the release's Deployment `app` in `tenant-<slug>-<environment>` (or, for a
     * rollback, puts the previous release's back). Retry-safe: a server-side apply of the same
     * spec changes nothing. With no cluster configured it returns the reason it skipped.
     */
    async applyReleaseDeployment(
      input: PromotionInput & {
        release: ReleaseToRun;
        deployment: DeploymentSettings;
        progressDeadlineSeconds: number;
        rollback: boolean;
      },
    ): Promise<{ skipped: string | null; releaseId: string }> {
      return tenantStep(deps, input, async () => {
        const spec: ReleaseDeployment = {
          name: APPLICATION_DEPLOYMENT,
          releaseId: releaseLabel(input.release.number),
          image: input.release.image,
          replicas: input.deployment.replicas,
          env: input.deployment.env,
          resources: input.deployment.resources,
          progressDeadlineSeconds: input.progressDeadlineSeconds,
          annotations: { 'atrium.dev/promotion': `${input.environment}/${input.number}` },
        };
        const outcome = input.rollback
          ? await port.rollbackDeployment(namespaceRef(input), spec)
          : await port.applyDeployment(namespaceRef(input), spec);
        return { skipped: outcome.status === 'skipped' ? outcome.reason : null, releaseId: spec.releaseId };
      });
    },

    /** The rollout of the application's Deployment in the environment (null: none). Retry-safe: a read. */
    async readReleaseRollout(
      input: PromotionInput,
    ): Promise<{ skipped: string | null; rollout: RolloutStatus | null }> {
      return tenantStep(deps, input, async () => {
        const outcome = await port.readRollout(namespaceRef(input), APPLICATION_DEPLOYMENT);
        return outcome.status === 'skipped'
          ? { skipped: outcome.reason, rollout: null }
          : { skipped: null, rollout: outcome.result };
      });
    },

    /**
     * Records how the promotion ended, with the detail, audited, and emits its event
     * (`promotion.succeeded`, `.failed`, `.rolled_back`, `.rejected`) in the same transaction.
     * Retry-safe: an outcome already recorded is left as it is (nothing audited or emitted again).
     */
    async recordPromotionOutcome(
      input: PromotionInput & {
        status: Extract<PromotionStatus, 'succeeded' | 'rolled-back' | 'failed' | 'rejected'>;
        detail: string | null;
      },
    ): Promise<void> {
      await lockedTenantStep(deps, input, async ({ db, auditChange, emit }) => {
        const row = await findPromotion(db, input.tenantId, input.environment, input.number, { lock: true });
        if (!row || row.status === input.status) return;
        await updatePromotion(db, input.tenantId, input.environment, input.number, {
          status: input.status,
          detail: input.detail,
          completed: true,
        });
        await auditChange(
          `promotion.${input.status.replace('-', '_')}`,
          'promotion',
          `${input.environment}/${input.number}`,
          { status: row.status },
          {
            status: input.status,
            release: row.release_number,
            previousRelease: row.previous_release,
            ...(input.detail ? { detail: input.detail } : {}),
          },
        );
        await emitPromotionOutcome(emit, row, input.status, input.detail);
      });
    },
  };
}
