import { Alert, Badge, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import type { BillingStanding, TenantBilling } from '../../../contracts/index.ts';
import { Timestamp } from '../components/Timestamp.tsx';

const STANDING: Record<BillingStanding, { label: string; color: string }> = {
  'in-good-standing': { label: 'in good standing', color: 'green' },
  dunning: { label: 'dunning', color: 'orange' },
  suspended: { label: 'suspended for billing', color: 'red' },
};

/**
 * The tenant's billing as its billing workflow left it: the standing, the dunning (unpaid
 * invoices, since when, until when, who was mailed), whose suspension is in force, and the
 * latest Stripe events with what became of each.
 */
export function BillingPanel({ billing }: { billing: TenantBilling | null }) {
  return (
    <Paper withBorder p="md" data-testid="billing-panel">
      <Group justify="space-between" mb="sm" wrap="wrap">
        <Title order={2} size="h4">
          Billing
        </Title>
        {billing ? (
          <Badge color={STANDING[billing.standing].color} data-testid="billing-standing">
            {STANDING[billing.standing].label}
          </Badge>
        ) : null}
      </Group>
      {!billing ? (
        <Text size="sm" c="dimmed">
          The billing standing could not be read just now; reload the page to try again.
        </Text>
      ) : (
        <Stack gap="sm">
          <BillingStandingDetails billing={billing} />
          <StripeEvents events={billing.recentEvents} />
        </Stack>
      )}
    </Paper>
  );
}

function BillingStandingDetails({ billing }: { billing: TenantBilling }) {
  const { dunning, openSuspension, subscription } = billing;
  return (
    <Stack gap={4}>
      {dunning ? (
        <Alert color={billing.standing === 'suspended' ? 'red' : 'orange'} title="Payment failed" p="xs">
          <Text size="sm" data-testid="billing-dunning">
            Unpaid: {dunning.invoiceIds.join(', ') || '—'}
            {dunning.since ? (
              <>
                {' '}
                · since <Timestamp value={dunning.since} />
              </>
            ) : null}
            {dunning.graceEndsAt ? (
              <>
                {' '}
                · {billing.standing === 'suspended' ? 'grace period ended' : 'suspended unless paid by'}{' '}
                <Timestamp value={dunning.graceEndsAt} />
              </>
            ) : null}
          </Text>
          <Text size="xs" c="dimmed">
            {dunning.mailedAt
              ? `Mailed to ${dunning.recipients.join(', ') || 'nobody (no owner or admin)'}`
              : 'Not mailed yet'}
          </Text>
          {billing.suspensionSkipped ? (
            <Text size="xs" c="dimmed">
              Not suspended for billing: {billing.suspensionSkipped}
            </Text>
          ) : null}
        </Alert>
      ) : null}
      <Text size="sm" data-testid="billing-suspension">
        Suspension in force:{' '}
        {openSuspension
          ? `#${openSuspension.number} — ${openSuspension.byBilling ? 'billing (lifted when the invoices are paid)' : `by a platform admin: ${openSuspension.reason} (billing never lifts it)`}`
          : 'none'}
      </Text>
      <Text size="sm">
        Subscription:{' '}
        {subscription
          ? `${subscription.id} · ${subscription.status ?? 'status not reported yet'}`
          : 'no Stripe event yet'}
      </Text>
    </Stack>
  );
}

function StripeEvents({ events }: { events: TenantBilling['recentEvents'] }) {
  if (events.length === 0)
    return (
      <Text size="sm" c="dimmed">
        No Stripe events received for this tenant yet.
      </Text>
    );
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table aria-label="Stripe events" data-testid="stripe-events">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Event</Table.Th>
            <Table.Th>Type</Table.Th>
            <Table.Th>Received</Table.Th>
            <Table.Th>Outcome</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {events.map((event) => (
            <Table.Tr key={event.eventId}>
              <Table.Td>
                <Text size="xs" ff="monospace">
                  {event.eventId}
                </Text>
              </Table.Td>
              <Table.Td>{event.type}</Table.Td>
              <Table.Td>
                <Timestamp value={event.receivedAt} />
              </Table.Td>
              <Table.Td>{event.outcome ?? (event.handedOverAt ? 'waiting' : 'not acted on')}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
