import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Code,
  EmptyState,
  Group,
  NativeSelect,
  Paper,
  PasswordInput,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { data, Form, href, Link, redirect, useNavigation } from 'react-router';
import type { Route } from './+types/sso-settings';
import type {
  Membership,
  Problem,
  SsoConnection,
  SsoDomain,
  SsoDomainAdded,
  SsoDomainList,
  SsoSettings,
  TenantPlanOverview,
} from '../../../../contracts/index.ts';
import {
  SSO_ROLES,
  ssoConnectionBodyFromForm,
  SsoConnectionForm,
  SsoDomainRequest,
} from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { resultOrThrow } from '../../api/result.server.ts';
import type { FeatureGate } from '../../billing/feature-gate.server.ts';
import { featureGate } from '../../billing/feature-gate.server.ts';
import { fieldErrorsOf } from '../../components/AuthCard.tsx';
import { TenantNav } from '../../components/tenants/TenantNav.tsx';
import { Timestamp } from '../../components/Timestamp.tsx';
import { loginPath, rememberTenant, requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `Single sign-on of ${params.slug} · Atrium` }];

const ssoPath = (slug: string) => `/api/v1/tenants/${encodeURIComponent(slug)}/sso`;

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const call = { signal: request.signal, token: accessToken };
  const [settings, domains, membership, plan] = await Promise.all([
    callApi<SsoSettings>(context, ssoPath(params.slug), call),
    callApi<SsoDomainList>(context, `${ssoPath(params.slug)}/domains`, call),
    callApi<Membership>(context, `/api/v1/tenants/${encodeURIComponent(params.slug)}/members/me`, call),
    callApi<TenantPlanOverview>(context, `/api/v1/tenants/${encodeURIComponent(params.slug)}/plan`, call),
  ]);
  const mine = resultOrThrow(membership, request);
  rememberTenant(context, params.slug);
  // Roles without sso.read see a sentence instead of an error.
  if (!settings.ok && settings.status === 403) return { slug: params.slug, myRole: mine.role, visible: false as const };
  return {
    slug: params.slug,
    myRole: mine.role,
    visible: true as const,
    canManage: mine.permissions.includes('sso.manage'),
    // Configuring needs the plan's `sso` feature; reading and removing do not.
    gate: featureGate(plan, 'sso'),
    ...resultOrThrow(settings, request),
    domains: resultOrThrow(domains, request).items,
  };
}

type ActionResult = {
  intent: 'connection' | 'add-domain' | 'remove-domain' | 'remove-connection';
  ok: boolean;
  message: string | null;
  problem: Problem | null;
  fieldErrors: Record<string, string>;
};

