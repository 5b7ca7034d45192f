import { Anchor, EmptyState, Table, Text } from '@mantine/core';
import { href, Link } from 'react-router';
import type { Tenant } from '../../../../contracts/index.ts';
import { BuildingIcon } from '../icons.tsx';
import { Timestamp } from '../Timestamp.tsx';
import { TenantStatusBadge } from './TenantStatusBadge.tsx';

export function TenantsTable({ tenants }: { tenants: Tenant[] }) {
  if (tenants.length === 0) {
    return (
      <EmptyState
        data-testid="tenants-empty"
        icon={<BuildingIcon size={32} />}
        withIndicatorBackground
        title="No tenants yet"
        description="Create the first tenant with the form; its provisioning runs as a workflow you can watch live."
      />
    );
  }

  return (
    <Table.ScrollContainer minWidth={560}>
      <Table highlightOnHover verticalSpacing="sm" aria-label="Tenants" data-testid="tenants-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Slug</Table.Th>
            <Table.Th>Name</Table.Th>
            <Table.Th>Plan</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Created</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {tenants.map((tenant) => (
            <Table.Tr key={tenant.id} data-testid="tenant-row" data-slug={tenant.slug}>
              <Table.Td>
                <Anchor
                  component={Link}
                  to={href('/tenants/:slug/members', { slug: tenant.slug })}
                  ff="monospace"
                  size="sm"
                  title={`Members of ${tenant.name}`}
                  data-testid="tenant-members-link"
                >
                  {tenant.slug}
                </Anchor>
              </Table.Td>
              <Table.Td>{tenant.name}</Table.Td>
              <Table.Td tt="capitalize">{tenant.plan}</Table.Td>
              <Table.Td>
                <TenantStatusBadge status={tenant.status} />
                {tenant.failureReason ? (
                  <Text size="xs" c="red" mt={4}>
                    {tenant.failureReason}
                  </Text>
                ) : null}
              </Table.Td>
              <Table.Td>
                <Timestamp value={tenant.createdAt} c="dimmed" />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
