// /api/v1/tenants/:slug/environments: a tenant's environments (docs/decisions/0019).
//
//   GET    /               the environments in order, with the plan's limit and how many exist
//   GET    /:environment   one environment
//   POST   /               create: checks the plan's `environments` limit (counted under the
//                          plan-limit lock, so two creates cannot both take the last place), the
//                          name (unique per tenant) and the secret references, records the
//                          environment as creating and starts `environment-create/<slug>/<name>`
//   PATCH  /:environment   replace its configuration and/or protection
//   DELETE /:environment   delete: refused for the last environment; records it as deleting and
//                          starts `environment-delete/<slug>/<name>`
import { Router } from 'express';
import type { EntityManager } from 'typeorm';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { IdempotencyKeyHeader, TenantPath } from '../../contracts/common.ts';
import type {
  Environment,
  EnvironmentConfiguration,
  EnvironmentList,
  EnvironmentStarted,
} from '../../contracts/environments.ts';
import {
  CreateEnvironmentRequest,
  Environment as EnvironmentSchema,
  EnvironmentList as EnvironmentListSchema,
  EnvironmentPath,
  EnvironmentStarted as EnvironmentStartedSchema,
  UpdateEnvironmentRequest,
} from '../../contracts/environments.ts';
import type { FieldError } from '../../contracts/problems.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import type { EnvironmentRow } from '../../db/repositories/tenant-environments.ts';
import {
  countEnvironments,
  findEnvironment,
  insertEnvironment,
  listEnvironments,
  liveSecretNames,
  updateEnvironment,
} from '../../db/repositories/tenant-environments.ts';
import { withTenantScope } from '../../db/scope.ts';
import { tenantNamespaceName } from '../../integrations/cluster/port.ts';
import {
  CREATE_ENVIRONMENT_KIND,
  createEnvironmentWorkflowId,
  DELETE_ENVIRONMENT_KIND,
  deleteEnvironmentWorkflowId,
} from '../../workflows/environments/contract.ts';
import { planDefinition } from '../../workflows/shared/plans.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import { readInTenantScope, requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import { lockPlanLimit, refuseOverPlanLimit } from '../billing/plan-limits.ts';
import type { ApiDeps } from '../deps.ts';
import { respondIdempotently } from '../http/idempotency.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import { startedOperation } from '../operations/operation-view.ts';
import { wakeHeldPromotion } from '../promotions/wake-held.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';
import { startCreateEnvironment, startDeleteEnvironment } from './starters.ts';

export function toEnvironmentView(slug: string, row: EnvironmentRow): Environment {
  return {
    name: row.name,
    position: row.position,
    namespace: tenantNamespaceName(slug, row.name),
    status: row.status,
    statusDetail: row.status_detail,
    configuration: row.configuration,
    protection: row.protection,
    operationId: row.operation_id,
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    updatedAt: row.updated_at.toISOString(),
    updatedBy: row.updated_by,
  };
}

/** Each secret reference must name a live tenant secret of the environment: 422 on the reference otherwise. */
async function checkSecretRefs(
  db: EntityManager,
  tenantId: string,
  environment: string,
  configuration: EnvironmentConfiguration | undefined,
): Promise<void> {
  if (!configuration || configuration.secretRefs.length === 0) return;
  const known = await liveSecretNames(db, tenantId, environment);
  const errors: FieldError[] = configuration.secretRefs.flatMap((name, index) =>
    known.has(name.toLowerCase())
      ? []
      : [
          {
            path: `configuration.secretRefs.${index}`,
            message: `There is no secret "${name}" in environment "${environment}"; create it under Secrets first.`,
          },
        ],
  );
  if (errors.length > 0)
    throw new ProblemError('validation', 'A secret reference names no secret of this environment; see `errors`.', {
      errors,
    });
}

