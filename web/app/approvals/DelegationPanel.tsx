// "While you are away": the signed-in member names another member who decides in their place
// for a period (UTC), sees the delegations they gave (and ends one early) and those naming
// them. api/approvals/delegation-routes.ts keeps them; decide.ts applies them.
import { Alert, Badge, Button, Group, NativeSelect, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { Form, useNavigation } from 'react-router';
import type { ApprovalDelegation, ApprovalDelegationList } from '../../../contracts/approval-policies.ts';
import type { Member, Problem } from '../../../contracts/index.ts';
import { Timestamp } from '../components/Timestamp.tsx';
import { dateTimeLocal } from '../webhooks/endpoint-form.ts';

function DelegationLine({ delegation, mine }: { delegation: ApprovalDelegation; mine: boolean }) {
  const status = delegation.revokedAt ? 'ended' : delegation.active ? 'in force' : 'not in force';
  return (
    <Group gap="xs" wrap="wrap" data-testid="delegation" data-delegation-id={delegation.id}>
      <Badge variant="light" color={delegation.active ? 'green' : 'gray'}>
        {status}
      </Badge>
      <Text size="sm">{mine ? `→ ${delegation.delegate.email}` : `for ${delegation.user.email}`}</Text>
      <Text size="xs" c="dimmed">
        <Timestamp value={delegation.startsAt} size="xs" span /> –{' '}
        <Timestamp value={delegation.endsAt} size="xs" span />
      </Text>
      {mine && !delegation.revokedAt ? (
        <Form method="post">
          <input type="hidden" name="delegationId" value={delegation.id} />
          <Button type="submit" name="intent" value="revoke" size="compact-xs" variant="subtle" color="red">
            End now
          </Button>
        </Form>
      ) : null}
    </Group>
  );
}

export function DelegationPanel({
  delegations,
  members,
  selfEmail,
  result,
}: {
  delegations: ApprovalDelegationList;
  members: Member[];
  selfEmail: string;
  result: { problem: Problem | null; fieldErrors: Record<string, string>; done: boolean } | undefined;
}) {
  const navigation = useNavigation();
  const busy = navigation.state !== 'idle' && navigation.formData?.get('intent') === 'delegate';
  const others = members.filter((member) => member.email !== selfEmail);
  const errors = result?.fieldErrors ?? {};
  const now = new Date();
  return (
    <Paper withBorder p="md" data-testid="delegation-panel">
      <Stack gap="sm">
        <Title order={2} size="h4">
          While you are away
        </Title>
        <Text size="sm" c="dimmed">
          Name a member who decides in your place for a period: where a stage would ask for you, they may approve or
          reject instead (never on a request either of you made), and the decision says it was on your behalf.
        </Text>
        {result?.problem && Object.keys(errors).length === 0 ? (
          <Alert color="red" title={result.problem.title}>
            {result.problem.detail}
          </Alert>
        ) : null}
        <Form method="post">
          <Group align="flex-start" gap="sm" wrap="wrap">
            <NativeSelect
              name="delegateId"
              label="Delegate"
              data={[
                { value: '', label: others.length === 0 ? 'No other member' : 'Choose a member' },
                ...others.map((member) => ({ value: member.userId, label: member.email })),
              ]}
              error={errors.delegateId}
              w={240}
            />
            <TextInput
              type="datetime-local"
              name="startsAt"
              label="From (UTC)"
              defaultValue={dateTimeLocal(now)}
              error={errors.startsAt}
              w={210}
            />
            <TextInput
              type="datetime-local"
              name="endsAt"
              label="Until (UTC)"
              defaultValue={dateTimeLocal(new Date(now.getTime() + 7 * 86_400_000))}
              error={errors.endsAt}
              w={210}
            />
            <Button
              type="submit"
              name="intent"
              value="delegate"
              mt={24}
              loading={busy}
              disabled={others.length === 0}
              title={others.length === 0 ? 'The tenant has no other member to stand in for you.' : undefined}
            >
              Delegate
            </Button>
          </Group>
        </Form>
        {delegations.given.length === 0 && delegations.received.length === 0 ? (
          <Text size="sm" c="dimmed" data-testid="delegations-empty">
            No delegations: you decide in person, and nobody has named you.
          </Text>
        ) : null}
        {delegations.given.map((delegation) => (
          <DelegationLine key={delegation.id} delegation={delegation} mine />
        ))}
        {delegations.received.map((delegation) => (
          <DelegationLine key={delegation.id} delegation={delegation} mine={false} />
        ))}
      </Stack>
    </Paper>
  );
}
