// The platform's access-token signing keys (docs/decisions/0030), for platform admins:
// GET /api/v1/admin/signing-keys shows the keyring (kids and states, never a key) and what every
// live API process holds; POST /api/v1/admin/signing-keys/rotations starts a rotation
// (rotateSigningKey), refused while another one is under way. Audited.
import { Router } from 'express';
import type { ZodOpenApiPathsObject } from 'zod-openapi';
import { SigningKeyRotationStarted, SigningKeysOverview } from '../../contracts/secret-rotation.ts';
import { listLiveApiProcesses } from '../../db/repositories/api-processes.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { withPlatformScope } from '../../db/scope.ts';
import { readSigningKeyring, signingKeyringPath } from '../../integrations/secrets/signing-keyring.ts';
import { actorOf, authOf, requireAuth } from '../auth/require-auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ProblemError, problemResponses } from '../http/problem.ts';
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

  const keyringPath = signingKeyringPath(deps.temporal.taskQueuePrefix);
  router.get('/', async (_req, res) => {
    const keyring = await readSigningKeyring(deps.secretStore, keyringPath);
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

  router.post('/rotations', async (req, res) => {
    // The workflow refuses too (its first step); this answers at once instead of a failed operation.
    const keyring = await readSigningKeyring(deps.secretStore, keyringPath);
    const busy = keyring?.keys.find((key) => key.state !== 'current');
    if (busy)
      throw new ProblemError(
        'conflict',
        `A signing-key rotation is under way: key ${busy.kid} is ${busy.state}. Wait for it to finish.`,
      );
    const actor = actorOf(req, res);
    const result = await startSigningKeyRotation(deps, actor);
    await withPlatformScope(deps.dataSource, (db) =>
      appendAuditEntry(db, {
        tenantId: null,
        actor,
        action: 'signing_key.rotation_started',
        targetType: 'signing_key_rotation',
        targetId: result.workflowId,
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
        'The access-token signing keys (kids and states) and what every live API process holds (platform admins)',
      responses: {
        200: { description: 'The keyring.', content: { 'application/json': { schema: SigningKeysOverview } } },
        ...problemResponses(401, 403),
      },
    },
  },
  '/api/v1/admin/signing-keys/rotations': {
    post: {
      operationId: 'startSigningKeyRotation',
      summary: 'Rotate the access-token signing key (platform admins); one rotation at a time',
      responses: {
        202: {
          description: 'Started.',
          content: { 'application/json': { schema: SigningKeyRotationStarted } },
        },
        ...problemResponses(401, 403, 409),
      },
    },
  },
};

export const signingKeyRoutes: RouteModule = {
  mounts: [{ path: '/admin/signing-keys', router: signingKeysRouter }],
  paths,
};
