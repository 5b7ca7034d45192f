// Mails to a tenant's owners when delivery pauses or disables one of its webhook endpoints:
// which endpoint, which event fails and since when, how many attempts, what the receiver last
// answered, and the portal page where an owner re-enables it.
//
// Sent once per notice: the mails go out after the status change committed, and a row in
// webhook_endpoint_notices (with its audit entry) records them; a retried activity that
// finds the row sends nothing. Only a crash between the mails and that row sends them again,
// with the same Message-ID, so mail systems can drop the copy.
import type { EntityManager } from 'typeorm';
import { listOwnerAddresses } from '../../db/repositories/memberships.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import type { WebhookEndpointNoticeKey } from '../../db/repositories/webhook-endpoint-notices.ts';
import { recordNoticeSent, wasNoticeSent } from '../../db/repositories/webhook-endpoint-notices.ts';
import { findWebhookEndpoint } from '../../db/repositories/webhook-endpoints.ts';
import { withTenantScope } from '../../db/scope.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { mailPeople } from '../shared/mail-people.ts';
import type { TenantStep } from '../shared/kernel.ts';

/** What a notice says beyond its key. */
export interface NoticeFacts {
  attempts: number;
  /** Paused: when it will be disabled unless re-enabled (ISO). */
  disableAt?: string | undefined;
  /** Disabled: how long it was left paused, and how many undelivered events were dropped. */
  disableAfterMs?: number | undefined;
  dropped?: number | undefined;
}

interface MailFacts {
  tenantName: string;
  slug: string;
  url: string;
  description: string;
  eventType: string;
  lastAnswer: string;
  link: string;
}

export function createOwnerNotices(deps: Pick<ActivityDeps, 'dataSource' | 'mailer' | 'publicUrl'>) {
  /** What the mail names, read in the tenant's scope; null when the endpoint is gone. */
  async function readFacts(db: EntityManager, key: WebhookEndpointNoticeKey): Promise<MailFacts | null> {
    const tenant = await findTenantById(db, key.tenantId);
    const endpoint = await findWebhookEndpoint(db, key.tenantId, key.endpointId);
    if (!tenant || !endpoint) return null;
    const [event] = await db.query<Array<{ type: string }>>(
      `SELECT type FROM event_outbox WHERE tenant_id = $1 AND event_id = $2`,
      [key.tenantId, key.eventId],
    );
    const [last] = await db.query<Array<{ status_code: number | null; error: string | null }>>(
      `SELECT status_code, error FROM webhook_deliveries
       WHERE tenant_id = $1 AND endpoint_id = $2 AND event_id = $3 ORDER BY attempt DESC LIMIT 1`,
      [key.tenantId, key.endpointId, key.eventId],
    );
    return {
      tenantName: tenant.name,
      slug: tenant.slug,
      url: endpoint.url,
      description: endpoint.description,
      eventType: event?.type ?? 'unknown type',
      lastAnswer: !last
        ? 'none recorded'
        : last.status_code !== null
          ? `HTTP status ${last.status_code}`
          : (last.error ?? 'no answer'),
      link: new URL(`/tenants/${tenant.slug}/webhooks/${key.endpointId}`, deps.publicUrl).toString(),
    };
  }

  /**
   * Mails every owner of the tenant about the notice, unless that was done already, and
   * records it. A retryable mail failure fails the activity (it is retried; the status change
   * stays); an owner's address the server refuses for good is recorded as refused.
   */
  return async function mailOwners(step: TenantStep, key: WebhookEndpointNoticeKey, facts: NoticeFacts): Promise<void> {
    const read = await withTenantScope(deps.dataSource, key.tenantId, async (db) => {
      if (await wasNoticeSent(db, key)) return null;
      const mail = await readFacts(db, key);
      return mail && { mail, owners: await listOwnerAddresses(db, key.tenantId) };
    });
    if (!read) return;
    const { subject, text } = composeNotice(key, facts, read.mail);
    const { recipients, refused } = await mailPeople(deps.mailer, read.owners, (owner) => ({
      to: owner.email,
      subject,
      text,
      messageId: `webhook-${key.notice}.${key.endpointId}.${Date.parse(key.failingSince)}.${owner.user_id}@atrium`,
    }));
    await step.locked(async (tx) => {
      // Deleted meanwhile: nothing to record against.
      if (!(await findWebhookEndpoint(tx.db, key.tenantId, key.endpointId, { lock: true }))) return;
      if (await recordNoticeSent(tx.db, key, { recipients, refused }))
        await tx.audit('webhook_endpoint.owners_mailed', 'webhook_endpoint', key.endpointId, {
          notice: key.notice,
          eventId: key.eventId,
          recipients,
          refused,
        });
    });
  };
}

/** The mail's subject and text. */
export function composeNotice(
  key: WebhookEndpointNoticeKey,
  facts: NoticeFacts,
  mail: MailFacts,
): { subject: string; text: string } {
  const endpoint = `${mail.url}${mail.description ? ` ("${mail.description}")` : ''}`;
  const failing = `Event ${key.eventId} (${mail.eventType}) has failed ${facts.attempts} delivery attempt${facts.attempts === 1 ? '' : 's'} since ${key.failingSince}. The last answer: ${mail.lastAnswer}.`;
  if (key.notice === 'paused')
    return {
      subject: `Webhook deliveries to ${mail.url} are paused`,
      text: [
        `Hello,`,
        ``,
        `Atrium paused the webhook endpoint ${endpoint} of ${mail.tenantName} (${mail.slug}).`,
        ``,
        failing,
        `The events after it are kept and wait, in order: nothing is lost while the endpoint is paused.`,
        ``,
        `Fix the receiver, then re-enable the endpoint here; delivery resumes with the same event:`,
        mail.link,
        ``,
        ...(facts.disableAt
          ? [
              `If it is still paused at ${facts.disableAt}, Atrium disables it and drops the events that wait for it.`,
              ``,
            ]
          : []),
        `— Atrium`,
      ].join('\n'),
    };
  const dropped = facts.dropped ?? 0;
  return {
    subject: `Webhook endpoint ${mail.url} was disabled`,
    text: [
      `Hello,`,
      ``,
      `Atrium disabled the webhook endpoint ${endpoint} of ${mail.tenantName} (${mail.slug}).`,
      ``,
      failing.replace('has failed', 'had failed'),
      `It was paused and not re-enabled within ${describeDuration(facts.disableAfterMs ?? 0)} of that first failure, so its ${dropped} undelivered event${dropped === 1 ? ' was' : 's were'} dropped (the failing one and those after it).`,
      ``,
      `Once the receiver works, re-enable the endpoint here; the events from then on are delivered:`,
      mail.link,
      ``,
      `— Atrium`,
    ].join('\n'),
  };
}

/** `5 days`, `3 hours`, `90 seconds`: the largest whole unit. */
export function describeDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
    ['second', 1_000],
  ];
  for (const [name, size] of units)
    if (ms >= size && ms % size === 0) {
      const count = ms / size;
      return `${count} ${name}${count === 1 ? '' : 's'}`;
    }
  return `${ms} ms`;
}
