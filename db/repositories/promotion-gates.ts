// What stands between a release and an environment besides the approval (docs/decisions/0024):
// the soak time the environment asks for in the one before it, a freeze window in force, and a
// suspended tenant. Read by the API (the promotion preview, and its refusal when the release
// never ran in the previous environment) and by promoteRelease's `hold` step, so both say the
// same thing. Runs in the caller's transaction, in the tenant's scope.
import type { EntityManager } from 'typeorm';
import { activeFreezeWindow, freezeWindowEnd } from '../../contracts/environments.ts';
import { firstSucceededAt } from './promotions.ts';
import type { EnvironmentRow } from './tenant-environments.ts';
import { listEnvironments } from './tenant-environments.ts';
import { findTenantById } from './tenants.ts';

export interface SoakGate {
  minutes: number;
  previousEnvironment: string;
  /** When the release became available there; null: it never ran there. */
  ranSince: Date | null;
  /** When its soak time ends (null while it never ran there). */
  soakedAt: Date | null;
}

export interface PromotionGates {
  /** Null when the environment asks for no soak time, or is the tenant's first. */
  soak: SoakGate | null;
  /** A freeze window in force at `at`, and when it ends. */
  freeze: { reason: string; until: Date } | null;
  suspended: boolean;
}

export async function readPromotionGates(
  db: EntityManager,
  tenantId: string,
  environment: EnvironmentRow,
  release: number,
  at: Date,
): Promise<PromotionGates> {
  const tenant = await findTenantById(db, tenantId);
  const active = activeFreezeWindow(environment.protection.freezeWindows, at);
  return {
    soak: await soakGate(db, tenantId, environment, release),
    freeze: active ? { reason: active.reason, until: freezeWindowEnd(active, at) } : null,
    suspended: tenant?.status === 'suspended',
  };
}

async function soakGate(
  db: EntityManager,
  tenantId: string,
  environment: EnvironmentRow,
  release: number,
): Promise<SoakGate | null> {
  const minutes = environment.protection.soakMinutes;
  if (minutes <= 0) return null;
  const ordered = await listEnvironments(db, tenantId);
  const previous = ordered.filter((row) => row.position < environment.position).at(-1);
  if (!previous) return null;
  const ranSince = await firstSucceededAt(db, tenantId, previous.name, release);
  return {
    minutes,
    previousEnvironment: previous.name,
    ranSince,
    soakedAt: ranSince ? new Date(ranSince.getTime() + minutes * 60_000) : null,
  };
}

/** The refusal when the environment asks for a soak time in one where the release never ran. */
export function soakRefusal(environment: string, release: number, soak: SoakGate | null): string | null {
  if (!soak || soak.ranSince) return null;
  return `Release ${release} has not run in "${soak.previousEnvironment}"; "${environment}" asks for ${soak.minutes} min there first.`;
}

/**
 * Why a promotion waits before it deploys, if it does, and until when (null: until someone
 * acts, such as reactivating the tenant). A suspension first, then a freeze, then the soak time.
 */
export function holdReason(
  slug: string,
  environment: string,
  release: number,
  gates: PromotionGates,
  at: Date,
): { reason: string; until: Date | null } | null {
  if (gates.suspended)
    return { reason: `Tenant "${slug}" is suspended; the promotion waits until it is reactivated.`, until: null };
  if (gates.freeze)
    return {
      reason: `Deployments to "${environment}" are frozen until ${gates.freeze.until.toISOString()}: ${gates.freeze.reason}`,
      until: gates.freeze.until,
    };
  const soakedAt = gates.soak?.soakedAt;
  if (gates.soak && soakedAt && soakedAt.getTime() > at.getTime())
    return {
      reason: `Release ${release} soaks in "${gates.soak.previousEnvironment}" until ${soakedAt.toISOString()} (${gates.soak.minutes} min after it became available there).`,
      until: soakedAt,
    };
  return null;
}
