// Activities for the tenant lifecycle. Each one is safe to retry: it checks what exists
// and only does what is missing, under a per-tenant lock.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { DataSource } from 'typeorm';
import type { TenantPlan } from '../db/entities/tenant.ts';
import {
  activateTenant,
  findTenantById,
  insertTenantIfAbsent,
  markTenantFailed,
  recordTenantSchema,
} from '../db/repositories/tenants.ts';
import { addLogContext } from '../logging/context.ts';
import { heartbeatWhile } from './heartbeat.ts';
import { withTenantLock } from './tenant-lock.ts';
import { quoteIdentifier, tenantSchemaName } from './tenant-schema-name.ts';

export interface TenantActivityDeps {
  dataSource: DataSource;
}

export function createTenantActivities({ dataSource }: TenantActivityDeps) {
  return {
    /** Inserts the tenant as pending. Retry-safe: insert-if-absent keyed by tenant id. */
    async createTenantRecord(input: {
      tenantId: string;
      slug: string;
      name: string;
      plan: TenantPlan;
      ownerEmail: string;
    }): Promise<void> {
      addLogContext({ tenantId: input.tenantId });
      const stored = await heartbeatWhile(() =>
        withTenantLock(dataSource, input.tenantId, (db) =>
          insertTenantIfAbsent(db, {
            id: input.tenantId,
            slug: input.slug,
            name: input.name,
            plan: input.plan,
            ownerEmail: input.ownerEmail,
          }),
        ),
      );
      if (stored?.id !== input.tenantId) {
        throw ApplicationFailure.nonRetryable(
          `The slug "${input.slug}" belongs to another tenant (${stored?.id ?? 'unknown'}); choose another slug.`,
          'TenantSlugTaken',
        );
      }
      Context.current().log.info('Tenant record ready', { slug: input.slug });
    },

    /** Creates the tenant's schema. Retry-safe: CREATE SCHEMA IF NOT EXISTS. */
    async createTenantSchema(input: { tenantId: string; slug: string }): Promise<{ schemaName: string }> {
      addLogContext({ tenantId: input.tenantId });
      const schemaName = tenantSchemaName(input.slug);
      await heartbeatWhile(() =>
        withTenantLock(dataSource, input.tenantId, async (db) => {
          await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schemaName)}`);
          await recordTenantSchema(db, input.tenantId, schemaName);
        }),
      );
      Context.current().log.info('Tenant schema ready', { schemaName });
      return { schemaName };
    },

    /** Compensation for createTenantSchema. Retry-safe: DROP SCHEMA IF EXISTS. */
    async dropTenantSchema(input: { tenantId: string; schemaName: string }): Promise<void> {
      addLogContext({ tenantId: input.tenantId });
      await heartbeatWhile(() =>
        withTenantLock(dataSource, input.tenantId, async (db) => {
          await db.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(input.schemaName)} CASCADE`);
          await recordTenantSchema(db, input.tenantId, null);
        }),
      );
      Context.current().log.info('Tenant schema dropped', { schemaName: input.schemaName });
    },

    /** Marks the tenant active. Retry-safe: pending → active, active stays active. */
    async activateTenant(input: { tenantId: string }): Promise<void> {
      addLogContext({ tenantId: input.tenantId });
      const tenant = await heartbeatWhile(() =>
        withTenantLock(dataSource, input.tenantId, (db) => activateTenant(db, input.tenantId)),
      );
      if (tenant?.status !== 'active') {
        throw ApplicationFailure.nonRetryable(
          `Tenant ${input.tenantId} cannot be activated from status "${tenant?.status ?? 'missing'}".`,
          'TenantNotActivatable',
        );
      }
    },

    /** Records why provisioning failed. Retry-safe: a plain UPDATE to the same values. */
    async markTenantFailed(input: { tenantId: string; reason: string }): Promise<void> {
      addLogContext({ tenantId: input.tenantId });
      await withTenantLock(dataSource, input.tenantId, async (db) => {
        if (await findTenantById(db, input.tenantId)) await markTenantFailed(db, input.tenantId, input.reason);
      });
    },
  };
}

export type TenantActivities = ReturnType<typeof createTenantActivities>;
