// The secret page's rotation policy and consumers: the policy in force (its own, or its kind's
// default) and when its Temporal Schedule rotates next, a form to change or turn it off, and
// the consumers editor. Members without `secrets.manage` read them; a plan without
// `secret-rotation` keeps the policy form disabled and says which plan unlocks it (turning a
// policy off stays possible).
import { Alert, Button, Group, Paper, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { Form, useNavigation } from 'react-router';
import type { SecretDetail } from '../../../contracts/index.ts';
import type { FeatureGate } from '../billing/feature-gate.server.ts';
import { Timestamp } from '../components/Timestamp.tsx';
import type { PolicyActionResult } from './policy.server.ts';

export function SecretPolicyPanel({
  secret,
  canManage,
  gate,
  result,
}: {
  secret: SecretDetail;
  canManage: boolean;
  gate: FeatureGate;
  result: PolicyActionResult | undefined;
}) {
  const navigation = useNavigation();
  const busy = (intent: string) => navigation.state === 'submitting' && navigation.formData?.get('intent') === intent;
  const policyResult = result?.intent === 'policy' || result?.intent === 'policy-off' ? result : undefined;
  const consumersResult = result?.intent === 'consumers' ? result : undefined;
  const policy = secret.rotationPolicy;
  return (
    <Paper withBorder p="md" data-testid="secret-policy">
      <Stack gap="md">
        <Stack gap={4}>
          <Title order={2} size="h4">
            Rotation policy
          </Title>
          <Text data-testid="policy-current">{policyText(secret)}</Text>
          <NextRotation secret={secret} />
        </Stack>
        {canManage ? (
          <Form method="post" aria-label="Rotation policy" noValidate>
            <Stack gap="xs">
              <TextInput
                key={policy?.every ?? 'none'}
                name="every"
                label="Rotate every"
                description="A duration like 30d or 12h, at least the minimum Atrium is configured with."
                defaultValue={policy?.every ?? ''}
                disabled={!gate.enabled}
                error={policyResult?.fieldErrors.every}
                maw={320}
              />
              <Group gap="xs">
                <Button type="submit" name="intent" value="policy" disabled={!gate.enabled} loading={busy('policy')}>
                  Save policy
                </Button>
                {policy ? (
                  <Button type="submit" name="intent" value="policy-off" variant="light" loading={busy('policy-off')}>
                    Turn rotation off
                  </Button>
                ) : null}
              </Group>
              {!gate.enabled ? (
                <Text size="sm" c="dimmed" data-testid="policy-plan-gate">
                  Available on the {gate.unlockedBy ?? 'team'} plan: the {gate.plan} plan does not include rotation
                  policies.
                </Text>
              ) : null}
              {policyResult?.saved ? (
                <Text size="sm" c="green" data-testid="policy-saved">
                  {policyResult.saved.rotationPolicy
                    ? `Saved: rotated every ${policyResult.saved.rotationPolicy.every}.`
                    : 'Rotation turned off: no more scheduled rotations.'}
                </Text>
              ) : null}
              {policyResult?.problem && !policyResult.fieldErrors.every ? (
                <Alert color="red" title={policyResult.problem.title}>
                  {policyResult.problem.detail}
                </Alert>
              ) : null}
            </Stack>
          </Form>
        ) : (
          <Text size="sm" c="dimmed" data-testid="policy-read-only">
            Changing the policy or the consumers needs the secrets.manage permission.
          </Text>
        )}
        <Stack gap="xs">
          <Title order={3} size="h5">
            Consumers
          </Title>
          {canManage ? (
            <Form method="post" aria-label="Consumers" noValidate>
              <input type="hidden" name="intent" value="consumers" />
              <Stack gap="xs">
                <Textarea
                  key={secret.consumers.join('\n')}
                  name="consumers"
                  label="Consumers"
                  description="Who uses the secret, one per line. A rotation verifies each through its hook in the rotation settings below."
                  defaultValue={secret.consumers.join('\n')}
                  autosize
                  minRows={2}
                  error={consumersResult?.fieldErrors.consumers}
                />
                <Group>
                  <Button type="submit" variant="light" loading={busy('consumers')}>
                    Save consumers
                  </Button>
                </Group>
                {consumersResult?.saved ? (
                  <Text size="sm" c="green" data-testid="consumers-saved">
                    Consumers saved.
                  </Text>
                ) : null}
                {consumersResult?.problem && !consumersResult.fieldErrors.consumers ? (
                  <Alert color="red" title={consumersResult.problem.title}>
                    {consumersResult.problem.detail}
                  </Alert>
                ) : null}
              </Stack>
            </Form>
          ) : secret.consumers.length ? (
            <Stack gap={2} data-testid="consumers-list">
              {secret.consumers.map((consumer) => (
                <Text key={consumer} size="sm" ff="monospace" style={{ wordBreak: 'break-all' }}>
                  {consumer}
                </Text>
              ))}
            </Stack>
          ) : (
            <Text size="sm" c="dimmed">
              No consumers named.
            </Text>
          )}
        </Stack>
      </Stack>
    </Paper>
  );
}

/** The policy in force: the secret's own, or its kind's default (docs/decisions/0039). */
function policyText(secret: SecretDetail): string {
  const effective = secret.effectivePolicy;
  if (!effective) return 'No rotation policy';
  if (effective.source === 'secret') return `Rotated every ${effective.every}`;
  return `Rotated every ${effective.every}: the default for ${secret.kind} secrets (set under Rotation by kind on the secrets page). A policy of its own replaces it.`;
}

/** When the Schedule rotates next, or why nothing is scheduled. */
function NextRotation({ secret }: { secret: SecretDetail }) {
  const { schedule } = secret;
  if (!secret.effectivePolicy) return null;
  if (schedule.state === 'unavailable')
    return (
      <Text size="sm" c="orange" data-testid="policy-next-rotation">
        The next rotation is not known right now: Temporal did not answer.
      </Text>
    );
  if (schedule.state === 'none')
    return (
      <Text size="sm" c="orange" data-testid="policy-next-rotation">
        Nothing is scheduled for this policy: save it again to recreate its Schedule.
      </Text>
    );
  const next = schedule.nextRotations[0];
  return (
    <Text size="sm" data-testid="policy-next-rotation">
      {next ? (
        <>
          Next rotation <Timestamp value={next} />
        </>
      ) : (
        'No rotation is due.'
      )}
      {schedule.paused ? ' (its Schedule is paused: nothing starts until it resumes)' : ''}
    </Text>
  );
}
