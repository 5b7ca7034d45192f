import {
  Anchor,
  Badge,
  Button,
  EmptyState,
  Group,
  NativeSelect,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { data, Form, href, Link, redirect } from 'react-router';
import type { Route } from './+types/admin';
import { loadFromApi } from '../../api/client.server.ts';
import type { OperationList, Tenant, TenantPage } from '../../../../contracts/index.ts';
import { TENANT_STATUSES } from '../../../../contracts/index.ts';
import { CursorPager, cursorLinks } from '../../components/CursorPager.tsx';
import { TenantStatusBadge } from '../../components/tenants/TenantStatusBadge.tsx';
import { Timestamp } from '../../components/Timestamp.tsx';
import { formText } from '../../form-text.ts';
import { loginPath, requirePlatformAdmin } from '../../session.server.ts';
import { ApprovalRow } from '../../tenant-provisioning/ApprovalRow.tsx';
import { decideApproval } from '../../tenant-provisioning/approval.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Admin console · Atrium' }];

/** How many tenants waiting for approval the console lists (the rest: filter by status). */
const APPROVALS_SHOWN = 100;

export async function loader({ context, request, url }: Route.LoaderArgs) {
  const { accessToken } = await requirePlatformAdmin(request, context);
  const call = { signal: request.signal, token: accessToken };
  // The overview's filters and page live in the URL (empty fields are left out).
  const filters = { q: url.searchParams.get('q') ?? '', status: url.searchParams.get('status') ?? '' };
  const query = new URLSearchParams({ limit: '50' });
  for (const name of ['q', 'status', 'cursor'] as const) {
    const value = url.searchParams.get(name);
    if (value) query.set(name, value);
  }
  const [tenants, waiting, operations] = await Promise.all([
    loadFromApi<TenantPage>(context, `/api/v1/tenants?${query}`, call),
    loadFromApi<TenantPage>(context, `/api/v1/tenants?status=pending&limit=${APPROVALS_SHOWN}`, call),
    loadFromApi<OperationList>(context, '/api/v1/operations?limit=200', call),
  ]);
  const inFlight: Record<string, number> = {};
  for (const operation of operations.items)
    if (operation.status === 'running' && operation.tenantId)
      inFlight[operation.tenantId] = (inFlight[operation.tenantId] ?? 0) + 1;
  return {
    tenants: tenants.items,
    pages: cursorLinks(url, tenants.nextCursor),
    filters,
    pending: waiting.items.filter((tenant) => tenant.approvalStatus === 'pending'),
    morePending: waiting.nextCursor !== null,
    inFlight,
  };
}

/** Approve or reject from the pending list; then the tenant's live operation. */
export async function action({ context, request }: Route.ActionArgs) {
  const { accessToken } = await requirePlatformAdmin(request, context);
  const form = await request.formData();
  const slug = formText(form, 'slug');
  const decision = formText(form, 'decision') === 'reject' ? 'reject' : 'approve';
  const reason = formText(form, 'reason');
  const result = await decideApproval(context, { slug, token: accessToken, decision, reason });
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    return data({ slug, problem: result.problem }, { status: result.status });
  }
  throw redirect(href('/operations/:operationId', { operationId: result.body.operation.id }));
}

export default function AdminPage({ loaderData, actionData }: Route.ComponentProps) {
  const { tenants, pending, inFlight } = loaderData;
  return (
    <Stack gap="lg">
      <div>
        <Title order={1}>Admin console</Title>
        <Text c="dimmed">Every tenant, what is running for it, and what waits for you.</Text>
      </div>
      <Paper withBorder p="md">
        <Title order={2} size="h4" mb="sm">
          Waiting for approval
        </Title>
        {pending.length === 0 ? (
          <Text size="sm" c="dimmed" data-testid="approvals-empty">
            Nothing waits for approval.
          </Text>
        ) : (
          <Stack gap="sm">
            {pending.map((tenant) => (
              <ApprovalRow
                key={tenant.id}
                tenant={tenant}
                problem={actionData?.slug === tenant.slug ? actionData.problem : null}
              />
            ))}
          </Stack>
        )}
        {loaderData.morePending ? (
          <Text size="sm" c="dimmed" mt="sm" data-testid="approvals-more">
            More than {APPROVALS_SHOWN} tenants are pending: filter the list below by status “pending” to see them all.
          </Text>
        ) : null}
      </Paper>
      <Paper withBorder p="md">
        <Form method="get" aria-label="Filter tenants" data-testid="admin-tenant-filters">
          <Group align="flex-end" mb="sm">
            <TextInput
              name="q"
              label="Slug or name starts with"
              defaultValue={loaderData.filters.q}
              w={240}
              size="xs"
            />
            <NativeSelect
              name="status"
              label="Status"
              defaultValue={loaderData.filters.status}
              data={[
                { value: '', label: 'Any status' },
                ...TENANT_STATUSES.map((status) => ({ value: status, label: status })),
              ]}
              size="xs"
            />
            <Button type="submit" size="xs" variant="light">
              Filter
            </Button>
            {loaderData.filters.q || loaderData.filters.status ? (
              <Anchor component={Link} to={href('/admin')} size="sm">
                Clear
              </Anchor>
            ) : null}
          </Group>
        </Form>
        <TenantsOverview tenants={tenants} inFlight={inFlight} />
        <CursorPager links={loaderData.pages} testId="admin-tenants-pages" />
      </Paper>
    </Stack>
  );
}

function TenantsOverview({ tenants, inFlight }: { tenants: Tenant[]; inFlight: Record<string, number> }) {
  if (tenants.length === 0) return <EmptyState title="No tenants" description="Nobody has signed up yet." />;
  return (
    <Table.ScrollContainer minWidth={760}>
      <Table highlightOnHover verticalSpacing="sm" aria-label="All tenants" data-testid="admin-tenants">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Tenant</Table.Th>
            <Table.Th>Plan</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>In flight</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {tenants.map((tenant) => (
            <Table.Tr key={tenant.id} data-testid="admin-tenant-row" data-slug={tenant.slug}>
              <Table.Td>
                <Anchor component={Link} to={href('/admin/tenants/:slug', { slug: tenant.slug })} ff="monospace">
                  {tenant.slug}
                </Anchor>
                <Text size="xs" c="dimmed">
                  {tenant.name}
                </Text>
              </Table.Td>
              <Table.Td>{tenant.plan}</Table.Td>
              <Table.Td>
                <Group gap={4}>
                  <TenantStatusBadge status={tenant.status} />
                  {tenant.approvalStatus === 'pending' ? (
                    <Badge color="yellow" variant="outline">
                      awaits approval
                    </Badge>
                  ) : null}
                </Group>
              </Table.Td>
              <Table.Td>
                <Timestamp value={tenant.createdAt} />
              </Table.Td>
              <Table.Td data-testid="in-flight">{inFlight[tenant.id] ?? 0}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
