// Activities for the tenant lifecycle. Each one is safe to retry: under a per-tenant lock
// it checks what exists and does only what is missing, and it writes the audit entry for
// a change in the same transaction as the change, so a retry never audits twice.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { PlanName } from '../../workflows/shared/plans.ts';
import { quoteIdentifier } from '../../db/identifiers.ts';
import {
  findTenantById,
  insertTenantIfAbsent,
  recordTenantSchema,
  setTenantStatus,
} from '../../db/repositories/tenants.ts';
import type { KernelDeps, TenantActivityInput } from '../shared/kernel.ts';
import { lockedTenantStep } from '../shared/kernel.ts';
import { addOwnerIfAccountExists } from './owner.ts';
import { tenantSchemaName } from '../shared/tenant-schema-name.ts';
import { schemaExists } from '../shared/tenant-teardown.ts';

export function createTenantActivities(deps: KernelDeps) {
  return {
    /**
     * Inserts the tenant as pending (created at `createdAt`, when the API accepted the
     * request, if given), and makes the verified account of `ownerEmail` its owner when the
     * tenant has none (owner.ts; an address without one is invited by the welcome step).
     * Retry-safe: insert-if-absent keyed by tenant id, membership added only if absent.
     */
    async createTenantRecord(
      input: TenantActivityInput & {
        slug: string;
        name: string;
        plan: PlanName;
        ownerEmail: string;
        createdAt?: string | undefined;
      },
    ): Promise<void> {
      const { stored } = await lockedTenantStep(deps, input, async (tx) => {
        const { db, audit } = tx;
        const result = await insertTenantIfAbsent(db, {
          id: input.tenantId,
          slug: input.slug,
          name: input.name,
          plan: input.plan,
          ownerEmail: input.ownerEmail,
          ...(input.createdAt ? { createdAt: new Date(input.createdAt) } : {}),
        });
        if (result.inserted)
          await audit('tenant.created', 'tenant', input.tenantId, {
            slug: input.slug,
            name: input.name,
            plan: input.plan,
            status: 'pending',
          });
        if (result.stored?.id === input.tenantId) await addOwnerIfAccountExists(tx, input.tenantId, input.ownerEmail);
        return result;
      });
      if (stored?.id !== input.tenantId) {
        throw ApplicationFailure.nonRetryable(
          `The slug "${input.slug}" belongs to another tenant (${stored?.id ?? 'unknown'}); choose another slug.`,
          'TenantSlugTaken',
        );
      }
      Context.current().log.info('Tenant record ready', { slug: input.slug });
    },

    /** Creates the tenant's schema. Retry-safe: created only if absent. */
    async createTenantSchema(input: TenantActivityInput & { slug: string }): Promise<{ schemaName: string }> {
      const schemaName = tenantSchemaName(input.slug);
      await lockedTenantStep(deps, input, async ({ db, audit }) => {
        const exists = await schemaExists(db, schemaName);
        await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schemaName)}`);
        await recordTenantSchema(db, input.tenantId, schemaName);
        if (!exists) await audit('tenant.schema_created', 'schema', schemaName);
      });
      Context.current().log.info('Tenant schema ready', { schemaName });
      return { schemaName };
    },

    /** Compensation for createTenantSchema. Retry-safe: dropped only if present. */
    async dropTenantSchema(input: TenantActivityInput & { schemaName: string }): Promise<void> {
      await lockedTenantStep(deps, input, async ({ db, audit }) => {
        const exists = await schemaExists(db, input.schemaName);
        await db.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(input.schemaName)} CASCADE`);
        await recordTenantSchema(db, input.tenantId, null);
        if (exists) await audit('tenant.schema_dropped', 'schema', input.schemaName);
      });
      Context.current().log.info('Tenant schema dropped', { schemaName: input.schemaName });
    },

    /** Marks the tenant active. Retry-safe: pending → active, active stays active. */
    async activateTenant(input: TenantActivityInput): Promise<void> {
      const status = await lockedTenantStep(deps, input, async ({ db, auditChange }) => {
        const tenant = await findTenantById(db, input.tenantId);
        if (tenant?.status !== 'pending') return tenant?.status ?? 'missing';
        await setTenantStatus(db, input.tenantId, 'active');
        await auditChange('tenant.activated', 'tenant', input.tenantId, { status: 'pending' }, { status: 'active' });
        return 'active';
      });
      if (status !== 'active') {
        throw ApplicationFailure.nonRetryable(
          `Tenant ${input.tenantId} cannot be activated from status "${status}".`,
          'TenantNotActivatable',
        );
      }
    },

    /** Records why provisioning failed. Retry-safe: only a change of status is written. */
    async markTenantFailed(input: TenantActivityInput & { reason: string }): Promise<void> {
      await lockedTenantStep(deps, input, async ({ db, auditChange }) => {
        const tenant = await findTenantById(db, input.tenantId);
        if (!tenant || (tenant.status === 'failed' && tenant.failureReason === input.reason)) return;
        await setTenantStatus(db, input.tenantId, 'failed', input.reason);
        await auditChange(
          'tenant.failed',
          'tenant',
          input.tenantId,
          { status: tenant.status },
          { status: 'failed', reason: input.reason },
        );
      });
    },
  };
}

export type TenantActivities = ReturnType<typeof createTenantActivities>;
