import { Anchor, Badge, Button, Group, Stack, Text } from '@mantine/core';
import { Form, Link } from 'react-router';
import type { User } from '../../../../contracts/index.ts';

/** The signed-in user in the header, and the way out. */
export function UserMenu({ user }: { user: User }) {
  return (
    <Group gap="sm" wrap="nowrap" data-testid="current-user" data-email={user.email}>
      {user.isPlatformAdmin ? (
        <Badge variant="light" color="grape" visibleFrom="xs" data-testid="platform-admin-badge">
          Platform admin
        </Badge>
      ) : null}
      <Stack gap={0} visibleFrom="sm" align="flex-end">
        <Anchor component={Link} to="/profile" size="sm" fw={500} lh={1.2} c="inherit" data-testid="current-user-name">
          {user.displayName}
        </Anchor>
        <Text size="xs" c="dimmed" lh={1.2}>
          {user.email}
        </Text>
      </Stack>
      <Form method="post" action="/logout">
        <Button type="submit" variant="default" size="xs">
          Log out
        </Button>
      </Form>
    </Group>
  );
}
