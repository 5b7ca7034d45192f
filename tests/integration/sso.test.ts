// Single sign-on over HTTP, end to end against a real OpenID provider (oidc-provider on
// loopback) and real mail (smtp-server): configure a tenant's provider (the client secret
// goes to the secret store), verify a domain by the mailed link, sign in through the
// provider with PKCE, state and nonce (just-in-time account and membership), link an
// existing account, refuse addresses outside the verified domains and replayed or forged
// callbacks, and enforce "SSO required" on password sign-in and on the tenant's routes; on a
// plan without the `sso` feature, refuse signing in through it (403 naming the plan that has
// it) and let "SSO required" lapse.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { OidcTestProvider } from '../support/oidc-provider.ts';
import { startOidcProvider } from '../support/oidc-provider.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';

const PUBLIC_URL = 'http://portal.test';

describe('single sign-on through OpenID Connect', () => {
  let platform: Platform;
  let smtp: SmtpCapture;
  let idp: OidcTestProvider;
  let slug: string;
  let tenantId: string;
  let domain: string;
  const people: Record<string, TestUser> = {};

  before(async () => {
    smtp = await startSmtpCapture();
    idp = await startOidcProvider({ redirectUris: [`${PUBLIC_URL}/sso/callback`] });
    // The provider runs on loopback, which the outbound guard refuses unless told otherwise
    // (tests/integration/sso-outbound.test.ts shows the refusal).
    platform = await startPlatform({
      env: { SMTP_URL: smtp.url, PUBLIC_URL, SSO_ALLOW_INSECURE_ISSUERS: 'true', OUTBOUND_ALLOW_LOOPBACK: 'true' },
    });
    slug = uniqueSlug('sso');
    domain = `${slug}.test`;
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: 'SSO Co', ownerEmail: `owner@${domain}` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForOperation(platform, created.body.operation.id);
    tenantId = created.body.tenant.id;
    // Single sign-on is the enterprise plan's (the `sso` feature), which also has room for the
    // people who arrive through it here (the free plan has 3 members).
    await platform.database.query(`UPDATE tenants SET plan = 'enterprise' WHERE id = $1`, [tenantId]);
    for (const role of ['owner', 'developer'] as const) {
      people[role] = await seedUser(platform.database, { email: `${role}-member@${domain}` });
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        tenantId,
        people[role].userId,
        role,
      ]);
    }
    // Has a password account at the domain, but is not a member yet.
    people.carol = await seedUser(platform.database, { email: `carol@${domain}` });
    idp.people.set('alice', { email: `alice@${domain}`, name: 'Alice Example' });
    idp.people.set('carol', { email: `carol@${domain}` });
    idp.people.set('mallory', { email: `owner@elsewhere-${slug}.test` });
    idp.people.set('dora', { email: `dora@${domain}`, name: 'Dora Example' });
    idp.people.set('unverified', { email: `unverified@${domain}`, emailVerified: false });
  });
  after(async () => {
    await platform?.stop();
    await smtp?.stop();
    await idp?.stop();
  });

  const as = (who: TestUser | null, method: string, path: string, json?: unknown) =>
    request(platform.baseUrl, method, path, { headers: who?.headers ?? {}, ...(json === undefined ? {} : { json }) });
  const settingsPath = () => `/api/v1/tenants/${slug}/sso`;
  const connection = (overrides: Record<string, unknown> = {}) => ({
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    defaultRole: 'viewer',
    ...overrides,
  });
  const count = async (sql: string, params: unknown[]) =>
    Number((await platform.database.query<{ n: string }>(sql, params))[0]?.n ?? 0);

  /** Starts a login for `email`, signs in at the provider as `login`, and finishes it. */
  async function ssoLogin(email: string, login: string) {
    const started = await as(null, 'POST', '/api/v1/auth/sso/start', { email, returnTo: '/tenants' });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const redirect = await idp.signIn(started.body.authorizationUrl, login);
    const finished = await as(null, 'POST', '/api/v1/auth/sso/callback', { query: redirect.search.slice(1) });
    return { started, redirect, finished };
  }

  it('refuses configuring single sign-on on a plan without it, naming the plan that has it', async () => {
    await platform.database.query(`UPDATE tenants SET plan = 'team' WHERE id = $1`, [tenantId]);
    try {
      const refused = await as(people.owner!, 'PUT', settingsPath(), connection());
      assert.equal(refused.status, 403, JSON.stringify(refused.body));
      assert.equal(refused.headers.get('content-type')?.split(';')[0], 'application/problem+json');
      assert.equal(refused.body.type, 'urn:atrium:problem:plan-feature-missing');
      assert.match(refused.body.detail, /The team plan does not include single sign-on .*the enterprise plan does/);
      const domainRefused = await as(people.owner!, 'POST', `${settingsPath()}/domains`, {
        domain,
        verificationEmail: `it@${domain}`,
      });
      assert.equal(domainRefused.status, 403, JSON.stringify(domainRefused.body));
      assert.equal(domainRefused.body.type, 'urn:atrium:problem:plan-feature-missing');
      // Reading stays open (a tenant whose plan lost it still sees what it had).
      assert.equal((await as(people.owner!, 'GET', settingsPath())).status, 200);
      assert.equal((await as(people.owner!, 'GET', `${settingsPath()}/domains`)).status, 200);
      assert.equal(await count(`SELECT count(*) AS n FROM sso_connections WHERE tenant_id = $1`, [tenantId]), 0);
      assert.equal(await count(`SELECT count(*) AS n FROM sso_domains WHERE tenant_id = $1`, [tenantId]), 0);
    } finally {
      await platform.database.query(`UPDATE tenants SET plan = 'enterprise' WHERE id = $1`, [tenantId]);
    }
  });

  it('refuses bad settings with the field named, writing nothing', async () => {
    const noSecret = await as(people.owner!, 'PUT', settingsPath(), connection({ clientSecret: undefined }));
    assert.equal(noSecret.status, 422);
    assert.deepEqual(
      noSecret.body.errors.map((e: { path: string }) => e.path),
      ['clientSecret'],
    );

    const unreachable = await as(people.owner!, 'PUT', settingsPath(), connection({ issuer: 'http://127.0.0.1:9/' }));
    assert.equal(unreachable.status, 422, JSON.stringify(unreachable.body));
    assert.equal(unreachable.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    assert.equal(unreachable.body.errors[0].path, 'issuer');
    assert.match(unreachable.body.errors[0].message, /openid-configuration/);

    const required = await as(people.owner!, 'PUT', settingsPath(), connection({ ssoRequired: true }));
    assert.equal(required.status, 422);
    assert.equal(required.body.errors[0].path, 'ssoRequired');

    const developer = await as(people.developer!, 'PUT', settingsPath(), connection());
    assert.equal(developer.status, 403);

    assert.equal((await as(people.owner!, 'GET', settingsPath())).body.connection, null);
    assert.equal(await count(`SELECT count(*) AS n FROM sso_connections`, []), 0);
    assert.equal(
      await count(`SELECT count(*) AS n FROM local_secrets WHERE path LIKE $1`, [`tenants/${slug}/sso/%`]),
      0,
    );
  });

  it('configures the provider; the client secret is in the secret store only', async () => {
    const saved = await as(people.owner!, 'PUT', settingsPath(), connection());
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    assert.equal(saved.body.issuer, idp.issuer);
    assert.equal(saved.body.clientSecretSet, true);
    assert.equal(saved.body.redirectUri, `${PUBLIC_URL}/sso/callback`);
    assert.ok(!JSON.stringify(saved.body).includes(idp.clientSecret));

    const read = await as(people.owner!, 'GET', settingsPath());
    assert.equal(read.body.connection.clientId, idp.clientId);
    assert.ok(!JSON.stringify(read.body).includes(idp.clientSecret));

    // The secret is stored encrypted in the secret store, and nowhere in the database in clear.
    const secrets = await platform.database.query<{ ciphertext: string }>(
      `SELECT ciphertext FROM local_secrets WHERE path = $1`,
      [`tenants/${slug}/sso/client-secret`],
    );
    assert.equal(secrets.length, 1);
    assert.ok(!secrets[0]!.ciphertext.includes(idp.clientSecret));
    const audit = await platform.database.query<{ after: unknown }>(
      `SELECT after FROM audit_log WHERE tenant_id = $1 AND action = 'sso.configured'`,
      [tenantId],
    );
    assert.equal(audit.length, 1);
    assert.ok(!JSON.stringify(audit[0]!.after).includes(idp.clientSecret));

    // Updating without a secret keeps the stored one.
    const updated = await as(people.owner!, 'PUT', settingsPath(), connection({ clientSecret: undefined }));
    assert.equal(updated.status, 200);
    assert.equal(
      await count(`SELECT count(*) AS n FROM local_secrets WHERE path = $1`, [`tenants/${slug}/sso/client-secret`]),
      1,
    );
  });

  it('verifies a domain through a link mailed to an address at it', async () => {
    const wrongAddress = await as(people.owner!, 'POST', `${settingsPath()}/domains`, {
      domain,
      verificationEmail: 'it@gmail.com',
    });
    assert.equal(wrongAddress.status, 422);
    assert.equal(wrongAddress.body.errors[0].path, 'verificationEmail');

    const before = await as(null, 'POST', '/api/v1/auth/sso/discover', { email: `alice@${domain}` });
    assert.deepEqual(before.body, { sso: false, required: false, tenant: null });

    const added = await as(people.owner!, 'POST', `${settingsPath()}/domains`, {
      domain: domain.toUpperCase(),
      verificationEmail: `it@${domain}`,
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(added.body.mailed, true);
    assert.equal(added.body.domain.domain, domain);
    assert.equal(added.body.domain.verified, false);
    const mail = await smtp.waitForMail((m) => m.to.includes(`it@${domain}`));
    const token = mail.text.match(/http:\/\/portal\.test\/sso\/verify-domain\?token=([\w-]{43})/)?.[1];
    assert.ok(token, mail.text);

    // Not verified yet: logins for the domain do not go to SSO.
    assert.equal((await as(null, 'POST', '/api/v1/auth/sso/start', { email: `alice@${domain}` })).status, 404);

    const verified = await as(null, 'POST', '/api/v1/sso/domain-verifications', { token });
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    assert.deepEqual(verified.body, { domain, tenant: { slug, name: 'SSO Co' } });
    assert.equal((await as(null, 'POST', '/api/v1/sso/domain-verifications', { token })).status, 410);
    assert.equal((await as(null, 'POST', '/api/v1/sso/domain-verifications', { token: 'x'.repeat(43) })).status, 400);

    const after = await as(null, 'POST', '/api/v1/auth/sso/discover', { email: `Alice@${domain.toUpperCase()}` });
    assert.deepEqual(after.body, { sso: true, required: false, tenant: { slug, name: 'SSO Co' } });
    const other = await as(null, 'POST', '/api/v1/auth/sso/discover', { email: 'someone@gmail.com' });
    assert.equal(other.body.sso, false);
  });

  it('keeps a verified domain to one organization', async () => {
    const otherSlug = uniqueSlug('sso-other');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: otherSlug, name: 'Other Co', ownerEmail: 'owner@other-co.test' },
    });
    await waitForOperation(platform, created.body.operation.id);
    await platform.database.query(`UPDATE tenants SET plan = 'enterprise' WHERE slug = $1`, [otherSlug]);
    const claimed = await request(platform.baseUrl, 'POST', `/api/v1/tenants/${otherSlug}/sso/domains`, {
      headers: platform.admin.headers,
      json: { domain, verificationEmail: `it@${domain}` },
    });
    assert.equal(claimed.status, 409, JSON.stringify(claimed.body));
    assert.equal(claimed.body.errors[0].path, 'domain');
  });

  it('signs a new person in through the provider: an account and a membership just in time', async () => {
    const { started, redirect, finished } = await ssoLogin(`alice@${domain}`, 'alice');
    const authorization = new URL(started.body.authorizationUrl);
    assert.equal(authorization.origin, idp.issuer);
    assert.equal(authorization.searchParams.get('redirect_uri'), `${PUBLIC_URL}/sso/callback`);
    assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(authorization.searchParams.get('nonce'));
    assert.equal(authorization.searchParams.get('state'), started.body.state);
    assert.equal(`${redirect.origin}${redirect.pathname}`, `${PUBLIC_URL}/sso/callback`);

    assert.equal(finished.status, 200, JSON.stringify(finished.body));
    assert.equal(finished.body.accountCreated, true);
    assert.equal(finished.body.membershipCreated, true);
    assert.equal(finished.body.returnTo, '/tenants');
    assert.deepEqual(finished.body.tenant, { slug, name: 'SSO Co' });
    assert.equal(finished.body.session.user.email, `alice@${domain}`);
    assert.equal(finished.body.session.user.displayName, 'Alice Example');
    const alice = { headers: { authorization: `Bearer ${finished.body.session.accessToken}` } } as unknown as TestUser;
    const me = await as(alice, 'GET', `/api/v1/tenants/${slug}/members/me`);
    assert.equal(me.status, 200);
    assert.equal(me.body.role, 'viewer');
    const users = await platform.database.query<{ password_hash: string | null; email_verified_at: Date | null }>(
      `SELECT password_hash, email_verified_at FROM users WHERE email = $1`,
      [`alice@${domain}`],
    );
    assert.equal(users[0]!.password_hash, null);
    assert.ok(users[0]!.email_verified_at);
    const actions = await platform.database.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE tenant_id = $1 AND action IN ('user.created', 'member.added') ORDER BY id`,
      [tenantId],
    );
    assert.deepEqual(
      actions.map((a) => a.action),
      ['user.created', 'member.added'],
    );

    // The callback is single use.
    const replay = await as(null, 'POST', '/api/v1/auth/sso/callback', { query: redirect.search.slice(1) });
    assert.equal(replay.status, 410);

    // The refresh token keeps the session's SSO origin.
    const refreshed = await as(null, 'POST', '/api/v1/auth/refresh', {
      refreshToken: finished.body.session.refreshToken,
    });
    assert.equal(refreshed.status, 200);

    // A second sign-in finds the same account and membership.
    const again = await ssoLogin(`alice@${domain}`, 'alice');
    assert.equal(again.finished.status, 200);
    assert.equal(again.finished.body.accountCreated, false);
    assert.equal(again.finished.body.membershipCreated, false);
    assert.equal(again.finished.body.session.user.id, finished.body.session.user.id);
  });

  it('links an existing account at the domain instead of creating one', async () => {
    const { finished } = await ssoLogin(`carol@${domain}`, 'carol');
    assert.equal(finished.status, 200, JSON.stringify(finished.body));
    assert.equal(finished.body.accountCreated, false);
    assert.equal(finished.body.membershipCreated, true);
    assert.equal(finished.body.session.user.id, people.carol!.userId);
    assert.equal(
      await count(`SELECT count(*) AS n FROM sso_identities WHERE user_id = $1 AND subject = 'sub-carol'`, [
        people.carol!.userId,
      ]),
      1,
    );
  });

  it('refuses signing in through SSO on a plan without it, at the start and at a callback started before, keeping nothing', async () => {
    // Started while the plan had single sign-on; the plan loses it before the callback.
    const started = await as(null, 'POST', '/api/v1/auth/sso/start', { email: `dora@${domain}` });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const redirect = await idp.signIn(started.body.authorizationUrl, 'dora');
    const usersBefore = await count(`SELECT count(*) AS n FROM users`, []);
    await platform.database.query(`UPDATE tenants SET plan = 'team' WHERE id = $1`, [tenantId]);
    try {
      const offPlan = /^SSO Co cannot sign in through single sign-on: its plan does not include it \(the enterprise plan does\)\. Sign in with your password instead/;
      const finished = await as(null, 'POST', '/api/v1/auth/sso/callback', { query: redirect.search.slice(1) });
      assert.equal(finished.status, 403, JSON.stringify(finished.body));
      assert.equal(finished.headers.get('content-type')?.split(';')[0], 'application/problem+json');
      assert.equal(finished.body.type, 'urn:atrium:problem:plan-feature-missing');
      assert.match(finished.body.detail, offPlan);
      assert.ok(!finished.body.detail.includes('team'), 'the tenant’s own plan is not told to someone not signed in');
      // Nothing of the sign-in is kept: no account (so no membership and no session), no link.
      assert.equal(await count(`SELECT count(*) AS n FROM users`, []), usersBefore);
      assert.equal(await count(`SELECT count(*) AS n FROM sso_identities WHERE subject = 'sub-dora'`, []), 0);

      // A new sign-in is refused before the provider is asked, by address and by organization.
      for (const body of [{ email: `alice@${domain}` }, { tenant: slug }]) {
        const refused = await as(null, 'POST', '/api/v1/auth/sso/start', body);
        assert.equal(refused.status, 403, JSON.stringify(refused.body));
        assert.equal(refused.body.type, 'urn:atrium:problem:plan-feature-missing');
        assert.match(refused.body.detail, offPlan);
      }
      // Discovery no longer sends the domain's addresses to single sign-on.
      const discovered = await as(null, 'POST', '/api/v1/auth/sso/discover', { email: `alice@${domain}` });
      assert.deepEqual(discovered.body, { sso: false, required: false, tenant: null });
    } finally {
      await platform.database.query(`UPDATE tenants SET plan = 'enterprise' WHERE id = $1`, [tenantId]);
    }
    // With the plan back, the settings it kept work as before.
    const known = await ssoLogin(`alice@${domain}`, 'alice');
    assert.equal(known.finished.status, 200, JSON.stringify(known.finished.body));
  });

  it('refuses addresses outside the verified domains, unverified emails, and forged callbacks', async () => {
    const usersBefore = await count(`SELECT count(*) AS n FROM users`, []);
    const outside = await ssoLogin(`alice@${domain}`, 'mallory');
    assert.equal(outside.finished.status, 401, JSON.stringify(outside.finished.body));
    assert.equal(outside.finished.body.type, 'urn:atrium:problem:sso-failed');
    assert.match(outside.finished.body.detail, /not in a domain SSO Co has verified/);

    const unverified = await ssoLogin(`alice@${domain}`, 'unverified');
    assert.equal(unverified.finished.status, 401);
    assert.match(unverified.finished.body.detail, /verified email/);
    assert.equal(await count(`SELECT count(*) AS n FROM users`, []), usersBefore);

    // A state this API never issued, and a code that was never issued for this login.
    const forged = await as(null, 'POST', '/api/v1/auth/sso/callback', { query: 'code=abc&state=not-ours' });
    assert.equal(forged.status, 400);
    const started = await as(null, 'POST', '/api/v1/auth/sso/start', { tenant: slug });
    const redirect = await idp.signIn(started.body.authorizationUrl, 'alice');
    redirect.searchParams.set('code', 'forged-code');
    const badCode = await as(null, 'POST', '/api/v1/auth/sso/callback', { query: redirect.search.slice(1) });
    assert.equal(badCode.status, 401, JSON.stringify(badCode.body));
    assert.equal(badCode.body.type, 'urn:atrium:problem:sso-failed');

    // The provider's own refusal is passed on.
    const startedAgain = await as(null, 'POST', '/api/v1/auth/sso/start', { tenant: slug });
    const state = new URL(startedAgain.body.authorizationUrl).searchParams.get('state');
    const denied = await as(null, 'POST', '/api/v1/auth/sso/callback', {
      query: `error=access_denied&error_description=User+cancelled&state=${state}`,
    });
    assert.equal(denied.status, 401);
    assert.match(denied.body.detail, /User cancelled/);

    const badReturn = await as(null, 'POST', '/api/v1/auth/sso/start', { tenant: slug, returnTo: '//evil.test/' });
    assert.equal(badReturn.status, 422);
    assert.equal(badReturn.body.errors[0].path, 'returnTo');
  });

  it('with "SSO required", refuses password sign-in and password sessions on the tenant', async () => {
    // From a password session, requiring SSO would lock the owner out: refused, naming the field.
    const lockout = await as(people.owner!, 'PUT', settingsPath(), connection({ ssoRequired: true }));
    assert.equal(lockout.status, 422, JSON.stringify(lockout.body));
    assert.equal(lockout.body.errors[0].path, 'ssoRequired');
    assert.match(lockout.body.errors[0].message, /lock you out/);
    const required = await as(platform.admin, 'PUT', settingsPath(), connection({ ssoRequired: true }));
    assert.equal(required.status, 200, JSON.stringify(required.body));

    const password = await as(null, 'POST', '/api/v1/auth/login', {
      email: people.carol!.email,
      password: people.carol!.password,
    });
    assert.equal(password.status, 403, JSON.stringify(password.body));
    assert.equal(password.body.type, 'urn:atrium:problem:sso-required');
    const discovered = await as(null, 'POST', '/api/v1/auth/sso/discover', { email: people.carol!.email });
    assert.equal(discovered.body.required, true);

    // A session that did not come through the tenant's provider no longer works on it.
    const passwordSession = await as(people.developer!, 'GET', `/api/v1/tenants/${slug}/members`);
    assert.equal(passwordSession.status, 403);
    assert.equal(passwordSession.body.type, 'urn:atrium:problem:sso-required');
    const { finished } = await ssoLogin(`carol@${domain}`, 'carol');
    const carol = { headers: { authorization: `Bearer ${finished.body.session.accessToken}` } } as unknown as TestUser;
    assert.equal((await as(carol, 'GET', `/api/v1/tenants/${slug}/members`)).status, 200);

    // Platform staff keep access (they repair tenants), and the last verified domain stays.
    assert.equal((await as(platform.admin, 'GET', `/api/v1/tenants/${slug}/members`)).status, 200);
    const removeDomain = await as(carol, 'DELETE', `${settingsPath()}/domains/${domain}`);
    assert.equal(removeDomain.status, 403); // a viewer
    const ownerSso = await request(platform.baseUrl, 'DELETE', `${settingsPath()}/domains/${domain}`, {
      headers: platform.admin.headers,
    });
    assert.equal(ownerSso.status, 409);

    const off = await as(platform.admin, 'PUT', settingsPath(), connection({ ssoRequired: false }));
    assert.equal(off.status, 200);
    assert.equal((await as(people.developer!, 'GET', `/api/v1/tenants/${slug}/members`)).status, 200);
  });

  it('lets "SSO required" lapse while the plan lacks single sign-on (nobody could sign in through it)', async () => {
    const required = await as(platform.admin, 'PUT', settingsPath(), connection({ ssoRequired: true }));
    assert.equal(required.status, 200, JSON.stringify(required.body));
    const passwordLogin = () =>
      as(null, 'POST', '/api/v1/auth/login', { email: people.carol!.email, password: people.carol!.password });
    assert.equal((await passwordLogin()).status, 403);
    await platform.database.query(`UPDATE tenants SET plan = 'team' WHERE id = $1`, [tenantId]);
    try {
      const login = await passwordLogin();
      assert.equal(login.status, 200, JSON.stringify(login.body));
      assert.equal((await as(people.developer!, 'GET', `/api/v1/tenants/${slug}/members`)).status, 200);
      const discovered = await as(null, 'POST', '/api/v1/auth/sso/discover', { email: people.carol!.email });
      assert.deepEqual([discovered.body.sso, discovered.body.required], [false, false]);
    } finally {
      await platform.database.query(`UPDATE tenants SET plan = 'enterprise' WHERE id = $1`, [tenantId]);
    }
    // The plan back, the requirement holds again.
    const refused = await passwordLogin();
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.type, 'urn:atrium:problem:sso-required');
    assert.equal((await as(people.developer!, 'GET', `/api/v1/tenants/${slug}/members`)).status, 403);
    const off = await as(platform.admin, 'PUT', settingsPath(), connection({ ssoRequired: false }));
    assert.equal(off.status, 200);
  });

  it('removes single sign-on and its secret', async () => {
    const removed = await as(people.owner!, 'DELETE', settingsPath());
    assert.equal(removed.status, 204);
    assert.equal(
      await count(`SELECT count(*) AS n FROM local_secrets WHERE path = $1`, [`tenants/${slug}/sso/client-secret`]),
      0,
    );
    assert.equal((await as(null, 'POST', '/api/v1/auth/sso/start', { tenant: slug })).status, 404);
    assert.equal((await as(people.owner!, 'DELETE', settingsPath())).status, 404);
  });
});
