import {
  Alert,
  Anchor,
  Badge,
  Button,
  EmptyState,
  Group,
  NativeSelect,
  Paper,
  PasswordInput,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { data, Form, href, Link, redirect, useNavigation } from 'react-router';
import type { Route } from './+types/secrets';
import type {
  Membership,
  Problem,
  Secret,
  SecretKindPolicyList,
  SecretList,
  TenantPlanOverview,
} from '../../../../contracts/index.ts';
import { SECRET_KINDS, secretBodyFromForm, SecretForm } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { resultOrThrow } from '../../api/result.server.ts';
import { featureGate } from '../../billing/feature-gate.server.ts';
import { KindPolicyPanel } from '../../secret-rotation/KindPolicyPanel.tsx';
import type { KindPolicyActionResult } from '../../secret-rotation/kind-policy.server.ts';
import { kindPoliciesPath, kindPolicyAction } from '../../secret-rotation/kind-policy.server.ts';
import { TenantNav } from '../../components/tenants/TenantNav.tsx';
import { Timestamp } from '../../components/Timestamp.tsx';
import { loginPath, rememberTenant, requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `Secrets of ${params.slug} · Atrium` }];

const secretsPath = (slug: string) => `/api/v1/tenants/${encodeURIComponent(slug)}/secrets`;

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const call = { signal: request.signal, token: accessToken };
  const [secrets, membership, kindPolicies, plan] = await Promise.all([
    callApi<SecretList>(context, secretsPath(params.slug), call),
    callApi<Membership>(context, `/api/v1/tenants/${encodeURIComponent(params.slug)}/members/me`, call),
    callApi<SecretKindPolicyList>(context, kindPoliciesPath(params.slug), call),
    callApi<TenantPlanOverview>(context, `/api/v1/tenants/${encodeURIComponent(params.slug)}/plan`, call),
  ]);
  const mine = resultOrThrow(membership, request);
  const list = !secrets.ok && secrets.status === 403 ? null : resultOrThrow(secrets, request).items;
  rememberTenant(context, params.slug); // loaded: the user may see this tenant
  return {
    slug: params.slug,
    secrets: list,
    // Hidden like the list for a role without secrets.read.
    kindPolicies: !kindPolicies.ok && kindPolicies.status === 403 ? null : resultOrThrow(kindPolicies, request),
    // A kind's default needs the plan's `secret-rotation` feature; turning one off does not.
    gate: featureGate(plan, 'secret-rotation'),
    myRole: mine.role,
    canManage: mine.permissions.includes('secrets.manage'),
  };
}

interface ActionResult {
  created: Secret | null;
  problem: Problem | null;
  fieldErrors: Record<string, string>;
}

export async function action({ context, params, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const form = Object.fromEntries(await request.formData());
  const kindPolicy = await kindPolicyAction({ context, token: accessToken }, params.slug, form);
  if (kindPolicy) {
    if (kindPolicy.status === 401) throw redirect(loginPath(request));
    return data<ActionResult | KindPolicyActionResult>(kindPolicy.result, { status: kindPolicy.status });
  }
  // The same schema the browser checked: never trust that it did.
  const parsed = SecretForm.safeParse(form);
  if (!parsed.success)
    return data<ActionResult>(
      { created: null, problem: null, fieldErrors: fieldErrorsOf(parsed.error.issues) },
      { status: 422 },
    );
  const result = await callApi<Secret>(context, secretsPath(params.slug), {
    method: 'POST',
    token: accessToken,
    body: secretBodyFromForm(parsed.data),
  });
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    return data<ActionResult>(
      { created: null, problem: result.problem, fieldErrors: apiFieldErrors(result.problem) },
      { status: result.status },
    );
  }
  return data<ActionResult>({ created: result.body, problem: null, fieldErrors: {} }, { status: 201 });
}

/** The API names fields as the request has them; the form calls the rotation policy `rotation`. */
function apiFieldErrors(problem: Problem): Record<string, string> {
  return Object.fromEntries(
    (problem.errors ?? []).map((e) => [
      e.path.startsWith('rotationPolicy') ? 'rotation' : e.path.split('.')[0]!,
      e.message,
    ]),
  );
}

function fieldErrorsOf(issues: Array<{ path: PropertyKey[]; message: string }>): Record<string, string> {
  return Object.fromEntries(issues.map((issue) => [String(issue.path[0] ?? 'form'), issue.message]));
}

