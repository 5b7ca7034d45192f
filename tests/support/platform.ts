// The whole platform for a test file: its own database, a worker and the API (with or
// without the portal) on a task queue of its own, against the shared Temporal dev server.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { createAccessTokens } from '../../api/auth/access-tokens.ts';
import { createDataSource } from '../../db/data-source.ts';
import { createUserIfAbsent } from '../../db/repositories/users.ts';
import { WORKFLOW_FAMILIES } from '../../workflows/catalogue.ts';
import { familyTaskQueue } from '../../workflows/shared/task-queues.ts';
import type { TestDatabase } from './database.ts';
import { createTestDatabase } from './database.ts';
import { testEnv } from './env.ts';
import type { ChildHandle } from './processes.ts';
import { ENTRY_POINTS, startNodeProcess } from './processes.ts';

export interface TestUser {
  userId: string;
  email: string;
  password: string;
  /**
   * `Authorization: Bearer <access token>` for the user, valid for the whole test file (signed
   * with the run's key, so it does not depend on the platform's ACCESS_TOKEN_TTL).
   */
  headers: Record<string, string>;
}

export interface PlatformOptions {
  portal?: boolean;
  /** Extra environment for both processes (e.g. shorter timeouts). */
  env?: Record<string, string>;
  /** Extra environment for the worker only (e.g. the real servers: see workerEnvFor in servers.ts). */
  workerEnv?: Record<string, string>;
  /** A Temporal server of the file's own (the chaos suite restarts it); the run's shared one when absent. */
  temporalAddress?: string;
}

export interface Platform {
  baseUrl: string;
  database: TestDatabase;
  /** TEMPORAL_TASK_QUEUE of this platform: the prefix of its families' queues. */
  taskQueue: string;
  /** Every family's task queue (`<prefix>-<family>`). */
  taskQueues: string[];
  /** The pre-family queue this platform's worker drains (its own, so test files never share one). */
  legacyTaskQueue: string;
  temporal: Client;
  /** The worker started last. */
  readonly worker: ChildHandle;
  api: ChildHandle;
  /** A platform admin seeded in this database, signed in: tenants and operations need one. */
  admin: TestUser;
  /** Starts another worker on the same task queue; it becomes `worker`. */
  startWorker(): Promise<ChildHandle>;
  /** Starts another API process with the same settings (database, secret store, queues); stopped with the rest. */
  startApi(): Promise<{ api: ChildHandle; baseUrl: string }>;
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
  const temporalAddress = options.temporalAddress ?? testEnv.ATRIUM_TEST_TEMPORAL_ADDRESS;
  const common = {
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    // No hourly metering reconciliation unless a test asks for it (its runs would appear in
    // other tests' operation lists); the metering test turns it on.
    METERING_SCHEDULE: 'off',
    // An offboarding's final reconciliation waits this long before reading back what it
    // reported (10 minutes by default); tests that need the default's behaviour say so.
    METERING_SETTLING_DELAY: '1s',
    ...options.env,
  };
  const legacyTaskQueue = `${taskQueue}-legacy`;
  const workerEnv = {
    ...common,
    WORKER_SHUTDOWN_GRACE_TIME: '5s',
    TEMPORAL_LEGACY_TASK_QUEUE: legacyTaskQueue,
    ...options.workerEnv,
  };
  const startWorker = () => startNodeProcess(ENTRY_POINTS.worker, { env: workerEnv, readyWhen: /"Worker started"/ });

  let currentWorker = await startWorker();
  const apiEnv = {
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
  };
  const startApi = () =>
    startNodeProcess(ENTRY_POINTS.api, {
      env: apiEnv,
      readyWhen: /"url":"(http:\/\/[^"]+)"/,
    });
  // A platform that fails half-way stops what it started: a worker left running would keep the
  // test file alive after its failure.
  const api = await startApi().catch(async (error: unknown) => {
    await currentWorker.kill();
    await database.drop().catch(() => {});
    throw error;
  });
  const moreApis: ChildHandle[] = [];
  const connection = await Connection.connect({ address: temporalAddress });
  const baseUrl = api.ready[1] as string;
  const admin = await seedUser(database, { email: 'staff@platform.test', platformAdmin: true });

  const allWorkers = [currentWorker];
  return {
    baseUrl,
    database,
    admin,
    taskQueue,
    taskQueues: WORKFLOW_FAMILIES.map((family) => familyTaskQueue(taskQueue, family)),
    legacyTaskQueue,
    temporal: new Client({ connection }),
    get worker() {
      return currentWorker;
    },
    api,
    async startApi() {
      const another = await startApi();
      moreApis.push(another);
      return { api: another, baseUrl: another.ready[1] as string };
    },
    async startWorker() {
      currentWorker = await startWorker();
      allWorkers.push(currentWorker);
      return currentWorker;
    },
    async stop() {
      await Promise.all([
        api.stop(),
        ...moreApis.map((another) => another.stop()),
        ...allWorkers.map((worker) => worker.stop()),
      ]);
      await connection.close();
      await database.drop();
    },
  };
}

/** Long-lived access tokens for seeded users, made by the API's own signing code and key. */
const testTokens = createAccessTokens({
  privateKeyPem: jwtPrivateKey,
  issuer: 'atrium',
  audience: 'atrium-api',
  ttlMs: 4 * 3_600_000,
});

/**
 * Creates a user in the test database (as the owner) with a random password, and an access
 * token for them. (Signing in through the API is what tests/integration/auth.test.ts tests.)
 */
export async function seedUser(
  database: TestDatabase,
  user: { email: string; platformAdmin?: boolean; displayName?: string; emailVerified?: boolean },
): Promise<TestUser> {
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  const owner = createDataSource({ url: database.ownerUrl, applicationName: 'atrium-test-seed', poolSize: 1 });
  await owner.initialize();
  let userId: string | null;
  try {
    userId = await createUserIfAbsent(owner, {
      email: user.email,
      displayName: user.displayName ?? user.email.split('@')[0]!,
      password,
      isPlatformAdmin: user.platformAdmin ?? false,
    });
  } finally {
    await owner.destroy();
  }
  if (!userId) throw new Error(`seedUser: ${user.email} exists already`);
  if (user.emailVerified ?? true)
    await database.query(`UPDATE users SET email_verified_at = now() WHERE id = $1`, [userId]);
  const token = await (await testTokens).sign({ userId, platformAdmin: user.platformAdmin ?? false });
  return { userId, email: user.email, password, headers: { authorization: `Bearer ${token}` } };
}
