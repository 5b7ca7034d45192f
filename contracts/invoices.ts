// A tenant's invoices, read from its billing provider (Stripe) when asked: GET
// /api/v1/tenants/:slug/invoices. Atrium keeps no copy; the provider's hosted page and PDF
// are linked as they are.
import { z } from 'zod';

export const Invoice = z
  .object({
    id: z.string().meta({ description: "The provider's invoice id (Stripe: in_…)." }),
    number: z.string().nullable().meta({ description: 'The number printed on it; null while a draft.' }),
    status: z.string().nullable().meta({
      description:
        "Stripe's status: draft, open, paid, uncollectible or void (others may come; show them as they are).",
    }),
    currency: z.string().meta({ description: 'ISO 4217, lower case (usd).' }),
    amountDue: z.number().int().meta({ description: 'In the currency’s smallest unit (cents).' }),
    amountPaid: z.number().int().meta({ description: 'In the currency’s smallest unit (cents).' }),
    periodStart: z.string().meta({ description: 'The billing period it covers: start (ISO 8601).' }),
    periodEnd: z.string(),
    created: z.string(),
    hostedInvoiceUrl: z.string().nullable().meta({ description: "The provider's page for it (view, pay)." }),
    invoicePdfUrl: z.string().nullable(),
  })
  .meta({ id: 'Invoice' });
export type Invoice = z.infer<typeof Invoice>;

export const InvoiceList = z
  .object({
    provider: z.enum(['stripe', 'local']).meta({
      description: 'Who bills the tenant: `local` (no STRIPE_SECRET_KEY) sends no invoices, so the list is empty.',
    }),
    invoices: z.array(Invoice).meta({ description: 'Newest first.' }),
    hasMore: z.boolean().meta({ description: 'Older invoices exist beyond `limit`.' }),
  })
  .meta({ id: 'InvoiceList' });
export type InvoiceList = z.infer<typeof InvoiceList>;

export const InvoiceListQuery = z
  .strictObject({
    limit: z.coerce
      .number({ error: 'Must be a whole number from 1 to 100.' })
      .int('Must be a whole number from 1 to 100.')
      .min(1, 'Must be a whole number from 1 to 100.')
      .max(100, 'Must be a whole number from 1 to 100.')
      .optional(),
  })
  .meta({ id: 'InvoiceListQuery' });
