import { Alert, Button, Group, Modal, NativeSelect, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Form, useNavigation } from 'react-router';
import type { Problem, WebhookEndpoint } from '../../../contracts/index.ts';
import { Timestamp } from '../components/Timestamp.tsx';

const GRACE_PERIODS = [
  { value: '0s', label: 'End the old secret now' },
  { value: '1h', label: 'Keep the old one 1 hour' },
  { value: '24h', label: 'Keep the old one 24 hours' },
  { value: '7d', label: 'Keep the old one 7 days' },
];

/** Rotate the secret, disable or enable, delete: what a member with webhooks.manage may do to an endpoint. */
export function EndpointControls({ endpoint, problem }: { endpoint: WebhookEndpoint; problem: Problem | null }) {
  const navigation = useNavigation();
  const busy = (intent: string) => navigation.state === 'submitting' && navigation.formData?.get('intent') === intent;
  return (
    <Stack gap="md">
      <Stack gap="xs">
        <Title order={3} size="h5">
          Signing secret
        </Title>
        {endpoint.previousSecretExpiresAt ? (
          <Text size="sm" data-testid="previous-secret-expires">
            Rotated: the previous secret also signs every delivery until{' '}
            <Timestamp value={endpoint.previousSecretExpiresAt} fw={500} />.
          </Text>
        ) : (
          <Text size="sm" c="dimmed">
            Rotating makes a new secret, shown once; during the grace period each request carries both signatures.
          </Text>
        )}
        <Form method="post" aria-label="Rotate the signing secret">
          <input type="hidden" name="intent" value="rotate" />
          <input type="hidden" name="endpointId" value={endpoint.id} />
          <Group align="flex-end" gap="sm">
            <NativeSelect name="gracePeriod" label="Grace period" data={GRACE_PERIODS} defaultValue="24h" />
            <Button type="submit" variant="default" loading={busy('rotate')}>
              Rotate secret
            </Button>
          </Group>
        </Form>
      </Stack>
      <Group gap="sm">
        {endpoint.status === 'enabled' ? null : (
          <SetEnabled
            endpointId={endpoint.id}
            enabled
            label={endpoint.status === 'paused' ? 'Resume delivery' : 'Enable'}
          />
        )}
        {endpoint.status === 'disabled' ? null : (
          <SetEnabled endpointId={endpoint.id} enabled={false} label="Disable" />
        )}
        <DeleteEndpoint endpoint={endpoint} />
      </Group>
      {problem ? (
        <Alert color="red" title={problem.title} data-testid="endpoint-controls-problem">
          {problem.errors?.[0]?.message ?? problem.detail}
        </Alert>
      ) : null}
    </Stack>
  );
}

/** Enables (or resumes a paused endpoint's queue) or disables. */
function SetEnabled({ endpointId, enabled, label }: { endpointId: string; enabled: boolean; label: string }) {
  const navigation = useNavigation();
  const busy =
    navigation.state === 'submitting' &&
    navigation.formData?.get('intent') === 'set-enabled' &&
    navigation.formData.get('enabled') === String(enabled);
  return (
    <Form method="post" aria-label={label}>
      <input type="hidden" name="intent" value="set-enabled" />
      <input type="hidden" name="endpointId" value={endpointId} />
      <input type="hidden" name="enabled" value={String(enabled)} />
      <Button type="submit" variant="default" loading={busy}>
        {label}
      </Button>
    </Form>
  );
}

function DeleteEndpoint({ endpoint }: { endpoint: WebhookEndpoint }) {
  const [opened, modal] = useDisclosure(false);
  const navigation = useNavigation();
  return (
    <>
      <Button variant="subtle" color="red" onClick={modal.open}>
        Delete
      </Button>
      <Modal opened={opened} onClose={modal.close} title="Delete this endpoint" centered>
        <Form method="post">
          <input type="hidden" name="intent" value="delete" />
          <input type="hidden" name="endpointId" value={endpoint.id} />
          <Stack>
            <Text size="sm" style={{ wordBreak: 'break-all' }}>
              Delete <b>{endpoint.url}</b>? It gets no more events, its queue is dropped, its signing secret is
              destroyed and its delivery log goes with it. This cannot be undone.
            </Text>
            <Group justify="flex-end">
              <Button variant="default" onClick={modal.close}>
                Keep it
              </Button>
              <Button type="submit" color="red" loading={navigation.state === 'submitting'}>
                Delete endpoint
              </Button>
            </Group>
          </Stack>
        </Form>
      </Modal>
    </>
  );
}
