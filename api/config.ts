// The API process's configuration, read once at boot.
import { z } from 'zod';
import type { Env } from '../config/env.ts';
import {
  apiDatabasePoolSize,
  duration,
  logLevel,
  parseEnv,
  port,
  postgresUrl,
  temporalSettings,
} from '../config/env.ts';
import { mailSettings, readMailConfig } from '../config/mail.ts';
import { temporalConnectionFrom, temporalConnectionSettings } from '../config/temporal.ts';
import { apiMetricsAddress, metricsSettings } from '../config/metrics.ts';
import { traceQuerySettings, tracingConfigFrom, tracingSettings } from '../config/tracing.ts';
import { billingConfigFrom, billingSettings } from '../config/billing.ts';
import { clusterConfigFrom, clusterSettings } from '../config/cluster.ts';
import { connectorSettings, readConnectorConfig } from '../config/connectors.ts';
import { outboundSettings, readOutboundConfig } from '../config/outbound.ts';
import { secretStoreConfigFrom, secretStoreSettings } from '../config/secrets.ts';
import { stuckThreshold } from '../contracts/stuck-activities.ts';
import { PLAN_NAMES, PLANS } from '../workflows/shared/plans.ts';
import type { PlanRateLimits } from './http/tenant-rate-limit.ts';
import { RESPONSE_COMPRESSION_MODES } from './http/compression.ts';

const SIZE_PATTERN = /^(\d+)(b|kb|mb)?$/i;
const size = z
  .string()
  .regex(SIZE_PATTERN, 'must be a size like 100kb or 1mb')
  .transform((value) => {
    const [, amount, unit = 'b'] = SIZE_PATTERN.exec(value) as RegExpExecArray;
    return Number(amount) * { b: 1, kb: 1024, mb: 1024 * 1024 }[unit.toLowerCase() as 'b' | 'kb' | 'mb'];
  });

