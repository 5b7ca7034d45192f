import { Alert, Anchor, Badge, Button, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { data, Form, href, Link, redirect } from 'react-router';
import type { Route } from './+types/plan';
import type {
  InvoiceList,
  OperationStarted,
  PlanChangeRecord,
  Problem,
  ReconciliationList,
  TenantLicenseDocument,
  TenantPlanOverview,
  UsageSummary,
} from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { resultOrThrow } from '../../api/result.server.ts';
import { tenantApiPath } from '../../api/tenant-action.server.ts';
import type { InvoicesView } from '../../billing/InvoicesPanel.tsx';
import { InvoicesPanel } from '../../billing/InvoicesPanel.tsx';
import { LicensePanel } from '../../billing/LicensePanel.tsx';
import { PlanOptions } from '../../billing/PlanOptions.tsx';
import { ReconciliationsPanel } from '../../billing/ReconciliationsPanel.tsx';
import { UsagePanel } from '../../billing/UsagePanel.tsx';
import { TenantNav } from '../../components/tenants/TenantNav.tsx';
import { Timestamp } from '../../components/Timestamp.tsx';
import { loginPath, rememberTenant, requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `Plan of ${params.slug} · Atrium` }];

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const call = { signal: request.signal, token: accessToken };
  const tenant = tenantApiPath(params.slug);
  const [plan, usage, invoices, reconciliations, license] = await Promise.all([
    callApi<TenantPlanOverview>(context, `${tenant}/plan`, call),
    callApi<UsageSummary>(context, `${tenant}/usage?granularity=day`, call),
    callApi<InvoiceList>(context, `${tenant}/invoices`, call),
    callApi<ReconciliationList>(context, `${tenant}/reconciliations`, call),
    callApi<TenantLicenseDocument>(context, `${tenant}/license`, call),
  ]);
  const overview = resultOrThrow(plan, request);
  rememberTenant(context, params.slug);
  // Usage, invoices (Stripe may be down), records and the license are shown when they can be
  // read; the plan does not depend on them.
  const invoicesView: InvoicesView = invoices.ok
    ? { kind: 'list', list: invoices.body }
    : invoices.status === 403
      ? { kind: 'forbidden' }
      : { kind: 'failed', detail: invoices.problem.detail ?? invoices.problem.title };
  return {
    slug: params.slug,
    overview,
    usage: usage.ok ? usage.body : null,
    invoices: invoicesView,
    reconciliations: reconciliations.ok ? reconciliations.body : null,
    license: license.ok ? license.body : null,
  };
}

type ActionResult = { problem: Problem };

export async function action({ context, params, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const form = await request.formData();
  if (form.get('intent') === 'cancel') {
    const number = form.get('number');
    const result = await callApi(
      context,
      `${tenantApiPath(params.slug)}/plan-changes/${encodeURIComponent(typeof number === 'string' ? number : '')}/cancel`,
      {
        method: 'POST',
        token: accessToken,
      },
    );
    if (!result.ok && result.status === 401) throw redirect(loginPath(request));
    if (!result.ok) return data<ActionResult>({ problem: result.problem }, { status: result.status });
    return redirect(href('/tenants/:slug/plan', { slug: params.slug }));
  }
  const timing = form.get('timing');
  const result = await callApi<OperationStarted>(context, `${tenantApiPath(params.slug)}/plan-changes`, {
    method: 'POST',
    token: accessToken,
    body: { plan: form.get('plan'), ...(typeof timing === 'string' ? { timing } : {}) },
  });
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    return data<ActionResult>({ problem: result.problem }, { status: result.status });
  }
  // The live operation view follows the change step by step.
  return redirect(href('/operations/:operationId', { operationId: result.body.operation.id }));
}

const STATUS_COLORS: Record<PlanChangeRecord['status'], string> = {
  requested: 'blue',
  'awaiting-approval': 'orange',
  scheduled: 'yellow',
  applied: 'green',
  refused: 'red',
  rejected: 'red',
  cancelled: 'gray',
  failed: 'red',
};