export async function action({ context, params, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const form = Object.fromEntries(await request.formData());
  const answer = (result: Omit<ActionResult, 'fieldErrors'> & { fieldErrors?: Record<string, string> }, status = 200) =>
    data<ActionResult>({ fieldErrors: {}, ...result }, { status });
  const apiFailure = (intent: ActionResult['intent'], result: { status: number; problem: Problem }) => {
    if (result.status === 401) throw redirect(loginPath(request));
    const fieldErrors = Object.fromEntries((result.problem.errors ?? []).map((e) => [e.path, e.message]));
    return answer({ intent, ok: false, message: null, problem: result.problem, fieldErrors }, result.status);
  };

  if (form.intent === 'add-domain') {
    const parsed = SsoDomainRequest.safeParse({ domain: form.domain, verificationEmail: form.verificationEmail });
    if (!parsed.success)
      return answer(
        {
          intent: 'add-domain',
          ok: false,
          message: null,
          problem: null,
          fieldErrors: fieldErrorsOf(parsed.error.issues),
        },
        422,
      );
    const result = await callApi<SsoDomainAdded>(context, `${ssoPath(params.slug)}/domains`, {
      method: 'POST',
      token: accessToken,
      body: parsed.data,
    });
    if (!result.ok) return apiFailure('add-domain', result);
    const message = result.body.domain.verified
      ? `${result.body.domain.domain} is verified already.`
      : result.body.mailed
        ? `A verification link went to ${parsed.data.verificationEmail}.`
        : `The verification mail could not be sent to ${parsed.data.verificationEmail}; try again later.`;
    return answer({ intent: 'add-domain', ok: true, message, problem: null });
  }
  if (form.intent === 'remove-domain') {
    const domain = typeof form.domain === 'string' ? form.domain : '';
    const result = await callApi(context, `${ssoPath(params.slug)}/domains/${encodeURIComponent(domain)}`, {
      method: 'DELETE',
      token: accessToken,
    });
    if (!result.ok) return apiFailure('remove-domain', result);
    return answer({ intent: 'remove-domain', ok: true, message: `${domain} removed.`, problem: null });
  }
  if (form.intent === 'remove-connection') {
    const result = await callApi(context, ssoPath(params.slug), { method: 'DELETE', token: accessToken });
    if (!result.ok) return apiFailure('remove-connection', result);
    return answer({ intent: 'remove-connection', ok: true, message: 'Single sign-on removed.', problem: null });
  }
  // The same schema the browser checked: never trust that it did.
  const parsed = SsoConnectionForm.safeParse(form);
  if (!parsed.success)
    return answer(
      {
        intent: 'connection',
        ok: false,
        message: null,
        problem: null,
        fieldErrors: fieldErrorsOf(parsed.error.issues),
      },
      422,
    );
  const result = await callApi<SsoConnection>(context, ssoPath(params.slug), {
    method: 'PUT',
    token: accessToken,
    body: ssoConnectionBodyFromForm(parsed.data),
  });
  if (!result.ok) return apiFailure('connection', result);
  return answer({ intent: 'connection', ok: true, message: 'Single sign-on settings saved.', problem: null });
}

export default function SsoSettingsPage({ loaderData, actionData }: Route.ComponentProps) {
  const { slug } = loaderData;
  return (
    <Stack gap="lg">
      <TenantNav slug={slug} current="sso" />
      <div>
        <Title order={1}>Single sign-on</Title>
        <Text c="dimmed">
          People with addresses at a verified domain sign in through your OpenID Connect provider; the first time, they
          join with the default role.
        </Text>
      </div>
      {!loaderData.visible ? (
        <Paper withBorder p="md">
          <Text data-testid="sso-hidden">Your role ({loaderData.myRole}) cannot see the single sign-on settings.</Text>
        </Paper>
      ) : (
        <>
          {actionData?.ok && actionData.message ? (
            <Alert color="green" data-testid="sso-saved">
              {actionData.message}
            </Alert>
          ) : null}
          {!loaderData.gate.enabled ? (
            <EmptyState
              data-testid="sso-plan-gate"
              title={`Single sign-on comes with the ${loaderData.gate.unlockedBy ?? 'enterprise'} plan`}
              description={`The ${loaderData.gate.plan} plan does not include it: the settings below can be read and removed, not changed.`}
            >
              <EmptyState.Actions>
                <Button component={Link} to={href('/tenants/:slug/plan', { slug })} variant="light">
                  See the plans
                </Button>
              </EmptyState.Actions>
            </EmptyState>
          ) : null}
          <ConnectionForm
            connection={loaderData.connection}
            redirectUri={loaderData.redirectUri}
            canManage={loaderData.canManage}
            gate={loaderData.gate}
            actionData={
              actionData?.intent === 'connection' || actionData?.intent === 'remove-connection' ? actionData : undefined
            }
          />
          <DomainsPanel
            domains={loaderData.domains}
            canManage={loaderData.canManage}
            gate={loaderData.gate}
            actionData={
              actionData?.intent === 'add-domain' || actionData?.intent === 'remove-domain' ? actionData : undefined
            }
          />
        </>
      )}
    </Stack>
  );
}

/** What a disabled configure button says: the plan that unlocks it. */
function availableOn(gate: FeatureGate): string {
  return `Available on the ${gate.unlockedBy ?? 'enterprise'} plan`;
}

function ConnectionForm({
  connection,
  redirectUri,
  canManage,
  gate,
  actionData,
}: {
  connection: SsoConnection | null;
  redirectUri: string;
  canManage: boolean;
  gate: FeatureGate;
  actionData: ActionResult | undefined;
}) {
  const canConfigure = canManage && gate.enabled;
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const navigation = useNavigation();
  const errors = { ...(actionData?.ok ? {} : actionData?.fieldErrors), ...clientErrors };
  return (
    <Paper withBorder p="md">
      <Form
        method="post"
        aria-label="Identity provider"
        noValidate
        onSubmit={(event) => {
          const parsed = SsoConnectionForm.safeParse(Object.fromEntries(new FormData(event.currentTarget)));
          if (parsed.success) return setClientErrors({});
          event.preventDefault();
          setClientErrors(fieldErrorsOf(parsed.error.issues));
        }}
      >
        <input type="hidden" name="intent" value="connection" />
        <Stack gap="sm">
          <Group justify="space-between">
            <Title order={2} size="h4">
              Identity provider
            </Title>
            {connection ? (
              <Badge color={connection.enabled ? 'green' : 'gray'} data-testid="sso-status">
                {connection.enabled ? 'enabled' : 'disabled'}
              </Badge>
            ) : (
              <Badge color="gray" data-testid="sso-status">
                not configured
              </Badge>
            )}
          </Group>
          <Text size="sm">
            Register this redirect URI with the provider, exactly:{' '}
            <Code data-testid="sso-redirect-uri">{redirectUri}</Code>
          </Text>
          <TextInput
            name="issuer"
            label="Issuer URL"
            placeholder="https://login.example.com"
            defaultValue={connection?.issuer ?? ''}
            error={errors.issuer}
            disabled={!canConfigure}
          />
          <TextInput
            name="clientId"
            label="Client id"
            defaultValue={connection?.clientId ?? ''}
            error={errors.clientId}
            disabled={!canConfigure}
          />
          <PasswordInput
            name="clientSecret"
            label="Client secret"
            description={
              connection
                ? 'Stored in the secret store; leave empty to keep it.'
                : 'Kept in the secret store, never shown again.'
            }
            error={errors.clientSecret}
            disabled={!canConfigure}
            autoComplete="off"
          />
          <NativeSelect
            name="defaultRole"
            label="Role of people who join through SSO"
            data={[...SSO_ROLES]}
            defaultValue={connection?.defaultRole ?? 'viewer'}
            error={errors.defaultRole}
            disabled={!canConfigure}
          />
          <Checkbox
            name="enabled"
            label="Enabled"
            defaultChecked={connection?.enabled ?? true}
            disabled={!canConfigure}
          />
          <Checkbox
            name="ssoRequired"
            label="Require SSO: members cannot use passwords in this organization"
            defaultChecked={connection?.ssoRequired ?? false}
            error={errors.ssoRequired}
            disabled={!canConfigure}
          />
          {actionData?.problem && !actionData.ok && !Object.keys(actionData.fieldErrors).length ? (
            <Alert color="red" title={actionData.problem.title} data-testid="sso-problem">
              {actionData.problem.detail}
            </Alert>
          ) : null}
          {canManage ? (
            <Group>
              <Button type="submit" loading={navigation.state === 'submitting'} disabled={!gate.enabled}>
                Save
              </Button>
              {!gate.enabled ? (
                <Text size="sm" c="dimmed" data-testid="sso-save-gate">
                  {availableOn(gate)}
                </Text>
              ) : null}
            </Group>
          ) : null}
        </Stack>
      </Form>
      {canManage && connection ? (
        <Form
          method="post"
          aria-label="Remove single sign-on"
          onSubmit={(event) => {
            if (!window.confirm('Remove single sign-on? People then sign in with passwords.')) event.preventDefault();
          }}
        >
          <input type="hidden" name="intent" value="remove-connection" />
          <Button type="submit" variant="subtle" color="red" mt="sm">
            Remove single sign-on
          </Button>
        </Form>
      ) : null}
    </Paper>
  );
}

function DomainsPanel({
  domains,
  canManage,
  gate,
  actionData,
}: {
  domains: SsoDomain[];
  canManage: boolean;
  gate: FeatureGate;
  actionData: ActionResult | undefined;
}) {
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const errors = { ...(actionData?.ok ? {} : actionData?.fieldErrors), ...clientErrors };
  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        <Title order={2} size="h4">
          Verified domains
        </Title>
        <Text size="sm" c="dimmed">
          Logins for a verified domain go to your provider, and only addresses at one may join through it. A domain is
          verified by a link mailed to an address at it.
        </Text>
        {domains.length === 0 ? (
          <EmptyState data-testid="sso-domains-empty" title="No domains" description="Add your company's domain." />
        ) : (
          <Table.ScrollContainer minWidth={560}>
            <Table aria-label="Domains" data-testid="sso-domains">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Domain</Table.Th>
                  <Table.Th>Status</Table.Th>
                  <Table.Th>Link sent to</Table.Th>
                  {canManage ? <Table.Th aria-label="Actions" /> : null}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {domains.map((domain) => (
                  <Table.Tr key={domain.domain} data-testid="sso-domain-row" data-domain={domain.domain}>
                    <Table.Td>
                      <Code>{domain.domain}</Code>
                    </Table.Td>
                    <Table.Td>
                      {domain.verified ? (
                        <Badge color="green" data-testid="sso-domain-status">
                          verified
                        </Badge>
                      ) : (
                        <Group gap={6}>
                          <Badge color="yellow" data-testid="sso-domain-status">
                            waiting
                          </Badge>
                          {domain.verificationExpiresAt ? (
                            <Text size="xs" c="dimmed">
                              link expires <Timestamp value={domain.verificationExpiresAt} />
                            </Text>
                          ) : null}
                        </Group>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{domain.verificationEmail}</Text>
                    </Table.Td>
                    {canManage ? (
                      <Table.Td>
                        <Form
                          method="post"
                          onSubmit={(event) => {
                            if (!window.confirm(`Remove ${domain.domain}?`)) event.preventDefault();
                          }}
                        >
                          <input type="hidden" name="intent" value="remove-domain" />
                          <input type="hidden" name="domain" value={domain.domain} />
                          <Button type="submit" size="xs" variant="subtle" color="red">
                            Remove
                          </Button>
                        </Form>
                      </Table.Td>
                    ) : null}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {actionData?.problem && !actionData.ok && !Object.keys(actionData.fieldErrors).length ? (
          <Alert color="red" title={actionData.problem.title} data-testid="sso-domain-problem">
            {actionData.problem.detail}
          </Alert>
        ) : null}
        {canManage ? (
          <Form
            method="post"
            aria-label="Add a domain"
            noValidate
            onSubmit={(event) => {
              const values = new FormData(event.currentTarget);
              const parsed = SsoDomainRequest.safeParse({
                domain: values.get('domain'),
                verificationEmail: values.get('verificationEmail'),
              });
              if (parsed.success) return setClientErrors({});
              event.preventDefault();
              setClientErrors(fieldErrorsOf(parsed.error.issues));
            }}
          >
            <input type="hidden" name="intent" value="add-domain" />
            <Group align="flex-start">
              <TextInput
                name="domain"
                label="Domain"
                placeholder="example.com"
                error={errors.domain}
                disabled={!gate.enabled}
              />
              <TextInput
                name="verificationEmail"
                label="Send the link to"
                placeholder="it@example.com"
                error={errors.verificationEmail}
                disabled={!gate.enabled}
              />
              <Button type="submit" mt={24} disabled={!gate.enabled}>
                Add domain
              </Button>
              {!gate.enabled ? (
                <Text size="sm" c="dimmed" mt={30} data-testid="sso-domain-gate">
                  {availableOn(gate)}
                </Text>
              ) : null}
            </Group>
          </Form>
        ) : null}
      </Stack>
    </Paper>
  );
}
