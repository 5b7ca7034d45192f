import { Anchor, Badge, Button, Group, Stack, Text } from '@mantine/core';
import { Form, Link } from 'react-router';
import type { User } from '../../../../contracts/index.ts';

/** The signed-in user in the header (wide screens), and the way out. */
export function UserMenu({ user }: { user: User }) {
  return (
    <Group gap="sm" wrap="nowrap" data-testid="current-user" data-email={user.email}>
      {user.isPlatformAdmin ? (
        <Badge variant="light" color="grape" visibleFrom="md" data-testid="platform-admin-badge">
          Platform admin
        </Badge>
      ) : null}
      <Stack gap={0} align="flex-end" maw={220}>
        <Anchor
          component={Link}
          to="/profile"
          size="sm"
          fw={500}
          lh={1.2}
          c="inherit"
          truncate="end"
          maw="100%"
          data-testid="current-user-name"
        >
          {user.displayName}
        </Anchor>
        <Text size="xs" c="dimmed" lh={1.2} truncate="end" maw="100%">
          {user.email}
        </Text>
      </Stack>
      <LogoutButton />
    </Group>
  );
}

/**
 * The same in the navigation drawer on phones, where the header has no room for it. Its own
 * test ids: the header's copy is in the page too (hidden by CSS).
 */
export function UserMenuInNav({ user, onNavigate }: { user: User; onNavigate: () => void }) {
  return (
    <Stack gap="xs" data-testid="current-user-nav" data-email={user.email}>
      <div>
        <Anchor
          component={Link}
          to="/profile"
          size="sm"
          fw={500}
          c="inherit"
          onClick={onNavigate}
          data-testid="current-user-name-nav"
        >
          {user.displayName}
        </Anchor>
        <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
          {user.email}
        </Text>
        {user.isPlatformAdmin ? (
          <Badge variant="light" color="grape" mt={4}>
            Platform admin
          </Badge>
        ) : null}
      </div>
      <LogoutButton />
    </Stack>
  );
}

function LogoutButton() {
  return (
    <Form method="post" action="/logout">
      <Button type="submit" variant="default" size="xs">
        Log out
      </Button>
    </Form>
  );
}
