import { Alert, Button, EmptyState, Group, Modal, NativeSelect, Stack, Table, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useEffect, useRef } from 'react';
import { useFetcher } from 'react-router';
import type { Member, Problem, Role } from '../../../../contracts/index.ts';
import { Timestamp } from '../Timestamp.tsx';
import { RoleBadge } from './RoleBadge.tsx';

interface MembersTableProps {
  members: Member[];
  /** Every role, in the order of the API's permission matrix. */
  roles: readonly Role[];
  /** The caller's role allows members.manage: show the role select and the remove button. */
  canManage: boolean;
  currentUserId: string;
  /** The members route, which changes roles and removes members. */
  action: string;
}

export function MembersTable({ members, roles, canManage, currentUserId, action }: MembersTableProps) {
  if (members.length === 0) {
    return (
      <EmptyState data-testid="members-empty" title="No members yet" description="Nobody belongs to this tenant." />
    );
  }
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table verticalSpacing="sm" aria-label="Members" data-testid="members-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Email</Table.Th>
            <Table.Th>Role</Table.Th>
            <Table.Th>Joined</Table.Th>
            {canManage ? <Table.Th aria-label="Actions" /> : null}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {members.map((member) => (
            <MemberRow
              key={member.userId}
              member={member}
              roles={roles}
              canManage={canManage}
              isYou={member.userId === currentUserId}
              action={action}
            />
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

interface MemberRowProps {
  member: Member;
  roles: readonly Role[];
  canManage: boolean;
  isYou: boolean;
  action: string;
}

type ChangeResult = { userId: string | null; problem: Problem | null };

/** One member; its own fetcher, so each row shows its own progress and its own problem. */
function MemberRow({ member, roles, canManage, isYou, action }: MemberRowProps) {
  const fetcher = useFetcher<ChangeResult>();
  const [confirming, confirm] = useDisclosure(false);
  const pendingRole = fetcher.formData?.get('intent') === 'change-role' ? fetcher.formData.get('role') : null;
  const removing = fetcher.state !== 'idle' && fetcher.formData?.get('intent') === 'remove';
  const problem = fetcher.state === 'idle' ? fetcher.data?.problem : null;

  // A submission has been answered (done, or refused): the question is settled.
  const previousState = useRef(fetcher.state);
  useEffect(() => {
    if (previousState.current !== 'idle' && fetcher.state === 'idle') confirm.close();
    previousState.current = fetcher.state;
  }, [fetcher.state, confirm]);

  const role = typeof pendingRole === 'string' ? pendingRole : member.role;

  return (
    <Table.Tr data-testid="member-row" data-email={member.email} data-role={member.role}>
      <Table.Td>
        <Text size="sm" fw={500}>
          {member.displayName}
          {isYou ? (
            <Text span c="dimmed" size="sm">
              {' '}
              (you)
            </Text>
          ) : null}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{member.email}</Text>
      </Table.Td>
      <Table.Td>
        {canManage ? (
          <NativeSelect
            aria-label={`Role of ${member.email}`}
            size="xs"
            w={130}
            value={role}
            disabled={fetcher.state !== 'idle'}
            data={roles.map((value) => ({ value, label: value }))}
            onChange={(event) =>
              void fetcher.submit(
                { intent: 'change-role', userId: member.userId, role: event.currentTarget.value },
                { method: 'post', action },
              )
            }
          />
        ) : (
          <RoleBadge role={member.role} />
        )}
        {problem ? (
          <Alert color="red" p="xs" mt={6} maw={360} title={problem.title} data-testid="member-problem">
            {problem.detail}
          </Alert>
        ) : null}
      </Table.Td>
      <Table.Td>
        <Timestamp value={member.joinedAt} c="dimmed" />
      </Table.Td>
      {canManage ? (
        <Table.Td>
          <Button variant="subtle" color="red" size="xs" onClick={confirm.open} loading={removing}>
            Remove
          </Button>
          <Modal opened={confirming} onClose={confirm.close} title="Remove member" centered>
            <fetcher.Form method="post" action={action}>
              <input type="hidden" name="intent" value="remove" />
              <input type="hidden" name="userId" value={member.userId} />
              <Stack>
                <Text size="sm">
                  Remove <b>{member.displayName}</b> ({member.email}) from this tenant? They lose access at once.
                </Text>
                <Group justify="flex-end">
                  <Button variant="default" onClick={confirm.close}>
                    Cancel
                  </Button>
                  <Button type="submit" color="red" loading={removing}>
                    Remove member
                  </Button>
                </Group>
              </Stack>
            </fetcher.Form>
          </Modal>
        </Table.Td>
      ) : null}
    </Table.Tr>
  );
}
