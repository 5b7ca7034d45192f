import { Button, Group, TextInput } from '@mantine/core';
import { Form, useNavigation } from 'react-router';

/** Approve or reject a tenant waiting for approval, on its admin page (approval.server.ts). */
export function ApprovalDecisionForm() {
  const busy = useNavigation().state !== 'idle';
  return (
    <Form method="post" aria-label="Decide approval">
      <Group align="flex-end">
        <TextInput name="reason" label="Reason (to reject)" w={320} />
        <Button type="submit" name="intent" value="approve" loading={busy}>
          Approve
        </Button>
        <Button type="submit" name="intent" value="reject" color="red" variant="light">
          Reject
        </Button>
      </Group>
    </Form>
  );
}
