// POST /api/v1/webhooks/stripe: Stripe's webhook events. The signature is verified on the raw
// body with STRIPE_WEBHOOK_SECRET (a bad or missing one is a 400 and nothing is stored); each
// event is stored once by id in the inbox (stripe_events) and, when it is one the billing
// workflow acts on and its customer is a tenant's, handed to the tenant's billing workflow
// with signal-with-start — in the same transaction, so an event is stored exactly when it was
// handed over (a failed hand-over stores nothing and answers 503: Stripe retries). A
// redelivery of a stored event answers 200 at once and does nothing again.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { StripeSignatureHeader, StripeWebhookAnswer } from '../../contracts/billing.ts';
import {
  findTenantByBillingCustomer,
  markStripeEventHandedOver,
  storeStripeEvent,
} from '../../db/repositories/billing.ts';
import { withPlatformScope } from '../../db/scope.ts';
import { StripeSignatureError, verifyStripeEvent } from '../../integrations/billing/stripe-webhooks.ts';
import { isHandledStripeEventType } from '../../workflows/billing/contract.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { rawBodyOf } from '../http/raw-body.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';
import { handStripeEventOver } from './starter.ts';

/** Tenants in these states have nothing left to bill: their events are stored, not acted on. */
const CLOSED_STATUSES = new Set(['offboarded', 'failed']);

export function stripeWebhookRouter(deps: ApiDeps): Router {
  const router = Router();

  router.post('/stripe', async (req, res) => {
    const secret = deps.settings.billing.stripeWebhookSecret;
    if (!secret)
      throw new ProblemError('unavailable', 'Stripe webhooks are not configured here: set STRIPE_WEBHOOK_SECRET.');
    const raw = rawBodyOf(req);
    if (!raw)
      throw new ProblemError('badRequest', 'The body must be the JSON event Stripe sent.', {
        errors: [{ path: 'body', message: 'expected the event as application/json' }],
      });
    let event;
    try {
      event = verifyStripeEvent(raw, req.get('stripe-signature'), secret);
    } catch (error) {
      if (!(error instanceof StripeSignatureError)) throw error;
      deps.logger.warn('Stripe webhook refused', { reason: error.message });
      throw new ProblemError('badRequest', error.message, {
        errors: [{ path: 'Stripe-Signature', message: error.message }],
      });
    }
    const { id: eventId, type, customerId, objectId } = event;

    const answer = await withPlatformScope(deps.dataSource, async (db) => {
      const tenant = customerId ? await findTenantByBillingCustomer(db, customerId) : null;
      const { row, inserted } = await storeStripeEvent(db, {
        eventId,
        type,
        created: new Date(event.created * 1000),
        livemode: event.livemode,
        customerId,
        tenantId: tenant?.id ?? null,
        payload: event.payload,
      });
      if (!inserted && row.handed_over_at !== null)
        return { received: true, eventId, duplicate: true, handedOverTo: row.workflow_id } as const;
      if (!tenant || !objectId || !isHandledStripeEventType(type) || CLOSED_STATUSES.has(tenant.status)) {
        if (inserted)
          deps.logger.info('Stripe event stored, not acted on', {
            eventId,
            type,
            tenantId: tenant?.id ?? null,
            why: !tenant ? 'no tenant has this customer' : 'not an event Atrium acts on',
          });
        return { received: true, eventId, duplicate: !inserted, handedOverTo: null } as const;
      }
      const handedOver = handStripeEventOver(
        {
          client: deps.temporal.client,
          taskQueuePrefix: deps.temporal.taskQueuePrefix,
          timings: deps.settings.activityTimings,
        },
        {
          tenantId: tenant.id,
          slug: tenant.slug,
          policy: deps.settings.billing.policy,
          event: {
            eventId,
            type,
            created: event.created,
            objectId,
            objectStatus: event.objectStatus,
            ...(type.startsWith('customer.subscription.') ? { priceIds: event.priceIds } : {}),
          },
        },
      ).catch((error: unknown) => {
        // Nothing is stored (the transaction rolls back): Stripe retries the delivery.
        deps.logger.error('Stripe event not handed over', { eventId, tenantId: tenant.id, error: String(error) });
        throw new ProblemError('unavailable', 'The event could not be handed over now; Stripe will retry it.');
      });
      const { workflowId } = await handedOver;
      await markStripeEventHandedOver(db, eventId, workflowId);
      deps.logger.info('Stripe event handed over', { eventId, type, tenantId: tenant.id, workflowId });
      return { received: true, eventId, duplicate: !inserted, handedOverTo: workflowId } as const;
    });
    res.json(answer satisfies StripeWebhookAnswer);
  });

  return router;
}

export const stripeWebhookPaths: ZodOpenApiPathsObject = {
  '/api/v1/webhooks/stripe': {
    post: {
      operationId: 'receiveStripeEvent',
      summary:
        "Stripe's webhook events (signed with the endpoint's secret): stored once by id, acted on once by the tenant's billing workflow",
      requestParams: { header: StripeSignatureHeader },
      responses: {
        200: {
          description: 'Received (also for a repeat, or an event Atrium does not act on).',
          content: { 'application/json': { schema: StripeWebhookAnswer } },
        },
        ...problemResponses(400, 413, 503),
      },
    },
  },
};

export const stripeWebhookRoutes: RouteModule = routeModule('/webhooks', stripeWebhookRouter, stripeWebhookPaths);
