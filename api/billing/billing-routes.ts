// GET /api/v1/tenants/:slug/billing: the tenant's billing standing as its billing workflow left
// it — in good standing, in dunning (which invoices, since when, until when, who was mailed) or
// suspended for billing — the suspension in force and whose it is, the subscription's status,
// and the latest Stripe events with what became of them. For platform admins (the admin
// console's tenant page).
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { TenantBilling } from '../../contracts/billing.ts';
import { TenantPath } from '../../contracts/common.ts';
import { listTenantStripeEvents, readTenantBilling } from '../../db/repositories/billing.ts';
import { findOpenSuspension } from '../../db/repositories/tenant-suspensions.ts';
import { withTenantScope } from '../../db/scope.ts';
import { BILLING_SUSPENSION_REASON } from '../../workflows/billing/contract.ts';
import { requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { problemResponses } from '../http/problem.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';

const RECENT_EVENTS = 10;

export function tenantBillingRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens));

  router.get('/', requireTenantPermission(deps, 'tenant.lifecycle'), async (_req, res) => {
    const { tenantId } = tenantAccessOf(res);
    const view = await withTenantScope(deps.dataSource, tenantId, async (db): Promise<TenantBilling> => {
      const billing = await readTenantBilling(db, tenantId);
      const open = await findOpenSuspension(db, tenantId);
      const events = await listTenantStripeEvents(db, tenantId, RECENT_EVENTS);
      const iso = (date: Date | null) => date?.toISOString() ?? null;
      return {
        standing: billing?.standing ?? 'in-good-standing',
        dunning:
          billing && billing.standing !== 'in-good-standing'
            ? {
                invoiceIds: billing.dunning_invoice_ids,
                since: iso(billing.dunning_since),
                graceEndsAt: iso(billing.grace_ends_at),
                mailedAt: iso(billing.dunning_mailed_at),
                recipients: billing.dunning_recipients,
              }
            : null,
        billingSuspension:
          billing?.suspension_number != null
            ? { number: billing.suspension_number, reason: BILLING_SUSPENSION_REASON }
            : null,
        suspensionSkipped: billing?.standing === 'dunning' ? billing.suspension_skipped : null,
        openSuspension: open
          ? {
              number: open.number,
              reason: open.reason,
              byBilling: open.reason === BILLING_SUSPENSION_REASON && open.requested_by === null,
            }
          : null,
        subscription: billing?.subscription_id
          ? { id: billing.subscription_id, status: billing.subscription_status }
          : null,
        recentEvents: events.map((event) => ({
          eventId: event.event_id,
          type: event.type,
          stripeCreatedAt: event.stripe_created_at.toISOString(),
          receivedAt: event.received_at.toISOString(),
          handedOverAt: iso(event.handed_over_at),
          handledAt: iso(event.handled_at),
          outcome: event.outcome,
        })),
      };
    });
    res.json(view);
  });

  return router;
}

export const tenantBillingPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/billing': {
    get: {
      operationId: 'getTenantBilling',
      summary:
        "The tenant's billing standing: dunning, billing suspension, subscription, latest Stripe events (platform admins)",
      requestParams: { path: TenantPath },
      responses: {
        200: { description: 'The standing.', content: { 'application/json': { schema: TenantBilling } } },
        ...problemResponses(401, 403, 404),
      },
    },
  },
};

export const tenantBillingRoutes: RouteModule = routeModule(
  '/tenants/:slug/billing',
  tenantBillingRouter,
  tenantBillingPaths,
);
