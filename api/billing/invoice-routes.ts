// GET /api/v1/tenants/:slug/invoices: the tenant's invoices, read from the billing provider
// (Stripe) at each request — Atrium keeps no copy, so what the tenant sees is what Stripe has.
// `billing.read`: owners and admins (amounts and the links to pay are not every member's).
// The provider's failures are the provider's: 503 when it cannot be reached or is busy (try
// again), 502 when it answered with an error; never a 500.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { TenantPath } from '../../contracts/common.ts';
import { InvoiceList, InvoiceListQuery } from '../../contracts/invoices.ts';
import { readTenantResources } from '../../db/repositories/tenant-resources.ts';
import { withTenantScope } from '../../db/scope.ts';
import { BillingError } from '../../integrations/billing/port.ts';
import { requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseQuery } from '../http/validate.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';

const DEFAULT_LIMIT = 24;

export function invoiceRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.get('/', requireTenantPermission(deps, 'billing.read'), async (req, res) => {
    const query = parseQuery(InvoiceListQuery, req);
    const access = tenantAccessOf(res);
    const provider = deps.billing.kind;
    // The customer id provisioning stored; the provider is called outside any transaction.
    const { billingCustomerId } = await withTenantScope(deps.dataSource, access.tenantId, (db) =>
      readTenantResources(db, access.tenantId),
    );
    if (!billingCustomerId) {
      res.json({ provider, invoices: [], hasMore: false } satisfies InvoiceList);
      return;
    }
    let page;
    try {
      page = await deps.billing.listInvoices({
        tenantId: access.tenantId,
        customerId: billingCustomerId,
        limit: query.limit ?? DEFAULT_LIMIT,
      });
    } catch (error) {
      throw providerProblem(error);
    }
    res.json({
      provider,
      invoices: page.invoices.map((invoice) => ({
        ...invoice,
        periodStart: invoice.periodStart.toISOString(),
        periodEnd: invoice.periodEnd.toISOString(),
        created: invoice.created.toISOString(),
      })),
      hasMore: page.hasMore,
    } satisfies InvoiceList);
  });

  return router;
}

/** The provider's failure as a problem the tenant can act on (the adapter's message names Stripe and what failed). */
function providerProblem(error: unknown): ProblemError {
  if (!(error instanceof BillingError)) throw error;
  if (error.reason === 'unreachable' || error.reason === 'rate_limited')
    return new ProblemError(
      'unavailable',
      `The invoices cannot be read right now; try again shortly. ${error.message}`,
      {
        headers: { 'Retry-After': '30' },
      },
    );
  return new ProblemError('badGateway', `The invoices could not be read from the billing provider. ${error.message}`);
}

export const invoicePaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/invoices': {
    get: {
      operationId: 'listTenantInvoices',
      summary:
        "The tenant's invoices from Stripe, newest first (owners, admins); empty with local billing. 502/503 when Stripe fails.",
      requestParams: { path: TenantPath, query: InvoiceListQuery },
      responses: {
        200: { description: 'The invoices.', content: { 'application/json': { schema: InvoiceList } } },
        ...problemResponses(401, 403, 404, 422, 429, 502, 503),
      },
    },
  },
};

export const invoiceRoutes: RouteModule = routeModule('/tenants/:slug/invoices', invoiceRouter, invoicePaths);
