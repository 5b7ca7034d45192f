// The API process: one HTTP server for the REST API and the portal. Stops cleanly on
// SIGINT/SIGTERM (stops accepting, ends event streams, closes Temporal and Postgres).
// First: configuration and tracing (api/boot.ts), before anything tracing instruments loads.
import { config, logger, tracing } from './boot.ts';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { createDataSource, poolStats } from '../db/data-source.ts';
import { selectBilling } from '../integrations/billing/select.ts';
import { createCluster } from '../integrations/cluster/select.ts';
import { createOidcProviders } from '../integrations/identity/oidc.ts';
import { selectMailer } from '../integrations/mail/select.ts';
import { createOutboundClient } from '../integrations/outbound/fetch.ts';
import { createOutboundGuard } from '../integrations/outbound/guard.ts';
import { selectSecretStore } from '../integrations/secrets/select.ts';
import { signingKeyringPath } from '../integrations/secrets/signing-keyring.ts';
import { assertRuntimeRole } from '../db/runtime-role.ts';
import { createApp, finalErrorHandler } from './app.ts';
import { loadRouteModules } from './routes/registry.ts';
import { createApprovalSigner, publishToDatabase } from './approvals/assertion-signer.ts';
import type { ApiDeps } from './deps.ts';
import { createHealthChecker } from './health/checks.ts';
import { platformProbes } from './health/probes.ts';
import { HEALTH_CHECK_TIMEOUT_MS } from './health/routes.ts';
import { countOperationStarts } from './metrics/operations.ts';
import { startMetricsHistory } from './metrics/history.ts';
import { temporalOperationEnds } from './metrics/operation-ends.ts';
import { createApiMetrics } from './metrics/registry.ts';
import { serveMetrics } from './metrics/server.ts';
import { createTemporalTokens } from './ops/temporal-tokens.ts';
import { TEMPORAL_UI_PATH } from './ops/temporal-ui-proxy.ts';
import { mountPortal } from './portal.ts';
import { createJaegerTraceReader } from '../tracing/jaeger-query.ts';
import { FollowRequestSampling } from '../tracing/request-sampling.ts';
import { startSecretRetentionSweeper } from './secret-retention.ts';
import { startUsageRetentionSweeper } from './billing/usage-retention.ts';
import { startSigningKeys } from './signing-keys.ts';
import { startOutboxDispatcher } from './webhooks/dispatcher.ts';
import { createTenantRateLimiter, UNLIMITED } from './http/tenant-rate-limit.ts';
import { startRequestMeter } from './billing/request-metering.ts';
import { ensureMeteringSchedule } from './metering/schedule.ts';

const metrics = createApiMetrics();
const dataSource = createDataSource({
  url: config.databaseUrl,
  applicationName: 'atrium-api',
  poolSize: config.databasePoolSize,
});
await dataSource.initialize();
try {
  await assertRuntimeRole(dataSource);
} catch (error) {
  logger.error(error instanceof Error ? error.message : String(error));
  await dataSource.destroy();
  process.exit(1);
}
const connection = await Connection.connect({ address: config.temporal.address, ...config.temporal.connection });
const client = new Client({
  connection,
  namespace: config.temporal.namespace,
  // With tracing on, starts, signals, updates and queries carry the request's trace to the workflow.
  interceptors: {
    // FollowRequestSampling first: an unsampled request's calls carry "not sampled" (tracing/request-sampling.ts).
    workflow: [
      countOperationStarts(metrics),
      ...(tracing ? [new FollowRequestSampling(), new OpenTelemetryWorkflowClientInterceptor()] : []),
    ],
  },
});
metrics.watchPool('api', () => poolStats(dataSource));
// The admin health page's charts: a reading of the registry, and of how many operations Temporal
// saw end, every METRICS_HISTORY_INTERVAL.
const metricsHistory = startMetricsHistory(metrics.registry, {
  ...config.metricsHistory,
  operationEnds: temporalOperationEnds({
    client,
    taskQueuePrefix: config.temporal.taskQueuePrefix,
    timeoutMs: HEALTH_CHECK_TIMEOUT_MS,
  }),
});
// Every call to an address a tenant gave (their SSO issuer, a webhook test send) goes through this client.
const outboundGuard = createOutboundGuard(config.outbound);
const outbound = createOutboundClient(outboundGuard);
if (config.outbound.allowLoopback)
  logger.warn('OUTBOUND_ALLOW_LOOPBACK=true: tenant-given addresses may reach this machine (development only)');

const mailer = selectMailer(config.mail, logger);
const secretStore = selectSecretStore(config.secretStore, dataSource, logger);
// The worker's billing provider: the health page asks whether it answers, the invoices route reads from it.
const billing = selectBilling(config.health.billing, dataSource);
const health = createHealthChecker(
  platformProbes({
    dataSource,
    temporal: client,
    secretStore,
    // The worker's billing provider (built above) and cluster, asked whether they answer.
    billing,
    cluster: createCluster(config.health.cluster, logger),
    mailer,
  }),
  { timeoutMs: HEALTH_CHECK_TIMEOUT_MS },
);

