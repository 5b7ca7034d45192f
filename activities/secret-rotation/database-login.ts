// rotateDatabaseLogin's steps (the `database-login` strategy, docs/decisions/0032): a tenant has
// two login roles with its owner role's privileges (INHERIT), used alternately. A rotation gives the idle
// login a new password (PostgreSQL gets only its SCRAM verifier), hands the new credentials to
// every consumer (the secret store entry `tenants/<slug>/database`, which the tenant's services
// reread on each new connection; the Kubernetes Secret `tenant-database` in each of its
// namespaces), proves with a real connection that they log in, records the new login as
// current, and at the end of the overlap window disables the old one. A failed step before the
// switch rolls back: the consumers get the old credentials back (the old login never stopped
// working), the new login is disabled, and the owners and admins are alerted.
//
// The password travels only between the secret store, the SCRAM verifier and the verifying
// connection: never in a result, a log line, an audit entry or an event. The rotation's
// working state is a secret of its own, `tenants/<slug>/database-rotation`, so every retry
// reuses the same password.
import { ApplicationFailure } from '@temporalio/activity';
import pg from 'pg';
import type { EntityManager } from 'typeorm';
import { findDatabaseLoginPolicy } from '../../db/repositories/database-login-policies.ts';
import { lockTenantResources, updateTenantResources } from '../../db/repositories/tenant-resources.ts';
import { listEnvironments } from '../../db/repositories/tenant-environments.ts';
import { listOwnerAndAdminAddresses } from '../../db/repositories/memberships.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import type { SecretData } from '../../integrations/secrets/port.ts';
import { SecretStoreError } from '../../integrations/secrets/port.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import type { DatabaseLoginCheck, DatabaseLoginPlan } from '../../workflows/secret-rotation/contract.ts';
import { databaseLoginRotationPath, ROTATION_FAILURE_TYPES } from '../../workflows/secret-rotation/contract.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantStep } from '../shared/kernel.ts';
import { lockedTenantStep, SYSTEM_ACTOR, tenantStep } from '../shared/kernel.ts';
import { mailPeople } from '../shared/mail-people.ts';
import { TENANT_DATABASE_K8S_SECRET } from '../shared/tenant-namespace.ts';
import { tenantDatabaseSecretPath, tenantLoginRoleNames } from '../shared/tenant-teardown.ts';
import { generatePassword, scramSha256Verifier } from '../tenant-provisioning/scram.ts';

export interface DatabaseLoginRotationRef {
  tenantId: string;
  slug: string;
  rotationId: string;
  actor?: AuditActor;
}

export { databaseLoginRotationPath };

const CONNECT_TIMEOUT_MS = 5_000;

interface Pending {
  rotationId: string;
  fromLogin: string;
  toLogin: string;
  /** The version of `tenants/<slug>/database` that held the old credentials. */
  fromVersion: number;
  password: string;
}

function pendingOf(data: SecretData | undefined): Pending | null {
  if (!data?.rotationId || !data.password || !data.toLogin || !data.fromLogin) return null;
  return {
    rotationId: data.rotationId,
    fromLogin: data.fromLogin,
    toLogin: data.toLogin,
    fromVersion: Number(data.fromVersion),
    password: data.password,
  };
}

/** PostgreSQL's refusals of the role functions, in words that say what to do. */
function roleFunctionFailure(error: unknown): unknown {
  const pgError = error as { code?: string; message?: string };
  if (pgError.code === '42883')
    return ApplicationFailure.nonRetryable(
      'The database has no atrium_set_tenant_login_password function: run the migrations (npm run migrate).',
      'MigrationsMissing',
    );
  if (pgError.code === '42501' || pgError.code === '22023' || pgError.code === '42710' || pgError.code === 'P0002')
    return ApplicationFailure.nonRetryable(
      `The tenant's login roles refused the change: ${pgError.message}.`,
      ROTATION_FAILURE_TYPES.unusable,
    );
  return error;
}

