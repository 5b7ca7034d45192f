// Usage: POST /api/v1/usage takes a batch of a tenant's usage events, sent with one of its API
// keys (the key says whose usage it is), and GET /api/v1/tenants/:slug/usage sums them per meter
// and hour or day. A batch is validated whole before anything is stored (an unknown meter, a
// timestamp outside the window or too many events refuse it all, naming the field), stored in
// one statement, deduplicated by the tenant's own event ids, and answered 202. Events are their
// own append-only record, so batches are not written to the audit log (docs/decisions/0022).
// A suspended tenant's usage is still taken: suspension keeps metering.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { TenantPath } from '../../contracts/common.ts';
import type { FieldError } from '../../contracts/problems.ts';
import { UsageAccepted, UsageBatch, UsageSummary, UsageSummaryQuery } from '../../contracts/usage.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import { insertUsageEvents, summarizeUsage } from '../../db/repositories/usage-events.ts';
import { withTenantScope } from '../../db/scope.ts';
import type { MeterName } from '../../workflows/shared/meters.ts';
import { METER_NAMES, METERS, USAGE_MAX_AGE_MS, USAGE_MAX_AHEAD_MS } from '../../workflows/shared/meters.ts';
import { roleAllows } from '../auth/permissions.ts';
import { authOf, requireAuth } from '../auth/require-auth.ts';
import { readInTenantScope } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseQuery } from '../http/validate.ts';
import type { RouteModule } from '../routes/route-module.ts';

