import { Alert, Anchor, Button, EmptyState, Group, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { data, Form, href, Link, redirect } from 'react-router';
import type { Route } from './+types/approval-policies';
import { resultOrThrow } from '../../api/result.server.ts';
import { DelegationPanel } from '../../approvals/DelegationPanel.tsx';
import { PolicyEditor, PolicySummary, PolicyTitle } from '../../approvals/PolicyEditor.tsx';
import { loadPolicyPage, policyAction } from '../../approvals/policies.server.ts';
import { SimulationResult } from '../../approvals/SimulationResult.tsx';
import { TenantNav } from '../../components/tenants/TenantNav.tsx';
import { loginPath, rememberTenant, requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `Approval policies of ${params.slug} · Atrium` }];

/** `?environment=prod`; absent or empty: the tenant default. */
const environmentOf = (url: URL) => (url.searchParams.get('environment') ?? '').trim();

export async function loader({ context, params, request, url }: Route.LoaderArgs) {
  const { accessToken, user } = await requireUser(request, context);
  const environment = environmentOf(url);
  const page = resultOrThrow(
    await loadPolicyPage(context, { slug: params.slug, environment, token: accessToken, signal: request.signal }),
    request,
  );
  rememberTenant(context, params.slug);
  return { slug: params.slug, environment, selfEmail: user.email, ...page };
}

export async function action({ context, params, request, url }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const environment = environmentOf(url);
  const form = await request.formData();
  const { status, result } = await policyAction(context, { slug: params.slug, environment, token: accessToken, form });
  if (status === 401) throw redirect(loginPath(request));
  return data(result, { status: result.problem ? status : 200 });
}

export default function ApprovalPoliciesPage({ loaderData, actionData }: Route.ComponentProps) {
  const { slug, environment, list, effective, groups, membership, delegations, members, selfEmail } = loaderData;
  const canManage = membership.permissions.includes('approvals.manage');
  const stored = effective.source === 'environment' || (environment === '' && effective.source === 'tenant-default');
  const environments = ['', ...list.policies.map((p) => p.environment).filter((e) => e !== '')];
  if (environment !== '' && !environments.includes(environment)) environments.push(environment);
  const pagePath = (env: string) =>
    `${href('/tenants/:slug/approval-policies', { slug })}${env ? `?environment=${encodeURIComponent(env)}` : ''}`;
  const saved =
    actionData &&
    'done' in actionData &&
    actionData.done &&
    (actionData.intent === 'save' || actionData.intent === 'delete');
  const delegationResult =
    actionData && (actionData.intent === 'delegate' || actionData.intent === 'revoke') ? actionData : undefined;
  return (
    <Stack gap="lg">
      <TenantNav slug={slug} current="approval-policies" />
      <div>
        <Title order={1}>Approval policies</Title>
        <Text c="dimmed">
          Who must approve what, per environment: the first rule matching a request applies, its stages escalate when
          they expire. A change applies to requests opened after it; Simulate shows what it would have done to the
          requests of the last 30 days and those waiting.
        </Text>
      </div>
      <Group gap="xs" wrap="wrap" data-testid="policy-environments" aria-label="Environments">
        {environments.map((env) => (
          <Button
            key={env || '_default'}
            component={Link}
            to={pagePath(env)}
            size="xs"
            variant={env === environment ? 'filled' : 'light'}
            data-environment={env}
          >
            {env === '' ? 'Tenant default' : env}
          </Button>
        ))}
        <Form method="get">
          <Group gap={4} align="flex-end">
            <TextInput
              name="environment"
              size="xs"
              placeholder="another environment"
              aria-label="Environment"
              w={170}
            />
            <Button type="submit" size="xs" variant="default">
              Open
            </Button>
          </Group>
        </Form>
      </Group>
      {saved ? (
        <Text c="green" size="sm" role="status" data-testid="policy-saved">
          {actionData.intent === 'delete' ? 'The policy is removed.' : 'The policy is saved: new requests follow it.'}
        </Text>
      ) : null}
      <PolicyTitle environment={environment} />
      {!stored ? (
        <EmptyState
          data-testid="policy-empty"
          title={`No policy stored for ${environment === '' ? 'the tenant default' : environment}`}
          description={
            effective.source === 'tenant-default'
              ? 'The tenant default applies here. Edit below and save to give this environment its own.'
              : "Atrium's default applies. Edit below and save to store one."
          }
        >
          <Paper withBorder p="sm" mt="sm" data-testid="policy-applies">
            <Text size="xs" c="dimmed" mb={4}>
              Applies now ({effective.source === 'tenant-default' ? 'tenant default' : "Atrium's default"}):
            </Text>
            <PolicySummary policy={effective.policy} />
          </Paper>
        </EmptyState>
      ) : (
        <Text size="sm" c="dimmed">
          Stored{effective.updatedBy ? ` by ${effective.updatedBy}` : ''}.
        </Text>
      )}
      <PolicyEditor
        key={`${environment}|${effective.updatedAt ?? ''}`}
        initial={effective.policy}
        canManage={canManage}
        stored={stored}
        result={
          actionData && (actionData.intent === 'save' || actionData.intent === 'simulate') ? actionData : undefined
        }
      />
      {actionData && actionData.intent === 'simulate' && actionData.simulation ? (
        <SimulationResult simulation={actionData.simulation} />
      ) : null}
      <DelegationPanel
        delegations={delegations}
        members={members.items}
        selfEmail={selfEmail}
        result={delegationResult}
      />
      <Paper withBorder p="md">
        <Title order={2} size="h4" mb="xs">
          Approval groups
        </Title>
        {groups.groups.length === 0 ? (
          <Text size="sm" c="dimmed" data-testid="groups-empty">
            No named groups yet. A stage may ask for N people of a group; add members through the API (
            <Anchor href="/api/v1/openapi.json" size="sm">
              addApprovalGroupMember
            </Anchor>
            ).
          </Text>
        ) : (
          <Stack gap={4}>
            {groups.groups.map((group) => (
              <Text key={group.name} size="sm">
                <Text span fw={600}>
                  {group.name}
                </Text>
                : {group.members.map((m) => m.email).join(', ')}
              </Text>
            ))}
          </Stack>
        )}
      </Paper>
      {list.policies.length === 0 && environment !== '' ? (
        <Alert color="gray" variant="light">
          This tenant has stored no policy yet: Atrium's default applies everywhere.
        </Alert>
      ) : null}
    </Stack>
  );
}