const ApiEnv = z.object({
  DATABASE_URL: postgresUrl,
  API_DATABASE_POOL_SIZE: apiDatabasePoolSize,
  ...temporalSettings,
  // TLS, a client certificate or an API key for Temporal (config/temporal.ts).
  ...temporalConnectionSettings,
  TEMPORAL_UI_URL: z.url().default('http://127.0.0.1:8233'),
  HOST: z.string().default('127.0.0.1'),
  PORT: port.default(3000),
  LOG_LEVEL: logLevel,
  PORTAL_MODE: z.enum(['production', 'development', 'off']).default('production'),
  BODY_LIMIT: size.default(100 * 1024),
  // `off` (or `assets`) when a proxy in front compresses responses itself (api/http/compression.ts).
  RESPONSE_COMPRESSION: z
    .enum(RESPONSE_COMPRESSION_MODES, { error: `must be one of ${RESPONSE_COMPRESSION_MODES.join(', ')}` })
    .default('on'),
  IDEMPOTENCY_KEY_TTL: duration.default(24 * 3_600_000),
  // How often each API process writes the API requests it counted as usage (api/billing/request-metering.ts).
  USAGE_METERING_INTERVAL: duration.default(10_000),
  // Metering reconciliation (docs/decisions/0027): the Schedule's interval (one run at a time),
  // how long after reporting Stripe's count is read back, how old a window may be and still be
  // reported or corrected (Stripe: 35 days), and how long a report a dead worker left pending is
  // sent again under its identifier (Stripe deduplicates identifiers for about a day).
  METERING_SCHEDULE: z.enum(['on', 'off']).default('on'),
  METERING_INTERVAL: duration.default(3_600_000),
  METERING_SETTLING_DELAY: duration.default(10 * 60_000),
  METERING_CORRECTION_WINDOW: duration
    .refine((ms) => ms <= 35 * 86_400_000, 'must be at most 35d: Stripe accepts no older meter events')
    .default(35 * 86_400_000),
  METERING_RESEND_HORIZON: duration.default(12 * 3_600_000),
  // Usage retention (api/billing/usage-retention.ts): events older than this are deleted, and
  // only those of windows the reconciliation settled; each API process sweeps on the interval.
  USAGE_RETENTION: duration.default(400 * 86_400_000),
  USAGE_RETENTION_SWEEP_INTERVAL: duration.default(3_600_000),
  OPERATION_POLL_INTERVAL: duration.default(500),
  // The admin console's stuck activities: retrying for longer than this unless the request says otherwise.
  STUCK_ACTIVITY_THRESHOLD: stuckThreshold.default(5 * 60_000),
  ACTIVITY_HEARTBEAT_TIMEOUT: duration.default(30_000),
  ACTIVITY_START_TO_CLOSE_TIMEOUT: duration.default(10 * 60_000),
  // How long an offboarded tenant can still be brought back before its resources are deleted.
  OFFBOARD_GRACE_PERIOD: duration.default(7 * 86_400_000),
  // A promotion's rollout fails after this long without progress (the Deployment's
  // progressDeadlineSeconds); the watch reads it every PROMOTION_POLL_INTERVAL.
  PROMOTION_PROGRESS_DEADLINE: duration.default(10 * 60_000),
  PROMOTION_POLL_INTERVAL: duration.default(2_000),
  // A held promotion (freeze window, soak time, suspended tenant) reads its hold again at least
  // this often; an edit of the environment's protection wakes it at once.
  PROMOTION_HOLD_RECHECK: duration.default(5 * 60_000),
  // The access-token keys live in the secret store (docs/decisions/0030); this key seeds the
  // keyring the first time a process finds none (unset then: a new key). Afterwards the stored
  // keyring wins and this is ignored. PEM may be given with literal \n sequences (one-line
  // environment files).
  JWT_PRIVATE_KEY: z
    .string()
    .transform((value) => value.replaceAll('\\n', '\n'))
    .refine((value) => value.includes('-----BEGIN PRIVATE KEY-----'), 'must be a PKCS#8 PEM private key')
    .optional(),
  // How often each API process rereads the signing keyring and reports what it holds
  // (api_processes); a process not heard from for three intervals counts as gone.
  SIGNING_KEYS_RELOAD_INTERVAL: duration.default(30_000),
  // How long a signing-key rotation waits for every API process to hold the new key before it
  // withdraws it and ends failed.
  SIGNING_KEY_DISTRIBUTION_TIMEOUT: duration.default(10 * 60_000),
  // The shortest signing-key rotation policy a platform admin may set (docs/decisions/0038);
  // tests lower it to seconds.
  SIGNING_KEY_ROTATION_MINIMUM: duration.default(86_400_000),
  // Cache-Control max-age of /.well-known/jwks.json; a rotation publishes a key at least this
  // long before signing with it, so a verifier's cached JWKS already holds it.
  JWKS_MAX_AGE: duration.default(5 * 60_000),
  JWT_ISSUER: z.string().default('atrium'),
  JWT_AUDIENCE: z.string().default('atrium-api'),
  ACCESS_TOKEN_TTL: duration.default(15 * 60_000),
  REFRESH_TOKEN_TTL: duration.default(30 * 86_400_000),
  LOGIN_RATE_LIMIT: z.coerce.number().int().positive().default(20),
  // Requests per minute per tenant: `plans` (each plan's own, workflows/shared/plans.ts), `off`,
  // or overrides of some plans' figures, e.g. `free=60,team=600` (api/http/tenant-rate-limit.ts).
  TENANT_RATE_LIMITS: z
    .string()
    .default('plans')
    .transform((value, ctx): PlanRateLimits | null => {
      const planned = Object.fromEntries(PLAN_NAMES.map((plan) => [plan, PLANS[plan].requestsPerMinute]));
      if (value === 'off') return null;
      if (value === 'plans') return planned;
      const overrides: Record<string, number> = {};
      for (const item of value.split(',')) {
        const [plan, figure, ...rest] = item.trim().split('=');
        const perMinute = Number(figure);
        if (
          rest.length > 0 ||
          !(PLAN_NAMES as readonly string[]).includes(plan ?? '') ||
          !Number.isInteger(perMinute) ||
          perMinute < 1
        ) {
          ctx.addIssue({
            code: 'custom',
            message: `must be plans, off, or plan=requests-per-minute pairs separated by commas (plans: ${PLAN_NAMES.join(', ')}), e.g. free=60,team=600`,
          });
          return z.NEVER;
        }
        overrides[plan!] = perMinute;
      }
      return { ...planned, ...overrides };
    }),
  LOGIN_LOCKOUT_THRESHOLD: z.coerce.number().int().positive().default(5),
  LOGIN_LOCKOUT_DURATION: duration.default(15 * 60_000),
  // Links in mails (verification, password reset) point here: the portal as people reach it.
  PUBLIC_URL: z.url().default('http://127.0.0.1:3000'),
  EMAIL_VERIFICATION_TTL: duration.default(24 * 3_600_000),
  PASSWORD_RESET_TTL: duration.default(30 * 60_000),
  INVITATION_TTL: duration.default(7 * 86_400_000),
  PASSWORD_RESET_LIMIT_PER_HOUR: z.coerce.number().int().positive().default(3),
  SIGNUP_MAIL_LIMIT_PER_HOUR: z.coerce.number().int().positive().default(5),
  // Plans whose tenants wait for a platform admin's approval, comma-separated; `none` for none
  // (an empty value means unset, like every setting: config/env.ts).
  APPROVAL_PLANS: z
    .string()
    .default('enterprise')
    .transform((value) =>
      value.trim() === 'none'
        ? []
        : value
            .split(',')
            .map((plan) => plan.trim())
            .filter(Boolean),
    )
    .pipe(z.array(z.enum(PLAN_NAMES, { error: `each plan must be one of ${PLAN_NAMES.join(', ')}` }))),
  APPROVAL_TIMEOUT: duration.default(7 * 86_400_000),
  // How many platform admins (other than the requester) must approve such a tenant.
  TENANT_APPROVAL_APPROVERS: z.coerce.number().int().min(1).max(10).default(1),
  // The approval assertions' signing keys (docs/decisions/0007): how long one in-memory key
  // signs before the process makes the next, and how long one assertion is valid.
  APPROVAL_KEY_LIFETIME: duration.default(24 * 3_600_000),
  APPROVAL_ASSERTION_TTL: duration.default(60_000),
  SSO_LOGIN_TTL: duration.default(10 * 60_000),
  SSO_DOMAIN_VERIFICATION_TTL: duration.default(3 * 86_400_000),
  // http:// identity providers: only for providers on loopback in development and tests.
  SSO_ALLOW_INSECURE_ISSUERS: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  // http:// webhook endpoints: only for receivers on loopback in development and tests.
  WEBHOOK_ALLOW_INSECURE_URLS: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  // Webhook delivery (api/webhooks/dispatcher.ts, workflows/webhooks/): whether this process
  // runs an outbox dispatcher (any number of replicas may), how often it looks, and the
  // sequencers' retry policy.
  WEBHOOK_DISPATCHER: z.enum(['on', 'off'], { error: 'must be on or off' }).default('on'),
  WEBHOOK_DISPATCH_INTERVAL: duration.default(1_000),
  WEBHOOK_RETRY_INITIAL_INTERVAL: duration.default(5_000),
  WEBHOOK_RETRY_MAX_INTERVAL: duration.default(3_600_000),
  WEBHOOK_PAUSE_AFTER: duration.default(86_400_000),
  // A paused endpoint not re-enabled this long after its failing event's first failure is disabled.
  WEBHOOK_DISABLE_AFTER: duration.default(5 * 86_400_000),
  // How long offboarding waits for tenant.offboarded to reach the endpoints before deleting them.
  WEBHOOK_FINAL_DELIVERY_WAIT: duration.default(3_600_000),
  WEBHOOK_SEQUENCER_IDLE_TIMEOUT: duration.default(3_600_000),
  WEBHOOK_REQUEST_TIMEOUT: duration.default(15_000),
  // Stripe webhooks (api/billing/): the endpoint's signing secret (whsec_…, from the Stripe
  // dashboard or `stripe listen`); unset, the route answers 503 and stores nothing. How long a
  // failed payment's dunning lasts before the tenant is suspended.
  STRIPE_WEBHOOK_SECRET: z
    .string()
    .regex(/^whsec_\w+$/, 'must be a Stripe webhook signing secret (whsec_…)')
    .optional(),
  BILLING_DUNNING_GRACE_PERIOD: duration.default(7 * 86_400_000),
  // Which addresses tenant-given URLs may reach (SSO issuers): loopback only in development.
  ...outboundSettings,
  // Signs the portal's session cookie. Optional here so an API-only process (PORTAL_MODE=off)
  // needs none; api/portal.ts refuses to serve pages without it. npm start generates one.
  ...mailSettings,
  ...secretStoreSettings,
  // Prometheus metrics on a port of their own (config/metrics.ts).
  ...metricsSettings,
  // The short history of this process's key metrics for the admin health page's charts
  // (api/metrics/history.ts): sampled every interval, kept for the window.
  METRICS_HISTORY_INTERVAL: duration.default(10_000),
  METRICS_HISTORY_WINDOW: duration.default(3_600_000),
  // OpenTelemetry traces out, and Jaeger's query API for the operation page (config/tracing.ts).
  ...tracingSettings,
  ...traceQuerySettings,
  // The worker's billing provider and cluster: the API checks that they answer (the admin
  // health page, api/health/) and reads a tenant's invoices from the billing provider
  // (api/billing/invoice-routes.ts); it never bills or changes the cluster.
  ...billingSettings,
  ...clusterSettings,
  // Tenant-defined OAuth providers on http:// (development and tests only).
  ...connectorSettings,
  /** How long a member has to authorize at the provider before the connect ends as expired. */
  CONNECTOR_CONNECT_TIMEOUT: duration.default(10 * 60_000),
  /** How long POST …/connections waits for the authorization URL before answering without it. */
  CONNECTOR_AUTHORIZATION_WAIT: duration.default(10_000),
  /** How early maintainConnection refreshes an access token (at most a third of its life). */
  CONNECTOR_REFRESH_MARGIN: duration.default(5 * 60_000),
  /** The shortest interval a sync may run at (a tenant asking for less is told this one). */
  CONNECTOR_SYNC_MIN_INTERVAL: duration
    .default(5 * 60_000)
    .refine((ms) => ms >= 1_000 && ms % 1_000 === 0, 'must be whole seconds, at least 1s'),
  // Tenant secrets (api/routes/secrets.ts): how long a replaced or deleted secret's values are
  // kept before they are destroyed, and the shortest rotation policy a tenant may set.
  SECRET_VERSION_RETENTION: duration.default(30 * 86_400_000),
  SECRET_ROTATION_MINIMUM: duration.default(86_400_000),
  // How long an approved reveal of a production secret may be used, once (docs/decisions/0035).
  SECRET_REVEAL_GRANT_WINDOW: duration.default(15 * 60_000),
  // How long a tenant's old database login keeps working after a rotation switched to the new
  // one (docs/decisions/0032, 0036): consumers reread the credentials within it.
  DATABASE_LOGIN_OVERLAP: duration.default(5 * 60_000),
  // How often each API process destroys values past their retention for every tenant.
  SECRET_RETENTION_SWEEP_INTERVAL: duration.default(3_600_000),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters (npm start generates one)').optional(),
  // Operator tokens for a Temporal cluster that checks JWTs (api/ops/temporal-tokens.ts): an
  // ES256 key of their own (unset: one made at boot, in memory), their audience and lifetime.
  TEMPORAL_OPERATOR_TOKEN_KEY: z
    .string()
    .transform((value) => value.replaceAll('\\n', '\n'))
    .refine((value) => value.includes('-----BEGIN PRIVATE KEY-----'), 'must be a PKCS#8 PEM private key (P-256)')
    .optional(),
  TEMPORAL_OPERATOR_TOKEN_AUDIENCE: z.string().min(1).default('temporal'),
  TEMPORAL_OPERATOR_TOKEN_TTL: duration.default(3_600_000),
  // `on`: the Temporal UI proxy hands the UI server each operator's own token (for a cluster
  // whose authorizer checks them); `off` (the dev server has no authorizer): no token.
  TEMPORAL_UI_OPERATOR_TOKENS: z.enum(['on', 'off'], { error: 'must be on or off' }).default('off'),
});

