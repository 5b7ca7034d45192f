// Activities of offboardTenant. Each is safe to retry: it works under the tenant's lock,
// does only what is not done yet, and records what it did in the tenant's teardown report
// (tenant_teardown_reports) with the evidence that what it deleted is gone, checked against
// the system that held it (pg_roles, the secret store's metadata, the Kubernetes API
// server, the billing provider's answer). The deletions themselves are the provisioning
// compensations (activities/tenant-teardown.ts), so the undo logic exists once. Audit
// entries are written in the transaction of the change, and only when something changed.
// Secret values never leave the store: the export lists secret paths and versions only.
import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { DataSource, EntityManager } from 'typeorm';
import { quoteIdentifier } from '../../db/identifiers.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { lockTenantResources } from '../../db/repositories/tenant-resources.ts';
import type { TeardownReportRow, TeardownSteps } from '../../db/repositories/tenant-offboarding.ts';
import {
  findExport,
  findTeardownReport,
  markTeardownReport,
  openTeardownReport,
  recordTeardownStep,
  stepsOf,
  teardownResources,
} from '../../db/repositories/tenant-offboarding.ts';
import { findTenantById, setTenantStatus } from '../../db/repositories/tenants.ts';
import type { Billing } from '../../integrations/billing/port.ts';
import type { Cluster } from '../../integrations/cluster/port.ts';
import type { SecretStore } from '../../integrations/secrets/port.ts';
import { addLogContext } from '../../logging/context.ts';
import { asActivityFailure } from '../shared/failures.ts';
import { heartbeatWhile } from '../shared/heartbeat.ts';
import type { ArchiveFile } from './tar-archive.ts';
import { createTarGz } from './tar-archive.ts';
import { withTenantLock } from '../shared/tenant-lock.ts';
import { tenantSchemaName } from '../shared/tenant-schema-name.ts';
import { createTenantTeardown, listSecretsUnder, tenantLoginRoleName } from '../shared/tenant-teardown.ts';

export interface OffboardingDeps {
  dataSource: DataSource;
  secretStore: SecretStore;
  billing: Billing;
  cluster: { port: Cluster };
}

interface StepInput {
  tenantId: string;
  slug: string;
  actor: AuditActor;
}

/** Offboarding's own bookkeeping, not the tenant's data. */
const NOT_EXPORTED = new Set(['audit_log', 'tenant_exports', 'tenant_teardown_reports']);
/** Columns whose values are credentials or their hashes: exported as "[redacted]". */
const REDACTED_COLUMN = /hash|secret|token|verifier|password|ciphertext/i;

export const EXPORT_MEDIA_TYPE = 'application/gzip';

export interface ExportSummary {
  fileName: string;
  sizeBytes: number;
  sha256: string;
  contents: ExportContents;
}

export interface ExportContents {
  /** Rows per tenant-owned table of Atrium's own schema. */
  tables: Record<string, number>;
  /** Rows per table of the tenant's schema (`tenant_<slug>`). */
  schemaTables: Record<string, number>;
  secrets: number;
  auditEntries: number;
}

function recordStep<K extends keyof TeardownSteps>(
  db: EntityManager,
  tenantId: string,
  name: K,
  evidence: NonNullable<TeardownSteps[K]>,
): Promise<void> {
  return recordTeardownStep(db, tenantId, name, evidence);
}

/** The workflow's run: an export and a report belong to one offboarding operation. */
function operationKey(): string {
  const execution = Context.current().info.workflowExecution;
  if (!execution) throw new Error('Offboarding activities run inside the offboardTenant workflow only.');
  return `${execution.workflowId}@${execution.runId}`;
}

