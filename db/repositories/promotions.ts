// A tenant's promotions (promotions, under row-level security): a release asked to run in one
// environment, numbered per tenant and environment, with the status its workflow moves it
// through. Every function runs in the caller's transaction.
import type { EntityManager } from 'typeorm';
import type { PromotionStatus } from '../../contracts/promotions.ts';

export interface PromotionRow {
  id: string;
  tenant_id: string;
  environment: string;
  number: number;
  release_number: number;
  previous_release: number | null;
  status: PromotionStatus;
  detail: string | null;
  operation_id: string;
  requested_by: string | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

export const OPEN_PROMOTION_STATUSES: readonly PromotionStatus[] = [
  'requested',
  'awaiting-approval',
  'held',
  'deploying',
];

/** The environment's promotions, newest first. */
export function listPromotions(
  db: EntityManager,
  tenantId: string,
  environment: string,
  limit = 100,
): Promise<PromotionRow[]> {
  return db.query<PromotionRow[]>(
    `SELECT * FROM promotions WHERE tenant_id = $1 AND environment = $2 ORDER BY number DESC LIMIT $3`,
    [tenantId, environment, limit],
  );
}

export async function findPromotion(
  db: EntityManager,
  tenantId: string,
  environment: string,
  number: number,
  { lock = false }: { lock?: boolean } = {},
): Promise<PromotionRow | null> {
  const [row] = await db.query<PromotionRow[]>(
    `SELECT * FROM promotions WHERE tenant_id = $1 AND environment = $2 AND number = $3${lock ? ' FOR UPDATE' : ''}`,
    [tenantId, environment, number],
  );
  return row ?? null;
}

/** The environment's open promotion (requested, awaiting approval or deploying), if any. */
export async function findOpenPromotion(
  db: EntityManager,
  tenantId: string,
  environment: string,
): Promise<PromotionRow | null> {
  const [row] = await db.query<PromotionRow[]>(
    `SELECT * FROM promotions WHERE tenant_id = $1 AND environment = $2 AND status = ANY($3) LIMIT 1`,
    [tenantId, environment, OPEN_PROMOTION_STATUSES],
  );
  return row ?? null;
}

/**
 * The release that last succeeded in the environment before promotion `before` (what runs
 * there). `before` is compared as a bigint: the preview asks with Number.MAX_SAFE_INTEGER.
 */
export async function lastSucceededRelease(
  db: EntityManager,
  tenantId: string,
  environment: string,
  before: number,
): Promise<number | null> {
  const [row] = await db.query<Array<{ release_number: number }>>(
    `SELECT release_number FROM promotions
      WHERE tenant_id = $1 AND environment = $2 AND number < $3::bigint AND status = 'succeeded'
      ORDER BY number DESC LIMIT 1`,
    [tenantId, environment, before],
  );
  return row?.release_number ?? null;
}

/** Serialises, until the transaction ends, the promotions of one environment (numbers, the open one). */
export async function lockPromotions(db: EntityManager, tenantId: string, environment: string): Promise<void> {
  await db.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
    `atrium:promotions:${tenantId}:${environment}`,
  ]);
}

/**
 * Records a new promotion with the environment's next number. Numbers are taken under a lock
 * per tenant and environment held until the transaction ends.
 */
export async function insertPromotion(
  db: EntityManager,
  row: {
    tenant_id: string;
    environment: string;
    release_number: number;
    operation_id: (number: number) => string;
    requested_by: string | null;
  },
): Promise<PromotionRow> {
  await lockPromotions(db, row.tenant_id, row.environment);
  const [next] = await db.query<Array<{ number: number }>>(
    `SELECT coalesce(max(number), 0) + 1 AS number FROM promotions WHERE tenant_id = $1 AND environment = $2`,
    [row.tenant_id, row.environment],
  );
  const number = next!.number;
  const [inserted] = await db.query<PromotionRow[]>(
    `INSERT INTO promotions (tenant_id, environment, number, release_number, operation_id, requested_by)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
    [row.tenant_id, row.environment, number, row.release_number, row.operation_id(number), row.requested_by],
  );
  return inserted!;
}

export async function updatePromotion(
  db: EntityManager,
  tenantId: string,
  environment: string,
  number: number,
  change: { status: PromotionStatus; detail?: string | null; previous_release?: number | null; completed?: boolean },
): Promise<PromotionRow | null> {
  // Wrapped in a SELECT: TypeORM answers [rows, count] for a bare UPDATE ... RETURNING.
  const [row] = await db.query<PromotionRow[]>(
    `WITH updated AS (
     UPDATE promotions
        SET status = $4,
            detail = CASE WHEN $5::boolean THEN $6 ELSE detail END,
            previous_release = CASE WHEN $7::boolean THEN $8::integer ELSE previous_release END,
            completed_at = CASE WHEN $9::boolean THEN now() ELSE completed_at END,
            updated_at = now()
      WHERE tenant_id = $1 AND environment = $2 AND number = $3
      RETURNING *)
     SELECT * FROM updated`,
    [
      tenantId,
      environment,
      number,
      change.status,
      change.detail !== undefined,
      change.detail ?? null,
      change.previous_release !== undefined,
      change.previous_release ?? null,
      change.completed ?? false,
    ],
  );
  return row ?? null;
}

/** When the release first became available in the environment (its first succeeded promotion), if ever. */
export async function firstSucceededAt(
  db: EntityManager,
  tenantId: string,
  environment: string,
  release: number,
): Promise<Date | null> {
  const [row] = await db.query<Array<{ at: Date | null }>>(
    `SELECT min(completed_at) AS at FROM promotions
      WHERE tenant_id = $1 AND environment = $2 AND release_number = $3 AND status = 'succeeded'`,
    [tenantId, environment, release],
  );
  return row?.at ?? null;
}
