// The worker process: one Temporal worker per workflow family (worker/registry.ts), each on
// its own task queue with its own activity slots and database pool, sharing one workflow
// bundle and the integrations built once at start; plus a worker on the pre-family queue
// while workflows started there are open. On SIGINT or SIGTERM every worker stops polling
// and in-flight activities get the grace time to finish.
// First: configuration and tracing (worker/boot.ts), before anything tracing instruments loads.
import { config, logger, tracing } from './boot.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import { createKeyringLicenseSigner, readLicenseKeyFile } from '../activities/tenant-provisioning/license.ts';
import { signingKeyringPath } from '../integrations/secrets/signing-keyring.ts';
import { createDataSource, poolStats } from '../db/data-source.ts';
import { assertRuntimeRole } from '../db/runtime-role.ts';
import { selectBilling } from '../integrations/billing/select.ts';
import { createCluster } from '../integrations/cluster/select.ts';
import { selectMailer } from '../integrations/mail/select.ts';
import { createOutboundClient } from '../integrations/outbound/fetch.ts';
import { createOutboundGuard } from '../integrations/outbound/guard.ts';
import { selectSecretStore } from '../integrations/secrets/select.ts';
import { acceleratedClock, realSigningClock } from '../integrations/webhooks/signing-clock.ts';
import { WinstonTemporalLogger } from '../logging/temporal-logger.ts';
import { activityLogContext } from './activity-log-context.ts';
import { checkConnectionBudget, readServerConnectionLimit } from './connection-budget.ts';
import { countOpenWorkflows, watchUntilDrained } from './legacy-queue.ts';
import { activitiesFor, planWorkers } from './registry.ts';
import { reportPools, runtimeMetrics } from './metrics.ts';
import { CLEANUP_TIMEOUT_MS, SHUTDOWN_FORCE_MARGIN_MS } from './shutdown.ts';
import { bundleWorkflows, findPrebuiltBundle } from './workflow-bundle.ts';
import type { WorkflowRunMeter } from './workflow-run-metering.ts';
import { startWorkflowRunMeter } from './workflow-run-metering.ts';
import { traceCalls } from '../tracing/traced-port.ts';

const temporalLogger = new WinstonTemporalLogger(logger);
Runtime.install({
  logger: temporalLogger,
  telemetryOptions: {
    logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
    // Prometheus on WORKER_METRICS_PORT (worker/metrics.ts); absent when it is off.
    ...(config.metrics ? { metrics: runtimeMetrics(config.metrics) } : {}),
  },
  shutdownSignals: ['SIGINT', 'SIGTERM'],
});

/** Logs why the worker cannot start and exits; `cleanup` closes what was opened. */
async function refuseToStart(message: string, cleanup: () => Promise<unknown> = async () => {}): Promise<never> {
  logger.error(message);
  await cleanup();
  process.exit(1);
}

const cluster = await (async () => {
  try {
    const adapter = createCluster(config.cluster, logger);
    // Its client calls through fetch, which the http instrumentation does not see (tracing/traced-port.ts).
    return tracing ? traceCalls(adapter, 'kubernetes') : adapter;
  } catch (error) {
    return refuseToStart(error instanceof Error ? error.message : String(error));
  }
})();
// Where tenant namespaces go (or that they are skipped); never the credentials.
logger.info('Cluster', { adapter: cluster.kind, target: cluster.target, environments: config.cluster.environments });


// The pre-family queue: polled while workflows started there are open (or when told to).
const clientConnection = await Connection.connect({
  address: config.temporal.address,
  ...config.temporal.connection,
});
const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
const legacy = config.legacyQueue;
const legacyOpen = legacy.mode === 'auto' ? await countOpenWorkflows(client, legacy.taskQueue) : 0;
const pollLegacy = legacy.mode === 'on' || legacyOpen > 0;
if (pollLegacy)
  logger.info('Polling the legacy task queue', { taskQueue: legacy.taskQueue, openWorkflows: legacyOpen });