export function createTenantOffboardingActivities(deps: OffboardingDeps) {
  const { dataSource, secretStore, billing, cluster } = deps;
  const teardown = createTenantTeardown(deps);

  async function step<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    addLogContext({ tenantId });
    try {
      return await heartbeatWhile(work);
    } catch (error) {
      throw asActivityFailure(error);
    }
  }

  const locked = <T>(tenantId: string, work: (db: EntityManager) => Promise<T>) =>
    withTenantLock(dataSource, tenantId, work);

  async function reportOf(db: EntityManager, tenantId: string): Promise<TeardownReportRow> {
    const report = await findTeardownReport(db, tenantId);
    if (!report)
      throw ApplicationFailure.nonRetryable(
        `Tenant ${tenantId} has no teardown report; the export step opens it and must run first.`,
        'TeardownReportMissing',
      );
    return report;
  }

  return {
    /**
     * Closes the tenant (status `offboarding`: members and API keys get a 403) and opens the
     * teardown report of this operation with what a cancel returns the tenant to.
     * Retry-safe: a report of this operation already open means it is done.
     */
    async closeTenantForOffboarding(input: {
      tenantId: string;
      reason: string;
      actor: AuditActor;
    }): Promise<{ previousStatus: 'active' | 'suspended' }> {
      const operationId = operationKey();
      return step(input.tenantId, () =>
        locked(input.tenantId, async (db) => {
          const tenant = await findTenantById(db, input.tenantId);
          if (!tenant)
            throw ApplicationFailure.nonRetryable(`Tenant ${input.tenantId} does not exist.`, 'TenantMissing');
          const existing = await findTeardownReport(db, input.tenantId);
          if (existing?.operation_id === operationId)
            return { previousStatus: existing.previous_status as 'active' | 'suspended' };
          if (tenant.status !== 'active' && tenant.status !== 'suspended')
            throw ApplicationFailure.nonRetryable(
              `Only an active or suspended tenant can be offboarded; "${tenant.slug}" is ${tenant.status}.`,
              'TenantNotOffboardable',
            );
          await openTeardownReport(db, {
            tenantId: input.tenantId,
            operationId,
            reason: input.reason,
            previousStatus: tenant.status,
          });
          await setTenantStatus(db, input.tenantId, 'offboarding');
          await appendAuditEntry(db, {
            tenantId: input.tenantId,
            actor: input.actor,
            action: 'tenant.offboarding_started',
            targetType: 'tenant',
            targetId: input.tenantId,
            before: { status: tenant.status },
            after: { status: 'offboarding', reason: input.reason, operation: operationId },
          });
          return { previousStatus: tenant.status };
        }),
      );
    },

    /**
     * Writes the tenant's data into a tar.gz archive in tenant_exports: the tenant row, its
     * rows of every tenant-owned table (JSON lines, credentials redacted), its schema (CREATE
     * statements and rows), its secrets' paths and versions (never values) and its audit
     * log. One consistent snapshot (one transaction; the tenant is closed already).
     * Retry-safe: one export per operation; a stored one is returned as it is.
     */
    async exportTenantData(input: StepInput): Promise<ExportSummary> {
      const operationId = operationKey();
      return step(input.tenantId, () =>
        locked(input.tenantId, async (db) => {
          const existing = await findExport(db, input.tenantId, operationId);
          if (existing)
            return {
              fileName: existing.file_name,
              sizeBytes: existing.size_bytes,
              sha256: existing.sha256,
              contents: existing.contents as unknown as ExportContents,
            };
          const tenant = await findTenantById(db, input.tenantId);
          if (!tenant)
            throw ApplicationFailure.nonRetryable(`Tenant ${input.tenantId} does not exist.`, 'TenantMissing');
          const exportedAt = new Date();
          const contents: ExportContents = { tables: {}, schemaTables: {}, secrets: 0, auditEntries: 0 };
          const files: ArchiveFile[] = [{ name: 'tenant.json', content: `${JSON.stringify(tenant, null, 2)}\n` }];

          const tables = await db.query<Array<{ table_name: string }>>(
            `SELECT DISTINCT table_name FROM information_schema.columns
             WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY table_name`,
          );
          for (const { table_name: table } of tables) {
            if (NOT_EXPORTED.has(table)) continue;
            const rows = await db.query<Array<{ row: Record<string, unknown> }>>(
              `SELECT to_jsonb(t) AS row FROM ${quoteIdentifier(table)} t WHERE tenant_id = $1`,
              [input.tenantId],
            );
            files.push({ name: `tables/${table}.jsonl`, content: jsonLines(rows.map((r) => redact(r.row))) });
            contents.tables[table] = rows.length;
          }

          const audit = await db.query<Array<{ row: Record<string, unknown> }>>(
            `SELECT to_jsonb(a) AS row FROM audit_log a WHERE tenant_id = $1 ORDER BY id`,
            [input.tenantId],
          );
          files.push({ name: 'audit-log.jsonl', content: jsonLines(audit.map((r) => r.row)) });
          contents.auditEntries = audit.length;

          if (tenant.schemaName) {
            const dumped = await db.query<Array<{ table_name: string; ddl: string; rows: unknown[] }>>(
              `SELECT table_name, ddl, rows FROM atrium_export_tenant_schema($1)`,
              [input.tenantId],
            );
            const header = `-- Schema ${tenant.schemaName} of tenant ${input.slug}, exported ${exportedAt.toISOString()}\n`;
            files.push({
              name: 'schema/schema.sql',
              content: `${header}\n${dumped.map((t) => t.ddl).join('\n\n')}\n`,
            });
            const used = new Set<string>();
            for (const table of dumped) {
              files.push({
                name: `schema/tables/${fileNameFor(table.table_name, used)}.jsonl`,
                content: jsonLines(table.rows),
              });
              contents.schemaTables[table.table_name] = table.rows.length;
            }
          }

          const secrets = [];
          for (const path of await listSecretsUnder(secretStore, `tenants/${input.slug}`)) {
            const metadata = await secretStore.metadata(path);
            if (!metadata) continue;
            secrets.push({
              path,
              currentVersion: metadata.currentVersion,
              versions: metadata.versions.map((v) => ({ version: v.version, createdAt: v.createdAt.toISOString() })),
            });
          }
          files.push({
            name: 'secrets.json',
            content: `${JSON.stringify({ store: secretStore.kind, secrets }, null, 2)}\n`,
          });
          contents.secrets = secrets.length;

          const manifest = {
            format: 'atrium-tenant-export',
            version: 1,
            tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name, plan: tenant.plan },
            exportedAt: exportedAt.toISOString(),
            operation: operationId,
            contents,
            notes: [
              'tables/*.jsonl: the tenant’s rows of Atrium’s tenant-owned tables, one JSON object per line; credential columns are "[redacted]".',
              'schema/: the tenant’s own schema: schema.sql (CREATE TABLE statements) and each table’s rows.',
              'secrets.json: secret paths and versions only; secret values are never exported.',
              'audit-log.jsonl: the tenant’s audit log, with its hash chain.',
            ],
          };
          files.unshift({ name: 'manifest.json', content: `${JSON.stringify(manifest, null, 2)}\n` });

          const archive = createTarGz(files, exportedAt);
          const sha256 = createHash('sha256').update(archive).digest('hex');
          const fileName = `atrium-export-${input.slug}-${exportedAt.toISOString().slice(0, 10)}.tar.gz`;
          await db.query(
            `INSERT INTO tenant_exports (tenant_id, operation_id, file_name, media_type, archive, size_bytes, sha256, contents)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
            [
              input.tenantId,
              operationId,
              fileName,
              EXPORT_MEDIA_TYPE,
              archive,
              archive.length,
              sha256,
              JSON.stringify(contents),
            ],
          );
          await appendAuditEntry(db, {
            tenantId: input.tenantId,
            actor: input.actor,
            action: 'tenant.data_exported',
            targetType: 'tenant_export',
            targetId: operationId,
            after: { fileName, sizeBytes: archive.length, sha256, contents },
          });
          Context.current().log.info('Tenant data exported', { fileName, sizeBytes: archive.length });
          return { fileName, sizeBytes: archive.length, sha256, contents };
        }),
      );
    },

    /**
     * The offboarding was cancelled during the grace period: the tenant returns to the status
     * it had, nothing deleted. Retry-safe: only an `offboarding` tenant changes, once.
     */
    async reopenTenant(input: {
      tenantId: string;
      /** Null when the workflow was cancelled before it learned it: the report's record counts. */
      previousStatus: 'active' | 'suspended' | null;
      actor: AuditActor;
    }): Promise<void> {
      await step(input.tenantId, () =>
        locked(input.tenantId, async (db) => {
          const tenant = await findTenantById(db, input.tenantId);
          if (tenant?.status !== 'offboarding') return;
          const report = await findTeardownReport(db, input.tenantId);
          const previousStatus =
            input.previousStatus ?? (report?.previous_status as 'active' | 'suspended' | undefined);
          await setTenantStatus(db, input.tenantId, previousStatus ?? 'active');
          await markTeardownReport(db, input.tenantId, 'cancelled');
          await appendAuditEntry(db, {
            tenantId: input.tenantId,
            actor: input.actor,
            action: 'tenant.offboarding_cancelled',
            targetType: 'tenant',
            targetId: input.tenantId,
            before: { status: 'offboarding' },
            after: { status: previousStatus ?? 'active' },
          });
        }),
      );
    },

    /**
     * Deletes every namespace of the tenant (recorded by provisioning, or found by its
     * label) and waits until the API server no longer has it, then reads each one back
     * (404) as evidence. Retry-safe: the plan is stored first and only grows, deleting a
     * gone namespace succeeds, and the evidence is checked again each attempt.
     */
    async offboardNamespaces(input: StepInput): Promise<{ skipped: string | null; deleted: string[] }> {
      return step(input.tenantId, async () => {
        const listed = await cluster.port.listTenantNamespaces(input.slug);
        const { recorded, planned } = await locked(input.tenantId, async (db) => {
          const resources = await lockTenantResources(db, input.tenantId);
          const report = await reportOf(db, input.tenantId);
          const earlier = stepsOf(report).namespaces?.planned ?? [];
          const found = listed.status === 'done' ? listed.result : [];
          const plan = [...new Set([...earlier, ...resources.clusterNamespaces, ...found])].sort();
          await recordStep(db, input.tenantId, 'namespaces', {
            planned: plan,
            namespaces: [],
            completedAt: null,
          });
          return { recorded: resources.clusterNamespaces, planned: plan };
        });
        if (listed.status === 'skipped') {
          const left = recorded.length > 0 ? ` (recorded but not deleted: ${recorded.join(', ')})` : '';
          await locked(input.tenantId, (db) =>
            recordStep(db, input.tenantId, 'namespaces', {
              planned,
              namespaces: [],
              skipped: `${listed.reason}${left}`,
              completedAt: new Date().toISOString(),
            }),
          );
          return { skipped: `${listed.reason}${left}`, deleted: [] };
        }
        const timeoutMs = Math.max(5_000, Context.current().info.startToCloseTimeoutMs - 5_000);
        const namespaces: NonNullable<TeardownSteps['namespaces']>['namespaces'] = [];
        for (const name of planned) {
          const deleted = await teardown.deleteNamespace(input, name, timeoutMs, (work) =>
            locked(input.tenantId, work),
          );
          const status = await cluster.port.readNamespaceStatus(name);
          if (status.status === 'done' && status.result.found)
            throw new Error(
              `Namespace ${name} is still there (phase ${status.result.phase}) after its deletion; retrying.`,
            );
          namespaces.push({
            name,
            deletedByThisAttempt: deleted.existed,
            apiServer: status.status === 'done' ? { httpStatus: status.result.httpStatus, found: false } : null,
            checkedAt: new Date().toISOString(),
          });
        }
        await locked(input.tenantId, (db) =>
          recordStep(db, input.tenantId, 'namespaces', {
            planned,
            namespaces,
            cluster: cluster.port.target,
            completedAt: new Date().toISOString(),
          }),
        );
        return { skipped: null, deleted: planned };
      });
    },

    /**
     * Destroys every secret under `tenants/<slug>/` and removes the tenant's policy and
     * AppRole, then checks that each path has no metadata left, nothing is listed under the
     * prefix and neither policy nor AppRole exists. Retry-safe: the list of paths is stored
     * before anything is destroyed and only grows; removing what is gone succeeds.
     */
    async offboardSecrets(input: StepInput): Promise<{ destroyed: number }> {
      const prefix = `tenants/${input.slug}`;
      return step(input.tenantId, async () => {
        const found = await listSecretsUnder(secretStore, prefix);
        const planned = await locked(input.tenantId, async (db) => {
          const report = await reportOf(db, input.tenantId);
          const earlier = stepsOf(report).secrets?.planned ?? [];
          const plan = [...new Set([...earlier, ...found])].sort();
          await recordStep(db, input.tenantId, 'secrets', { planned: plan, completedAt: null });
          return plan;
        });
        await locked(input.tenantId, (db) => teardown.revokeSecretAccess(db, input));
        const secrets: Array<{ path: string; metadata: null }> = [];
        for (const path of planned) {
          if ((await secretStore.metadata(path)) !== null)
            throw new Error(`Secret ${path} still has metadata after it was destroyed; retrying.`);
          secrets.push({ path, metadata: null });
        }
        const remaining = await secretStore.list(prefix);
        if (remaining.length > 0)
          throw new Error(`The secret store still lists ${remaining.join(', ')} under ${prefix}; retrying.`);
        const access = await secretStore.describeTenantAccess(input.slug);
        if (access.policy || access.role)
          throw new Error(
            `The secret store still has the tenant's policy or AppRole (${access.policyName}); retrying.`,
          );
        await locked(input.tenantId, (db) =>
          recordStep(db, input.tenantId, 'secrets', {
            store: secretStore.kind,
            planned,
            secrets,
            listedUnderPrefix: remaining,
            policy: { name: access.policyName, exists: false },
            appRole: { name: access.roleName, exists: false },
            completedAt: new Date().toISOString(),
          }),
        );
        return { destroyed: planned.length };
      });
    },

    /**
     * Drops the tenant's login role (with what it owns) and schema and withdraws its
     * license, then checks pg_roles and pg_namespace. Retry-safe: one transaction (role and
     * schema drops are transactional), and each is removed only if present.
     */
    async offboardDatabase(input: StepInput): Promise<{ roleName: string; schemaName: string }> {
      const roleName = tenantLoginRoleName(input.slug);
      const schemaName = tenantSchemaName(input.slug);
      return step(input.tenantId, () =>
        locked(input.tenantId, async (db) => {
          const report = await reportOf(db, input.tenantId);
          const earlier = stepsOf(report).database;
          const dropped = await teardown.dropDatabase(db, input);
          const licenses = await teardown.withdrawLicense(db, input);
          const [left] = await db.query<Array<{ roles: number; schemas: number }>>(
            `SELECT (SELECT count(*) FROM pg_roles WHERE rolname = $1)::int AS roles,
                    (SELECT count(*) FROM pg_namespace WHERE nspname = $2)::int AS schemas`,
            [roleName, schemaName],
          );
          if (left?.roles || left?.schemas)
            throw new Error(`The role ${roleName} or schema ${schemaName} is still there after dropping it; retrying.`);
          await recordStep(db, input.tenantId, 'database', {
            role: { name: roleName, droppedByThisAttempt: dropped.roleDropped, rowsInPgRoles: 0 },
            schema: { name: schemaName, droppedByThisAttempt: dropped.schemaDropped, rowsInPgNamespace: 0 },
            licensesWithdrawn: [...new Set([...(earlier?.licensesWithdrawn ?? []), ...licenses])],
            completedAt: new Date().toISOString(),
          });
          return { roleName, schemaName };
        }),
      );
    },

    /**
     * Cancels the recorded subscription and deletes the recorded customer, keeping the
     * provider's answers. Retry-safe: the calls carry the provisioning's idempotency keys
     * (a retry gets the first answer) and the evidence commits with the record's change;
     * a step already recorded is not repeated.
     */
    async offboardBilling(input: StepInput): Promise<{ customerDeleted: boolean }> {
      return step(input.tenantId, () =>
        locked(input.tenantId, async (db) => {
          const report = await reportOf(db, input.tenantId);
          const earlier = report.steps.billing as
            { completedAt?: string; customer?: { deleted: boolean } | null } | undefined;
          if (earlier?.completedAt) return { customerDeleted: earlier.customer?.deleted ?? false };
          const result = await teardown.cancelBilling(db, input);
          if (result.customer && !result.customer.deleted)
            throw new Error(`The billing provider did not delete customer ${result.customer.customerId}; retrying.`);
          await recordStep(db, input.tenantId, 'billing', {
            provider: billing.kind,
            subscription: result.subscription,
            customer: result.customer,
            completedAt: new Date().toISOString(),
          });
          return { customerDeleted: result.customer?.deleted ?? false };
        }),
      );
    },

    /**
     * Writes the teardown report's list of resources and marks the tenant offboarded.
     * Retry-safe: an offboarded tenant is left as it is.
     */
    async completeOffboarding(input: StepInput): Promise<{ resources: number }> {
      return step(input.tenantId, () =>
        locked(input.tenantId, async (db) => {
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
          await appendAuditEntry(db, {
            tenantId: input.tenantId,
            actor: input.actor,
            action: 'tenant.offboarded',
            targetType: 'tenant',
            targetId: input.tenantId,
            before: { status: 'offboarding' },
            after: { status: 'offboarded', reason: report.reason, resourcesDeleted: resources.length },
          });
          return { resources: resources.length };
        }),
      );
    },
  };
}

export type TenantOffboardingActivities = ReturnType<typeof createTenantOffboardingActivities>;

function jsonLines(rows: readonly unknown[]): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
}

function redact(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([column, value]) => [
      column,
      REDACTED_COLUMN.test(column) && value !== null ? '[redacted]' : value,
    ]),
  );
}

/** A file name for a table (any identifier): safe characters only, unique in the archive. */
function fileNameFor(table: string, used: Set<string>): string {
  const base = table.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60) || 'table';
  let name = base;
  for (let n = 2; used.has(name); n += 1) name = `${base}_${n}`;
  used.add(name);
  return name;
}
