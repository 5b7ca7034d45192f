// `npm start` (scripts/start.ts) against the run's PostgreSQL and Temporal: when it prints
// that the platform is running, the worker polls every family's task queue already.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Connection } from '@temporalio/client';
import { freePort } from '../../scripts/free-port.ts';
import { waitForWorkerPolling } from '../../scripts/worker-polling.ts';
import { WORKFLOW_FAMILIES } from '../../workflows/catalogue.ts';
import { familyTaskQueue } from '../../workflows/shared/task-queues.ts';
import type { TestDatabase } from '../support/database.ts';
import { createTestDatabase } from '../support/database.ts';
import { testEnv } from '../support/env.ts';
import { startNodeProcess } from '../support/processes.ts';

/** temporal.api.enums.v1.TaskQueueType */
const TASK_QUEUE_TYPES = { workflow: 1, activity: 2 } as const;

describe('npm start', () => {
  let database: TestDatabase;
  let connection: Connection;
  let dataDir: string;
  before(async () => {
    database = await createTestDatabase();
    connection = await Connection.connect({ address: testEnv.ATRIUM_TEST_TEMPORAL_ADDRESS });
    dataDir = mkdtempSync(join(tmpdir(), 'atrium-start-'));
  });
  after(async () => {
    await connection?.close();
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints that the platform is running only once the worker polls every family queue', async () => {
    const taskQueue = `atrium-test-${randomBytes(4).toString('hex')}`;
    const port = await freePort();
    const start = await startNodeProcess('scripts/start.ts', {
      env: {
        DATABASE_URL: database.url,
        DATABASE_MIGRATION_URL: database.ownerUrl,
        TEMPORAL_ADDRESS: testEnv.ATRIUM_TEST_TEMPORAL_ADDRESS,
        TEMPORAL_UI_URL: testEnv.ATRIUM_TEST_TEMPORAL_UI_URL,
        TEMPORAL_TASK_QUEUE: taskQueue,
        TEMPORAL_LEGACY_TASK_QUEUE: `${taskQueue}-legacy`,
        WORKER_SHUTDOWN_GRACE_TIME: '5s',
        ATRIUM_DATA_DIR: dataDir,
        ATRIUM_ADMIN_PASSWORD: randomBytes(12).toString('base64url'),
        HOST: '127.0.0.1',
        PORT: String(port),
        PORTAL_MODE: 'off',
      },
      readyWhen: /Atrium is running\./,
      timeoutMs: 120_000,
    });
    try {
      const unpolled: string[] = [];
      for (const family of WORKFLOW_FAMILIES)
        for (const [type, taskQueueType] of Object.entries(TASK_QUEUE_TYPES)) {
          const name = familyTaskQueue(taskQueue, family);
          const { pollers } = await connection.workflowService.describeTaskQueue({
            namespace: 'default',
            taskQueue: { name, kind: 1 /* TASK_QUEUE_KIND_NORMAL */ },
            taskQueueType,
          });
          if (!pollers?.length) unpolled.push(`${name} (${type})`);
        }
      assert.deepEqual(unpolled, [], `no poller when the banner was printed:\n${start.output().slice(-3000)}`);
      assert.match(start.output(), /Temporal gRPC\s+127\.0\.0\.1:\d+/);
    } finally {
      await start.stop();
    }
    assert.match(start.output(), /\[atrium\] Stopped\./);
  });

  it('says which queue nobody polls when the worker never does', async () => {
    const taskQueue = `atrium-test-${randomBytes(4).toString('hex')}-unpolled`;
    await assert.rejects(
      waitForWorkerPolling(connection, { pid: 1, namespace: 'default', taskQueues: [taskQueue] }, { timeoutMs: 500 }),
      (error: Error) => {
        assert.match(error.message, new RegExp(`no poll from it after 0\\.5 s on ${taskQueue} \\(workflow tasks\\)`));
        assert.match(error.message, /namespace "default"/);
        return true;
      },
    );
  });
});
