// /api/v1/tenants/:slug/secret-kind-policies: a tenant's default rotation policy per secret kind
// (docs/decisions/0039). A secret without a policy of its own is rotated at its kind's interval;
// GET lists every kind with its default (or null), PUT …/:kind sets or removes one.
//
// A change re-syncs the Temporal Schedule of every secret of the kind that follows it (no own
// policy), Schedules first: a Temporal refusal midway puts the Schedules already changed back
// and answers 503 with nothing saved. The row, the secrets' next due dates and the audit entry
// then commit in one transaction. Should that commit fail after the Schedules changed, the
// Schedules run the new interval while the row says the old; claiming reads the row, not the
// Schedule, and PUT always re-syncs every follower (also when the row is unchanged), so
// repeating the PUT converges.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { TenantPath } from '../../contracts/common.ts';
import type { SecretKind, SecretKindPolicyList as ListView } from '../../contracts/secrets.ts';
import {
  SECRET_KINDS,
  SecretKindPolicyList,
  SecretKindPolicyPath,
  SecretKindPolicyRequest,
} from '../../contracts/secrets.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import {
  findSecretKindPolicy,
  listSecretKindPolicies,
  listSecretsFollowingKind,
  saveSecretKindPolicy,
} from '../../db/repositories/secret-kind-policies.ts';
import { rescheduleSecretsFollowingKind } from '../../db/repositories/tenant-secrets.ts';
import { withTenantScope } from '../../db/scope.ts';
import { actorOf, requireAuth } from '../auth/require-auth.ts';
import type { TenantAccess } from '../auth/tenant-access.ts';
import { readInTenantScope, requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import { checkRotationPolicy, formatDuration } from '../routes/secrets.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { routeModule } from '../routes/route-module.ts';
import { syncRotationSchedule } from './schedules.ts';

const policyOf = (everySeconds: number | null) =>
  everySeconds === null ? null : { everySeconds, every: formatDuration(everySeconds * 1_000) };

function listView(deps: ApiDeps, rows: Array<{ kind: SecretKind; every_seconds: number }>): ListView {
  const byKind = new Map(rows.map((row) => [row.kind, Number(row.every_seconds)]));
  const minimumMs = deps.settings.secrets.rotationMinimumMs;
  return {
    items: SECRET_KINDS.map((kind) => ({ kind, policy: policyOf(byKind.get(kind) ?? null) })),
    minimum: formatDuration(minimumMs),
    minimumSeconds: minimumMs / 1_000,
  };
}

export function secretKindPolicyRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  /** Syncs each secret's Schedule to `everySeconds`; on a refusal, those done go back to `previous`. */
  async function syncFollowers(
    access: TenantAccess,
    kind: SecretKind,
    secretIds: string[],
    everySeconds: number | null,
    previous: number | null,
  ): Promise<void> {
    const target = (secretId: string, seconds: number | null) => ({
      tenantId: access.tenantId,
      slug: access.slug,
      secretId,
      kind,
      everySeconds: seconds,
    });
    const done: string[] = [];
    for (const secretId of secretIds) {
      try {
        await syncRotationSchedule(deps, target(secretId, everySeconds));
        done.push(secretId);
      } catch (error) {
        deps.logger.warn('Rotation schedule not updated', { secretId, kind, error: String(error) });
        for (const undo of done)
          await syncRotationSchedule(deps, target(undo, previous)).catch((undoError: unknown) =>
            deps.logger.warn('Rotation schedule not put back', { secretId: undo, error: String(undoError) }),
          );
        throw new ProblemError(
          'unavailable',
          'The rotation schedules could not be saved (Temporal did not answer); nothing changed.',
        );
      }
    }
  }

  router.get(
    '/',
    readInTenantScope(deps, 'secrets.read', async (_req, { access: { tenantId }, db }) =>
      listView(deps, await listSecretKindPolicies(db, tenantId)),
    ),
  );

  router.put('/:kind', requireTenantPermission(deps, 'secrets.manage'), async (req, res) => {
    const { kind } = parseParams(SecretKindPolicyPath, req);
    const body = parseBody(SecretKindPolicyRequest, req);
    const access = tenantAccessOf(res);
    const policy = checkRotationPolicy(deps, access, body.every === null ? null : { every: body.every }, {
      policy: 'every',
      every: 'every',
    });
    const everySeconds = policy?.everySeconds ?? null;
    const { before, followers } = await withTenantScope(deps.dataSource, access.tenantId, async (db) => ({
      before: await findSecretKindPolicy(db, access.tenantId, kind),
      followers: await listSecretsFollowingKind(db, access.tenantId, kind),
    }));
    const previous = before === null ? null : Number(before.every_seconds);
    // Always, also when unchanged: a PUT repeated after a failure converges.
    await syncFollowers(
      access,
      kind,
      followers.map((secret) => secret.id),
      everySeconds,
      previous,
    );
    const rows = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      if (previous !== everySeconds) {
        await saveSecretKindPolicy(db, { tenantId: access.tenantId, kind, everySeconds });
        await rescheduleSecretsFollowingKind(db, access.tenantId, kind);
        await appendAuditEntry(db, {
          tenantId: access.tenantId,
          actor: actorOf(req, res),
          action: 'secret.kind_policy_updated',
          targetType: 'secret_kind',
          targetId: kind,
          before: { kind, every: policyOf(previous)?.every ?? null },
          after: { kind, every: policy?.every ?? null, secretsFollowing: followers.length },
        });
      }
      return listSecretKindPolicies(db, access.tenantId);
    });
    deps.logger.info('Secret kind rotation policy saved', { kind, everySeconds, secrets: followers.length });
    res.json(listView(deps, rows) satisfies ListView);
  });

  return router;
}

const security = [{ bearer: [] }];

export const secretKindPolicyPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/secret-kind-policies': {
    get: {
      operationId: 'listSecretKindPolicies',
      summary: 'Every secret kind with its default rotation policy (or null), and the minimum interval',
      security,
      requestParams: { path: TenantPath },
      responses: {
        200: {
          description: 'One item per kind.',
          content: { 'application/json': { schema: SecretKindPolicyList } },
        },
        ...problemResponses(401, 403, 404, 422),
      },
    },
  },
  '/api/v1/tenants/{slug}/secret-kind-policies/{kind}': {
    put: {
      operationId: 'setSecretKindPolicy',
      summary: "Set or remove a kind's default rotation policy",
      description:
        'Secrets of the kind without a policy of their own are rotated at this interval by their Temporal Schedules. Needs the plan feature `secret-rotation` and at least SECRET_ROTATION_MINIMUM; `every: null` removes the default. Temporal not answering: 503, nothing changed.',
      security,
      requestParams: { path: SecretKindPolicyPath },
      requestBody: { content: { 'application/json': { schema: SecretKindPolicyRequest } } },
      responses: {
        200: {
          description: 'Every kind with its policy.',
          content: { 'application/json': { schema: SecretKindPolicyList } },
        },
        ...problemResponses(400, 401, 403, 404, 415, 422, 503),
      },
    },
  },
};

export const secretKindPolicyRoutes: RouteModule = routeModule(
  '/tenants/:slug/secret-kind-policies',
  secretKindPolicyRouter,
  secretKindPolicyPaths,
);