/**
 * Connects as the credentials say, the way a consumer does, and reports who it is:
 * null when it logged in as `login` (acting as the owner role), else why not.
 */
export async function connectAs(credentials: SecretData, login: string): Promise<string | null> {
  if (credentials.username !== login) return `holds the login ${credentials.username ?? '(none)'}, not ${login}`;
  const client = new pg.Client({
    host: credentials.host,
    port: Number(credentials.port),
    database: credentials.database,
    user: credentials.username,
    password: credentials.password ?? '',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ login: string; acting: string }>(
      'SELECT session_user AS login, current_user AS acting',
    );
    const who = rows[0];
    if (who?.login !== login) return `logged in as ${who?.login ?? 'nobody'}`;
    return null;
  } catch (error) {
    // The server's refusal (28P01: password authentication failed) or the network's; never the password.
    const pgError = error as { code?: string; message?: string };
    return pgError.code
      ? `refused: ${pgError.code} ${pgError.message ?? ''}`.trim()
      : `no connection: ${String(pgError.message ?? error)}`;
  } finally {
    await client.end().catch(() => {});
  }
}

export function createDatabaseLoginActivities(deps: ActivityDeps) {
  const { secretStore, cluster } = deps;

  async function readPending(ref: DatabaseLoginRotationRef): Promise<Pending | null> {
    const stored = await secretStore.read(databaseLoginRotationPath(ref.slug));
    const pending = pendingOf(stored?.data);
    return pending && pending.rotationId === ref.rotationId ? pending : null;
  }

  async function requirePending(ref: DatabaseLoginRotationRef): Promise<Pending> {
    const pending = await readPending(ref);
    if (!pending)
      throw ApplicationFailure.nonRetryable(
        `Rotation ${ref.rotationId} of the database login of "${ref.slug}" has no working state: it ended, or another rotation replaced it.`,
        ROTATION_FAILURE_TYPES.unusable,
      );
    return pending;
  }

  /** The namespaces (one per live environment) whose `tenant-database` Secret is a consumer. */
  async function namespaceRefs(step: TenantStep, ref: DatabaseLoginRotationRef) {
    const environments = await step.locked(async ({ db }) => listEnvironments(db, ref.tenantId));
    return environments
      .filter((row) => row.status !== 'deleted')
      .map((row) => ({ tenantId: ref.tenantId, slug: ref.slug, environment: row.name }));
  }

  /** Writes `data` to every namespace's Secret; `skipped` when there is no cluster. */
  async function applyToNamespaces(step: TenantStep, ref: DatabaseLoginRotationRef, data: SecretData) {
    const applied: DatabaseLoginCheck[] = [];
    for (const namespace of await namespaceRefs(step, ref)) {
      const outcome = await cluster.port.ensureSecret(namespace, { name: TENANT_DATABASE_K8S_SECRET, data });
      if (outcome.status === 'skipped') return { applied, skipped: outcome.reason };
      applied.push({
        consumer: `kubernetes:${outcome.result.namespace ?? namespace.environment}/${TENANT_DATABASE_K8S_SECRET}`,
        outcome: 'updated',
        at: new Date().toISOString(),
        detail: null,
      });
    }
    return { applied, skipped: null };
  }

  return {
    /**
     * What a policy's Schedule asks first (docs/decisions/0036): whether to rotate now. Not when
     * the tenant is not active (a suspended tenant's rotations wait), its policy is gone, or a
     * rotation of its login is still open. Read-only, so retry-safe.
     */
    async checkScheduledDatabaseLoginRotation(input: {
      tenantId: string;
      slug: string;
    }): Promise<{ skipped: string | null; actor: AuditActor }> {
      const actor = SYSTEM_ACTOR;
      const skip = (skipped: string) => ({ skipped, actor });
      const found = await lockedTenantStep(deps, { tenantId: input.tenantId, actor }, async (tx) => ({
        tenant: await findTenantById(tx.db, input.tenantId),
        policy: await findDatabaseLoginPolicy(tx.db, input.tenantId),
      }));
      if (!found.tenant || found.tenant.status !== 'active')
        return skip(`The tenant is ${found.tenant?.status ?? 'gone'}.`);
      if (!found.policy) return skip('The tenant has no database login rotation policy any more.');
      const open = pendingOf((await secretStore.read(databaseLoginRotationPath(input.slug)))?.data);
      if (open) return skip(`Rotation ${open.rotationId} of the tenant's database login is still open.`);
      return { skipped: null, actor };
    },

    /**
     * Reads which login is current (the one the secret store entry names) and makes the
     * rotation's working state: the idle login and a new password. Retry-safe: a rotation that
     * has its state reuses it; another open rotation of the same tenant is refused.
     */
    async prepareDatabaseLoginRotation(ref: DatabaseLoginRotationRef): Promise<DatabaseLoginPlan> {
      return tenantStep(deps, ref, async (step) => {
        const entryPath = tenantDatabaseSecretPath(ref.slug);
        const pendingPath = databaseLoginRotationPath(ref.slug);
        for (let attempt = 0; attempt < 3; attempt += 1) {
          const existing = await secretStore.read(pendingPath);
          const other = pendingOf(existing?.data);
          if (other && other.rotationId === ref.rotationId)
            return { fromLogin: other.fromLogin, toLogin: other.toLogin, fromVersion: other.fromVersion };
          if (other)
            throw ApplicationFailure.nonRetryable(
              `Rotation ${other.rotationId} of this tenant's database login is still open; wait for it to end.`,
              ROTATION_FAILURE_TYPES.unusable,
            );
          const entry = await secretStore.read(entryPath);
          const logins = tenantLoginRoleNames(ref.slug);
          const fromLogin = entry?.data.username;
          if (!entry || !entry.data.password || !fromLogin || !logins.includes(fromLogin))
            throw ApplicationFailure.nonRetryable(
              `The database credentials of "${ref.slug}" (${entryPath}) are missing or name no login of the tenant; provision the tenant first.`,
              ROTATION_FAILURE_TYPES.unusable,
            );
          const toLogin = logins.find((login) => login !== fromLogin)!;
          try {
            await secretStore.write(
              pendingPath,
              {
                rotationId: ref.rotationId,
                fromLogin,
                toLogin,
                fromVersion: String(entry.version),
                password: generatePassword(),
              },
              { cas: existing?.version ?? 0 },
            );
          } catch (error) {
            // An earlier attempt of this rotation wrote it meanwhile: read it.
            if (error instanceof SecretStoreError && error.reason === 'conflict') continue;
            throw error;
          }
          await step.locked(({ audit }) =>
            audit('tenant.database_login_rotation_started', 'database_role', toLogin, {
              rotation: ref.rotationId,
              current: fromLogin,
            }),
          );
          return { fromLogin, toLogin, fromVersion: entry.version };
        }
        throw new SecretStoreError('failed', `The secret ${pendingPath} kept changing while it was written; retrying.`);
      });
    },

    /**
     * Gives the idle login the rotation's password (as a SCRAM verifier) and LOGIN. The current
     * login is not touched. Retry-safe: setting the same password again changes nothing a
     * consumer sees.
     */
    async setIdleLoginPassword(ref: DatabaseLoginRotationRef): Promise<void> {
      await tenantStep(deps, ref, async (step) => {
        const pending = await requirePending(ref);
        await step.locked(async ({ db, audit }) => {
          await db
            .query(`SELECT atrium_set_tenant_login_password($1, $2, $3)`, [
              ref.tenantId,
              pending.toLogin,
              scramSha256Verifier(pending.password),
            ])
            .catch((error: unknown) => {
              throw roleFunctionFailure(error);
            });
          if (!(await auditedRotation(db, ref, 'tenant.database_login_password_set')))
            await audit('tenant.database_login_password_set', 'database_role', pending.toLogin, {
              rotation: ref.rotationId,
            });
        });
      });
    },

    /**
     * Hands the new credentials to every consumer: the secret store entry (the login it names
     * and its password) and the Kubernetes Secret of each namespace. Both logins work now, so
     * a consumer that takes them at once keeps working. Retry-safe: an entry that already holds
     * them is not written again; Secrets are server-side applies.
     */
    async updateDatabaseLoginConsumers(ref: DatabaseLoginRotationRef): Promise<{ consumers: DatabaseLoginCheck[] }> {
      return tenantStep(deps, ref, async (step) => {
        const pending = await requirePending(ref);
        const entryPath = tenantDatabaseSecretPath(ref.slug);
        const entry = await secretStore.read(entryPath);
        if (!entry) throw ApplicationFailure.nonRetryable(`${entryPath} is gone.`, ROTATION_FAILURE_TYPES.unusable);
        const data = { ...entry.data, username: pending.toLogin, password: pending.password };
        if (entry.data.username !== pending.toLogin || entry.data.password !== pending.password)
          await secretStore.write(entryPath, data, { cas: entry.version });
        const consumers: DatabaseLoginCheck[] = [
          { consumer: `secret-store:${entryPath}`, outcome: 'updated', at: new Date().toISOString(), detail: null },
        ];
        const namespaces = await applyToNamespaces(step, ref, data);
        consumers.push(...namespaces.applied);
        await step.locked(async ({ db, audit }) => {
          if (!(await auditedRotation(db, ref, 'tenant.database_login_consumers_updated')))
            await audit('tenant.database_login_consumers_updated', 'database_role', pending.toLogin, {
              rotation: ref.rotationId,
              consumers: consumers.map((c) => c.consumer),
              cluster: namespaces.skipped,
            });
        });
        return { consumers };
      });
    },

    /**
     * Proves every consumer's credentials log in: a real connection, as the new login, with
     * what the secret store entry holds (what the tenant's services read) and with what each
     * namespace's Secret was given. Retry-safe: it only connects.
     */
    async verifyDatabaseLoginConsumers(
      ref: DatabaseLoginRotationRef,
    ): Promise<{ ok: boolean; message: string; consumers: DatabaseLoginCheck[] }> {
      return tenantStep(deps, ref, async (step) => {
        const pending = await requirePending(ref);
        const entryPath = tenantDatabaseSecretPath(ref.slug);
        const entry = await secretStore.read(entryPath);
        const consumers: DatabaseLoginCheck[] = [];
        const problem = entry ? await connectAs(entry.data, pending.toLogin) : `${entryPath} is gone`;
        consumers.push({
          consumer: `secret-store:${entryPath}`,
          outcome: problem ? 'refused' : 'verified',
          at: new Date().toISOString(),
          detail: problem,
        });
        // Each namespace's Secret is read back from the API server and connected with: what a
        // workload there would mount, not what Atrium meant to write.
        for (const namespace of await namespaceRefs(step, ref)) {
          const held = await cluster.port.readSecretData(namespace, TENANT_DATABASE_K8S_SECRET);
          if (held.status === 'skipped') break;
          const secretProblem = held.result
            ? await connectAs(held.result, pending.toLogin)
            : `the Secret ${TENANT_DATABASE_K8S_SECRET} is gone`;
          consumers.push({
            consumer: `kubernetes:${namespace.environment}/${TENANT_DATABASE_K8S_SECRET}`,
            outcome: secretProblem ? 'refused' : 'verified',
            at: new Date().toISOString(),
            detail: secretProblem,
          });
        }
        const failed = consumers.filter((c) => c.outcome !== 'verified');
        // Each distinct answer is audited once: a retry that finds the same adds nothing.
        const outcomes = consumers.map(({ consumer, outcome }) => ({ consumer, outcome }));
        await step.locked(async ({ db, audit }) => {
          const [seen] = await db.query<unknown[]>(
            `SELECT 1 FROM audit_log WHERE tenant_id = $1 AND action = 'tenant.database_login_consumers_verified'
               AND after->>'rotation' = $2 AND after->'consumers' = $3::jsonb LIMIT 1`,
            [ref.tenantId, ref.rotationId, JSON.stringify(outcomes)],
          );
          if (!seen)
            await audit('tenant.database_login_consumers_verified', 'database_role', pending.toLogin, {
              rotation: ref.rotationId,
              consumers: outcomes,
            });
        });
        const message = failed.length
          ? `Verify failed for ${failed.map((c) => `${c.consumer} (${c.detail ?? c.outcome})`).join(', ')}.`
          : `${consumers.length} consumer(s) connected as ${pending.toLogin}.`;
        return { ok: failed.length === 0, message, consumers };
      });
    },

    /**
     * Records the new login as the tenant's current one (tenant_resources) and emits
     * `database_login.rotated`; the old login keeps working until the window ends.
     * Retry-safe: a tenant already on the new login is not changed or audited again.
     */
    async switchDatabaseLogin(
      ref: DatabaseLoginRotationRef & { overlapMs: number; verified: string[] },
    ): Promise<{ oldValidUntil: string }> {
      return tenantStep(deps, ref, async (step) => {
        const pending = await requirePending(ref);
        const oldValidUntil = new Date(Date.now() + ref.overlapMs).toISOString();
        await step.locked(async ({ db, auditChange, emit }) => {
          const resources = await lockTenantResources(db, ref.tenantId);
          if (resources.databaseRole === pending.toLogin) return;
          await updateTenantResources(db, ref.tenantId, { databaseRole: pending.toLogin });
          await auditChange(
            'tenant.database_login_switched',
            'database_role',
            pending.toLogin,
            { login: pending.fromLogin },
            { login: pending.toLogin, rotation: ref.rotationId, oldValidUntil },
          );
          await emit('database_login.rotated', {
            rotationId: ref.rotationId,
            fromLogin: pending.fromLogin,
            toLogin: pending.toLogin,
            verified: ref.verified,
            oldValidUntil,
          });
        });
        return { oldValidUntil };
      });
    },

    /**
     * Ends the overlap window: the old login loses LOGIN and its password, and the rotation's
     * working state is destroyed. Retry-safe: a login already disabled stays so; the state is
     * destroyed last, so a retry still knows which login to disable.
     */
    async retireOldDatabaseLogin(ref: DatabaseLoginRotationRef): Promise<{ disabled: string | null }> {
      return tenantStep(deps, ref, async (step) => {
        const pending = await readPending(ref);
        if (!pending) return { disabled: null };
        await step.locked(async ({ db, audit }) => {
          const [row] = await db
            .query<Array<{ was: boolean }>>(`SELECT atrium_disable_tenant_login($1, $2) AS was`, [
              ref.tenantId,
              pending.fromLogin,
            ])
            .catch((error: unknown) => {
              throw roleFunctionFailure(error);
            });
          if (row?.was)
            await audit('tenant.database_login_disabled', 'database_role', pending.fromLogin, {
              rotation: ref.rotationId,
              current: pending.toLogin,
            });
        });
        await secretStore.destroy(databaseLoginRotationPath(ref.slug));
        return { disabled: pending.fromLogin };
      });
    },

    /**
     * Rolls back a rotation that did not switch: the secret store entry and the namespaces'
     * Secrets get the old credentials back (the old login never stopped working), the new
     * login is disabled, and the owners and admins are alerted (audit entry,
     * `database_login.rotation_failed`, mail). Retry-safe: what already holds the old
     * credentials is not written again; the alert is audited once and mailed with fixed
     * Message-IDs.
     */
    async rollBackDatabaseLoginRotation(
      ref: DatabaseLoginRotationRef & { reason: string },
    ): Promise<{ currentLogin: string | null }> {
      return tenantStep(deps, ref, async (step) => {
        const pending = await readPending(ref);
        const entryPath = tenantDatabaseSecretPath(ref.slug);
        let currentLogin: string | null = null;
        if (pending) {
          const entry = await secretStore.read(entryPath);
          const old = await secretStore.read(entryPath, { version: pending.fromVersion });
          if (entry && old) {
            if (entry.data.username !== old.data.username || entry.data.password !== old.data.password)
              await secretStore.write(entryPath, old.data, { cas: entry.version });
            await applyToNamespaces(step, ref, old.data);
            currentLogin = old.data.username ?? null;
          }
          await step.locked(async ({ db }) => {
            await db
              .query(`SELECT atrium_disable_tenant_login($1, $2)`, [ref.tenantId, pending.toLogin])
              .catch((error: unknown) => {
                throw roleFunctionFailure(error);
              });
          });
        } else {
          currentLogin = (await secretStore.read(entryPath))?.data.username ?? null;
        }
        const mailed = await step.locked(async ({ db, audit, emit }) => {
          if (!(await auditedRotation(db, ref, 'tenant.database_login_rotation_rolled_back'))) {
            await audit('tenant.database_login_rotation_rolled_back', 'database_role', pending?.toLogin ?? null, {
              rotation: ref.rotationId,
              current: currentLogin,
              reason: ref.reason,
            });
            await emit('database_login.rotation_failed', {
              rotationId: ref.rotationId,
              currentLogin,
              reason: ref.reason,
            });
          }
          return auditedRotation(db, ref, 'tenant.database_login_rotation_mailed');
        });
        if (!mailed) await mailOwners(deps, step, ref, currentLogin);
        if (pending) await secretStore.destroy(databaseLoginRotationPath(ref.slug));
        return { currentLogin };
      });
    },
  };
}