const plans = await planWorkers({
  taskQueuePrefix: config.temporal.taskQueuePrefix,
  families: config.families,
  activitySlots: config.activitySlots,
  legacy: pollLegacy ? legacy : null,
});

// Check the pools against the server before opening them.
const probe = createDataSource({ url: config.databaseUrl, applicationName: 'atrium-worker', poolSize: 1 });
await probe.initialize();
try {
  await assertRuntimeRole(probe);
  checkConnectionBudget(
    [
      ...plans.map((plan) => ({
        name: plan.name === 'legacy' ? 'legacy queue' : plan.name,
        connections: plan.poolSize,
      })),
      { name: 'one API process', connections: config.apiDatabasePoolSize },
    ],
    await readServerConnectionLimit(probe),
  );
} catch (error) {
  await refuseToStart(error instanceof Error ? error.message : String(error), () => probe.destroy());
} finally {
  if (probe.isInitialized) await probe.destroy();
}

const mailer = selectMailer(config.mail, logger);
const webhookSigningClock = config.webhookTestSigningClock
  ? acceleratedClock(config.webhookTestSigningClock)
  : realSigningClock;
if (config.webhookTestSigningClock)
  logger.warn('WEBHOOK_TEST_SIGNING_CLOCK is set: webhook timestamps run fast (tests only)', {
    ...config.webhookTestSigningClock,
  });
// Activities that call addresses tenants gave (webhooks, OAuth providers) get only this.
const outbound = createOutboundClient(createOutboundGuard(config.outbound));
const dataSources = plans.map((plan) =>
  createDataSource({ url: config.databaseUrl, applicationName: `atrium-worker-${plan.name}`, poolSize: plan.poolSize }),
);
const connection = await NativeConnection.connect({ address: config.temporal.address, ...config.temporal.connection });

const tracedActivities: ActivityInterceptorsFactory = (ctx) => ({
  inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
  outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
});

let exitCode = 0;
let stopWatchingLegacy = () => {};
let runMeter: WorkflowRunMeter | null = null;
const stopReportingPools = config.metrics
  ? reportPools(
      Runtime.instance().metricMeter,
      plans.map((plan, index) => ({ name: `worker-${plan.name}`, stats: () => poolStats(dataSources[index]!) })),
    )
  : () => {};
