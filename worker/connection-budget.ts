// The worker's database pools (one per family, and the legacy queue's) and one API process's
// pool must fit what PostgreSQL allows ordinary roles: max_connections less the reserved
// slots. A worker whose pools do not fit would run until a burst of activities hit "too many
// clients" mid-step; it refuses to start instead, naming the numbers to change.
import type { DataSource } from 'typeorm';

export interface PoolDemand {
  /** What the pool is for (a family, `legacy queue`, `one API process`). */
  name: string;
  connections: number;
}

export interface ServerConnectionLimit {
  maxConnections: number;
  /** superuser_reserved_connections + reserved_connections (PostgreSQL 16+). */
  reserved: number;
}

export class ConnectionBudgetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionBudgetError';
  }
}

export async function readServerConnectionLimit(dataSource: DataSource): Promise<ServerConnectionLimit> {
  const [row] = await dataSource.query<Array<{ max: number; superuser: number; reserved: number }>>(
    `SELECT current_setting('max_connections')::int AS max,
            current_setting('superuser_reserved_connections')::int AS superuser,
            coalesce(nullif(current_setting('reserved_connections', true), ''), '0')::int AS reserved`,
  );
  return { maxConnections: row!.max, reserved: row!.superuser + row!.reserved };
}

/** Throws ConnectionBudgetError, naming every pool and the server's limit, when they do not fit. */
export function checkConnectionBudget(pools: readonly PoolDemand[], limit: ServerConnectionLimit): void {
  const needed = pools.reduce((sum, pool) => sum + pool.connections, 0);
  const available = limit.maxConnections - limit.reserved;
  if (needed <= available) return;
  const parts = pools.map((pool) => `${pool.name} ${pool.connections}`).join(', ');
  throw new ConnectionBudgetError(
    `The database pools need ${needed} connections (${parts}), but PostgreSQL allows ${available} ` +
      `(max_connections ${limit.maxConnections} less ${limit.reserved} reserved). Lower WORKER_ACTIVITY_SLOTS ` +
      `(each family's pool is its slots + 1), WORKER_LEGACY_ACTIVITY_SLOTS or API_DATABASE_POOL_SIZE, ` +
      `or raise max_connections.`,
  );
}
