import { Alert, Anchor, Paper, Stack, Text, Title } from '@mantine/core';
import { data, href, Link, redirect } from 'react-router';
import type { Route } from './+types/webhooks';
import type {
  Membership,
  Problem,
  WebhookEndpointList,
  WebhookEndpointWithSecret,
} from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { resultOrThrow } from '../../api/result.server.ts';
import { TenantNav } from '../../components/tenants/TenantNav.tsx';
import { loginPath, rememberTenant, requireUser } from '../../session.server.ts';
import { eventTypeGroups } from '../../webhooks/endpoint-form.ts';
import { EndpointForm } from '../../webhooks/EndpointForm.tsx';
import { EndpointsTable } from '../../webhooks/EndpointsTable.tsx';
import { SecretNotice } from '../../webhooks/SecretNotice.tsx';
import { createEndpoint, webhooksApiPath } from '../../webhooks/webhooks.server.ts';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `Webhooks of ${params.slug} · Atrium` }];

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const call = { signal: request.signal, token: accessToken };
  const [endpoints, membership] = await Promise.all([
    callApi<WebhookEndpointList>(context, webhooksApiPath(params.slug), call),
    callApi<Membership>(context, `/api/v1/tenants/${encodeURIComponent(params.slug)}/members/me`, call),
  ]);
  const mine = resultOrThrow(membership, request);
  rememberTenant(context, params.slug); // loaded: the user may see this tenant
  // Roles without webhooks.read see a sentence instead of an error.
  const list = !endpoints.ok && endpoints.status === 403 ? null : resultOrThrow(endpoints, request).items;
  return {
    slug: params.slug,
    endpoints: list,
    myRole: mine.role,
    canManage: mine.permissions.includes('webhooks.manage'),
    groups: eventTypeGroups(mine.permissions),
  };
}

type ActionResult = { created: WebhookEndpointWithSecret | null; problem: Problem | null };

export async function action({ context, params, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const result = await createEndpoint({
    context,
    slug: params.slug,
    token: accessToken,
    form: await request.formData(),
  });
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    return data<ActionResult>({ created: null, problem: result.problem }, { status: result.status });
  }
  return data<ActionResult>({ created: result.body, problem: null }, { status: 201 });
}

export default function WebhooksPage({ loaderData, actionData }: Route.ComponentProps) {
  const { slug, endpoints, myRole, canManage, groups } = loaderData;
  const created = actionData?.created ?? null;
  return (
    <Stack gap="lg">
      <TenantNav slug={slug} current="webhooks" />
      <div>
        <Title order={1}>Webhooks</Title>
        <Text c="dimmed">
          Endpoints receive this tenant's events as HTTPS POSTs, in order, signed the Standard Webhooks way (
          <Text span ff="monospace" size="sm">
            webhook-id
          </Text>
          ,{' '}
          <Text span ff="monospace" size="sm">
            webhook-signature
          </Text>
          ) and retried for up to a day.
        </Text>
      </div>
      {endpoints === null ? (
        <Alert color="gray" data-testid="webhooks-hidden">
          Your role ({myRole}) cannot see this tenant's webhooks (owners, admins and developers can).
        </Alert>
      ) : (
        <>
          {created ? (
            <Stack gap="xs">
              <SecretNotice secret={created.secret} title={`Endpoint added: ${created.endpoint.url}`} />
              <Anchor
                component={Link}
                to={href('/tenants/:slug/webhooks/:endpointId', { slug, endpointId: created.endpoint.id })}
                data-testid="new-endpoint-link"
              >
                Open the endpoint to send it a test event →
              </Anchor>
            </Stack>
          ) : null}
          <Paper withBorder p="md">
            <EndpointsTable slug={slug} endpoints={endpoints} />
          </Paper>
          {canManage ? (
            <Paper withBorder p="md">
              <Title order={2} size="h4" mb="sm">
                Add an endpoint
              </Title>
              <EndpointForm
                groups={groups}
                problem={actionData?.problem ?? null}
                done={created !== null}
                label="Add a webhook endpoint"
              />
            </Paper>
          ) : (
            <Text c="dimmed" data-testid="read-only-note">
              Your role ({myRole}) can see the endpoints and their deliveries, not change them.
            </Text>
          )}
        </>
      )}
    </Stack>
  );
}
