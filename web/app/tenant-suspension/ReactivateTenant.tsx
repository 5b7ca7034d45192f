import { Button, Group, Text } from '@mantine/core';
import { Form, useNavigation } from 'react-router';

/** Opens ReactivateTenantForm. */
export function ReactivateTenantButton({ onClick }: { onClick: () => void }) {
  return <Button onClick={onClick}>Reactivate…</Button>;
}

/** The confirmation of a reactivation; `actionKey` makes a resent form one operation. */
export function ReactivateTenantForm({ actionKey, onCancel }: { actionKey: string; onCancel: () => void }) {
  const busy = useNavigation().state !== 'idle';
  return (
    <Form method="post" aria-label="Reactivate tenant">
      <input type="hidden" name="intent" value="reactivate" />
      <input type="hidden" name="key" value={actionKey} />
      <Group>
        <Text size="sm">Restore the workloads and reopen the API?</Text>
        <Button type="submit" loading={busy}>
          Confirm reactivation
        </Button>
        <Button variant="default" onClick={onCancel}>
          Cancel
        </Button>
      </Group>
    </Form>
  );
}
