// POST /api/v1/admin/metering/runs: a platform admin starts a reconciliation run now (after
// fixing what made one fail, or to re-run windows: docs/operations.md). Audited.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { MeteringRunStarted } from '../../contracts/metering.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { withPlatformScope } from '../../db/scope.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { startMeteringReconciliation } from './starter.ts';

export function meteringRunRouter(deps: ApiDeps): Router {
  const router = Router();
  router.use(requireAuth(deps.accessTokens));
  router.post('/', async (req, res) => {
    const auth = authOf(res);
    if (!auth.platformAdmin || auth.apiKey)
      throw new ProblemError('forbidden', 'Only platform admins start metering reconciliation runs.');
    const result = await startMeteringReconciliation(deps, new Date());
    await withPlatformScope(deps.dataSource, (db) =>
      appendAuditEntry(db, {
        tenantId: null,
        actor: actorOf(req, res),
        action: 'metering.run_started',
        targetType: 'metering_run',
        targetId: result.workflowId,
      }),
    );
    res.status(202).json({ workflowId: result.workflowId, started: result.started } satisfies MeteringRunStarted);
  });
  return router;
}

const paths: ZodOpenApiPathsObject = {
  '/api/v1/admin/metering/runs': {
    post: {
      operationId: 'startMeteringReconciliation',
      summary: 'Start a metering reconciliation run now (platform admins); runs are idempotent',
      responses: {
        202: { description: 'Started.', content: { 'application/json': { schema: MeteringRunStarted } } },
        ...problemResponses(401, 403),
      },
    },
  },
};

export const meteringRunRoutes: RouteModule = {
  mounts: [{ path: '/admin/metering/runs', router: meteringRunRouter }],
  paths,
};
