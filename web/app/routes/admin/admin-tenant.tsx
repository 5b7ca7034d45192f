import {
  Alert,
  Anchor,
  Badge,
  Breadcrumbs,
  Button,
  Code,
  Group,
  Paper,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import type { ReactNode } from 'react';
import { useState } from 'react';
import { data, Form, href, Link, redirect, useNavigation } from 'react-router';
import type { Route } from './+types/admin-tenant';
import { callApi } from '../../api/client.server.ts';
import { resultOrThrow } from '../../api/result.server.ts';
import type {
  CancelTenantOffboardingRequest,
  OffboardTenantRequest,
  OperationList,
  OperationStarted,
  Problem,
  ReactivateTenantRequest,
  SuspendTenantRequest,
  Tenant,
  TenantApproval,
  TenantApprovalRequest,
  TenantOffboardingCancellation,
  TenantOffboardingStarted,
  TenantResources,
  TenantTeardownReport,
} from '../../../../contracts/index.ts';
import { OperationsTable } from '../../components/operations/OperationsTable.tsx';
import { TenantStatusBadge } from '../../components/tenants/TenantStatusBadge.tsx';
import { Timestamp } from '../../components/Timestamp.tsx';
import { formText } from '../../form-text.ts';
import { loginPath, requirePlatformAdmin } from '../../session.server.ts';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `${params.slug} · Admin console · Atrium` }];

const tenantPath = (slug: string) => `/api/v1/tenants/${encodeURIComponent(slug)}`;

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requirePlatformAdmin(request, context);
  const call = { signal: request.signal, token: accessToken };
  const tenant = resultOrThrow(await callApi<Tenant>(context, tenantPath(params.slug), call), request);
  const [resources, operations] = await Promise.all([
    callApi<TenantResources>(context, `${tenantPath(params.slug)}/resources`, call),
    callApi<OperationList>(context, `/api/v1/operations?${new URLSearchParams({ tenantId: tenant.id })}`, call),
  ]);
  // The teardown report exists once offboarding started.
  const report =
    tenant.status === 'offboarding' || tenant.status === 'offboarded'
      ? await callApi<TenantTeardownReport>(context, `${tenantPath(params.slug)}/offboard/report`, call)
      : null;
  return {
    tenant,
    report: report?.ok ? report.body : null,
    resources: resultOrThrow(resources, request),
    operations: resultOrThrow(operations, request).items,
    // A new key each time the page is rendered: sending the same form twice is one operation.
    actionKey: crypto.randomUUID(),
  };
}

/** Every action starts (or decides) a workflow; success opens its live operation. */
export async function action({ context, params, request }: Route.ActionArgs) {
  const { accessToken } = await requirePlatformAdmin(request, context);
  const form = await request.formData();
  const intent = formText(form, 'intent');
  const reason = formText(form, 'reason');
  const calls: Partial<Record<string, { path: string; body: unknown }>> = {
    suspend: { path: '/suspend', body: { reason } satisfies SuspendTenantRequest },
    reactivate: { path: '/reactivate', body: {} satisfies ReactivateTenantRequest },
    approve: { path: '/approval', body: { decision: 'approve' } satisfies TenantApprovalRequest },
    reject: {
      path: '/approval',
      body: { decision: 'reject', ...(reason ? { reason } : {}) } satisfies TenantApprovalRequest,
    },
    offboard: {
      path: '/offboard',
      body: {
        reason,
        ...(formText(form, 'gracePeriod') ? { gracePeriod: formText(form, 'gracePeriod') } : {}),
      } satisfies OffboardTenantRequest,
    },
    'cancel-offboard': { path: '/offboard/cancel', body: {} satisfies CancelTenantOffboardingRequest },
  };
  const chosen = calls[intent];
  if (!chosen) {
    const problem: Problem = { type: 'about:blank', title: `Unknown action "${intent}"`, status: 400 };
    return data({ intent, problem }, 400);
  }
  const result = await callApi<
    OperationStarted | TenantApproval | TenantOffboardingStarted | TenantOffboardingCancellation
  >(context, `${tenantPath(params.slug)}${chosen.path}`, {
    method: 'POST',
    token: accessToken,
    body: chosen.body,
    // One click is one operation, even if the browser sends the form twice.
    headers:
      intent === 'suspend' || intent === 'reactivate'
        ? { 'idempotency-key': formText(form, 'key') || crypto.randomUUID() }
        : {},
  });
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    return data({ intent, problem: result.problem }, { status: result.status });
  }
  throw redirect(href('/operations/:operationId', { operationId: result.body.operation.id }));
}

