// An endpoint that keeps failing, through the whole platform: a loopback receiver (verifying
// with `standardwebhooks`) that answers 503, mail to a real SMTP capture. With a short policy
// (WEBHOOK_PAUSE_AFTER 2s, WEBHOOK_DISABLE_AFTER 20s, both measured from the failing event's
// first attempt) the endpoint is paused and its owners are mailed once — which endpoint,
// which event, since when, how many attempts, the link to re-enable it — and re-enabling it
// delivers the queue in order; left paused, it is disabled at the disable deadline, its queue
// dropped, its owners mailed again, each change audited by the system.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import type { EventType } from '../../contracts/events.ts';
import { WebhookEndpoint, WebhookEndpointWithSecret } from '../../contracts/webhooks.ts';
import { createDataSource } from '../../db/data-source.ts';
import { emitEvent } from '../../db/repositories/event-outbox.ts';
import { withTenantScope } from '../../db/scope.ts';
import { webhookEndpointWorkflowId } from '../../workflows/webhooks/contract.ts';
import { request, uniqueSlug, waitForOperation } from '../support/api-client.ts';
import { recordHistory } from '../support/histories.ts';
import type { Platform, TestUser } from '../support/platform.ts';
import { seedUser, startPlatform } from '../support/platform.ts';
import type { SmtpCapture } from '../support/smtp-capture.ts';
import { startSmtpCapture } from '../support/smtp-capture.ts';
import type { WebhookReceiver } from '../support/webhook-receiver.ts';
import { startWebhookReceiver, webhookIdOf } from '../support/webhook-receiver.ts';
import { waitFor } from '../support/wait-for.ts';

const PAUSE_AFTER_MS = 2_000;
const DISABLE_AFTER_MS = 20_000;
const PORTAL = 'https://portal.atrium.test';

