// Dunning: a payment failed, the tenant has a grace period to pay before it is suspended.
// startDunning records it and mails the tenant's owners and admins; addDunningInvoice notes
// another unpaid invoice; endDunning records that everything was paid.
//
// The mails go out once: the change commits first (with its audit entry and event), then the
// mails, then `dunning_mailed_at` with its audit entry. A retried activity that finds the
// change and the mark does nothing; only a crash between the mails and the mark sends them
// again, with the same Message-ID.
import { listBillingContacts, lockTenantBilling, updateTenantBilling } from '../../db/repositories/billing.ts';
import { findTenantById } from '../../db/repositories/tenants.ts';
import { withTenantScope } from '../../db/scope.ts';
import type { AuditActor } from '../../db/repositories/audit-log.ts';
import type { ActivityDeps } from '../shared/deps.ts';
import { mailPeople } from '../shared/mail-people.ts';
import { lockedTenantStep, tenantStep } from '../shared/kernel.ts';

export function createDunningActivities(deps: Pick<ActivityDeps, 'dataSource' | 'mailer' | 'publicUrl'>) {
  return {
    /**
     * Puts the tenant in dunning (keyed by the event that began it) and mails its owners and
     * admins what failed and until when it can pay. Retry-safe: the row says whether this
     * dunning is recorded and mailed already; each is audited once.
     */
    async startDunning(input: {
      tenantId: string;
      eventId: string;
      invoiceId: string;
      since: string;
      graceEndsAt: string;
      actor: AuditActor;
    }): Promise<{ recipients: string[] }> {
      return tenantStep(deps, input, async (step) => {
        const mailed = await step.locked(async ({ db, auditChange, emit }) => {
          const tenant = await findTenantById(db, input.tenantId);
          const billing = await lockTenantBilling(db, input.tenantId);
          if (billing.dunning_started_by === input.eventId) return billing.dunning_mailed_at !== null;
          await updateTenantBilling(db, input.tenantId, {
            standing: 'dunning',
            dunningStartedBy: input.eventId,
            dunningInvoiceIds: [input.invoiceId],
            dunningSince: input.since,
            graceEndsAt: input.graceEndsAt,
            dunningMailedAt: null,
            dunningRecipients: [],
            suspensionNumber: null,
            suspensionSkipped: null,
          });
          await auditChange(
            'billing.dunning_started',
            'tenant',
            input.tenantId,
            { standing: billing.standing },
            { standing: 'dunning', invoiceId: input.invoiceId, eventId: input.eventId, graceEndsAt: input.graceEndsAt },
          );
          await emit('billing.dunning_started', {
            tenantId: input.tenantId,
            slug: tenant?.slug ?? '',
            invoiceId: input.invoiceId,
            graceEndsAt: input.graceEndsAt,
          });
          return false;
        });
        if (mailed) return { recipients: [] };

        const read = await withTenantScope(deps.dataSource, input.tenantId, async (db) => ({
          tenant: await findTenantById(db, input.tenantId),
          contacts: await listBillingContacts(db, input.tenantId),
        }));
        const name = read.tenant?.name ?? input.tenantId;
        const slug = read.tenant?.slug ?? '';
        const { recipients, refused } = await mailPeople(deps.mailer, read.contacts, (contact) => ({
          to: contact.email,
          subject: `Payment failed for ${name}: please update your payment details`,
          text: dunningMail({
            name,
            slug,
            invoiceId: input.invoiceId,
            graceEndsAt: input.graceEndsAt,
            publicUrl: deps.publicUrl,
          }),
          messageId: `billing-dunning.${input.eventId}.${contact.user_id}@atrium`,
        }));
        await step.locked(async ({ db, audit }) => {
          const billing = await lockTenantBilling(db, input.tenantId);
          if (billing.dunning_started_by !== input.eventId || billing.dunning_mailed_at !== null) return;
          await updateTenantBilling(db, input.tenantId, { dunningMailedAt: new Date(), dunningRecipients: recipients });
          await audit('billing.dunning_mailed', 'tenant', input.tenantId, {
            eventId: input.eventId,
            recipients,
            refused,
          });
        });
        return { recipients };
      });
    },

    /** Another invoice failed while in dunning. Retry-safe: an invoice is added once. */
    async addDunningInvoice(input: {
      tenantId: string;
      eventId: string;
      invoiceId: string;
      actor: AuditActor;
    }): Promise<void> {
      await lockedTenantStep(deps, input, async ({ db, audit }) => {
        const billing = await lockTenantBilling(db, input.tenantId);
        if (billing.dunning_invoice_ids.includes(input.invoiceId)) return;
        await updateTenantBilling(db, input.tenantId, {
          dunningInvoiceIds: [...billing.dunning_invoice_ids, input.invoiceId],
        });
        await audit('billing.dunning_invoice_added', 'tenant', input.tenantId, {
          invoiceId: input.invoiceId,
          eventId: input.eventId,
        });
      });
    },

    /**
     * Every unpaid invoice was paid: the tenant is back in good standing. Retry-safe: only a
     * tenant in dunning or billing-suspended changes, once.
     */
    async endDunning(input: {
      tenantId: string;
      eventId: string;
      invoiceId: string;
      liftedSuspension: number | null;
      actor: AuditActor;
    }): Promise<void> {
      await lockedTenantStep(deps, input, async ({ db, auditChange, emit }) => {
        const tenant = await findTenantById(db, input.tenantId);
        const billing = await lockTenantBilling(db, input.tenantId);
        if (billing.standing === 'in-good-standing') return;
        await updateTenantBilling(db, input.tenantId, {
          standing: 'in-good-standing',
          dunningInvoiceIds: [],
          graceEndsAt: null,
          suspensionNumber: null,
        });
        await auditChange(
          'billing.dunning_ended',
          'tenant',
          input.tenantId,
          { standing: billing.standing, invoiceIds: billing.dunning_invoice_ids },
          { standing: 'in-good-standing', paidBy: input.eventId, liftedSuspension: input.liftedSuspension },
        );
        await emit('billing.dunning_ended', {
          tenantId: input.tenantId,
          slug: tenant?.slug ?? '',
          invoiceId: input.invoiceId,
          liftedSuspension: input.liftedSuspension,
        });
      });
    },
  };
}

/** The dunning mail's text. */
export function dunningMail(facts: {
  name: string;
  slug: string;
  invoiceId: string;
  graceEndsAt: string;
  publicUrl: string;
}): string {
  return [
    `Hello,`,
    ``,
    `The payment of invoice ${facts.invoiceId} for ${facts.name} (${facts.slug}) failed.`,
    ``,
    `Please update the payment details with your bank or card, so that the invoice is paid by ${facts.graceEndsAt}.`,
    `If it is still unpaid then, Atrium suspends ${facts.name}: its members and API keys are refused until it is paid.`,
    ``,
    `Your organization in Atrium:`,
    new URL(`/tenants/${facts.slug}`, facts.publicUrl).toString(),
    ``,
    `— Atrium`,
  ].join('\n');
}
