// The provisioning step `welcome`: a mail to the owner, sent once. It also settles the
// owner (owner.ts): the verified account of the address becomes the owner if the record step
// could not make it one (the account was verified since); an address without such an account
// is invited as owner, and the welcome mail carries the invitation's link.
import { lockTenantResources, updateTenantResources } from '../../db/repositories/tenant-resources.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantActivityInput } from '../shared/kernel.ts';
import { lockedTenantStep } from '../shared/kernel.ts';
import { addOwnerIfAccountExists, inviteOwner } from './owner.ts';

type StepInput = TenantActivityInput & { slug: string };

export function createWelcomeMailActivities(
  deps: Pick<ActivityDeps, 'dataSource' | 'mailer' | 'publicUrl' | 'invitationTtlMs'>,
) {
  const { mailer } = deps;
  return {
    /**
     * Mails the owner a welcome (with an owner invitation when the address has no verified
     * account). Retry-safe: the sent mail is recorded (with its audit entry), and the
     * invitation made, in the transaction that holds the tenant lock, and a recorded mail is
     * not sent again. Only a crash between handing the mail over and committing sends it
     * twice: without an invitation the stable Message-ID lets mail systems drop the copy;
     * with one, the retry's invitation is new (the first mail's link was rolled back), and so
     * is the Message-ID, so the working link is the one that arrives last.
     */
    async sendWelcomeMail(input: StepInput & { name: string; ownerEmail: string }): Promise<{ sent: boolean }> {
      return lockedTenantStep(deps, input, async (tx) => {
        const resources = await lockTenantResources(tx.db, input.tenantId);
        if (resources.welcomeSentAt) return { sent: false };
        const owner = await addOwnerIfAccountExists(tx, input.tenantId, input.ownerEmail);
        const invitation =
          owner.kind === 'no-account'
            ? await inviteOwner(tx, {
                tenantId: input.tenantId,
                ownerEmail: input.ownerEmail,
                invitedBy: input.actor?.type === 'user' ? input.actor.id : null,
                ttlMs: deps.invitationTtlMs,
              })
            : null;
        const portal = new URL(`/tenants/${input.slug}`, deps.publicUrl).toString();
        const { messageId } = await mailer.send({
          to: input.ownerEmail,
          subject: `Welcome to Atrium: ${input.name} is ready`,
          text: [
            `Hello,`,
            ``,
            `Your organization "${input.name}" (${input.slug}) is set up on Atrium.`,
            ...(invitation
              ? [
                  `You are invited to be its owner. To accept (and make your account, if you have none), open:`,
                  new URL(`/invitations/${invitation.token}`, deps.publicUrl).toString(),
                  `The link works once and expires in ${Math.max(1, Math.round(deps.invitationTtlMs / 86_400_000))} day(s).`,
                  ``,
                  `Once you have accepted, the organization is here: ${portal}`,
                ]
              : [`Open it here: ${portal}`]),
            ``,
            `— Atrium`,
          ].join('\n'),
          messageId: invitation
            ? `welcome.${input.tenantId}.${invitation.invitationId}@atrium`
            : `welcome.${input.tenantId}@atrium`,
        });
        await updateTenantResources(tx.db, input.tenantId, { welcomeSentAt: new Date() });
        await tx.audit('tenant.welcome_mail_sent', 'mail', messageId, {
          to: input.ownerEmail,
          ...(invitation ? { ownerInvitation: invitation.invitationId } : {}),
        });
        return { sent: true };
      });
    },
  };
}
