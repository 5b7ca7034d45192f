// Issue 16, item 1: a tenant's database login rotated (rotateDatabaseLogin, docs/decisions/0032)
// on a PostgreSQL cluster that checks passwords (an embedded one initialised with
// scram-sha-256: the machine's server trusts every local login, so a password test there
// proves nothing), while consumers run well over 50 queries per second, each rereading the
// credentials from the secret store on every new connection. Two rotations (A → B → A) finish
// with zero failed queries and zero refused connections; afterwards each old password is
// refused. A third rotation whose new login refuses connections rolls back: the login in use
// stays current and keeps working, the new one is disabled, and the tenant is alerted. Real
// Temporal, real activities, the local secret store; no password in any workflow history.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { createDatabaseActivities } from '../../activities/tenant-provisioning/database.ts';
import { createSecretRotationActivities } from '../../activities/secret-rotation/index.ts';
import type { ActivityDeps } from '../../activities/shared/deps.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import { createDataSource } from '../../db/data-source.ts';
import type { EmbeddedPostgresServer } from '../../db/embedded-postgres.ts';
import { startEmbeddedPostgres } from '../../db/embedded-postgres.ts';
import { runMigrations } from '../../db/run-migrations.ts';
import { ensureRuntimeLogin } from '../../db/runtime-role.ts';
import { createLocalBilling } from '../../integrations/billing/local.ts';
import { NoCluster } from '../../integrations/cluster/none.ts';
import { createLicenseSigner } from '../../activities/tenant-provisioning/license.ts';
import { createSmtpMailer } from '../../integrations/mail/smtp.ts';
import { createOutboundClient } from '../../integrations/outbound/fetch.ts';
import { createOutboundGuard } from '../../integrations/outbound/guard.ts';
import { createLocalSecretStore } from '../../integrations/secrets/local.ts';
import type { SecretStore } from '../../integrations/secrets/port.ts';
import { realSigningClock } from '../../integrations/webhooks/signing-clock.ts';
import { PLAN_NAMES } from '../../workflows/shared/plans.ts';
import { rotateDatabaseLoginWorkflowId } from '../../workflows/secret-rotation/contract.ts';
import type { rotateDatabaseLogin } from '../../workflows/secret-rotation/index.ts';
import { testEnv } from '../support/env.ts';
import { recordHistory } from '../support/histories.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';
import type { WorkflowHarness } from '../support/workflow-harness.ts';
import { startWorkflowHarness, TEST_TIMINGS } from '../support/workflow-harness.ts';

const actor: AuditActor = { type: 'system', id: null, requestId: null, ip: null };
const RUNTIME_ROLE = 'atrium_runtime';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface Load {
  ok: number;
  failed: number;
  refused: number;
  errors: string[];
}

/**
 * A consumer as a tenant's service is written: it reads the credentials from the secret store
 * for every new connection (and again after a refused one), runs a few queries on it, closes it.
 */
async function consume(store: SecretStore, path: string, load: Load, stop: () => boolean): Promise<void> {
  while (!stop()) {
    const credentials = (await store.read(path))!.data;
    const client = new pg.Client({
      host: credentials.host,
      port: Number(credentials.port),
      database: credentials.database,
      user: credentials.username,
      password: credentials.password,
      connectionTimeoutMillis: 5_000,
    });
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (error) {
      load.refused += 1;
      load.errors.push(`connect as ${credentials.username}: ${(error as Error).message}`);
      await client.end().catch(() => {});
      continue;
    }
    try {
      for (let i = 0; i < 8 && !stop(); i += 1) {
        try {
          await client.query('SELECT count(*) FROM notes');
          load.ok += 1;
        } catch (error) {
          load.failed += 1;
          load.errors.push(`query as ${credentials.username}: ${(error as Error).message}`);
        }
        await sleep(5);
      }
    } finally {
      await client.end().catch(() => {});
    }
  }
}

