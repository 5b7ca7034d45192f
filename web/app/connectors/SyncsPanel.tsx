import {
  Alert,
  Badge,
  Button,
  EmptyState,
  Group,
  NumberInput,
  Paper,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { Form } from 'react-router';
import type { ConnectionSync, Problem, SyncRun } from '../../../contracts/index.ts';
import { Timestamp } from '../components/Timestamp.tsx';
import { formatProblem } from './problem-text.ts';

export interface SyncWithRuns {
  sync: ConnectionSync;
  /** Newest first; null when they could not be read. */
  runs: SyncRun[] | null;
}

/** `every 15 minutes`, `every 30 seconds`. */
function every(seconds: number): string {
  const [amount, unit] =
    seconds % 86_400 === 0
      ? [seconds / 86_400, 'day']
      : seconds % 3_600 === 0
        ? [seconds / 3_600, 'hour']
        : seconds % 60 === 0
          ? [seconds / 60, 'minute']
          : [seconds, 'second'];
  return `every ${amount === 1 ? '' : `${amount} `}${unit}${amount === 1 ? '' : 's'}`;
}

function SyncButton({
  syncId,
  intent,
  text,
  label,
  color,
}: {
  syncId: string;
  intent: string;
  text: string;
  label: string;
  color?: string;
}) {
  return (
    <Form method="post">
      <input type="hidden" name="intent" value={intent} />
      <input type="hidden" name="syncId" value={syncId} />
      <Button type="submit" size="xs" variant="light" color={color} aria-label={label}>
        {text}
      </Button>
    </Form>
  );
}

function RunHistory({ runs }: { runs: SyncRun[] | null }) {
  if (runs === null)
    return (
      <Text size="xs" c="dimmed">
        The run history could not be read.
      </Text>
    );
  if (runs.length === 0)
    return (
      <Text size="xs" c="dimmed" data-testid="sync-runs-empty">
        No runs yet.
      </Text>
    );
  return (
    <Stack gap={4} data-testid="sync-runs">
      {runs.slice(0, 5).map((run) => (
        <Group key={run.workflowId} gap="xs" wrap="wrap" data-testid="sync-run">
          <Badge
            size="xs"
            variant="light"
            color={run.status === 'succeeded' ? 'green' : run.status === 'failed' ? 'red' : 'blue'}
          >
            {run.status}
          </Badge>
          <Timestamp value={run.startedAt} size="xs" />
          <Text size="xs" data-testid="sync-run-counts">
            {run.counts.fetched} fetched · {run.counts.created} new · {run.counts.updated} updated ·{' '}
            {run.counts.unchanged} unchanged
          </Text>
          {run.error ? (
            <Text size="xs" c="red" style={{ flexBasis: '100%' }}>
              {run.error}
            </Text>
          ) : null}
        </Group>
      ))}
    </Stack>
  );
}

/** A connection's syncs: each one's schedule (pause, resume, run now, delete) and runs, and a form to add one. */
export function SyncsPanel({
  syncs,
  canManage,
  canSync,
  minIntervalHint,
  problem,
  fieldErrors,
}: {
  syncs: SyncWithRuns[];
  canManage: boolean;
  /** The connection is active (or waiting to be reconnected): syncs may be defined. */
  canSync: boolean;
  minIntervalHint: string;
  problem: Problem | null;
  fieldErrors: Record<string, string>;
}) {
  return (
    <Stack gap="md" data-testid="syncs-panel">
      <Title order={2} size="h3">
        Syncs
      </Title>
      {problem ? (
        <Alert color="red" title={problem.title} data-testid="sync-problem">
          {formatProblem(problem)}
        </Alert>
      ) : null}
      {syncs.length === 0 ? (
        <EmptyState
          data-testid="syncs-empty"
          title="No syncs yet"
          description="A sync pulls a resource from the provider's API on a schedule and keeps its records."
        />
      ) : (
        syncs.map(({ sync, runs }) => (
          <Paper key={sync.id} withBorder p="sm" data-testid="sync-card">
            <Stack gap={6}>
              <Group justify="space-between" wrap="wrap" gap="xs">
                <Text fw={600}>{sync.name}</Text>
                <Badge color={sync.schedule === 'active' ? 'green' : 'gray'} data-testid="sync-schedule">
                  {sync.schedule}
                </Badge>
              </Group>
              <Text size="sm" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
                {sync.resourcePath}
              </Text>
              <Text size="xs" c="dimmed">
                Runs {every(sync.intervalSeconds)}
                {sync.nextRunAt ? (
                  <>
                    {' '}
                    · next <Timestamp value={sync.nextRunAt} size="xs" />
                  </>
                ) : null}
              </Text>
              {sync.schedule === 'paused' && sync.pauseNote ? (
                <Text size="xs" c="dimmed">
                  {sync.pauseNote}
                </Text>
              ) : null}
              <RunHistory runs={runs} />
              {canManage ? (
                <Group gap="xs" wrap="wrap">
                  {sync.pausedByMember ? (
                    <SyncButton syncId={sync.id} intent="sync-resume" text="Resume" label={`Resume ${sync.name}`} />
                  ) : (
                    <SyncButton syncId={sync.id} intent="sync-pause" text="Pause" label={`Pause ${sync.name}`} />
                  )}
                  <SyncButton syncId={sync.id} intent="sync-run" text="Run now" label={`Run ${sync.name} now`} />
                  <SyncButton
                    syncId={sync.id}
                    intent="sync-delete"
                    text="Delete"
                    label={`Delete ${sync.name}`}
                    color="red"
                  />
                </Group>
              ) : null}
            </Stack>
          </Paper>
        ))
      )}
      {canManage && canSync ? (
        <Paper withBorder p="sm">
          <Form method="post" data-testid="sync-form">
            <input type="hidden" name="intent" value="sync-create" />
            <Stack gap="xs">
              <Text fw={600} size="sm">
                Add a sync
              </Text>
              <TextInput name="name" label="Name" required maxLength={80} error={fieldErrors.name} />
              <TextInput
                name="resourcePath"
                label="Resource path"
                description="A path on the provider's API, e.g. /v1/contacts"
                required
                error={fieldErrors.resourcePath}
              />
              <NumberInput
                name="intervalSeconds"
                label="Every (seconds)"
                description={minIntervalHint}
                required
                min={1}
                allowDecimal={false}
                error={fieldErrors.intervalSeconds}
              />
              <Group>
                <Button type="submit" size="sm">
                  Add sync
                </Button>
              </Group>
            </Stack>
          </Form>
        </Paper>
      ) : null}
    </Stack>
  );
}
