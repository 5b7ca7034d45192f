// provisionTenant's activities, called directly on the embedded adapters: each step and each
// compensation runs twice (the second run a no-op) and leaves another tenant untouched.
// The steps run in workflow order on one tenant; the compensations undo a second one.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure } from '@temporalio/common';
import { importJWK, jwtVerify } from 'jose';
import type { JWK } from 'jose';
import pg from 'pg';
import tenantProvisioning from '../../activities/tenant-provisioning/index.ts';
import { LICENSE_AUDIENCE, LICENSE_ISSUER, LICENSE_TYPE } from '../../activities/tenant-provisioning/license.ts';
import { scramVerifierMatches } from '../../activities/tenant-provisioning/scram.ts';
import { hashAccountToken } from '../../db/repositories/account-tokens.ts';
import { NO_CLUSTER_REASON } from '../../integrations/cluster/port.ts';
import type { ActivityHarness, TestTenant } from '../support/activity-harness.ts';
import { differences, startActivityHarness } from '../support/activity-harness.ts';

describe('tenant-provisioning activities', () => {
  let h: ActivityHarness;
  let a: ReturnType<typeof tenantProvisioning.createActivities>;
  let t: TestTenant;

  before(async () => {
    h = await startActivityHarness({ slugPrefix: 'act-prov' });
    a = tenantProvisioning.createActivities(h.deps);
    t = h.newTenant();
  });
  after(async () => {
    await h?.stop();
  });

  /** The welcome mail carries a working owner invitation, pending in the tenant's invitations. */
  function assertOwnerInvitationMailed(tenant: TestTenant, after: Record<string, any>): void {
    const mails = h.smtp.mailsTo(tenant.ownerEmail);
    assert.equal(mails.length, 1, 'one mail: the welcome carries the invitation');
    const token = /http:\/\/portal\.atrium\.test\/invitations\/([\w-]{43})\n/.exec(mails[0]!.text)?.[1];
    assert.ok(token, mails[0]!.text);
    assert.deepEqual(
      after.invitations.map((i: any) => [i.email, i.role, i.token_hash, i.accepted_at, i.revoked_at, i.invited_by]),
      [[tenant.ownerEmail, 'owner', `\\x${hashAccountToken(token).toString('hex')}`, null, null, h.admin.id]],
    );
  }

  describe('the steps', () => {
    it('record: inserts the tenant as pending', async () => {
      const run = await h.twice(
        a,
        'createTenantRecord',
        { ...h.ref(t), name: t.name, plan: t.plan, ownerEmail: t.ownerEmail },
        { tenant: t },
      );
      assert.deepEqual(run.audit, ['tenant.created']);
      assert.equal(run.after.tenants[0].status, 'pending');
      assert.equal(run.after.tenants[0].plan, t.plan);
      assert.ok(run.heartbeats >= 1, 'heartbeats while it works');
      assert.deepEqual(
        run.logs.filter((line) => line.level === 'INFO').map((line) => [line.message, line.meta?.slug]),
        [['Tenant record ready', t.slug]],
        'logs through the activity Context',
      );
    });

    it('record: stores the creation time it is given (when the API accepted the request)', async () => {
      const u = h.newTenant();
      const createdAt = '2026-01-02T03:04:05.678Z';
      const record = await h.twice(
        a,
        'createTenantRecord',
        { ...h.ref(u), name: u.name, plan: u.plan, ownerEmail: u.ownerEmail, createdAt },
        { tenant: u },
      );
      const [row] = await h.database.query<{ created_at: Date; updated_at: Date }>(
        `SELECT created_at, updated_at FROM tenants WHERE id = $1`,
        [u.tenantId],
      );
      assert.equal(row!.created_at.toISOString(), createdAt);
      assert.equal(row!.updated_at.toISOString(), createdAt);
      assert.deepEqual(record.audit, ['tenant.created']);
    });

    it("record: refuses, for good, a slug that is another tenant's", async () => {
      const error = await h.failure(a, 'createTenantRecord', {
        ...h.ref(t),
        tenantId: randomUUID(),
        slug: h.bystander.slug,
        name: 'Squatter',
        plan: 'free',
        ownerEmail: 'squatter@squat.test',
      });
      assert.ok(error instanceof ApplicationFailure, String(error));
      assert.equal(error.type, 'TenantSlugTaken');
      assert.equal(error.nonRetryable, true);
      assert.match(error.message, new RegExp(h.bystander.tenantId));
      await h.assertBystanderUntouched();
    });

    it('database: schema, login role, and its password in the secret store', async () => {
      const run = await h.twice(a, 'createTenantDatabase', h.ref(t), { tenant: t });
      const schemaName = `tenant_${t.slug.replaceAll('-', '_')}`;
      assert.deepEqual(run.result, {
        schemaName,
        roleName: `${schemaName}_login`,
        secretPath: `tenants/${t.slug}/database`,
      });
      assert.deepEqual(run.audit, [
        'tenant.schema_created',
        'tenant.database_secret_written',
        'tenant.database_role_created',
      ]);
      assert.deepEqual(run.after.postgres, {
        schema: true,
        login_role: true,
        login_b_role: true,
        owner_role: true,
        tables: [],
      });
      assert.deepEqual(
        run.after.local_secrets.map((s: { path: string; version: number }) => [s.path, s.version]),
        [[`tenants/${t.slug}/database`, 1]],
      );
      // The password in the store is the role's (PostgreSQL keeps only its SCRAM verifier).
      const secret = await h.deps.secretStore.read(`tenants/${t.slug}/database`);
      const [role] = await h.database.query<{ rolpassword: string }>(
        `SELECT rolpassword FROM pg_authid WHERE rolname = $1`,
        [`${schemaName}_login`],
      );
      assert.ok(scramVerifierMatches(role!.rolpassword, secret!.data.password!), 'the stored password is the role’s');
      assert.equal(secret!.data.schema, schemaName);
    });

    it("database: set up while another tenant's login is granted CONNECT, it waits for that grant and succeeds", async () => {
      // Granting CONNECT rewrites the database's one row in pg_database. Two such grants at
      // once used to collide: the second waited for the first to commit, then failed with
      // "tuple concurrently updated", and provisioning tenants at the same time retried that
      // step (migration 1765530000000). The held transaction is the other tenant's step.
      const [first, second] = [h.newTenant(), h.newTenant()];
      for (const u of [first, second])
        await h.run(a, 'createTenantRecord', { ...h.ref(u), name: u.name, plan: u.plan, ownerEmail: u.ownerEmail });
      await h.run(a, 'createTenantDatabase', h.ref(first));
      const login = (u: TestTenant) => `tenant_${u.slug.replaceAll('-', '_')}_login`;
      const other = new pg.Client({ connectionString: h.database.ownerUrl });
      await other.connect();
      try {
        await other.query('BEGIN');
        await other.query(
          `SELECT pg_advisory_xact_lock(hashtextextended('atrium:database-acl:' || current_database(), 0))`,
        );
        await other.query(
          `DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), '${login(first)}'); END $$`,
        );
        const step = h.run(a, 'createTenantDatabase', h.ref(second)).then(
          () => 'ok',
          (error: unknown) => String(error),
        );
        await sleep(300);
        await other.query('COMMIT');
        assert.equal(await step, 'ok');
      } finally {
        await other.end();
      }
      // Both of its logins may connect: CONNECT granted to each.
      const grants = await h.database.query<{ rolname: string }>(
        `SELECT r.rolname FROM pg_database d, aclexplode(d.datacl) a JOIN pg_roles r ON r.oid = a.grantee
         WHERE d.datname = current_database() AND a.privilege_type = 'CONNECT' AND r.rolname = ANY($1) ORDER BY 1`,
        [[login(second), `${login(second)}_b`]],
      );
      assert.deepEqual(
        grants.map((g) => g.rolname),
        [login(second), `${login(second)}_b`],
      );
    });

    it("secrets: the tenant's policy and AppRole (recorded, not enforced, by the local store)", async () => {
      const run = await h.twice(a, 'grantTenantSecretAccess', h.ref(t), { tenant: t });
      assert.deepEqual(run.result, {
        pathPrefix: `tenants/${t.slug}`,
        policyName: `atrium-tenant-${t.slug}`,
        roleName: `atrium-tenant-${t.slug}`,
        enforced: false,
      });
      assert.deepEqual(run.audit, ['tenant.secret_access_granted']);
      assert.equal(run.after.local_secret_access.length, 1);
      assert.equal(run.after.tenant_resources[0].secret_policy, `atrium-tenant-${t.slug}`);
    });

    it('billing: one customer and one subscription on the plan', async () => {
      const run = await h.twice(
        a,
        'createTenantBilling',
        { ...h.ref(t), name: t.name, ownerEmail: t.ownerEmail, plan: t.plan },
        { tenant: t },
      );
      assert.match(run.result.customerId, /^lcus_/);
      assert.match(run.result.subscriptionId, /^lsub_/);
      assert.equal(run.result.status, 'active');
      assert.equal(run.result.customerKey, `tenant/${t.tenantId}/provision/billing-customer`);
      assert.deepEqual(run.audit, ['tenant.billing_customer_created', 'tenant.billing_subscription_created']);
      assert.equal(run.after.local_billing_customers.length, 1);
      assert.deepEqual(
        run.after.local_billing_subscriptions.map((s: { plan: string; status: string }) => [s.plan, s.status]),
        [[t.plan, 'active']],
      );
    });

    it("cluster: the plan's default environments recorded ready, namespaces skipped without a cluster", async () => {
      const run = await h.twice(a, 'createTenantEnvironments', { ...h.ref(t), plan: t.plan }, { tenant: t });
      assert.deepEqual(run.result, { skipped: NO_CLUSTER_REASON, namespaces: [], environments: ['production'] });
      assert.deepEqual(run.audit, ['environment.created']);
      assert.deepEqual(
        run.after.tenant_environments.map((e: { name: string; position: number; status: string }) => [
          e.name,
          e.position,
          e.status,
        ]),
        [['production', 1, 'ready']],
      );
      assert.deepEqual(run.after.tenant_resources[0]?.cluster_namespaces ?? [], []);
    });

    it("cluster (histories before the plan's environments): the same environments, nothing more", async () => {
      const run = await h.twice(a, 'createTenantNamespaces', { ...h.ref(t), plan: t.plan }, { tenant: t });
      assert.deepEqual(run.result, { skipped: NO_CLUSTER_REASON, namespaces: [] });
      assert.deepEqual(run.audit, []);
      assert.deepEqual(differences(run.before, run.after), []);
    });

    it('license: a signed license for the plan, verifiable with the stored public key', async () => {
      const run = await h.twice(a, 'issueTenantLicense', { ...h.ref(t), plan: t.plan }, { tenant: t });
      assert.equal(run.result.keyId, h.deps.license.keyId);
      assert.equal(run.result.tier, t.plan);
      assert.deepEqual(run.audit, ['tenant.license_issued']);
      assert.deepEqual(
        run.after.tenant_licenses.map((l: { license_id: string }) => l.license_id),
        [run.result.licenseId],
      );
      const [license] = await h.database.query<{ token: string; public_jwk: JWK }>(
        `SELECT l.token, k.public_jwk FROM tenant_licenses l JOIN license_signing_keys k USING (key_id)
         WHERE l.tenant_id = $1`,
        [t.tenantId],
      );
      const verified = await jwtVerify(license!.token, await importJWK(license!.public_jwk, 'EdDSA'), {
        issuer: LICENSE_ISSUER,
        audience: LICENSE_AUDIENCE,
        typ: LICENSE_TYPE,
      });
      assert.equal(verified.payload.sub, t.tenantId);
      assert.equal(verified.payload.jti, run.result.licenseId);
      assert.equal(verified.payload.tier, t.plan);
    });

    it('welcome: one mail to the owner, inviting the address as owner (it has no account); the second run sends nothing', async () => {
      const run = await h.twice(
        a,
        'sendWelcomeMail',
        { ...h.ref(t), name: t.name, ownerEmail: t.ownerEmail },
        { tenant: t, secondResult: { sent: false } },
      );
      assert.deepEqual(run.result, { sent: true });
      assert.deepEqual(run.audit, ['invitation.created', 'tenant.welcome_mail_sent']);
      const mails = h.smtp.mailsTo(t.ownerEmail);
      assert.equal(mails.length, 1);
      assert.equal(mails[0]!.subject, `Welcome to Atrium: ${t.name} is ready`);
      assert.match(mails[0]!.text, new RegExp(`http://portal\\.atrium\\.test/tenants/${t.slug}`));
      assert.ok(run.after.tenant_resources[0].welcome_sent_at);
      assert.deepEqual(run.after.memberships, [], 'no member: nobody has the address yet');
      assertOwnerInvitationMailed(t, run.after);
    });

    it('activate: pending → active', async () => {
      const run = await h.twice(a, 'activateTenant', { tenantId: t.tenantId, actor: h.admin }, { tenant: t });
      assert.deepEqual(run.audit, ['tenant.activated']);
      assert.equal(run.after.tenants[0].status, 'active');
    });

    it('activate: refuses, for good, a tenant that is not pending', async () => {
      const failed = h.newTenant();
      await h.run(a, 'createTenantRecord', {
        ...h.ref(failed),
        name: failed.name,
        plan: failed.plan,
        ownerEmail: failed.ownerEmail,
      });
      await h.run(a, 'markTenantFailed', { tenantId: failed.tenantId, reason: 'a test', actor: h.admin });
      const error = await h.failure(a, 'activateTenant', { tenantId: failed.tenantId, actor: h.admin });
      assert.ok(error instanceof ApplicationFailure, String(error));
      assert.equal(error.type, 'TenantNotActivatable');
      assert.equal(error.nonRetryable, true);
      assert.equal((await h.state(failed)).tenants[0].status, 'failed');
    });
  });

  describe("the owner (a tenant a platform admin created for someone's address)", () => {
    const provisionUpToWelcome = async (tenant: TestTenant) => {
      await h.run(a, 'createTenantRecord', {
        ...h.ref(tenant),
        name: tenant.name,
        plan: tenant.plan,
        ownerEmail: tenant.ownerEmail,
      });
    };

    it('record: a verified account with the address becomes the owner; the welcome invites nobody', async () => {
      const u = h.newTenant();
      const [account] = await h.database.query<{ id: string }>(
        `INSERT INTO users (email, display_name, email_verified_at) VALUES ($1, 'Olga', now()) RETURNING id`,
        [u.ownerEmail.toUpperCase()], // addresses match whatever their case
      );
      const record = await h.twice(
        a,
        'createTenantRecord',
        { ...h.ref(u), name: u.name, plan: u.plan, ownerEmail: u.ownerEmail },
        { tenant: u },
      );
      assert.deepEqual(record.audit, ['tenant.created', 'member.added']);
      assert.deepEqual(
        record.after.memberships.map((m: any) => [m.user_id, m.role]),
        [[account!.id, 'owner']],
      );
      const added = record.after.audit_log.find((e: any) => e.action === 'member.added');
      assert.equal(added.actor_id, h.admin.id, 'audited as the platform admin who asked');
      assert.equal(added.after.role, 'owner');

      const welcome = await h.twice(
        a,
        'sendWelcomeMail',
        { ...h.ref(u), name: u.name, ownerEmail: u.ownerEmail },
        { tenant: u, secondResult: { sent: false } },
      );
      assert.deepEqual(welcome.audit, ['tenant.welcome_mail_sent']);
      assert.deepEqual(welcome.after.invitations, []);
      const [mail] = h.smtp.mailsTo(u.ownerEmail);
      assert.doesNotMatch(mail!.text, /\/invitations\//);
      assert.match(mail!.text, new RegExp(`Open it here: http://portal\\.atrium\\.test/tenants/${u.slug}`));
    });

    it('welcome: an account verified after the record step becomes the owner then', async () => {
      const u = h.newTenant();
      await provisionUpToWelcome(u);
      assert.deepEqual((await h.state(u)).memberships, []);
      await h.database.query(`INSERT INTO users (email, display_name, email_verified_at) VALUES ($1, 'Late', now())`, [
        u.ownerEmail,
      ]);
      const welcome = await h.twice(
        a,
        'sendWelcomeMail',
        { ...h.ref(u), name: u.name, ownerEmail: u.ownerEmail },
        { tenant: u, secondResult: { sent: false } },
      );
      assert.deepEqual(welcome.audit, ['member.added', 'tenant.welcome_mail_sent']);
      assert.deepEqual(
        welcome.after.memberships.map((m: any) => m.role),
        ['owner'],
      );
    });

    it('an unverified account with the address is invited, not made owner (the mailbox proves who accepts)', async () => {
      const u = h.newTenant();
      await h.database.query(`INSERT INTO users (email, display_name) VALUES ($1, 'Unverified')`, [u.ownerEmail]);
      const record = await h.twice(
        a,
        'createTenantRecord',
        { ...h.ref(u), name: u.name, plan: u.plan, ownerEmail: u.ownerEmail },
        { tenant: u },
      );
      assert.deepEqual(record.audit, ['tenant.created']);
      assert.deepEqual(record.after.memberships, []);
      const welcome = await h.twice(
        a,
        'sendWelcomeMail',
        { ...h.ref(u), name: u.name, ownerEmail: u.ownerEmail },
        { tenant: u, secondResult: { sent: false } },
      );
      assert.deepEqual(welcome.audit, ['invitation.created', 'tenant.welcome_mail_sent']);
      assertOwnerInvitationMailed(u, welcome.after);
    });

    it('a tenant that arrives with its owner (a signup) gets no second owner and no invitation', async () => {
      const u = h.newTenant();
      // What signup writes in one transaction: the account, the tenant row and the owner membership.
      const [account] = await h.database.query<{ id: string }>(
        `INSERT INTO users (email, display_name) VALUES ($1, 'Signed Up') RETURNING id`,
        [u.ownerEmail],
      );
      await h.database.query(
        `INSERT INTO tenants (id, slug, name, plan, status, owner_email) VALUES ($1, $2, $3, $4, 'pending', $5)`,
        [u.tenantId, u.slug, u.name, u.plan, u.ownerEmail],
      );
      await h.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
        u.tenantId,
        account!.id,
      ]);
      const record = await h.twice(
        a,
        'createTenantRecord',
        { ...h.ref(u), name: u.name, plan: u.plan, ownerEmail: u.ownerEmail },
        { tenant: u },
      );
      assert.deepEqual(record.audit, []);
      const welcome = await h.twice(
        a,
        'sendWelcomeMail',
        { ...h.ref(u), name: u.name, ownerEmail: u.ownerEmail },
        { tenant: u, secondResult: { sent: false } },
      );
      assert.deepEqual(welcome.audit, ['tenant.welcome_mail_sent']);
      assert.deepEqual(welcome.after.invitations, []);
      assert.deepEqual(
        welcome.after.memberships.map((m: any) => [m.user_id, m.role]),
        [[account!.id, 'owner']],
      );
    });
  });

  describe('the approval', () => {
    it('marks the tenant waiting, then records one decision; a later one changes nothing', async () => {
      const e = h.newTenant({ plan: 'enterprise' });
      await h.run(a, 'createTenantRecord', { ...h.ref(e), name: e.name, plan: e.plan, ownerEmail: e.ownerEmail });

      const requested = await h.twice(
        a,
        'requestTenantApproval',
        { tenantId: e.tenantId, actor: h.admin, timeoutMs: 60_000 },
        { tenant: e },
      );
      assert.deepEqual(requested.audit, ['tenant.approval_requested']);
      assert.equal(requested.after.tenants[0].approval_status, 'pending');

      const rejected = await h.twice(
        a,
        'recordTenantApproval',
        { tenantId: e.tenantId, approved: false, reason: 'no contract yet', decidedBy: h.admin },
        { tenant: e },
      );
      assert.deepEqual(rejected.audit, ['tenant.rejected']);
      const row = rejected.after.tenants[0];
      assert.deepEqual(
        [row.approval_status, row.approval_reason, row.approval_decided_by],
        ['rejected', 'no contract yet', h.admin.id],
      );

      const settled = await h.state(e);
      await h.run(a, 'recordTenantApproval', {
        tenantId: e.tenantId,
        approved: true,
        reason: null,
        decidedBy: h.admin,
      });
      assert.deepEqual(differences(settled, await h.state(e)), [], 'a decided tenant keeps its decision');
    });
  });

  describe('the compensations', () => {
    let u: TestTenant;
    before(async () => {
      u = h.newTenant();
      await h.provision(u);
    });

    it('withdrawTenantLicense: the license goes', async () => {
      const run = await h.twice(a, 'withdrawTenantLicense', h.ref(u), { tenant: u });
      assert.deepEqual(run.audit, ['tenant.license_withdrawn']);
      assert.deepEqual(run.after.tenant_licenses, []);
    });

    it('deleteTenantNamespaces: nothing to delete without a cluster; the environments marked deleted', async () => {
      const run = await h.twice(a, 'deleteTenantNamespaces', h.ref(u), { tenant: u });
      assert.deepEqual(run.audit, ['environment.deleted']);
      assert.deepEqual(
        run.after.tenant_environments.map((e: { name: string; status: string; deleted_at: unknown }) => [
          e.name,
          e.status,
          e.deleted_at !== null,
        ]),
        [['production', 'deleted', true]],
      );
    });

    it('cancelTenantBilling: subscription canceled, customer deleted (kept as records)', async () => {
      const run = await h.twice(a, 'cancelTenantBilling', h.ref(u), { tenant: u });
      assert.deepEqual(run.audit, ['tenant.billing_subscription_canceled', 'tenant.billing_customer_deleted']);
      assert.equal(run.after.local_billing_subscriptions[0].status, 'canceled');
      assert.ok(run.after.local_billing_customers[0].deleted_at);
      const resources = run.after.tenant_resources[0];
      assert.deepEqual([resources.billing_customer_id, resources.billing_subscription_id], [null, null]);
    });

    it('revokeTenantSecretAccess: policy and AppRole gone, every secret under the path destroyed', async () => {
      const run = await h.twice(a, 'revokeTenantSecretAccess', h.ref(u), { tenant: u });
      assert.deepEqual(run.audit, ['tenant.secret_access_revoked']);
      assert.deepEqual(run.after.local_secret_access, []);
      assert.deepEqual(run.after.local_secrets, []);
      assert.equal(run.after.tenant_resources[0].secret_policy, null);
    });

    it('dropTenantDatabase: login role and schema dropped', async () => {
      const run = await h.twice(a, 'dropTenantDatabase', h.ref(u), { tenant: u });
      // The password went with every secret under the tenant's path (the step before).
      assert.deepEqual(run.audit, ['tenant.database_role_dropped', 'tenant.schema_dropped']);
      assert.deepEqual(run.after.postgres, {
        schema: false,
        login_role: false,
        login_b_role: false,
        owner_role: false,
        tables: [],
      });
      assert.equal(run.after.tenants[0].schema_name, null);
    });

    it('markTenantFailed: failed, with the reason', async () => {
      const run = await h.twice(
        a,
        'markTenantFailed',
        { tenantId: u.tenantId, reason: 'billing refused the plan', actor: h.admin },
        { tenant: u },
      );
      assert.deepEqual(run.audit, ['tenant.failed']);
      assert.deepEqual(
        [run.after.tenants[0].status, run.after.tenants[0].failure_reason],
        ['failed', 'billing refused the plan'],
      );
    });

    it('every undo on a tenant whose steps never ran does nothing (undos are registered before their step)', async () => {
      const bare = h.newTenant();
      await h.run(a, 'createTenantRecord', {
        ...h.ref(bare),
        name: bare.name,
        plan: bare.plan,
        ownerEmail: bare.ownerEmail,
      });
      for (const undo of [
        'withdrawTenantLicense',
        'deleteTenantNamespaces',
        'cancelTenantBilling',
        'revokeTenantSecretAccess',
        'dropTenantDatabase',
      ] as const) {
        const run = await h.twice(a, undo, h.ref(bare), { tenant: bare });
        assert.deepEqual(run.audit, [], `${undo} audits nothing`);
        // The only trace: the (empty) record of what provisioning made, created on first use.
        assert.ok(
          differences(run.before, run.after).every((path) => path === 'tenant_resources.length'),
          `${undo} changed ${differences(run.before, run.after).join(', ')}`,
        );
      }
    });
  });
});
