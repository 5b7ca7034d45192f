// The signed-in user's own account over HTTP: display name, password change (the current
// one required; other sessions end, this one continues), and an email change that takes
// effect only from the link mailed to the new address, answered alike whether or not
// another account uses that address.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from '../support/api-client.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';

describe('profile', () => {
  let platform: Platform;
  let smtp: SmtpCapture;
  let pat: TestUser;

  before(async () => {
    smtp = await startSmtpCapture();
    platform = await startPlatform({
      env: { SMTP_URL: smtp.url, PUBLIC_URL: 'http://portal.test', LOGIN_RATE_LIMIT: '1000' },
    });
    pat = await seedUser(platform.database, { email: 'pat@profile.test', displayName: 'Pat' });
    await seedUser(platform.database, { email: 'taken@profile.test' });
  });
  after(async () => {
    await platform?.stop();
    await smtp?.stop();
  });

  const as = (headers: Record<string, string>, method: string, path: string, json?: unknown) =>
    request(platform.baseUrl, method, path, { headers, ...(json === undefined ? {} : { json }) });
  const login = (password: string) =>
    request(platform.baseUrl, 'POST', '/api/v1/auth/login', { json: { email: pat.email, password } });

  it('reads and renames, with an audit entry; bad input names the field', async () => {
    const me = await as(pat.headers, 'GET', '/api/v1/me');
    assert.equal(me.body.displayName, 'Pat');
    assert.equal(me.body.emailVerified, true);
    const renamed = await as(pat.headers, 'PATCH', '/api/v1/me', { displayName: '  Pat Doe ' });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.displayName, 'Pat Doe');
    const bad = await as(pat.headers, 'PATCH', '/api/v1/me', { displayName: '', isPlatformAdmin: true });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.errors.map((e: { path: string }) => e.path).sort(), ['displayName', 'isPlatformAdmin']);
    const [entry] = await platform.database.query<{ before: unknown; after: unknown }>(
      `SELECT before, after FROM audit_log WHERE action = 'user.profile_updated' AND target_id = $1`,
      [pat.userId],
    );
    assert.deepEqual(entry, { before: { displayName: 'Pat' }, after: { displayName: 'Pat Doe' } });
  });

  it('changes the password only with the current one, ending the other sessions', async () => {
    const other = await login(pat.password);
    assert.equal(other.status, 200);
    const wrong = await as(pat.headers, 'POST', '/api/v1/me/password', {
      currentPassword: 'not it',
      newPassword: 'a much better passphrase',
    });
    assert.equal(wrong.status, 422);
    assert.deepEqual(
      wrong.body.errors.map((e: { path: string }) => e.path),
      ['currentPassword'],
    );
    const changed = await as(pat.headers, 'POST', '/api/v1/me/password', {
      currentPassword: pat.password,
      newPassword: 'a much better passphrase',
    });
    assert.equal(changed.status, 200);
    assert.ok(changed.body.refreshToken, 'this session continues with fresh tokens');
    const oldSession = await request(platform.baseUrl, 'POST', '/api/v1/auth/refresh', {
      json: { refreshToken: other.body.refreshToken },
    });
    assert.equal(oldSession.status, 401, 'the other session ended');
    const fresh = await request(platform.baseUrl, 'POST', '/api/v1/auth/refresh', {
      json: { refreshToken: changed.body.refreshToken },
    });
    assert.equal(fresh.status, 200);
    assert.equal((await login(pat.password)).status, 401);
    assert.equal((await login('a much better passphrase')).status, 200);
  });

  it('answers an email change alike whether or not another account uses the address, mailing it either way', async () => {
    const sam = await seedUser(platform.database, { email: 'sam@profile.test', displayName: 'Sam' });
    const taken = await as(pat.headers, 'POST', '/api/v1/me/email', { email: 'TAKEN@profile.test' });
    const free = await as(sam.headers, 'POST', '/api/v1/me/email', { email: 'sam.new@profile.test' });
    assert.equal(taken.status, 202, JSON.stringify(taken.body));
    assert.equal(free.status, 202, JSON.stringify(free.body));
    assert.deepEqual(taken.body, { pendingEmail: 'TAKEN@profile.test' });
    assert.deepEqual(free.body, { pendingEmail: 'sam.new@profile.test' });
    // The once-a-minute limit counts both alike.
    for (const who of [pat, sam]) {
      const again = await as(who.headers, 'POST', '/api/v1/me/email', { email: 'other@profile.test' });
      assert.equal(again.status, 429);
      assert.ok(Number(again.headers.get('retry-after')) > 0);
    }

    // The taken address's owner hears of it; nothing changes and nothing there can be confirmed.
    const notice = await smtp.waitForMail((m) => m.to.some((to) => to.toLowerCase() === 'taken@profile.test'));
    assert.match(notice.subject, /another Atrium account/);
    assert.ok(notice.text.includes('http://portal.test/login'), notice.text);
    assert.doesNotMatch(notice.text, /token=/);
    assert.equal((await as(pat.headers, 'GET', '/api/v1/me')).body.email, 'pat@profile.test');
    const [audit] = await platform.database.query<{ after: unknown }>(
      `SELECT after FROM audit_log WHERE action = 'user.email_change_requested' AND target_id = $1`,
      [pat.userId],
    );
    assert.deepEqual(audit?.after, { email: 'TAKEN@profile.test', addressTaken: true });

    // A free address changes only once confirmed from the link mailed there.
    assert.equal(
      (await as(sam.headers, 'GET', '/api/v1/me')).body.email,
      'sam@profile.test',
      'unchanged until confirmed',
    );
    const mail = await smtp.waitForMail((m) => m.to.includes('sam.new@profile.test'));
    assert.match(mail.subject, /Confirm your new email address/);
    const token = decodeURIComponent(/verify-email\?token=([\w%-]+)/.exec(mail.text)![1]!);
    const confirmed = await request(platform.baseUrl, 'POST', '/api/v1/auth/verify-email', { json: { token } });
    assert.equal(confirmed.status, 200);
    const me = await as(sam.headers, 'GET', '/api/v1/me');
    assert.equal(me.body.email, 'sam.new@profile.test');
    assert.equal(me.body.emailVerified, true);

    const bad = await as(sam.headers, 'POST', '/api/v1/me/email', { email: 'not an address' });
    assert.equal(bad.status, 422);
    assert.deepEqual(
      bad.body.errors.map((e: { path: string }) => e.path),
      ['email'],
    );
  });
});
