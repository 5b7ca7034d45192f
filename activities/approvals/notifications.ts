// Mails of the approval primitive: to the approvers of a stage when a request opens or
// escalates, and to the requester when it is decided. Each (request, event, stage) is mailed
// once: the notification row is written in the transaction that sends the mail.
import type { ApprovalRequestRow } from '../../db/repositories/approvals.ts';
import { approverAddresses } from '../../db/repositories/approvals.ts';
import type { Mailer } from '../../integrations/mail/port.ts';
import { describeRequirement } from '../../workflows/approvals/policy.ts';
import type { TenantStepTransaction } from '../shared/kernel.ts';

export type ApprovalMailEvent = 'opened' | 'escalated' | 'decided';

export interface NotifyDeps {
  mailer: Mailer;
  publicUrl: string;
}

/** Sends the event's mails unless they went out already; returns the recipients (none when already sent). */
export async function notifyApproval(
  deps: NotifyDeps,
  tx: TenantStepTransaction,
  request: ApprovalRequestRow,
  event: ApprovalMailEvent,
): Promise<string[]> {
  const sent = await tx.db.query<unknown[]>(
    `SELECT 1 FROM approval_notifications WHERE request_id = $1 AND event = $2 AND stage = $3`,
    [request.id, event, request.stage],
  );
  if (sent.length > 0) return [];
  const rule = request.policy.rules.find((candidate) => candidate.name === request.rule);
  const stage = rule?.stages[request.stage];
  const queue = new URL('/approvals', deps.publicUrl).toString();
  let recipients: string[];
  let subject: string;
  let text: string[];
  if (event === 'decided') {
    const requester = request.requesterId
      ? await tx.db.query<Array<{ email: string }>>(`SELECT email FROM users WHERE id = $1`, [request.requesterId])
      : [];
    recipients = requester.map((row) => row.email);
    subject = `Approval ${request.status}: ${request.subject.label}`;
    text = [
      `Your request "${request.subject.label}" was ${request.status}.`,
      ...(request.reason ? [`Reason: ${request.reason}`] : []),
    ];
  } else {
    recipients = stage ? await approverAddresses(tx.db, request.tenantId, stage.approvers, request.requesterId) : [];
    subject = `${event === 'escalated' ? 'Escalated' : 'Approval needed'}: ${request.subject.label}`;
    text = [
      event === 'escalated'
        ? `Nobody decided on "${request.subject.label}" in time; it now waits for you (stage "${stage?.name}").`
        : `"${request.subject.label}" waits for approval (stage "${stage?.name}").`,
      ...(stage
        ? [`It needs ${describeRequirement(stage.approvers)}; it expires at ${request.expiresAt.toISOString()}.`]
        : []),
      `Decide in the approvals queue: ${queue}`,
    ];
  }
  for (const to of recipients)
    await deps.mailer.send({
      to,
      subject,
      text: [...text, '', '— Atrium'].join('\n'),
      messageId: `approval.${event}.${request.stage}.${Buffer.from(request.id).toString('base64url')}.${Buffer.from(to).toString('base64url')}@atrium`,
    });
  await tx.db.query(
    `INSERT INTO approval_notifications (tenant_id, request_id, event, stage, recipients) VALUES ($1, $2, $3, $4, $5)`,
    [request.tenantId, request.id, event, request.stage, recipients],
  );
  return recipients;
}
