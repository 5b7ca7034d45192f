// Activities for the tenant lifecycle. Each one is safe to retry: under a per-tenant lock
// it checks what exists and does only what is missing, and it writes the audit entry for
// a change in the same transaction as the change, so a retry never audits twice.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { DataSource } from 'typeorm';
import type { PlanName } from '../../workflows/shared/plans.ts';
import { quoteIdentifier } from '../../db/identifiers.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import {
  findTenantById,
  insertTenantIfAbsent,
  recordTenantSchema,
  setTenantStatus,
} from '../../db/repositories/tenants.ts';
import { addLogContext } from '../../logging/context.ts';
import { heartbeatWhile } from '../shared/heartbeat.ts';
import { SYSTEM_ACTOR } from '../shared/step-audit.ts';
import { withTenantLock } from '../shared/tenant-lock.ts';
import { tenantSchemaName } from '../shared/tenant-schema-name.ts';

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
      plan: PlanName;
      ownerEmail: string;
      actor?: AuditActor;
    }): Promise<void> {
      addLogContext({ tenantId: input.tenantId });
      const { stored } = await heartbeatWhile(() =>
        withTenantLock(dataSource, input.tenantId, async (db) => {
          const result = await insertTenantIfAbsent(db, {
            id: input.tenantId,
            slug: input.slug,
            name: input.name,
            plan: input.plan,
            ownerEmail: input.ownerEmail,
          });
          if (result.inserted) {
            await appendAuditEntry(db, {
              tenantId: input.tenantId,
              actor: input.actor ?? SYSTEM_ACTOR,
              action: 'tenant.created',
              targetType: 'tenant',
              targetId: input.tenantId,
              after: { slug: input.slug, name: input.name, plan: input.plan, status: 'pending' },
            });
          }
          return result;
        }),
      );
      if (stored?.id !== input.tenantId) {
        throw ApplicationFailure.nonRetryable(
          `The slug "${input.slug}" belongs to another tenant (${stored?.id ?? 'unknown'}); choose another slug.`,
          'TenantSlugTaken',
        );
      }
      Context.current().log.info('Tenant record ready', { slug: input.slug });
    },

    /** Creates the tenant's schema. Retry-safe: created only if absent. */
    async createTenantSchema(input: {
      tenantId: string;
      slug: string;
      actor?: AuditActor;
    }): Promise<{ schemaName: string }> {
      addLogContext({ tenantId: input.tenantId });
      const schemaName = tenantSchemaName(input.slug);
      await heartbeatWhile(() =>
        withTenantLock(dataSource, input.tenantId, async (db) => {
          const exists = await schemaExists(db.query.bind(db), schemaName);
          await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schemaName)}`);
          await recordTenantSchema(db, input.tenantId, schemaName);
          if (!exists) {
            await appendAuditEntry(db, {
              tenantId: input.tenantId,
              actor: input.actor ?? SYSTEM_ACTOR,
              action: 'tenant.schema_created',
              targetType: 'schema',
              targetId: schemaName,
            });
          }
        }),
      );
      Context.current().log.info('Tenant schema ready', { schemaName });
      return { schemaName };
    },

    /** Compensation for createTenantSchema. Retry-safe: dropped only if present. */
    async dropTenantSchema(input: { tenantId: string; schemaName: string; actor?: AuditActor }): Promise<void> {
      addLogContext({ tenantId: input.tenantId });
      await heartbeatWhile(() =>
        withTenantLock(dataSource, input.tenantId, async (db) => {
          const exists = await schemaExists(db.query.bind(db), input.schemaName);
          await db.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(input.schemaName)} CASCADE`);
          await recordTenantSchema(db, input.tenantId, null);
          if (exists) {
            await appendAuditEntry(db, {
              tenantId: input.tenantId,
              actor: input.actor ?? SYSTEM_ACTOR,
              action: 'tenant.schema_dropped',
              targetType: 'schema',
              targetId: input.schemaName,
            });
          }
        }),
      );
      Context.current().log.info('Tenant schema dropped', { schemaName: input.schemaName });
    },

    /** Marks the tenant active. Retry-safe: pending → active, active stays active. */
    async activateTenant(input: { tenantId: string; actor?: AuditActor }): Promise<void> {
      addLogContext({ tenantId: input.tenantId });
      const status = await heartbeatWhile(() =>
        withTenantLock(dataSource, input.tenantId, async (db) => {
          const tenant = await findTenantById(db, input.tenantId);
          if (tenant?.status !== 'pending') return tenant?.status ?? 'missing';
          await setTenantStatus(db, input.tenantId, 'active');
          await appendAuditEntry(db, {
            tenantId: input.tenantId,
            actor: input.actor ?? SYSTEM_ACTOR,
            action: 'tenant.activated',
            targetType: 'tenant',
            targetId: input.tenantId,
            before: { status: 'pending' },
            after: { status: 'active' },
          });
          return 'active';
        }),
      );
      if (status !== 'active') {
        throw ApplicationFailure.nonRetryable(
          `Tenant ${input.tenantId} cannot be activated from status "${status}".`,
          'TenantNotActivatable',
        );
      }
    },

    /** Records why provisioning failed. Retry-safe: only a change of status is written. */
    async markTenantFailed(input: { tenantId: string; reason: string; actor?: AuditActor }): Promise<void> {
      addLogContext({ tenantId: input.tenantId });
      await withTenantLock(dataSource, input.tenantId, async (db) => {
        const tenant = await findTenantById(db, input.tenantId);
        if (!tenant || (tenant.status === 'failed' && tenant.failureReason === input.reason)) return;
        await setTenantStatus(db, input.tenantId, 'failed', input.reason);
        await appendAuditEntry(db, {
          tenantId: input.tenantId,
          actor: input.actor ?? SYSTEM_ACTOR,
          action: 'tenant.failed',
          targetType: 'tenant',
          targetId: input.tenantId,
          before: { status: tenant.status },
          after: { status: 'failed', reason: input.reason },
        });
      });
    },
  };
}

export type TenantActivities = ReturnType<typeof createTenantActivities>;

async function schemaExists(
  query: (sql: string, params: unknown[]) => Promise<unknown[]>,
  name: string,
): Promise<boolean> {
  return (await query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [name])).length > 0;
}
