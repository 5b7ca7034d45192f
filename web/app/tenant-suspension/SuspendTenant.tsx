import { Button, Group, TextInput } from '@mantine/core';
import { Form, useNavigation } from 'react-router';

/** Opens SuspendTenantForm: a suspension is confirmed, never one click. */
export function SuspendTenantButton({ onClick }: { onClick: () => void }) {
  return (
    <Button color="red" variant="light" onClick={onClick}>
      Suspend…
    </Button>
  );
}

/** The reason (members see it) and the confirmation; `actionKey` makes a resent form one operation. */
export function SuspendTenantForm({ actionKey, onCancel }: { actionKey: string; onCancel: () => void }) {
  const busy = useNavigation().state !== 'idle';
  return (
    <Form method="post" aria-label="Suspend tenant">
      <input type="hidden" name="intent" value="suspend" />
      <input type="hidden" name="key" value={actionKey} />
      <Group align="flex-end">
        <TextInput name="reason" label="Why (members see it)" required w={360} />
        <Button type="submit" color="red" loading={busy}>
          Confirm suspension
        </Button>
        <Button variant="default" onClick={onCancel}>
          Cancel
        </Button>
      </Group>
    </Form>
  );
}
