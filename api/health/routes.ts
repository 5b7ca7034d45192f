// GET /api/v1/admin/health: the platform's dependencies for platform admins (the portal's
// /admin/health page). Always 200 with each component's state: a component being down is
// the answer, not an error of this route. Everyone else: 403 (401 without a token).
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import type { TaskQueueHealth } from '../../contracts/health.ts';
import { PlatformHealth } from '../../contracts/health.ts';
import { poolStats } from '../../db/data-source.ts';
import { authOf, requireAuth } from '../auth/require-auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { describeTaskQueues } from './task-queues.ts';

export const HEALTH_CHECK_TIMEOUT_MS = 3_000;

function adminHealthRouter(deps: ApiDeps): Router {
  const router = Router();
  router.use(requireAuth(deps.accessTokens));

  router.get('/', async (_req, res) => {
    const auth = authOf(res);
    if (!auth.platformAdmin || auth.apiKey)
      throw new ProblemError('forbidden', 'Only platform admins see the platform’s health.');
    const [components, taskQueues, metrics] = await Promise.all([
      deps.health.check(),
      describeTaskQueues(deps.temporal.client, {
        namespace: deps.temporal.namespace,
        taskQueuePrefix: deps.temporal.taskQueuePrefix,
        timeoutMs: HEALTH_CHECK_TIMEOUT_MS,
      }).catch((): TaskQueueHealth[] | null => null),
      deps.metrics.summary(),
    ]);
    const pool = poolStats(deps.dataSource);
    const degraded =
      components.some((component) => component.status === 'down') ||
      taskQueues === null ||
      taskQueues.some((queue) => queue.workflowPollers === 0 || queue.activityPollers === 0);
    res.set('Cache-Control', 'no-store').json(
      PlatformHealth.parse({
        status: degraded ? 'degraded' : 'up',
        checkedAt: new Date().toISOString(),
        components,
        taskQueues,
        metrics: {
          ...metrics,
          databasePool: pool ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } : null,
          history: deps.metricsHistory.history(),
        },
      }),
    );
  });
  return router;
}

const paths: ZodOpenApiPathsObject = {
  '/api/v1/admin/health': {
    get: {
      operationId: 'getPlatformHealth',
      summary: 'Each dependency of the platform: up or down, latency, last error (platform admins)',
      description:
        'PostgreSQL, Temporal, the secret store, billing, the cluster and SMTP are checked at the time of the request (3 s each at most), and each family’s task queue’s pollers are read from Temporal; with the key numbers of the API process that answers and their history per interval over the last window (each API process keeps its own). A component that is down is reported, never answered with a 5xx.',
      responses: {
        200: { description: 'The platform’s health.', content: { 'application/json': { schema: PlatformHealth } } },
        ...problemResponses(401, 403),
      },
    },
  },
};

export const adminHealthRoutes: RouteModule = {
  mounts: [{ path: '/admin/health', router: adminHealthRouter }],
  paths,
};