try {
  await Promise.all(dataSources.map((dataSource) => dataSource.initialize()));
  // Licenses are signed with the current key of the deployment's license keyring in the secret
  // store (docs/decisions/0038), reread before every signing; LICENSE_SIGNING_KEY_FILE, when it
  // exists, only seeds the keyring the first time (so existing licenses keep verifying).
  const license = await (async () => {
    try {
      return await createKeyringLicenseSigner(
        selectSecretStore(config.secretStore, dataSources[0]!, logger),
        signingKeyringPath(config.temporal.taskQueuePrefix, 'licenses'),
        readLicenseKeyFile(config.licenseSigningKeyFile),
      );
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return refuseToStart(`Cannot load the license signing keyring: ${detail}`);
    }
  })();
  logger.info('License signing key', { keyId: license.keyId });
  // Tenants' workflow runs counted as usage (`workflow.runs`), written through the first pool.
  const meter = startWorkflowRunMeter({
    dataSource: dataSources[0]!,
    logger,
    intervalMs: config.usageMeteringIntervalMs,
  });
  runMeter = meter;
  // A container image carries prebuilt bundles (WORKER_WORKFLOW_BUNDLE_DIR): no bundling at start.
  const workflowBundle = config.workflowBundleDir
    ? findPrebuiltBundle(config.workflowBundleDir, { tracing: tracing !== null })
    : await bundleWorkflows([...new Set(plans.flatMap((plan) => plan.families))], temporalLogger, {
        tracing: tracing !== null,
      });
  const workers = await Promise.all(
    plans.map(async (plan, index) => {
      const dataSource = dataSources[index]!;
      // The local secret store and billing keep their rows in PostgreSQL: bound to this pool.
      const secretStore = selectSecretStore(config.secretStore, dataSource, logger);
      const billing = selectBilling(config.billing, dataSource);
      const worker = await Worker.create({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: plan.taskQueue,
        workflowBundle,
        activities: await activitiesFor(plan, {
          dataSource,
          cluster: { port: cluster, environments: config.cluster.environments },
          secretStore,
          billing,
          mailer,
          outbound: outbound.fetch,
          tenantDatabase: config.tenantDatabase,
          license: license,
          publicUrl: config.publicUrl,
          invitationTtlMs: config.invitationTtlMs,
          connectors: config.connectors,
          temporal: client,
          webhookSigningClock,
        }),
        // With tracing on, each activity runs in a span that continues its workflow's trace (the
        // outermost interceptor, so the log context below sees the span), and workflow spans
        // leave the sandbox through the `exporter` sink.
        interceptors: { activity: tracing ? [tracedActivities, activityLogContext] : [activityLogContext] },
        // Workflows hand their run to the usage meter through the `runMetering` sink.
        sinks: {
          ...meter.sinks,
          ...(tracing ? { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) } : {}),
        },
        maxConcurrentActivityTaskExecutions: plan.activitySlots,
        shutdownGraceTime: config.shutdownGraceTimeMs,
        // Past the grace time activities are cancelled; give them this long to notice.
        shutdownForceTime: config.shutdownGraceTimeMs + SHUTDOWN_FORCE_MARGIN_MS,
      });
      return { plan, worker, adapters: { secretStore: secretStore.kind, billing: billing.kind } };
    }),
  );
  // Which adapters run (never their credentials).
  logger.info('Integrations', {
    ...workers[0]?.adapters,
    mail: mailer.kind,
    outboundAllowLoopback: config.outbound.allowLoopback,
  });
  const legacyWorker = workers.find((entry) => entry.plan.name === 'legacy')?.worker;
  if (legacyWorker && legacy.mode === 'auto')
    stopWatchingLegacy = watchUntilDrained(
      {
        client,
        taskQueue: legacy.taskQueue,
        intervalMs: legacy.checkIntervalMs,
        onCheckFailed: (error) => logger.warn('Could not count the legacy queue’s open workflows', { error }),
      },
      () => {
        logger.info('Legacy task queue drained; no longer polling it', { taskQueue: legacy.taskQueue });
        if (legacyWorker.getState() === 'RUNNING') legacyWorker.shutdown();
      },
    );
  logger.info('Worker started', {
    namespace: config.temporal.namespace,
    metrics: config.metrics ? `http://${config.metrics.host}:${config.metrics.port}/metrics` : 'off',
    workflowBundle: 'codePath' in workflowBundle ? workflowBundle.codePath : 'bundled at start',
    pid: process.pid,
    taskQueues: workers.map(({ plan }) => ({
      taskQueue: plan.taskQueue,
      activitySlots: plan.activitySlots,
      databasePool: plan.poolSize,
    })),
  });
  // Resolves once a shutdown signal has drained every worker (the legacy one may end earlier).
  await Promise.all(workers.map(({ worker }) => worker.run()));
  logger.info('Worker stopped');
} catch (error) {
  exitCode = 1;
  logger.error('Worker failed', { error });
} finally {
  stopWatchingLegacy();
  stopReportingPools();
  // The runs counted since the last write, before the pools close.
  await runMeter
    ?.stop()
    .catch((error: unknown) => logger.warn('Workflow run metering: the last write failed', { error }));
  // A cancelled activity may have left a query waiting on a lock; don't wait for it.
  await Promise.race([
    Promise.allSettled([
      connection.close(),
      clientConnection.close(),
      mailer.close(),
      outbound.close(),
      ...dataSources.map((dataSource) => (dataSource.isInitialized ? dataSource.destroy() : undefined)),
    ]).then(() => tracing?.shutdown()),
    sleep(CLEANUP_TIMEOUT_MS),
  ]);
}
process.exit(exitCode);
