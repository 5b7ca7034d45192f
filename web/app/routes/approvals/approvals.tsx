import {
  Anchor,
  Button,
  Checkbox,
  EmptyState,
  Group,
  NativeSelect,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { data, Form, href, Link, redirect } from 'react-router';
import type { Route } from './+types/approvals';
import { APPROVAL_REQUEST_STATUSES } from '../../../../contracts/index.ts';
import { ApprovalCard } from '../../approvals/ApprovalCard.tsx';
import { decide, loadQueue, promotionSubjects, queueFiltersOf } from '../../approvals/approvals.server.ts';
import { formText } from '../../form-text.ts';
import { loginPath, requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Approvals · Atrium' }];

export async function loader({ context, request, url }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const filters = queueFiltersOf(url);
  const call = { signal: request.signal, token: accessToken };
  const queue = await loadQueue(context, filters, call);
  return { filters, approvals: queue.approvals, promotions: await promotionSubjects(context, queue.approvals, call) };
}

/** Approve or reject one request; problems are shown on its card. */
export async function action({ context, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const form = await request.formData();
  const requestId = formText(form, 'requestId');
  const result = await decide(context, {
    token: accessToken,
    slug: formText(form, 'slug'),
    requestId,
    decision: formText(form, 'decision') === 'reject' ? 'reject' : 'approve',
    comment: formText(form, 'comment'),
  });
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    return data({ requestId, problem: result.problem, decided: null }, { status: result.status });
  }
  return { requestId, problem: null, decided: result.body };
}

export default function ApprovalsPage({ loaderData, actionData }: Route.ComponentProps) {
  const { approvals, filters, promotions } = loaderData;
  const filtered = filters.kind || filters.tenant || filters.status !== 'pending' || filters.all;
  return (
    <Stack gap="lg">
      <div>
        <Title order={1}>Approvals</Title>
        <Text c="dimmed">What waits for your decision: tenants to approve, promotions to let through.</Text>
      </div>
      <Form method="get" aria-label="Filter approvals" data-testid="approval-filters">
        <Group align="flex-end" gap="sm" wrap="wrap">
          <NativeSelect
            name="status"
            label="Status"
            size="xs"
            defaultValue={filters.status}
            data={APPROVAL_REQUEST_STATUSES.map((status) => ({ value: status, label: status }))}
          />
          <NativeSelect
            name="kind"
            label="Kind"
            size="xs"
            defaultValue={filters.kind}
            data={[
              { value: '', label: 'Any kind' },
              { value: 'tenant', label: 'Tenant' },
              { value: 'promotion', label: 'Promotion' },
              { value: 'plan-change', label: 'Plan change' },
              { value: 'secret-change', label: 'Secret value' },
              { value: 'secret-reveal', label: 'Secret reveal' },
            ]}
          />
          <TextInput name="tenant" label="Tenant (slug)" size="xs" w={180} defaultValue={filters.tenant} />
          <Checkbox name="all" value="true" label="Also those I cannot decide" size="xs" defaultChecked={filters.all} />
          <Button type="submit" size="xs" variant="light">
            Filter
          </Button>
          {filtered ? (
            <Anchor component={Link} to={href('/approvals')} size="sm">
              Clear
            </Anchor>
          ) : null}
        </Group>
      </Form>
      {actionData?.decided ? (
        <Text c="green" size="sm" role="status" data-testid="approval-decided">
          {actionData.decided.status === 'pending'
            ? `Your approval is recorded: ${actionData.decided.approvals} of ${actionData.decided.needed}.`
            : `The request is ${actionData.decided.status}.`}
        </Text>
      ) : null}
      {approvals.length === 0 ? (
        <EmptyState
          data-testid="approvals-empty"
          title={filtered ? 'No requests match' : 'Nothing waits for you'}
          description={
            filtered
              ? 'Change or clear the filters.'
              : 'Requests that need your decision appear here, and you get a mail.'
          }
        />
      ) : (
        <Stack gap="sm">
          {approvals.map((approval) => (
            <ApprovalCard
              key={approval.id}
              approval={approval}
              promotion={promotions[approval.id] ?? null}
              problem={actionData?.requestId === approval.id ? actionData.problem : null}
            />
          ))}
        </Stack>
      )}
    </Stack>
  );
}