export function environmentsRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));
  const idempotency = { dataSource: deps.dataSource, ttlMs: deps.settings.idempotencyKeyTtlMs };
  const starter = {
    client: deps.temporal.client,
    taskQueuePrefix: deps.temporal.taskQueuePrefix,
    timings: deps.settings.activityTimings,
  };
  const view = {
    client: deps.temporal.client,
    namespace: deps.temporal.namespace,
    temporalUiUrl: deps.temporal.uiPath,
  };
  const terminate = (workflowId: string | undefined, reason: string) =>
    workflowId
      ? deps.temporal.client.workflow
          .getHandle(workflowId)
          .terminate(reason)
          .catch(() => undefined)
      : Promise.resolve();

  router.get(
    '/',
    readInTenantScope(deps, 'environments.read', async (_req, { access, db }) => {
      const rows = await listEnvironments(db, access.tenantId);
      return {
        items: rows.map((row) => toEnvironmentView(access.slug, row)),
        limit: planDefinition(access.tenant.plan).limits.environments,
        used: rows.length,
      } satisfies EnvironmentList;
    }),
  );

  router.get(
    '/:environment',
    readInTenantScope(deps, 'environments.read', async (req, { access, db }) => {
      const { environment } = parseParams(EnvironmentPath, req);
      const row = await findEnvironment(db, access.tenantId, environment);
      if (!row) throw new ProblemError('notFound', `No environment "${environment}" in this tenant.`);
      return toEnvironmentView(access.slug, row) satisfies Environment;
    }),
  );

  router.post('/', requireTenantPermission(deps, 'environments.manage'), async (req, res) => {
    const body = parseBody(CreateEnvironmentRequest, req);
    const access = tenantAccessOf(res);
    const auth = authOf(res);
    await respondIdempotently(req, res, idempotency, async () => {
      const workflowId = createEnvironmentWorkflowId(access.slug, body.name);
      const startedRun: { workflowId?: string } = {};
      const { row, started } = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
        await lockPlanLimit(db, access.tenantId, 'environments');
        refuseOverPlanLimit(access.tenant.plan, 'environments', await countEnvironments(db, access.tenantId), {
          path: 'name',
        });
        if (await findEnvironment(db, access.tenantId, body.name))
          throw new ProblemError('conflict', `The tenant has an environment "${body.name}" already.`, {
            errors: [{ path: 'name', message: 'Choose a name no other environment of the tenant has.' }],
          });
        await checkSecretRefs(db, access.tenantId, body.name, body.configuration);
        const row = await insertEnvironment(db, {
          tenant_id: access.tenantId,
          name: body.name,
          status: 'creating',
          configuration: body.configuration,
          protection: body.protection,
          operation_id: workflowId,
          created_by: auth.apiKey ? null : auth.userId,
        });
        const started = await startCreateEnvironment(starter, {
          tenantId: access.tenantId,
          slug: access.slug,
          environment: body.name,
          requestedBy: actorOf(req, res),
        });
        if (!started.started) throw new ProblemError('conflict', `Another operation holds ${started.workflowId}.`);
        startedRun.workflowId = started.workflowId;
        await appendAuditEntry(db, {
          tenantId: access.tenantId,
          actor: actorOf(req, res),
          action: 'environment.create_requested',
          targetType: 'environment',
          targetId: body.name,
          after: {
            position: row.position,
            configuration: body.configuration,
            protection: body.protection,
            operation: workflowId,
          },
        });
        return { row, started };
      }).catch(async (error: unknown) => {
        // Nothing half-applied: a started workflow whose environment did not commit is called off.
        await terminate(startedRun.workflowId, 'its environment was not recorded');
        throw error;
      });
      deps.logger.info('Environment creation started', { workflowId, environment: body.name });
      return {
        status: 202,
        headers: { Location: `/api/v1/tenants/${access.slug}/environments/${body.name}` },
        body: {
          environment: toEnvironmentView(access.slug, row),
          operation: startedOperation(
            { workflowId, runId: started.runId, kind: CREATE_ENVIRONMENT_KIND, tenantId: access.tenantId },
            view,
          ),
        } satisfies EnvironmentStarted,
      };
    });
  });

  router.patch('/:environment', requireTenantPermission(deps, 'environments.manage'), async (req, res) => {
    const { environment } = parseParams(EnvironmentPath, req);
    const body = parseBody(UpdateEnvironmentRequest, req);
    const access = tenantAccessOf(res);
    const auth = authOf(res);
    const row = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const current = await findEnvironment(db, access.tenantId, environment, { lock: true });
      if (!current) throw new ProblemError('notFound', `No environment "${environment}" in this tenant.`);
      if (current.status === 'deleting')
        throw new ProblemError('conflict', `Environment "${environment}" is being deleted; it can no longer change.`);
      await checkSecretRefs(db, access.tenantId, environment, body.configuration);
      const updated = (await updateEnvironment(db, access.tenantId, environment, {
        ...(body.configuration ? { configuration: body.configuration } : {}),
        ...(body.protection ? { protection: body.protection } : {}),
        updated_by: auth.apiKey ? null : auth.userId,
      }))!;
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'environment.updated',
        targetType: 'environment',
        targetId: environment,
        before: {
          ...(body.configuration ? { configuration: current.configuration } : {}),
          ...(body.protection ? { protection: current.protection } : {}),
        },
        after: {
          ...(body.configuration ? { configuration: updated.configuration } : {}),
          ...(body.protection ? { protection: updated.protection } : {}),
        },
      });
      return updated;
    });
    // A freeze lifted or a soak time shortened lets a held promotion go on now.
    if (body.protection)
      await wakeHeldPromotion(
        { dataSource: deps.dataSource, client: deps.temporal.client },
        access.tenantId,
        environment,
      );
    res.json(toEnvironmentView(access.slug, row) satisfies Environment);
  });

  router.delete('/:environment', requireTenantPermission(deps, 'environments.manage'), async (req, res) => {
    const { environment } = parseParams(EnvironmentPath, req);
    const access = tenantAccessOf(res);
    const workflowId = deleteEnvironmentWorkflowId(access.slug, environment);
    const startedRun: { workflowId?: string } = {};
    const { row, started } = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      // The same lock as creates: two deletes at once cannot both leave the other as the last.
      await lockPlanLimit(db, access.tenantId, 'environments');
      const current = await findEnvironment(db, access.tenantId, environment, { lock: true });
      if (!current) throw new ProblemError('notFound', `No environment "${environment}" in this tenant.`);
      if (current.status === 'creating')
        throw new ProblemError(
          'conflict',
          `Environment "${environment}" is still being created; delete it once its operation has ended.`,
        );
      if (current.status !== 'deleting' && (await countEnvironments(db, access.tenantId)) <= 1)
        throw new ProblemError('conflict', `"${environment}" is the tenant's last environment; it cannot be deleted.`, {
          errors: [{ path: 'environment', message: 'A tenant keeps at least one environment.' }],
        });
      const started = await startDeleteEnvironment(starter, {
        tenantId: access.tenantId,
        slug: access.slug,
        environment,
        requestedBy: actorOf(req, res),
      });
      if (!started.started) throw new ProblemError('conflict', `Another operation holds ${started.workflowId}.`);
      if (current.status === 'deleting') return { row: current, started };
      startedRun.workflowId = started.workflowId;
      const row = (await updateEnvironment(db, access.tenantId, environment, {
        status: 'deleting',
        status_detail: null,
        operation_id: workflowId,
      }))!;
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'environment.delete_requested',
        targetType: 'environment',
        targetId: environment,
        before: { status: current.status },
        after: { status: 'deleting', operation: workflowId },
      });
      return { row, started };
    }).catch(async (error: unknown) => {
      await terminate(startedRun.workflowId, 'its environment was not marked as deleting');
      throw error;
    });
    res.status(202).json({
      environment: toEnvironmentView(access.slug, row),
      operation: startedOperation(
        { workflowId, runId: started.runId, kind: DELETE_ENVIRONMENT_KIND, tenantId: access.tenantId },
        view,
      ),
    } satisfies EnvironmentStarted);
  });

  return router;
}

