// /api/v1/tenants/:slug/secrets/:secretId/rotations and …/rotation-settings: a secret's
// rotations (each with its report: which consumers were updated and verified, and when),
// "rotate now", the confirmation of a manual rotation ("I rotated it"), and how the secret is
// rotated (the generator's shape, a verify hook per consumer, the overlap window).
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { EntityManager } from 'typeorm';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { IdempotencyKeyHeader } from '../../contracts/common.ts';
import type {
  SecretRotation as SecretRotationView,
  SecretRotationSettings as SettingsView,
} from '../../contracts/secret-rotation.ts';
import {
  DEFAULT_GENERATOR,
  OVERLAP_MAX_MS,
  OVERLAP_MIN_MS,
  RotateSecretRequest,
  SecretRotation,
  SecretRotationList,
  SecretRotationPath,
  SecretRotationSettings,
  SecretRotationSettingsRequest,
  SecretRotationStarted,
  STRATEGY_OF_KIND,
} from '../../contracts/secret-rotation.ts';
import { SecretPath } from '../../contracts/secrets.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import type { SecretRotationRow, StoredRotationSettings } from '../../db/repositories/secret-rotations.ts';
import {
  claimRotation,
  findRotation,
  listRotations,
  readRotationSettings,
  updateRotation,
  writeRotationSettings,
} from '../../db/repositories/secret-rotations.ts';
import type { TenantSecretRow } from '../../db/repositories/tenant-secrets.ts';
import { findTenantSecret } from '../../db/repositories/tenant-secrets.ts';
import { withTenantScope } from '../../db/scope.ts';
import {
  confirmManualRotationUpdate,
  ROTATE_SECRET_KIND,
  rotateSecretWorkflowId,
} from '../../workflows/secret-rotation/contract.ts';
import { planDefinition } from '../../workflows/shared/plans.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { consumeRevealGrant } from '../../db/repositories/secret-approvals.ts';
import { roleAllows } from '../auth/permissions.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import type { TenantAccess } from '../auth/tenant-access.ts';
import { readInTenantScope, requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { respondIdempotently } from '../http/idempotency.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams } from '../http/validate.ts';
import { startedOperation } from '../operations/operation-view.ts';
import { formatDuration, grantGone, usableGrant } from '../routes/secrets.ts';
import { approvalFor, refuseApiKey } from './secret-approvals.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { startRotation } from './starter.ts';

/** The overlap window when the tenant set none (activities/secret-rotation/rotate.ts says the same). */
const DEFAULT_OVERLAP_MS = 3_600_000;

export function toRotationView(row: SecretRotationRow): SecretRotationView {
  return {
    number: row.number,
    secretId: row.secret_id,
    workflowId: row.workflow_id,
    strategy: row.strategy,
    trigger: row.trigger,
    status: row.status,
    fromVersion: row.from_version,
    toVersion: row.to_version,
    overlapUntil: row.overlap_until?.toISOString() ?? null,
    dueAt: row.due_at?.toISOString() ?? null,
    report: row.report,
    message: row.message,
    requestedBy: row.requested_by_email,
    confirmedBy: row.confirmed_by_email,
    confirmedAt: row.confirmed_at?.toISOString() ?? null,
    startedAt: row.started_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}

function toSettingsView(secret: TenantSecretRow, stored: StoredRotationSettings): SettingsView {
  const overlapMs = stored.overlapMs ?? DEFAULT_OVERLAP_MS;
  return {
    strategy: STRATEGY_OF_KIND[secret.kind],
    generator: stored.generator ?? DEFAULT_GENERATOR,
    verifyHooks: stored.verifyHooks ?? {},
    overlapSeconds: Math.max(1, Math.round(overlapMs / 1_000)),
    overlap: formatDuration(overlapMs),
  };
}

const secretNotFound = (id: string) => new ProblemError('notFound', `No secret ${id} in this tenant.`);

/** Rotation needs the plan's `secret-rotation` feature. */
function requireRotationFeature(access: TenantAccess): void {
  if (!planDefinition(access.tenant.plan).features.includes('secret-rotation'))
    throw new ProblemError(
      'planFeatureMissing',
      `The ${access.tenant.plan} plan does not include secret rotation (the secret-rotation feature).`,
    );
}

export function secretRotationsRouter(deps: ApiDeps): Router {
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

  router.get(
    '/',
    readInTenantScope(deps, 'secrets.read', async (req, { access: { tenantId }, db }) => {
      const { secretId } = parseParams(SecretPath, req);
      if (!(await findTenantSecret(db, tenantId, secretId))) throw secretNotFound(secretId);
      const rows = await listRotations(db, tenantId, secretId);
      return { items: rows.map(toRotationView) } satisfies SecretRotationList;
    }),
  );

  router.post('/', requireTenantPermission(deps, 'secrets.manage'), async (req, res) => {
    const { secretId } = parseParams(SecretPath, req);
    parseBody(RotateSecretRequest, req);
    const access = tenantAccessOf(res);
    const auth = authOf(res);
    const actor = actorOf(req, res);
    await respondIdempotently(req, res, idempotency, async () => {
      // Claimed and committed first, so the workflow's first step finds its row.
      const claim = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
        const secret = await findTenantSecret(db, access.tenantId, secretId, { lock: true });
        if (!secret) throw secretNotFound(secretId);
        requireRotationFeature(access);
        const strategy = STRATEGY_OF_KIND[secret.kind];
        const claimed = await claimRotation(db, {
          id: randomUUID(),
          tenantId: access.tenantId,
          secretId,
          fromVersion: secret.current_version,
          strategy,
          trigger: 'manual',
          requestedBy: auth.apiKey ? null : auth.userId,
          workflowIdOf: (number) => rotateSecretWorkflowId(access.slug, secretId, number),
        });
        if (!claimed.claimed)
          throw new ProblemError(
            'conflict',
            `Rotation ${claimed.open.number} of this secret is still ${claimed.open.status}; it must end first.`,
          );
        await appendAuditEntry(db, {
          tenantId: access.tenantId,
          actor,
          action: 'secret.rotation_started',
          targetType: 'tenant_secret',
          targetId: secretId,
          after: { rotation: claimed.number, trigger: 'manual', strategy },
        });
        return { number: claimed.number };
      });
      const started = await startRotation(starter, {
        tenantId: access.tenantId,
        slug: access.slug,
        secretId,
        number: claim.number,
        requestedBy: actor,
        versionRetentionMs: deps.settings.secrets.versionRetentionMs,
      }).catch(async (error: unknown) => {
        // Nothing left half-applied: a rotation whose workflow did not start is closed.
        await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
          const row = await findRotation(db, access.tenantId, secretId, claim.number, { lock: true });
          if (row)
            await updateRotation(db, row.id, {
              status: 'failed',
              message: 'Its workflow did not start.',
              finished: true,
            });
        });
        throw error;
      });
      if (!started.started) throw new ProblemError('conflict', `Another operation holds ${started.workflowId}.`);
      const row = await withTenantScope(deps.dataSource, access.tenantId, (db) =>
        findRotation(db, access.tenantId, secretId, claim.number),
      );
      deps.logger.info('Secret rotation started', { secretId, rotation: claim.number, workflowId: started.workflowId });
      return {
        status: 202,
        body: {
          rotation: toRotationView(row!),
          operation: startedOperation(
            {
              workflowId: started.workflowId,
              runId: started.runId,
              kind: ROTATE_SECRET_KIND,
              tenantId: access.tenantId,
            },
            view,
          ),
        } satisfies SecretRotationStarted,
      };
    });
  });

  router.get(
    '/:number',
    readInTenantScope(deps, 'secrets.read', async (req, { access: { tenantId }, db }) => {
      const { secretId, number } = parseParams(SecretRotationPath, req);
      const row = await findRotation(db, tenantId, secretId, number);
      if (!row) throw new ProblemError('notFound', `Secret ${secretId} has no rotation ${number}.`);
      return toRotationView(row) satisfies SecretRotationView;
    }),
  );

  router.post('/:number/confirm', requireTenantPermission(deps, 'secrets.manage'), async (req, res) => {
    const { secretId, number } = parseParams(SecretRotationPath, req);
    const access = tenantAccessOf(res);
    const row = await withTenantScope(deps.dataSource, access.tenantId, (db) =>
      findRotation(db, access.tenantId, secretId, number),
    );
    if (!row) throw new ProblemError('notFound', `Secret ${secretId} has no rotation ${number}.`);
    if (row.status !== 'waiting_confirmation')
      throw new ProblemError('conflict', `Rotation ${number} is ${row.status}: it is not waiting for a confirmation.`);
    try {
      await deps.temporal.client.workflow
        .getHandle(row.workflow_id)
        .executeUpdate(confirmManualRotationUpdate, { args: [{ actor: actorOf(req, res) }] });
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError)
        throw new ProblemError('conflict', `Rotation ${number} is not waiting for a confirmation any more.`);
      throw error;
    }
    const confirmed = await withTenantScope(deps.dataSource, access.tenantId, (db) =>
      findRotation(db, access.tenantId, secretId, number),
    );
    res.json(toRotationView(confirmed!) satisfies SecretRotationView);
  });

  return router;
}

