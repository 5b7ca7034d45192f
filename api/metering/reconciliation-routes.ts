// A tenant's signed metering reconciliation records (docs/decisions/0027):
// GET /api/v1/tenants/:slug/reconciliations lists them per period (a UTC day), and
// GET …/reconciliations/:period returns one with its compact JWS, which the tenant verifies
// against the public keys at GET /api/v1/license/jwks. `tenant.read`: every member and key.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { TenantPath } from '../../contracts/common.ts';
import type { ReconciliationRecord } from '../../contracts/metering.ts';
import {
  ReconciliationDocument,
  ReconciliationList,
  ReconciliationListQuery,
  ReconciliationPeriodParams,
} from '../../contracts/metering.ts';
import { requireAuth } from '../auth/require-auth.ts';
import { readInTenantScope } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseParams, parseQuery } from '../http/validate.ts';
import type { RouteModule } from '../routes/route-module.ts';

/** Where the signing keys are published (api/routes/license.ts). */
export const RECONCILIATION_JWKS_PATH = '/api/v1/license/jwks';
/** The longest range a list covers. */
const MAX_LIST_DAYS = 400;

export function reconciliationRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.get(
    '/',
    readInTenantScope(deps, 'tenant.read', async (req, { access, db }): Promise<ReconciliationList> => {
      const query = parseQuery(ReconciliationListQuery, req);
      const to = query.to ?? new Date().toISOString().slice(0, 10);
      const from = query.from ?? new Date(Date.parse(to) - 62 * 86_400_000).toISOString().slice(0, 10);
      if (from > to)
        throw new ProblemError('validation', 'The range is empty.', {
          errors: [{ path: 'from', message: 'Must be on or before "to".' }],
        });
      if (Date.parse(to) - Date.parse(from) > MAX_LIST_DAYS * 86_400_000)
        throw new ProblemError('validation', 'The range is too long.', {
          errors: [{ path: 'from', message: `At most ${MAX_LIST_DAYS} days before "to".` }],
        });
      const rows = await db.query<
        Array<{ period: string; revision: number; signed_at: Date; record: ReconciliationRecord }>
      >(
        `SELECT to_char(period, 'YYYY-MM-DD') AS period, revision, signed_at, record
         FROM metering_reconciliations WHERE tenant_id = $1 AND period BETWEEN $2 AND $3 ORDER BY period DESC`,
        [access.tenantId, from, to],
      );
      return {
        reconciliations: rows.map((row) => {
          const windows = row.record.meters.flatMap((meter) => meter.windows);
          return {
            period: row.period,
            revision: row.revision,
            signedAt: row.signed_at.toISOString(),
            usageEvents: row.record.meters.reduce((sum, meter) => sum + meter.usageEvents, 0),
            corrections: row.record.meters.reduce((sum, meter) => sum + meter.corrections, 0),
            flagged: row.record.meters.reduce((sum, meter) => sum + meter.flagged, 0),
            matched: windows.every((window) => window.stripeCount !== null && window.stripeCount === window.usageTotal),
            meters: row.record.meters.map((meter) => ({
              meter: meter.meter,
              unit: meter.unit,
              usageTotal: meter.usageTotal,
              stripeCount: meter.stripeCount,
              corrections: meter.corrections,
              flagged: meter.flagged,
            })),
          };
        }),
      };
    }),
  );

  router.get(
    '/:period',
    readInTenantScope(deps, 'tenant.read', async (req, { access, db }): Promise<ReconciliationDocument> => {
      const { period } = parseParams(ReconciliationPeriodParams, req);
      const [row] = await db.query<Array<{ record: ReconciliationRecord; jws: string; key_id: string }>>(
        `SELECT record, jws, key_id FROM metering_reconciliations WHERE tenant_id = $1 AND period = $2`,
        [access.tenantId, period],
      );
      if (!row)
        throw new ProblemError('notFound', `No reconciliation record for ${period} yet.`, {
          errors: [
            { path: 'period', message: 'No record for this day: it has no usage, or it is not reconciled yet.' },
          ],
        });
      return { record: row.record, jws: row.jws, keyId: row.key_id, jwksUrl: RECONCILIATION_JWKS_PATH };
    }),
  );
  return router;
}

const paths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/reconciliations': {
    get: {
      operationId: 'listTenantReconciliations',
      summary: "The tenant's signed metering reconciliation records, one per period (UTC day), newest first",
      requestParams: { path: TenantPath, query: ReconciliationListQuery },
      responses: {
        200: { description: 'The records.', content: { 'application/json': { schema: ReconciliationList } } },
        ...problemResponses(400, 401, 403, 404, 422, 429),
      },
    },
  },
  '/api/v1/tenants/{slug}/reconciliations/{period}': {
    get: {
      operationId: 'getTenantReconciliation',
      summary:
        'One reconciliation record with its compact JWS (EdDSA, typ atrium-reconciliation+jws); verify it against GET /api/v1/license/jwks',
      requestParams: { path: ReconciliationPeriodParams },
      responses: {
        200: { description: 'The record.', content: { 'application/json': { schema: ReconciliationDocument } } },
        ...problemResponses(400, 401, 403, 404, 422, 429),
      },
    },
  },
};

export const reconciliationRoutes: RouteModule = {
  mounts: [{ path: '/tenants/:slug/reconciliations', router: reconciliationRouter }],
  paths,
};