/** Settings that only make sense together. */
const CheckedApiEnv = ApiEnv.superRefine((env, ctx) => {
  // Workflows keep a retired key for 10 minutes (activities/approvals/keys.ts): no assertion may live longer.
  if (env.APPROVAL_ASSERTION_TTL > 10 * 60_000)
    ctx.addIssue({ code: 'custom', path: ['APPROVAL_ASSERTION_TTL'], message: 'must be at most 10m' });
  if (env.APPROVAL_KEY_LIFETIME <= 2 * env.APPROVAL_ASSERTION_TTL)
    ctx.addIssue({
      code: 'custom',
      path: ['APPROVAL_KEY_LIFETIME'],
      message: 'must be more than twice APPROVAL_ASSERTION_TTL (a key signs for a while before the next)',
    });
  if (env.SIGNING_KEYS_RELOAD_INTERVAL < 100)
    ctx.addIssue({ code: 'custom', path: ['SIGNING_KEYS_RELOAD_INTERVAL'], message: 'must be at least 100ms' });
  if (env.SIGNING_KEY_DISTRIBUTION_TIMEOUT < 3 * env.SIGNING_KEYS_RELOAD_INTERVAL)
    ctx.addIssue({
      code: 'custom',
      path: ['SIGNING_KEY_DISTRIBUTION_TIMEOUT'],
      message: 'must be at least three SIGNING_KEYS_RELOAD_INTERVALs (every process rereads the keys that often)',
    });
  if (env.SIGNING_KEY_ROTATION_MINIMUM < 1_000)
    ctx.addIssue({ code: 'custom', path: ['SIGNING_KEY_ROTATION_MINIMUM'], message: 'must be at least 1s' });
  if (env.DATABASE_LOGIN_OVERLAP < 1_000)
    ctx.addIssue({ code: 'custom', path: ['DATABASE_LOGIN_OVERLAP'], message: 'must be at least 1s' });
  if (env.SECRET_ROTATION_MINIMUM < 1_000)
    ctx.addIssue({ code: 'custom', path: ['SECRET_ROTATION_MINIMUM'], message: 'must be at least 1s' });
  if (env.SECRET_RETENTION_SWEEP_INTERVAL < 1_000)
    ctx.addIssue({ code: 'custom', path: ['SECRET_RETENTION_SWEEP_INTERVAL'], message: 'must be at least 1s' });
  if (env.SECRET_VERSION_RETENTION < 1_000)
    ctx.addIssue({ code: 'custom', path: ['SECRET_VERSION_RETENTION'], message: 'must be at least 1s' });
  if (env.SECRET_REVEAL_GRANT_WINDOW < 1_000 || env.SECRET_REVEAL_GRANT_WINDOW > 86_400_000)
    ctx.addIssue({ code: 'custom', path: ['SECRET_REVEAL_GRANT_WINDOW'], message: 'must be from 1s to 1d' });
  // The reconciliation reads windows back for METERING_CORRECTION_WINDOW and 14 days more (and
  // a day to settle): their events must still be there.
  if (env.USAGE_RETENTION < Math.max(50 * 86_400_000, env.METERING_CORRECTION_WINDOW + 15 * 86_400_000))
    ctx.addIssue({
      code: 'custom',
      path: ['USAGE_RETENTION'],
      message:
        'must be at least 50d and at least METERING_CORRECTION_WINDOW + 15d (the reconciliation reads windows back that long)',
    });
  if (env.METRICS_HISTORY_INTERVAL < 1_000)
    ctx.addIssue({ code: 'custom', path: ['METRICS_HISTORY_INTERVAL'], message: 'must be at least 1s' });
  if (env.METRICS_HISTORY_WINDOW < env.METRICS_HISTORY_INTERVAL || env.METRICS_HISTORY_WINDOW > 86_400_000)
    ctx.addIssue({
      code: 'custom',
      path: ['METRICS_HISTORY_WINDOW'],
      message: 'must be from METRICS_HISTORY_INTERVAL to 1d',
    });
  else if (env.METRICS_HISTORY_WINDOW / env.METRICS_HISTORY_INTERVAL > 3_600)
    ctx.addIssue({
      code: 'custom',
      path: ['METRICS_HISTORY_WINDOW'],
      message: 'must hold at most 3600 METRICS_HISTORY_INTERVALs (each is one kept sample)',
    });
  if (env.USAGE_RETENTION_SWEEP_INTERVAL < 1_000)
    ctx.addIssue({ code: 'custom', path: ['USAGE_RETENTION_SWEEP_INTERVAL'], message: 'must be at least 1s' });
  if (env.WEBHOOK_DISABLE_AFTER <= env.WEBHOOK_PAUSE_AFTER)
    ctx.addIssue({
      code: 'custom',
      path: ['WEBHOOK_DISABLE_AFTER'],
      message: 'must be longer than WEBHOOK_PAUSE_AFTER (an endpoint is paused before it is disabled)',
    });
});

