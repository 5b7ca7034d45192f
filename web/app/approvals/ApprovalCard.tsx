import { Anchor, Badge, Button, Card, Group, Stack, Text, Textarea } from '@mantine/core';
import { Form, href, Link, useNavigation } from 'react-router';
import type { ApprovalRequestView, Problem } from '../../../contracts/index.ts';
import { Timestamp } from '../components/Timestamp.tsx';

/** The promotion a request of kind `promotion` is about (its subject id is `<environment>/<number>`). */
export interface PromotionSubject {
  environment: string;
  number: number;
  /** The release it promotes; null when its promotions could not be read. */
  release: number | null;
}

/**
 * One request of the approvals queue: what it is, which stage waits for whom, the decisions
 * so far, and approve / reject with a comment (a rejection needs one: the requester is told).
 * A promotion's card names its release and links to the tenant's releases (what runs where).
 */
export function ApprovalCard({
  approval,
  promotion = null,
  problem,
}: {
  approval: ApprovalRequestView;
  /** For a request of kind `promotion`: the promotion it is about. */
  promotion?: PromotionSubject | null;
  problem: Problem | null;
}) {
  const navigation = useNavigation();
  const busy = navigation.state !== 'idle' && navigation.formData?.get('requestId') === approval.id;
  return (
    <Card withBorder padding="md" data-testid="approval-card" data-request-id={approval.id}>
      <Stack gap="xs">
        <Group justify="space-between" wrap="wrap" gap="xs">
          <Text fw={600} style={{ overflowWrap: 'anywhere' }}>
            {approval.subject.label}
          </Text>
          <Group gap={6}>
            {promotion?.release ? (
              <Badge variant="outline" color="blue" tt="none" data-testid="approval-release">
                Release {promotion.release}
              </Badge>
            ) : null}
            <Badge
              variant="light"
              color={approval.status === 'pending' ? 'yellow' : approval.status === 'approved' ? 'green' : 'red'}
            >
              {approval.status}
            </Badge>
          </Group>
        </Group>
        {promotion ? (
          <Text size="sm" data-testid="approval-promotion">
            Promotion {promotion.number} into {promotion.environment}
            {promotion.release ? ` of release ${promotion.release}` : ''}:{' '}
            <Anchor
              component={Link}
              to={href('/tenants/:slug/releases', { slug: approval.tenant.slug })}
              size="sm"
              data-testid="approval-releases-link"
            >
              the tenant’s releases and what runs where
            </Anchor>
          </Text>
        ) : null}
        {approval.subject.kind === 'secret-change' || approval.subject.kind === 'secret-reveal' ? (
          <Text size="sm" data-testid="approval-secret">
            {approval.subject.kind === 'secret-change'
              ? 'A new value of a production secret, kept aside until approved (destroyed if not); the approval shows no value.'
              : 'A reveal of a production secret: approved, its requester may see the value once, shortly.'}{' '}
            <Anchor
              component={Link}
              to={href('/operations/:operationId', { operationId: approval.operation.id })}
              size="sm"
            >
              Its operation
            </Anchor>
          </Text>
        ) : null}
        {approval.subject.kind === 'plan-change' ? (
          <Text size="sm" data-testid="approval-plan-change">
            The plan it moves to needs a platform admin&apos;s approval, as signing up on it does; approved, the change
            goes on.{' '}
            <Anchor component={Link} to={href('/tenants/:slug/plan', { slug: approval.tenant.slug })} size="sm">
              The tenant’s plan and usage
            </Anchor>
          </Text>
        ) : null}
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
            {promotion ? 'Follow the promotion' : 'Follow the operation'}
          </Link>
        </Text>
      </Stack>
    </Card>
  );
}
