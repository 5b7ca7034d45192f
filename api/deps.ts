// What the API's routes need, built once in api/main.ts (or by a test) and passed down.
import type { BillingPolicy } from '../workflows/billing/contract.ts';
import type { DeliveryPolicy } from '../workflows/webhooks/contract.ts';
import type { MeteringPolicy } from '../workflows/metering/contract.ts';
import type { Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { Billing } from '../integrations/billing/port.ts';
import type { IdentityProviders } from '../integrations/identity/port.ts';
import type { Mailer } from '../integrations/mail/port.ts';
import type { OutboundFetch } from '../integrations/outbound/fetch.ts';
import type { OutboundGuard } from '../integrations/outbound/guard.ts';
import type { SecretStore } from '../integrations/secrets/port.ts';
import type { Logger } from '../logging/logger.ts';
import type { RolloutWatch } from '../workflows/promotions/contract.ts';
import type { ActivityTimings } from '../workflows/shared/operation.contract.ts';
import type { ApprovalSigner } from './approvals/assertion-signer.ts';
import type { HealthChecker } from './health/checks.ts';
import type { MetricsHistorySampler } from './metrics/history.ts';
import type { ApiMetrics } from './metrics/registry.ts';
import type { TraceReader } from '../tracing/jaeger-query.ts';
import type { AccessTokens } from './auth/access-tokens.ts';
import type { RequestMeter } from './billing/request-metering.ts';
import type { ResponseCompression } from './http/compression.ts';
import type { PlanRateLimits, TenantRateLimiter } from './http/tenant-rate-limit.ts';
import type { TemporalTokens } from './ops/temporal-tokens.ts';

export interface ApiDeps {
  dataSource: DataSource;
  /** The billing provider (Stripe or local), read only: a tenant's invoices (api/billing/invoice-routes.ts). */
  billing: Billing;
  /** Each tenant's requests per minute, shared by every API process (api/http/tenant-rate-limit.ts). */
  tenantRateLimiter: TenantRateLimiter;
  /** Counts each tenant's API requests on the meter `api.requests` (api/billing/request-metering.ts). */
  requestMeter: Pick<RequestMeter, 'count'>;
  logger: Logger;
  /** The process's Prometheus metrics (api/metrics/), served on their own port. */
  metrics: ApiMetrics;
  /** The short history of those metrics the admin health page charts (api/metrics/history.ts). */
  metricsHistory: Pick<MetricsHistorySampler, 'history'>;
  /** Checks the platform's dependencies for the admin health page (api/health/). */
  health: HealthChecker;
  /** Reads operations' traces back from Jaeger (tracing/jaeger-query.ts); null: TRACES_QUERY_URL is unset. */
  traces: TraceReader | null;
  accessTokens: AccessTokens;
  /** Signs approval assertions with this process's in-memory key (docs/decisions/0007). */
  approvalSigner: ApprovalSigner;
  /** Sends account mails (verification, resets, invitations): SMTP or the log. */
  mailer: Mailer;
  /** Secrets the API writes on a member's behalf (SSO client secrets, connector tokens). */
  secretStore: SecretStore;
  /** Tenants' own OpenID Connect providers (single sign-on). */
  identity: IdentityProviders;
  /** Checks addresses tenants give (webhook URLs) before they are saved; calls go through its client. */
  outboundGuard: OutboundGuard;
  /** Calls to those addresses (webhook test sends), every connection checked by the guard. */
  outbound: OutboundFetch;
  temporal: {
    client: Client;
    namespace: string;
    /** TEMPORAL_TASK_QUEUE: each family's queue is `<prefix>-<family>`. */
    taskQueuePrefix: string;
    /** TEMPORAL_UI_URL: where the Temporal UI server listens (the proxy's upstream; loopback). */
    uiUrl: string;
    /** Where people reach the UI: through Atrium, behind an operator's sign-in (`/ops/temporal`). */
    uiPath: string;
  };
  /** Operator access to the Temporal UI (/ops/temporal/) and operator tokens for Temporal. */
  ops: {
    /** SESSION_SECRET: the proxy reads the portal's session cookie with it (unset: access tokens only). */
    sessionSecret: string | undefined;
    temporalTokens: TemporalTokens;
    /** TEMPORAL_UI_OPERATOR_TOKENS: the proxy sends the UI server each operator's own token for Temporal. */
    forwardOperatorTokens: boolean;
  };
  settings: {
    bodyLimitBytes: number;
    /** RESPONSE_COMPRESSION: what the API and the portal compress (api/http/compression.ts). */
    responseCompression: ResponseCompression;
    idempotencyKeyTtlMs: number;
    operationPollIntervalMs: number;
    /** STUCK_ACTIVITY_THRESHOLD: the stuck-activities view's threshold when a request gives none. */
    stuckActivityThresholdMs: number;
    /** Default grace period of an offboarding (OFFBOARD_GRACE_PERIOD). */
    offboardGracePeriodMs: number;
    /** PROMOTION_PROGRESS_DEADLINE, PROMOTION_POLL_INTERVAL: how promotions watch their rollouts. */
    promotionRollout: RolloutWatch;
    /** TENANT_RATE_LIMITS: requests per minute per plan (null: off). */
    tenantRateLimits: PlanRateLimits | null;
    /** USAGE_METERING_INTERVAL: how often the counted API requests are written as usage. */
    usageMeteringIntervalMs: number;
    /**
     * USAGE_RETENTION: how long usage events are kept (only reconciled windows' are deleted);
     * USAGE_RETENTION_SWEEP_INTERVAL: how often this process deletes what is past it.
     */
    usageRetention: { retentionMs: number; sweepIntervalMs: number };
    /** METERING_*: the reconciliation's Schedule (off: none is made) and its runs' policy. */
    metering: { schedule: boolean; intervalMs: number; policy: MeteringPolicy };
    activityTimings: ActivityTimings;
    /** Plans whose tenants wait for a platform admin's approval, and for how long at most. */
    approval: { plans: readonly string[]; timeoutMs: number; approvers: number };
    auth: {
      refreshTokenTtlMs: number;
      /** Login attempts allowed per IP address per minute. */
      loginRateLimitPerMinute: number;
      /** Failed logins in a row that lock an account, and for how long. */
      lockoutThreshold: number;
      lockoutMs: number;
      /** Base of the links in account mails (the portal's public address). */
      publicUrl: string;
      emailVerificationTtlMs: number;
      passwordResetTtlMs: number;
      invitationTtlMs: number;
      /** Reset mails one account gets per hour at most. */
      passwordResetsPerHour: number;
      /** Signup mails (links, or "you have an account") one address gets per hour at most. */
      signupMailsPerHour: number;
    };
    sso: {
      /** How long a started SSO login may take to come back. */
      loginTtlMs: number;
      /** How long a mailed domain verification link works. */
      domainVerificationTtlMs: number;
    };
    billing: {
      /** STRIPE_WEBHOOK_SECRET: verifies Stripe's webhook events; null: the route is not configured. */
      stripeWebhookSecret: string | null;
      /** BILLING_DUNNING_GRACE_PERIOD, handed to each tenant's billing workflow when it starts. */
      policy: BillingPolicy;
    };
    connectors: {
      /** CONNECTOR_ALLOW_INSECURE_PROVIDERS: tenant-defined providers on http:// (tests only). */
      allowInsecureProviders: boolean;
      /** CONNECTOR_CONNECT_TIMEOUT: a connect nobody finishes at the provider ends as expired. */
      connectTimeoutMs: number;
      /** CONNECTOR_AUTHORIZATION_WAIT: how long starting a connect waits for its authorization URL. */
      authorizationWaitMs: number;
      /** CONNECTOR_REFRESH_MARGIN: how early maintainConnection refreshes an access token. */
      refreshMarginMs: number;
      /** CONNECTOR_SYNC_MIN_INTERVAL: the shortest interval a sync may be scheduled at. */
      syncMinIntervalMs: number;
      /** `<PUBLIC_URL>/connectors/callback`: the one redirect URI registered at providers. */
      redirectUri: string;
    };
    /** The access-token keyring (docs/decisions/0030): how processes reread it and rotations wait. */
    signingKeys: {
      /** SIGNING_KEYS_RELOAD_INTERVAL: how often every API process rereads the keyring and reports. */
      reloadIntervalMs: number;
      /** SIGNING_KEY_DISTRIBUTION_TIMEOUT: a new key no process set holds by then is withdrawn. */
      distributionTimeoutMs: number;
      /** JWKS_MAX_AGE: the JWKS's cache lifetime; a key is published at least this long before it signs. */
      jwksMaxAgeMs: number;
      /** ACCESS_TOKEN_TTL: a retiring key stays published this long (and the skew) after its last token. */
      accessTokenTtlMs: number;
      /** SIGNING_KEY_ROTATION_MINIMUM: the shortest rotation policy a platform admin may set (docs/decisions/0038). */
      rotationMinimumMs: number;
    };
    secrets: {
      /** SECRET_VERSION_RETENTION: how long replaced and deleted secret values are kept. */
      versionRetentionMs: number;
      /** SECRET_ROTATION_MINIMUM: the shortest rotation policy a tenant may set. */
      rotationMinimumMs: number;
      /** SECRET_RETENTION_SWEEP_INTERVAL: how often this process destroys what is past its retention. */
      retentionSweepIntervalMs: number;
      /** SECRET_REVEAL_GRANT_WINDOW: how long an approved reveal of a production secret may be used. */
      revealGrantWindowMs: number;
      /** DATABASE_LOGIN_OVERLAP: how long a tenant's old database login works after a rotation's switch. */
      databaseLoginOverlapMs: number;
    };
    webhooks: {
      /** WEBHOOK_ALLOW_INSECURE_URLS: http:// endpoints (development only). */
      allowInsecureUrls: boolean;
      /** WEBHOOK_DISPATCHER: this process runs an outbox dispatcher. */
      dispatcher: boolean;
      dispatchIntervalMs: number;
      /** WEBHOOK_FINAL_DELIVERY_WAIT: how long offboarding waits for tenant.offboarded to be delivered. */
      finalDeliveryWaitMs: number;
      /** The sequencers' retry policy (WEBHOOK_RETRY_*, WEBHOOK_PAUSE_AFTER, WEBHOOK_DISABLE_AFTER, …). */
      policy: DeliveryPolicy;
    };
  };
}
