// /api/v1/tenants/:slug/secrets: the secrets a tenant keeps with Atrium. The metadata lives
// in PostgreSQL (tenant_secrets, under row-level security); each value lives in the secret
// store (Vault/OpenBao or the local encrypted store) at `tenants/<slug>/secrets/<id>`, one
// store version per secret version. A value leaves the API only through the reveal route,
// which has its own permission and writes an audit entry before answering. Replaced and
// deleted values are kept for SECRET_VERSION_RETENTION, then destroyed.
//
// Synchronous like API keys and webhook endpoints: each change is one store write and one
// transaction. The value is written first, to a version no row names yet; the row then
// points at it. Should the transaction fail, the written version is never served (reveals
// read the store version the row names) and is destroyed with the secret.
//
// Except for production secrets (docs/decisions/0035): when the secret's environment's approval
// policy asks for an approval, a new value is staged at a store version no row names and a
// workflow waits for the approval (api/secret-rotation/secret-approvals.ts); a reveal waits
// likewise, and once approved its requester reveals once with the grant.
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Request, Response } from 'express';
import type { EntityManager } from 'typeorm';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { TenantPath } from '../../contracts/common.ts';
import type {
  Secret as SecretView,
  SecretApprovalStarted as SecretApprovalStartedView,
  SecretDetail as SecretDetailView,
  SecretRotationSchedule,
  SecretVersion,
} from '../../contracts/secrets.ts';
import {
  CreateSecretRequest,
  NewSecretVersionRequest,
  RevealedSecret,
  RevealSecretRequest,
  Secret,
  SecretDetail,
  SecretList,
  SecretListQuery,
  SecretApprovalStarted,
  SecretPath,
  SecretVersionList,
  UpdateSecretRequest,
} from '../../contracts/secrets.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import type { SecretApprovalRow } from '../../db/repositories/secret-approvals.ts';
import { consumeRevealGrant, findSecretApproval } from '../../db/repositories/secret-approvals.ts';
import type { TenantSecretRow, TenantSecretVersionRow } from '../../db/repositories/tenant-secrets.ts';
import {
  addTenantSecretVersion,
  deleteTenantSecret,
  findTenantSecret,
  findTenantSecretVersion,
  insertTenantSecret,
  listTenantSecrets,
  listTenantSecretVersions,
  updateTenantSecret,
} from '../../db/repositories/tenant-secrets.ts';
import { withTenantScope } from '../../db/scope.ts';
import { planDefinition } from '../../workflows/shared/plans.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import { purgeExpiredSecretVersions } from '../secret-retention.ts';
import { approvalFor, refuseApiKey, startSecretApproval } from '../secret-rotation/secret-approvals.ts';
import { syncRotationSchedule } from '../secret-rotation/schedules.ts';
import { describeSchedule, ScheduleNotFound } from '../schedules/index.ts';
import { rotationScheduleId } from '../../workflows/secret-rotation/contract.ts';
import type { TenantAccess } from '../auth/tenant-access.ts';
import { readInTenantScope, requireTenantPermission, tenantAccessOf } from '../auth/tenant-access.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseParams, parseQuery } from '../http/validate.ts';
import { secretStoreProblem } from './sso-connection.ts';
import type { RouteModule } from './route-module.ts';
import { routeModule } from './route-module.ts';

/** The longest rotation policy accepted (ten years): anything longer is "never". */
const MAX_ROTATION_MS = 3650 * 86_400_000;

export function tenantSecretPath(slug: string, secretId: string): string {
  return `tenants/${slug}/secrets/${secretId}`;
}

/** The largest unit that divides the duration exactly: 86400000 → `1d`, 90000 → `90s`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** The policy the secret's Schedule runs: its own, else its kind's default (docs/decisions/0039). */
function effectivePolicyOf(row: TenantSecretRow): SecretView['effectivePolicy'] {
  if (row.rotation_every_seconds !== null && row.rotation_every !== null)
    return { everySeconds: Number(row.rotation_every_seconds), every: row.rotation_every, source: 'secret' };
  if (row.effective_every_seconds === null) return null;
  const everySeconds = Number(row.effective_every_seconds);
  return { everySeconds, every: formatDuration(everySeconds * 1_000), source: 'kind' };
}

