// Events through the whole platform: each existing flow that changes a tenant emits its
// event into the outbox (contracts/events.ts) in the change's transaction, with a payload
// that parses with the event's schema; a change that rolls back emits nothing; a tenant's
// events commit in id order; and row-level security keeps one tenant from reading or
// writing another's outbox.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../db/data-source.ts';
import { emitEvent } from '../../db/repositories/event-outbox.ts';
import { withTenantScope } from '../../db/scope.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import type { OutboxEvent } from '../support/events.ts';
import { parseOutboxRows } from '../support/events.ts';
import type { OidcTestProvider } from '../support/oidc-provider.ts';
import { startOidcProvider } from '../support/oidc-provider.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { signUp } from '../support/signup.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';

const PUBLIC_URL = 'http://portal.test';

describe('events: every flow emits into the outbox, in its own transaction', () => {
  let platform: Platform;
  let smtp: SmtpCapture;
  let idp: OidcTestProvider;
  let app: DataSource;
  const tenants: Record<'a' | 'b', { id: string; slug: string }> = {} as never;
  let owner: TestUser;

  before(async () => {
    smtp = await startSmtpCapture();
    idp = await startOidcProvider({ redirectUris: [`${PUBLIC_URL}/sso/callback`] });
    platform = await startPlatform({
      env: { SMTP_URL: smtp.url, PUBLIC_URL, SSO_ALLOW_INSECURE_ISSUERS: 'true', OUTBOUND_ALLOW_LOOPBACK: 'true' },
    });
    for (const key of ['a', 'b'] as const) {
      const slug = uniqueSlug(`events-${key}`);
      const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
        headers: platform.admin.headers,
        json: { slug, name: `Events ${key}`, ownerEmail: `owner@${slug}.test` },
      });
      assert.equal(created.status, 202, JSON.stringify(created.body));
      await waitForOperation(platform, created.body.operation.id);
      tenants[key] = { id: created.body.tenant.id, slug };
    }
    owner = await seedUser(platform.database, { email: 'owner@events.test' });
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      tenants.a.id,
      owner.userId,
    ]);
    // The application's runtime role (row-level security on), as the API and worker connect.
    app = createDataSource({ url: platform.database.url, applicationName: 'atrium-test-events', poolSize: 2 });
    await app.initialize();
  });
  after(async () => {
    await app?.destroy();
    await platform?.stop();
    await idp?.stop();
    await smtp?.stop();
  });

  const as = (who: TestUser, method: string, path: string, json?: unknown) =>
    request(platform.baseUrl, method, path, { headers: who.headers, ...(json === undefined ? {} : { json }) });

  /** Every event of the tenant, oldest first, each payload parsed with its schema. */
  const outbox = async (tenantId: string): Promise<OutboxEvent[]> =>
    parseOutboxRows(await platform.database.query(`SELECT * FROM event_outbox WHERE tenant_id = $1`, [tenantId]));

  /** Runs `change`, then returns the events it added to the tenant's outbox. */
  async function emitted(tenantId: string, change: () => Promise<void>): Promise<OutboxEvent[]> {
    const before = (await outbox(tenantId)).map((e) => e.id);
    await change();
    return (await outbox(tenantId)).filter((e) => !before.includes(e.id));
  }

  const summary = (events: OutboxEvent[]) => events.map((e) => [e.type, e.payload]);

  it('provisioning emits nothing (no event is promised for it)', async () => {
    assert.deepEqual(await outbox(tenants.a.id), []);
  });

  it('members: role changed, removed', async () => {
    const member = await seedUser(platform.database, { email: 'member@events.test' });
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'viewer')`, [
      tenants.a.id,
      member.userId,
    ]);
    const members = `/api/v1/tenants/${tenants.a.slug}/members/${member.userId}`;
    const changed = await emitted(tenants.a.id, async () => {
      assert.equal((await as(owner, 'PATCH', members, { role: 'developer' })).status, 204);
    });
    assert.deepEqual(summary(changed), [
      ['member.role_changed', { userId: member.userId, from: 'viewer', to: 'developer' }],
    ]);
    const unchanged = await emitted(tenants.a.id, async () => {
      assert.equal((await as(owner, 'PATCH', members, { role: 'developer' })).status, 204);
    });
    assert.deepEqual(unchanged, [], 'no change, no event');
    const removed = await emitted(tenants.a.id, async () => {
      assert.equal((await as(owner, 'DELETE', members)).status, 204);
    });
    assert.deepEqual(summary(removed), [['member.removed', { userId: member.userId, role: 'developer' }]]);
  });

  it('members: a refused change (the last owner) emits nothing', async () => {
    const solo = await seedUser(platform.database, { email: 'solo@events.test' });
    await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      tenants.b.id,
      solo.userId,
    ]);
    // tenant b's only owner member is `solo` (its ownerEmail never signed up).
    const none = await emitted(tenants.b.id, async () => {
      const refused = await as(solo, 'PATCH', `/api/v1/tenants/${tenants.b.slug}/members/${solo.userId}`, {
        role: 'viewer',
      });
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
    });
    assert.deepEqual(none, []);
  });

  it('API keys: created, revoked (never the key)', async () => {
    let keyId = '';
    let key = '';
    const created = await emitted(tenants.a.id, async () => {
      const answer = await as(owner, 'POST', `/api/v1/tenants/${tenants.a.slug}/api-keys`, {
        name: 'ci',
        role: 'developer',
      });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      keyId = answer.body.apiKey.id;
      key = answer.body.key;
    });
    const prefix = created[0]?.payload.prefix as string;
    assert.deepEqual(summary(created), [
      ['api_key.created', { apiKeyId: keyId, name: 'ci', prefix, role: 'developer', expiresAt: null }],
    ]);
    assert.ok(!JSON.stringify(created).includes(key), 'the key itself is not in the event');
    const revoked = await emitted(tenants.a.id, async () => {
      assert.equal((await as(owner, 'DELETE', `/api/v1/tenants/${tenants.a.slug}/api-keys/${keyId}`)).status, 204);
    });
    assert.deepEqual(summary(revoked), [
      ['api_key.revoked', { apiKeyId: keyId, name: 'ci', prefix, role: 'developer' }],
    ]);
  });

  it('invitations: accepted, and the member joined', async () => {
    const email = 'invitee@events.test';
    const invited = await as(owner, 'POST', `/api/v1/tenants/${tenants.a.slug}/invitations`, { email, role: 'viewer' });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const mail = await smtp.waitForMail((m) => m.to.includes(email));
    const token = /http:\/\/portal\.test\/invitations\/([\w-]{43})/.exec(mail.text)![1]!;
    let userId = '';
    const events = await emitted(tenants.a.id, async () => {
      const accepted = await request(platform.baseUrl, 'POST', `/api/v1/invitations/${token}/accept`, {
        json: { displayName: 'Invitee', password: 'a-long-enough-password' },
      });
      assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
      userId = (await platform.database.query<{ id: string }>(`SELECT id FROM users WHERE email = $1`, [email]))[0]!.id;
    });
    assert.deepEqual(summary(events), [
      ['invitation.accepted', { invitationId: invited.body.id, userId, email, role: 'viewer', newAccount: true }],
      ['member.joined', { userId, email, role: 'viewer', via: 'invitation' }],
    ]);
  });

  it('signup: the owner joined the new tenant', async () => {
    const slug = uniqueSlug('events-signup');
    const email = `sam@${slug}.test`;
    // Through the mailed link, as a person signs up: the account and tenant exist from then.
    const answer = await signUp(platform.baseUrl, smtp, {
      email,
      password: 'a-long-enough-password',
      displayName: 'Sam',
      organization: { name: 'Sam Co', slug },
      plan: 'team',
    });
    const userId = (await platform.database.query<{ id: string }>(`SELECT id FROM users WHERE email = $1`, [email]))[0]!
      .id;
    assert.deepEqual(summary(await outbox(answer.tenant.id)), [
      ['member.joined', { userId, email, role: 'owner', via: 'signup' }],
    ]);
  });

  it('single sign-on: configured, updated, removed (never the secret)', async () => {
    // Single sign-on is the enterprise plan's (the `sso` feature).
    await platform.database.query(`UPDATE tenants SET plan = 'enterprise' WHERE id = $1`, [tenants.a.id]);
    const sso = `/api/v1/tenants/${tenants.a.slug}/sso`;
    const connection = { issuer: idp.issuer, clientId: idp.clientId, defaultRole: 'viewer' };
    const configured = await emitted(tenants.a.id, async () => {
      const answer = await as(platform.admin, 'PUT', sso, { ...connection, clientSecret: idp.clientSecret });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
    });
    const expected = {
      issuer: idp.issuer,
      clientId: idp.clientId,
      enabled: true,
      ssoRequired: false,
      defaultRole: 'viewer',
    };
    assert.deepEqual(summary(configured), [['sso.connection_changed', { change: 'configured', ...expected }]]);
    assert.ok(!JSON.stringify(configured).includes(idp.clientSecret), 'the secret is not in the event');
    const updated = await emitted(tenants.a.id, async () => {
      const answer = await as(platform.admin, 'PUT', sso, { ...connection, defaultRole: 'developer' });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    });
    assert.deepEqual(summary(updated), [
      ['sso.connection_changed', { change: 'updated', ...expected, defaultRole: 'developer' }],
    ]);
    const removed = await emitted(tenants.a.id, async () => {
      assert.equal((await as(platform.admin, 'DELETE', sso)).status, 204);
    });
    assert.deepEqual(summary(removed), [
      ['sso.connection_changed', { change: 'removed', ...expected, defaultRole: 'developer' }],
    ]);
  });

  it('tenant lifecycle: suspended, reactivated, offboarding started, offboarded', async () => {
    const tenant = `/api/v1/tenants/${tenants.b.slug}`;
    const { id: tenantId, slug } = tenants.b;
    const run = async (path: string, json: unknown) => {
      const answer = await as(platform.admin, 'POST', `${tenant}/${path}`, json);
      assert.equal(answer.status, 202, JSON.stringify(answer.body));
      await waitForOperation(platform, answer.body.operation.id);
    };
    const suspended = await emitted(tenantId, () => run('suspend', { reason: 'unpaid' }));
    assert.deepEqual(summary(suspended), [['tenant.suspended', { tenantId, slug, reason: 'unpaid', suspension: 1 }]]);
    const reactivated = await emitted(tenantId, () => run('reactivate', {}));
    assert.deepEqual(summary(reactivated), [['tenant.reactivated', { tenantId, slug, suspension: 1 }]]);
    const offboarded = await emitted(tenantId, () => run('offboard', { reason: 'contract ended', gracePeriod: '1s' }));
    assert.deepEqual(summary(offboarded), [
      ['tenant.offboarding_started', { tenantId, slug, reason: 'contract ended', previousStatus: 'active' }],
      ['tenant.offboarded', { tenantId, slug }],
    ]);
  });

  it('a change that rolls back emits nothing; a payload the schema refuses rolls the change back', async () => {
    const { id: tenantId } = tenants.a;
    const before = await outbox(tenantId);
    await assert.rejects(
      withTenantScope(app, tenantId, async (db) => {
        await emitEvent(db, tenantId, 'member.removed', { userId: owner.userId, role: 'owner' });
        throw new Error('the change failed after emitting');
      }),
      /the change failed after emitting/,
    );
    assert.deepEqual(await outbox(tenantId), before, 'the event went with the rolled-back transaction');

    await assert.rejects(
      withTenantScope(app, tenantId, async (db) => {
        await db.query(`UPDATE memberships SET role = 'viewer' WHERE tenant_id = $1 AND user_id = $2`, [
          tenantId,
          owner.userId,
        ]);
        // @ts-expect-error: not a role; the catalogue's schema refuses it at run time too.
        await emitEvent(db, tenantId, 'member.role_changed', { userId: owner.userId, from: 'owner', to: 'emperor' });
      }),
      /Invalid option/,
    );
    const [membership] = await platform.database.query<{ role: string }>(
      `SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2`,
      [tenantId, owner.userId],
    );
    assert.equal(membership!.role, 'owner', 'the change was rolled back with the refused event');
    assert.deepEqual(await outbox(tenantId), before);
  });

  it("commits a tenant's events in id order, even when transactions overlap", async () => {
    const { id: tenantId } = tenants.a;
    const before = (await outbox(tenantId)).length;
    // The first transaction emits, then waits before committing; the second emits meanwhile.
    // It must wait for the first (the tenant's lock), so its id is larger and it commits later.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let firstEmitted!: () => void;
    const emittedFirst = new Promise<void>((resolve) => (firstEmitted = resolve));
    const commits: string[] = [];
    const first = withTenantScope(app, tenantId, async (db) => {
      const event = await emitEvent(db, tenantId, 'member.removed', { userId: owner.userId, role: 'viewer' });
      firstEmitted();
      await held;
      return event;
    }).then((event) => (commits.push(event.sequence), event));
    await emittedFirst;
    const second = withTenantScope(app, tenantId, (db) =>
      emitEvent(db, tenantId, 'member.removed', { userId: owner.userId, role: 'developer' }),
    ).then((event) => (commits.push(event.sequence), event));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(commits, [], 'the second waits for the first');
    release();
    const [a, b] = await Promise.all([first, second]);
    assert.ok(BigInt(a.sequence) < BigInt(b.sequence));
    assert.deepEqual(commits, [a.sequence, b.sequence]);
    assert.equal((await outbox(tenantId)).length, before + 2);
  });

  it("keeps one tenant from reading or writing another's outbox (row-level security)", async () => {
    const count = (tenantId: string, scope: string) =>
      withTenantScope(app, scope, async (db) =>
        Number((await db.query(`SELECT count(*) AS n FROM event_outbox WHERE tenant_id = $1`, [tenantId]))[0].n),
      );
    assert.ok((await count(tenants.a.id, tenants.a.id)) > 0, 'a sees its own events');
    assert.ok((await outbox(tenants.b.id)).length > 0, 'b has events');
    assert.equal(await count(tenants.b.id, tenants.a.id), 0, "a sees none of b's");
    await assert.rejects(
      withTenantScope(app, tenants.a.id, (db) =>
        emitEvent(db, tenants.b.id, 'member.removed', { userId: owner.userId, role: 'viewer' }),
      ),
      /row-level security/,
      "a cannot emit b's events",
    );
    await assert.rejects(
      withTenantScope(app, tenants.a.id, (db) => db.query(`DELETE FROM event_outbox`)),
      /permission denied/,
      'nobody deletes events',
    );
  });
});
