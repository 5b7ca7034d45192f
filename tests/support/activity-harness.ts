// Activity tests: a family's activities called directly (its `createActivities(deps)`), on a
// test database, connected as the runtime role the worker uses (row-level security on), with
// the embedded adapters — the local secret store and local billing in that database, no
// cluster, SMTP to an in-process capture — and a license signer. Each call runs inside
// MockActivityEnvironment (@temporalio/testing: an in-process activity Context, no server),
// so heartbeats, logging and `Context.current().info` work as under a worker.
//
// `twice` is the heart of it (after Dust's activity tests): it runs an activity, runs it
// again with the same input, and checks that the second run was a no-op — the same result,
// no audit entry, no row, secret, billing record, schema, role or mail more — and that the
// bystander, another fully provisioned tenant seeded in the same database, is exactly as it
// was: its rows in every tenant-owned table, its audit chain, its secrets, its billing
// records, its SSO sessions, its schema and login role, its mails.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Info } from '@temporalio/activity';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import type { ActivityDeps } from '../../activities/shared/deps.ts';
import tenantProvisioning from '../../activities/tenant-provisioning/index.ts';
import { createLicenseSigner } from '../../activities/tenant-provisioning/license.ts';
import { createDataSource } from '../../db/data-source.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { createLocalBilling } from '../../integrations/billing/local.ts';
import { NoCluster } from '../../integrations/cluster/none.ts';
import { createSmtpMailer } from '../../integrations/mail/smtp.ts';
import { Client, Connection } from '@temporalio/client';
import { createOutboundClient } from '../../integrations/outbound/fetch.ts';
import { createOutboundGuard } from '../../integrations/outbound/guard.ts';
import { createLocalSecretStore } from '../../integrations/secrets/local.ts';
import { realSigningClock } from '../../integrations/webhooks/signing-clock.ts';
import { activityLogContext } from '../../worker/activity-log-context.ts';
import type { PlanName } from '../../workflows/shared/plans.ts';
import { PLAN_NAMES } from '../../workflows/shared/plans.ts';
import type { TestDatabase } from './database.ts';
import { createTestDatabase } from './database.ts';
import type { SmtpCapture } from './smtp-capture.ts';
import { testEnv } from './env.ts';
import { startSmtpCapture } from './smtp-capture.ts';

// An activity set is what a family's createActivities(deps) returns; activities are named
// by their key (as the worker registers them), which keeps them bound to their set.
type AnyActivity = (input: any) => Promise<unknown>;
export type ActivityName<A> = { [K in keyof A]: A[K] extends AnyActivity ? K : never }[keyof A] & string;
export type ActivityInput<A, K extends keyof A> = Parameters<Extract<A[K], AnyActivity>>[0];
export type ActivityResult<A, K extends keyof A> = Awaited<ReturnType<Extract<A[K], AnyActivity>>>;

/** A tenant as the activities' inputs name it. */
export interface TestTenant {
  tenantId: string;
  slug: string;
  name: string;
  plan: PlanName;
  ownerEmail: string;
}

/** What an activity logged through `Context.current().log`. */
export interface LoggedLine {
  level: LogLevel;
  message: string;
  meta: LogMetadata | undefined;
}

export interface ActivityRun<R> {
  result: R;
  /** Heartbeats the activity sent. */
  heartbeats: number;
  logs: LoggedLine[];
}

export interface TwiceOptions<R> {
  /** Whose state the second run must leave exactly as the first left it. */
  tenant: TestTenant;
  /** The workflow the activity believes it runs in (offboarding keys its export and report by it). */
  workflowExecution?: { workflowId: string; runId: string };
  /**
   * What the second run returns, when the activity reports on purpose what *this* attempt did
   * (sendWelcomeMail: `{ sent: false }`). Default: the first run's result.
   */
  secondResult?: R;
  /**
   * Paths of the tenant's state that the second run rewrites (evidence time stamps), checked
   * exactly: any other difference fails. Default: none.
   */
  secondRunChanges?: string[];
}

export interface TwiceOutcome<R> extends ActivityRun<R> {
  /** The audit actions the first run appended to the tenant's chain, in order. */
  audit: string[];
  /** The tenant's state before the first run and after it. */
  before: TenantState;
  after: TenantState;
}

/**
 * Everything of one tenant that an activity could change, read as the owner (no RLS): a list
 * of rows per table (`tenants`, every table with a `tenant_id`, `sso_sessions`,
 * `local_secrets`, `local_secret_access`), `postgres` (its schema, login role and tables)
 * and `mails` (to its owner). Loosely typed: tests pick the fields they check.
 */
export type TenantState = Record<string, any>;