function toView(row: TenantSecretRow): SecretView {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    environment: row.environment,
    description: row.description,
    version: row.current_version,
    consumers: row.consumers,
    rotationPolicy:
      row.rotation_every_seconds === null || row.rotation_every === null
        ? null
        : { everySeconds: Number(row.rotation_every_seconds), every: row.rotation_every },
    effectivePolicy: effectivePolicyOf(row),
    createdBy: row.created_by_email,
    createdAt: row.created_at.toISOString(),
    rotatedAt: row.rotated_at?.toISOString() ?? null,
    nextRotationAt: row.next_rotation_at?.toISOString() ?? null,
  };
}

function toVersionView(row: TenantSecretVersionRow, secret: TenantSecretRow): SecretVersion {
  return {
    version: row.version,
    current: row.version === secret.current_version,
    createdBy: row.created_by_email,
    createdAt: row.created_at.toISOString(),
    supersededAt: row.superseded_at?.toISOString() ?? null,
    retainedUntil: row.retain_until?.toISOString() ?? null,
    purgedAt: row.purged_at?.toISOString() ?? null,
  };
}

/** What the audit log keeps of a secret: its metadata, never a value. */
function audited(row: TenantSecretRow): Record<string, unknown> {
  const view = toView(row);
  return {
    name: view.name,
    kind: view.kind,
    environment: view.environment,
    description: view.description,
    version: view.version,
    consumers: view.consumers,
    rotationPolicy: view.rotationPolicy?.every ?? null,
  };
}

const secretNotFound = (id: string) => new ProblemError('notFound', `No secret ${id} in this tenant.`);

/**
 * The rotation policy as seconds and text, or the problem refusing it: the tenant's plan must
 * include `secret-rotation`, and the interval must be at least SECRET_ROTATION_MINIMUM.
 * `field` names the request's field in the problem (a kind's default policy: `every`).
 */
export function checkRotationPolicy(
  deps: ApiDeps,
  access: TenantAccess,
  policy: { every: number } | null,
  field: { policy: string; every: string } = { policy: 'rotationPolicy', every: 'rotationPolicy.every' },
): { everySeconds: number; every: string } | null {
  if (policy === null) return null;
  if (!planDefinition(access.tenant.plan).features.includes('secret-rotation'))
    throw new ProblemError(
      'planFeatureMissing',
      `The ${access.tenant.plan} plan does not include rotation policies (secret-rotation).`,
      { errors: [{ path: field.policy, message: 'Upgrade the plan, or leave the rotation policy out.' }] },
    );
  const minimum = deps.settings.secrets.rotationMinimumMs;
  if (policy.every < minimum || policy.every > MAX_ROTATION_MS || policy.every % 1_000 !== 0)
    throw new ProblemError('validation', 'The rotation policy is out of range.', {
      errors: [
        {
          path: field.every,
          message: `Must be whole seconds, at least ${formatDuration(minimum)} and at most 3650d.`,
        },
      ],
    });
  return { everySeconds: policy.every / 1_000, every: formatDuration(policy.every) };
}

export const grantGone = (number: number) =>
  new ProblemError('revealGrantGone', `Reveal grant ${number} was used already or has expired.`, {
    errors: [{ path: 'grant', message: 'Ask for another reveal: it needs a new approval.' }],
  });

/**
 * The caller's approved, unused, unexpired reveal grant (docs/decisions/0035), or the problem
 * saying why not. Not used up here: the reveal's audit transaction uses it.
 */
