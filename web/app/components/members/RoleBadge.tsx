import { Badge } from '@mantine/core';
import type { Role } from '../../../../contracts/index.ts';

const colors: Record<Role, string> = {
  owner: 'grape',
  admin: 'blue',
  developer: 'teal',
  viewer: 'gray',
};

export function RoleBadge({ role }: { role: Role }) {
  return (
    <Badge color={colors[role]} variant="light" data-testid="member-role">
      {role}
    </Badge>
  );
}
