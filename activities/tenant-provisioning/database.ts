// The provisioning step `database`: the tenant's own schema, a login role that may use only
// that schema (docs/decisions/0005), and the role's generated password in the secret store;
// and its compensation. Secret values never leave the activity: the password reaches
// PostgreSQL only as a SCRAM verifier, and inputs and results carry names and paths.
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { EntityManager } from 'typeorm';
import { quoteIdentifier } from '../../db/identifiers.ts';
import { lockTenantResources, updateTenantResources } from '../../db/repositories/tenant-resources.ts';
import { recordTenantSchema } from '../../db/repositories/tenants.ts';
import type { SecretData, SecretStore } from '../../integrations/secrets/port.ts';
import { SecretStoreError } from '../../integrations/secrets/port.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantActivityInput } from '../shared/kernel.ts';
import { lockedTenantStep } from '../shared/kernel.ts';
import { tenantSchemaName } from '../shared/tenant-schema-name.ts';
import {
  createTenantTeardown,
  schemaExists,
  tenantDatabaseSecretPath,
  tenantLoginRoleName,
} from '../shared/tenant-teardown.ts';
import { generatePassword, scramSha256Verifier } from './scram.ts';

type StepInput = TenantActivityInput & { slug: string };

export function createDatabaseActivities(
  deps: Pick<ActivityDeps, 'dataSource' | 'secretStore' | 'billing' | 'cluster' | 'tenantDatabase'>,
) {
  const { secretStore } = deps;
  const teardown = createTenantTeardown(deps);
  return {
    /**
     * The tenant's own schema and a login role that may use only that schema, with a
     * generated password kept in the secret store at `tenants/<slug>/database`.
     * Retry-safe: the schema and role are created if absent; the secret is written first
     * (check-and-set on "absent") and its password reused by every later attempt, so a
     * crash at any point leaves one secret version that matches the role. A role that
     * exists without a secret gets a new password, stored.
     */
    async createTenantDatabase(
      input: StepInput,
    ): Promise<{ schemaName: string; roleName: string; secretPath: string }> {
      const schemaName = tenantSchemaName(input.slug);
      const roleName = tenantLoginRoleName(input.slug);
      const secretPath = tenantDatabaseSecretPath(input.slug);
      await lockedTenantStep(deps, input, async ({ db, audit }) => {
        const resources = await lockTenantResources(db, input.tenantId);
        const schemaExisted = await schemaExists(db, schemaName);
        await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schemaName)}`);
        await recordTenantSchema(db, input.tenantId, schemaName);
        if (!schemaExisted) await audit('tenant.schema_created', 'schema', schemaName);

        const { password, written, version } = await ensureDatabaseSecret(secretStore, secretPath, {
          username: roleName,
          host: deps.tenantDatabase.host,
          port: String(deps.tenantDatabase.port),
          database: deps.tenantDatabase.database,
          schema: schemaName,
        });
        // Audited by what the log lacks, not by who wrote it: the write commits in the
        // secret store at once, so an attempt that fails (or dies) after it loses its
        // entry with its transaction, and the retry finds the secret already there.
        if (written || !(await audited(db, input.tenantId, 'tenant.database_secret_written', secretPath)))
          await audit('tenant.database_secret_written', 'secret', secretPath, {
            version,
            secretStore: secretStore.kind,
          });

        const [ensured] = await db
          .query<Array<{ outcome: string }>>(`SELECT atrium_ensure_tenant_login($1, $2, $3) AS outcome`, [
            input.tenantId,
            scramSha256Verifier(password),
            written,
          ])
          .catch((error: unknown) => {
            throw databaseRoleFailure(error, roleName);
          });
        if (resources.databaseRole !== roleName)
          await updateTenantResources(db, input.tenantId, { databaseRole: roleName });
        const outcome = ensured?.outcome;
        if (outcome === 'created')
          await audit('tenant.database_role_created', 'database_role', roleName, { schema: schemaName });
        if (outcome === 'password_reset')
          await audit('tenant.database_role_password_reset', 'database_role', roleName, { secretPath });
      });
      Context.current().log.info('Tenant database ready', { schemaName, roleName });
      return { schemaName, roleName, secretPath };
    },

    /**
     * Compensation of createTenantDatabase: drops the login role (with what it owns), the
     * schema and the password. Retry-safe: each is removed only if present.
     */
    async dropTenantDatabase(input: StepInput): Promise<void> {
      await lockedTenantStep(deps, input, (tx) => teardown.dropDatabase(tx, input));
    },
  };
}

/** Whether the tenant's audit log has an entry of `action` on `targetId`. */
async function audited(db: EntityManager, tenantId: string, action: string, targetId: string): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `SELECT 1 FROM audit_log WHERE tenant_id = $1 AND action = $2 AND target_id = $3 LIMIT 1`,
    [tenantId, action, targetId],
  );
  return rows.length > 0;
}

/**
 * The database secret, written once. Returns its password and whether this call wrote it.
 * A secret without a password, or for another role, is replaced (check-and-set on its version).
 */
async function ensureDatabaseSecret(
  store: SecretStore,
  path: string,
  connection: Omit<SecretData, 'password'> & { username: string },
): Promise<{ password: string; written: boolean; version: number }> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const current = await store.read(path);
    if (current?.data.password && current.data.username === connection.username)
      return { password: current.data.password, written: false, version: current.version };
    const password = generatePassword();
    try {
      const { version } = await store.write(path, { ...connection, password }, { cas: current?.version ?? 0 });
      return { password, written: true, version };
    } catch (error) {
      // Another attempt wrote it meanwhile: read theirs.
      if (error instanceof SecretStoreError && error.reason === 'conflict') continue;
      throw error;
    }
  }
  throw new SecretStoreError('failed', `The secret ${path} kept changing while it was written; retrying.`);
}

/** PostgreSQL's refusals of the role functions, in words that say what to do. */
function databaseRoleFailure(error: unknown, roleName: string): unknown {
  const pgError = error as { code?: string; message?: string; hint?: string };
  if (pgError.code === '42710' || pgError.code === '42501' || pgError.code === '22023' || pgError.code === 'P0002')
    return ApplicationFailure.nonRetryable(
      `Cannot set up the login role ${roleName}: ${pgError.message}${pgError.hint ? ` (${pgError.hint})` : ''}.`,
      'TenantDatabaseRoleRefused',
    );
  if (pgError.code === '42883')
    return ApplicationFailure.nonRetryable(
      `The database has no atrium_ensure_tenant_login function: run the migrations (npm run migrate) with DATABASE_MIGRATION_URL.`,
      'MigrationsMissing',
    );
  return error;
}
