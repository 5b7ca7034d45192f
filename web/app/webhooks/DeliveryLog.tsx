import {
  Anchor,
  Badge,
  Box,
  Button,
  Code,
  EmptyState,
  Group,
  NativeSelect,
  Paper,
  Stack,
  Table,
  Text,
} from '@mantine/core';
import { Form, href, Link, useFetcher } from 'react-router';
import type { Problem, WebhookDeliveryAttempt, WebhookReplayStarted } from '../../../contracts/index.ts';
import { EVENT_TYPES, WEBHOOK_DELIVERY_KINDS, WEBHOOK_DELIVERY_OUTCOMES } from '../../../contracts/index.ts';
import type { cursorLinks } from '../components/CursorPager.tsx';
import { CursorPager } from '../components/CursorPager.tsx';
import { Timestamp } from '../components/Timestamp.tsx';

export interface DeliveryFilters {
  outcome: string;
  kind: string;
  eventType: string;
}

const OUTCOME_COLORS: Record<WebhookDeliveryAttempt['outcome'], string> = {
  delivered: 'green',
  retry: 'orange',
  gone: 'red',
  refused: 'red',
};
const KIND_LABELS: Record<WebhookDeliveryAttempt['kind'], string> = {
  delivery: 'delivery',
  replay: 'replay',
  test: 'test',
};

const any = (label: string, values: readonly string[]) => [{ value: '', label }, ...values.map((value) => value)];