export async function usableGrant(
  db: EntityManager,
  tenantId: string,
  secretId: string,
  number: number,
  actor: AuditActor,
): Promise<SecretApprovalRow> {
  const row = await findSecretApproval(db, { tenantId, secretId, kind: 'reveal', number });
  if (!row)
    throw new ProblemError('notFound', `Secret ${secretId} has no reveal request ${number}.`, {
      errors: [{ path: 'grant', message: 'Name the number of your approved reveal request.' }],
    });
  if (row.requested_by !== actor.id || actor.type !== 'user')
    throw new ProblemError('forbidden', `Reveal grant ${number} is not yours: only its requester may use it.`, {
      errors: [{ path: 'grant', message: 'Ask for a reveal of your own.' }],
    });
  if (row.status === 'awaiting-approval')
    throw new ProblemError('conflict', `Reveal request ${number} still waits for its approval.`, {
      errors: [{ path: 'grant', message: 'Wait until an approver has approved it.' }],
    });
  if (row.status !== 'granted')
    throw new ProblemError('conflict', `Reveal request ${number} was not approved (${row.status}).`, {
      errors: [{ path: 'grant', message: row.detail ?? 'Ask for another reveal.' }],
    });
  if (row.grant_used_at || !row.grant_expires_at || row.grant_expires_at.getTime() <= Date.now())
    throw grantGone(number);
  return row;
}