/**
 * A verify hook receives every new value of the secret (`Authorization: Bearer <value>`), so
 * adding one or pointing one elsewhere is a reveal: it needs `secrets.reveal`, and for a secret
 * whose environment asks for approvals (docs/decisions/0035) the caller's approved reveal grant,
 * which the change uses up. Without this, a member who may rotate but not reveal could send the
 * next value to an address of theirs. Removing a hook reveals nothing. Returns the grant to use up.
 */
async function authorizeHookChanges(
  db: EntityManager,
  access: TenantAccess,
  mayReveal: boolean,
  actor: AuditActor,
  secret: TenantSecretRow,
  before: StoredRotationSettings,
  body: { verifyHooks?: Record<string, string>; grant?: number },
): Promise<number | null> {
  const changed = Object.entries(body.verifyHooks ?? {})
    .filter(([consumer, url]) => before.verifyHooks?.[consumer] !== url)
    .map(([consumer]) => consumer);
  if (changed.length === 0) {
    if (body.grant !== undefined)
      throw new ProblemError('validation', 'No verify hook is added or changed: there is nothing to use a grant on.', {
        errors: [{ path: 'grant', message: 'Leave it out.' }],
      });
    return null;
  }
  const errorsFor = (message: string) => changed.map((consumer) => ({ path: `verifyHooks.${consumer}`, message }));
  if (!mayReveal)
    throw new ProblemError(
      'forbidden',
      `Your role "${access.role}" does not allow secrets.reveal, which a verify hook needs: it receives every new value.`,
      { errors: errorsFor('Ask an owner or admin to set this hook.') },
    );
  const protection = await approvalFor(db, access.tenantId, secret.environment);
  if (!protection) return null;
  refuseApiKey(actor, 'A verify hook');
  if (body.grant === undefined)
    throw new ProblemError(
      'conflict',
      `A verify hook receives the values of this ${secret.environment} secret, so it needs an approved reveal: ask for one (POST …/reveal) and, once approved, send its number as \`grant\`.`,
      { errors: [{ path: 'grant', message: 'Name your approved reveal request.' }, ...errorsFor('Needs a grant.')] },
    );
  await usableGrant(db, access.tenantId, secret.id, body.grant, actor);
  return body.grant;
}

