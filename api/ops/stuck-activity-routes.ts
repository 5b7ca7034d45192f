// /api/v1/admin/stuck-activities: the admin console's operator view of activities that keep
// failing (api/ops/stuck-activities.ts reads them from Temporal).
//   GET  /                          operator-read and operator-write
//   POST /:workflowId/retry         operator-write: ResetActivity, the activity runs now from attempt 1
//   POST /:workflowId/cancel        operator-write: a cancellation request (the workflow cleans up)
//   POST /:workflowId/terminate     operator-write, with a reason: ends the workflow at once
// The role is `users.operator_role`, read on every request like the Temporal UI proxy does, so a
// role taken away counts at once; API keys are no operators. Each action is audited on the
// platform chain in the transaction that performs it: the entry is written first, and a
// Temporal refusal rolls it back, so the log holds what was done. A workflow that has ended
// already is a 409 saying how it ended.
import { Router } from 'express';
import type { Request, Response } from 'express';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { isGrpcServiceError, WorkflowNotFoundError } from '@temporalio/client';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { StuckAction, StuckActionResult, StuckActivityList } from '../../contracts/stuck-activities.ts';
import {
  CancelStuckWorkflowRequest,
  RetryStuckActivityRequest,
  StuckActionResult as StuckActionResultSchema,
  StuckActivitiesQuery,
  StuckActivityList as StuckActivityListSchema,
  StuckWorkflowParams,
  TerminateStuckWorkflowRequest,
} from '../../contracts/stuck-activities.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { withPlatformScope } from '../../db/scope.ts';
import { TenantIdSearchAttribute } from '../../workflows/shared/operation.contract.ts';
import { addLogContext } from '../../logging/context.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams, parseQuery } from '../http/validate.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';
import type { StuckActivityScope } from './stuck-activities.ts';
import { atriumTaskQueues, findStuckActivities } from './stuck-activities.ts';

// gRPC status codes the server answers ResetActivity with.
const GRPC_NOT_FOUND = 5;
const GRPC_PERMISSION_DENIED = 7;
const GRPC_FAILED_PRECONDITION = 9;
const GRPC_UNIMPLEMENTED = 12;

type OperatorRole = 'read' | 'write';

async function operatorRoleOf(deps: ApiDeps, res: Response): Promise<OperatorRole> {
  const auth = authOf(res);
  if (auth.apiKey)
    throw new ProblemError('forbidden', 'Stuck activities are for operators; API keys are not operators.');
  const [user] = await deps.dataSource.query<Array<{ operator_role: OperatorRole | null }>>(
    `SELECT operator_role FROM users WHERE id = $1`,
    [auth.userId],
  );
  if (!user?.operator_role)
    throw new ProblemError(
      'forbidden',
      'Stuck activities are for operators: ask a platform admin for the operator-read or operator-write role.',
    );
  return user.operator_role;
}

async function requireWrite(deps: ApiDeps, res: Response, action: StuckAction): Promise<void> {
  if ((await operatorRoleOf(deps, res)) !== 'write')
    throw new ProblemError(
      'forbidden',
      `To ${action} you need operator-write: operator-read may only look. Ask a platform admin for operator-write.`,
    );
}

