// Builds the billing adapter the configuration asks for.
import Stripe from 'stripe';
import type { DataSource } from 'typeorm';
import type { BillingConfig } from '../../config/billing.ts';
import { PLAN_NAMES } from '../../workflows/shared/plans.ts';
import { createLocalBilling } from './local.ts';
import type { Billing } from './port.ts';
import { createStripeBilling } from './stripe.ts';

export function selectBilling(config: BillingConfig, dataSource: DataSource): Billing {
  if (config.kind === 'local') return createLocalBilling({ dataSource, plans: PLAN_NAMES });
  const { host, port, protocol } = config.api;
  const stripe = new Stripe(config.secretKey, {
    ...(host ? { host } : {}),
    ...(port ? { port } : {}),
    ...(protocol ? { protocol } : {}),
    // Retries belong to the Temporal activity (with the same idempotency key), not the SDK.
    maxNetworkRetries: 0,
    telemetry: false,
    appInfo: { name: 'Atrium' },
  });
  const target = host ? `${protocol ?? 'https'}://${host}${port ? `:${port}` : ''}` : 'api.stripe.com';
  return createStripeBilling({ stripe, prices: config.prices, meters: config.meters, target });
}