// The access-token keys: the secret store's keyring, reread on a timer (docs/decisions/0030).
const signingKeys = await startSigningKeys({
  dataSource,
  secretStore,
  logger,
  seedPrivateKeyPem: config.accessTokens.seedPrivateKeyPem,
  keyringPath: signingKeyringPath(config.temporal.taskQueuePrefix),
  issuer: config.accessTokens.issuer,
  audience: config.accessTokens.audience,
  ttlMs: config.accessTokens.ttlMs,
  reloadIntervalMs: config.signingKeys.reloadIntervalMs,
});

const requestMeter = startRequestMeter({
  dataSource,
  logger,
  intervalMs: config.settings.usageMeteringIntervalMs,
});
const deps: ApiDeps = {
  dataSource,
  billing,
  requestMeter,
  tenantRateLimiter: config.settings.tenantRateLimits
    ? createTenantRateLimiter({ dataSource, limits: config.settings.tenantRateLimits })
    : UNLIMITED,
  logger,
  metrics,
  metricsHistory,
  health,
  traces: config.traceQueryUrl ? createJaegerTraceReader(config.traceQueryUrl) : null,
  accessTokens: signingKeys.accessTokens,
  approvalSigner: await createApprovalSigner({ publish: publishToDatabase(dataSource), ...config.approvalKeys }),
  mailer,
  secretStore,
  identity: createOidcProviders({ ...config.identity, fetch: outbound.fetch }),
  outboundGuard,
  outbound: outbound.fetch,
  temporal: {
    client,
    namespace: config.temporal.namespace,
    taskQueuePrefix: config.temporal.taskQueuePrefix,
    uiUrl: config.temporal.uiUrl,
    uiPath: TEMPORAL_UI_PATH,
  },
  ops: {
    sessionSecret: config.sessionSecret,
    temporalTokens: await createTemporalTokens(config.temporalTokens),
    forwardOperatorTokens: config.forwardOperatorTokens,
  },
  settings: {
    ...config.settings,
    signingKeys: { ...config.signingKeys, accessTokenTtlMs: config.accessTokens.ttlMs },
  },
};
if (deps.ops.temporalTokens.keySource === 'generated')
  logger.warn(
    'TEMPORAL_OPERATOR_TOKEN_KEY is not set: operator tokens for Temporal are signed with a key made now, which ends with this process (set it when a Temporal cluster checks them)',
  );

// The hourly metering reconciliation's Schedule (docs/decisions/0027): made to match the
// configuration. A failure is logged, not fatal: the API serves without it and the next boot
// (or any other replica) makes it.
await ensureMeteringSchedule(deps, logger).catch((error: unknown) =>
  logger.error('The metering reconciliation Schedule could not be ensured', { error }),
);

// Prometheus scrapes its own port (METRICS_HOST:METRICS_PORT), never the public one.
const metricsServer = config.metrics ? await serveMetrics(metrics.registry, config.metrics) : null;
if (metricsServer) logger.info('Metrics listening', { metricsUrl: metricsServer.url });

const app = createApp(deps, await loadRouteModules(), config.tracing);
const server = app.listen(config.port, config.host);
await once(server, 'listening');
const { port } = server.address() as AddressInfo;
const apiBaseUrl = `http://${config.host}:${port}`;

const portal =
  config.portalMode === 'off'
    ? null
    : await mountPortal(app, {
        mode: config.portalMode,
        apiBaseUrl,
        temporalUiUrl: `${TEMPORAL_UI_PATH}/`,
        sessionSecret: config.sessionSecret,
        compression: config.settings.responseCompression,
      });
app.use(finalErrorHandler(deps));
// Hands committed events to the webhook sequencers; every replica may run one.
const dispatcher = config.settings.webhooks.dispatcher
  ? startOutboxDispatcher({
      dataSource,
      client,
      taskQueuePrefix: config.temporal.taskQueuePrefix,
      policy: config.settings.webhooks.policy,
      intervalMs: config.settings.webhooks.dispatchIntervalMs,
      logger,
    })
  : null;
// Destroys tenant secret values past their retention; every replica may run one.
const secretRetention = startSecretRetentionSweeper(deps, config.settings.secrets.retentionSweepIntervalMs);
// Deletes reconciled usage events past USAGE_RETENTION; every replica may run one.
const usageRetention = startUsageRetentionSweeper(
  { dataSource: deps.dataSource, logger },
  { retentionMs: config.settings.usageRetention.retentionMs },
  config.settings.usageRetention.sweepIntervalMs,
);
logger.info('API listening', { url: apiBaseUrl, portal: config.portalMode, pid: process.pid });

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info('Stopping API', { signal });
  const closed = new Promise((resolve) => server.close(resolve));
  server.closeIdleConnections();
  // Event streams never go idle by themselves; give them a moment, then cut them.
  setTimeout(() => server.closeAllConnections(), 2_000).unref();
  await closed;
  await dispatcher?.stop();
  await metricsServer?.close();
  metricsHistory.stop();
  await secretRetention.stop();
  await usageRetention.stop();
  await signingKeys.stop();
  await requestMeter.stop();
  await portal?.close();
  await connection.close();
  await deps.mailer.close();
  await outbound.close();
  await dataSource.destroy();
  await tracing?.shutdown();
  logger.info('API stopped');
}
process.once('SIGINT', () => void stop('SIGINT'));
process.once('SIGTERM', () => void stop('SIGTERM'));
