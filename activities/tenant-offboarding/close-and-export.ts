// The first half of offboardTenant: closing the tenant and exporting its data, and reopening
// it when the offboarding is called off during the grace period. Nothing here deletes
// anything. Secret values never leave the store: the export lists secret paths and versions.
import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { quoteIdentifier } from '../../db/identifiers.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import {
  findExport,
  findTeardownReport,
  markTeardownReport,
  openTeardownReport,
} from '../../db/repositories/tenant-offboarding.ts';
import { findTenantById, setTenantStatus } from '../../db/repositories/tenants.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { lockedTenantStep } from '../shared/kernel.ts';
import { listSecretsUnder } from '../shared/tenant-teardown.ts';
import type { OffboardingStepInput } from './report.ts';
import { operationKey } from './report.ts';
import type { ArchiveFile } from './tar-archive.ts';
import { createTarGz } from './tar-archive.ts';

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

export function createCloseAndExportActivities(deps: Pick<ActivityDeps, 'dataSource' | 'secretStore'>) {
  const { secretStore } = deps;
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
      return lockedTenantStep(deps, input, async ({ db, auditChange, emit }) => {
        const tenant = await findTenantById(db, input.tenantId);
        if (!tenant) throw ApplicationFailure.nonRetryable(`Tenant ${input.tenantId} does not exist.`, 'TenantMissing');
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
        await auditChange(
          'tenant.offboarding_started',
          'tenant',
          input.tenantId,
          { status: tenant.status },
          { status: 'offboarding', reason: input.reason, operation: operationId },
        );
        await emit('tenant.offboarding_started', {
          tenantId: input.tenantId,
          slug: tenant.slug,
          reason: input.reason,
          previousStatus: tenant.status,
        });
        return { previousStatus: tenant.status };
      });
    },

    /**
     * Writes the tenant's data into a tar.gz archive in tenant_exports: the tenant row, its
     * rows of every tenant-owned table (JSON lines, credentials redacted), its schema (CREATE
     * statements and rows), its secrets' paths and versions (never values) and its audit
     * log. One consistent snapshot (one transaction; the tenant is closed already).
     * Retry-safe: one export per operation; a stored one is returned as it is.
     */
    async exportTenantData(input: OffboardingStepInput): Promise<ExportSummary> {
      const operationId = operationKey();
      return lockedTenantStep(deps, input, async ({ db, audit }) => {
        const existing = await findExport(db, input.tenantId, operationId);
        if (existing)
          return {
            fileName: existing.file_name,
            sizeBytes: existing.size_bytes,
            sha256: existing.sha256,
            contents: existing.contents as unknown as ExportContents,
          };
        const tenant = await findTenantById(db, input.tenantId);
        if (!tenant) throw ApplicationFailure.nonRetryable(`Tenant ${input.tenantId} does not exist.`, 'TenantMissing');
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

        const auditLog = await db.query<Array<{ row: Record<string, unknown> }>>(
          `SELECT to_jsonb(a) AS row FROM audit_log a WHERE tenant_id = $1 ORDER BY id`,
          [input.tenantId],
        );
        files.push({ name: 'audit-log.jsonl', content: jsonLines(auditLog.map((r) => r.row)) });
        contents.auditEntries = auditLog.length;

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
        await audit('tenant.data_exported', 'tenant_export', operationId, {
          fileName,
          sizeBytes: archive.length,
          sha256,
          contents,
        });
        Context.current().log.info('Tenant data exported', { fileName, sizeBytes: archive.length });
        return { fileName, sizeBytes: archive.length, sha256, contents };
      });
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
      await lockedTenantStep(deps, input, async ({ db, auditChange }) => {
        const tenant = await findTenantById(db, input.tenantId);
        if (tenant?.status !== 'offboarding') return;
        const report = await findTeardownReport(db, input.tenantId);
        const previousStatus = input.previousStatus ?? (report?.previous_status as 'active' | 'suspended' | undefined);
        await setTenantStatus(db, input.tenantId, previousStatus ?? 'active');
        await markTeardownReport(db, input.tenantId, 'cancelled');
        await auditChange(
          'tenant.offboarding_cancelled',
          'tenant',
          input.tenantId,
          { status: 'offboarding' },
          { status: previousStatus ?? 'active' },
        );
      });
    },
  };
}

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