/** The body limit of POST /api/v1/usage (api/app.ts): a full batch fits, attributes and all. */
export const USAGE_BODY_LIMIT_BYTES = 1024 * 1024;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The longest range a summary covers, per granularity (a chart's worth of buckets). */
const MAX_RANGE_MS = { hour: 7 * DAY_MS, day: 93 * DAY_MS } as const;

export function usageIngestionRouter(deps: ApiDeps): Router {
  const router = Router();
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.post('/', async (req, res) => {
    const auth = authOf(res);
    if (!auth.apiKey)
      throw new ProblemError(
        'forbidden',
        "Usage is reported with one of the tenant's API keys (Authorization: Bearer atr_…), not a person's sign-in.",
      );
    if (!roleAllows(auth.apiKey.role, 'usage.report'))
      throw new ProblemError('forbidden', `This key's role "${auth.apiKey.role}" does not allow usage.report.`);
    const batch = parseBody(UsageBatch, req);
    const now = Date.now();
    const errors: FieldError[] = [];
    const events = batch.events.map((event, index) => {
      const occurredAt = new Date(event.timestamp);
      if (occurredAt.getTime() < now - USAGE_MAX_AGE_MS)
        errors.push({
          path: `events.${index}.timestamp`,
          message: 'Older than 35 days: it could not be billed any more.',
        });
      else if (occurredAt.getTime() > now + USAGE_MAX_AHEAD_MS)
        errors.push({ path: `events.${index}.timestamp`, message: 'More than 5 minutes in the future.' });
      return {
        eventId: event.id,
        meter: event.meter,
        quantity: event.quantity,
        occurredAt,
        attributes: event.attributes ?? {},
      };
    });
    if (errors.length > 0)
      throw new ProblemError('validation', 'Nothing was stored: fix these events and send the batch again.', {
        errors,
      });

    const { tenantId } = auth.apiKey;
    const accepted = await withTenantScope(deps.dataSource, tenantId, async (db) => {
      const tenant = await findTenantById(db, tenantId);
      if (!tenant) throw new ProblemError('unauthenticated', 'The API key belongs to no tenant.');
      if (batch.tenant !== undefined && batch.tenant !== tenant.slug)
        throw new ProblemError('forbidden', `This key reports usage for "${tenant.slug}" only.`, {
          errors: [{ path: 'tenant', message: `Must be "${tenant.slug}", the key's own tenant.` }],
        });
      if (tenant.status === 'offboarding' || tenant.status === 'offboarded')
        throw new ProblemError('tenantOffboarded', `"${tenant.slug}" is offboarded: it reports no more usage.`);
      await deps.tenantRateLimiter.admit({ id: tenant.id, slug: tenant.slug, plan: tenant.plan }, res, db);
      deps.requestMeter.count(tenant.id);
      return insertUsageEvents(db, tenantId, events);
    });
    const body: UsageAccepted = {
      received: events.length,
      accepted,
      duplicates: events.length - accepted,
    };
    res.status(202).json(body);
  });
  return router;
}

export function usageSummaryRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.get(
    '/',
    readInTenantScope(deps, 'tenant.read', async (req, { access, db }): Promise<UsageSummary> => {
      const query = parseQuery(UsageSummaryQuery, req);
      const granularity = query.granularity ?? 'day';
      const step = granularity === 'hour' ? HOUR_MS : DAY_MS;
      const to = query.to ? new Date(query.to) : new Date(Math.ceil(Date.now() / step) * step);
      const from = query.from
        ? new Date(query.from)
        : new Date(to.getTime() - (granularity === 'hour' ? DAY_MS : 30 * DAY_MS));
      if (from >= to)
        throw new ProblemError('validation', 'The range is empty.', {
          errors: [{ path: 'from', message: 'Must be before "to".' }],
        });
      if (to.getTime() - from.getTime() > MAX_RANGE_MS[granularity])
        throw new ProblemError('validation', 'The range is too long for this granularity.', {
          errors: [
            {
              path: 'from',
              message: `At most ${MAX_RANGE_MS[granularity] / DAY_MS} days by ${granularity}; choose a later "from" or granularity "day".`,
            },
          ],
        });
      const rows = await summarizeUsage(db, access.tenantId, {
        from,
        to,
        granularity,
        ...(query.meter ? { meter: query.meter } : {}),
      });
      const meters = (query.meter ? [query.meter] : METER_NAMES).map((meter: MeterName) => {
        const own = rows.filter((row) => row.meter === meter);
        return {
          meter,
          label: METERS[meter].label,
          unit: METERS[meter].unit,
          total: own.reduce((sum, row) => sum + Number(row.quantity), 0),
          events: own.reduce((sum, row) => sum + row.events, 0),
          buckets: own.map((row) => ({
            start: row.bucket.toISOString(),
            quantity: Number(row.quantity),
            events: row.events,
          })),
        };
      });
      return { from: from.toISOString(), to: to.toISOString(), granularity, meters };
    }),
  );
  return router;
}

const usagePaths: ZodOpenApiPathsObject = {
  '/api/v1/usage': {
    post: {
      operationId: 'reportUsage',
      summary:
        "Report a batch of usage events with one of the tenant's API keys (role owner, admin or developer). The batch is validated whole; ids the tenant sent before are counted once.",
      requestBody: { content: { 'application/json': { schema: UsageBatch } } },
      responses: {
        202: { description: 'Stored.', content: { 'application/json': { schema: UsageAccepted } } },
        ...problemResponses(400, 401, 403, 413, 422, 429),
      },
    },
  },
};

const usageSummaryPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/usage': {
    get: {
      operationId: 'getTenantUsage',
      summary:
        "The tenant's usage per meter, summed per hour or day (UTC) over a range (default: the last 30 days by day)",
      requestParams: { path: TenantPath, query: UsageSummaryQuery },
      responses: {
        200: { description: 'The summary.', content: { 'application/json': { schema: UsageSummary } } },
        ...problemResponses(400, 401, 403, 404, 422, 429),
      },
    },
  },
};

export const usageRoutes: RouteModule = {
  mounts: [
    { path: '/usage', router: usageIngestionRouter },
    { path: '/tenants/:slug/usage', router: usageSummaryRouter },
  ],
  paths: { ...usagePaths, ...usageSummaryPaths },
};
