// On the operation page of a production secret's change or reveal (docs/decisions/0035): what
// it waits for, and, for an approved reveal, the button that reveals the value once (the
// grant is used up; a second use is refused by the API).
import { Alert, Anchor, Button, Group, Stack, Text } from '@mantine/core';
import { Form, href, Link, useNavigation } from 'react-router';
import type { Operation, Problem, RevealedSecret } from '../../../contracts/index.ts';
import { RevealedNotice } from './RevealedNotice.tsx';

/** `secret-change/<slug>/<secret>/<n>` or `secret-reveal/<slug>/<secret>/<n>`, or null for another operation. */
export function secretApprovalOf(
  workflowId: string,
): { kind: 'change' | 'reveal'; slug: string; secretId: string; number: number } | null {
  const match = /^secret-(change|reveal)\/([^/]+)\/([^/]+)\/(\d+)$/.exec(workflowId);
  if (!match) return null;
  return {
    kind: match[1] as 'change' | 'reveal',
    slug: match[2]!,
    secretId: match[3]!,
    number: Number(match[4]),
  };
}

export function SecretApprovalPanel({
  operation,
  result,
}: {
  operation: Operation;
  result: { revealed: RevealedSecret | null; problem: Problem | null } | undefined;
}) {
  const navigation = useNavigation();
  const subject = secretApprovalOf(operation.workflowId);
  if (!subject) return null;
  const secretLink = (
    <Anchor
      component={Link}
      to={href('/tenants/:slug/secrets/:secretId', { slug: subject.slug, secretId: subject.secretId })}
      size="sm"
    >
      the secret
    </Anchor>
  );
  const waiting = operation.status === 'running';
  return (
    <Alert
      color={operation.status === 'failed' ? 'red' : waiting ? 'blue' : 'green'}
      title={subject.kind === 'change' ? 'A new value that needs an approval' : 'A reveal that needs an approval'}
      data-testid="secret-approval"
    >
      <Stack gap="xs">
        <Text size="sm">
          {subject.kind === 'change'
            ? 'The secret’s environment asks for an approval before its value changes. The new value is kept aside, not in use: approved, it becomes the current version; rejected or not decided in time, it is destroyed.'
            : 'The secret’s environment asks for an approval before its value is shown. Approved, you may reveal it here once, within a short time; the reveal is in the audit log.'}{' '}
          Another member decides, in{' '}
          <Anchor component={Link} to="/approvals" size="sm">
            the approvals
          </Anchor>
          ; back to {secretLink}.
        </Text>
        {subject.kind === 'reveal' && operation.status !== 'failed' ? (
          <Form method="post">
            <input type="hidden" name="intent" value="reveal-grant" />
            <Group gap="xs">
              <Button
                size="xs"
                type="submit"
                loading={navigation.state === 'submitting'}
                data-testid="secret-approval-reveal"
              >
                Reveal once
              </Button>
              {waiting ? (
                <Text size="xs" c="dimmed">
                  Works once an approver has approved it.
                </Text>
              ) : null}
            </Group>
          </Form>
        ) : null}
        {result ? <RevealedNotice result={result} /> : null}
      </Stack>
    </Alert>
  );
}
