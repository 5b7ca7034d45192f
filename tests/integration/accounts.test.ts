// Accounts over HTTP with real mail (an in-process SMTP server). Signup is verify-email-first:
// it answers the same for every address, and the mailed link creates the user, the tenant and
// its owner and provisions it; an address with an account gets a mail saying so instead. The
// email verification link works once; a password reset mails a single-use link, signs out
// every session, and never reveals whether an account exists; limits answer 429 with
// Retry-After or, where a 429 would tell something, just send no more mail.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SignupRequest } from '../../contracts/index.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import {
  ACCOUNT_EXISTS_SUBJECT,
  requestSignup,
  SIGNUP_LINK_SUBJECT,
  signUp,
  signupTokenIn,
} from '../support/signup.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';

const PASSWORD = 'correct horse battery';
const PUBLIC_URL = 'http://portal.atrium.test';
const MAILS_PER_HOUR = 4;

describe('accounts: signup, email verification, password reset', () => {
  let platform: Platform;
  let smtp: SmtpCapture;

  before(async () => {
    smtp = await startSmtpCapture();
    platform = await startPlatform({
      env: {
        SMTP_URL: smtp.url,
        PUBLIC_URL,
        PASSWORD_RESET_LIMIT_PER_HOUR: '2',
        SIGNUP_MAIL_LIMIT_PER_HOUR: String(MAILS_PER_HOUR),
        LOGIN_RATE_LIMIT: '1000',
      },
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
  const signupBody = (email: string, slug: string, name = 'Sam Co'): SignupRequest => ({
    email,
    password: PASSWORD,
    displayName: 'Sam Signup',
    organization: { name, slug },
    plan: 'team',
  });
  const signup = (email: string, slug: string) => post('/api/v1/auth/signup', signupBody(email, slug));
  /** The whole signup (request, mailed link, confirm); waits until the tenant is provisioned. */
  const signUpAndProvision = async (email: string, slug: string) => {
    const accepted = await signUp(platform.baseUrl, smtp, signupBody(email, slug));
    await waitForOperation(platform, accepted.operation.id);
    return accepted;
  };
  const settle = () => new Promise((r) => setTimeout(r, 400)); // mails are sent after the answer
  const counts = async () =>
    (
      await platform.database.query<{ users: number; tenants: number }>(
        `SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM tenants)::int AS tenants`,
      )
    )[0]!;

  it('signs up through the mailed link: a verified account, an active tenant it owns, a session', async () => {
    const slug = uniqueSlug('sam');
    const before = await counts();
    const { requested, mail } = await requestSignup(platform.baseUrl, smtp, signupBody('sam@signup.test', slug));
    assert.match(requested.body.detail, /Check your email/);
    assert.deepEqual(await counts(), before, 'nothing exists before the link is opened');
    assert.equal(mail.subject, 'Confirm your email address to finish signing up for Atrium');
    const token = signupTokenIn(mail);
    assert.ok(mail.text.includes(`${PUBLIC_URL}/signup/confirm?token=`), mail.text);
    const stored = JSON.stringify(await platform.database.query(`SELECT * FROM pending_signups`));
    assert.ok(!stored.includes(token), 'only a hash of the token is stored');
    assert.ok(!stored.includes(PASSWORD), 'never the password, only its hash');
    const [pending] = await platform.database.query<{ password_hash: string }>(
      `SELECT password_hash FROM pending_signups WHERE email = 'sam@signup.test'`,
    );
    assert.match(pending!.password_hash, /^\$argon2id\$/);

    const confirmed = await post('/api/v1/auth/signup/confirm', { token });
    assert.equal(confirmed.status, 202, JSON.stringify(confirmed.body));
    const { session, tenant, operation } = confirmed.body;
    assert.equal(operation.id, `tenant-provision/${slug}`);
    assert.equal(tenant.slug, slug);
    const done = await waitForOperation(platform, operation.id);
    assert.equal(done.status, 'completed');

    const auth = { authorization: `Bearer ${session.accessToken}` };
    const me = await request(platform.baseUrl, 'GET', '/api/v1/me', { headers: auth });
    assert.equal(me.body.email, 'sam@signup.test');
    assert.equal(me.body.emailVerified, true, 'the link proved the address');
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
        'environment.created', // the plan's default environment (docs/decisions/0019)
        'tenant.license_issued',
        'tenant.welcome_mail_sent',
        'tenant.activated',
      ],
    );
    const [signedUp] = await platform.database.query<{ after: unknown }>(
      `SELECT after FROM audit_log WHERE action = 'user.signed_up' AND target_id = $1`,
      [session.user.id],
    );
    assert.deepEqual(signedUp?.after, { email: 'sam@signup.test', emailVerified: true });
    const [done_] = await platform.database.query<{ password_hash: string | null; completed: boolean }>(
      `SELECT password_hash, completed_at IS NOT NULL AS completed FROM pending_signups WHERE email = 'sam@signup.test'`,
    );
    assert.deepEqual(done_, { password_hash: null, completed: true }, 'no password hash kept once used');
    assert.equal((await post('/api/v1/auth/login', { email: 'sam@signup.test', password: PASSWORD })).status, 200);

    // Verified: may create another tenant.
    const allowed = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: auth,
      json: { slug: uniqueSlug('second'), name: 'Second', ownerEmail: 'sam@signup.test' },
    });
    assert.equal(allowed.status, 202, JSON.stringify(allowed.body));
    await waitForOperation(platform, allowed.body.operation.id);

    // The link works once; unknown ones are told apart from used ones.
    const again = await post('/api/v1/auth/signup/confirm', { token });
    assert.equal(again.status, 410);
    assert.equal(again.body.type, 'urn:atrium:problem:link-gone');
    assert.match(again.body.detail, /complete already/);
    const unknown = await post('/api/v1/auth/signup/confirm', { token: 'x'.repeat(43) });
    assert.equal(unknown.status, 400);
    assert.deepEqual(
      unknown.body.errors.map((e: { path: string }) => e.path),
      ['token'],
    );
    const bad = await post('/api/v1/auth/signup/confirm', { token: 'short', extra: 1 });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.errors.map((e: { path: string }) => e.path).sort(), ['extra', 'token']);
  });

  it('answers a taken address exactly as a free one, and mails its owner instead', async () => {
    const owner = await seedUser(platform.database, { email: 'owner@taken.test', displayName: 'Olive Owner' });
    const before = await counts();
    const taken = await signup('OWNER@taken.test', uniqueSlug('taken'));
    const free = await signup('someone.new@taken.test', uniqueSlug('free'));
    assert.equal(taken.status, 202);
    assert.equal(free.status, 202);
    assert.deepEqual(taken.body, free.body, 'the same body, word for word');
    assert.equal(taken.headers.get('content-type'), free.headers.get('content-type'));

    const notice = await smtp.waitForMail((m) => m.to.includes('owner@taken.test'));
    assert.match(notice.subject, ACCOUNT_EXISTS_SUBJECT);
    assert.match(notice.text, /Hello Olive Owner/);
    assert.ok(notice.text.includes(`${PUBLIC_URL}/login`), notice.text);
    assert.ok(notice.text.includes(`${PUBLIC_URL}/forgot-password`), notice.text);
    assert.doesNotMatch(notice.text, /signup\/confirm|token=/, 'no link that could create anything');
    await smtp.waitForMail((m) => m.to.includes('someone.new@taken.test') && SIGNUP_LINK_SUBJECT.test(m.subject));
    await settle();
    assert.equal(smtp.mailsTo('owner@taken.test').length, 1, 'one mail to the owner');
    assert.deepEqual(await counts(), before, 'no user, no tenant written');
    const login = await post('/api/v1/auth/login', { email: owner.email, password: owner.password });
    assert.equal(login.status, 200, 'the account is untouched');

    // Timing: the password is hashed either way, and mail is not awaited.
    const median = async (email: string) => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        assert.equal((await signup(email, uniqueSlug('time'))).status, 202);
        times.push(performance.now() - started);
      }
      return times.sort((a, b) => a - b)[2]!;
    };
    const takenMs = await median('owner@taken.test');
    const freeMs = await median('timing.free@taken.test');
    assert.ok(
      takenMs > freeMs / 2 && freeMs > takenMs / 2,
      `similar answer times: taken ${takenMs.toFixed(0)} ms, free ${freeMs.toFixed(0)} ms`,
    );
  });

  it('refuses a taken slug and bad input with problems naming the field, for any address', async () => {
    const { slug } = (await signUpAndProvision('slugowner@signup.test', uniqueSlug('dup'))).tenant;
    const before = await counts();
    for (const email of ['slugowner@signup.test', 'new@signup.test']) {
      const sameSlug = await signup(email, slug);
      assert.equal(sameSlug.status, 409, email);
      assert.deepEqual(
        sameSlug.body.errors.map((e: { path: string }) => e.path),
        ['organization.slug'],
      );
    }
    assert.deepEqual(await counts(), before, 'no user, no tenant written');
    const bad = await post('/api/v1/auth/signup', { email: 'nope', password: 'short', organization: { slug: 'X' } });
    assert.equal(bad.status, 422);
    assert.equal(bad.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const paths = bad.body.errors.map((e: { path: string }) => e.path);
    for (const path of ['email', 'password', 'displayName', 'organization.name', 'organization.slug'])
      assert.ok(paths.includes(path), `${path} in ${paths.join(', ')}`);
    const badResend = await post('/api/v1/auth/signup/resend', { email: 'nope' });
    assert.equal(badResend.status, 422);
    assert.deepEqual(
      badResend.body.errors.map((e: { path: string }) => e.path),
      ['email'],
    );
  });

  it('signing up again while pending: each link completes its own signup, the first used wins; resend mails a new one', async () => {
    const email = 'twice@signup.test';
    const first = await requestSignup(platform.baseUrl, smtp, signupBody(email, uniqueSlug('one'), 'First Co'));
    const secondSlug = uniqueSlug('two');
    const second = await requestSignup(platform.baseUrl, smtp, signupBody(email, secondSlug, 'Second Co'));
    assert.match(second.mail.text, /Second Co/);

    const seen = new Set(smtp.mails);
    const resent = await post('/api/v1/auth/signup/resend', { email });
    assert.equal(resent.status, 202);
    const nobody = await post('/api/v1/auth/signup/resend', { email: 'nobody@signup.test' });
    assert.deepEqual(nobody.body, resent.body, 'the same answer whatever the address');
    const third = await smtp.waitForMail((m) => !seen.has(m) && m.to.includes(email));
    assert.match(third.text, /Second Co/, 'the resend is for the newest signup');

    const confirmed = await post('/api/v1/auth/signup/confirm', { token: signupTokenIn(third) });
    assert.equal(confirmed.status, 202, JSON.stringify(confirmed.body));
    assert.equal(confirmed.body.tenant.slug, secondSlug);
    await waitForOperation(platform, confirmed.body.operation.id);
    for (const mail of [first.mail, second.mail]) {
      const late = await post('/api/v1/auth/signup/confirm', { token: signupTokenIn(mail) });
      assert.equal(late.status, 410, 'the other links of the address are used up');
      assert.match(late.body.detail, /complete already/);
    }
    await settle();
    assert.equal(smtp.mailsTo('nobody@signup.test').length, 0);

    // The address has an account now: resend tells its owner so.
    const after = await post('/api/v1/auth/signup/resend', { email });
    assert.deepEqual(after.body, resent.body);
    await smtp.waitForMail((m) => m.to.includes(email) && ACCOUNT_EXISTS_SUBJECT.test(m.subject));
  });

  it('sends an address at most the configured signup mails per hour, still answering 202', async () => {
    const email = 'flood@signup.test';
    for (let i = 0; i < MAILS_PER_HOUR + 2; i++) assert.equal((await signup(email, uniqueSlug('flood'))).status, 202);
    assert.equal((await post('/api/v1/auth/signup/resend', { email })).status, 202);
    await settle();
    assert.equal(smtp.mailsTo(email).length, MAILS_PER_HOUR);
  });

  it('refuses an expired link (410), and a link whose slug was taken since (409 naming the slug)', async () => {
    const expired = await requestSignup(platform.baseUrl, smtp, signupBody('late@signup.test', uniqueSlug('late')));
    await platform.database.query(
      `UPDATE pending_signups SET expires_at = now() - interval '1 second' WHERE email = 'late@signup.test'`,
    );
    const gone = await post('/api/v1/auth/signup/confirm', { token: signupTokenIn(expired.mail) });
    assert.equal(gone.status, 410);
    assert.match(gone.body.detail, /has expired/);

    const slug = uniqueSlug('race');
    const loser = await requestSignup(platform.baseUrl, smtp, signupBody('loser@signup.test', slug));
    await signUpAndProvision('winner@signup.test', slug);
    const before = await counts();
    const lost = await post('/api/v1/auth/signup/confirm', { token: signupTokenIn(loser.mail) });
    assert.equal(lost.status, 409);
    assert.deepEqual(
      lost.body.errors.map((e: { path: string }) => e.path),
      ['organization.slug'],
    );
    assert.deepEqual(await counts(), before, 'no account without its organization');
  });

  it('verification of an unverified account: sign-in works, creating tenants waits, resends are limited', async () => {
    const unverified = await seedUser(platform.database, { email: 'unverified@signup.test', emailVerified: false });
    const resend = () =>
      request(platform.baseUrl, 'POST', '/api/v1/auth/verify-email/resend', { headers: unverified.headers });
    assert.equal((await resend()).status, 202);
    const limited = await resend();
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);

    const create = () =>
      request(platform.baseUrl, 'POST', '/api/v1/tenants', {
        headers: unverified.headers,
        json: { slug: uniqueSlug('second'), name: 'Second', ownerEmail: unverified.email },
      });
    const refused = await create();
    assert.equal(refused.status, 403);
    assert.match(refused.body.detail, /Verify your email address/);

    const mail = await smtp.waitForMail((m) => m.to.includes(unverified.email) && /Confirm your/.test(m.subject));
    const token = tokenIn(mail.text, '/verify-email');
    const verified = await post('/api/v1/auth/verify-email', { token });
    assert.equal(verified.status, 200);
    assert.deepEqual(verified.body, { email: unverified.email, verified: true });
    const again = await post('/api/v1/auth/verify-email', { token });
    assert.equal(again.status, 410);
    assert.match(again.body.detail, /used already/);
    assert.equal((await post('/api/v1/auth/verify-email', { token: 'x'.repeat(43) })).status, 400);
    const allowed = await create();
    assert.equal(allowed.status, 202, JSON.stringify(allowed.body));
    await waitForOperation(platform, allowed.body.operation.id);
  });

  it('resets a password by a mailed single-use link, signing out every session', async () => {
    const { session } = await signUpAndProvision('reset@signup.test', uniqueSlug('reset'));
    const oldRefresh = session.refreshToken;

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
    await signUpAndProvision('limit@signup.test', uniqueSlug('limit'));
    for (let i = 0; i < 4; i++)
      assert.equal((await post('/api/v1/auth/password-reset', { email: 'limit@signup.test' })).status, 202);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(smtp.mailsTo('limit@signup.test').filter((m) => /Reset your/.test(m.subject)).length, 2);
  });

  it('refuses an expired reset link with 410 saying it expired', async () => {
    await signUpAndProvision('expired@signup.test', uniqueSlug('expired'));
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