describe('database login rotation on a scram-sha-256 cluster', () => {
  let dataDir: string;
  let server: EmbeddedPostgresServer;
  let dataSource: DataSource;
  let smtp: SmtpCapture;
  let harness: WorkflowHarness;
  let deps: ActivityDeps;
  let ownerUrl: string;
  const tenantId = randomUUID();
  const slug = `dbl-${randomBytes(3).toString('hex')}`;
  const schema = `tenant_${slug.replaceAll('-', '_')}`;
  const entryPath = `tenants/${slug}/database`;

  const ownerQuery = async <T = Record<string, any>>(sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: ownerUrl });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'atrium-scram-'));
    // Run as root, initdb runs as `postgres`, which must reach the cluster directory inside.
    chmodSync(dataDir, 0o755);
    const port = await freePort();
    server = await startEmbeddedPostgres(dataDir, port);
    ownerUrl = server.url;
    const owner = createDataSource({ url: ownerUrl, applicationName: 'atrium-test-migrate', poolSize: 1 });
    await runMigrations(owner, { keepOpen: true });
    const runtimePassword = randomBytes(18).toString('base64url');
    await ensureRuntimeLogin(owner, RUNTIME_ROLE, runtimePassword);
    await owner.destroy();
    const runtimeUrl = new URL(ownerUrl);
    runtimeUrl.username = RUNTIME_ROLE;
    runtimeUrl.password = runtimePassword;
    dataSource = createDataSource({ url: runtimeUrl.toString(), applicationName: 'atrium-test-dbl', poolSize: 8 });
    await dataSource.initialize();
    smtp = await startSmtpCapture();
    const keyFile = join(dataDir, 'secret-store.key');
    const licenseKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    deps = {
      dataSource,
      cluster: { port: new NoCluster(), environments: ['production'] },
      secretStore: createLocalSecretStore({ dataSource, keyFile }),
      billing: createLocalBilling({ dataSource, plans: PLAN_NAMES }),
      mailer: createSmtpMailer({ url: smtp.url, from: 'Atrium <no-reply@atrium.test>' }),
      outbound: createOutboundClient(createOutboundGuard({ allowLoopback: false })).fetch,
      tenantDatabase: { host: '127.0.0.1', port, database: new URL(ownerUrl).pathname.slice(1) },
      license: await createLicenseSigner(licenseKey, 'the test license key'),
      publicUrl: 'http://portal.atrium.test',
      invitationTtlMs: 7 * 86_400_000,
      connectors: { allowInsecureProviders: true },
      temporal: new Client({ connection: Connection.lazy({ address: testEnv.ATRIUM_TEST_TEMPORAL_ADDRESS }) }),
      webhookSigningClock: realSigningClock,
    };

    // The tenant, with an owner to alert, provisioned by the real database step.
    await ownerQuery(
      `INSERT INTO tenants (id, slug, name, plan, status, owner_email) VALUES ($1, $2, 'Rotating Co', 'team', 'active', $3)`,
      [tenantId, slug, `owner@${slug}.test`],
    );
    const [user] = await ownerQuery<{ id: string }>(
      `INSERT INTO users (email, display_name, email_verified_at) VALUES ($1, 'Owner', now()) RETURNING id`,
      [`owner@${slug}.test`],
    );
    await ownerQuery(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      tenantId,
      user!.id,
    ]);
    const provisioning = createDatabaseActivities(deps);
    await new MockActivityEnvironment().run(
      (input: { tenantId: string; slug: string; actor: AuditActor }) => provisioning.createTenantDatabase(input),
      { tenantId, slug, actor },
    );
    const credentials = (await deps.secretStore.read(entryPath))!.data;
    const asTenant = new pg.Client({
      host: '127.0.0.1',
      port,
      database: credentials.database,
      user: credentials.username,
      password: credentials.password,
    });
    await asTenant.connect();
    await asTenant.query(`CREATE TABLE notes (id int PRIMARY KEY); INSERT INTO notes VALUES (1), (2)`);
    await asTenant.end();

    harness = await startWorkflowHarness('secret-rotation');
  });

  after(async () => {
    await harness?.stop();
    await dataSource?.destroy();
    await smtp?.stop();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const rotate = async (rotationId: string, overlapMs: number) => {
    const activities = createSecretRotationActivities(deps);
    return harness.withWorker(activities, async (s) => {
      const workflowId = rotateDatabaseLoginWorkflowId(slug, rotationId);
      const handle = await s.start<typeof rotateDatabaseLogin>(
        'rotateDatabaseLogin',
        { tenantId, slug, rotationId, requestedBy: actor, overlapMs, timings: TEST_TIMINGS },
        workflowId,
      );
      const result = await handle.result();
      const history = JSON.stringify(await handle.fetchHistory());
      return { result, history, workflowId };
    });
  };

  const connectWith = async (credentials: Record<string, string>) => {
    const client = new pg.Client({
      host: credentials.host,
      port: Number(credentials.port),
      database: credentials.database,
      user: credentials.username,
      password: credentials.password,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      return (await client.query<{ login: string }>('SELECT session_user AS login')).rows[0]!.login;
    } finally {
      await client.end().catch(() => {});
    }
  };

  it('the cluster checks passwords: a wrong one is refused', async () => {
    const credentials = (await deps.secretStore.read(entryPath))!.data;
    assert.equal(await connectWith(credentials), `${schema}_login`);
    await assert.rejects(
      connectWith({ ...credentials, password: 'not-the-password' }),
      /password authentication failed/,
    );
  });

  it('two rotations (A → B → A) under > 50 queries per second: no failed query, old passwords refused after', async (t) => {
    const before = (await deps.secretStore.read(entryPath))!.data;
    const load: Load = { ok: 0, failed: 0, refused: 0, errors: [] };
    let stopped = false;
    const consumers = Array.from({ length: 4 }, () => consume(deps.secretStore, entryPath, load, () => stopped));
    const startedAt = Date.now();
    try {
      await sleep(500);
      const first = await rotate(`r1-${randomBytes(3).toString('hex')}`, 1_500);
      assert.equal(first.result.outcome, 'completed', JSON.stringify(first.result.progress));
      assert.equal(first.result.currentLogin, `${schema}_login_b`);
      const middle = (await deps.secretStore.read(entryPath))!.data;
      assert.equal(middle.username, `${schema}_login_b`);
      assert.ok(!first.history.includes(middle.password!), 'the new password is not in the history');
      await recordHistory(harness.client, first.workflowId, 'rotate-database-login-completed');

      const second = await rotate(`r2-${randomBytes(3).toString('hex')}`, 1_500);
      assert.equal(second.result.outcome, 'completed', JSON.stringify(second.result.progress));
      assert.equal(second.result.currentLogin, `${schema}_login`);
      const afterBoth = (await deps.secretStore.read(entryPath))!.data;
      assert.ok(!second.history.includes(afterBoth.password!), 'the new password is not in the history');
      await sleep(500);
      stopped = true;
      await Promise.all(consumers);
      const seconds = (Date.now() - startedAt) / 1000;

      t.diagnostic(
        `${load.ok} queries in ${seconds.toFixed(1)} s (${(load.ok / seconds).toFixed(0)}/s), two rotations`,
      );
      assert.deepEqual(load.errors, [], 'no query failed and no connection was refused');
      assert.equal(load.failed, 0);
      assert.equal(load.refused, 0);
      assert.ok(load.ok / seconds >= 50, `${load.ok} queries in ${seconds.toFixed(1)} s: at least 50 per second`);

      // Each old password is refused now: login B's first one is gone with its LOGIN, and
      // login A's first password was replaced by the second rotation.
      await assert.rejects(connectWith(middle), /password authentication failed|not permitted to log in/);
      await assert.rejects(connectWith(before), /password authentication failed|not permitted to log in/);
      assert.equal(await connectWith(afterBoth), `${schema}_login`);
      const roles = await ownerQuery<{ rolname: string; rolcanlogin: boolean; has_password: boolean }>(
        `SELECT rolname, rolcanlogin, rolpassword IS NOT NULL AS has_password FROM pg_authid WHERE rolname IN ($1, $2) ORDER BY rolname`,
        [`${schema}_login`, `${schema}_login_b`],
      );
      assert.deepEqual(roles, [
        { rolname: `${schema}_login`, rolcanlogin: true, has_password: true },
        { rolname: `${schema}_login_b`, rolcanlogin: false, has_password: false },
      ]);
      const [resources] = await ownerQuery(`SELECT database_role FROM tenant_resources WHERE tenant_id = $1`, [
        tenantId,
      ]);
      assert.equal(resources!.database_role, `${schema}_login`);
      const events = await ownerQuery<{ payload: Record<string, unknown> }>(
        `SELECT payload FROM event_outbox WHERE tenant_id = $1 AND type = 'database_login.rotated' ORDER BY id`,
        [tenantId],
      );
      assert.deepEqual(
        events.map((e) => [e.payload.fromLogin, e.payload.toLogin]),
        [
          [`${schema}_login`, `${schema}_login_b`],
          [`${schema}_login_b`, `${schema}_login`],
        ],
      );
      const audit = JSON.stringify(await ownerQuery(`SELECT * FROM audit_log WHERE tenant_id = $1`, [tenantId]));
      for (const password of [before.password!, middle.password!, afterBoth.password!])
        assert.ok(!audit.includes(password), 'no password in the audit log');
    } finally {
      stopped = true;
      await Promise.all(consumers);
    }
  });

  it('a new login that refuses connections rolls back: the login in use stays current and valid, alerted', async () => {
    const before = (await deps.secretStore.read(entryPath))!.data;
    // The idle login (B) takes no connection: its verify fails (too many connections for role).
    await ownerQuery(`ALTER ROLE ${schema}_login_b CONNECTION LIMIT 0`);
    try {
      const rotationId = `r3-${randomBytes(3).toString('hex')}`;
      const { result, workflowId } = await rotate(rotationId, 1_000);
      assert.equal(result.outcome, 'rolled_back', JSON.stringify(result.progress));
      assert.equal(result.currentLogin, `${schema}_login`);
      assert.match(result.progress.error ?? '', /too many connections/);
      await recordHistory(harness.client, workflowId, 'rotate-database-login-rolled-back');

      const now = (await deps.secretStore.read(entryPath))!.data;
      assert.deepEqual(
        { username: now.username, same: now.password === before.password },
        { username: `${schema}_login`, same: true },
      );
      assert.equal(await connectWith(now), `${schema}_login`, 'the login in use still works');
      const [b] = await ownerQuery(`SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = $1`, [
        `${schema}_login_b`,
      ]);
      assert.deepEqual(b, { rolcanlogin: false, rolpassword: null });
      const audited = await ownerQuery<{ action: string }>(
        `SELECT action FROM audit_log WHERE tenant_id = $1 AND after->>'rotation' = $2 ORDER BY id`,
        [tenantId, rotationId],
      );
      assert.deepEqual(
        audited.map((row) => row.action).filter((a) => a.includes('rolled_back') || a.includes('mailed')),
        ['tenant.database_login_rotation_rolled_back', 'tenant.database_login_rotation_mailed'],
      );
      const [event] = await ownerQuery<{ payload: Record<string, unknown> }>(
        `SELECT payload FROM event_outbox WHERE tenant_id = $1 AND type = 'database_login.rotation_failed'`,
        [tenantId],
      );
      assert.equal(event?.payload.currentLogin, `${schema}_login`);
      const mails = smtp.mailsTo(`owner@${slug}.test`);
      assert.equal(mails.length, 1);
      assert.match(mails[0]!.subject, /rolled back/);
      assert.ok(!mails[0]!.text.includes(before.password!));
      // The working secret is gone: the next rotation may start.
      assert.equal(await deps.secretStore.read(`tenants/${slug}/database-rotation`), null);
    } finally {
      await ownerQuery(`ALTER ROLE ${schema}_login_b CONNECTION LIMIT 20`);
    }
  });
});