export function secretsRouter(deps: ApiDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireAuth(deps.accessTokens, { apiKeys: deps.dataSource }));

  /**
   * Makes the Temporal Schedule match the secret's effective policy, its own or else its kind's
   * (api/secret-rotation/schedules.ts). Called inside the change's transaction: if Temporal does
   * not answer, nothing is saved.
   */
  async function syncSchedule(access: TenantAccess, row: TenantSecretRow): Promise<void> {
    await syncRotationSchedule(deps, {
      tenantId: access.tenantId,
      slug: access.slug,
      secretId: row.id,
      kind: row.kind,
      everySeconds: row.effective_every_seconds === null ? null : Number(row.effective_every_seconds),
    }).catch((error: unknown) => {
      deps.logger.warn('Rotation schedule not updated', { secretId: row.id, error: String(error) });
      throw new ProblemError(
        'unavailable',
        'The rotation schedule could not be saved (Temporal did not answer); nothing changed.',
      );
    });
  }

  /**
   * The policy's Schedule as Temporal has it: its next due times. A page must not fail because
   * Temporal does not answer, so that is `unavailable` (and logged), not an error.
   */
  async function scheduleOf(slug: string, row: TenantSecretRow): Promise<SecretRotationSchedule> {
    const none: SecretRotationSchedule = { state: 'none', paused: false, nextRotations: [] };
    if (row.effective_every_seconds === null) return none;
    try {
      const status = await describeSchedule(deps.temporal.client, rotationScheduleId(slug, row.id));
      return { state: 'scheduled', paused: status.paused, nextRotations: status.nextActionTimes };
    } catch (error) {
      if (error instanceof ScheduleNotFound) return none;
      deps.logger.warn('Rotation schedule not described', { secretId: row.id, error: String(error) });
      return { state: 'unavailable', paused: false, nextRotations: [] };
    }
  }

  const retainUntil = () => new Date(Date.now() + deps.settings.secrets.versionRetentionMs);

  /** After a change: values past their retention go (a failure is logged, never the request's). */
  async function purgeAfterChange(tenantId: string): Promise<void> {
    await purgeExpiredSecretVersions(deps, tenantId).catch((error: unknown) =>
      deps.logger.warn('Expired secret versions not destroyed yet', { error: String(error) }),
    );
  }

  router.get(
    '/',
    readInTenantScope(deps, 'secrets.read', async (req, { access: { tenantId }, db }) => {
      const query = parseQuery(SecretListQuery, req);
      const rows = await listTenantSecrets(db, tenantId, query.environment);
      return { items: rows.map(toView) } satisfies SecretList;
    }),
  );

  router.post('/', requireTenantPermission(deps, 'secrets.manage'), async (req, res) => {
    const body = parseBody(CreateSecretRequest, req);
    const access = tenantAccessOf(res);
    const rotation = checkRotationPolicy(deps, access, body.rotationPolicy);
    const id = randomUUID();
    const storePath = tenantSecretPath(access.slug, id);
    // A new path (cas 0), written before any row names it.
    const { version: storeVersion } = await deps.secretStore
      .write(storePath, { value: body.value }, { cas: 0 })
      .catch(secretStoreProblem);
    const created = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const inserted = await insertTenantSecret(db, {
        id,
        tenantId: access.tenantId,
        name: body.name,
        kind: body.kind,
        environment: body.environment,
        description: body.description,
        storePath,
        storeVersion,
        consumers: body.consumers,
        rotation,
        createdBy: authOf(res).userId,
      });
      if (!inserted) return null;
      const row = (await findTenantSecret(db, access.tenantId, id))!;
      if (row.effective_every_seconds !== null) await syncSchedule(access, row);
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'secret.created',
        targetType: 'tenant_secret',
        targetId: id,
        after: audited(row),
      });
      return row;
    }).catch(async (error: unknown) => {
      await deps.secretStore.destroy(storePath).catch(() => undefined);
      throw error;
    });
    if (!created) {
      await deps.secretStore.destroy(storePath).catch(() => undefined);
      throw new ProblemError(
        'conflict',
        `A secret named "${body.name}" exists already in the ${body.environment} environment.`,
        { errors: [{ path: 'name', message: 'Choose a name no secret of this environment has.' }] },
      );
    }
    deps.logger.info('Secret created', { secretId: id, kind: created.kind, environment: created.environment });
    await purgeAfterChange(access.tenantId);
    res
      .status(201)
      .location(`/api/v1/tenants/${access.slug}/secrets/${id}`)
      .json(toView(created) satisfies SecretView);
  });

  router.get(
    '/:secretId',
    readInTenantScope(deps, 'secrets.read', async (req, { access: { tenantId, slug }, db }) => {
      const { secretId } = parseParams(SecretPath, req);
      const row = await findTenantSecret(db, tenantId, secretId);
      if (!row) throw secretNotFound(secretId);
      return { ...toView(row), schedule: await scheduleOf(slug, row) } satisfies SecretDetailView;
    }),
  );

  router.patch('/:secretId', requireTenantPermission(deps, 'secrets.manage'), async (req, res) => {
    const { secretId } = parseParams(SecretPath, req);
    const body = parseBody(UpdateSecretRequest, req);
    const access = tenantAccessOf(res);
    const rotation =
      body.rotationPolicy === undefined ? undefined : checkRotationPolicy(deps, access, body.rotationPolicy);
    const updated = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const current = await findTenantSecret(db, access.tenantId, secretId, { lock: true });
      if (!current) throw secretNotFound(secretId);
      const currentRotation =
        current.rotation_every_seconds === null || current.rotation_every === null
          ? null
          : { everySeconds: Number(current.rotation_every_seconds), every: current.rotation_every };
      const next = {
        description: body.description ?? current.description,
        consumers: body.consumers ?? current.consumers,
        rotation: rotation === undefined ? currentRotation : rotation,
      };
      const unchanged =
        next.description === current.description &&
        next.consumers.join('\n') === current.consumers.join('\n') &&
        next.rotation?.everySeconds === currentRotation?.everySeconds;
      if (unchanged) return current;
      await updateTenantSecret(db, secretId, next);
      const row = (await findTenantSecret(db, access.tenantId, secretId))!;
      if (row.effective_every_seconds !== current.effective_every_seconds) await syncSchedule(access, row);
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'secret.updated',
        targetType: 'tenant_secret',
        targetId: secretId,
        before: audited(current),
        after: audited(row),
      });
      return row;
    });
    await purgeAfterChange(access.tenantId);
    res.json(toView(updated) satisfies SecretView);
  });

  router.post('/:secretId/versions', requireTenantPermission(deps, 'secrets.manage'), async (req, res) => {
    const { secretId } = parseParams(SecretPath, req);
    const body = parseBody(NewSecretVersionRequest, req);
    const access = tenantAccessOf(res);
    const { before, protection } = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const row = await findTenantSecret(db, access.tenantId, secretId);
      if (!row) throw secretNotFound(secretId);
      return { before: row, protection: await approvalFor(db, access.tenantId, row.environment) };
    });
    const actor = actorOf(req, res);
    if (protection) refuseApiKey(actor, 'A new value');
    // Outside any transaction (no row lock held while the store answers); nothing reads this
    // store version until the row below names it. A production secret's value is staged here,
    // and named by a version only once approved (docs/decisions/0035).
    const { version: storeVersion } = await deps.secretStore
      .write(before.store_path, { value: body.value })
      .catch(secretStoreProblem);
    if (protection) {
      const started = await startSecretApproval(deps, {
        access,
        secret: before,
        protection,
        actor,
        change: { kind: 'change', stagedStoreVersion: storeVersion },
      }).catch(async (error: unknown) => {
        await deps.secretStore.destroyVersions(before.store_path, [storeVersion]).catch(() => undefined);
        throw error;
      });
      res
        .status(202)
        .location(started.operation.links.self)
        .json(started satisfies SecretApprovalStartedView);
      return;
    }
    const updated = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const current = await findTenantSecret(db, access.tenantId, secretId, { lock: true });
      if (!current) throw secretNotFound(secretId);
      const version = await addTenantSecretVersion(db, current, {
        storeVersion,
        createdBy: authOf(res).userId,
        retainUntil: retainUntil(),
      });
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'secret.version_added',
        targetType: 'tenant_secret',
        targetId: secretId,
        before: { version: current.current_version },
        after: { version },
      });
      return (await findTenantSecret(db, access.tenantId, secretId))!;
    });
    deps.logger.info('Secret version added', { secretId, version: updated.current_version });
    await purgeAfterChange(access.tenantId);
    res.status(201).json(toView(updated) satisfies SecretView);
  });

  router.get(
    '/:secretId/versions',
    readInTenantScope(deps, 'secrets.read', async (req, { access: { tenantId }, db }) => {
      const { secretId } = parseParams(SecretPath, req);
      const secret = await findTenantSecret(db, tenantId, secretId);
      if (!secret) throw secretNotFound(secretId);
      const versions = await listTenantSecretVersions(db, secretId);
      return {
        secret: toView(secret),
        items: versions.map((row) => toVersionView(row, secret)),
      } satisfies SecretVersionList;
    }),
  );

  router.post('/:secretId/reveal', requireTenantPermission(deps, 'secrets.reveal'), async (req, res) => {
    const { secretId } = parseParams(SecretPath, req);
    const body = parseBody(RevealSecretRequest, req);
    const access = tenantAccessOf(res);
    const actor = actorOf(req, res);
    const found = await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const secret = await findTenantSecret(db, access.tenantId, secretId);
      if (!secret) throw secretNotFound(secretId);
      // A production secret's reveal: with an approved grant, its version; without, an approval first.
      const grant =
        body.grant === undefined ? null : await usableGrant(db, access.tenantId, secretId, body.grant, actor);
      if (grant && body.version !== undefined && body.version !== grant.reveal_version)
        throw new ProblemError('validation', `Reveal grant ${body.grant} is for version ${grant.reveal_version}.`, {
          errors: [{ path: 'version', message: 'Leave it out, or name the version the grant is for.' }],
        });
      const protection = grant ? null : await approvalFor(db, access.tenantId, secret.environment);
      const version = await findTenantSecretVersion(
        db,
        secretId,
        grant?.reveal_version ?? body.version ?? secret.current_version,
      );
      return { secret, version, grant, protection };
    });
    const { secret, version, grant, protection } = found;
    if (!version)
      throw new ProblemError('notFound', `Secret ${secretId} has no version ${body.version}.`, {
        errors: [{ path: 'version', message: `Choose a version from 1 to ${secret.current_version}.` }],
      });
    const purged = () =>
      new ProblemError('secretVersionPurged', `Version ${version.version} of this secret was destroyed.`, {
        errors: [{ path: 'version', message: 'Its retention period has ended; reveal a newer version.' }],
      });
    if (version.purged_at) throw purged();
    if (protection) {
      refuseApiKey(actor, 'A reveal');
      const started = await startSecretApproval(deps, {
        access,
        secret,
        protection,
        actor,
        change: { kind: 'reveal', version: version.version },
      });
      res
        .status(202)
        .location(started.operation.links.self)
        .json(started satisfies SecretApprovalStartedView);
      return;
    }
    const stored = await deps.secretStore
      .read(secret.store_path, { version: version.store_version })
      .catch(secretStoreProblem);
    const value = stored?.data.value;
    if (typeof value !== 'string') throw purged();
    // The audit entry commits before the value leaves: a reveal that is not recorded is not
    // answered. A grant is used up in the same transaction (a second use is refused).
    await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      if (
        grant &&
        !(await consumeRevealGrant(db, { tenantId: access.tenantId, secretId, number: grant.number, userId: actor.id }))
      )
        throw grantGone(grant.number);
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor,
        action: 'secret.revealed',
        targetType: 'tenant_secret',
        targetId: secretId,
        after: {
          name: secret.name,
          environment: secret.environment,
          version: version.version,
          ...(grant ? { grant: grant.number, approvalRequest: grant.approval_request_id } : {}),
        },
      });
    });
    deps.logger.info('Secret revealed', { secretId, version: version.version });
    res.set('Cache-Control', 'no-store').json({ secretId, version: version.version, value } satisfies RevealedSecret);
  });

  router.delete('/:secretId', requireTenantPermission(deps, 'secrets.manage'), async (req: Request, res: Response) => {
    const { secretId } = parseParams(SecretPath, req);
    const access = tenantAccessOf(res);
    await withTenantScope(deps.dataSource, access.tenantId, async (db) => {
      const current = await findTenantSecret(db, access.tenantId, secretId, { lock: true });
      if (!current) throw secretNotFound(secretId);
      const until = retainUntil();
      await deleteTenantSecret(db, secretId, { deletedBy: authOf(res).userId, retainUntil: until });
      await appendAuditEntry(db, {
        tenantId: access.tenantId,
        actor: actorOf(req, res),
        action: 'secret.deleted',
        targetType: 'tenant_secret',
        targetId: secretId,
        before: audited(current),
        after: { valuesRetainedUntil: until.toISOString() },
      });
    });
    deps.logger.info('Secret deleted', { secretId });
    // After the commit: a Schedule left behind (Temporal down) claims nothing for a deleted secret.
    await syncRotationSchedule(deps, {
      tenantId: access.tenantId,
      slug: access.slug,
      secretId,
      kind: 'generic',
      everySeconds: null,
    }).catch((error: unknown) => deps.logger.warn('Rotation schedule not deleted', { secretId, error: String(error) }));
    await purgeAfterChange(access.tenantId);
    res.status(204).end();
  });

  return router;
}

