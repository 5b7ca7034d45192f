// Accounts over HTTP with real mail (an in-process SMTP server): signup creates the user,
// the tenant and its owner and provisions it; the verification link works once; a password
// reset mails a single-use link, signs out every session, and never reveals whether an
// account exists; limits answer 429 with Retry-After.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { startPlatform } from '../support/platform.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';

const PASSWORD = 'correct horse battery';
const PUBLIC_URL = 'http://portal.atrium.test';

describe('accounts: signup, email verification, password reset', () => {
  let platform: Platform;
  let smtp: SmtpCapture;

  before(async () => {
    smtp = await startSmtpCapture();
    platform = await startPlatform({
      env: { SMTP_URL: smtp.url, PUBLIC_URL, PASSWORD_RESET_LIMIT_PER_HOUR: '2', LOGIN_RATE_LIMIT: '1000' },
    });
  });
  after(async () => {
    await platform?.stop();
    await smtp?.stop();
  });

  const post = (path: string, json: unknown, headers: Record<string, string> = {}) =>
    request(platform.baseUrl, 'POST', path, { json, headers });
  const tokenIn = (text: string, path: string) => {
    const match = new RegExp(`${PUBLIC_URL}${path}\\?token=([\\w%-]+)`).exec(text);
    assert.ok(match, `a ${path} link in: ${text}`);
    return decodeURIComponent(match[1]!);
  };
  const signup = (email: string, slug: string) =>
    post('/api/v1/auth/signup', {
      email,
      password: PASSWORD,
      displayName: 'Sam Signup',
      organization: { name: 'Sam Co', slug },
      plan: 'team',
    });

  it('signs up: the account, an active tenant it owns, a session, and a verification mail', async () => {
    const slug = uniqueSlug('sam');
    const response = await signup('sam@signup.test', slug);
    assert.equal(response.status, 202, JSON.stringify(response.body));
    const { session, tenant, operation } = response.body;
    assert.equal(operation.id, `tenant-provision/${slug}`);
    const done = await waitForOperation(platform, operation.id);
    assert.equal(done.status, 'completed');

    const auth = { authorization: `Bearer ${session.accessToken}` };
    const mine = await request(platform.baseUrl, 'GET', '/api/v1/tenants', { headers: auth });
    assert.deepEqual(
      mine.body.items.map((t: { slug: string; status: string }) => [t.slug, t.status]),
      [[slug, 'active']],
    );
    const membership = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/members/me`, { headers: auth });
    assert.equal(membership.body.role, 'owner');
    const actions = await platform.database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE tenant_id = $1 ORDER BY id`,
      [tenant.id],
    );
    assert.deepEqual(
      actions.map((a) => a.action),
      [
        'tenant.created',
        'member.added',
        'tenant.schema_created',
        'tenant.database_secret_written',
        'tenant.database_role_created',
        'tenant.secret_access_granted',
        'tenant.billing_customer_created',
        'tenant.billing_subscription_created',
        'tenant.license_issued',
        'tenant.welcome_mail_sent',
        'tenant.activated',
      ],
    );

    const mail = await smtp.waitForMail((m) => m.to.includes('sam@signup.test') && /Confirm your/.test(m.subject));
    assert.equal(mail.subject, 'Confirm your email address for Atrium');
    const token = tokenIn(mail.text, '/verify-email');
    const stored = JSON.stringify(await platform.database.query(`SELECT * FROM account_tokens`));
    assert.ok(!stored.includes(token), 'only a hash of the token is stored');

    // Unverified: may sign in, may not create another tenant.
    const second = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: auth,
      json: { slug: uniqueSlug('second'), name: 'Second', ownerEmail: 'sam@signup.test' },
    });
    assert.equal(second.status, 403);
    assert.match(second.body.detail, /Verify your email address/);

    const verified = await post('/api/v1/auth/verify-email', { token });
    assert.equal(verified.status, 200);
    assert.deepEqual(verified.body, { email: 'sam@signup.test', verified: true });
    const again = await post('/api/v1/auth/verify-email', { token });
    assert.equal(again.status, 410);
    assert.equal(again.body.type, 'urn:atrium:problem:link-gone');
    assert.match(again.body.detail, /used already/);
    const unknown = await post('/api/v1/auth/verify-email', { token: 'x'.repeat(43) });
    assert.equal(unknown.status, 400);

    const allowed = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: auth,
      json: { slug: uniqueSlug('second'), name: 'Second', ownerEmail: 'sam@signup.test' },
    });
    assert.equal(allowed.status, 202, JSON.stringify(allowed.body));
    await waitForOperation(platform, allowed.body.operation.id);
  });

  it('refuses a taken email or slug with 409 naming the field, writing nothing', async () => {
    const slug = uniqueSlug('dup');
    assert.equal((await signup('dup@signup.test', slug)).status, 202);
    const count = async () =>
      (
        await platform.database.query<{ n: number }>(
          `SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM tenants) AS n`,
        )
      )[0]!.n;
    const before = await count();
    const sameEmail = await signup('DUP@signup.test', uniqueSlug('other'));
    assert.equal(sameEmail.status, 409);
    assert.deepEqual(
      sameEmail.body.errors.map((e: { path: string }) => e.path),
      ['email'],
    );
    const sameSlug = await signup('new@signup.test', slug);
    assert.equal(sameSlug.status, 409);
    assert.deepEqual(
      sameSlug.body.errors.map((e: { path: string }) => e.path),
      ['organization.slug'],
    );
    assert.equal(await count(), before, 'no user, no tenant written');
    const bad = await post('/api/v1/auth/signup', { email: 'nope', password: 'short', organization: { slug: 'X' } });
    assert.equal(bad.status, 422);
    const paths = bad.body.errors.map((e: { path: string }) => e.path);
    for (const path of ['email', 'password', 'displayName', 'organization.name', 'organization.slug'])
      assert.ok(paths.includes(path), `${path} in ${paths.join(', ')}`);
    await waitForOperation(platform, `tenant-provision/${slug}`);
  });

  it('rate-limits verification resends with Retry-After', async () => {
    const slug = uniqueSlug('resend');
    const { body } = await signup('resend@signup.test', slug);
    const auth = { authorization: `Bearer ${body.session.accessToken}` };
    const resend = await request(platform.baseUrl, 'POST', '/api/v1/auth/verify-email/resend', { headers: auth });
    assert.equal(resend.status, 429);
    assert.ok(Number(resend.headers.get('retry-after')) > 0);
    await waitForOperation(platform, body.operation.id);
  });

  it('resets a password by a mailed single-use link, signing out every session', async () => {
    const slug = uniqueSlug('reset');
    const { body } = await signup('reset@signup.test', slug);
    await waitForOperation(platform, body.operation.id);
    const oldRefresh = body.session.refreshToken;

    const asked = await post('/api/v1/auth/password-reset', { email: 'reset@signup.test' });
    const nobody = await post('/api/v1/auth/password-reset', { email: 'nobody@signup.test' });
    assert.equal(asked.status, 202);
    assert.equal(nobody.status, 202);
    assert.deepEqual(nobody.body, asked.body, 'the same answer whether or not the account exists');

    const mail = await smtp.waitForMail((m) => m.to.includes('reset@signup.test') && /Reset your/.test(m.subject));
    const token = tokenIn(mail.text, '/reset-password');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(smtp.mailsTo('nobody@signup.test').length, 0);

    const weak = await post('/api/v1/auth/password-reset/confirm', { token, password: 'short' });
    assert.equal(weak.status, 422);
    assert.deepEqual(
      weak.body.errors.map((e: { path: string }) => e.path),
      ['password'],
    );

    const confirmed = await post('/api/v1/auth/password-reset/confirm', { token, password: 'a brand new passphrase' });
    assert.equal(confirmed.status, 204);
    assert.equal(
      (await post('/api/v1/auth/password-reset/confirm', { token, password: 'another new passphrase' })).status,
      410,
    );

    const refreshed = await post('/api/v1/auth/refresh', { refreshToken: oldRefresh });
    assert.equal(refreshed.status, 401, 'sessions from before the reset are revoked');
    assert.equal((await post('/api/v1/auth/login', { email: 'reset@signup.test', password: PASSWORD })).status, 401);
    assert.equal(
      (await post('/api/v1/auth/login', { email: 'reset@signup.test', password: 'a brand new passphrase' })).status,
      200,
    );
    await smtp.waitForMail((m) => m.to.includes('reset@signup.test') && /was changed/.test(m.subject));
  });

  it('mails at most the configured number of resets per hour, still answering 202', async () => {
    const { body } = await signup('limit@signup.test', uniqueSlug('limit'));
    await waitForOperation(platform, body.operation.id);
    for (let i = 0; i < 4; i++)
      assert.equal((await post('/api/v1/auth/password-reset', { email: 'limit@signup.test' })).status, 202);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(smtp.mailsTo('limit@signup.test').filter((m) => /Reset your/.test(m.subject)).length, 2);
  });

  it('refuses an expired reset link with 410 saying it expired', async () => {
    const { body } = await signup('expired@signup.test', uniqueSlug('expired'));
    await waitForOperation(platform, body.operation.id);
    await post('/api/v1/auth/password-reset', { email: 'expired@signup.test' });
    const mail = await smtp.waitForMail((m) => m.to.includes('expired@signup.test') && /Reset your/.test(m.subject));
    const token = tokenIn(mail.text, '/reset-password');
    await platform.database.query(
      `UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE purpose = 'reset_password' AND email = 'expired@signup.test'`,
    );
    const response = await post('/api/v1/auth/password-reset/confirm', { token, password: 'a brand new passphrase' });
    assert.equal(response.status, 410);
    assert.match(response.body.detail, /has expired/);
  });
});