export interface ActivityHarness {
  database: TestDatabase;
  /** The runtime role's pool the activities use. */
  dataSource: DataSource;
  deps: ActivityDeps;
  smtp: SmtpCapture;
  /** A platform admin (a real user row): the actor of the tests' requests. */
  admin: AuditActor;
  /** Another tenant, fully provisioned, with a live SSO session: nothing may touch it. */
  bystander: TestTenant;
  /** A tenant nobody has created yet: unique slug under the file's prefix. */
  newTenant(options?: { plan?: PlanName }): TestTenant;
  /** The tenant as most step inputs name it, with the admin as the actor. */
  ref(tenant: TestTenant): { tenantId: string; slug: string; actor: AuditActor };
  /** Runs the provisioning activities (record … activate) for the tenant: an active tenant. */
  provision(tenant: TestTenant): Promise<void>;
  /** A refresh-token family started through the tenant's single sign-on (what suspension revokes). */
  seedSsoSession(tenant: TestTenant): Promise<{ familyId: string }>;
  /** Runs one activity of the set once, in an activity Context. */
  run<A, K extends ActivityName<A>>(
    activities: A,
    name: K,
    input: ActivityInput<A, K>,
    options?: { workflowExecution?: { workflowId: string; runId: string } },
  ): Promise<ActivityRun<ActivityResult<A, K>>>;
  /** Runs the activity and returns what it threw (fails the test when it did not throw). */
  failure<A, K extends ActivityName<A>>(
    activities: A,
    name: K,
    input: ActivityInput<A, K>,
    options?: { workflowExecution?: { workflowId: string; runId: string } },
  ): Promise<unknown>;
  /** Runs the activity twice with the same input; see the file's head for what it checks. */
  twice<A, K extends ActivityName<A>>(
    activities: A,
    name: K,
    input: ActivityInput<A, K>,
    options: TwiceOptions<ActivityResult<A, K>>,
  ): Promise<TwiceOutcome<ActivityResult<A, K>>>;
  state(tenant: TestTenant): Promise<TenantState>;
  /** Fails when the bystander is not exactly as it was right after it was seeded. */
  assertBystanderUntouched(): Promise<void>;
  stop(): Promise<void>;
}

