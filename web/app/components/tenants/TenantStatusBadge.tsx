import { Badge } from '@mantine/core';
import type { TenantStatus } from '../../../../contracts/index.ts';

const colors: Record<TenantStatus, string> = {
  pending: 'yellow',
  active: 'green',
  failed: 'red',
  suspended: 'orange',
  offboarding: 'grape',
  offboarded: 'gray',
};

export function TenantStatusBadge({ status }: { status: TenantStatus }) {
  return (
    <Badge color={colors[status]} variant="light" data-testid="tenant-status">
      {status}
    </Badge>
  );
}
