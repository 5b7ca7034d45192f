// Liveness and readiness. /readyz checks the two things the API cannot work without.
import { Router } from 'express';
import type { Liveness, Readiness } from '../../contracts/health.ts';
import type { ApiDeps } from '../deps.ts';

const CHECK_TIMEOUT_MS = 2_000;

export function healthRouter(deps: ApiDeps): Router {
  const router = Router();

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' } satisfies Liveness);
  });

  router.get('/readyz', async (_req, res) => {
    const [postgres, temporal] = await Promise.all([
      check(() => deps.dataSource.query('SELECT 1')),
      check(() =>
        deps.temporal.client.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
          deps.temporal.client.workflowService.getSystemInfo({}),
        ),
      ),
    ]);
    const ready = postgres.ok && temporal.ok;
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'unavailable', checks: { postgres, temporal } } satisfies Readiness);
  });

  return router;
}

async function check(probe: () => Promise<unknown>): Promise<{ ok: boolean; error?: string }> {
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS).unref()),
    ]);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
