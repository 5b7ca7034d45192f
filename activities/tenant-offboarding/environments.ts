// offboardTenant's `environments` step, right after the namespaces step: once the namespaces
// are gone (or none could be, with no cluster configured), every live environment of the
// tenant is marked deleted (status `deleted`, `deleted_at`, the detail "the tenant was
// offboarded"), audited as an environment deletion is, so no environment of an offboarded
// tenant still reads as ready.
import { ApplicationFailure } from '@temporalio/activity';
import type { TeardownSteps } from '../../db/repositories/tenant-offboarding.ts';
import { stepsOf } from '../../db/repositories/tenant-offboarding.ts';
import { listEnvironments, updateEnvironment } from '../../db/repositories/tenant-environments.ts';
import { tenantNamespaceName } from '../../integrations/cluster/port.ts';
import type { KernelDeps } from '../shared/kernel.ts';
import { lockedTenantStep } from '../shared/kernel.ts';
import { OFFBOARDED_DETAIL } from './promotions.ts';
import type { OffboardingStepInput } from './report.ts';
import { recordStep, reportOf } from './report.ts';

type EnvironmentsEvidence = NonNullable<TeardownSteps['environments']>;

export function createEnvironmentTeardownActivities(deps: KernelDeps) {
  return {
    /**
     * Marks every live environment of the tenant deleted, audited (`environment.deleted`), once
     * the namespaces step recorded its namespaces gone. Retry-safe: deleted environments are not
     * live any more, and the evidence recorded first is kept (a retry only adds to it).
     */
    async offboardEnvironments(input: OffboardingStepInput): Promise<{ deleted: string[] }> {
      return lockedTenantStep(deps, input, async ({ db, auditChange }) => {
        const steps = stepsOf(await reportOf(db, input.tenantId));
        if (!steps.namespaces?.completedAt)
          throw ApplicationFailure.nonRetryable(
            "The tenant's namespaces are not recorded gone: the namespaces step runs before its environments are marked deleted.",
            'NamespacesNotDeleted',
          );
        const deletedAt = new Date().toISOString();
        const marked: EnvironmentsEvidence['environments'] = [];
        for (const environment of await listEnvironments(db, input.tenantId)) {
          await updateEnvironment(db, input.tenantId, environment.name, {
            status: 'deleted',
            status_detail: OFFBOARDED_DETAIL,
          });
          await auditChange(
            'environment.deleted',
            'environment',
            environment.name,
            { status: environment.status },
            { status: 'deleted', detail: OFFBOARDED_DETAIL },
          );
          marked.push({
            name: environment.name,
            previousStatus: environment.status,
            namespace: tenantNamespaceName(input.slug, environment.name),
            deletedAt,
          });
        }
        const earlier = steps.environments;
        if (!earlier || marked.length > 0)
          await recordStep(db, input.tenantId, 'environments', {
            environments: [...(earlier?.environments ?? []), ...marked],
            ...(steps.namespaces.skipped ? { namespacesSkipped: steps.namespaces.skipped } : {}),
            completedAt: earlier?.completedAt ?? deletedAt,
          });
        return { deleted: [...(earlier?.environments ?? []), ...marked].map((item) => item.name) };
      });
    },
  };
}