/** The endpoint's attempts, newest first, filtered in the URL (so a view can be shared), paged. */
export function DeliveryLog({
  endpointId,
  items,
  filters,
  pages,
  canReplay,
  refresh,
}: {
  endpointId: string;
  items: WebhookDeliveryAttempt[];
  filters: DeliveryFilters;
  pages: ReturnType<typeof cursorLinks>;
  /** The caller may replay (webhooks.manage) and the endpoint takes replays (not disabled). */
  canReplay: boolean;
  /** This page again, to see attempts made since it loaded. */
  refresh: string;
}) {
  return (
    <Stack gap="sm">
      <Form method="get" aria-label="Filter the delivery log">
        <Group align="flex-end" gap="sm">
          <NativeSelect
            name="outcome"
            label="Outcome"
            data={any('Any outcome', WEBHOOK_DELIVERY_OUTCOMES)}
            defaultValue={filters.outcome}
          />
          <NativeSelect
            name="kind"
            label="Made by"
            data={any('Anything', WEBHOOK_DELIVERY_KINDS)}
            defaultValue={filters.kind}
          />
          <NativeSelect
            name="eventType"
            label="Event type"
            data={any('Any event type', EVENT_TYPES)}
            defaultValue={filters.eventType}
          />
          <Button type="submit" variant="default">
            Filter
          </Button>
          <Anchor component={Link} to={refresh} size="sm" data-testid="delivery-log-refresh">
            Refresh
          </Anchor>
        </Group>
      </Form>
      {items.length === 0 ? (
        <EmptyState
          data-testid="delivery-log-empty"
          title="No deliveries"
          description={
            filters.outcome || filters.kind || filters.eventType
              ? 'No attempt matches these filters.'
              : 'Nothing was sent to this endpoint yet: send it a test event, or wait for an event it subscribes to.'
          }
        />
      ) : (
        <>
          {/* A table from the sm breakpoint up; a card per attempt on a phone. */}
          <Box visibleFrom="sm">
            <Table.ScrollContainer minWidth={900}>
              <Table verticalSpacing="xs" aria-label="Delivery log" data-testid="delivery-log">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>When</Table.Th>
                    <Table.Th>Event</Table.Th>
                    <Table.Th>Attempt</Table.Th>
                    <Table.Th>Outcome</Table.Th>
                    <Table.Th>Answer</Table.Th>
                    {canReplay ? <Table.Th aria-label="Replay" /> : null}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((attempt) => (
                    <AttemptRow key={attempt.id} endpointId={endpointId} attempt={attempt} canReplay={canReplay} />
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Box>
          <Stack hiddenFrom="sm" gap="xs" data-testid="delivery-cards">
            {items.map((attempt) => (
              <AttemptCard key={attempt.id} endpointId={endpointId} attempt={attempt} canReplay={canReplay} />
            ))}
          </Stack>
        </>
      )}
      <CursorPager links={pages} testId="delivery-log-pages" />
    </Stack>
  );
}

function KindAndAttempt({ attempt }: { attempt: WebhookDeliveryAttempt }) {
  return (
    <Group gap={6} wrap="nowrap">
      <Badge
        variant="outline"
        color={attempt.kind === 'delivery' ? 'gray' : 'blue'}
        size="sm"
        data-testid="delivery-kind"
      >
        {KIND_LABELS[attempt.kind]}
      </Badge>
      <Text size="sm">#{attempt.attempt}</Text>
    </Group>
  );
}

function Outcome({ attempt }: { attempt: WebhookDeliveryAttempt }) {
  return (
    <Group gap={6} wrap="nowrap">
      <Badge color={OUTCOME_COLORS[attempt.outcome]} variant="light" size="sm">
        {attempt.outcome}
      </Badge>
      <Text size="sm">{attempt.statusCode ?? '—'}</Text>
      <Text size="xs" c="dimmed">
        {attempt.durationMs} ms
      </Text>
    </Group>
  );
}

/** What came back: the error without an answer, or the first bytes of the answer. */
function Answer({ attempt }: { attempt: WebhookDeliveryAttempt }) {
  return (
    <>
      {attempt.error ? (
        <Text size="xs" c="red">
          {attempt.error}
        </Text>
      ) : null}
      {attempt.responseExcerpt ? (
        <Text size="xs" ff="monospace" lineClamp={2} title={attempt.responseExcerpt} style={{ wordBreak: 'break-all' }}>
          {attempt.responseExcerpt}
        </Text>
      ) : null}
    </>
  );
}

/** One attempt on a phone. */
function AttemptCard({
  endpointId,
  attempt,
  canReplay,
}: {
  endpointId: string;
  attempt: WebhookDeliveryAttempt;
  canReplay: boolean;
}) {
  return (
    <Paper
      withBorder
      p="xs"
      data-testid="delivery-card"
      data-event-id={attempt.eventId}
      data-kind={attempt.kind}
      data-outcome={attempt.outcome}
    >
      <Stack gap={4}>
        <Group justify="space-between" gap="xs">
          <Code>{attempt.eventType}</Code>
          <KindAndAttempt attempt={attempt} />
        </Group>
        <Group justify="space-between" gap="xs">
          <Outcome attempt={attempt} />
          <Timestamp value={attempt.attemptedAt} size="xs" c="dimmed" />
        </Group>
        <Answer attempt={attempt} />
        {canReplay ? <ReplayButton endpointId={endpointId} attempt={attempt} /> : null}
      </Stack>
    </Paper>
  );
}

function AttemptRow({
  endpointId,
  attempt,
  canReplay,
}: {
  endpointId: string;
  attempt: WebhookDeliveryAttempt;
  canReplay: boolean;
}) {
  return (
    <Table.Tr
      data-testid="delivery-row"
      data-event-id={attempt.eventId}
      data-kind={attempt.kind}
      data-outcome={attempt.outcome}
    >
      <Table.Td style={{ whiteSpace: 'nowrap' }}>
        <Timestamp value={attempt.attemptedAt} />
      </Table.Td>
      <Table.Td>
        <Code style={{ whiteSpace: 'nowrap' }}>{attempt.eventType}</Code>
        <Text size="xs" c="dimmed" ff="monospace" title={attempt.eventId}>
          {attempt.eventId.slice(0, 8)}…
        </Text>
      </Table.Td>
      <Table.Td>
        <KindAndAttempt attempt={attempt} />
      </Table.Td>
      <Table.Td>
        <Outcome attempt={attempt} />
      </Table.Td>
      <Table.Td maw={320}>
        <Answer attempt={attempt} />
      </Table.Td>
      {canReplay ? (
        <Table.Td>
          <ReplayButton endpointId={endpointId} attempt={attempt} />
        </Table.Td>
      ) : null}
    </Table.Tr>
  );
}

type ReplayAnswer = { intent: 'replay'; started: WebhookReplayStarted | null; problem: Problem | null };

/** Sends this attempt's event again; the answer shows in the row. */
function ReplayButton({ endpointId, attempt }: { endpointId: string; attempt: WebhookDeliveryAttempt }) {
  const fetcher = useFetcher<ReplayAnswer>();
  const answer = fetcher.state === 'idle' ? fetcher.data : undefined;
  return (
    <Stack gap={2} align="flex-start">
      <fetcher.Form method="post">
        <input type="hidden" name="intent" value="replay" />
        <input type="hidden" name="endpointId" value={endpointId} />
        <input type="hidden" name="eventId" value={attempt.eventId} />
        <Button
          type="submit"
          size="xs"
          variant="subtle"
          loading={fetcher.state !== 'idle'}
          aria-label={`Replay event ${attempt.eventId}`}
        >
          Replay
        </Button>
      </fetcher.Form>
      {answer?.started ? (
        <Anchor
          component={Link}
          to={href('/operations/:operationId', { operationId: answer.started.operation.id })}
          size="xs"
          data-testid="row-replay-started"
        >
          Replay started
        </Anchor>
      ) : null}
      {answer?.problem ? (
        <Text size="xs" c="red" data-testid="row-replay-problem">
          {answer.problem.errors?.[0]?.message ?? answer.problem.detail ?? answer.problem.title}
        </Text>
      ) : null}
    </Stack>
  );
}
