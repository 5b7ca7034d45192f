// The platform's signing keys (docs/decisions/0030 access tokens, 0038 licenses), for platform
// admins: GET /api/v1/admin/signing-keys[?purpose=licenses] shows a keyring (kids and states,
// never a key) and what every live API process holds; POST /api/v1/admin/signing-keys/rotations
// (body `{purpose}`) starts a rotation (rotateSigningKey), refused while another one of that
// keyring is under way. Audited.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import {
  SetSigningKeyPolicyRequest,
  SigningKeyPolicies,
  SigningKeyPolicy,
  SigningKeyRotationStarted,
  SigningKeysOverview,
  SigningKeysQuery,
  StartSigningKeyRotationRequest,
} from '../../contracts/secret-rotation.ts';
import { listLiveApiProcesses } from '../../db/repositories/api-processes.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { withPlatformScope } from '../../db/scope.ts';
import { readSigningKeyring, signingKeyringPath } from '../../integrations/secrets/signing-keyring.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
import { parseBody, parseQuery } from '../http/validate.ts';
import { describeSchedule, ScheduleNotFound } from '../schedules/index.ts';
import { signingKeyRotationScheduleId } from '../../workflows/secret-rotation/contract.ts';
import type { SigningKeyPolicyRow } from './signing-key-policies.ts';
import { listSigningKeyPolicies, syncSigningKeyPolicySchedule, writeSigningKeyPolicy } from './signing-key-policies.ts';
import type { RouteModule } from '../routes/route-module.ts';
import { LIVE_WITHIN_RELOADS } from '../signing-keys.ts';
import { startSigningKeyRotation } from './signing-key-starter.ts';

export function signingKeysRouter(deps: ApiDeps): Router {
  const router = Router();
  router.use(requireAuth(deps.accessTokens));
  router.use((_req, res, next) => {
    const auth = authOf(res);
    if (!auth.platformAdmin || auth.apiKey)
      throw new ProblemError('forbidden', 'Only platform admins manage the signing keys.');
    next();
  });

  router.get('/', async (req, res) => {
    const { purpose } = parseQuery(SigningKeysQuery, req);
    const keyring = await readSigningKeyring(
      deps.secretStore,
      signingKeyringPath(deps.temporal.taskQueuePrefix, purpose),
    );
    const processes = await withPlatformScope(deps.dataSource, (db) =>
      listLiveApiProcesses(db, LIVE_WITHIN_RELOADS * deps.settings.signingKeys.reloadIntervalMs),
    );
    res.json({
      keyringVersion: keyring?.version ?? 0,
      keys: (keyring?.keys ?? []).map((key) => ({
        kid: key.kid,
        state: key.state,
        createdAt: key.createdAt,
        notAfter: key.notAfter,
      })),
      processes: processes.map((row) => ({
        id: row.id,
        hostname: row.hostname,
        pid: row.pid,
        keyringVersion: row.keyring_version,
        signingKid: row.signing_kid,
        kids: row.kids,
        lastSeenAt: row.last_seen_at.toISOString(),
      })),
    } satisfies SigningKeysOverview);
  });

  const withSchedule = async (row: SigningKeyPolicyRow): Promise<SigningKeyPolicy> => {
    if (row.everySeconds === null) return { ...row, nextRotations: [] };
    const status = await describeSchedule(
      deps.temporal.client,
      signingKeyRotationScheduleId(deps.temporal.taskQueuePrefix, row.purpose),
    ).catch((error: unknown) => {
      if (error instanceof ScheduleNotFound) return null;
      throw error;
    });
    return { ...row, nextRotations: status?.nextActionTimes ?? [] };
  };
  const minimumSeconds = Math.ceil(deps.settings.signingKeys.rotationMinimumMs / 1_000);

  router.get('/policies', async (_req, res) => {
    const rows = await withPlatformScope(deps.dataSource, (db) => listSigningKeyPolicies(db));
    res.json({
      minimumSeconds,
      policies: await Promise.all(rows.map(withSchedule)),
    } satisfies SigningKeyPolicies);
  });

  router.put('/policies', async (req, res) => {
    const { purpose, everySeconds } = parseBody(SetSigningKeyPolicyRequest, req);
    if (everySeconds !== null && (everySeconds < minimumSeconds || everySeconds > 3650 * 86_400))
      throw new ProblemError('validation', 'The rotation policy is out of range.', {
        errors: [
          { path: 'everySeconds', message: `Must be at least ${minimumSeconds} and at most ${3650 * 86_400} seconds.` },
        ],
      });
    const actor = actorOf(req, res);
    // The Schedule first: when Temporal refuses, the row and the audit log are unchanged.
    await syncSigningKeyPolicySchedule(deps, purpose, everySeconds);
    await withPlatformScope(deps.dataSource, async (db) => {
      const before = await writeSigningKeyPolicy(db, purpose, everySeconds);
      await appendAuditEntry(db, {
        tenantId: null,
        actor,
        action: 'signing_key.policy_set',
        targetType: 'signing_key_policy',
        targetId: purpose,
        before: { everySeconds: before },
        after: { everySeconds },
      });
    });
    const [row] = (await withPlatformScope(deps.dataSource, (db) => listSigningKeyPolicies(db))).filter(
      (candidate) => candidate.purpose === purpose,
    );
    res.json(await withSchedule(row!));
  });

  router.post('/rotations', async (req, res) => {
    const { purpose } = parseBody(StartSigningKeyRotationRequest, req);
    // The workflow refuses too (its first step); this answers at once instead of a failed operation.
    const keyring = await readSigningKeyring(
      deps.secretStore,
      signingKeyringPath(deps.temporal.taskQueuePrefix, purpose),
    );
    const busy = keyring?.keys.find((key) => key.state !== 'current');
    if (busy)
      throw new ProblemError(
        'conflict',
        `A signing-key rotation is under way: key ${busy.kid} is ${busy.state}. Wait for it to finish.`,
      );
    const actor = actorOf(req, res);
    if (!keyring)
      throw new ProblemError(
        'conflict',
        `There is no ${purpose} keyring yet: start the ${purpose === 'licenses' ? 'worker' : 'API'} first.`,
      );
    const result = await startSigningKeyRotation(deps, actor, purpose);
    await withPlatformScope(deps.dataSource, (db) =>
      appendAuditEntry(db, {
        tenantId: null,
        actor,
        action: 'signing_key.rotation_started',
        targetType: 'signing_key_rotation',
        targetId: result.workflowId,
        after: { purpose },
      }),
    );
    res
      .status(202)
      .json({ workflowId: result.workflowId, started: result.started } satisfies SigningKeyRotationStarted);
  });
  return router;
}