export default function PlanPage({ loaderData, actionData }: Route.ComponentProps) {
  const { slug, overview, usage, invoices, reconciliations, license } = loaderData;
  return (
    <Stack gap="lg">
      <TenantNav slug={slug} current="plan" />
      <div>
        <Title order={1}>Plan</Title>
        <Text c="dimmed">
          Upgrades take effect at once. Downgrades take effect at the end of the billing period unless you choose now; a
          plan whose limits the tenant exceeds says what to remove first.
        </Text>
      </div>
      {actionData?.problem ? (
        <Alert color="red" title={actionData.problem.title} data-testid="plan-problem">
          {actionData.problem.detail}
        </Alert>
      ) : null}
      {overview.pending ? <PendingChange slug={slug} change={overview.pending} canChange={overview.canChange} /> : null}
      {!overview.canChange ? (
        <Text size="sm" c="dimmed" data-testid="plan-read-only">
          Only the tenant's owners can change its plan.
        </Text>
      ) : null}
      <PlanOptions overview={overview} />
      <UsagePanel usage={usage} />
      <InvoicesPanel view={invoices} />
      <ReconciliationsPanel slug={slug} list={reconciliations} />
      <LicensePanel slug={slug} license={license} />
      <Paper withBorder p="md">
        <Title order={2} size="h4" mb="sm">
          Plan changes
        </Title>
        {overview.history.length === 0 ? (
          <Text c="dimmed" size="sm" data-testid="plan-history-empty">
            No plan changes yet: the tenant is on the plan it started with.
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={560}>
            <Table verticalSpacing="xs" data-testid="plan-history">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>#</Table.Th>
                  <Table.Th>Change</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Requested</Table.Th>
                  <Table.Th>Effective</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {overview.history.map((change) => (
                  <Table.Tr key={change.number}>
                    <Table.Td>
                      <Anchor
                        component={Link}
                        to={href('/operations/:operationId', { operationId: change.workflowId })}
                      >
                        {change.number}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      {change.from} → {change.to}
                      {change.detail ? (
                        <Text size="xs" c="dimmed">
                          {change.detail}
                        </Text>
                      ) : null}
                    </Table.Td>
                    <Table.Td>
                      <Badge color={STATUS_COLORS[change.status]} variant="light">
                        {change.status}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <Timestamp value={change.requestedAt} size="sm" />
                    </Table.Td>
                    <Table.Td>{change.effectiveAt ? <Timestamp value={change.effectiveAt} size="sm" /> : '—'}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Paper>
    </Stack>
  );
}

function PendingChange({ slug, change, canChange }: { slug: string; change: PlanChangeRecord; canChange: boolean }) {
  return (
    <Alert
      color={change.status === 'awaiting-approval' ? 'orange' : 'yellow'}
      title={`Change to ${change.to} ${change.status === 'awaiting-approval' ? 'awaiting approval' : change.status}`}
      data-testid="plan-pending"
    >
      <Group justify="space-between" align="end" gap="sm">
        <Text size="sm">
          {change.status === 'awaiting-approval' ? (
            <span data-testid="plan-pending-approval">
              The change from {change.from} to {change.to} waits for a platform admin&apos;s approval, as a tenant
              signing up on the {change.to} plan does. A platform admin other than whoever asked must approve it; until
              then nothing changes, and a rejection leaves the plan as it is.
            </span>
          ) : change.status === 'scheduled' && change.effectiveAt ? (
            <>
              The tenant moves from {change.from} to {change.to} at the end of the billing period,{' '}
              <Timestamp value={change.effectiveAt} span size="sm" />.
            </>
          ) : (
            <>
              The change from {change.from} to {change.to} is being applied.
            </>
          )}{' '}
          <Anchor component={Link} to={href('/operations/:operationId', { operationId: change.workflowId })} size="sm">
            Follow it
          </Anchor>
        </Text>
        {canChange && change.status === 'scheduled' ? (
          <Form method="post" action={href('/tenants/:slug/plan', { slug })}>
            <input type="hidden" name="intent" value="cancel" />
            <input type="hidden" name="number" value={change.number} />
            <Button type="submit" variant="default" size="xs">
              Cancel the downgrade
            </Button>
          </Form>
        ) : null}
      </Group>
    </Alert>
  );
}