export function secretRotationSettingsRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  router.get(
    '/',
    readInTenantScope(deps, 'secrets.read', async (req, { access: { tenantId }, db }) => {
      const { secretId } = parseParams(SecretPath, req);
      const secret = await findTenantSecret(db, tenantId, secretId);
      if (!secret) throw secretNotFound(secretId);
      return toSettingsView(secret, await readRotationSettings(db, secretId)) satisfies SettingsView;
    }),
  );

  router.put('/', requireTenantPermission(deps, 'secrets.manage'), async (req, res) => {
    const { secretId } = parseParams(SecretPath, req);
    const body = parseBody(SecretRotationSettingsRequest, req);
    const access = tenantAccessOf(res);
    const errors: Array<{ path: string; message: string }> = [];
    if (
      body.overlap !== undefined &&
      (body.overlap < OVERLAP_MIN_MS || body.overlap > OVERLAP_MAX_MS || body.overlap % 1_000 !== 0)
    )
      errors.push({ path: 'overlap', message: 'Must be whole seconds, at least 1s and at most 30d.' });
    for (const [consumer, url] of Object.entries(body.verifyHooks ?? {})) {
      try {
        await deps.outboundGuard.resolve(new URL(url).hostname);
      } catch {
        errors.push({ path: `verifyHooks.${consumer}`, message: 'Atrium may not call this address.' });
      }
    }
    const actor = actorOf(req, res);
    const auth = authOf(res);
    // As requireTenantPermission decides: platform admins (not their API keys) hold every permission.
    const mayReveal = (auth.platformAdmin && !auth.apiKey) || roleAllows(access.role, 'secrets.reveal');
    const updated = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const secret = await findTenantSecret(db, access.tenantId, secretId, { lock: true });
      if (!secret) throw secretNotFound(secretId);
      for (const consumer of Object.keys(body.verifyHooks ?? {}))
        if (!secret.consumers.includes(consumer))
          errors.push({ path: `verifyHooks.${consumer}`, message: "Not one of the secret's consumers." });
      if (errors.length > 0)
        throw new ProblemError('validation', 'The rotation settings are invalid; see `errors`.', { errors });
      const before = await readRotationSettings(db, secretId);
      const grant = await authorizeHookChanges(db, access, mayReveal, actor, secret, before, body);
      const next: StoredRotationSettings = {
        ...before,
        ...(body.generator ? { generator: body.generator } : {}),
        ...(body.verifyHooks ? { verifyHooks: body.verifyHooks } : {}),
        ...(body.overlap !== undefined ? { overlapMs: body.overlap } : {}),
      };
      if (JSON.stringify(next) === JSON.stringify(before)) return toSettingsView(secret, next);
      await writeRotationSettings(db, secretId, next);
      if (
        grant &&
        !(await consumeRevealGrant(db, { tenantId: access.tenantId, secretId, number: grant, userId: actor.id }))
      )
        throw grantGone(grant);
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor,
        action: 'secret.rotation_settings_changed',
        targetType: 'tenant_secret',
        targetId: secretId,
        before: { ...before },
        after: { ...next, ...(grant ? { grant } : {}) },
      });
      return toSettingsView(secret, next);
    });
    res.json(updated satisfies SettingsView);
  });

  return router;
}

