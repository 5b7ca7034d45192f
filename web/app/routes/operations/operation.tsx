import { Anchor, Breadcrumbs, Stack, Text } from '@mantine/core';
import { data, href, Link, redirect } from 'react-router';
import type { Route } from './+types/operation';
import { callApi, loadFromApi } from '../../api/client.server.ts';
import type { Operation, OperationTrace, Problem, RevealedSecret, TenantPage } from '../../../../contracts/index.ts';
import { problemTypeUri } from '../../../../contracts/index.ts';
import { OperationView } from '../../components/operations/OperationView.tsx';
import type { TraceState } from '../../components/operations/TraceWaterfall.tsx';
import { TraceWaterfall } from '../../components/operations/TraceWaterfall.tsx';
import { SecretApprovalPanel, secretApprovalOf } from '../../secret-rotation/SecretApprovalPanel.tsx';
import { loginPath, requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `${loaderData?.operation.id ?? 'Operation'} · Atrium` },
];

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken, user } = await requireUser(request, context);
  const call = { signal: request.signal, token: accessToken };
  const path = `/api/v1/operations/${encodeURIComponent(params.operationId)}`;
  const [operation, tenants, trace] = await Promise.all([
    loadFromApi<Operation>(context, path, call),
    // The operation's tenant, for the way back and the header's switcher: among the caller's
    // tenants (the newest 100 of all for platform admins, as on the operations list).
    callApi<TenantPage>(context, '/api/v1/tenants?limit=100', call),
    // The waterfall (read from Jaeger by the API); the page shows without it.
    callApi<OperationTrace>(context, `${path}/trace`, call),
  ]);
  const tenant =
    operation.tenantId && tenants.ok ? tenants.body.items.find((t) => t.id === operation.tenantId) : undefined;
  const traceState: TraceState = trace.ok
    ? { status: 'found', trace: trace.body }
    : trace.problem.type === problemTypeUri('tracing-off')
      ? { status: 'off' }
      : trace.problem.type === problemTypeUri('trace-not-found')
        ? { status: 'pending' }
        : { status: 'unavailable', message: trace.problem.detail ?? trace.problem.title };
  return {
    operation,
    traceState,
    // Read by the header's tenant switcher (useCurrentTenantSlug), so it stays on this tenant.
    tenantSlug: tenant?.slug,
    tenantName: tenant?.name,
    platformAdmin: user.isPlatformAdmin,
    // The Temporal UI link leads to /ops/temporal/, which lets operators in only.
    operator: Boolean(user.operatorRole),
  };
}

/** An approved reveal of a production secret (docs/decisions/0035): the value, this once. */
export async function action({ context, params, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const subject = secretApprovalOf(params.operationId);
  if (!subject || subject.kind !== 'reveal') throw data(null, { status: 404 });
  const result = await callApi<RevealedSecret>(
    context,
    `/api/v1/tenants/${encodeURIComponent(subject.slug)}/secrets/${encodeURIComponent(subject.secretId)}/reveal`,
    { method: 'POST', token: accessToken, body: { grant: subject.number } },
  );
  if (!result.ok && result.status === 401) throw redirect(loginPath(request));
  // The value goes back in this answer only: it is not in the loader, so a reload shows it no more.
  return data<{ revealed: RevealedSecret | null; problem: Problem | null }>(
    { revealed: result.ok ? result.body : null, problem: result.ok ? null : result.problem },
    { status: result.ok ? 200 : result.status, headers: { 'Cache-Control': 'no-store' } },
  );
}

export default function OperationPage({ loaderData, actionData }: Route.ComponentProps) {
  const { operation, traceState, tenantSlug, tenantName, platformAdmin, operator } = loaderData;
  return (
    <Stack gap="md">
      <Breadcrumbs data-testid="operation-breadcrumbs" styles={{ root: { flexWrap: 'wrap' } }}>
        <Anchor component={Link} to="/operations" size="sm">
          Operations
        </Anchor>
        {tenantSlug ? (
          <Anchor
            component={Link}
            to={href('/tenants/:slug', { slug: tenantSlug })}
            size="sm"
            data-testid="operation-tenant-link"
          >
            {tenantName ?? tenantSlug}
          </Anchor>
        ) : null}
        {tenantSlug && operation.kind === 'promotion' ? (
          // A promotion's way back: what runs where, and its other releases.
          <Anchor
            component={Link}
            to={href('/tenants/:slug/releases', { slug: tenantSlug })}
            size="sm"
            data-testid="operation-releases-link"
          >
            Releases
          </Anchor>
        ) : null}
        {tenantSlug && platformAdmin ? (
          <Anchor
            component={Link}
            to={href('/admin/tenants/:slug', { slug: tenantSlug })}
            size="sm"
            data-testid="operation-admin-tenant-link"
          >
            Admin page of {tenantSlug}
          </Anchor>
        ) : null}
        <Text size="sm" c="dimmed">
          This operation
        </Text>
      </Breadcrumbs>
      <SecretApprovalPanel operation={operation} result={actionData} />
      {/* Keyed by id: moving to another operation starts a fresh view with its own stream. */}
      <OperationView key={operation.id} initial={operation} showTemporalUi={operator} />
      <TraceWaterfall state={traceState} />
    </Stack>
  );
}
