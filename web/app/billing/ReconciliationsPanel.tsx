import { Anchor, Badge, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { href } from 'react-router';
import type { ReconciliationList, ReconciliationSummary } from '../../../contracts/index.ts';
import { RECONCILIATION_JWS_TYPE } from '../../../contracts/index.ts';
import { verifyCompactJws } from './verify-jws.ts';
import { VerifyAction } from './VerifyAction.tsx';

const numbers = new Intl.NumberFormat('en', { maximumFractionDigits: 6 });
const decimal = (value: string) => numbers.format(Number(value));

/**
 * The tenant's signed reconciliation records, one per UTC day: per meter what Atrium counted
 * beside what Stripe counted, the corrections and what was flagged; each record downloads as
 * its compact JWS and verifies in the browser against the published keys.
 */
export function ReconciliationsPanel({ slug, list }: { slug: string; list: ReconciliationList | null }) {
  return (
    <Paper withBorder p="md" data-testid="reconciliations-panel">
      <Title order={2} size="h4" mb={4}>
        Reconciliation records
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Every hour Atrium reports your usage to Stripe, reads back what Stripe counted and corrects any difference. Each
        day's record is signed: download it and check the signature here or offline against the public keys (
        <Anchor href="/api/v1/license/jwks" size="sm" target="_blank" rel="noreferrer">
          JWKS
        </Anchor>
        ).
      </Text>
      {list === null ? (
        <Text c="dimmed" size="sm" data-testid="reconciliations-unavailable">
          The records cannot be shown right now; the rest of the page is up to date.
        </Text>
      ) : list.reconciliations.length === 0 ? (
        <Text c="dimmed" size="sm" data-testid="reconciliations-empty">
          No records yet: the first one is signed after the first hour with usage has been reconciled.
        </Text>
      ) : (
        <Stack gap="sm">
          {list.reconciliations.map((record) => (
            <ReconciliationRecordCard key={record.period} slug={slug} record={record} />
          ))}
        </Stack>
      )}
    </Paper>
  );
}

function ReconciliationRecordCard({ slug, record }: { slug: string; record: ReconciliationSummary }) {
  const download = href('/tenants/:slug/reconciliations/:period/jws', { slug, period: record.period });
  return (
    <Paper withBorder p="sm" data-testid="reconciliation" data-period={record.period}>
      <Group justify="space-between" gap="xs" wrap="wrap" mb={4}>
        <Group gap="xs" wrap="wrap">
          <Text fw={500}>{record.period}</Text>
          <Badge color={record.matched ? 'green' : record.flagged > 0 ? 'red' : 'yellow'} variant="light">
            {record.matched ? 'matches Stripe' : record.flagged > 0 ? `${record.flagged} flagged` : 'not settled yet'}
          </Badge>
          {record.corrections > 0 ? (
            <Badge color="blue" variant="light">
              {record.corrections} {record.corrections === 1 ? 'correction' : 'corrections'}
            </Badge>
          ) : null}
        </Group>
        <Text size="xs" c="dimmed">
          revision {record.revision} · {record.usageEvents} usage events
        </Text>
      </Group>
      <Table.ScrollContainer minWidth={260}>
        <Table verticalSpacing={4} fz="sm" data-testid="reconciliation-meters">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Meter</Table.Th>
              <Table.Th ta="right">Atrium</Table.Th>
              <Table.Th ta="right">Stripe</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {record.meters.map((meter) => (
              <Table.Tr key={meter.meter} data-meter={meter.meter}>
                <Table.Td>
                  <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                    {meter.meter}
                  </Text>
                  {meter.corrections > 0 || meter.flagged > 0 ? (
                    <Text size="xs" c="dimmed">
                      {meter.corrections} corrected · {meter.flagged} flagged
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td ta="right">{decimal(meter.usageTotal)}</Table.Td>
                <Table.Td ta="right">{meter.stripeCount === null ? '—' : decimal(meter.stripeCount)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Group gap="sm" mt="xs" wrap="wrap">
        {/* A plain link: the resource route answers the file with the session's token. */}
        <Anchor href={download} download size="sm" data-testid="reconciliation-download">
          Download signed record
        </Anchor>
        <VerifyAction
          label={`Verify the record of ${record.period}`}
          testId="reconciliation-verified"
          check={async () => {
            const response = await fetch(download);
            if (!response.ok) throw new Error(`The record could not be read (${response.status}).`);
            return verifyCompactJws(await response.text(), RECONCILIATION_JWS_TYPE);
          }}
          describe={(payload) => {
            const signed = payload as { tenant?: { slug?: string }; period?: string; revision?: number };
            return signed.tenant?.slug === slug && signed.period === record.period
              ? `It is ${slug}'s record of ${record.period}, revision ${signed.revision ?? '?'}.`
              : `But it is not this record: it names ${signed.tenant?.slug ?? '?'} and ${signed.period ?? '?'}.`;
          }}
        />
      </Group>
    </Paper>
  );
}
