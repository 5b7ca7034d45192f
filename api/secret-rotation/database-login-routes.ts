// /api/v1/tenants/:slug/database-login: a tenant's database login (docs/decisions/0032, 0036),
// for platform admins only (the platform's credentials, not the tenant's: `tenant.lifecycle`,
// which no tenant role has). GET shows which of the tenant's two logins is current, when it was
// rotated, the rotation under way, the rotation policy and the rotations (from the audit log);
// POST …/rotations starts rotateDatabaseLogin now (409 while one is open); PUT and DELETE
// …/policy set and remove the policy its Temporal Schedule runs. Every change is audited; never
// a password.
import { Router } from 'express';
import type { Response } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { TenantPath } from '../../contracts/common.ts';
import { OperationStarted } from '../../contracts/operations.ts';
import type { DatabaseLoginRotation } from '../../contracts/secret-rotation.ts';
import { DatabaseLoginOverview, DatabaseLoginPolicyRequest } from '../../contracts/secret-rotation.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import {
  deleteDatabaseLoginPolicy,
  findDatabaseLoginPolicy,
  upsertDatabaseLoginPolicy,
} from '../../db/repositories/database-login-policies.ts';
import type { DatabaseLoginPolicyRow } from '../../db/repositories/database-login-policies.ts';
import { readTenantResources } from '../../db/repositories/tenant-resources.ts';
import { withTenantScope } from '../../db/scope.ts';
import {
  databaseLoginRotationPath,
  databaseLoginScheduleId,
  ROTATE_DATABASE_LOGIN_KIND,
  rotateDatabaseLoginWorkflowId,
} from '../../workflows/secret-rotation/contract.ts';
import { actorOf, requireAuth } from '../auth/require-auth.ts';
import { requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody } from '../http/validate.ts';
import { startedOperation } from '../operations/operation-view.ts';
import { formatDuration } from '../routes/secrets.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';
import { describeSchedule } from '../schedules/index.ts';
import { syncDatabaseLoginSchedule } from './database-login-schedule.ts';
import { startDatabaseLoginRotation } from './database-login-starter.ts';

/** The longest policy accepted (ten years), as for secrets. */
const MAX_POLICY_MS = 3650 * 86_400_000;
/** How many rotations the overview lists. */
const HISTORY_LIMIT = 20;

const ROTATION_ACTIONS = [
  'tenant.database_login_rotation_started',
  'tenant.database_login_consumers_verified',
  'tenant.database_login_switched',
  'tenant.database_login_disabled',
  'tenant.database_login_rotation_rolled_back',
];

interface AuditRow {
  action: string;
  occurred_at: Date;
  actor_type: string;
  target_id: string | null;
  after: Record<string, unknown> | null;
}

/** The tenant's rotations, newest first, as the rotation activities audited them. */
function rotationsOf(slug: string, rows: AuditRow[]): DatabaseLoginRotation[] {
  const byId = new Map<string, DatabaseLoginRotation>();
  for (const row of rows) {
    const rotationId = typeof row.after?.rotation === 'string' ? row.after.rotation : null;
    if (!rotationId) continue;
    const at = row.occurred_at.toISOString();
    let rotation = byId.get(rotationId);
    if (!rotation) {
      rotation = {
        rotationId,
        operationId: rotateDatabaseLoginWorkflowId(slug, rotationId),
        trigger: 'schedule',
        startedAt: at,
        switchedAt: null,
        endedAt: null,
        outcome: 'running',
        fromLogin: null,
        toLogin: null,
        report: [],
        reason: null,
      };
      byId.set(rotationId, rotation);
    }
    const after = row.after ?? {};
    switch (row.action) {
      case 'tenant.database_login_rotation_started':
        rotation.trigger = row.actor_type === 'system' ? 'schedule' : 'admin';
        rotation.fromLogin = typeof after.current === 'string' ? after.current : null;
        rotation.toLogin = row.target_id;
        break;
      case 'tenant.database_login_consumers_verified':
        rotation.report = Array.isArray(after.consumers)
          ? (after.consumers as Array<{ consumer: string; outcome: string }>).map(({ consumer, outcome }) => ({
              consumer: String(consumer),
              outcome: String(outcome),
              at,
            }))
          : [];
        break;
      case 'tenant.database_login_switched':
        rotation.switchedAt = at;
        break;
      case 'tenant.database_login_disabled':
        rotation.endedAt = at;
        rotation.outcome = 'completed';
        break;
      case 'tenant.database_login_rotation_rolled_back':
        rotation.endedAt = at;
        rotation.outcome = rotation.toLogin ? 'rolled_back' : 'failed';
        rotation.reason = typeof after.reason === 'string' ? after.reason : null;
        break;
    }
  }
  return [...byId.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt)).slice(0, HISTORY_LIMIT);
}