const paths: ZodOpenApiPathsObject = {
  '/api/v1/admin/signing-keys': {
    get: {
      operationId: 'getSigningKeys',
      summary:
        'A signing keyring (access tokens by default, or licenses: kids and states) and what every live API process holds (platform admins)',
      requestParams: { query: SigningKeysQuery },
      responses: {
        200: { description: 'The keyring.', content: { 'application/json': { schema: SigningKeysOverview } } },
        ...problemResponses(401, 403, 422),
      },
    },
  },
  '/api/v1/admin/signing-keys/rotations': {
    post: {
      operationId: 'startSigningKeyRotation',
      summary: 'Rotate a signing key, access tokens or licenses (platform admins); one rotation per keyring at a time',
      requestBody: { content: { 'application/json': { schema: StartSigningKeyRotationRequest } } },
      responses: {
        202: {
          description: 'Started.',
          content: { 'application/json': { schema: SigningKeyRotationStarted } },
        },
        ...problemResponses(401, 403, 409, 422),
      },
    },
  },
};

paths['/api/v1/admin/signing-keys/policies'] = {
  put: {
    operationId: 'setSigningKeyPolicy',
    summary: 'Set (or with null remove) a signing keyring’s rotation policy (platform admins)',
    requestBody: { content: { 'application/json': { schema: SetSigningKeyPolicyRequest } } },
    responses: {
      200: { description: 'The policy now.', content: { 'application/json': { schema: SigningKeyPolicy } } },
      ...problemResponses(401, 403, 422),
    },
  },
  get: {
    operationId: 'getSigningKeyPolicies',
    summary: 'The signing keyrings’ rotation policies, each run by a Temporal Schedule (platform admins)',
    responses: {
      200: { description: 'Both policies.', content: { 'application/json': { schema: SigningKeyPolicies } } },
      ...problemResponses(401, 403),
    },
  },
};
export const signingKeyRoutes: RouteModule = {
  mounts: [{ path: '/admin/signing-keys', router: signingKeysRouter }],
  paths,
};
