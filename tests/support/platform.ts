// The whole platform for a test file: its own database, a worker and the API (with or
// without the portal) on a task queue of its own, against the shared Temporal dev server.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { TestDatabase } from './database.ts';
import { createTestDatabase } from './database.ts';
import { testEnv } from './env.ts';
import type { ChildHandle } from './processes.ts';
import { ENTRY_POINTS, startNodeProcess } from './processes.ts';

export interface PlatformOptions {
  portal?: boolean;
  /** Extra environment for both processes (e.g. shorter timeouts). */
  env?: Record<string, string>;
}

export interface Platform {
  baseUrl: string;
  database: TestDatabase;
  taskQueue: string;
  temporal: Client;
  /** The worker started last. */
  readonly worker: ChildHandle;
  api: ChildHandle;
  /** Starts another worker on the same task queue; it becomes `worker`. */
  startWorker(): Promise<ChildHandle>;
  stop(): Promise<void>;
}

/** The access-token signing key of this test run. */
export const jwtPrivateKey = generateKeyPairSync('ed25519').privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string;

export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const database = await createTestDatabase();
  const taskQueue = `atrium-test-${randomBytes(4).toString('hex')}`;
  const common = {
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: testEnv.ATRIUM_TEST_TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: taskQueue,
    ...options.env,
  };
  const workerEnv = { ...common, WORKER_SHUTDOWN_GRACE_TIME: '5s' };
  const startWorker = () => startNodeProcess(ENTRY_POINTS.worker, { env: workerEnv, readyWhen: /"Worker started"/ });

  let currentWorker = await startWorker();
  const api = await startNodeProcess(ENTRY_POINTS.api, {
    env: {
      ...common,
      PORT: '0',
      PORTAL_MODE: options.portal ? 'production' : 'off',
      TEMPORAL_UI_URL: testEnv.ATRIUM_TEST_TEMPORAL_UI_URL,
      ACTIVITY_HEARTBEAT_TIMEOUT: '3s',
      ACTIVITY_START_TO_CLOSE_TIMEOUT: '60s',
      OPERATION_POLL_INTERVAL: '200ms',
      BODY_LIMIT: '16kb',
      JWT_PRIVATE_KEY: jwtPrivateKey,
      SESSION_SECRET: randomBytes(32).toString('base64url'),
      ...options.env,
    },
    readyWhen: /"url":"(http:\/\/[^"]+)"/,
  });
  const connection = await Connection.connect({ address: testEnv.ATRIUM_TEST_TEMPORAL_ADDRESS });

  const allWorkers = [currentWorker];
  return {
    baseUrl: api.ready[1] as string,
    database,
    taskQueue,
    temporal: new Client({ connection }),
    get worker() {
      return currentWorker;
    },
    api,
    async startWorker() {
      currentWorker = await startWorker();
      allWorkers.push(currentWorker);
      return currentWorker;
    },
    async stop() {
      await Promise.all([api.stop(), ...allWorkers.map((worker) => worker.stop())]);
      await connection.close();
      await database.drop();
    },
  };
}