export async function startActivityHarness(options: { slugPrefix: string }): Promise<ActivityHarness> {
  const database = await createTestDatabase();
  // Two connections per running activity (its transaction, and the local store's or
  // billing's), as in the worker; a few more for the state reads between runs.
  const dataSource = createDataSource({ url: database.url, applicationName: 'atrium-test-activities', poolSize: 4 });
  await dataSource.initialize();
  const smtp = await startSmtpCapture();
  const mailer = createSmtpMailer({ url: smtp.url, from: 'Atrium <no-reply@atrium.test>' });
  const outbound = createOutboundClient(createOutboundGuard({ allowLoopback: false }));
  const keyFile = join(mkdtempSync(join(tmpdir(), 'atrium-activity-test-')), 'secret-store.key');
  const licenseKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const dbUrl = new URL(database.url);
  const deps: ActivityDeps = {
    dataSource,
    cluster: { port: new NoCluster(), environments: ['production'] },
    secretStore: createLocalSecretStore({ dataSource, keyFile }),
    billing: createLocalBilling({ dataSource, plans: PLAN_NAMES }),
    mailer,
    // The real guard, loopback refused: activities reach tenants' addresses only through it.
    outbound: outbound.fetch,
    tenantDatabase: { host: dbUrl.hostname, port: Number(dbUrl.port || 5432), database: database.name },
    license: await createLicenseSigner(licenseKey, 'the test license key'),
    publicUrl: 'http://portal.atrium.test',
    invitationTtlMs: 7 * 86_400_000,
    connectors: { allowInsecureProviders: true },
    // The run's Temporal dev server, connected on first use: connector activities pause, resume
    // and delete sync schedules (none exist here: those calls find nothing to do).
    temporal: new Client({ connection: Connection.lazy({ address: testEnv.ATRIUM_TEST_TEMPORAL_ADDRESS }) }),
    webhookSigningClock: realSigningClock,
  };

  const [adminRow] = await database.query<{ id: string }>(
    `INSERT INTO users (email, display_name, is_platform_admin, email_verified_at)
     VALUES ('staff@platform.test', 'Staff', true, now()) RETURNING id`,
  );
  const admin: AuditActor = { type: 'user', id: adminRow!.id, requestId: 'req-activity-test', ip: '127.0.0.1' };

  let counter = 0;
  const prefix = options.slugPrefix;
  const newTenant = ({ plan = 'team' }: { plan?: PlanName } = {}): TestTenant => {
    counter += 1;
    const slug = `${prefix}-${counter}${randomBytes(2).toString('hex')}`;
    return { tenantId: randomUUID(), slug, name: `Tenant ${slug}`, plan, ownerEmail: `owner@${slug}.test` };
  };

  // State is read as the owner (no row-level security) on a connection of its own, kept open:
  // a state read is some twenty queries, taken three times per `twice`.
  const owner = new pg.Pool({ connectionString: database.ownerUrl, max: 1, application_name: 'atrium-test-state' });
  const ownerQuery = async <T = Record<string, any>>(sql: string, params: unknown[] = []) =>
    (await owner.query(sql, params)).rows as T[];

  let tenantTables: string[] | undefined;
  async function state(tenant: TestTenant): Promise<TenantState> {
    tenantTables ??= (
      await ownerQuery<{ table_name: string }>(
        `SELECT DISTINCT table_name FROM information_schema.columns
         WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY table_name`,
      )
    ).map((row) => row.table_name);
    const snapshot: TenantState = {};
    const rows = async (sql: string, params: unknown[]) =>
      (await ownerQuery<{ row: Record<string, unknown> }>(sql, params))
        .map((r) => comparable(r.row))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    snapshot.tenants = await rows(`SELECT to_jsonb(t) AS row FROM tenants t WHERE id = $1`, [tenant.tenantId]);
    for (const table of tenantTables) {
      snapshot[table] =
        table === 'audit_log'
          ? // In chain order: the hashes say whether the chain stayed as it was.
            (
              await ownerQuery<{ row: Record<string, unknown> }>(
                `SELECT to_jsonb(t) AS row FROM audit_log t WHERE tenant_id = $1 ORDER BY id`,
                [tenant.tenantId],
              )
            ).map((r) => comparable(r.row))
          : await rows(`SELECT to_jsonb(t) AS row FROM "${table}" t WHERE tenant_id = $1`, [tenant.tenantId]);
    }
    snapshot.sso_sessions = await rows(`SELECT to_jsonb(t) AS row FROM refresh_tokens t WHERE sso_tenant_id = $1`, [
      tenant.tenantId,
    ]);
    snapshot.local_secrets = await rows(
      `SELECT to_jsonb(t) AS row FROM local_secrets t WHERE starts_with(path, $1) ORDER BY path, version`,
      [`tenants/${tenant.slug}/`],
    );
    snapshot.local_secret_access = await rows(`SELECT to_jsonb(t) AS row FROM local_secret_access t WHERE slug = $1`, [
      tenant.slug,
    ]);
    const schema = `tenant_${tenant.slug.replaceAll('-', '_')}`;
    snapshot.postgres = (
      await ownerQuery(
        `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema,
                EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $2) AS login_role,
                EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $2 || '_b') AS login_b_role,
                EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1 || '_owner') AS owner_role,
                (SELECT coalesce(array_agg(tablename::text ORDER BY tablename), '{}') FROM pg_tables WHERE schemaname = $1) AS tables`,
        [schema, `${schema}_login`],
      )
    )[0];
    snapshot.mails = smtp.mailsTo(tenant.ownerEmail).map((mail) => ({ subject: mail.subject, id: mail.messageId }));
    return snapshot;
  }

  async function run<A, K extends ActivityName<A>>(
    activities: A,
    name: K,
    input: ActivityInput<A, K>,
    runOptions: { workflowExecution?: { workflowId: string; runId: string } } = {},
  ): Promise<ActivityRun<ActivityResult<A, K>>> {
    const logs: LoggedLine[] = [];
    const info: Partial<Info> = {
      activityType: name,
      activityId: randomUUID(),
      heartbeatTimeoutMs: 3_000,
      startToCloseTimeoutMs: 60_000,
      workflowExecution: runOptions.workflowExecution ?? testExecution(`activity-test/${name}`),
    };
    const environment = new MockActivityEnvironment(info, {
      logger: collectingLogger(logs),
      interceptors: [activityLogContext],
    });
    let heartbeats = 0;
    environment.on('heartbeat', () => (heartbeats += 1));
    const activity = (value: unknown) => (activities[name] as AnyActivity)(value);
    const result = (await environment.run<[unknown], unknown, typeof activity>(activity, input)) as ActivityResult<
      A,
      K
    >;
    return { result, heartbeats, logs };
  }

  const baseline: { bystander?: TenantState } = {};
  const harness: ActivityHarness = {
    database,
    dataSource,
    deps,
    smtp,
    admin,
    bystander: { ...newTenant(), name: 'The bystander' },
    newTenant,
    ref: (tenant) => ({ tenantId: tenant.tenantId, slug: tenant.slug, actor: admin }),

    async provision(tenant) {
      const a = tenantProvisioning.createActivities(deps);
      const ref = harness.ref(tenant);
      const { name, plan, ownerEmail } = tenant;
      await run(a, 'createTenantRecord', { ...ref, name, plan, ownerEmail });
      await run(a, 'createTenantDatabase', ref);
      await run(a, 'grantTenantSecretAccess', ref);
      await run(a, 'createTenantBilling', { ...ref, name, ownerEmail, plan });
      await run(a, 'createTenantEnvironments', { ...ref, plan });
      await run(a, 'issueTenantLicense', { ...ref, plan });
      await run(a, 'sendWelcomeMail', { ...ref, name, ownerEmail });
      await run(a, 'activateTenant', { tenantId: tenant.tenantId, actor: admin });
    },

    async seedSsoSession(tenant) {
      const familyId = randomUUID();
      const [user] = await database.query<{ id: string }>(
        `INSERT INTO users (email, display_name, email_verified_at) VALUES ($1, 'SSO member', now()) RETURNING id`,
        [`sso-${randomBytes(4).toString('hex')}@${tenant.slug}.test`],
      );
      await database.query(
        `INSERT INTO refresh_tokens (family_id, user_id, token_hash, expires_at, sso_tenant_id)
         VALUES ($1, $2, $3, now() + interval '1 day', $4)`,
        [familyId, user!.id, randomBytes(32), tenant.tenantId],
      );
      return { familyId };
    },

    run,

    async failure(activities, name, input, runOptions) {
      try {
        await run(activities, name, input, runOptions);
      } catch (error) {
        return error;
      }
      assert.fail(`${name} succeeded; it should have failed`);
    },

    async twice(activities, name, input, twiceOptions) {
      const { tenant } = twiceOptions;
      const runOptions = { workflowExecution: twiceOptions.workflowExecution ?? testExecution() };
      const before = await state(tenant);
      const first = await run(activities, name, input, runOptions);
      const after = await state(tenant);
      const second = await run(activities, name, input, runOptions);
      const again = await state(tenant);

      assert.deepEqual(
        second.result,
        'secondResult' in twiceOptions ? twiceOptions.secondResult : first.result,
        `${name}: the second run returns what the first did`,
      );
      assert.deepEqual(
        actionsOf(again).slice(actionsOf(after).length),
        [],
        `${name}: the second run writes no audit entry`,
      );
      assert.deepEqual(
        differences(after, again),
        twiceOptions.secondRunChanges ?? [],
        `${name}: the second run changes nothing of the tenant's (rows, secrets, billing, schema, role, mails)`,
      );
      await harness.assertBystanderUntouched();
      assert.deepEqual(
        await ownerQuery(`SELECT id, tenant_id, problem FROM audit_log_verify()`),
        [],
        'every audit chain verifies',
      );
      return { ...first, audit: actionsOf(after).slice(actionsOf(before).length), before, after };
    },

    state,

    async assertBystanderUntouched() {
      assert.ok(baseline.bystander, 'the bystander was seeded');
      assert.deepEqual(
        differences(baseline.bystander, await state(harness.bystander)),
        [],
        'another tenant (the bystander) is untouched',
      );
    },

    async stop() {
      await deps.temporal.connection.close();
      await mailer.close();
      await outbound.close();
      await smtp.stop();
      await owner.end();
      await dataSource.destroy();
      await database.drop();
    },
  };

  await harness.provision(harness.bystander);
  await harness.seedSsoSession(harness.bystander);
  baseline.bystander = await state(harness.bystander);
  return harness;
}

