// What delivery does to an endpoint that keeps failing: pause it (the events behind the
// failing one wait, in order, for a member to re-enable it), and disable it when it stays
// paused too long (the waiting events are dropped). Both are audited as the system and mail
// the tenant's owners (owner-notices.ts).
import type { WebhookEndpointNoticeKey } from '../../db/repositories/webhook-endpoint-notices.ts';
import { wasNoticeSent } from '../../db/repositories/webhook-endpoint-notices.ts';
import { findWebhookEndpoint, updateWebhookEndpoint } from '../../db/repositories/webhook-endpoints.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { tenantStep } from '../shared/kernel.ts';
import { createOwnerNotices, describeDuration } from './owner-notices.ts';

/** The failing head event, as the sequencer knows it. */
interface FailingEvent {
  tenantId: string;
  endpointId: string;
  eventId: string;
  /** When the event's first failing attempt of this round was made (ISO). */
  failingSince: string;
  attempts: number;
}

export interface PauseWebhookEndpointInput extends FailingEvent {
  /** When the sequencer disables the endpoint unless it is re-enabled (ISO); for the mail. */
  disableAt?: string;
}

export interface DisablePausedWebhookEndpointInput extends FailingEvent {
  /** How long after `failingSince` it stayed paused. */
  disableAfterMs: number;
  /** Undelivered events dropped: the failing one and those behind it. */
  dropped: number;
}

/** Why an endpoint is paused (the portal shows it). */
export function pausedReason(input: FailingEvent): string {
  return `paused by delivery: event ${input.eventId} failed ${input.attempts} times since ${input.failingSince}; the events after it wait. Re-enable the endpoint to resume.`;
}

/** Why an endpoint that stayed paused is disabled; also how a retry recognises its own doing. */
export function disabledAfterPauseReason(input: DisablePausedWebhookEndpointInput): string {
  return `disabled by delivery: event ${input.eventId} failed ${input.attempts} times since ${input.failingSince} and the endpoint was not re-enabled within ${describeDuration(input.disableAfterMs)}; ${input.dropped} undelivered event(s) dropped.`;
}

function noticeKey(input: FailingEvent, notice: WebhookEndpointNoticeKey['notice']): WebhookEndpointNoticeKey {
  return {
    tenantId: input.tenantId,
    endpointId: input.endpointId,
    notice,
    eventId: input.eventId,
    failingSince: input.failingSince,
  };
}

export function createEndpointHealthActivities(deps: Pick<ActivityDeps, 'dataSource' | 'mailer' | 'publicUrl'>) {
  const mailOwners = createOwnerNotices(deps);
  return {
    /**
     * Pauses an endpoint whose head event kept failing for the policy's window, then mails
     * the owners. Audited as the system.
     *
     * Retry-safe: a guarded transition (only an enabled endpoint is paused, and not again once
     * this round's mail is recorded); the mail is sent once (owner-notices.ts).
     */
    async pauseWebhookEndpoint(input: PauseWebhookEndpointInput): Promise<{ status: 'paused' | 'closed' }> {
      const key = noticeKey(input, 'paused');
      return tenantStep(deps, input, async (step) => {
        const status = await step.locked(async (tx) => {
          const current = await findWebhookEndpoint(tx.db, input.tenantId, input.endpointId, { lock: true });
          if (!current || current.status === 'disabled') return 'closed' as const;
          // This round's pause is done and mailed: a member may have re-enabled it since.
          if (await wasNoticeSent(tx.db, key)) return 'paused' as const;
          if (current.status === 'paused') return 'paused' as const;
          const row = await updateWebhookEndpoint(tx.db, input.tenantId, input.endpointId, {
            status: 'paused',
            disabled_reason: pausedReason(input),
          });
          await tx.auditChange(
            'webhook_endpoint.paused',
            'webhook_endpoint',
            input.endpointId,
            { status: current.status },
            { status: row.status, disabledReason: row.disabled_reason },
          );
          return 'paused' as const;
        });
        if (status === 'paused') await mailOwners(step, key, { attempts: input.attempts, disableAt: input.disableAt });
        return { status };
      });
    },

    /**
     * Disables an endpoint that stayed paused `disableAfterMs` after its head event's first
     * failure (the sequencer then drops its queue), and mails the owners. Audited as the
     * system. `enabled`: a member re-enabled it meanwhile, delivery goes on; `closed`: a
     * member disabled or deleted it.
     *
     * Retry-safe: only a paused endpoint is disabled; a retry recognises its own doing by the
     * reason (which names the round) and only finishes the mail, sent once.
     */
    async disablePausedWebhookEndpoint(
      input: DisablePausedWebhookEndpointInput,
    ): Promise<{ status: 'disabled' | 'enabled' | 'closed' }> {
      const reason = disabledAfterPauseReason(input);
      return tenantStep(deps, input, async (step) => {
        const status = await step.locked(async (tx): Promise<'disabled' | 'enabled' | 'closed'> => {
          const current = await findWebhookEndpoint(tx.db, input.tenantId, input.endpointId, { lock: true });
          if (!current) return 'closed';
          if (current.status === 'enabled') return 'enabled';
          if (current.status === 'disabled') return current.disabled_reason === reason ? 'disabled' : 'closed';
          const row = await updateWebhookEndpoint(tx.db, input.tenantId, input.endpointId, {
            status: 'disabled',
            disabled_reason: reason,
          });
          await tx.auditChange(
            'webhook_endpoint.disabled',
            'webhook_endpoint',
            input.endpointId,
            { status: current.status, disabledReason: current.disabled_reason },
            { status: row.status, disabledReason: row.disabled_reason },
          );
          return 'disabled';
        });
        if (status === 'disabled')
          await mailOwners(step, noticeKey(input, 'disabled'), {
            attempts: input.attempts,
            disableAfterMs: input.disableAfterMs,
            dropped: input.dropped,
          });
        return { status };
      });
    },
  };
}
