// The teardown report (tenant_teardown_reports) that ties an offboarding's steps together:
// the key of the operation it belongs to, reading it, recording a step's evidence in it, and
// the activity that completes it and marks the tenant offboarded.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { EntityManager } from 'typeorm';
import type { TeardownReportRow, TeardownSteps } from '../../db/repositories/tenant-offboarding.ts';
import {
  findTeardownReport,
  markTeardownReport,
  recordTeardownStep,
  teardownResources,
} from '../../db/repositories/tenant-offboarding.ts';
import { findTenantById, setTenantStatus } from '../../db/repositories/tenants.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import type { KernelDeps } from '../shared/kernel.ts';
import { lockedTenantStep } from '../shared/kernel.ts';

/** What the offboarding steps are given: whose tenant, and who asked (always known: offboarding came after actors). */
export interface OffboardingStepInput {
  tenantId: string;
  slug: string;
  actor: AuditActor;
}

/** The workflow's run: an export and a report belong to one offboarding operation. */
export function operationKey(): string {
  const execution = Context.current().info.workflowExecution;
  if (!execution) throw new Error('Offboarding activities run inside the offboardTenant workflow only.');
  return `${execution.workflowId}@${execution.runId}`;
}

/** The tenant's report, which the export step opens; the later steps cannot run without it. */
export async function reportOf(db: EntityManager, tenantId: string): Promise<TeardownReportRow> {
  const report = await findTeardownReport(db, tenantId);
  if (!report)
    throw ApplicationFailure.nonRetryable(
      `Tenant ${tenantId} has no teardown report; the export step opens it and must run first.`,
      'TeardownReportMissing',
    );
  return report;
}

/** Records a step's evidence, typed by the step. */
export function recordStep<K extends keyof TeardownSteps>(
  db: EntityManager,
  tenantId: string,
  name: K,
  evidence: NonNullable<TeardownSteps[K]>,
): Promise<void> {
  return recordTeardownStep(db, tenantId, name, evidence);
}

export function createReportActivities(deps: KernelDeps) {
  return {
    /**
     * Writes the teardown report's list of resources and marks the tenant offboarded.
     * Retry-safe: an offboarded tenant is left as it is.
     */
    async completeOffboarding(input: OffboardingStepInput): Promise<{ resources: number }> {
      return lockedTenantStep(deps, input, async ({ db, auditChange, emit }) => {
        const tenant = await findTenantById(db, input.tenantId);
        const report = await reportOf(db, input.tenantId);
        const resources = teardownResources(report);
        if (tenant?.status === 'offboarded') return { resources: resources.length };
        await recordStep(db, input.tenantId, 'report', {
          resources,
          writtenAt: new Date().toISOString(),
        });
        await markTeardownReport(db, input.tenantId, 'completed');
        await setTenantStatus(db, input.tenantId, 'offboarded');
        await auditChange(
          'tenant.offboarded',
          'tenant',
          input.tenantId,
          { status: 'offboarding' },
          { status: 'offboarded', reason: report.reason, resourcesDeleted: resources.length },
        );
        if (tenant) await emit('tenant.offboarded', { tenantId: input.tenantId, slug: tenant.slug });
        return { resources: resources.length };
      });
    },
  };
}
