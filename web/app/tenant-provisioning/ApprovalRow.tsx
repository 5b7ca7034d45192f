import { Button, Group, Text, TextInput } from '@mantine/core';
import { Form, useNavigation } from 'react-router';
import type { Problem, Tenant } from '../../../contracts/index.ts';
import { Timestamp } from '../components/Timestamp.tsx';

/**
 * One tenant of the admin console's "Waiting for approval" list, with approve and reject
 * (its action posts the slug, the decision and the reason to approval.server.ts).
 */
export function ApprovalRow({ tenant, problem }: { tenant: Tenant; problem: Problem | null }) {
  const navigation = useNavigation();
  return (
    <Form method="post" aria-label={`Approval of ${tenant.slug}`} data-testid="approval-row" data-slug={tenant.slug}>
      <input type="hidden" name="slug" value={tenant.slug} />
      <Group align="flex-end" wrap="wrap">
        <div style={{ minWidth: 200 }}>
          <Text fw={500}>{tenant.name}</Text>
          <Text size="xs" c="dimmed">
            {tenant.slug} · {tenant.plan} · asked <Timestamp value={tenant.createdAt} />
          </Text>
        </div>
        <TextInput name="reason" label="Reason (to reject)" size="xs" w={260} />
        <Button type="submit" name="decision" value="approve" size="xs" loading={navigation.state !== 'idle'}>
          Approve
        </Button>
        <Button type="submit" name="decision" value="reject" size="xs" color="red" variant="light">
          Reject
        </Button>
      </Group>
      {problem ? (
        <Text c="red" size="sm" mt={4} data-testid="approval-problem">
          {problem.errors?.[0]?.message ?? problem.detail ?? problem.title}
        </Text>
      ) : null}
    </Form>
  );
}
