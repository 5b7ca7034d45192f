// The worker process: polls the control-plane task queue, runs workflows from the bundle
// of workflows/index.ts and activities built once from their dependencies. On SIGINT or
// SIGTERM it stops polling and gives in-flight activities the grace time to finish.
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import { createLicenseSigner, loadOrCreateLicenseKey } from '../activities/license.ts';
import { ConfigError } from '../config/env.ts';
import { createDataSource } from '../db/data-source.ts';
import { selectBilling } from '../integrations/billing/select.ts';
import { createCluster } from '../integrations/cluster/select.ts';
import { selectMailer } from '../integrations/mail/select.ts';
import { createOutboundClient } from '../integrations/outbound/fetch.ts';
import { createOutboundGuard } from '../integrations/outbound/guard.ts';
import { selectSecretStore } from '../integrations/secrets/select.ts';
import { assertRuntimeRole } from '../db/runtime-role.ts';
import { createLogger } from '../logging/logger.ts';
import { WinstonTemporalLogger } from '../logging/temporal-logger.ts';
import { TASK_QUEUES } from '../workflows/task-queues.ts';
import { activityLogContext } from './activity-log-context.ts';
import { readWorkerConfig } from './config.ts';

const SHUTDOWN_FORCE_MARGIN_MS = 10_000;
const CLEANUP_TIMEOUT_MS = 5_000;

let config;
try {
  config = readWorkerConfig(process.env);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}

const logger = createLogger({ level: config.logLevel, service: 'worker' });
Runtime.install({
  logger: new WinstonTemporalLogger(logger),
  telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
  shutdownSignals: ['SIGINT', 'SIGTERM'],
});

let cluster;
try {
  cluster = createCluster(config.cluster, logger);
} catch (error) {
  logger.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
// Where tenant namespaces go (or that they are skipped); never the credentials.
logger.info('Cluster', { adapter: cluster.kind, target: cluster.target, environments: config.cluster.environments });

let license;
try {
  const key = loadOrCreateLicenseKey(config.licenseSigningKeyFile);
  if (key.created)
    logger.warn('Generated a new license signing key; back it up (licenses verify only with its public key)', {
      file: config.licenseSigningKeyFile,
    });
  license = await createLicenseSigner(key.pem, `LICENSE_SIGNING_KEY_FILE (${config.licenseSigningKeyFile})`);
} catch (error) {
  const detail = error instanceof Error ? error.message : String(error);
  logger.error(`Cannot load the license signing key: ${detail}`);
  process.exit(1);
}
logger.info('License signing key', { keyId: license.keyId });

// One connection per activity slot, and one more: an activity holds its transaction's
// connection (under the tenant lock) while the local secret store or local billing takes a
// second one from the same pool. With fewer connections than slots + 1, a burst of
// provisionings (all holding one, all waiting for a second) deadlocks the pool.
const dataSource = createDataSource({
  url: config.databaseUrl,
  applicationName: 'atrium-worker',
  poolSize: config.maxConcurrentActivities + 1,
});
await dataSource.initialize();
try {
  await assertRuntimeRole(dataSource);
} catch (error) {
  logger.error(error instanceof Error ? error.message : String(error));
  await dataSource.destroy();
  process.exit(1);
}
const secretStore = selectSecretStore(config.secretStore, dataSource);
const billing = selectBilling(config.billing, dataSource);
const mailer = selectMailer(config.mail, logger);
// Activities that call addresses tenants gave (webhooks, OAuth providers) get only this.
const outbound = createOutboundClient(createOutboundGuard(config.outbound));
// Which adapters run (never their credentials).
logger.info('Integrations', {
  secretStore: secretStore.kind,
  billing: billing.kind,
  mail: mailer.kind,
  outboundAllowLoopback: config.outbound.allowLoopback,
});
const connection = await NativeConnection.connect({ address: config.temporal.address });
const taskQueue = config.temporal.taskQueue ?? TASK_QUEUES.controlPlane;

let exitCode = 0;
try {
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
    activities: createActivities({
      dataSource,
      cluster: { port: cluster, environments: config.cluster.environments },
      secretStore,
      billing,
      mailer,
      outbound: outbound.fetch,
      tenantDatabase: config.tenantDatabase,
      license,
      publicUrl: config.publicUrl,
    }),
    interceptors: { activity: [activityLogContext] },
    maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
    shutdownGraceTime: config.shutdownGraceTimeMs,
    // Past the grace time activities are cancelled; give them this long to notice.
    shutdownForceTime: config.shutdownGraceTimeMs + SHUTDOWN_FORCE_MARGIN_MS,
  });
  logger.info('Worker started', { taskQueue, namespace: config.temporal.namespace, pid: process.pid });
  await worker.run(); // resolves once a shutdown signal has drained the worker
  logger.info('Worker stopped');
} catch (error) {
  exitCode = 1;
  logger.error('Worker failed', { error });
} finally {
  // A cancelled activity may have left a query waiting on a lock; don't wait for it.
  await Promise.race([
    Promise.allSettled([connection.close(), mailer.close(), outbound.close(), dataSource.destroy()]),
    sleep(CLEANUP_TIMEOUT_MS),
  ]);
}
process.exit(exitCode);
