// Per-tenant API rate limits, shared by every API process: each plan allows so many requests per
// minute to the whole tenant (workflows/shared/plans.ts), however many processes serve it.
//
// The count lives in PostgreSQL (tenant_rate_windows), but a request does not write it: a process
// leases a block of the current one-minute window (`atrium_take_rate_lease`, which never grants
// past the limit) and admits requests from that block in memory, so the table is written once per
// block. Blocks are a twentieth of the limit, so a busy tenant costs a process one statement per
// 5 % of its limit; a process holding an unspent block when the window runs out can at most have
// refused a little early elsewhere, never admitted more than the limit. Concurrent requests that
// find the block spent share one lease. The first request of a window waits for one lease;
// everything else answers from memory.
//
// A request is counted only once the caller's access to the tenant was granted, so nobody
// outside a tenant can spend its budget. Inside a read's transaction the lease runs on that
// transaction's connection, never on a second one the request would wait for while holding the
// first (under load that would empty the pool).
//
// Answers follow the IETF RateLimit header fields draft (as express-rate-limit's draft-7 mode):
// `RateLimit-Policy: <limit>;w=60` and `RateLimit: limit=…, remaining=…, reset=…` on every
// tenant request, and a 429 problem with `Retry-After` when the window is spent.
import type { Response } from 'express';
import type { DataSource, EntityManager } from 'typeorm';
import { ProblemError } from './problem.ts';

const WINDOW_MS = 60_000;
/** Leases are this fraction of the limit (at least one request). */
const LEASE_DIVISOR = 20;
/** Tenants remembered per process; those of older windows are forgotten first. */
const MAX_TENANTS = 10_000;

/** Requests per minute per plan; a plan not listed is not limited. */
export type PlanRateLimits = Readonly<Record<string, number>>;

interface TenantWindow {
  window: number;
  /** Requests this process leased in this window, and admitted from them. */
  granted: number;
  admitted: number;
  /** The window's total across processes, as the last lease said. */
  usedAtLease: number;
  /** The database granted nothing more: refuse until the window ends. */
  spent: boolean;
  pending: Promise<void> | null;
}

export interface TenantRateLimiter {
  /**
   * Admits one request to the tenant (whose access was granted) or throws the 429 problem; sets
   * the headers either way. `db`: the request's open transaction, if it holds one.
   */
  admit(tenant: { id: string; slug: string; plan: string }, res: Response, db?: EntityManager): Promise<void>;
}

/** The limiter used when TENANT_RATE_LIMITS=off: admits everything, sets no header. */
export const UNLIMITED: TenantRateLimiter = { admit: () => Promise.resolve() };

export function createTenantRateLimiter(options: {
  dataSource: DataSource;
  limits: PlanRateLimits;
  now?: () => number;
}): TenantRateLimiter {
  const { dataSource, limits } = options;
  const now = options.now ?? Date.now;
  const windows = new Map<string, TenantWindow>();

  function windowOf(tenantId: string, window: number): TenantWindow {
    let state = windows.get(tenantId);
    if (!state || state.window !== window) {
      if (!state && windows.size >= MAX_TENANTS) {
        for (const [key, value] of windows) if (value.window !== window) windows.delete(key);
        if (windows.size >= MAX_TENANTS) windows.delete(windows.keys().next().value!);
      }
      state = { window, granted: 0, admitted: 0, usedAtLease: 0, spent: false, pending: null };
      windows.set(tenantId, state);
    }
    return state;
  }

  async function lease(tenantId: string, limit: number, state: TenantWindow, db: EntityManager): Promise<void> {
    const want = Math.max(1, Math.ceil(limit / LEASE_DIVISOR));
    const [row] = await db.query<Array<{ granted: number; used: number }>>(
      `SELECT granted, used FROM atrium_take_rate_lease($1, $2, $3, $4)`,
      [tenantId, new Date(state.window), want, limit],
    );
    state.granted += row!.granted;
    state.usedAtLease = row!.used;
    if (row!.granted === 0) state.spent = true;
  }

  function setHeaders(res: Response, limit: number, state: TenantWindow, at: number): number {
    const reset = Math.max(1, Math.ceil((state.window + WINDOW_MS - at) / 1000));
    const remaining = Math.max(0, limit - state.usedAtLease + (state.granted - state.admitted));
    res.setHeader('RateLimit-Policy', `${limit};w=${WINDOW_MS / 1000}`);
    res.setHeader('RateLimit', `limit=${limit}, remaining=${remaining}, reset=${reset}`);
    return reset;
  }

  return {
    async admit(tenant, res, db) {
      const limit = limits[tenant.plan];
      if (limit === undefined) return;
      const at = now();
      const state = windowOf(tenant.id, Math.floor(at / WINDOW_MS) * WINDOW_MS);
      for (;;) {
        if (state.admitted < state.granted) {
          state.admitted += 1;
          setHeaders(res, limit, state, at);
          return;
        }
        if (state.spent) {
          const retryAfter = setHeaders(res, limit, state, at);
          res.setHeader('Retry-After', String(retryAfter));
          throw new ProblemError(
            'rateLimited',
            `"${tenant.slug}" has used the ${limit} requests a minute its plan allows (shared by every client of the tenant). Retry after ${retryAfter} s.`,
          );
        }
        state.pending ??= lease(tenant.id, limit, state, db ?? dataSource.manager).finally(() => {
          state.pending = null;
        });
        await state.pending;
      }
    },
  };
}
