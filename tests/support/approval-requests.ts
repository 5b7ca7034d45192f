// Real approval requests for the policy and delegation tests: an in-process worker runs the
// stand-in workflow (./approval-workflows.ts) with the real approval activities on the
// platform's database, so each request is opened, stored and audited by the gate and decided
// through the API (its assertion verified by the workflow's validators) as any other.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { createApprovalActivities } from '../../activities/approvals/index.ts';
import { createDataSource } from '../../db/data-source.ts';
import { createLogMailer } from '../../integrations/mail/log.ts';
import { createLogger } from '../../logging/logger.ts';
import type { ApprovalPolicy, RequestAttributes } from '../../workflows/approvals/policy.ts';
import type { ApprovalStandInInput } from './approval-workflows.ts';
import { testEnv } from './env.ts';
import type { Platform } from './platform.ts';

export interface ApprovalRequester {
  /** Starts a stand-in workflow and returns its stored request's id once it takes decisions. */
  open(input: {
    tenantId: string;
    requesterId: string | null;
    label: string;
    attributes: RequestAttributes;
    policy: ApprovalPolicy;
  }): Promise<{ requestId: string; workflowId: string }>;
  /** The workflow's result (after the request closed). */
  result(workflowId: string): Promise<{ status: string; reason: string | null }>;
  stop(): Promise<void>;
}

export async function startApprovalRequester(platform: Platform): Promise<ApprovalRequester> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const taskQueue = `${platform.taskQueue}-approval-stand-in`;
  const dataSource: DataSource = createDataSource({
    url: platform.database.url,
    applicationName: 'atrium-test-approvals',
    poolSize: 2,
  });
  await dataSource.initialize();
  const logger = createLogger({ level: 'warn', service: 'atrium-test' });
  const connection = await NativeConnection.connect({ address: testEnv.ATRIUM_TEST_TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./approval-workflows.ts', import.meta.url)),
    activities: createApprovalActivities({
      dataSource,
      mailer: createLogMailer({ logger, from: 'atrium@test' }),
      publicUrl: 'http://portal.atrium.test',
    }),
  });
  const running = worker.run();
  const started: string[] = [];
  return {
    async open(input) {
      const workflowId = `approval-stand-in/${randomBytes(6).toString('hex')}`;
      await platform.temporal.workflow.start('approvalStandIn', {
        taskQueue,
        workflowId,
        args: [input satisfies ApprovalStandInInput],
      });
      started.push(workflowId);
      for (let i = 0; i < 300; i += 1) {
        const rows = await platform.database.query<{ id: string }>(
          `SELECT id FROM approval_requests WHERE workflow_id = $1`,
          [workflowId],
        );
        if (rows[0]) return { requestId: rows[0].id, workflowId };
        await sleep(100);
      }
      throw new Error(`${workflowId} never opened its approval request`);
    },
    result: (workflowId) => platform.temporal.workflow.getHandle(workflowId).result(),
    async stop() {
      // Requests left open would outlive the test on the shared dev server.
      for (const workflowId of started)
        await platform.temporal.workflow
          .getHandle(workflowId)
          .terminate('test over')
          .catch(() => undefined);
      worker.shutdown();
      await running;
      await connection.close();
      await dataSource.destroy();
    },
  };
}