const security = [{ bearer: [] }];

export const secretRotationPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/secrets/{secretId}/rotations': {
    get: {
      operationId: 'listSecretRotations',
      summary: "A secret's rotations, newest first, each with its report of consumers updated and verified",
      security,
      requestParams: { path: SecretPath },
      responses: {
        200: { description: 'The rotations.', content: { 'application/json': { schema: SecretRotationList } } },
        ...problemResponses(401, 403, 404, 422),
      },
    },
    post: {
      operationId: 'rotateSecret',
      summary: 'Rotate now (starts rotateSecret; needs the plan feature `secret-rotation`)',
      description:
        'Kinds without a rotation strategy yet (database-password, signing-key) are refused with a 422 naming the kind; a secret whose rotation is still open answers 409.',
      security,
      requestParams: { path: SecretPath, header: IdempotencyKeyHeader },
      requestBody: { content: { 'application/json': { schema: RotateSecretRequest } } },
      responses: {
        202: { description: 'Started.', content: { 'application/json': { schema: SecretRotationStarted } } },
        ...problemResponses(400, 401, 403, 404, 409, 415, 422),
      },
    },
  },
  '/api/v1/tenants/{slug}/secrets/{secretId}/rotations/{number}': {
    get: {
      operationId: 'getSecretRotation',
      summary: 'One rotation and its report',
      security,
      requestParams: { path: SecretRotationPath },
      responses: {
        200: { description: 'The rotation.', content: { 'application/json': { schema: SecretRotation } } },
        ...problemResponses(401, 403, 404, 422),
      },
    },
  },
  '/api/v1/tenants/{slug}/secrets/{secretId}/rotations/{number}/confirm': {
    post: {
      operationId: 'confirmSecretRotation',
      summary: '"I rotated it": confirm a manual rotation (kinds Atrium cannot rotate itself)',
      security,
      requestParams: { path: SecretRotationPath },
      responses: {
        200: {
          description: 'Confirmed; the rotation names who confirmed.',
          content: { 'application/json': { schema: SecretRotation } },
        },
        ...problemResponses(401, 403, 404, 409, 422),
      },
    },
  },
};

export const secretRotationSettingsPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/secrets/{secretId}/rotation-settings': {
    get: {
      operationId: 'getSecretRotationSettings',
      summary: 'How the secret is rotated: strategy, generator, verify hooks, overlap window',
      security,
      requestParams: { path: SecretPath },
      responses: {
        200: { description: 'The settings.', content: { 'application/json': { schema: SecretRotationSettings } } },
        ...problemResponses(401, 403, 404, 422),
      },
    },
    put: {
      operationId: 'setSecretRotationSettings',
      summary:
        'Set the generator, the verify hook of each consumer and the overlap window. A hook receives every new value, so adding or changing one needs secrets.reveal and, for a secret whose environment asks for approvals, the caller’s approved reveal grant (409 without, 410 when used or expired)',
      security,
      requestParams: { path: SecretPath },
      requestBody: { content: { 'application/json': { schema: SecretRotationSettingsRequest } } },
      responses: {
        200: { description: 'The settings.', content: { 'application/json': { schema: SecretRotationSettings } } },
        ...problemResponses(400, 401, 403, 404, 409, 410, 415, 422),
      },
    },
  },
};

export const secretRotationRoutes: RouteModule = {
  mounts: [
    { path: '/tenants/:slug/secrets/:secretId/rotations', router: secretRotationsRouter },
    { path: '/tenants/:slug/secrets/:secretId/rotation-settings', router: secretRotationSettingsRouter },
  ],
  paths: { ...secretRotationPaths, ...secretRotationSettingsPaths },
};
