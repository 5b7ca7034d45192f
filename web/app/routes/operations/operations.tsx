import { Group, NativeSelect, Paper, Stack, Text, Title } from '@mantine/core';
import { Form, useSubmit } from 'react-router';
import type { Route } from './+types/operations';
import { loadFromApi } from '../../api/client.server.ts';
import type { OperationList, TenantPage } from '../../../../contracts/index.ts';
import { OPERATION_KINDS, operationKindLabel } from '../../../../contracts/index.ts';
import { OperationsTable } from '../../components/operations/OperationsTable.tsx';
import { requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = () => [{ title: 'Operations · Atrium' }];

export async function loader({ context, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const call = { signal: request.signal, token: accessToken };
  const kind = new URL(request.url).searchParams.get('kind') ?? '';
  const query = kind ? `?${new URLSearchParams({ kind })}` : '';
  const [operations, tenants] = await Promise.all([
    loadFromApi<OperationList>(context, `/api/v1/operations${query}`, call),
    // Slugs to show beside the operations (the newest 100 tenants; others show their id).
    loadFromApi<TenantPage>(context, '/api/v1/tenants?limit=100', call),
  ]);
  return {
    kind,
    operations: operations.items,
    tenantSlugs: Object.fromEntries(tenants.items.map((tenant) => [tenant.id, tenant.slug])),
  };
}

export default function OperationsPage({ loaderData }: Route.ComponentProps) {
  const submit = useSubmit();

  return (
    <Stack gap="lg">
      <div>
        <Title order={1}>Operations</Title>
        <Text c="dimmed">Long-running work, each a Temporal workflow. Open one to follow it live.</Text>
      </div>
      <Form method="get" aria-label="Filter operations" onChange={(event) => submit(event.currentTarget)}>
        {/* Changing the kind reloads the list; the URL keeps the filter for links and reloads. */}
        <Group align="flex-end" gap="sm">
          <NativeSelect
            name="kind"
            label="Kind"
            w={240}
            defaultValue={loaderData.kind}
            data={[
              { value: '', label: 'All kinds' },
              ...OPERATION_KINDS.map((kind) => ({ value: kind, label: operationKindLabel(kind) })),
            ]}
          />
        </Group>
      </Form>
      <Paper withBorder p="md">
        <OperationsTable operations={loaderData.operations} tenantSlugs={loaderData.tenantSlugs} />
      </Paper>
    </Stack>
  );
}
