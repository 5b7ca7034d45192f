// The billing family's routes (found by api/routes/registry.ts): Stripe's webhook events, and
// a tenant's billing standing, its plan and plan changes, its usage, its invoices and its license.
import type { RouteModule } from '../routes/route-module.ts';
import { tenantBillingRoutes } from './billing-routes.ts';
import { invoiceRoutes } from './invoice-routes.ts';
import { tenantLicenseRoutes } from './license-routes.ts';
import { planChangeRoutes } from './plan-routes.ts';
import { stripeWebhookRoutes } from './stripe-webhook-routes.ts';
import { usageRoutes } from './usage-routes.ts';

export default [
  stripeWebhookRoutes,
  tenantBillingRoutes,
  planChangeRoutes,
  usageRoutes,
  invoiceRoutes,
  tenantLicenseRoutes,
] satisfies RouteModule[];
