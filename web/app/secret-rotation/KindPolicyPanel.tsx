// The secrets page's "Rotation by kind": each kind's default rotation policy (docs/decisions/0039),
// which every secret of the kind without a policy of its own follows. Members with
// `secrets.manage` change or turn off a default; others read them. A plan without
// `secret-rotation` keeps the forms disabled and says which plan unlocks them (turning a
// default off stays possible).
import { Alert, Button, Group, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { Form, useNavigation } from 'react-router';
import type { SecretKindPolicyList } from '../../../contracts/index.ts';
import type { FeatureGate } from '../billing/feature-gate.server.ts';
import type { KindPolicyActionResult } from './kind-policy.server.ts';

export function KindPolicyPanel({
  policies,
  canManage,
  gate,
  result,
}: {
  policies: SecretKindPolicyList;
  canManage: boolean;
  gate: FeatureGate;
  result: KindPolicyActionResult | undefined;
}) {
  const navigation = useNavigation();
  const busy = (intent: string, kind: string) =>
    navigation.state === 'submitting' &&
    navigation.formData?.get('intent') === intent &&
    navigation.formData?.get('kind') === kind;
  return (
    <Paper withBorder p="md" data-testid="kind-policies">
      <Stack gap="sm">
        <Stack gap={4}>
          <Title order={2} size="h4">
            Rotation by kind
          </Title>
          <Text size="sm" c="dimmed">
            A secret without a rotation policy of its own is rotated at its kind's default. The shortest interval
            accepted is {policies.minimum}.
          </Text>
          {!gate.enabled ? (
            <Text size="sm" c="dimmed" data-testid="kind-policy-plan-gate">
              Available on the {gate.unlockedBy ?? 'team'} plan: the {gate.plan} plan does not include rotation
              policies.
            </Text>
          ) : null}
          {!canManage ? (
            <Text size="sm" c="dimmed" data-testid="kind-policy-read-only">
              Changing a default needs the secrets.manage permission.
            </Text>
          ) : null}
        </Stack>
        {policies.items.map(({ kind, policy }) => {
          const mine = result?.kind === kind ? result : undefined;
          return (
            <Stack key={kind} gap={4} data-testid="kind-policy" data-kind={kind}>
              <Group gap="xs" wrap="wrap">
                <Text fw={500} ff="monospace">
                  {kind}
                </Text>
                <Text size="sm" c={policy ? undefined : 'dimmed'} data-testid="kind-policy-current">
                  {policy ? `every ${policy.every}` : 'none'}
                </Text>
              </Group>
              {canManage ? (
                <Form method="post" aria-label={`Rotation of ${kind} secrets`} noValidate>
                  <input type="hidden" name="kind" value={kind} />
                  <Group gap="xs" align="flex-start" wrap="wrap">
                    <TextInput
                      key={policy?.every ?? 'none'}
                      name="every"
                      aria-label={`Rotate ${kind} secrets every`}
                      placeholder="30d"
                      defaultValue={policy?.every ?? ''}
                      disabled={!gate.enabled}
                      error={mine?.fieldErrors.every ?? mine?.fieldErrors.kind}
                      w={160}
                    />
                    <Button
                      type="submit"
                      name="intent"
                      value="kind-policy"
                      variant="light"
                      disabled={!gate.enabled}
                      loading={busy('kind-policy', kind)}
                    >
                      Save
                    </Button>
                    {policy ? (
                      <Button
                        type="submit"
                        name="intent"
                        value="kind-policy-off"
                        variant="subtle"
                        loading={busy('kind-policy-off', kind)}
                      >
                        Turn off
                      </Button>
                    ) : null}
                  </Group>
                </Form>
              ) : null}
              {mine?.saved ? (
                <Text size="sm" c="green" data-testid="kind-policy-saved">
                  {mine.intent === 'kind-policy' ? 'Saved.' : 'Turned off.'}
                </Text>
              ) : null}
              {mine?.problem && !mine.fieldErrors.every && !mine.fieldErrors.kind ? (
                <Alert color="red" title={mine.problem.title}>
                  {mine.problem.detail}
                </Alert>
              ) : null}
            </Stack>
          );
        })}
      </Stack>
    </Paper>
  );
}