export default function SecretsPage({ loaderData, actionData: answer }: Route.ComponentProps) {
  const { slug, secrets, kindPolicies, gate, myRole, canManage } = loaderData;
  const kindResult = answer && 'intent' in answer ? answer : undefined;
  const actionData = answer && !('intent' in answer) ? answer : undefined;
  return (
    <Stack gap="lg">
      <TenantNav slug={slug} current="secrets" />
      <div>
        <Title order={1}>Secrets</Title>
        <Text c="dimmed">
          Values your applications need (API keys, passwords, signing keys), kept in Atrium's secret store. Nobody sees
          a value again unless they reveal it, and every reveal is in the audit log.
        </Text>
      </div>
      {actionData?.created ? (
        <Alert color="green" title={`Secret "${actionData.created.name}" created`} data-testid="secret-created">
          Version 1 is stored.{' '}
          <Anchor
            component={Link}
            to={href('/tenants/:slug/secrets/:secretId', { slug, secretId: actionData.created.id })}
          >
            Open it
          </Anchor>
        </Alert>
      ) : null}
      {canManage ? <CreateSecretForm actionData={actionData} /> : null}
      <Paper withBorder p="md">
        {secrets === null ? (
          <Text data-testid="secrets-hidden">Your role ({myRole}) cannot see this tenant's secrets.</Text>
        ) : (
          <SecretsTable slug={slug} secrets={secrets} />
        )}
      </Paper>
      {kindPolicies ? (
        <KindPolicyPanel policies={kindPolicies} canManage={canManage} gate={gate} result={kindResult} />
      ) : null}
    </Stack>
  );
}

function CreateSecretForm({ actionData }: { actionData: ActionResult | undefined }) {
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (actionData?.created) formRef.current?.reset();
  }, [actionData]);
  const navigation = useNavigation();
  const errors = { ...actionData?.fieldErrors, ...clientErrors };
  return (
    <Paper withBorder p="md">
      <Form
        ref={formRef}
        method="post"
        aria-label="Create a secret"
        noValidate
        onSubmit={(event) => {
          const parsed = SecretForm.safeParse(Object.fromEntries(new FormData(event.currentTarget)));
          if (parsed.success) {
            setClientErrors({});
            return;
          }
          event.preventDefault();
          setClientErrors(fieldErrorsOf(parsed.error.issues));
        }}
      >
        <Stack gap="sm">
          <Title order={2} size="h4">
            New secret
          </Title>
          <Group align="flex-start" grow preventGrowOverflow={false} wrap="wrap">
            <TextInput name="name" label="Name" placeholder="STRIPE_API_KEY" error={errors.name} miw={200} />
            <NativeSelect
              name="kind"
              label="Kind"
              data={[...SECRET_KINDS]}
              defaultValue="generic"
              error={errors.kind}
            />
            <TextInput
              name="environment"
              label="Environment"
              defaultValue="production"
              error={errors.environment}
              miw={140}
            />
          </Group>
          <PasswordInput
            name="value"
            label="Value"
            description="Stored encrypted; shown again only to people who may reveal secrets."
            autoComplete="off"
            error={errors.value}
          />
          <TextInput name="description" label="Description" error={errors.description} />
          <Group align="flex-start" grow preventGrowOverflow={false} wrap="wrap">
            <Textarea
              name="consumers"
              label="Consumers"
              description="Who uses it, one per line (a deployment, a job)."
              autosize
              minRows={2}
              error={errors.consumers}
              miw={220}
            />
            <TextInput
              name="rotation"
              label="Rotate every"
              description="A duration like 30d; empty for no policy (needs a plan with secret rotation)."
              error={errors.rotation}
              miw={220}
            />
          </Group>
          {actionData?.problem && Object.keys(actionData.fieldErrors).length === 0 ? (
            <Alert color="red" title={actionData.problem.title} data-testid="secret-problem">
              {actionData.problem.detail}
            </Alert>
          ) : null}
          <Group>
            <Button type="submit" loading={navigation.state === 'submitting'}>
              Create secret
            </Button>
          </Group>
        </Stack>
      </Form>
    </Paper>
  );
}

function SecretsTable({ slug, secrets }: { slug: string; secrets: Secret[] }) {
  if (secrets.length === 0)
    return (
      <EmptyState
        data-testid="secrets-empty"
        title="No secrets"
        description="Nobody has stored one yet; create one above if your role allows it."
      />
    );
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table verticalSpacing="sm" aria-label="Secrets" data-testid="secrets-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Environment</Table.Th>
            <Table.Th>Kind</Table.Th>
            <Table.Th>Version</Table.Th>
            <Table.Th>Last set</Table.Th>
            <Table.Th>Next rotation</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {secrets.map((secret) => (
            <Table.Tr key={secret.id} data-testid="secret-row" data-name={secret.name}>
              <Table.Td>
                <Anchor
                  component={Link}
                  to={href('/tenants/:slug/secrets/:secretId', { slug, secretId: secret.id })}
                  fw={500}
                  ff="monospace"
                  style={{ wordBreak: 'break-all' }}
                >
                  {secret.name}
                </Anchor>
                {secret.description ? (
                  <Text size="xs" c="dimmed">
                    {secret.description}
                  </Text>
                ) : null}
              </Table.Td>
              <Table.Td>
                <Badge variant="light" style={{ overflow: 'visible' }}>
                  {secret.environment}
                </Badge>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{secret.kind}</Text>
              </Table.Td>
              <Table.Td>v{secret.version}</Table.Td>
              <Table.Td>
                <Timestamp value={secret.rotatedAt ?? secret.createdAt} />
              </Table.Td>
              <Table.Td>
                {secret.nextRotationAt ? (
                  <Timestamp value={secret.nextRotationAt} />
                ) : (
                  <Text size="sm" c="dimmed">
                    no policy
                  </Text>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