const security = [{ bearer: [] }];

export const secretsPaths: ZodOpenApiPathsObject = {
  '/api/v1/tenants/{slug}/secrets': {
    get: {
      operationId: 'listSecrets',
      summary: "List the tenant's secrets (metadata only, never a value)",
      security,
      requestParams: { path: TenantPath, query: SecretListQuery },
      responses: {
        200: {
          description: 'Live secrets by environment and name.',
          content: { 'application/json': { schema: SecretList } },
        },
        ...problemResponses(401, 403, 404, 422),
      },
    },
    post: {
      operationId: 'createSecret',
      summary: 'Create a secret with its first value',
      description:
        'The value goes to the secret store; the answer is the metadata. A rotation policy needs the plan feature `secret-rotation` and at least SECRET_ROTATION_MINIMUM.',
      security,
      requestParams: { path: TenantPath },
      requestBody: { content: { 'application/json': { schema: CreateSecretRequest } } },
      responses: {
        201: { description: 'Created.', content: { 'application/json': { schema: Secret } } },
        ...problemResponses(400, 401, 403, 404, 409, 415, 422, 503),
      },
    },
  },
  '/api/v1/tenants/{slug}/secrets/{secretId}': {
    get: {
      operationId: 'getSecret',
      summary: "A secret's metadata, with its rotation Schedule's next due times",
      security,
      requestParams: { path: SecretPath },
      responses: {
        200: { description: 'The secret.', content: { 'application/json': { schema: SecretDetail } } },
        ...problemResponses(401, 403, 404, 422),
      },
    },
    patch: {
      operationId: 'updateSecret',
      summary: "Change a secret's description, consumers or rotation policy",
      security,
      requestParams: { path: SecretPath },
      requestBody: { content: { 'application/json': { schema: UpdateSecretRequest } } },
      responses: {
        200: { description: 'The secret.', content: { 'application/json': { schema: Secret } } },
        ...problemResponses(400, 401, 403, 404, 415, 422),
      },
    },
    delete: {
      operationId: 'deleteSecret',
      summary: 'Delete a secret (its values are kept until SECRET_VERSION_RETENTION ends, then destroyed)',
      security,
      requestParams: { path: SecretPath },
      responses: { 204: { description: 'Deleted.' }, ...problemResponses(401, 403, 404, 422) },
    },
  },
  '/api/v1/tenants/{slug}/secrets/{secretId}/versions': {
    get: {
      operationId: 'listSecretVersions',
      summary: "A secret's versions: when each was set and replaced, how long its value is kept",
      security,
      requestParams: { path: SecretPath },
      responses: {
        200: { description: 'Newest first.', content: { 'application/json': { schema: SecretVersionList } } },
        ...problemResponses(401, 403, 404, 422),
      },
    },
    post: {
      operationId: 'addSecretVersion',
      summary: 'Set a new value (the previous one is kept until SECRET_VERSION_RETENTION ends)',
      description:
        'A secret of an environment whose approval policy asks for an approval (by default `prod` and `production`): the value is staged in the secret store, not current, and `secret-change/<slug>/<secret>/<n>` waits for the approval (202); approved, it becomes the current version; rejected or expired, it is destroyed. Such a change is asked for by a person (an API key: 403).',
      security,
      requestParams: { path: SecretPath },
      requestBody: { content: { 'application/json': { schema: NewSecretVersionRequest } } },
      responses: {
        201: { description: 'The secret at its new version.', content: { 'application/json': { schema: Secret } } },
        202: {
          description: 'A production secret: the change waits for its approval.',
          content: { 'application/json': { schema: SecretApprovalStarted } },
        },
        ...problemResponses(400, 401, 403, 404, 409, 415, 422, 503),
      },
    },
  },
  '/api/v1/tenants/{slug}/secrets/{secretId}/reveal': {
    post: {
      operationId: 'revealSecret',
      summary: "Reveal a secret's value (permission secrets.reveal; every reveal is in the audit log)",
      description:
        'A secret of an environment whose approval policy asks for an approval: without `grant`, `secret-reveal/<slug>/<secret>/<n>` waits for the approval (202); approved, its requester reveals once with `grant: <n>` within SECRET_REVEAL_GRANT_WINDOW (used or expired: 410 `reveal-grant-gone`; not approved (yet): 409; another person’s: 403).',
      security,
      requestParams: { path: SecretPath },
      requestBody: { content: { 'application/json': { schema: RevealSecretRequest } } },
      responses: {
        200: {
          description: 'The value (Cache-Control: no-store).',
          content: { 'application/json': { schema: RevealedSecret } },
        },
        202: {
          description: 'A production secret: the reveal waits for its approval.',
          content: { 'application/json': { schema: SecretApprovalStarted } },
        },
        ...problemResponses(400, 401, 403, 404, 409, 410, 415, 422, 503),
      },
    },
  },
};

/** Where this module's routes are mounted, and their OpenAPI paths (api/routes/registry.ts). */
export const secretsRoutes: RouteModule = routeModule('/tenants/:slug/secrets', secretsRouter, secretsPaths);
