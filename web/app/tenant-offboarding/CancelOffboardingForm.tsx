import { Button, Group, Text } from '@mantine/core';
import { Form, useNavigation } from 'react-router';

/** Calls offboarding off while it waits out its grace period. */
export function CancelOffboardingForm({ actionKey }: { actionKey: string }) {
  const busy = useNavigation().state !== 'idle';
  return (
    <Form method="post" aria-label="Cancel offboarding">
      <input type="hidden" name="intent" value="cancel-offboard" />
      <input type="hidden" name="key" value={actionKey} />
      <Group>
        <Text size="sm">Deletion waits for the grace period; until then it can be called off.</Text>
        <Button type="submit" loading={busy}>
          Cancel offboarding
        </Button>
      </Group>
    </Form>
  );
}