export type ApiConfig = ReturnType<typeof readApiConfig>;

export function readApiConfig(env: Env) {
  const parsed = parseEnv(CheckedApiEnv, env);
  return {
    databaseUrl: parsed.DATABASE_URL,
    databasePoolSize: parsed.API_DATABASE_POOL_SIZE,
    temporal: {
      address: parsed.TEMPORAL_ADDRESS,
      namespace: parsed.TEMPORAL_NAMESPACE,
      taskQueuePrefix: parsed.TEMPORAL_TASK_QUEUE,
      uiUrl: parsed.TEMPORAL_UI_URL.replace(/\/$/, ''),
      connection: temporalConnectionFrom(parsed),
    },
    host: parsed.HOST,
    port: parsed.PORT,
    logLevel: parsed.LOG_LEVEL,
    metrics: apiMetricsAddress(parsed),
    metricsHistory: { intervalMs: parsed.METRICS_HISTORY_INTERVAL, windowMs: parsed.METRICS_HISTORY_WINDOW },
    tracing: tracingConfigFrom(parsed),
    /** Jaeger's query API; null: the operation page says tracing is off. */
    traceQueryUrl: parsed.TRACES_QUERY_URL?.replace(/\/$/, '') ?? null,
    health: { billing: billingConfigFrom(parsed), cluster: clusterConfigFrom(parsed) },
    portalMode: parsed.PORTAL_MODE,
    sessionSecret: parsed.SESSION_SECRET,
    mail: readMailConfig(parsed),
    secretStore: secretStoreConfigFrom(parsed),
    identity: { allowInsecureIssuers: parsed.SSO_ALLOW_INSECURE_ISSUERS },
    outbound: readOutboundConfig(parsed),
    approvalKeys: { keyLifetimeMs: parsed.APPROVAL_KEY_LIFETIME, assertionTtlMs: parsed.APPROVAL_ASSERTION_TTL },
    forwardOperatorTokens: parsed.TEMPORAL_UI_OPERATOR_TOKENS === 'on',
    temporalTokens: {
      privateKeyPem: parsed.TEMPORAL_OPERATOR_TOKEN_KEY,
      issuer: parsed.JWT_ISSUER,
      audience: parsed.TEMPORAL_OPERATOR_TOKEN_AUDIENCE,
      ttlMs: parsed.TEMPORAL_OPERATOR_TOKEN_TTL,
    },
    accessTokens: {
      /** Seeds the keyring when the secret store has none (then ignored). */
      seedPrivateKeyPem: parsed.JWT_PRIVATE_KEY,
      issuer: parsed.JWT_ISSUER,
      audience: parsed.JWT_AUDIENCE,
      ttlMs: parsed.ACCESS_TOKEN_TTL,
    },
    signingKeys: {
      reloadIntervalMs: parsed.SIGNING_KEYS_RELOAD_INTERVAL,
      distributionTimeoutMs: parsed.SIGNING_KEY_DISTRIBUTION_TIMEOUT,
      jwksMaxAgeMs: parsed.JWKS_MAX_AGE,
      rotationMinimumMs: parsed.SIGNING_KEY_ROTATION_MINIMUM,
    },
    settings: {
      bodyLimitBytes: parsed.BODY_LIMIT,
      responseCompression: parsed.RESPONSE_COMPRESSION,
      idempotencyKeyTtlMs: parsed.IDEMPOTENCY_KEY_TTL,
      operationPollIntervalMs: parsed.OPERATION_POLL_INTERVAL,
      stuckActivityThresholdMs: parsed.STUCK_ACTIVITY_THRESHOLD,
      approval: {
        plans: parsed.APPROVAL_PLANS,
        timeoutMs: parsed.APPROVAL_TIMEOUT,
        approvers: parsed.TENANT_APPROVAL_APPROVERS,
      },
      offboardGracePeriodMs: parsed.OFFBOARD_GRACE_PERIOD,
      promotionRollout: {
        progressDeadlineSeconds: Math.max(1, Math.round(parsed.PROMOTION_PROGRESS_DEADLINE / 1000)),
        pollIntervalMs: parsed.PROMOTION_POLL_INTERVAL,
        // Past the deadline the cluster says `failed`; the watch gives it as long again and a minute.
        timeoutMs: 2 * parsed.PROMOTION_PROGRESS_DEADLINE + 60_000,
        holdRecheckMs: parsed.PROMOTION_HOLD_RECHECK,
      },
      tenantRateLimits: parsed.TENANT_RATE_LIMITS,
      usageMeteringIntervalMs: parsed.USAGE_METERING_INTERVAL,
      usageRetention: {
        retentionMs: parsed.USAGE_RETENTION,
        sweepIntervalMs: parsed.USAGE_RETENTION_SWEEP_INTERVAL,
      },
      metering: {
        schedule: parsed.METERING_SCHEDULE === 'on',
        intervalMs: parsed.METERING_INTERVAL,
        policy: {
          settlingDelayMs: parsed.METERING_SETTLING_DELAY,
          correctionWindowMs: parsed.METERING_CORRECTION_WINDOW,
          resendHorizonMs: parsed.METERING_RESEND_HORIZON,
          checkRounds: 3,
          tenantConcurrency: 2,
        },
      },
      activityTimings: {
        heartbeatTimeoutMs: parsed.ACTIVITY_HEARTBEAT_TIMEOUT,
        startToCloseTimeoutMs: parsed.ACTIVITY_START_TO_CLOSE_TIMEOUT,
      },
      auth: {
        refreshTokenTtlMs: parsed.REFRESH_TOKEN_TTL,
        loginRateLimitPerMinute: parsed.LOGIN_RATE_LIMIT,
        lockoutThreshold: parsed.LOGIN_LOCKOUT_THRESHOLD,
        lockoutMs: parsed.LOGIN_LOCKOUT_DURATION,
        publicUrl: parsed.PUBLIC_URL.replace(/\/$/, ''),
        emailVerificationTtlMs: parsed.EMAIL_VERIFICATION_TTL,
        passwordResetTtlMs: parsed.PASSWORD_RESET_TTL,
        invitationTtlMs: parsed.INVITATION_TTL,
        passwordResetsPerHour: parsed.PASSWORD_RESET_LIMIT_PER_HOUR,
        signupMailsPerHour: parsed.SIGNUP_MAIL_LIMIT_PER_HOUR,
      },
      sso: {
        loginTtlMs: parsed.SSO_LOGIN_TTL,
        domainVerificationTtlMs: parsed.SSO_DOMAIN_VERIFICATION_TTL,
      },
      billing: {
        stripeWebhookSecret: parsed.STRIPE_WEBHOOK_SECRET ?? null,
        policy: { dunningGracePeriodMs: parsed.BILLING_DUNNING_GRACE_PERIOD },
      },
      connectors: {
        ...readConnectorConfig(parsed),
        connectTimeoutMs: parsed.CONNECTOR_CONNECT_TIMEOUT,
        authorizationWaitMs: parsed.CONNECTOR_AUTHORIZATION_WAIT,
        refreshMarginMs: parsed.CONNECTOR_REFRESH_MARGIN,
        syncMinIntervalMs: parsed.CONNECTOR_SYNC_MIN_INTERVAL,
        // The exact redirect URI registered at every provider: the portal's callback page.
        redirectUri: `${parsed.PUBLIC_URL.replace(/\/$/, '')}/connectors/callback`,
      },
      secrets: {
        versionRetentionMs: parsed.SECRET_VERSION_RETENTION,
        rotationMinimumMs: parsed.SECRET_ROTATION_MINIMUM,
        retentionSweepIntervalMs: parsed.SECRET_RETENTION_SWEEP_INTERVAL,
        revealGrantWindowMs: parsed.SECRET_REVEAL_GRANT_WINDOW,
        databaseLoginOverlapMs: parsed.DATABASE_LOGIN_OVERLAP,
      },
      webhooks: {
        allowInsecureUrls: parsed.WEBHOOK_ALLOW_INSECURE_URLS,
        dispatcher: parsed.WEBHOOK_DISPATCHER === 'on',
        dispatchIntervalMs: parsed.WEBHOOK_DISPATCH_INTERVAL,
        finalDeliveryWaitMs: parsed.WEBHOOK_FINAL_DELIVERY_WAIT,
        policy: {
          initialIntervalMs: parsed.WEBHOOK_RETRY_INITIAL_INTERVAL,
          maxIntervalMs: parsed.WEBHOOK_RETRY_MAX_INTERVAL,
          pauseAfterMs: parsed.WEBHOOK_PAUSE_AFTER,
          disableAfterMs: parsed.WEBHOOK_DISABLE_AFTER,
          idleTimeoutMs: parsed.WEBHOOK_SEQUENCER_IDLE_TIMEOUT,
          requestTimeoutMs: parsed.WEBHOOK_REQUEST_TIMEOUT,
        },
      },
    },
  };
}
