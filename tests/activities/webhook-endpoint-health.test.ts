// The webhooks family's endpoint-health activities, called directly: pausing an endpoint
// whose event keeps failing and disabling one left paused, each run twice — the second run
// changes nothing, audits nothing and mails nobody again (the owners' mails go out once) —
// with the bystander untouched. Mail goes to a real SMTP capture.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import webhooks from '../../activities/webhooks/index.ts';
import { emitEvent } from '../../db/repositories/event-outbox.ts';
import { withTenantScope } from '../../db/scope.ts';
import { MailDeliveryError } from '../../integrations/mail/port.ts';
import type { ActivityHarness, TestTenant } from '../support/activity-harness.ts';
import { startActivityHarness } from '../support/activity-harness.ts';

describe('webhooks endpoint-health activities', () => {
  let h: ActivityHarness;
  let a: ReturnType<typeof webhooks.createActivities>;
  let t: TestTenant;
  let eventId: string;
  const failingSince = '2026-01-05T10:00:00.000Z';

  before(async () => {
    h = await startActivityHarness({ slugPrefix: 'act-hooks' });
    a = webhooks.createActivities(h.deps);
    t = h.newTenant();
    await h.provision(t);
    // The owner's account (provisioning only invited the address): the one mailed.
    const [owner] = await h.database.query<{ id: string }>(
      `INSERT INTO users (email, display_name, email_verified_at) VALUES ($1, 'Owner', now()) RETURNING id`,
      [t.ownerEmail],
    );
    await h.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      t.tenantId,
      owner!.id,
    ]);
    eventId = (
      await withTenantScope(h.dataSource, t.tenantId, (db) =>
        emitEvent(db, t.tenantId, 'member.removed', { userId: owner!.id, role: 'viewer' }),
      )
    ).eventId;
  });
  after(async () => {
    await h?.stop();
  });

  /** An endpoint of the tenant whose first attempt at the event got a 503. */
  async function failingEndpoint(): Promise<string> {
    const id = randomUUID();
    await h.database.query(
      `INSERT INTO webhook_endpoints (id, tenant_id, url, description, event_types, secret_path, secret_version)
       VALUES ($1, $2, 'https://hooks.example.test/in', 'orders', '{member.removed}', $3, 1)`,
      [id, t.tenantId, `tenants/${t.slug}/webhooks/${id}`],
    );
    await h.database.query(
      `INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, event_type, attempt, outcome, status_code, duration_ms, url)
       VALUES ($1, $2, $3, 'member.removed', 1, 'retry', 503, 12, 'https://hooks.example.test/in')`,
      [t.tenantId, id, eventId],
    );
    return id;
  }
  const mailsAbout = (endpointId: string) =>
    h.smtp.mailsTo(t.ownerEmail).filter((mail) => mail.text.includes(`/webhooks/${endpointId}`));

  it('pause: paused with the reason, the owner mailed once', async () => {
    const endpointId = await failingEndpoint();
    const input = {
      tenantId: t.tenantId,
      endpointId,
      eventId,
      failingSince,
      attempts: 7,
      disableAt: '2026-01-10T10:00:00.000Z',
    };
    const run = await h.twice(a, 'pauseWebhookEndpoint', input, { tenant: t });
    assert.deepEqual(run.result, { status: 'paused' });
    assert.deepEqual(run.audit, ['webhook_endpoint.paused', 'webhook_endpoint.owners_mailed']);
    const row = run.after.webhook_endpoints.find((e: { id: string }) => e.id === endpointId);
    assert.equal(row.status, 'paused');
    assert.match(row.disabled_reason, new RegExp(`event ${eventId} failed 7 times since ${failingSince}`));
    const [mail, ...more] = mailsAbout(endpointId);
    assert.equal(more.length, 0, 'one mail');
    assert.equal(mail!.subject, 'Webhook deliveries to https://hooks.example.test/in are paused');
    for (const part of [
      `Event ${eventId} (member.removed) has failed 7 delivery attempts since ${failingSince}.`,
      'The last answer: HTTP status 503.',
      `http://portal.atrium.test/tenants/${t.slug}/webhooks/${endpointId}`,
      'If it is still paused at 2026-01-10T10:00:00.000Z',
    ])
      assert.ok(mail!.text.includes(part), `"${part}" in:\n${mail!.text}`);
  });

  it('pause: a mail server away for a moment fails the attempt after the pause committed; the retry mails once', async () => {
    const endpointId = await failingEndpoint();
    let refusals = 1;
    const flaky = webhooks.createActivities({
      ...h.deps,
      mailer: {
        ...h.deps.mailer,
        send: (message) =>
          refusals-- > 0
            ? Promise.reject(new MailDeliveryError('421 try again later', { retryable: true }))
            : h.deps.mailer.send(message),
      },
    });
    const input = { tenantId: t.tenantId, endpointId, eventId, failingSince, attempts: 4 };
    const error = await h.failure(flaky, 'pauseWebhookEndpoint', input);
    assert.match(String(error), /421 try again later/);
    const [paused] = await h.database.query<{ status: string }>(`SELECT status FROM webhook_endpoints WHERE id = $1`, [
      endpointId,
    ]);
    assert.equal(paused!.status, 'paused', 'the pause stays');
    assert.equal(mailsAbout(endpointId).length, 0);
    // Temporal retries the activity: the pause is not repeated, the mail goes out once.
    const retried = await h.twice(flaky, 'pauseWebhookEndpoint', input, { tenant: t });
    assert.deepEqual(retried.audit, ['webhook_endpoint.owners_mailed']);
    assert.equal(mailsAbout(endpointId).length, 1);
  });

  it('disable: a paused endpoint disabled, the owner mailed once; a re-enabled one left alone', async () => {
    const endpointId = await failingEndpoint();
    const failing = { tenantId: t.tenantId, endpointId, eventId, failingSince, attempts: 7 };
    await h.run(a, 'pauseWebhookEndpoint', failing);
    const input = { ...failing, disableAfterMs: 5 * 86_400_000, dropped: 3 };
    const run = await h.twice(a, 'disablePausedWebhookEndpoint', input, { tenant: t });
    assert.deepEqual(run.result, { status: 'disabled' });
    assert.deepEqual(run.audit, ['webhook_endpoint.disabled', 'webhook_endpoint.owners_mailed']);
    const row = run.after.webhook_endpoints.find((e: { id: string }) => e.id === endpointId);
    assert.equal(row.status, 'disabled');
    assert.match(row.disabled_reason, /not re-enabled within 5 days; 3 undelivered event\(s\) dropped/);
    const disabledMails = mailsAbout(endpointId).filter((mail) => mail.subject.endsWith('was disabled'));
    assert.equal(disabledMails.length, 1);
    assert.ok(
      disabledMails[0]!.text.includes('so its 3 undelivered events were dropped (the failing one and those after it)'),
    );

    // A member re-enabled the endpoint before the deadline (its resume signal was lost): left enabled.
    const other = await failingEndpoint();
    await h.run(a, 'pauseWebhookEndpoint', { ...failing, endpointId: other });
    await h.database.query(`UPDATE webhook_endpoints SET status = 'enabled', disabled_reason = NULL WHERE id = $1`, [
      other,
    ]);
    const left = await h.twice(a, 'disablePausedWebhookEndpoint', { ...input, endpointId: other }, { tenant: t });
    assert.deepEqual(left.result, { status: 'enabled' });
    assert.deepEqual(left.audit, []);
    // A member disabled it meanwhile: closed, not taken over.
    await h.database.query(
      `UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = 'disabled by a member' WHERE id = $1`,
      [other],
    );
    const closed = await h.run(a, 'disablePausedWebhookEndpoint', { ...input, endpointId: other });
    assert.deepEqual(closed.result, { status: 'closed' });
    assert.equal(mailsAbout(other).filter((mail) => mail.subject.endsWith('was disabled')).length, 0);
  });
});
