// Idempotency-Key support for POSTs that start work: the first response is stored and a
// repeat with the same key and body gets it back unchanged, without starting anything.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Request, Response } from 'express';
import type { DataSource } from 'typeorm';
import { ProblemError } from './problem.ts';

export interface IdempotencyOptions {
  dataSource: DataSource;
  /** Keys older than this are forgotten and may be reused. */
  ttlMs: number;
}

export interface HandlerResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/; // printable ASCII, as in the IETF draft

export async function respondIdempotently(
  req: Request,
  res: Response,
  { dataSource, ttlMs }: IdempotencyOptions,
  handler: () => Promise<HandlerResult>,
): Promise<void> {
  const key = req.get('idempotency-key');
  if (key === undefined) return send(res, await handler());
  if (!KEY_PATTERN.test(key)) {
    throw new ProblemError('badRequest', 'The Idempotency-Key header must be 1 to 255 printable ASCII characters.', {
      errors: [{ path: 'Idempotency-Key', message: 'Must be 1 to 255 printable ASCII characters.' }],
    });
  }
  const routePath = (req.route as { path?: string } | undefined)?.path ?? req.path;
  // Keys are the caller's own: another caller's key never replays this caller's response.
  // An API key the tenant check has not looked up yet is nobody so far (api/auth/require-auth.ts).
  if (!res.locals.auth && res.locals.deferredApiKey)
    throw new Error('An idempotent handler must follow the tenant check, which settles the API key.');
  const caller = (res.locals.auth as { userId?: string } | undefined)?.userId ?? 'anonymous';
  const scope = `${req.method} ${req.baseUrl}${routePath} ${caller}`;
  const requestHash = createHash('sha256')
    .update(JSON.stringify(req.body ?? null))
    .digest('hex');

  // Forget expired keys for this scope/key, and a claim abandoned without a response (its
  // process died, or lost its database session and then the clean-up too), then claim it;
  // the primary key settles races.
  await dataSource.query(
    `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND (
       created_at < now() - $3 * interval '1 millisecond'
       OR (response_status IS NULL AND created_at < now() - $4 * interval '1 millisecond'))`,
    [scope, key, ttlMs, ABANDONED_CLAIM_MS],
  );
  const claimed: unknown[] = await dataSource.query(
    `INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING RETURNING key`,
    [scope, key, requestHash],
  );

  if (claimed.length === 0) {
    const [stored] = await dataSource.query<
      Array<{ request_hash: string; response_status: number | null; response_body: unknown }>
    >(`SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE scope = $1 AND key = $2`, [
      scope,
      key,
    ]);
    if (!stored)
      throw new ProblemError('idempotencyKeyInProgress', 'Retry the request.', { headers: { 'Retry-After': '1' } });
    if (stored.request_hash !== requestHash) {
      throw new ProblemError('idempotencyKeyReused', 'Use a new Idempotency-Key for a different request.', {
        errors: [{ path: 'Idempotency-Key', message: 'Already used with a different request body.' }],
      });
    }
    if (stored.response_status === null) {
      throw new ProblemError(
        'idempotencyKeyInProgress',
        'The first request with this key has not finished; retry shortly.',
        {
          headers: { 'Retry-After': '1' },
        },
      );
    }
    res.set('Idempotent-Replayed', 'true');
    return send(res, { status: stored.response_status, body: stored.response_body });
  }

  let result: HandlerResult;
  try {
    result = await handler();
  } catch (error) {
    // Only successes are remembered: a failed attempt may be retried with the same key.
    await settle(dataSource, `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2`, [scope, key]);
    throw error;
  }
  await settle(
    dataSource,
    `UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE scope = $1 AND key = $2`,
    [scope, key, result.status, JSON.stringify(result.body)],
  );
  send(res, result);
}

/**
 * A claim without a response this old was abandoned: the work behind a key (a few queries
 * and a workflow start) takes seconds, so after a minute a retry may take the key over.
 */
const ABANDONED_CLAIM_MS = 60_000;

/**
 * Settling a claim after the work ran: when the session that ran the work was terminated
 * (a failover, an administrator's pg_terminate_backend), the pool's other idle sessions
 * usually were too, and the pool drops each only once its error arrives. So the statement
 * is tried a few times, a moment apart, before the key is left to expire as abandoned
 * (found by tests/chaos: one quick retry still landed on a dead session).
 */
async function settle(dataSource: DataSource, sql: string, params: unknown[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await dataSource.query(sql, params);
      return;
    } catch (error) {
      if (attempt >= SETTLE_ATTEMPTS) throw error;
      await sleep(SETTLE_PAUSE_MS);
    }
  }
}
const SETTLE_ATTEMPTS = 4;
const SETTLE_PAUSE_MS = 250;

function send(res: Response, { status, body, headers }: HandlerResult): void {
  res
    .status(status)
    .set(headers ?? {})
    .json(body);
}
