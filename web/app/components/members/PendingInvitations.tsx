import { Anchor, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { href, Link } from 'react-router';
import type { PendingInvitationList } from '../../../../contracts/index.ts';
import { Timestamp } from '../Timestamp.tsx';
import { RoleBadge } from './RoleBadge.tsx';

/**
 * The people invited who have not joined yet (an owner invited by provisioning among them),
 * under the members; the invitations page manages them. Rows wrap, so it fits a phone.
 */
export function PendingInvitations({
  slug,
  invitations,
}: {
  slug: string;
  invitations: PendingInvitationList['items'];
}) {
  return (
    <Paper withBorder p="md" component="section" aria-labelledby="pending-invitations-title">
      <Group justify="space-between" mb="sm" gap="xs">
        <Title order={2} size="h4" id="pending-invitations-title">
          Invited, not joined yet
        </Title>
        <Anchor component={Link} to={href('/tenants/:slug/invitations', { slug })} size="sm">
          Manage invitations
        </Anchor>
      </Group>
      <Stack gap="xs" component="ul" p={0} m={0} style={{ listStyle: 'none' }}>
        {invitations.map((invitation) => (
          <Group
            key={invitation.id}
            component="li"
            gap="xs"
            wrap="wrap"
            data-testid="pending-member-row"
            data-email={invitation.email}
            data-role={invitation.role}
          >
            <Text style={{ overflowWrap: 'anywhere' }}>{invitation.email}</Text>
            <RoleBadge role={invitation.role} />
            <Text size="sm" c="dimmed">
              pending, expires
            </Text>
            <Timestamp value={invitation.expiresAt} c="dimmed" />
          </Group>
        ))}
      </Stack>
    </Paper>
  );
}
