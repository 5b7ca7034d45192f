import { Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { Form, useNavigation } from 'react-router';

/** Opens OffboardTenantForm: offboarding is confirmed, never one click. */
export function OffboardTenantButton({ onClick }: { onClick: () => void }) {
  return (
    <Button color="red" variant="subtle" onClick={onClick}>
      Offboard…
    </Button>
  );
}

/** What offboarding deletes, the reason, an optional grace period, and the confirmation. */
export function OffboardTenantForm({ actionKey, onCancel }: { actionKey: string; onCancel: () => void }) {
  const busy = useNavigation().state !== 'idle';
  return (
    <Form method="post" aria-label="Offboard tenant">
      <input type="hidden" name="intent" value="offboard" />
      <input type="hidden" name="key" value={actionKey} />
      <Stack gap="xs">
        <Text size="sm">
          Its data is exported now and deleted after the grace period: namespaces, secrets, database, billing.
        </Text>
        <Group align="flex-end">
          <TextInput name="reason" label="Why" required w={320} />
          <TextInput name="gracePeriod" label="Grace period" placeholder="default (e.g. 7d)" w={160} />
          <Button type="submit" color="red" loading={busy}>
            Confirm offboarding
          </Button>
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </Form>
  );
}
