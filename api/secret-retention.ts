// Destroying tenant secret values whose retention has ended (SECRET_VERSION_RETENTION): a
// replaced version's value, and every value of a deleted secret. Runs after each change of a
// tenant's secrets (api/routes/secrets.ts) and, in every API process, on a timer over every
// tenant that has something due (SECRET_RETENTION_SWEEP_INTERVAL). Any number of processes may
// run it at once: due rows are locked and others skip them (SKIP LOCKED), and destroying in the
// secret store is idempotent. A store failure rolls the tenant's transaction back, so its rows
// stay due and the next pass tries again.
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import {
  dueTenantSecretVersions,
  hasRetainedVersions,
  markTenantSecretVersionsPurged,
  tenantsWithDueSecretVersions,
} from '../db/repositories/tenant-secrets.ts';
import { withPlatformScope, withTenantScope } from '../db/scope.ts';
import type { SecretStore } from '../integrations/secrets/port.ts';
import type { Logger } from '../logging/logger.ts';

export interface SecretRetentionDeps {
  dataSource: DataSource;
  secretStore: SecretStore;
  logger: Logger;
}

/** Destroys what is due for one tenant; the number of versions destroyed. */
export async function purgeExpiredSecretVersions(deps: SecretRetentionDeps, tenantId: string): Promise<number> {
  return withTenantScope(deps.dataSource, tenantId, async (db) => {
    const due = await dueTenantSecretVersions(db, tenantId);
    const bySecret = new Map<string, typeof due>();
    for (const row of due) bySecret.set(row.secret_id, [...(bySecret.get(row.secret_id) ?? []), row]);
    for (const [secretId, rows] of bySecret) {
      const path = rows[0]!.store_path;
      await deps.secretStore.destroyVersions(
        path,
        rows.map((row) => row.store_version),
      );
      await markTenantSecretVersionsPurged(
        db,
        secretId,
        rows.map((row) => row.version),
      );
      // A deleted secret whose last kept value is gone: its path goes too (with any version a
      // failed change wrote that no row names).
      if (rows[0]!.secret_deleted && !(await hasRetainedVersions(db, secretId))) await deps.secretStore.destroy(path);
      deps.logger.info('Secret versions destroyed after their retention', {
        tenantId,
        secretId,
        versions: rows.map((row) => row.version),
      });
    }
    return due.length;
  });
}

/** One pass over every tenant with something due; a tenant's failure is logged and skipped. */
export async function sweepExpiredSecretVersions(deps: SecretRetentionDeps): Promise<number> {
  const tenants = await withPlatformScope(deps.dataSource, (db) => tenantsWithDueSecretVersions(db));
  let destroyed = 0;
  for (const tenantId of tenants)
    destroyed += await purgeExpiredSecretVersions(deps, tenantId).catch((error: unknown) => {
      deps.logger.warn('Expired secret versions not destroyed yet', { tenantId, error: String(error) });
      return 0;
    });
  return destroyed;
}

export interface SecretRetentionSweeper {
  stop(): Promise<void>;
}

/** Sweeps now and then every `intervalMs` until stopped (after the pass under way). */
export function startSecretRetentionSweeper(deps: SecretRetentionDeps, intervalMs: number): SecretRetentionSweeper {
  const controller = new AbortController();
  const loop = (async () => {
    while (!controller.signal.aborted) {
      await sweepExpiredSecretVersions(deps).catch((error: unknown) =>
        deps.logger.warn('Secret retention sweep failed', { error: String(error) }),
      );
      await sleep(intervalMs, undefined, { signal: controller.signal }).catch(() => undefined);
    }
  })();
  return {
    async stop() {
      controller.abort();
      await loop;
    },
  };
}