export function stuckActivitiesRouter(deps: ApiDeps): Router {
  const router = Router();
  router.use(requireAuth(deps.accessTokens));
  const scope: StuckActivityScope = {
    client: deps.temporal.client,
    namespace: deps.temporal.namespace,
    taskQueuePrefix: deps.temporal.taskQueuePrefix,
  };
  const ownQueues = new Set(atriumTaskQueues(deps.temporal.taskQueuePrefix));

  router.get('/', async (req, res) => {
    const operatorRole = await operatorRoleOf(deps, res);
    const { olderThan } = parseQuery(StuckActivitiesQuery, req);
    const thresholdMs = olderThan ?? deps.settings.stuckActivityThresholdMs;
    const checkedAt = new Date();
    const scan = await findStuckActivities(scope, thresholdMs, checkedAt.getTime());
    const tenantIds = [...new Set(scan.items.flatMap((item) => (item.tenantId ? [item.tenantId] : [])))];
    const slugs = new Map<string, string>();
    if (tenantIds.length > 0) {
      const rows = await withPlatformScope(deps.dataSource, (db) =>
        db.query<Array<{ id: string; slug: string }>>(`SELECT id, slug FROM tenants WHERE id = ANY($1::uuid[])`, [
          tenantIds,
        ]),
      );
      for (const row of rows) slugs.set(row.id, row.slug);
    }
    res.set('Cache-Control', 'no-store').json(
      StuckActivityListSchema.parse({
        thresholdMs,
        operatorRole,
        checkedAt: checkedAt.toISOString(),
        items: scan.items.map((item) => ({
          ...item,
          tenantSlug: item.tenantId ? (slugs.get(item.tenantId) ?? null) : null,
        })),
        scanned: scan.scanned,
        truncated: scan.truncated,
      } satisfies StuckActivityList),
    );
  });

  /** The workflow's latest run, if it is one of Atrium's and still running (404 / 409 otherwise). */
  async function runningWorkflow(workflowId: string, action: StuckAction): Promise<WorkflowExecutionDescription> {
    let description: WorkflowExecutionDescription;
    try {
      description = await deps.temporal.client.workflow.getHandle(workflowId).describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new ProblemError('notFound', `No workflow ${workflowId}.`);
      throw error;
    }
    if (!ownQueues.has(description.taskQueue)) throw new ProblemError('notFound', `No workflow ${workflowId}.`);
    if (description.status.name !== 'RUNNING')
      throw new ProblemError(
        'conflict',
        `Workflow ${workflowId} is not running (${description.status.name.toLowerCase().replaceAll('_', ' ')}${
          description.closeTime ? ` since ${description.closeTime.toISOString()}` : ''
        }): there is nothing to ${action}.`,
      );
    return description;
  }

  /** Audits `action` and performs it in one transaction: a refused action leaves no entry. */
  async function auditedAction(
    req: Request,
    res: Response,
    description: WorkflowExecutionDescription,
    action: StuckAction,
    details: { activityId: string | null; activityType: string | null; reason: string | null },
    perform: () => Promise<void>,
  ): Promise<StuckActionResult> {
    addLogContext({ workflowId: description.workflowId });
    const tenantId = description.typedSearchAttributes.get(TenantIdSearchAttribute) ?? null;
    await withPlatformScope(deps.dataSource, async (db) => {
      await appendAuditEntry(db, {
        tenantId: null,
        actor: actorOf(req, res),
        action: `stuck_activity.${action}`,
        targetType: 'workflow',
        targetId: description.workflowId,
        after: {
          workflowId: description.workflowId,
          runId: description.runId,
          workflowType: description.type,
          tenantId,
          ...details,
        },
      });
      try {
        await perform();
      } catch (error) {
        if (error instanceof WorkflowNotFoundError)
          throw new ProblemError(
            'conflict',
            `Workflow ${description.workflowId} ended meanwhile: there is nothing to ${action}.`,
          );
        throw error;
      }
    });
    deps.logger.info('Operator acted on a stuck workflow', { action, workflowId: description.workflowId, ...details });
    return {
      action,
      workflowId: description.workflowId,
      runId: description.runId,
      activityId: details.activityId,
      at: new Date().toISOString(),
    };
  }

  router.post('/:workflowId/retry', async (req, res) => {
    await requireWrite(deps, res, 'retry');
    const { workflowId } = parseParams(StuckWorkflowParams, req);
    const { activityId, reason } = parseBody(RetryStuckActivityRequest, req);
    const description = await runningWorkflow(workflowId, 'retry');
    const pending = (description.raw.pendingActivities ?? []).find((activity) => activity.activityId === activityId);
    if (!pending)
      throw new ProblemError(
        'conflict',
        `Activity ${activityId} of workflow ${workflowId} is not pending any more (it completed, or failed for good): there is nothing to retry.`,
      );
    const result = await auditedAction(
      req,
      res,
      description,
      'retry',
      { activityId, activityType: pending.activityType?.name ?? null, reason: reason ?? null },
      async () => {
        try {
          await deps.temporal.client.workflowService.resetActivity({
            namespace: deps.temporal.namespace,
            execution: { workflowId: description.workflowId, runId: description.runId },
            identity: `atrium-operator:${authOf(res).userId}`,
            id: activityId,
            // "Now" means now: an activity paused in the Temporal UI is unpaused and runs too.
            keepPaused: false,
            resetHeartbeat: false,
          });
        } catch (error) {
          if (!isGrpcServiceError(error)) throw error;
          const code = Number(error.code);
          if (code === GRPC_NOT_FOUND || code === GRPC_FAILED_PRECONDITION)
            throw new ProblemError(
              'conflict',
              `Activity ${activityId} of workflow ${workflowId} could not be reset: ${error.details}.`,
            );
          if (code === GRPC_UNIMPLEMENTED || code === GRPC_PERMISSION_DENIED)
            throw new ProblemError(
              'unavailable',
              `The Temporal server refused ResetActivity (${error.details}): its activity APIs are off or too old. Retry from the Temporal CLI (temporal activity reset) or cancel the workflow.`,
            );
          throw error;
        }
      },
    );
    res.json(StuckActionResultSchema.parse(result));
  });

  router.post('/:workflowId/cancel', async (req, res) => {
    await requireWrite(deps, res, 'cancel');
    const { workflowId } = parseParams(StuckWorkflowParams, req);
    const { reason } = parseBody(CancelStuckWorkflowRequest, req);
    const description = await runningWorkflow(workflowId, 'cancel');
    const result = await auditedAction(
      req,
      res,
      description,
      'cancel',
      { activityId: null, activityType: null, reason: reason ?? null },
      async () => {
        await deps.temporal.client.workflow.getHandle(description.workflowId, description.runId).cancel();
      },
    );
    res.status(202).json(StuckActionResultSchema.parse(result));
  });

  router.post('/:workflowId/terminate', async (req, res) => {
    await requireWrite(deps, res, 'terminate');
    const { workflowId } = parseParams(StuckWorkflowParams, req);
    const { reason } = parseBody(TerminateStuckWorkflowRequest, req);
    const description = await runningWorkflow(workflowId, 'terminate');
    const result = await auditedAction(
      req,
      res,
      description,
      'terminate',
      { activityId: null, activityType: null, reason },
      async () => {
        await deps.temporal.client.workflow
          .getHandle(description.workflowId, description.runId)
          .terminate(`${reason} (operator ${authOf(res).userId})`);
      },
    );
    res.json(StuckActionResultSchema.parse(result));
  });

  return router;
}

