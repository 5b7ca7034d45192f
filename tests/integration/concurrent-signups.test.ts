// Twenty signups at once, on the embedded defaults (local secret store, local billing, no
// cluster), each completed through the link it mailed (an in-process SMTP capture), the
// twenty links opened at the same time: every one gets its account and an active tenant with its own schema and login
// role, and every audit chain (one per tenant, and the platform's) still verifies, both by
// audit_log_verify() and by `npm run audit:verify`.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';
import { requestSignup, signupTokenIn } from '../support/signup.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';

const SIGNUPS = 20;
const run = promisify(execFile);
/** What a signup writes into its tenant's audit chain, sorted. */
const SIGNUP_ACTIONS = [
  'environment.created',
  'member.added',
  'tenant.activated',
  'tenant.billing_customer_created',
  'tenant.billing_subscription_created',
  'tenant.created',
  'tenant.database_role_created',
  'tenant.database_secret_written',
  'tenant.license_issued',
  'tenant.schema_created',
  'tenant.secret_access_granted',
  'tenant.welcome_mail_sent',
];

describe('concurrent signups', () => {
  let platform: Platform;
  let smtp: SmtpCapture;
  before(async () => {
    smtp = await startSmtpCapture();
    // Every signup comes from the same address here; the per-IP limit is not under test.
    platform = await startPlatform({ env: { LOGIN_RATE_LIMIT: '1000', SMTP_URL: smtp.url } });
  });
  after(async () => {
    await platform?.stop();
    await smtp?.stop();
  });

  it(`provisions ${SIGNUPS} tenants signed up at the same time`, async () => {
    const slugs = Array.from({ length: SIGNUPS }, (_, i) => uniqueSlug(`rush${i}`));
    const mails = await Promise.all(
      slugs.map((slug, i) =>
        requestSignup(platform.baseUrl, smtp, {
          email: `founder${i}@${slug}.test`,
          password: 'correct horse battery',
          displayName: `Founder ${i}`,
          organization: { name: `Rush ${i}`, slug },
          plan: 'team',
        }),
      ),
    );
    const started = Date.now();
    const responses = await Promise.all(
      mails.map(({ mail }) =>
        request(platform.baseUrl, 'POST', '/api/v1/auth/signup/confirm', { json: { token: signupTokenIn(mail) } }),
      ),
    );
    for (const response of responses) assert.equal(response.status, 202, JSON.stringify(response.body));
    const operations = await Promise.all(
      responses.map((response) => waitForOperation(platform, response.body.operation.id, 240_000)),
    );
    const elapsedMs = Date.now() - started;
    for (const operation of operations) assert.equal(operation.status, 'completed', JSON.stringify(operation));
    console.log(`${SIGNUPS} concurrent signups provisioned in ${elapsedMs} ms`);

    const tenantIds = responses.map((response) => response.body.tenant.id as string);
    const tenants = await platform.database.query<{ slug: string; status: string }>(
      `SELECT slug, status FROM tenants WHERE id = ANY($1) ORDER BY slug`,
      [tenantIds],
    );
    assert.deepEqual(
      tenants,
      [...slugs].sort().map((slug) => ({ slug, status: 'active' })),
      'every tenant active',
    );
    const owners = await platform.database.query(
      `SELECT 1 FROM memberships WHERE tenant_id = ANY($1) AND role = 'owner'`,
      [tenantIds],
    );
    assert.equal(owners.length, SIGNUPS, 'one owner each');

    const schemaNames = slugs.map((slug) => `tenant_${slug.replaceAll('-', '_')}`);
    const schemas = await platform.database.query(`SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)`, [
      schemaNames,
    ]);
    assert.equal(schemas.length, SIGNUPS, 'one schema each');
    const roles = await platform.database.query(`SELECT rolname FROM pg_roles WHERE rolname = ANY($1)`, [
      schemaNames.map((schema) => `${schema}_login`),
    ]);
    assert.equal(roles.length, SIGNUPS, 'one login role each');

    // Each tenant's chain starts once, and every change of the signup is in it once.
    const chains = await platform.database.query<{ tenant_id: string; actions: string[]; starts: number }>(
      `SELECT tenant_id, array_agg(action ORDER BY action) AS actions,
              count(*) FILTER (WHERE prev_hash IS NULL)::int AS starts
       FROM audit_log WHERE tenant_id = ANY($1) GROUP BY tenant_id`,
      [tenantIds],
    );
    assert.equal(chains.length, SIGNUPS, 'an audit chain per tenant');
    for (const chain of chains) {
      assert.equal(chain.starts, 1, `tenant ${chain.tenant_id}: one chain start`);
      assert.deepEqual(chain.actions, SIGNUP_ACTIONS, `tenant ${chain.tenant_id}: each change audited once`);
    }
    const problems = await platform.database.query(`SELECT id, tenant_id, problem FROM audit_log_verify()`);
    assert.deepEqual(problems, [], 'audit_log_verify() finds nothing');
    const verified = await run(process.execPath, ['db/verify-audit-log.ts'], {
      env: { ...process.env, DATABASE_MIGRATION_URL: platform.database.ownerUrl },
    });
    assert.match(verified.stdout, /Audit log intact: \d+ entries verified/);
  });
});
