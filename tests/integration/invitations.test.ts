// Invitations over HTTP with real mail: invite, read the link from the SMTP server, accept
// as a new user (an account, signed in, a member with the role) or as an existing one
// (signed in as the invited address only); single use, expiry and withdrawal are 410;
// only owners invite owners; viewers 403, outsiders 404, nothing changed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';

describe('invitations', () => {
  let platform: Platform;
  let smtp: SmtpCapture;
  let slug: string;
  let tenantId: string;
  const people: Record<string, TestUser> = {};

  before(async () => {
    smtp = await startSmtpCapture();
    platform = await startPlatform({ env: { SMTP_URL: smtp.url, PUBLIC_URL: 'http://portal.test' } });
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      // The team plan: the free plan's three seats would stop the test's many invitations.
      json: { slug: uniqueSlug('inv'), name: 'Invite Co', plan: 'team', ownerEmail: 'owner@inv.test' },
    });
    await waitForOperation(platform, created.body.operation.id);
    slug = created.body.tenant.slug;
    tenantId = created.body.tenant.id;
    for (const role of ['owner', 'admin', 'viewer'] as const) {
      people[role] = await seedUser(platform.database, { email: `${role}@inv.test` });
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        tenantId,
        people[role].userId,
        role,
      ]);
    }
    people.existing = await seedUser(platform.database, { email: 'existing@inv.test' });
    people.outsider = await seedUser(platform.database, { email: 'outsider@inv.test' });
  });
  after(async () => {
    await platform?.stop();
    await smtp?.stop();
  });

  const invitations = () => `/api/v1/tenants/${slug}/invitations`;
  const as = (who: TestUser | null, method: string, path: string, json?: unknown) =>
    request(platform.baseUrl, method, path, { headers: who?.headers ?? {}, ...(json === undefined ? {} : { json }) });
  async function invite(email: string, role: string, by: TestUser = people.admin!): Promise<string> {
    const mailsBefore = smtp.mailsTo(email).length;
    const response = await as(by, 'POST', invitations(), { email, role });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.equal(response.body.mailed, true);
    // The newest mail to the address (an earlier invitation may have mailed it before).
    const mail = await smtp.waitForMail((m) => m.to.includes(email) && smtp.mailsTo(email).indexOf(m) >= mailsBefore);
    const links = [...mail.text.matchAll(/http:\/\/portal\.test\/invitations\/([\w-]{43})/g)];
    assert.equal(links.length, 1, mail.text);
    return links[0]![1]!;
  }
  const roleOf = async (email: string) =>
    (
      await platform.database.query<{ role: string }>(
        `SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1 AND u.email = $2`,
        [tenantId, email],
      )
    )[0]?.role ?? null;

  it('lets a new user accept: an account, signed in, a member with the role', async () => {
    const token = await invite('newbie@inv.test', 'developer');
    const info = await as(null, 'GET', `/api/v1/invitations/${token}`);
    assert.deepEqual(info.body, {
      tenant: { slug, name: 'Invite Co' },
      email: 'newbie@inv.test',
      role: 'developer',
      state: 'pending',
      accountExists: false,
    });
    const pending = await as(people.viewer!, 'GET', invitations());
    assert.ok(pending.body.items.some((i: { email: string }) => i.email === 'newbie@inv.test'));

    const incomplete = await as(null, 'POST', `/api/v1/invitations/${token}/accept`, {});
    assert.equal(incomplete.status, 422);
    assert.deepEqual(
      incomplete.body.errors.map((e: { path: string }) => e.path),
      ['displayName', 'password'],
    );

    const accepted = await as(null, 'POST', `/api/v1/invitations/${token}/accept`, {
      displayName: 'Newbie',
      password: 'a fine long passphrase',
    });
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
    assert.equal(accepted.body.membership.role, 'developer');
    const me = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/members/me`, {
      headers: { authorization: `Bearer ${accepted.body.session.accessToken}` },
    });
    assert.equal(me.body.role, 'developer');
    const [user] = await platform.database.query<{ email_verified_at: Date | null }>(
      `SELECT email_verified_at FROM users WHERE email = 'newbie@inv.test'`,
    );
    assert.ok(user?.email_verified_at, 'the invitation proved the address');

    const reused = await as(null, 'POST', `/api/v1/invitations/${token}/accept`, {
      displayName: 'X',
      password: 'another long passphrase',
    });
    assert.equal(reused.status, 410);
    assert.match(reused.body.detail, /accepted already/);
  });

  it('lets an existing user accept only when signed in as the invited address', async () => {
    const token = await invite('existing@inv.test', 'viewer');
    assert.equal((await as(null, 'GET', `/api/v1/invitations/${token}`)).body.accountExists, true);
    const anonymous = await as(null, 'POST', `/api/v1/invitations/${token}/accept`, {});
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.body.detail, /Sign in as existing@inv\.test/);
    const wrongUser = await as(people.outsider!, 'POST', `/api/v1/invitations/${token}/accept`, {});
    assert.equal(wrongUser.status, 403);
    assert.equal(await roleOf('outsider@inv.test'), null);
    const accepted = await as(people.existing!, 'POST', `/api/v1/invitations/${token}/accept`, {});
    assert.equal(accepted.status, 200);
    assert.equal(await roleOf('existing@inv.test'), 'viewer');
    const again = await as(people.admin!, 'POST', invitations(), { email: 'existing@inv.test', role: 'admin' });
    assert.equal(again.status, 409);
    assert.deepEqual(
      again.body.errors.map((e: { path: string }) => e.path),
      ['email'],
    );
  });

  it('refuses withdrawn, replaced and expired invitations with 410 saying which', async () => {
    const first = await invite('later@inv.test', 'viewer');
    const second = await invite('later@inv.test', 'developer'); // replaces the first
    const replaced = await as(null, 'POST', `/api/v1/invitations/${first}/accept`, {
      displayName: 'L',
      password: 'a fine long passphrase',
    });
    assert.equal(replaced.status, 410);
    assert.match(replaced.body.detail, /withdrawn/);

    const [pending] = (await as(people.admin!, 'GET', invitations())).body.items.filter(
      (i: { email: string }) => i.email === 'later@inv.test',
    );
    assert.equal(pending.role, 'developer');
    assert.equal((await as(people.admin!, 'DELETE', `${invitations()}/${pending.id}`)).status, 204);
    const withdrawn = await as(null, 'POST', `/api/v1/invitations/${second}/accept`, {
      displayName: 'L',
      password: 'a fine long passphrase',
    });
    assert.equal(withdrawn.status, 410);

    const third = await invite('late@inv.test', 'viewer');
    await platform.database.query(
      `UPDATE invitations SET expires_at = now() - interval '1 second' WHERE email = 'late@inv.test'`,
    );
    const expired = await as(null, 'POST', `/api/v1/invitations/${third}/accept`, {
      displayName: 'L',
      password: 'a fine long passphrase',
    });
    assert.equal(expired.status, 410);
    assert.match(expired.body.detail, /expired/);
    assert.equal(await roleOf('later@inv.test'), null);
    assert.equal(await roleOf('late@inv.test'), null);
    assert.equal((await as(null, 'GET', `/api/v1/invitations/${'A'.repeat(43)}`)).status, 404);
  });

  it('lets only owners invite owners; viewers may not invite; outsiders get 404; bad input names the field', async () => {
    const byAdmin = await as(people.admin!, 'POST', invitations(), { email: 'boss@inv.test', role: 'owner' });
    assert.equal(byAdmin.status, 403);
    assert.deepEqual(
      byAdmin.body.errors.map((e: { path: string }) => e.path),
      ['role'],
    );
    await invite('boss@inv.test', 'owner', people.owner);
    assert.equal(
      (await as(people.viewer!, 'POST', invitations(), { email: 'v@inv.test', role: 'viewer' })).status,
      403,
    );
    for (const [method, path, json] of [
      ['GET', invitations(), undefined],
      ['POST', invitations(), { email: 'sneaky@inv.test', role: 'viewer' }],
    ] as const) {
      const response = await as(people.outsider!, method, path, json);
      assert.equal(response.status, 404, `${method} ${path}`);
    }
    const bad = await as(people.admin!, 'POST', invitations(), { email: 'not-an-email', role: 'king' });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.errors.map((e: { path: string }) => e.path).sort(), ['email', 'role']);
    const stray = await platform.database.query(
      `SELECT 1 FROM invitations WHERE email IN ('v@inv.test', 'sneaky@inv.test', 'not-an-email')`,
    );
    assert.equal(stray.length, 0);
    const actions = await platform.database.query<{ action: string }>(
      `SELECT DISTINCT action FROM audit_log WHERE tenant_id = $1 AND action LIKE 'invitation.%' ORDER BY action`,
      [tenantId],
    );
    assert.deepEqual(
      actions.map((a) => a.action),
      ['invitation.accepted', 'invitation.created', 'invitation.revoked'],
    );
  });
});
