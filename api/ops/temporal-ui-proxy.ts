// /ops/temporal/…: the Temporal UI, reached through Atrium behind an operator's sign-in.
//
// The UI server (`temporal server start-dev --ui-public-path=/ops/temporal`, bound to
// loopback; in production the UI container with TEMPORAL_UI_PUBLIC_PATH) serves itself under
// that same prefix, so requests are forwarded with their path unchanged and answers streamed
// back as they come. Before anything is forwarded:
//   - who: the portal's session cookie (its sign-in must be alive: not signed out, revoked or
//     expired) or an access token (`Authorization: Bearer`). Nobody: a page request is sent
//     to /login and comes back after, an API call gets a 401 problem.
//   - which role: `operator_role` of the user, read from the database on every request, so a
//     role taken away counts at once. None: 403.
//   - what: operator-read may read (api/ops/temporal-ui-requests.ts is the allowlist); each
//     write is refused with a 403 problem naming it.
// Every refusal of a signed-in user and every write goes to the audit log (platform chain),
// a write before it is forwarded: a write that cannot be audited is not sent.
//
// What is forwarded: method, path, query and body as they came; not Atrium's session cookie,
// its `Authorization` or hop-by-hop headers. With TEMPORAL_UI_OPERATOR_TOKENS=on the UI server
// gets the operator's own Temporal token instead (api/ops/temporal-tokens.ts), which it passes
// to the Temporal frontend. operator-read's copy of the UI settings turns write actions off.
//
// Mounted before the portal, so the portal's nonce-based content security policy never
// applies here: the UI sends its own.
import { request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Router } from 'express';
import type { Request, RequestHandler, Response } from 'express';
import { createCookieSessionStorage } from 'react-router';
import type { SessionUser } from '../../db/repositories/refresh-tokens.ts';
import { findSignedInUser } from '../../db/repositories/refresh-tokens.ts';
import { appendAuditEntry } from '../../db/repositories/audit-log.ts';
import { withPlatformScope } from '../../db/scope.ts';
import { addLogContext } from '../../logging/context.ts';
import { InvalidAccessTokenError } from '../auth/access-tokens.ts';
import type { ApiDeps } from '../deps.ts';
import { leaveUncompressed } from '../http/compression.ts';
import { ProblemError, problemHandler } from '../http/problem.ts';
import type { TemporalUiRequest } from './temporal-ui-requests.ts';
import { classifyTemporalUiRequest, InvalidTemporalUiPathError } from './temporal-ui-requests.ts';

export const TEMPORAL_UI_PATH = '/ops/temporal';
/** The portal's session cookie (web/app/session.server.ts). */
const SESSION_COOKIE = '__atrium_session';
/** A refresh token the portal rotated a moment ago still vouches for requests already on their way. */
const ROTATED_TOKEN_GRACE_MS = 60_000;
/** Request headers that describe one connection, not the request (RFC 9110 §7.6.1), and Atrium's own credentials. */
const DROPPED_REQUEST_HEADERS = [
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'authorization',
  'x-http-method-override',
  'x-method-override',
];
const DROPPED_RESPONSE_HEADERS = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

interface Operator extends SessionUser {
  via: 'session' | 'token';
}

/** What the guard let through, for the forwarding step. */
interface Forwarding {
  what: TemporalUiRequest;
  role: 'read' | 'write';
  /** The operator's token for Temporal, when TEMPORAL_UI_OPERATOR_TOKENS is on. */
  temporalToken: string | null;
}

