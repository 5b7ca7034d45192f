// The worker process: polls the control-plane task queue, runs workflows from the bundle
// of workflows/index.ts and activities built once from their dependencies. On SIGINT or
// SIGTERM it stops polling and gives in-flight activities the grace time to finish.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createActivities } from '../activities/index.ts';
import { ConfigError } from '../config/env.ts';
import { createDataSource } from '../db/data-source.ts';
import { createLogger } from '../logging/logger.ts';
import { WinstonTemporalLogger } from '../logging/temporal-logger.ts';
import { TASK_QUEUES } from '../workflows/task-queues.ts';
import { activityLogContext } from './activity-log-context.ts';
import { readWorkerConfig } from './config.ts';

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

const dataSource = createDataSource({ url: config.databaseUrl, applicationName: 'atrium-worker' });
await dataSource.initialize();
const connection = await NativeConnection.connect({ address: config.temporal.address });
const taskQueue = config.temporal.taskQueue ?? TASK_QUEUES.controlPlane;

try {
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
    activities: createActivities({ dataSource }),
    interceptors: { activity: [activityLogContext] },
    maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
    shutdownGraceTime: config.shutdownGraceTimeMs,
  });
  logger.info('Worker started', { taskQueue, namespace: config.temporal.namespace, pid: process.pid });
  await worker.run(); // resolves once a shutdown signal has drained the worker
  logger.info('Worker stopped');
} finally {
  await connection.close();
  await dataSource.destroy();
}