const workflowParams = { path: StuckWorkflowParams };

const paths: ZodOpenApiPathsObject = {
  '/api/v1/admin/stuck-activities': {
    get: {
      operationId: 'listStuckActivities',
      summary: "Activities of Atrium's running workflows retrying for longer than a threshold (operators)",
      description:
        "Running workflows on Atrium's task queues are read from Temporal's visibility store (at most 500 per request) and described; each pending activity on its second attempt or later whose first attempt was scheduled before the threshold is listed, with its tenant, operation (when the workflow is one), attempts and last failure. operator-read and operator-write.",
      security: [{ bearer: [] }],
      requestParams: { query: StuckActivitiesQuery },
      responses: {
        200: {
          description: 'The stuck activities, longest retrying first.',
          content: { 'application/json': { schema: StuckActivityListSchema } },
        },
        ...problemResponses(401, 403, 422),
      },
    },
  },
  '/api/v1/admin/stuck-activities/{workflowId}/retry': {
    post: {
      operationId: 'retryStuckActivity',
      summary: 'Run a stuck activity again now, its attempts counted from 1 (operator-write)',
      description:
        "Temporal's ResetActivity: the activity is scheduled at once instead of after its retry interval. Audited (stuck_activity.retry). 409 when the workflow has ended or the activity is no longer pending.",
      security: [{ bearer: [] }],
      requestParams: workflowParams,
      requestBody: { content: { 'application/json': { schema: RetryStuckActivityRequest } } },
      responses: {
        200: {
          description: 'The activity was reset.',
          content: { 'application/json': { schema: StuckActionResultSchema } },
        },
        ...problemResponses(401, 403, 404, 409, 422, 503),
      },
    },
  },
  '/api/v1/admin/stuck-activities/{workflowId}/cancel': {
    post: {
      operationId: 'cancelStuckWorkflow',
      summary: 'Ask a workflow with a stuck activity to cancel (operator-write)',
      description:
        'A cancellation request: the workflow cancels its activities and undoes what it did, as it was written to. Audited (stuck_activity.cancel). 409 when it has ended.',
      security: [{ bearer: [] }],
      requestParams: workflowParams,
      requestBody: { content: { 'application/json': { schema: CancelStuckWorkflowRequest } } },
      responses: {
        202: {
          description: 'Cancellation was requested.',
          content: { 'application/json': { schema: StuckActionResultSchema } },
        },
        ...problemResponses(401, 403, 404, 409, 422),
      },
    },
  },
  '/api/v1/admin/stuck-activities/{workflowId}/terminate': {
    post: {
      operationId: 'terminateStuckWorkflow',
      summary: 'Terminate a workflow with a stuck activity, with a reason (operator-write)',
      description:
        'Ends the workflow at once: nothing more runs and nothing is undone. The reason is required and recorded in Temporal and the audit log (stuck_activity.terminate). 409 when it has ended.',
      security: [{ bearer: [] }],
      requestParams: workflowParams,
      requestBody: { content: { 'application/json': { schema: TerminateStuckWorkflowRequest } } },
      responses: {
        200: {
          description: 'The workflow was terminated.',
          content: { 'application/json': { schema: StuckActionResultSchema } },
        },
        ...problemResponses(401, 403, 404, 409, 422),
      },
    },
  },
};

export const stuckActivitiesRoutes: RouteModule = routeModule('/admin/stuck-activities', stuckActivitiesRouter, paths);
