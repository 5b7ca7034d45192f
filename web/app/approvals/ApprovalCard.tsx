import { Badge, Button, Card, Group, Stack, Text, Textarea } from '@mantine/core';
import { Form, href, Link, useNavigation } from 'react-router';
import type { ApprovalRequestView, Problem } from '../../../contracts/index.ts';
import { Timestamp } from '../components/Timestamp.tsx';

/**
 * One request of the approvals queue: what it is, which stage waits for whom, the decisions
 * so far, and approve / reject with a comment (a rejection needs one: the requester is told).
 */
export function ApprovalCard({ approval, problem }: { approval: ApprovalRequestView; problem: Problem | null }) {
  const navigation = useNavigation();
  const busy = navigation.state !== 'idle' && navigation.formData?.get('requestId') === approval.id;
  return (
    <Card withBorder padding="md" data-testid="approval-card" data-request-id={approval.id}>
      <Stack gap="xs">
        <Group justify="space-between" wrap="wrap" gap="xs">
          <Text fw={600} style={{ overflowWrap: 'anywhere' }}>
            {approval.subject.label}
          </Text>
          <Badge
            variant="light"
            color={approval.status === 'pending' ? 'yellow' : approval.status === 'approved' ? 'green' : 'red'}
          >
            {approval.status}
          </Badge>
        </Group>
        <Text size="sm" c="dimmed">
          {approval.tenant.slug} · {approval.subject.kind} · stage “{approval.stage.name}” needs {approval.stage.needs}{' '}
          ({approval.stage.approvals} so far) · expires <Timestamp value={approval.expiresAt} />
        </Text>
        {approval.decisions.length > 0 ? (
          <Stack gap={2}>
            {approval.decisions.map((decision) => (
              <Text key={`${decision.userId}-${decision.stage}`} size="xs">
                {decision.decision === 'approve' ? 'Approved' : 'Rejected'} <Timestamp value={decision.createdAt} />
                {decision.comment ? `: “${decision.comment}”` : ''}
              </Text>
            ))}
          </Stack>
        ) : null}
        {approval.reason ? <Text size="sm">Reason: {approval.reason}</Text> : null}
        {approval.canDecide ? (
          <Form method="post" aria-label={`Decide on ${approval.subject.label}`}>
            <input type="hidden" name="requestId" value={approval.id} />
            <input type="hidden" name="slug" value={approval.tenant.slug} />
            <Stack gap="xs">
              <Textarea
                name="comment"
                label="Comment"
                description="Optional to approve; required to reject (the requester is told)."
                autosize
                minRows={1}
                maxLength={1000}
                error={problem?.errors?.find((error) => error.path === 'comment')?.message}
              />
              <Group gap="xs" wrap="wrap">
                <Button type="submit" name="decision" value="approve" loading={busy} data-testid="approve">
                  Approve
                </Button>
                <Button type="submit" name="decision" value="reject" color="red" variant="light" data-testid="reject">
                  Reject
                </Button>
              </Group>
            </Stack>
          </Form>
        ) : approval.cannotDecideBecause && approval.status === 'pending' ? (
          <Text size="sm" c="dimmed">
            {approval.cannotDecideBecause}
          </Text>
        ) : null}
        {problem && !problem.errors?.length ? (
          <Text c="red" size="sm" role="alert" data-testid="approval-problem">
            {problem.detail ?? problem.title}
          </Text>
        ) : null}
        <Text size="xs">
          <Link to={href('/operations/:operationId', { operationId: approval.operation.id })}>
            Follow the operation
          </Link>
        </Text>
      </Stack>
    </Card>
  );
}
