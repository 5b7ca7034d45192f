// /api/v1/tenants/:slug/audit-log: a tenant's audit trail, filtered and paged by cursor,
// and exported whole as CSV or JSON. Reading needs audit.read (owners and admins; platform
// admins for any tenant). The log itself is append-only: there is nothing to change here.
import { Router } from 'express';
import type { Response } from 'express';
import { z } from 'zod';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { AuditEntry, AuditLogExportQuery, AuditLogListQuery, AuditLogPage } from '../../contracts/audit-log.ts';
import { TenantPath } from '../../contracts/common.ts';
import type { AuditLogFilter, AuditLogRow } from '../../db/repositories/audit-log.ts';
import { listAuditEntries } from '../../db/repositories/audit-log.ts';
import { withTenantScope } from '../../db/scope.ts';
import { requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseQuery } from '../http/validate.ts';
import type { RouteModule } from './route-module.ts';
import { routeModule } from './route-module.ts';

const EXPORT_PAGE_SIZE = 500;

function toEntry(row: AuditLogRow): AuditEntry {
  return {
    id: row.id,
    occurredAt: row.occurred_at.toISOString(),
    actor: { type: row.actor_type, id: row.actor_id, displayName: row.actor_name, email: row.actor_email },
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    requestId: row.request_id,
    ip: row.ip,
    before: row.before,
    after: row.after,
  };
}

/** The cursor is the last id of the page, made opaque so clients do not build their own. */
const encodeCursor = (id: string) => Buffer.from(`a:${id}`, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^a:(\d{1,19})$/.exec(decoded);
  if (!match)
    throw new ProblemError('validation', 'The cursor is not one this API handed out.', {
      errors: [{ path: 'cursor', message: 'Pass the nextCursor of a previous page unchanged.' }],
    });
  return match[1] as string;
}

function filterOf(
  tenantId: string,
  query: z.output<typeof AuditLogExportQuery> | z.output<typeof AuditLogListQuery>,
): AuditLogFilter {
  if (query.from && query.to && new Date(query.from) >= new Date(query.to))
    throw new ProblemError('validation', 'The time range is empty.', {
      errors: [{ path: 'to', message: 'Must be later than from.' }],
    });
  return {
    tenantId,
    actorId: query.actor,
    action: query.action,
    targetType: query.targetType,
    targetId: query.targetId,
    from: query.from ? new Date(query.from) : undefined,
    to: query.to ? new Date(query.to) : undefined,
  };
}

const CSV_COLUMNS = [
  'id',
  'occurred_at',
  'actor_type',
  'actor_id',
  'action',
  'target_type',
  'target_id',
  'request_id',
  'ip',
  'before',
  'after',
] as const;

/** RFC 4180: quote every field that needs it, doubling quotes inside. */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // A leading =, +, - or @ would run as a formula in a spreadsheet: prefix it (OWASP CSV injection).
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function csvRow(entry: AuditEntry): string {
  const values = [
    entry.id,
    entry.occurredAt,
    entry.actor.type,
    entry.actor.id,
    entry.action,
    entry.target.type,
    entry.target.id,
    entry.requestId,
    entry.ip,
    entry.before,
    entry.after,
  ];
  return values.map(csvField).join(',') + '\r\n';
}

/** Writes, waiting for the socket to drain when the client reads slowly. */
async function write(res: Response, chunk: string): Promise<void> {
  if (!res.write(chunk)) await new Promise<void>((resolve) => res.once('drain', () => resolve()));
}

export function auditLogRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.get('/', requireTenantPermission(deps, 'audit.read'), async (req, res) => {
    const query = parseQuery(AuditLogListQuery, req);
    const { tenantId } = tenantAccessOf(res);
    const filter = filterOf(tenantId, query);
    const beforeId = query.cursor ? decodeCursor(query.cursor) : undefined;
    // One extra row tells whether another page follows.
    const rows = await withTenantScope(deps.dataSource, tenantId, (db) =>
      listAuditEntries(db, filter, { beforeId, limit: query.limit + 1 }),
    );
    const items = rows.slice(0, query.limit).map(toEntry);
    const nextCursor = rows.length > query.limit ? encodeCursor(items.at(-1)!.id) : null;
    res.json({ items, nextCursor } satisfies AuditLogPage);
  });

  router.get('/export', requireTenantPermission(deps, 'audit.read'), async (req, res) => {
    const query = parseQuery(AuditLogExportQuery, req);
    const { tenantId, slug } = tenantAccessOf(res);
    const filter = filterOf(tenantId, query);
    const day = new Date().toISOString().slice(0, 10);
    res.status(200);
    res.setHeader(
      'Content-Type',
      query.format === 'csv' ? 'text/csv; charset=utf-8; header=present' : 'application/json; charset=utf-8',
    );
    res.setHeader('Content-Disposition', `attachment; filename="audit-log-${slug}-${day}.${query.format}"`);
    res.setHeader('Cache-Control', 'no-store');
    await write(res, query.format === 'csv' ? CSV_COLUMNS.join(',') + '\r\n' : '[');
    // Page through by id, one short transaction per page, so a large export holds no
    // long-running transaction and keeps memory flat.
    let beforeId: string | undefined;
    let first = true;
    for (;;) {
      const rows = await withTenantScope(deps.dataSource, tenantId, (db) =>
        listAuditEntries(db, filter, { beforeId, limit: EXPORT_PAGE_SIZE }),
      );
      for (const row of rows) {
        const entry = toEntry(row);
        await write(res, query.format === 'csv' ? csvRow(entry) : `${first ? '' : ','}\n${JSON.stringify(entry)}`);
        first = false;
      }
      if (rows.length < EXPORT_PAGE_SIZE || res.destroyed) break;
      beforeId = rows.at(-1)!.id;
    }
    if (query.format === 'json') await write(res, first ? ']' : '\n]');
    res.end();
  });

  return router;
}

export const auditLogPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/audit-log': {
    get: {
      operationId: 'listAuditLog',
      summary: "Read the tenant's audit log, newest first, one page at a time",
      requestParams: { path: TenantPath, query: AuditLogListQuery },
      responses: {
        200: { description: 'A page of entries.', content: { 'application/json': { schema: AuditLogPage } } },
        ...problemResponses(401, 403, 404, 422),
      },
    },
  },
  '/api/v1/tenants/{slug}/audit-log/export': {
    get: {
      operationId: 'exportAuditLog',
      summary: "Download every matching entry of the tenant's audit log",
      description:
        'CSV (RFC 4180, a header row, JSON in the before/after columns) or a JSON array of AuditEntry objects, newest first.',
      requestParams: { path: TenantPath, query: AuditLogExportQuery },
      responses: {
        200: {
          description: 'The entries.',
          content: {
            'text/csv': { schema: z.string() },
            'application/json': { schema: z.array(AuditEntry) },
          },
        },
        ...problemResponses(401, 403, 404, 422),
      },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const auditLogRoutes: RouteModule = routeModule('/tenants/:slug/audit-log', auditLogRouter, auditLogPaths);
