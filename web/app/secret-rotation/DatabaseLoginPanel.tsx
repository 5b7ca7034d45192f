import { Anchor, Badge, Button, Code, Group, Paper, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { Form, href, Link, useNavigation } from 'react-router';
import type { DatabaseLoginOverview, DatabaseLoginRotation, Problem } from '../../../contracts/index.ts';
import { Timestamp } from '../components/Timestamp.tsx';

const OUTCOME_COLOR: Record<DatabaseLoginRotation['outcome'], string> = {
  running: 'blue',
  completed: 'green',
  rolled_back: 'orange',
  failed: 'red',
};

/**
 * A tenant's database login (docs/decisions/0032, 0036), for platform admins: which of its two
 * logins is current, when it was last rotated and is next due, "Rotate now" (confirmed, then the
 * live operation), the rotation policy, and the rotations with what each verified.
 */
export function DatabaseLoginPanel({
  login,
  tenantActive,
  problem,
}: {
  login: DatabaseLoginOverview;
  tenantActive: boolean;
  /** The policy form's refusal, if it was the last action. */
  problem: Problem | null;
}) {
  const busy = useNavigation().state !== 'idle';
  const [confirming, setConfirming] = useState(false);
  const everyError = problem?.errors?.find((error) => error.path === 'every')?.message ?? null;
  return (
    <Paper withBorder p="md" data-testid="database-login">
      <Title order={2} size="h4" mb="sm">
        Database login
      </Title>
      <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="xs" mb="md">
        <div>
          <Text size="xs" c="dimmed">
            Active login
          </Text>
          {login.currentLogin ? (
            <Code data-testid="database-login-current">{login.currentLogin}</Code>
          ) : (
            <Text size="sm">none (not provisioned)</Text>
          )}
        </div>
        <div>
          <Text size="xs" c="dimmed">
            Last rotated
          </Text>
          {login.rotatedAt ? <Timestamp value={login.rotatedAt} size="sm" /> : <Text size="sm">never</Text>}
        </div>
        <div>
          <Text size="xs" c="dimmed">
            Next due
          </Text>
          {login.policy?.nextDueAt ? (
            <Timestamp value={login.policy.nextDueAt} size="sm" />
          ) : (
            <Text size="sm">{login.policy ? 'paused' : 'no policy'}</Text>
          )}
        </div>
      </SimpleGrid>

      <Stack gap="sm" mb="md">
        {login.rotating ? (
          <Text size="sm" data-testid="database-login-rotating">
            A rotation is under way:{' '}
            <Anchor component={Link} to={href('/operations/:operationId', { operationId: login.rotating.operationId })}>
              follow it
            </Anchor>
            .
          </Text>
        ) : !tenantActive ? (
          <Text size="sm" c="dimmed">
            Only an active tenant's login can be rotated.
          </Text>
        ) : confirming ? (
          <Form method="post" aria-label="Rotate the database login">
            <input type="hidden" name="intent" value="database-login-rotate" />
            <Text size="sm" mb="xs">
              The idle login gets a new password, every consumer is handed it and must connect with it, and only then
              does it become current; the old login keeps working for the overlap window.
            </Text>
            <Group>
              <Button type="submit" loading={busy}>
                Confirm rotation
              </Button>
              <Button variant="default" onClick={() => setConfirming(false)}>
                Cancel
              </Button>
            </Group>
          </Form>
        ) : (
          <Group>
            <Button variant="light" onClick={() => setConfirming(true)} disabled={!login.currentLogin}>
              Rotate now…
            </Button>
          </Group>
        )}

        <Form method="post" aria-label="Database login rotation policy">
          <Group align="flex-end" wrap="wrap">
            <TextInput
              name="every"
              label="Rotate every"
              description={`A duration such as 30d or 12h; at least ${login.minimumEvery}.`}
              defaultValue={login.policy?.every ?? ''}
              error={everyError}
              required
              w={{ base: '100%', xs: 240 }}
            />
            <Button type="submit" name="intent" value="database-login-policy-set" variant="default" loading={busy}>
              {login.policy ? 'Change policy' : 'Set policy'}
            </Button>
            {login.policy ? (
              <Button
                type="submit"
                name="intent"
                value="database-login-policy-remove"
                variant="subtle"
                color="red"
                formNoValidate
              >
                Remove policy
              </Button>
            ) : null}
          </Group>
        </Form>
      </Stack>

      <Title order={3} size="h5" mb="xs">
        Rotations
      </Title>
      {login.rotations.length === 0 ? (
        <Text size="sm" c="dimmed" data-testid="database-login-empty">
          This login has never been rotated. Rotate it now, or set a policy so a Schedule rotates it.
        </Text>
      ) : (
        <Stack gap="xs" data-testid="database-login-rotations">
          {login.rotations.map((rotation) => (
            <Paper key={rotation.rotationId} withBorder p="xs" data-testid="database-login-rotation">
              <Group gap="xs" wrap="wrap">
                <Badge color={OUTCOME_COLOR[rotation.outcome]} variant="light">
                  {rotation.outcome.replace('_', ' ')}
                </Badge>
                <Timestamp value={rotation.startedAt} />
                <Text size="sm" c="dimmed">
                  {rotation.trigger === 'schedule' ? 'by the policy' : 'by an admin'}
                </Text>
                {rotation.fromLogin && rotation.toLogin ? (
                  <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                    {rotation.fromLogin} → {rotation.toLogin}
                  </Text>
                ) : null}
                <Anchor
                  component={Link}
                  size="sm"
                  to={href('/operations/:operationId', { operationId: rotation.operationId })}
                >
                  operation
                </Anchor>
              </Group>
              {rotation.report.length > 0 ? (
                <Text size="xs" c="dimmed" mt={4} style={{ overflowWrap: 'anywhere' }}>
                  Checked <Timestamp value={rotation.report[0]!.at} size="xs" />:{' '}
                  {rotation.report.map((check) => `${check.consumer} (${check.outcome})`).join(', ')}
                </Text>
              ) : null}
              {rotation.reason ? (
                <Text size="xs" c="red" mt={4} style={{ overflowWrap: 'anywhere' }}>
                  {rotation.reason}
                </Text>
              ) : null}
            </Paper>
          ))}
        </Stack>
      )}
    </Paper>
  );
}