/** Whether this rotation already wrote an audit entry of `action` (alerts are sent once). */
async function auditedRotation(db: EntityManager, ref: DatabaseLoginRotationRef, action: string): Promise<boolean> {
  const rows = await db.query<unknown[]>(
    `SELECT 1 FROM audit_log WHERE tenant_id = $1 AND action = $2 AND after->>'rotation' = $3 LIMIT 1`,
    [ref.tenantId, action, ref.rotationId],
  );
  return rows.length > 0;
}

/** One mail to each owner and admin (fixed Message-IDs: a retry sends the same ones); audited with its recipients. */
async function mailOwners(
  deps: ActivityDeps,
  step: TenantStep,
  ref: DatabaseLoginRotationRef & { reason: string },
  currentLogin: string | null,
): Promise<void> {
  const read = await step.locked(async ({ db }) => ({
    tenant: await findTenantById(db, ref.tenantId),
    contacts: await listOwnerAndAdminAddresses(db, ref.tenantId),
  }));
  const { recipients, refused } = await mailPeople(deps.mailer, read.contacts, (contact) => ({
    to: contact.email,
    subject: `Database login rotation rolled back (${read.tenant?.name ?? ref.slug})`,
    text: [
      `The rotation ${ref.rotationId} of your database login was rolled back: ${ref.reason}`,
      '',
      `The login in use before (${currentLogin ?? 'unknown'}) is current again and still valid; your services`,
      'keep working with the credentials they have. Nothing needs to be done; Atrium will rotate again later.',
      '',
      '— Atrium',
    ].join('\n'),
    messageId: `database-login-rotation.rolled-back.${ref.slug}.${ref.rotationId}.${contact.user_id}@atrium`,
  }));
  await step.locked(({ audit }) =>
    audit('tenant.database_login_rotation_mailed', 'database_role', currentLogin, {
      rotation: ref.rotationId,
      recipients,
      refused,
    }),
  );
}
