// /admin/stuck-activities: activities of Atrium's running workflows that have been retrying for
// longer than a threshold (GET /api/v1/admin/stuck-activities), for operators. operator-write
// may run one again now, cancel its workflow or terminate it (with a reason, confirmed in a
// dialog); operator-read sees the same page with those buttons disabled, saying why. People
// without an operator role get the 404 of a missing page.
import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Code,
  Group,
  Modal,
  NativeSelect,
  Stack,
  Table,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { data, Form, href, Link, redirect, useNavigation } from 'react-router';
import type { Route } from './+types/stuck-activities';
import { callApi } from '../../api/client.server.ts';
import type { Problem, StuckActivity, StuckActivityList } from '../../../../contracts/index.ts';
import { STUCK_THRESHOLD_CHOICES } from '../../../../contracts/index.ts';
import { formatDuration, Timestamp } from '../../components/Timestamp.tsx';
import { formText } from '../../form-text.ts';
import { loginPath, requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Stuck activities · Atrium' }];

const API = '/api/v1/admin/stuck-activities';
const DEFAULT_THRESHOLD = '5m';
const THRESHOLD_LABELS: Record<(typeof STUCK_THRESHOLD_CHOICES)[number], string> = {
  '1m': '1 minute',
  '5m': '5 minutes',
  '15m': '15 minutes',
  '1h': '1 hour',
  '6h': '6 hours',
  '1d': '1 day',
};
const WRITE_NEEDED = 'Your role is operator-read: retry, cancel and terminate need operator-write.';

function thresholdOf(request: Request): string {
  const asked = new URL(request.url).searchParams.get('olderThan');
  return asked && /^\d+(s|m|h|d)$/.test(asked) ? asked : DEFAULT_THRESHOLD;
}

export async function loader({ context, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const olderThan = thresholdOf(request);
  const result = await callApi<StuckActivityList>(context, `${API}?${new URLSearchParams({ olderThan })}`, {
    signal: request.signal,
    token: accessToken,
  });
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    // Not an operator: the page does not exist for them, like the admin console for non-admins.
    if (result.status === 403) throw data(null, { status: 404 });
    throw data(result.problem, { status: result.status });
  }
  return { list: result.body, olderThan };
}

type ActionIntent = 'retry' | 'cancel' | 'terminate';
const DONE: Record<ActionIntent, string> = {
  retry: 'runs again now, its attempts counted from 1',
  cancel: 'was asked to cancel; it cleans up as it was written to',
  terminate: 'was terminated',
};

export async function action({ context, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const form = await request.formData();
  const intent = formText(form, 'intent');
  const workflowId = formText(form, 'workflowId');
  if (intent !== 'retry' && intent !== 'cancel' && intent !== 'terminate') {
    const problem: Problem = { type: 'about:blank', title: `Unknown action "${intent}"`, status: 400 };
    return data({ intent, workflowId, problem, done: null }, 400);
  }
  const reason = formText(form, 'reason');
  const body =
    intent === 'retry'
      ? { activityId: formText(form, 'activityId'), ...(reason ? { reason } : {}) }
      : intent === 'cancel'
        ? reason
          ? { reason }
          : {}
        : { reason };
  const result = await callApi(context, `${API}/${encodeURIComponent(workflowId)}/${intent}`, {
    method: 'POST',
    token: accessToken,
    body,
  });
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    return data({ intent, workflowId, problem: result.problem, done: null }, { status: result.status });
  }
  return { intent, workflowId, problem: null, done: `${workflowId} ${DONE[intent]}.` };
}

export default function StuckActivitiesPage({ loaderData, actionData }: Route.ComponentProps) {
  const { list, olderThan } = loaderData;
  const canAct = list.operatorRole === 'write';
  const [confirming, setConfirming] = useState<{ item: StuckActivity; intent: 'cancel' | 'terminate' } | null>(null);
  const navigation = useNavigation();
  const thresholdChoices = STUCK_THRESHOLD_CHOICES.map((value) => ({ value, label: THRESHOLD_LABELS[value] }));
  if (!(STUCK_THRESHOLD_CHOICES as readonly string[]).includes(olderThan))
    thresholdChoices.push({ value: olderThan as (typeof STUCK_THRESHOLD_CHOICES)[number], label: olderThan });

  return (
    <Stack gap="lg">
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <div>
          <Title order={1}>Stuck activities</Title>
          <Group gap="xs">
            <Text c="dimmed" size="sm">
              Retrying for longer than {THRESHOLD_LABELS[olderThan as keyof typeof THRESHOLD_LABELS] ?? olderThan} ·
              checked
            </Text>
            <Timestamp value={list.checkedAt} c="dimmed" />
          </Group>
        </div>
        <Form method="get" aria-label="Threshold">
          <Group align="flex-end" gap="sm">
            <NativeSelect
              name="olderThan"
              label="Retrying for longer than"
              data={thresholdChoices}
              defaultValue={olderThan}
              data-testid="stuck-threshold"
            />
            <Button type="submit" variant="light" loading={navigation.state === 'loading'}>
              Check again
            </Button>
          </Group>
        </Form>
      </Group>

      {canAct ? null : (
        <Alert color="blue" title="You may look, not act" id="stuck-write-needed" data-testid="stuck-read-only">
          {WRITE_NEEDED} Ask a platform admin for operator-write.
        </Alert>
      )}
      {actionData?.done ? (
        <Alert color="green" title="Done" data-testid="stuck-action-done">
          {actionData.done}
        </Alert>
      ) : null}
      {actionData?.problem ? (
        <Alert color="red" title={actionData.problem.title} data-testid="stuck-action-problem">
          {actionData.problem.errors?.[0]?.message
            ? `${actionData.problem.errors[0].path}: ${actionData.problem.errors[0].message}`
            : actionData.problem.detail}
        </Alert>
      ) : null}
      {list.truncated ? (
        <Alert color="yellow" title="Not every workflow was looked at">
          More than {list.scanned} workflows are running; the most recently started {list.scanned} were looked at.
        </Alert>
      ) : null}

      {list.items.length === 0 ? (
        <Card withBorder p="xl" data-testid="stuck-empty">
          <Stack gap={4} align="center">
            <Title order={2} size="h4">
              Nothing is stuck
            </Title>
            <Text c="dimmed" size="sm" ta="center">
              No activity of Atrium’s {list.scanned} running workflow{list.scanned === 1 ? '' : 's'} old enough has been
              retrying for longer than this.
            </Text>
          </Stack>
        </Card>
      ) : (
        <>
          <Table.ScrollContainer minWidth={980} visibleFrom="sm">
            <Table verticalSpacing="sm" aria-label="Stuck activities" data-testid="stuck-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Tenant · operation</Table.Th>
                  <Table.Th>Activity</Table.Th>
                  <Table.Th>Attempts</Table.Th>
                  <Table.Th>Retrying since</Table.Th>
                  <Table.Th>Last failure</Table.Th>
                  <Table.Th>Actions</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.items.map((item) => (
                  <Table.Tr
                    key={`${item.workflowId}:${item.activityId}`}
                    data-testid="stuck-row"
                    data-workflow-id={item.workflowId}
                  >
                    <Table.Td>
                      <Workflow item={item} />
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm" ff="monospace">
                        {item.activityType}
                      </Text>
                      {item.paused ? (
                        <Badge color="gray" size="xs">
                          paused
                        </Badge>
                      ) : null}
                    </Table.Td>
                    <Table.Td>
                      <Attempts item={item} />
                    </Table.Td>
                    <Table.Td>
                      <Since item={item} checkedAt={list.checkedAt} />
                    </Table.Td>
                    <Table.Td maw={320}>
                      <Failure item={item} />
                    </Table.Td>
                    <Table.Td>
                      <Actions item={item} canAct={canAct} onConfirm={setConfirming} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Stack gap="sm" hiddenFrom="sm" data-testid="stuck-cards">
            {list.items.map((item) => (
              <Card
                key={`${item.workflowId}:${item.activityId}`}
                withBorder
                data-testid="stuck-card"
                data-workflow-id={item.workflowId}
              >
                <Stack gap="xs">
                  <Workflow item={item} />
                  <Group gap="xs" wrap="wrap">
                    <Text size="sm" ff="monospace">
                      {item.activityType}
                    </Text>
                    <Attempts item={item} />
                  </Group>
                  <Since item={item} checkedAt={list.checkedAt} />
                  <Failure item={item} />
                  <Actions item={item} canAct={canAct} onConfirm={setConfirming} />
                </Stack>
              </Card>
            ))}
          </Stack>
        </>
      )}

      <ConfirmModal confirming={confirming} onClose={() => setConfirming(null)} />
    </Stack>
  );
}

function Workflow({ item }: { item: StuckActivity }) {
  return (
    <Stack gap={2} miw={0}>
      {/* A badge is a div: beside the text, never inside its paragraph. */}
      <Group gap="xs" wrap="wrap">
        <Text size="sm" fw={600}>
          {item.tenantSlug ?? item.tenantId ?? 'Platform'}
        </Text>
        {item.operationKind ? (
          <Badge variant="light" tt="none" size="sm">
            {item.operationKind}
          </Badge>
        ) : null}
      </Group>
      {item.operationId ? (
        <Anchor
          component={Link}
          to={href('/operations/:operationId', { operationId: item.operationId })}
          size="xs"
          ff="monospace"
          style={{ overflowWrap: 'anywhere' }}
        >
          {item.workflowId}
        </Anchor>
      ) : (
        <Text size="xs" ff="monospace" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
          {item.workflowId} ({item.workflowType})
        </Text>
      )}
    </Stack>
  );
}

function Attempts({ item }: { item: StuckActivity }) {
  return (
    <Badge color="orange" variant="light" tt="none" data-testid="stuck-attempts">
      attempt {item.attempt}
      {item.maximumAttempts ? ` of ${item.maximumAttempts}` : ''}
    </Badge>
  );
}

function Since({ item, checkedAt }: { item: StuckActivity; checkedAt: string }) {
  if (!item.retryingSince)
    return (
      <Text size="sm" c="dimmed">
        Long ago (beyond the history read)
      </Text>
    );
  return (
    <Stack gap={0}>
      <Timestamp value={item.retryingSince} />
      <Text size="xs" c="dimmed">
        {formatDuration(item.retryingSince, checkedAt)}
        {item.nextAttemptAt ? ' · next attempt ' : ''}
        {item.nextAttemptAt ? <Timestamp value={item.nextAttemptAt} size="xs" c="dimmed" /> : null}
      </Text>
    </Stack>
  );
}

function Failure({ item }: { item: StuckActivity }) {
  return (
    <Text size="sm" c={item.lastFailure ? 'red' : 'dimmed'} style={{ overflowWrap: 'anywhere' }} lineClamp={4}>
      {item.lastFailure ?? 'No failure recorded'}
    </Text>
  );
}

function Actions({
  item,
  canAct,
  onConfirm,
}: {
  item: StuckActivity;
  canAct: boolean;
  onConfirm: (value: { item: StuckActivity; intent: 'cancel' | 'terminate' }) => void;
}) {
  const navigation = useNavigation();
  const retrying =
    navigation.state === 'submitting' &&
    navigation.formData?.get('intent') === 'retry' &&
    navigation.formData.get('workflowId') === item.workflowId;
  const why = canAct ? undefined : WRITE_NEEDED;
  const described = canAct ? undefined : 'stuck-write-needed';
  return (
    <Stack gap={4}>
      <Group gap="xs" wrap="wrap">
        <Form method="post" aria-label={`Retry ${item.activityType} of ${item.workflowId}`}>
          <input type="hidden" name="intent" value="retry" />
          <input type="hidden" name="workflowId" value={item.workflowId} />
          <input type="hidden" name="activityId" value={item.activityId} />
          <Button
            type="submit"
            size="xs"
            variant="light"
            disabled={!canAct}
            title={why}
            aria-describedby={described}
            loading={retrying}
          >
            Retry now
          </Button>
        </Form>
        <Button
          size="xs"
          variant="default"
          disabled={!canAct}
          title={why}
          aria-describedby={described}
          onClick={() => onConfirm({ item, intent: 'cancel' })}
        >
          Cancel…
        </Button>
        <Button
          size="xs"
          color="red"
          variant="light"
          disabled={!canAct}
          title={why}
          aria-describedby={described}
          onClick={() => onConfirm({ item, intent: 'terminate' })}
        >
          Terminate…
        </Button>
      </Group>
      {canAct ? null : (
        <Text size="xs" c="dimmed" data-testid="stuck-actions-disabled">
          operator-write needed
        </Text>
      )}
    </Stack>
  );
}

function ConfirmModal({
  confirming,
  onClose,
}: {
  confirming: { item: StuckActivity; intent: 'cancel' | 'terminate' } | null;
  onClose: () => void;
}) {
  const navigation = useNavigation();
  const terminate = confirming?.intent === 'terminate';
  return (
    <Modal
      opened={confirming !== null}
      onClose={onClose}
      title={terminate ? 'Terminate the workflow' : 'Cancel the workflow'}
      size="lg"
    >
      {confirming ? (
        <Form
          method="post"
          aria-label={terminate ? 'Confirm termination' : 'Confirm cancellation'}
          onSubmit={() => setTimeout(onClose, 0)}
        >
          <input type="hidden" name="intent" value={confirming.intent} />
          <input type="hidden" name="workflowId" value={confirming.item.workflowId} />
          <Stack gap="sm">
            <Text size="sm">
              <Code>{confirming.item.workflowId}</Code>{' '}
              {terminate
                ? 'ends at once: nothing more runs, and nothing it did is undone. Its operation shows as terminated.'
                : 'is asked to cancel: it stops its activities and undoes what it did, as it was written to.'}
            </Text>
            <Textarea
              name="reason"
              label={terminate ? 'Reason (recorded in Temporal and the audit log)' : 'Reason (optional, audited)'}
              required={terminate}
              minRows={2}
              maxLength={500}
              data-autofocus
            />
            <Group justify="flex-end" gap="sm">
              <Button variant="default" onClick={onClose}>
                Keep it running
              </Button>
              <Button type="submit" color={terminate ? 'red' : undefined} loading={navigation.state === 'submitting'}>
                {terminate ? 'Terminate' : 'Request cancellation'}
              </Button>
            </Group>
          </Stack>
        </Form>
      ) : null}
    </Modal>
  );
}