export function databaseLoginRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens));
  router.use(requireTenantPermission(deps, 'tenant.lifecycle'));

  /** The open rotation's id (its working state exists), or null; never its password. */
  async function openRotation(slug: string): Promise<string | null> {
    const pending = await deps.secretStore.read(databaseLoginRotationPath(slug));
    return pending?.data.rotationId ?? null;
  }

  async function policyView(slug: string, row: DatabaseLoginPolicyRow | null) {
    if (!row) return null;
    const schedule = await describeSchedule(deps.temporal.client, databaseLoginScheduleId(slug)).catch(() => null);
    return {
      every: formatDuration(row.every_seconds * 1_000),
      everySeconds: row.every_seconds,
      updatedAt: row.updated_at.toISOString(),
      nextDueAt: schedule && !schedule.paused ? (schedule.nextActionTimes[0] ?? null) : null,
    };
  }

  async function overview(res: Response): Promise<DatabaseLoginOverview> {
    const { tenantId, slug } = tenantAccessOf(res);
    const state = await withTenantScope(deps.dataSource, tenantId, async (db) => ({
      resources: await readTenantResources(db, tenantId),
      policy: await findDatabaseLoginPolicy(db, tenantId),
      audit: await db.query<AuditRow[]>(
        `SELECT action, occurred_at, actor_type, target_id, after FROM audit_log
         WHERE tenant_id = $1 AND action = ANY($2) ORDER BY id`,
        [tenantId, ROTATION_ACTIONS],
      ),
    }));
    const rotations = rotationsOf(slug, state.audit);
    const open = await openRotation(slug);
    const lastSwitch = rotations.find((rotation) => rotation.switchedAt !== null);
    return {
      currentLogin: state.resources.databaseRole,
      rotatedAt: lastSwitch?.switchedAt ?? null,
      rotating: open ? { rotationId: open, operationId: rotateDatabaseLoginWorkflowId(slug, open) } : null,
      policy: await policyView(slug, state.policy),
      minimumEvery: formatDuration(deps.settings.secrets.rotationMinimumMs),
      rotations,
    };
  }

  router.get('/', async (_req, res) => {
    res.json((await overview(res)) satisfies DatabaseLoginOverview);
  });

  router.post('/rotations', async (req, res) => {
    const access = tenantAccessOf(res);
    if (access.tenant.status !== 'active')
      throw new ProblemError(
        'conflict',
        `Only an active tenant's login can be rotated; "${access.slug}" is ${access.tenant.status}.`,
      );
    // The workflow refuses too (its first step); this answers at once instead of a failed operation.
    const open = await openRotation(access.slug);
    if (open)
      throw new ProblemError(
        'conflict',
        `Rotation ${open} of this tenant's database login is under way; wait for it to end.`,
      );
    const actor = actorOf(req, res);
    const started = await startDatabaseLoginRotation(deps, access, actor);
    if (!started.started) throw new ProblemError('conflict', `Another tenant's operation holds ${started.workflowId}.`);
    await withTenantScope(deps.dataSource, access.tenantId, (db) =>
      appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor,
        action: 'tenant.database_login_rotation_requested',
        targetType: 'database_login_rotation',
        targetId: started.workflowId,
        after: { rotation: started.rotationId },
      }),
    );
    deps.logger.info('Database login rotation started', { workflowId: started.workflowId });
    const operation = startedOperation(
      {
        workflowId: started.workflowId,
        runId: started.runId,
        kind: ROTATE_DATABASE_LOGIN_KIND,
        tenantId: access.tenantId,
      },
      { client: deps.temporal.client, namespace: deps.temporal.namespace, temporalUiUrl: deps.temporal.uiPath },
    );
    res
      .status(202)
      .location(operation.links.self)
      .json({ operation } satisfies OperationStarted);
  });

  router.put('/policy', async (req, res) => {
    const { every } = parseBody(DatabaseLoginPolicyRequest, req);
    const minimum = deps.settings.secrets.rotationMinimumMs;
    if (every < minimum || every > MAX_POLICY_MS || every % 1_000 !== 0)
      throw new ProblemError('validation', 'The rotation policy is out of range.', {
        errors: [
          { path: 'every', message: `Must be whole seconds, at least ${formatDuration(minimum)} and at most 3650d.` },
        ],
      });
    const access = tenantAccessOf(res);
    const actor = actorOf(req, res);
    const everySeconds = every / 1_000;
    // The Schedule first: if Temporal refuses, nothing is recorded and the answer says so.
    await syncDatabaseLoginSchedule(deps, { tenantId: access.tenantId, slug: access.slug, everySeconds });
    await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const { before } = await upsertDatabaseLoginPolicy(db, {
        tenantId: access.tenantId,
        everySeconds,
        updatedBy: actor.type === 'user' ? actor.id : null,
      });
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor,
        action: 'tenant.database_login_policy_set',
        targetType: 'database_login_policy',
        targetId: access.tenantId,
        before: before ? { everySeconds: before.every_seconds } : null,
        after: { everySeconds },
      });
    });
    res.json((await overview(res)) satisfies DatabaseLoginOverview);
  });

  router.delete('/policy', async (req, res) => {
    const access = tenantAccessOf(res);
    const actor = actorOf(req, res);
    await syncDatabaseLoginSchedule(deps, { tenantId: access.tenantId, slug: access.slug, everySeconds: null });
    await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const removed = await deleteDatabaseLoginPolicy(db, access.tenantId);
      if (removed)
        await appendAuditEntry(db, {
          tenantId: access.tenantId,
          actor,
          action: 'tenant.database_login_policy_removed',
          targetType: 'database_login_policy',
          targetId: access.tenantId,
          before: { everySeconds: removed.every_seconds },
          after: null,
        });
    });
    res.status(204).end();
  });

  return router;
}

