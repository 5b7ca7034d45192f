// A tenant a platform admin creates for someone's address ends provisioning with an owner:
// the address's verified account becomes the owner member, and an address without one is
// invited as owner with the welcome mail (pending until accepted). Through the API, with the
// worker's mail going to a real SMTP capture.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { Platform } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';

describe('the owner of a tenant a platform admin creates', () => {
  let platform: Platform;
  let smtp: SmtpCapture;
  before(async () => {
    smtp = await startSmtpCapture();
    platform = await startPlatform({ env: { SMTP_URL: smtp.url } });
  });
  after(async () => {
    await platform?.stop();
    await smtp?.stop();
  });

  async function createTenant(slug: string, ownerEmail: string): Promise<{ tenantId: string }> {
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug, name: `Org ${slug}`, ownerEmail },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const done = await waitForOperation(platform, created.body.operation.id);
    assert.equal(done.status, 'completed', JSON.stringify(done));
    return { tenantId: created.body.tenant.id };
  }

  const auditOf = (tenantId: string) =>
    platform.database.query<{ action: string; actor_id: string; target_id: string; after: Record<string, unknown> }>(
      `SELECT action, actor_id, target_id, after FROM audit_log
       WHERE tenant_id = $1 AND (action LIKE 'member.%' OR action LIKE 'invitation.%') ORDER BY id`,
      [tenantId],
    );

  it('makes an existing, verified account the owner: it sees the tenant and its members', async () => {
    const slug = uniqueSlug('owned');
    const olga = await seedUser(platform.database, { email: `olga@${slug}.test` });
    const { tenantId } = await createTenant(slug, `OLGA@${slug}.test`);

    const members = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/members`, {
      headers: olga.headers,
    });
    assert.equal(members.status, 200, JSON.stringify(members.body));
    assert.deepEqual(
      members.body.items.map((m: { email: string; role: string }) => [m.email, m.role]),
      [[olga.email, 'owner']],
    );
    const listed = await request(platform.baseUrl, 'GET', '/api/v1/tenants', { headers: olga.headers });
    assert.deepEqual(
      listed.body.items.map((t: { slug: string }) => t.slug),
      [slug],
    );
    const invitations = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/invitations`, {
      headers: olga.headers,
    });
    assert.deepEqual(invitations.body.items, [], 'nobody invited');
    assert.deepEqual(
      (await auditOf(tenantId)).map((e) => [e.action, e.actor_id, e.target_id, e.after.role]),
      [['member.added', platform.admin.userId, olga.userId, 'owner']],
      'audited once, as the admin who created the tenant',
    );
    const mails = smtp.mailsTo(`OLGA@${slug}.test`);
    assert.equal(mails.length, 1);
    assert.doesNotMatch(mails[0]!.text, /\/invitations\//);
  });

  it('invites an address without an account as owner with the welcome mail; accepting makes them owner', async () => {
    const slug = uniqueSlug('invited');
    const email = `newbie@${slug}.test`;
    const { tenantId } = await createTenant(slug, email);

    const members = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/members`, {
      headers: platform.admin.headers,
    });
    assert.deepEqual(members.body.items, []);
    const pending = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/invitations`, {
      headers: platform.admin.headers,
    });
    assert.deepEqual(
      pending.body.items.map((i: { email: string; role: string; invitedBy: string }) => [i.email, i.role, i.invitedBy]),
      [[email, 'owner', platform.admin.email]],
      'pending, invited by the admin who created the tenant',
    );

    const mails = smtp.mailsTo(email);
    assert.equal(mails.length, 1, 'one mail: the welcome carries the invitation');
    assert.match(mails[0]!.subject, /^Welcome to Atrium/);
    const token = /\/invitations\/([\w-]{43})\s/.exec(mails[0]!.text)?.[1];
    assert.ok(token, mails[0]!.text);
    assert.match(mails[0]!.text, new RegExp(`/tenants/${slug}\\b`));

    const offer = await request(platform.baseUrl, 'GET', `/api/v1/invitations/${token}`);
    assert.equal(offer.status, 200);
    assert.deepEqual(offer.body, {
      tenant: { slug, name: `Org ${slug}` },
      email,
      role: 'owner',
      state: 'pending',
      accountExists: false,
    });
    const accepted = await request(platform.baseUrl, 'POST', `/api/v1/invitations/${token}/accept`, {
      json: { displayName: 'Newbie', password: 'a long enough passphrase' },
    });
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
    const session = { authorization: `Bearer ${accepted.body.session.accessToken}` };
    const mine = await request(platform.baseUrl, 'GET', `/api/v1/tenants/${slug}/members/me`, { headers: session });
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    assert.equal(mine.body.role, 'owner');

    assert.deepEqual(
      (await auditOf(tenantId)).map((e) => [e.action, e.after.role]),
      [
        ['invitation.created', 'owner'],
        ['invitation.accepted', 'owner'],
      ],
    );
    const [created] = await auditOf(tenantId);
    assert.equal(created!.actor_id, platform.admin.userId);
  });
});
