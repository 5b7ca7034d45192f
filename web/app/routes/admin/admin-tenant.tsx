import { Alert, Anchor, Badge, Breadcrumbs, Code, Group, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { useState } from 'react';
import { data, href, Link, redirect } from 'react-router';
import type { Route } from './+types/admin-tenant';
import { callApi } from '../../api/client.server.ts';
import { BillingPanel } from '../../billing/BillingPanel.tsx';
import { DatabaseLoginPanel } from '../../secret-rotation/DatabaseLoginPanel.tsx';
import {
  databaseLoginActions,
  databaseLoginPolicyActions,
  loadDatabaseLogin,
} from '../../secret-rotation/database-login.server.ts';
import { loadTenantBilling } from '../../billing/billing.server.ts';
import { resultOrThrow } from '../../api/result.server.ts';
import type { TenantAction } from '../../api/tenant-action.server.ts';
import { tenantApiPath } from '../../api/tenant-action.server.ts';
import type { OperationList, Problem, Tenant, TenantResources } from '../../../../contracts/index.ts';
import { OperationsTable } from '../../components/operations/OperationsTable.tsx';
import { TenantStatusBadge } from '../../components/tenants/TenantStatusBadge.tsx';
import { Timestamp } from '../../components/Timestamp.tsx';
import { formText } from '../../form-text.ts';
import { loginPath, requirePlatformAdmin } from '../../session.server.ts';
import { CancelOffboardingForm } from '../../tenant-offboarding/CancelOffboardingForm.tsx';
import { OffboardTenantButton, OffboardTenantForm } from '../../tenant-offboarding/OffboardTenant.tsx';
import { loadTeardownReport, offboardingActions } from '../../tenant-offboarding/offboarding.server.ts';
import { TeardownReportPanel } from '../../tenant-offboarding/TeardownReportPanel.tsx';
import { ApprovalDecisionForm } from '../../tenant-provisioning/ApprovalDecisionForm.tsx';
import { approvalActions } from '../../tenant-provisioning/approval.server.ts';
import { ReactivateTenantButton, ReactivateTenantForm } from '../../tenant-suspension/ReactivateTenant.tsx';
import { SuspendTenantButton, SuspendTenantForm } from '../../tenant-suspension/SuspendTenant.tsx';
import { suspensionActions } from '../../tenant-suspension/suspension.server.ts';
import { SuspensionsPanel } from '../../tenant-suspension/SuspensionsPanel.tsx';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `${params.slug} · Admin console · Atrium` }];

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requirePlatformAdmin(request, context);
  const call = { signal: request.signal, token: accessToken };
  const tenant = resultOrThrow(await callApi<Tenant>(context, tenantApiPath(params.slug), call), request);
  const [resources, operations] = await Promise.all([
    callApi<TenantResources>(context, `${tenantApiPath(params.slug)}/resources`, call),
    callApi<OperationList>(context, `/api/v1/operations?${new URLSearchParams({ tenantId: tenant.id })}`, call),
  ]);
  const [report, billing, databaseLogin] = await Promise.all([
    loadTeardownReport(context, tenant, call),
    loadTenantBilling(context, tenant.slug, call),
    loadDatabaseLogin(context, tenant.slug, call),
  ]);
  return {
    tenant,
    report,
    billing,
    // An offboarded tenant's login is gone: no panel then.
    databaseLogin: databaseLogin.ok ? databaseLogin.body : null,
    resources: resultOrThrow(resources, request),
    operations: resultOrThrow(operations, request).items,
    // A new key each time the page is rendered: sending the same form twice is one operation.
    actionKey: crypto.randomUUID(),
  };
}

/** The forms' intents, each handled by its workflow family (web/app/<family>/). */
const tenantActions: Record<string, TenantAction> = {
  ...approvalActions,
  ...suspensionActions,
  ...offboardingActions,
  ...databaseLoginActions,
};

/** Every action starts (or decides) a workflow; success opens its live operation. */
export async function action({ context, params, request }: Route.ActionArgs) {
  const { accessToken } = await requirePlatformAdmin(request, context);
  const form = await request.formData();
  const intent = formText(form, 'intent');
  // The database login's policy changes no operation: the page reloads in place.
  const policyAction = Object.hasOwn(databaseLoginPolicyActions, intent)
    ? databaseLoginPolicyActions[intent as keyof typeof databaseLoginPolicyActions]
    : undefined;
  if (policyAction) {
    const result = await policyAction({ context, slug: params.slug, token: accessToken, form });
    if (!result.ok) {
      if (result.status === 401) throw redirect(loginPath(request));
      return data({ intent, problem: result.problem }, { status: result.status });
    }
    return data({ intent, problem: null });
  }
  const chosen = Object.hasOwn(tenantActions, intent) ? tenantActions[intent] : undefined;
  if (!chosen) {
    const problem: Problem = { type: 'about:blank', title: `Unknown action "${intent}"`, status: 400 };
    return data({ intent, problem }, 400);
  }
  const result = await chosen({ context, slug: params.slug, token: accessToken, form });
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    return data({ intent, problem: result.problem }, { status: result.status });
  }
  throw redirect(href('/operations/:operationId', { operationId: result.body.operation.id }));
}

export default function AdminTenantPage({ loaderData, actionData }: Route.ComponentProps) {
  const { tenant, resources, operations, actionKey, report, billing, databaseLogin } = loaderData;
  const problem = actionData?.problem ?? null;
  // The policy form shows its own refusal at the field.
  const policyProblem = actionData?.intent === 'database-login-policy-set' ? problem : null;
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
      {problem && !policyProblem ? (
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
      <BillingPanel billing={billing} />
      {databaseLogin ? (
        <DatabaseLoginPanel login={databaseLogin} tenantActive={tenant.status === 'active'} problem={policyProblem} />
      ) : null}
      {resources.suspensions.length > 0 ? <SuspensionsPanel suspensions={resources.suspensions} /> : null}
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

/**
 * The actions the tenant's status allows, each its workflow family's: approve/reject while
 * pending, suspend or offboard while active, reactivate or offboard while suspended, cancel
 * offboarding during its grace period. Suspend, reactivate and offboard are confirmed first.
 */
function TenantActions({ tenant, actionKey }: { tenant: Tenant; actionKey: string }) {
  const [confirming, setConfirming] = useState<'suspend' | 'reactivate' | 'offboard' | null>(null);
  const cancel = () => setConfirming(null);
  if (tenant.status === 'pending' && tenant.approvalStatus === 'pending') return <ApprovalDecisionForm />;
  if (confirming === 'offboard') return <OffboardTenantForm actionKey={actionKey} onCancel={cancel} />;
  const offboard = <OffboardTenantButton onClick={() => setConfirming('offboard')} />;
  if (tenant.status === 'offboarding') return <CancelOffboardingForm actionKey={actionKey} />;
  if (tenant.status === 'active')
    return confirming === 'suspend' ? (
      <SuspendTenantForm actionKey={actionKey} onCancel={cancel} />
    ) : (
      <Group>
        <SuspendTenantButton onClick={() => setConfirming('suspend')} />
        {offboard}
      </Group>
    );
  if (tenant.status === 'suspended')
    return confirming === 'reactivate' ? (
      <ReactivateTenantForm actionKey={actionKey} onCancel={cancel} />
    ) : (
      <Group>
        <ReactivateTenantButton onClick={() => setConfirming('reactivate')} />
        {offboard}
      </Group>
    );
  return (
    <Text size="sm" c="dimmed">
      No actions while the tenant is {tenant.status}.
    </Text>
  );
}
