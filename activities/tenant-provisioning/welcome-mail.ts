// The provisioning step `welcome`: a mail to the owner, sent once.
import { lockTenantResources, updateTenantResources } from '../../db/repositories/tenant-resources.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import type { TenantActivityInput } from '../shared/kernel.ts';
import { lockedTenantStep } from '../shared/kernel.ts';

type StepInput = TenantActivityInput & { slug: string };

export function createWelcomeMailActivities(deps: Pick<ActivityDeps, 'dataSource' | 'mailer' | 'publicUrl'>) {
  const { mailer } = deps;
  return {
    /**
     * Mails the owner a welcome. Retry-safe: the sent mail is recorded (with its audit
     * entry) in the transaction that holds the tenant lock, and a recorded mail is not sent
     * again. Only a crash between handing the mail over and committing sends it twice; the
     * stable Message-ID lets mail systems drop the copy.
     */
    async sendWelcomeMail(input: StepInput & { name: string; ownerEmail: string }): Promise<{ sent: boolean }> {
      return lockedTenantStep(deps, input, async ({ db, audit }) => {
        const resources = await lockTenantResources(db, input.tenantId);
        if (resources.welcomeSentAt) return { sent: false };
        const portal = new URL(`/tenants/${input.slug}`, deps.publicUrl).toString();
        const { messageId } = await mailer.send({
          to: input.ownerEmail,
          subject: `Welcome to Atrium: ${input.name} is ready`,
          text: [
            `Hello,`,
            ``,
            `Your organization "${input.name}" (${input.slug}) is set up on Atrium.`,
            `Open it here: ${portal}`,
            ``,
            `— Atrium`,
          ].join('\n'),
          messageId: `welcome.${input.tenantId}@atrium`,
        });
        await updateTenantResources(db, input.tenantId, { welcomeSentAt: new Date() });
        await audit('tenant.welcome_mail_sent', 'mail', messageId, { to: input.ownerEmail });
        return { sent: true };
      });
    },
  };
}