export function temporalUiProxy(deps: ApiDeps): Router {
  const upstream = new URL(deps.temporal.uiUrl);
  const sessions = deps.ops.sessionSecret
    ? createCookieSessionStorage<{ refreshToken: string }>({
        cookie: { name: SESSION_COOKIE, secrets: [deps.ops.sessionSecret] },
      })
    : null;

  /** The signed-in person, from the session cookie or an access token; null for nobody. */
  async function whoIsCalling(req: Request): Promise<Operator | null> {
    const bearer = req.get('authorization')?.match(/^Bearer (\S+)$/)?.[1];
    if (bearer) {
      try {
        const { userId } = await deps.accessTokens.verify(bearer);
        const [user] = await deps.dataSource.query<SessionUser[]>(
          `SELECT id, email, operator_role FROM users WHERE id = $1`,
          [userId],
        );
        return user ? { ...user, via: 'token' } : null;
      } catch (error) {
        if (error instanceof InvalidAccessTokenError) return null;
        throw error;
      }
    }
    const cookie = req.get('cookie');
    if (!sessions || !cookie?.includes(SESSION_COOKIE)) return null;
    const refreshToken = (await sessions.getSession(cookie)).get('refreshToken');
    if (typeof refreshToken !== 'string') return null;
    const user = await findSignedInUser(deps.dataSource, refreshToken, ROTATED_TOKEN_GRACE_MS);
    return user ? { ...user, via: 'session' } : null;
  }

  const audit = (req: Request, res: Response, operator: Operator, action: string, after: Record<string, unknown>) =>
    withPlatformScope(deps.dataSource, (db) =>
      appendAuditEntry(db, {
        tenantId: null,
        actor: { type: 'user', id: operator.id, requestId: String(res.locals.requestId), ip: req.ip ?? null },
        action,
        targetType: 'temporal_ui',
        targetId: null,
        after,
      }),
    );

  const guard: RequestHandler = async (req, res, next) => {
    const rawPath = req.originalUrl.slice(TEMPORAL_UI_PATH.length).split('?')[0] ?? '';
    let what: TemporalUiRequest;
    try {
      what = classifyTemporalUiRequest(req.method, rawPath || '/');
    } catch (error) {
      if (error instanceof InvalidTemporalUiPathError)
        throw new ProblemError('badRequest', `The path is refused: ${error.message}.`);
      throw error;
    }
    const operator = await whoIsCalling(req);
    if (!operator) {
      if (isPageRequest(req)) {
        res.redirect(302, `/login?${new URLSearchParams({ redirectTo: req.originalUrl })}`);
        return;
      }
      throw new ProblemError(
        'unauthenticated',
        'Sign in as an operator: the portal session, or "Authorization: Bearer <access token>".',
        {
          headers: { 'WWW-Authenticate': 'Bearer' },
        },
      );
    }
    addLogContext({ userId: operator.id });
    const described = {
      method: req.method,
      path: req.originalUrl,
      operation: what.operation,
      ...(what.namespace ? { namespace: what.namespace } : {}),
      ...(what.workflowId ? { workflowId: what.workflowId } : {}),
      ...(what.scheduleId ? { scheduleId: what.scheduleId } : {}),
    };
    if (operator.operator_role === null || (what.access === 'write' && operator.operator_role !== 'write')) {
      const role = operator.operator_role ? `operator-${operator.operator_role}` : 'no operator role';
      await audit(req, res, operator, 'temporal_ui.refused', { ...described, role: operator.operator_role });
      deps.logger.warn('Temporal UI request refused', { ...described, role });
      throw new ProblemError(
        'forbidden',
        operator.operator_role === null
          ? 'The Temporal UI is for operators: ask a platform admin for the operator-read or operator-write role.'
          : `${described.operation} (${req.method} ${rawPath}) is a write: operator-read may only read. Ask a platform admin for operator-write.`,
      );
    }
    if (what.access === 'write')
      await audit(req, res, operator, 'temporal_ui.write', { ...described, role: operator.operator_role });
    res.locals.temporalUi = {
      what,
      role: operator.operator_role,
      temporalToken: deps.ops.forwardOperatorTokens ? await operatorToken(operator, operator.operator_role) : null,
    } satisfies Forwarding;
    next();
  };

  /**
   * The operator's own token for Temporal, made once and reused until it has less than a
   * quarter of its life left (the UI sends many requests a minute). Keyed by the role too, so a
   * changed role gets a new token on the next request.
   */
  const tokens = new Map<string, { token: string; renewAt: number }>();
  async function operatorToken(operator: Operator, role: 'read' | 'write'): Promise<string> {
    const key = `${operator.id}:${role}`;
    const known = tokens.get(key);
    if (known && Date.now() < known.renewAt) return known.token;
    const issued = await deps.ops.temporalTokens.issue(
      { userId: operator.id, email: operator.email, role },
      deps.temporal.namespace,
    );
    const now = Date.now();
    if (tokens.size >= 1_000) tokens.clear();
    tokens.set(key, { token: issued.token, renewAt: now + (issued.expiresAt.getTime() - now) * 0.75 });
    return issued.token;
  }

  const forward: RequestHandler = (req, res, next) => {
    const { what, role, temporalToken } = res.locals.temporalUi as Forwarding;
    leaveUncompressed(res);
    // operator-read gets the UI's settings with its write actions switched off, so the UI hides
    // the buttons the proxy would refuse anyway (the answer is read whole and rewritten).
    const hideWrites = role === 'read' && what.operation === 'read.settings' && req.method === 'GET';
    const target = new URL(req.originalUrl, upstream);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = forwardedHeaders(req, upstream);
    if (hideWrites) headers['accept-encoding'] = 'identity';
    // The UI server hands `Authorization` on to the Temporal frontend (grpc-gateway), whose
    // authorizer then checks this operator's own permissions a second time.
    if (temporalToken) headers.authorization = `Bearer ${temporalToken}`;
    const outgoing = send(target, { method: req.method, headers }, (answer) => {
      const answerHeaders: IncomingHttpHeaders = { ...answer.headers };
      for (const name of DROPPED_RESPONSE_HEADERS) delete answerHeaders[name];
      if (what.access === 'write')
        deps.logger.info('Temporal UI write forwarded', {
          method: req.method,
          path: req.originalUrl,
          operation: what.operation,
          status: answer.statusCode,
        });
      if (hideWrites && answer.statusCode === 200) {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          let settings: Record<string, unknown>;
          try {
            settings = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          } catch {
            next(new ProblemError('unavailable', 'The Temporal UI answered settings that are not JSON.'));
            return;
          }
          delete answerHeaders['content-length'];
          res.writeHead(200, answerHeaders as Record<string, string | string[]>);
          res.end(JSON.stringify({ ...settings, DisableWriteActions: true }));
        });
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answerHeaders as Record<string, string | string[]>);
      answer.pipe(res);
    });
    outgoing.on('error', (error) => {
      if (res.headersSent) {
        res.destroy(error);
        return;
      }
      deps.logger.error('Temporal UI unreachable', { upstream: upstream.origin, error: error.message });
      next(new ProblemError('unavailable', 'The Temporal UI did not answer; try again in a moment.'));
    });
    // The browser went away: stop the UI's answer too.
    res.on('close', () => {
      if (!res.writableFinished) outgoing.destroy();
    });
    req.pipe(outgoing);
  };

  const router = Router();
  router.use(TEMPORAL_UI_PATH, guard, forward);
  router.use(TEMPORAL_UI_PATH, problemHandler(deps.logger));
  return router;
}

/** A page a browser opens (not the UI's API calls, not its scripts): worth a trip to the sign-in page. */
function isPageRequest(req: Request): boolean {
  return (
    (req.method === 'GET' || req.method === 'HEAD') &&
    !req.originalUrl.startsWith(`${TEMPORAL_UI_PATH}/api/`) &&
    (req.get('accept') ?? '').includes('text/html')
  );
}

function forwardedHeaders(req: Request, upstream: URL): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || DROPPED_REQUEST_HEADERS.includes(name)) continue;
    headers[name] = value;
  }
  // The UI server gets its own cookies (its CSRF token), never Atrium's session.
  const cookies = (req.get('cookie') ?? '')
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part && !part.startsWith(`${SESSION_COOKIE}=`));
  if (cookies.length) headers.cookie = cookies.join('; ');
  else delete headers.cookie;
  headers.host = upstream.host;
  headers['x-forwarded-for'] = req.ip ?? '';
  headers['x-forwarded-proto'] = req.protocol;
  headers['x-forwarded-host'] = req.get('host') ?? '';
  return headers;
}