/** A workflow execution for activities that key their work by it (one per call of `twice`). */
export function testExecution(workflowId = 'activity-test'): { workflowId: string; runId: string } {
  return { workflowId, runId: randomUUID() };
}

/** The audit actions of a tenant's state, in chain order. */
export function actionsOf(state: TenantState): string[] {
  return (state.audit_log as Array<{ action: string }>).map((entry) => entry.action);
}

/** Paths at which two values differ (`tenant_resources[0].secret_policy`). */
export function differences(a: unknown, b: unknown, path = ''): string[] {
  if (Object.is(a, b)) return [];
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [`${path}.length`];
    return a.flatMap((item, index) => differences(item, b[index], `${path}[${index}]`));
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((key) => differences(a[key], b[key], path ? `${path}.${key}` : key));
  }
  return [path];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A row as compared between runs: without `updated_at` (ORM bookkeeping that a no-op UPDATE
 * may bump; what changed is in the other columns), long values (archives, ciphertexts) as
 * their hash, so a difference reads as a path rather than a page of hex.
 */
function comparable(row: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (key === 'updated_at') continue;
    copy[key] =
      typeof value === 'string' && value.length > 200
        ? `sha256:${createHash('sha256').update(value).digest('hex').slice(0, 16)}`
        : value;
  }
  return copy;
}

function collectingLogger(lines: LoggedLine[]): Logger {
  const at =
    (level: LogLevel) =>
    (message: string, meta?: LogMetadata): void => {
      lines.push({ level, message, meta });
    };
  return {
    log: (level, message, meta) => at(level)(message, meta),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
}
