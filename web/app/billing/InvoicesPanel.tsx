import { Anchor, Badge, Box, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import type { Invoice, InvoiceList } from '../../../contracts/index.ts';
import { formatTimestamp } from '../components/Timestamp.tsx';

/** What the plan page could read: the list, a role that may not see it, or why it could not be read. */
export type InvoicesView =
  { kind: 'list'; list: InvoiceList } | { kind: 'forbidden' } | { kind: 'failed'; detail: string };

const STATUS_COLORS: Partial<Record<string, string>> = {
  draft: 'gray',
  open: 'yellow',
  paid: 'green',
  uncollectible: 'red',
  void: 'gray',
};

const day = (iso: string) => formatTimestamp(iso).slice(0, 10);

/** Amounts come in the currency's smallest unit; Intl knows how many decimals each currency has. */
function money(amount: number, currency: string): string {
  const format = new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** digits);
}

/**
 * The tenant's invoices as Stripe has them: a table at desktop width, a card per invoice on a
 * phone, links to Stripe's page and PDF when Stripe gives them.
 */
export function InvoicesPanel({ view }: { view: InvoicesView }) {
  return (
    <Paper withBorder p="md" data-testid="invoices-panel">
      <Title order={2} size="h4" mb="sm">
        Invoices
      </Title>
      {view.kind === 'forbidden' ? (
        <Text c="dimmed" size="sm" data-testid="invoices-forbidden">
          Only the tenant's owners and admins see its invoices.
        </Text>
      ) : view.kind === 'failed' ? (
        <Text c="dimmed" size="sm" data-testid="invoices-unavailable">
          The invoices cannot be shown right now: {view.detail}
        </Text>
      ) : view.list.invoices.length === 0 ? (
        <Text c="dimmed" size="sm" data-testid="invoices-empty">
          {view.list.provider === 'local'
            ? 'No invoices: this installation bills nothing (no Stripe account is configured).'
            : 'No invoices yet: Stripe issues the first one at the end of the first billing period.'}
        </Text>
      ) : (
        <>
          <Table.ScrollContainer minWidth={640} visibleFrom="sm">
            <Table verticalSpacing="xs" data-testid="invoices-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Invoice</Table.Th>
                  <Table.Th>Period</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th ta="right">Due</Table.Th>
                  <Table.Th ta="right">Paid</Table.Th>
                  <Table.Th>Documents</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {view.list.invoices.map((invoice) => (
                  <Table.Tr key={invoice.id} data-testid="invoice-row">
                    <Table.Td>
                      <Text size="sm">{invoice.number ?? 'Draft'}</Text>
                      <Text size="xs" c="dimmed">
                        created {day(invoice.created)}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">
                        {day(invoice.periodStart)} – {day(invoice.periodEnd)}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <InvoiceStatusBadge invoice={invoice} />
                    </Table.Td>
                    <Table.Td ta="right">{money(invoice.amountDue, invoice.currency)}</Table.Td>
                    <Table.Td ta="right">{money(invoice.amountPaid, invoice.currency)}</Table.Td>
                    <Table.Td>
                      <InvoiceLinks invoice={invoice} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Stack gap="xs" hiddenFrom="sm" data-testid="invoices-cards">
            {view.list.invoices.map((invoice) => (
              <Paper key={invoice.id} withBorder p="sm" data-testid="invoice-card">
                <Group justify="space-between" wrap="nowrap" gap="xs">
                  <Text fw={500} size="sm">
                    {invoice.number ?? 'Draft'}
                  </Text>
                  <InvoiceStatusBadge invoice={invoice} />
                </Group>
                <Text size="xs" c="dimmed">
                  {day(invoice.periodStart)} – {day(invoice.periodEnd)}
                </Text>
                <Group justify="space-between" gap="xs" mt={4}>
                  <Text size="sm">
                    Due {money(invoice.amountDue, invoice.currency)} · paid{' '}
                    {money(invoice.amountPaid, invoice.currency)}
                  </Text>
                  <InvoiceLinks invoice={invoice} />
                </Group>
              </Paper>
            ))}
          </Stack>
          {view.list.hasMore ? (
            <Text size="xs" c="dimmed" mt="xs">
              Older invoices are in Stripe's customer portal.
            </Text>
          ) : null}
        </>
      )}
    </Paper>
  );
}

function InvoiceStatusBadge({ invoice }: { invoice: Invoice }) {
  return invoice.status ? (
    <Badge color={STATUS_COLORS[invoice.status] ?? 'gray'} variant="light">
      {invoice.status}
    </Badge>
  ) : (
    <Text size="sm">—</Text>
  );
}

function InvoiceLinks({ invoice }: { invoice: Invoice }) {
  if (!invoice.hostedInvoiceUrl && !invoice.invoicePdfUrl)
    return (
      <Text size="xs" c="dimmed">
        none yet
      </Text>
    );
  return (
    <Box>
      <Group gap="sm">
        {invoice.hostedInvoiceUrl ? (
          <Anchor href={invoice.hostedInvoiceUrl} target="_blank" rel="noreferrer" size="sm">
            View
          </Anchor>
        ) : null}
        {invoice.invoicePdfUrl ? (
          <Anchor href={invoice.invoicePdfUrl} target="_blank" rel="noreferrer" size="sm">
            PDF
          </Anchor>
        ) : null}
      </Group>
    </Box>
  );
}