export default function AdminTenantPage({ loaderData, actionData }: Route.ComponentProps) {
  const { tenant, resources, operations, actionKey, report } = loaderData;
  const problem = actionData?.problem ?? null;
  return (
    <Stack gap="lg">
      <Breadcrumbs>
        <Anchor component={Link} to="/admin" size="sm">
          Admin console
        </Anchor>
        <Text size="sm" ff="monospace">
          {tenant.slug}
        </Text>
      </Breadcrumbs>
      <Group justify="space-between" align="flex-start">
        <div>
          <Title order={1}>{tenant.name}</Title>
          <Group gap="xs" mt={4}>
            <TenantStatusBadge status={tenant.status} />
            <Badge variant="outline">{tenant.plan}</Badge>
            {tenant.approvalStatus ? (
              <Badge
                variant="outline"
                color={tenant.approvalStatus === 'pending' ? 'yellow' : 'gray'}
                data-testid="approval-status"
              >
                approval {tenant.approvalStatus}
              </Badge>
            ) : null}
            <Text size="sm" c="dimmed">
              created <Timestamp value={tenant.createdAt} />
            </Text>
          </Group>
          {tenant.failureReason ? (
            <Text c="red" size="sm" mt={4}>
              {tenant.failureReason}
            </Text>
          ) : null}
        </div>
        <Anchor component={Link} to={href('/tenants/:slug/members', { slug: tenant.slug })} size="sm">
          Open the tenant's pages
        </Anchor>
      </Group>
      {problem ? (
        <Alert color="red" title={problem.title} data-testid="admin-problem">
          {problem.errors?.[0]?.message ?? problem.detail}
        </Alert>
      ) : null}
      <Paper withBorder p="md">
        <Title order={2} size="h4" mb="sm">
          Actions
        </Title>
        <TenantActions tenant={tenant} actionKey={actionKey} />
      </Paper>
      <Paper withBorder p="md">
        <Title order={2} size="h4" mb="sm">
          Resources
        </Title>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs" data-testid="tenant-resources">
          <Resource label="Database role" value={resources.databaseRole} />
          <Resource label="Secret policy" value={resources.secretPolicy} />
          <Resource label="Billing customer" value={resources.billingCustomerId} />
          <Resource label="Subscription" value={resources.billingSubscriptionId} />
          <Resource
            label="Namespaces"
            value={resources.clusterNamespaces.length ? resources.clusterNamespaces.join(', ') : null}
            empty="none (no cluster configured, or not yet)"
          />
          <Resource
            label="License"
            value={resources.license ? `${resources.license.tier} · ${resources.license.licenseId}` : null}
          />
        </SimpleGrid>
      </Paper>
      {report ? <TeardownReportPanel slug={tenant.slug} report={report} /> : null}
      {resources.suspensions.length > 0 ? (
        <Paper withBorder p="md">
          <Title order={2} size="h4" mb="sm">
            Suspensions
          </Title>
          <Table aria-label="Suspensions" data-testid="suspensions">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>#</Table.Th>
                <Table.Th>Reason</Table.Th>
                <Table.Th>Suspended</Table.Th>
                <Table.Th>Reactivated</Table.Th>
                <Table.Th>Applied</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {resources.suspensions.map((s) => (
                <Table.Tr key={s.number}>
                  <Table.Td>{s.number}</Table.Td>
                  <Table.Td>{s.reason}</Table.Td>
                  <Table.Td>{s.suspendedAt ? <Timestamp value={s.suspendedAt} /> : '—'}</Table.Td>
                  <Table.Td>{s.reactivatedAt ? <Timestamp value={s.reactivatedAt} /> : 'in force'}</Table.Td>
                  <Table.Td>
                    <Text size="xs">
                      {s.sessionsRevoked ?? 0} sessions revoked, {s.workloadsScaledDown ?? 0} workloads scaled down
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      ) : null}
      <Paper withBorder p="md">
        <Title order={2} size="h4" mb="sm">
          Operations
        </Title>
        <OperationsTable operations={operations} tenantSlugs={{ [tenant.id]: tenant.slug }} />
      </Paper>
    </Stack>
  );
}

function Resource({
  label,
  value,
  empty = 'none',
}: {
  label: string;
  value: string | null;
  empty?: string;
}): ReactNode {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      {value ? <Code>{value}</Code> : <Text size="sm">{empty}</Text>}
    </div>
  );
}

/** Suspend and reactivate ask for a confirmation first; approve/reject only while pending. */
function TenantActions({ tenant, actionKey: key }: { tenant: Tenant; actionKey: string }) {
  const [confirming, setConfirming] = useState<'suspend' | 'reactivate' | 'offboard' | null>(null);
  const navigation = useNavigation();
  const busy = navigation.state !== 'idle';
  if (tenant.status === 'pending' && tenant.approvalStatus === 'pending')
    return (
      <Form method="post" aria-label="Decide approval">
        <Group align="flex-end">
          <TextInput name="reason" label="Reason (to reject)" w={320} />
          <Button type="submit" name="intent" value="approve" loading={busy}>
            Approve
          </Button>
          <Button type="submit" name="intent" value="reject" color="red" variant="light">
            Reject
          </Button>
        </Group>
      </Form>
    );
  if (confirming === 'offboard')
    return (
      <Form method="post" aria-label="Offboard tenant">
        <input type="hidden" name="intent" value="offboard" />
        <input type="hidden" name="key" value={key} />
        <Stack gap="xs">
          <Text size="sm">
            Its data is exported now and deleted after the grace period: namespaces, secrets, database, billing.
          </Text>
          <Group align="flex-end">
            <TextInput name="reason" label="Why" required w={320} />
            <TextInput name="gracePeriod" label="Grace period" placeholder="default (e.g. 7d)" w={160} />
            <Button type="submit" color="red" loading={busy}>
              Confirm offboarding
            </Button>
            <Button variant="default" onClick={() => setConfirming(null)}>
              Cancel
            </Button>
          </Group>
        </Stack>
      </Form>
    );
  const offboard = (
    <Button color="red" variant="subtle" onClick={() => setConfirming('offboard')}>
      Offboard…
    </Button>
  );
  if (tenant.status === 'offboarding')
    return (
      <Form method="post" aria-label="Cancel offboarding">
        <input type="hidden" name="intent" value="cancel-offboard" />
        <input type="hidden" name="key" value={key} />
        <Group>
          <Text size="sm">Deletion waits for the grace period; until then it can be called off.</Text>
          <Button type="submit" loading={busy}>
            Cancel offboarding
          </Button>
        </Group>
      </Form>
    );
  if (tenant.status === 'active')
    return confirming === 'suspend' ? (
      <Form method="post" aria-label="Suspend tenant">
        <input type="hidden" name="intent" value="suspend" />
        <input type="hidden" name="key" value={key} />
        <Group align="flex-end">
          <TextInput name="reason" label="Why (members see it)" required w={360} />
          <Button type="submit" color="red" loading={busy}>
            Confirm suspension
          </Button>
          <Button variant="default" onClick={() => setConfirming(null)}>
            Cancel
          </Button>
        </Group>
      </Form>
    ) : (
      <Group>
        <Button color="red" variant="light" onClick={() => setConfirming('suspend')}>
          Suspend…
        </Button>
        {offboard}
      </Group>
    );
  if (tenant.status === 'suspended')
    return confirming === 'reactivate' ? (
      <Form method="post" aria-label="Reactivate tenant">
        <input type="hidden" name="intent" value="reactivate" />
        <input type="hidden" name="key" value={key} />
        <Group>
          <Text size="sm">Restore the workloads and reopen the API?</Text>
          <Button type="submit" loading={busy}>
            Confirm reactivation
          </Button>
          <Button variant="default" onClick={() => setConfirming(null)}>
            Cancel
          </Button>
        </Group>
      </Form>
    ) : (
      <Group>
        <Button onClick={() => setConfirming('reactivate')}>Reactivate…</Button>
        {offboard}
      </Group>
    );
  return (
    <Text size="sm" c="dimmed">
      No actions while the tenant is {tenant.status}.
    </Text>
  );
}

/** What offboarding deleted (or will), with the evidence, and the data export to download. */
function TeardownReportPanel({ slug, report }: { slug: string; report: TenantTeardownReport }) {
  return (
    <Paper withBorder p="md" data-testid="teardown-report">
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4">
          Offboarding
        </Title>
        <Anchor href={`/admin/tenants/${encodeURIComponent(slug)}/export`} data-testid="export-download">
          Download the data export
        </Anchor>
      </Group>
      <Text size="sm" mb="xs">
        {report.reason} · started <Timestamp value={report.startedAt} />
        {report.cancelledAt ? ' · cancelled' : report.completedAt ? ' · completed' : ' · in grace period'}
      </Text>
      {report.resources.length ? (
        <Table aria-label="Deleted resources">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Resource</Table.Th>
              <Table.Th>Name</Table.Th>
              <Table.Th>Evidence of deletion</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {report.resources.map((resource) => (
              <Table.Tr key={`${resource.kind}/${resource.name}`} data-testid="teardown-resource">
                <Table.Td>{resource.kind}</Table.Td>
                <Table.Td>
                  <Code>{resource.name}</Code>
                </Table.Td>
                <Table.Td>
                  <Text size="xs">{resource.evidence}</Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : (
        <Text size="sm" c="dimmed">
          Nothing deleted yet.
        </Text>
      )}
    </Paper>
  );
}