const overviewAnswer = {
  description: "The tenant's database login, its policy and its rotations.",
  content: { 'application/json': { schema: DatabaseLoginOverview } },
};

export const databaseLoginPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/database-login': {
    get: {
      operationId: 'getDatabaseLogin',
      summary:
        "The tenant's database login: which login is current, its rotations and rotation policy (platform admins)",
      requestParams: { path: TenantPath },
      responses: { 200: overviewAnswer, ...problemResponses(401, 403, 404) },
    },
  },
  '/api/v1/tenants/{slug}/database-login/rotations': {
    post: {
      operationId: 'startDatabaseLoginRotation',
      summary: "Rotate the tenant's database login now (platform admins); one rotation at a time",
      requestParams: { path: TenantPath },
      responses: {
        202: {
          description: 'Started; follow the operation.',
          content: { 'application/json': { schema: OperationStarted } },
        },
        ...problemResponses(401, 403, 404, 409),
      },
    },
  },
  '/api/v1/tenants/{slug}/database-login/policy': {
    put: {
      operationId: 'setDatabaseLoginPolicy',
      summary: "Set the tenant's database login rotation policy, run by a Temporal Schedule (platform admins)",
      requestParams: { path: TenantPath },
      requestBody: { content: { 'application/json': { schema: DatabaseLoginPolicyRequest } } },
      responses: { 200: overviewAnswer, ...problemResponses(400, 401, 403, 404, 422) },
    },
    delete: {
      operationId: 'deleteDatabaseLoginPolicy',
      summary: "Remove the tenant's database login rotation policy and its Schedule (platform admins)",
      requestParams: { path: TenantPath },
      responses: { 204: { description: 'Removed (or there was none).' }, ...problemResponses(401, 403, 404) },
    },
  },
};

export const databaseLoginRoutes: RouteModule = routeModule(
  '/tenants/:slug/database-login',
  databaseLoginRouter,
  databaseLoginPaths,
);