export const environmentsPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/environments': {
    get: {
      operationId: 'listEnvironments',
      summary: "The tenant's environments, in order",
      security: [{ bearer: [] }],
      requestParams: { path: TenantPath },
      responses: {
        200: {
          description: "The environments, the plan's limit and how many exist.",
          content: { 'application/json': { schema: EnvironmentListSchema } },
        },
        ...problemResponses(401, 403, 404),
      },
    },
    post: {
      operationId: 'createEnvironment',
      summary: 'Create an environment (starts createEnvironment)',
      description:
        "Checks the plan's `environments` limit (problem `plan-limit-reached` on `name`), that the name is free (409 on `name`) and that each secret reference names a secret of the environment (422 on the reference), records the environment as `creating` after the tenant's last one and starts `environment-create/<slug>/<name>`, which makes its namespace `tenant-<slug>-<name>`.",
      security: [{ bearer: [] }],
      requestParams: { path: TenantPath, header: IdempotencyKeyHeader },
      requestBody: { content: { 'application/json': { schema: CreateEnvironmentRequest } } },
      responses: {
        202: {
          description: 'Started: the environment (creating) and its operation.',
          content: { 'application/json': { schema: EnvironmentStartedSchema } },
        },
        ...problemResponses(400, 401, 403, 404, 409, 422),
      },
    },
  },
  '/api/v1/tenants/{slug}/environments/{environment}': {
    get: {
      operationId: 'getEnvironment',
      summary: 'One environment',
      security: [{ bearer: [] }],
      requestParams: { path: EnvironmentPath },
      responses: {
        200: { description: 'The environment.', content: { 'application/json': { schema: EnvironmentSchema } } },
        ...problemResponses(401, 403, 404, 422),
      },
    },
    patch: {
      operationId: 'updateEnvironment',
      summary: "Replace an environment's configuration and/or protection",
      security: [{ bearer: [] }],
      requestParams: { path: EnvironmentPath },
      requestBody: { content: { 'application/json': { schema: UpdateEnvironmentRequest } } },
      responses: {
        200: {
          description: 'The environment as it is now.',
          content: { 'application/json': { schema: EnvironmentSchema } },
        },
        ...problemResponses(400, 401, 403, 404, 409, 422),
      },
    },
    delete: {
      operationId: 'deleteEnvironment',
      summary: 'Delete an environment and its namespace (starts deleteEnvironment)',
      description:
        "Refused (409) for the tenant's last environment and for one still being created. Records it as `deleting` and starts `environment-delete/<slug>/<name>`; once its namespace is gone the environment is deleted and its name free again.",
      security: [{ bearer: [] }],
      requestParams: { path: EnvironmentPath },
      responses: {
        202: {
          description: 'Started: the environment (deleting) and its operation.',
          content: { 'application/json': { schema: EnvironmentStartedSchema } },
        },
        ...problemResponses(401, 403, 404, 409, 422),
      },
    },
  },
};

export const environmentsRoutes: RouteModule = routeModule(
  '/tenants/:slug/environments',
  environmentsRouter,
  environmentsPaths,
);