describe('webhook endpoints that keep failing', () => {
  let platform: Platform;
  let smtp: SmtpCapture;
  let app: DataSource;
  const people: { owners: TestUser[]; admin?: TestUser } = { owners: [] };
  const tenant = { id: '', slug: '' };
  const receivers: WebhookReceiver[] = [];

  before(async () => {
    smtp = await startSmtpCapture();
    platform = await startPlatform({
      env: {
        SMTP_URL: smtp.url,
        PUBLIC_URL: PORTAL,
        OUTBOUND_ALLOW_LOOPBACK: 'true',
        WEBHOOK_ALLOW_INSECURE_URLS: 'true',
        WEBHOOK_DISPATCH_INTERVAL: '100ms',
        WEBHOOK_RETRY_INITIAL_INTERVAL: '200ms',
        WEBHOOK_RETRY_MAX_INTERVAL: '500ms',
        WEBHOOK_PAUSE_AFTER: `${PAUSE_AFTER_MS}ms`,
        WEBHOOK_DISABLE_AFTER: `${DISABLE_AFTER_MS}ms`,
        WEBHOOK_SEQUENCER_IDLE_TIMEOUT: '3s',
        WEBHOOK_REQUEST_TIMEOUT: '2s',
      },
    });
    tenant.slug = uniqueSlug('failing');
    const created = await request(platform.baseUrl, 'POST', '/api/v1/tenants', {
      headers: platform.admin.headers,
      json: { slug: tenant.slug, name: 'Failing Co', ownerEmail: `invited@${tenant.slug}.test` },
    });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    await waitForOperation(platform, created.body.operation.id);
    tenant.id = created.body.tenant.id;
    // Two owners (both mailed) and an admin (not mailed).
    for (const [email, role] of [
      [`ada@${tenant.slug}.test`, 'owner'],
      [`bob@${tenant.slug}.test`, 'owner'],
      [`cy@${tenant.slug}.test`, 'admin'],
    ] as const) {
      const user = await seedUser(platform.database, { email });
      await platform.database.query(`INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)`, [
        tenant.id,
        user.userId,
        role,
      ]);
      if (role === 'owner') people.owners.push(user);
      else people.admin = user;
    }
    app = createDataSource({ url: platform.database.url, applicationName: 'atrium-test-failing', poolSize: 2 });
    await app.initialize();
  });
  after(async () => {
    await app?.destroy();
    await platform?.stop();
    await Promise.all(receivers.map((receiver) => receiver.stop()));
    await smtp?.stop();
  });

  const hooks = () => `/api/v1/tenants/${tenant.slug}/webhooks`;
  const asOwner = (method: string, path: string, json?: unknown) =>
    request(platform.baseUrl, method, path, {
      headers: people.owners[0]!.headers,
      ...(json === undefined ? {} : { json }),
    });

  async function endpointWithReceiver(eventTypes: EventType[]) {
    const receiver = await startWebhookReceiver();
    receivers.push(receiver);
    const created = await asOwner('POST', hooks(), { url: receiver.url, description: 'orders sync', eventTypes });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { endpoint, secret } = WebhookEndpointWithSecret.parse(created.body);
    receiver.secrets = [secret];
    return { receiver, endpoint };
  }

  async function emit(): Promise<string> {
    const emitted = await withTenantScope(app, tenant.id, (db) =>
      emitEvent(db, tenant.id, 'member.removed', { userId: people.owners[0]!.userId, role: 'viewer' }),
    );
    return emitted.eventId;
  }

  const view = async (endpointId: string) =>
    WebhookEndpoint.parse((await asOwner('GET', `${hooks()}/${endpointId}`)).body);
  const ownerAddresses = () => people.owners.map((owner) => owner.email).sort();
  const mailsAbout = (endpointId: string, kind: 'paused' | 'disabled') =>
    smtp.mails.filter(
      (mail) =>
        mail.text.includes(`/webhooks/${endpointId}`) &&
        mail.subject.includes(kind === 'paused' ? 'paused' : 'disabled'),
    );
  const auditOf = (endpointId: string) =>
    platform.database.query<{ action: string; actor_type: string; after: Record<string, unknown> | null; at: Date }>(
      `SELECT action, actor_type, after, occurred_at AS at FROM audit_log
       WHERE target_id = $1 AND action <> 'webhook_endpoint.created' ORDER BY id`,
      [endpointId],
    );

  it('pauses the endpoint and mails its owners once, saying what fails since when and where to re-enable it', async () => {
    const { receiver, endpoint } = await endpointWithReceiver(['member.removed']);
    receiver.always(503);
    const emitted = [await emit(), await emit()];
    const paused = await waitFor('the pause', async () => {
      const current = await view(endpoint.id);
      return current.status === 'paused' ? current : undefined;
    });
    const [, attempts, since] = /failed (\d+) times since (\S+);/.exec(paused.disabledReason!) ?? [];
    assert.ok(attempts && since, paused.disabledReason!);

    const mails = await waitFor('a mail to each owner', () => {
      const found = mailsAbout(endpoint.id, 'paused');
      return found.length >= 2 ? found : undefined;
    });
    assert.deepEqual(mails.flatMap((mail) => mail.to).sort(), ownerAddresses(), 'each owner, nobody else');
    const [mail] = mails;
    assert.equal(mail!.subject, `Webhook deliveries to ${endpoint.url} are paused`);
    for (const part of [
      `webhook endpoint ${endpoint.url} ("orders sync") of Failing Co (${tenant.slug})`,
      `Event ${emitted[0]} (member.removed) has failed ${attempts} delivery attempts since ${since}.`,
      'The last answer: HTTP status 503.',
      'nothing is lost while the endpoint is paused',
      `${PORTAL}/tenants/${tenant.slug}/webhooks/${endpoint.id}`,
      `If it is still paused at ${new Date(Date.parse(since) + DISABLE_AFTER_MS).toISOString()}`,
    ])
      assert.ok(mail!.text.includes(part), `the mail says "${part}":\n${mail!.text}`);
    assert.match(mail!.messageId ?? '', new RegExp(`^<webhook-paused\\.${endpoint.id}\\.`));

    // Audited by the system: the pause, then the mails (with their recipients).
    const audit = await waitFor('the mail recorded', async () => {
      const rows = await auditOf(endpoint.id);
      return rows.length >= 2 ? rows : undefined;
    });
    assert.deepEqual(
      audit.map((row) => [row.action, row.actor_type]),
      [
        ['webhook_endpoint.paused', 'system'],
        ['webhook_endpoint.owners_mailed', 'system'],
      ],
    );
    assert.deepEqual(audit[1]!.after, {
      notice: 'paused',
      eventId: emitted[0],
      recipients: ownerAddresses(),
      refused: [],
    });

    // Re-enabled by an owner: the queue goes out in order, and no second mail came meanwhile.
    receiver.always(null);
    const enabled = await asOwner('PATCH', `${hooks()}/${endpoint.id}`, { enabled: true });
    assert.equal(enabled.status, 200, JSON.stringify(enabled.body));
    await waitFor('the queue delivered', () =>
      emitted.every((id) => receiver.requests.some((r) => webhookIdOf(r) === id && r.status === 200))
        ? true
        : undefined,
    );
    assert.deepEqual(receiver.requests.filter((r) => r.status === 200).map(webhookIdOf), emitted);
    assert.ok(receiver.requests.every((r) => r.verifiedWith === 0));
    assert.equal(mailsAbout(endpoint.id, 'paused').length, 2, 'one mail per owner');
    assert.equal(mailsAbout(endpoint.id, 'disabled').length, 0);
  });

  it('disables an endpoint left paused past WEBHOOK_DISABLE_AFTER, drops its queue and mails its owners again', async () => {
    const { receiver, endpoint } = await endpointWithReceiver(['member.removed']);
    receiver.always(503);
    const emitted = [await emit(), await emit()];
    const disabled = await waitFor(
      'the endpoint disabled',
      async () => {
        const current = await view(endpoint.id);
        return current.status === 'disabled' ? current : undefined;
      },
      90_000,
    );
    assert.match(
      disabled.disabledReason!,
      new RegExp(
        `^disabled by delivery: event ${emitted[0]} failed \\d+ times since \\S+ and the endpoint was not re-enabled within 20 seconds; 2 undelivered event\\(s\\) dropped\\.$`,
      ),
    );

    // The sequencer ended, dropping the failing event and the one behind it.
    const workflowId = webhookEndpointWorkflowId(tenant.slug, endpoint.id);
    const result = await platform.temporal.workflow.getHandle(workflowId).result();
    assert.deepEqual(result, { endpointId: endpoint.id, end: 'disabled-by-delivery', delivered: 0, dropped: 2 });
    await recordHistory(platform.temporal, workflowId, 'deliver-webhook-events-disabled-after-pause');

    const audit = await waitFor('both mails recorded', async () => {
      const rows = await auditOf(endpoint.id);
      return rows.length >= 4 ? rows : undefined;
    });
    assert.deepEqual(
      audit.map((row) => [row.action, row.actor_type, row.after?.['status'] ?? row.after?.['notice']]),
      [
        ['webhook_endpoint.paused', 'system', 'paused'],
        ['webhook_endpoint.owners_mailed', 'system', 'paused'],
        ['webhook_endpoint.disabled', 'system', 'disabled'],
        ['webhook_endpoint.owners_mailed', 'system', 'disabled'],
      ],
    );
    // Disabled at the deadline, measured from the first failure: not before it.
    const [first] = await platform.database.query<{ attempted_at: Date }>(
      `SELECT attempted_at FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY id LIMIT 1`,
      [endpoint.id],
    );
    const disabledAt = audit[2]!.at.getTime();
    assert.ok(disabledAt - first!.attempted_at.getTime() >= DISABLE_AFTER_MS - 1_000, 'not before the deadline');

    const mails = mailsAbout(endpoint.id, 'disabled');
    assert.deepEqual(mails.flatMap((mail) => mail.to).sort(), ownerAddresses());
    const [mail] = mails;
    assert.equal(mail!.subject, `Webhook endpoint ${endpoint.url} was disabled`);
    for (const part of [
      `Event ${emitted[0]} (member.removed) had failed`,
      'not re-enabled within 20 seconds of that first failure, so its 2 undelivered events were dropped (the failing one and those after it).',
      `${PORTAL}/tenants/${tenant.slug}/webhooks/${endpoint.id}`,
    ])
      assert.ok(mail!.text.includes(part), `the mail says "${part}":\n${mail!.text}`);
    assert.equal(mailsAbout(endpoint.id, 'paused').length, 2, 'the pause was mailed once per owner');
    assert.equal(
      smtp.mails.filter((m) => m.to.includes(people.admin!.email)).length,
      0,
      'an admin who is no owner gets nothing',
    );
    const notices = await platform.database.query<{ notice: string; recipients: string[] }>(
      `SELECT notice, recipients FROM webhook_endpoint_notices WHERE endpoint_id = $1 ORDER BY sent_at`,
      [endpoint.id],
    );
    assert.deepEqual(notices, [
      { notice: 'paused', recipients: ownerAddresses() },
      { notice: 'disabled', recipients: ownerAddresses() },
    ]);

    // Nothing more is delivered: the dropped event never went out, later ones are not queued.
    receiver.always(null);
    const sent = receiver.requests.length;
    await emit();
    await sleep(1_500);
    assert.equal(receiver.requests.length, sent);
    assert.ok(receiver.requests.every((r) => webhookIdOf(r) === emitted[0] && r.verifiedWith === 0));
  });
});
