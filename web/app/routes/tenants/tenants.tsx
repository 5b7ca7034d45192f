import { Grid, Paper, Stack, Text, Title } from '@mantine/core';
import { data, href, redirect } from 'react-router';
import type { Route } from './+types/tenants';
import { callApi, loadFromApi } from '../../api/client.server.ts';
import type { TenantCreated, TenantPage } from '../../../../contracts/index.ts';
import type { CreateTenantFormValues } from '../../components/tenants/CreateTenantForm.tsx';
import { CreateTenantForm } from '../../components/tenants/CreateTenantForm.tsx';
import { CursorPager, cursorLinks } from '../../components/CursorPager.tsx';
import { formText } from '../../form-text.ts';
import { requireUser } from '../../session.server.ts';
import { TenantsTable } from '../../components/tenants/TenantsTable.tsx';

export const meta: Route.MetaFunction = () => [{ title: 'Tenants · Atrium' }];

export async function loader({ context, request, url }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const query = new URLSearchParams({ limit: '50' });
  const cursor = url.searchParams.get('cursor');
  if (cursor) query.set('cursor', cursor);
  const page = await loadFromApi<TenantPage>(context, `/api/v1/tenants?${query}`, {
    signal: request.signal,
    token: accessToken,
  });
  // A new key each time the form is rendered: submitting the same form twice is one creation.
  return {
    tenants: page.items,
    pages: cursorLinks(url, page.nextCursor),
    idempotencyKey: crypto.randomUUID(),
  };
}

export async function action({ context, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const form = await request.formData();
  const values: CreateTenantFormValues = {
    slug: formText(form, 'slug'),
    name: formText(form, 'name'),
    plan: formText(form, 'plan'),
    ownerEmail: formText(form, 'ownerEmail'),
  };
  const result = await callApi<TenantCreated>(context, '/api/v1/tenants', {
    method: 'POST',
    token: accessToken,
    body: values,
    headers: { 'idempotency-key': formText(form, 'idempotencyKey') || crypto.randomUUID() },
  });

  if (result.ok) {
    return redirect(href('/operations/:operationId', { operationId: result.body.operation.id }));
  }
  // A rejected submission consumed its key; the corrected form gets a fresh one.
  return data({ values, problem: result.problem, idempotencyKey: crypto.randomUUID() }, { status: result.status });
}

export default function TenantsPage({ loaderData, actionData }: Route.ComponentProps) {
  return (
    <Stack gap="lg">
      <div>
        <Title order={1}>Tenants</Title>
        <Text c="dimmed">Every tenant is provisioned by a durable workflow.</Text>
      </div>
      <Grid gap="lg">
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Paper withBorder p="md">
            <TenantsTable tenants={loaderData.tenants} />
            <CursorPager links={loaderData.pages} testId="tenants-pages" />
          </Paper>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Paper withBorder p="md">
            <Title order={2} size="h4" mb="sm">
              Create tenant
            </Title>
            <CreateTenantForm
              idempotencyKey={actionData?.idempotencyKey ?? loaderData.idempotencyKey}
              values={actionData?.values}
              problem={actionData?.problem}
            />
          </Paper>
        </Grid.Col>
      </Grid>
    </Stack>
  );
}
