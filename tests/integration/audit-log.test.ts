// The audit log and tenant isolation at the database: every provisioning change is
// audited once with who asked; the application role cannot change or remove entries and
// sees no tenant rows without a tenant set; the hash chain exposes tampering.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { jwtPrivateKey, startPlatform } from '../support/platform.ts';
import { ENTRY_POINTS, startNodeProcess } from '../support/processes.ts';

const run = promisify(execFile);

describe('audit log and tenant isolation', () => {
  let platform: Platform;
  let tenantId: string;
  before(async () => {
    platform = await startPlatform();
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      json: { slug: uniqueSlug('audit'), name: 'Audit Co', ownerEmail: 'owner@audit.test' },
      headers: { ...platform.admin.headers, 'X-Request-Id': 'audit-test-request' },
    });
    assert.equal(created.status, 202);
    tenantId = created.body.tenant.id;
    await waitForOperation(platform, created.body.operation.id);
  });
  after(async () => {
    await platform?.stop();
  });

  /** Runs statements as the application's runtime role, in one transaction. */
  async function asApp<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: platform.database.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      return await fn(client);
    } finally {
      await client.query('ROLLBACK').catch(() => {});
      await client.end();
    }
  }

  it('records each provisioning change once, with who asked and through which request', async () => {
    const entries = await platform.database.query<{
      action: string;
      actor_type: string;
      actor_id: string;
      request_id: string;
      ip: string;
    }>(
      `SELECT action, actor_type, actor_id, request_id, host(ip) AS ip FROM audit_log WHERE tenant_id = $1 ORDER BY id`,
      [tenantId],
    );
    assert.deepEqual(
      entries.map((e) => e.action),
      [
        'tenant.created',
        'tenant.schema_created',
        'tenant.database_secret_written',
        'tenant.database_role_created',
        'tenant.secret_access_granted',
        'tenant.billing_customer_created',
        'tenant.billing_subscription_created',
        'environment.created', // the plan's default environment (docs/decisions/0019)
        'tenant.license_issued',
        'invitation.created', // the owner's address has no account: invited with the welcome
        'tenant.welcome_mail_sent',
        'tenant.activated',
      ],
    );
    for (const entry of entries) {
      assert.equal(entry.actor_type, 'user');
      assert.equal(entry.actor_id, platform.admin.userId);
      assert.equal(entry.request_id, 'audit-test-request');
      assert.equal(entry.ip, '127.0.0.1');
    }
  });

  it('guards every table with a tenant_id by row-level security: no tenant set, no rows', async () => {
    const tables = await platform.database.query<{ table_name: string; rls: boolean }>(
      `SELECT c.table_name, k.relrowsecurity AS rls
       FROM information_schema.columns c JOIN pg_class k ON k.relname = c.table_name AND k.relkind = 'r'
       WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id'`,
    );
    assert.ok(
      tables.some((t) => t.table_name === 'audit_log'),
      'the audit log is among them (and has rows to hide, see above)',
    );
    for (const { table_name, rls } of tables) {
      assert.equal(rls, true, `${table_name} has row-level security enabled`);
      const visible = await asApp(
        async (client) => (await client.query(`SELECT count(*)::int AS n FROM ${table_name}`)).rows[0].n,
      );
      assert.equal(visible, 0, `${table_name} shows no rows without a tenant`);
    }
    const own = await asApp(async (client) => {
      await client.query(`SELECT set_config('atrium.tenant_id', $1, true)`, [tenantId]);
      return (await client.query(`SELECT count(*)::int AS n FROM audit_log`)).rows[0].n;
    });
    assert.equal(own, 12, 'the tenant sees its own entries (the twelve above)');
    const other = await asApp(async (client) => {
      await client.query(`SELECT set_config('atrium.tenant_id', $1, true)`, ['00000000-0000-4000-8000-000000000000']);
      return (await client.query(`SELECT count(*)::int AS n FROM audit_log`)).rows[0].n;
    });
    assert.equal(other, 0, 'another tenant sees none of them');
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the audit log, for the app and the owner alike', async () => {
    for (const statement of ['UPDATE audit_log SET action = $$x.y$$', 'DELETE FROM audit_log', 'TRUNCATE audit_log']) {
      await assert.rejects(
        asApp((client) => client.query(statement)),
        /permission denied/,
        `the app role: ${statement}`,
      );
      await assert.rejects(platform.database.query(statement), /append-only/, `the owner: ${statement}`);
    }
    await assert.rejects(
      asApp(async (client) => {
        await client.query(`SELECT set_config('atrium.tenant_id', $1, true)`, [tenantId]);
        await client.query(
          `INSERT INTO audit_log (tenant_id, actor_type, action, target_type) VALUES ('00000000-0000-4000-8000-000000000000', 'system', 'tenant.created', 'tenant')`,
        );
      }),
      /row-level security/,
      'a tenant cannot write entries for another tenant',
    );
  });

  it('verifies the chain, and detects an edited and a removed entry', async () => {
    const verify = () =>
      run(process.execPath, ['db/verify-audit-log.ts'], {
        env: { ...process.env, DATABASE_MIGRATION_URL: platform.database.ownerUrl },
      });
    const intact = await verify();
    assert.match(intact.stdout, /Audit log intact: \d+ entries verified/);

    const [schemaEntry] = await platform.database.query<{ id: string }>(
      `SELECT id FROM audit_log WHERE tenant_id = $1 AND action = 'tenant.schema_created'`,
      [tenantId],
    );
    // Tampering needs a superuser who switches the triggers off; the chain still tells.
    await tamper(`UPDATE audit_log SET target_id = 'somewhere_else' WHERE id = ${schemaEntry?.id}`);
    const edited = await verify().then(
      () => assert.fail('verify should exit 1'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(edited.code, 1);
    assert.match(
      edited.stderr,
      new RegExp(`entry ${schemaEntry?.id} \\(tenant ${tenantId}\\): content does not match its hash`),
    );

    await tamper(`DELETE FROM audit_log WHERE id = ${schemaEntry?.id}`);
    const problems = await platform.database.query<{ problem: string }>(`SELECT problem FROM audit_log_verify()`);
    assert.deepEqual(
      problems.map((p) => p.problem),
      ['broken link: an earlier entry was removed or altered'],
    );
  });

  it('will not start the API as a role that bypasses row-level security', async () => {
    await assert.rejects(
      startNodeProcess(ENTRY_POINTS.api, {
        env: {
          DATABASE_URL: platform.database.ownerUrl,
          TEMPORAL_ADDRESS: '127.0.0.1:1',
          PORTAL_MODE: 'off',
          PORT: '0',
          JWT_PRIVATE_KEY: jwtPrivateKey,
        },
        readyWhen: /"API listening"/,
      }),
      /is a superuser.*row-level security would not isolate tenants/s,
    );
  });

  async function tamper(statement: string): Promise<void> {
    const client = new pg.Client({ connectionString: platform.database.ownerUrl });
    await client.connect();
    try {
      await client.query(`SET session_replication_role = replica`);
      await client.query(statement);
    } finally {
      await client.end();
    }
  }
});
