import {
  Alert,
  Badge,
  Button,
  Code,
  CopyButton,
  EmptyState,
  Group,
  NativeSelect,
  Paper,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { data, Form, redirect, useNavigation } from 'react-router';
import type { Route } from './+types/api-keys';
import { ROLE_PERMISSIONS, ROLE_RANK } from '../../../../api/auth/permissions.ts';
import type { ApiKey, ApiKeyList, CreatedApiKey, Membership, Problem, Role } from '../../../../contracts/index.ts';
import { API_KEY_LIFETIMES, apiKeyBodyFromForm, ApiKeyForm } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { resultOrThrow } from '../../api/result.server.ts';
import { RoleBadge } from '../../components/members/RoleBadge.tsx';
import { TenantNav } from '../../components/tenants/TenantNav.tsx';
import { Timestamp } from '../../components/Timestamp.tsx';
import { loginPath, rememberTenant, requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `API keys of ${params.slug} · Atrium` }];

const roles = Object.keys(ROLE_PERMISSIONS) as Role[];
const LIFETIME_LABELS: Record<(typeof API_KEY_LIFETIMES)[number], string> = {
  '30': '30 days',
  '90': '90 days',
  '365': '1 year',
  never: 'No expiry',
};

const keysPath = (slug: string) => `/api/v1/tenants/${encodeURIComponent(slug)}/api-keys`;

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const call = { signal: request.signal, token: accessToken };
  const [keys, membership] = await Promise.all([
    callApi<ApiKeyList>(context, keysPath(params.slug), call),
    callApi<Membership>(context, `/api/v1/tenants/${encodeURIComponent(params.slug)}/members/me`, call),
  ]);
  const mine = resultOrThrow(membership, request);
  // Viewers may not see keys at all: say so on the page instead of an error.
  const list = !keys.ok && keys.status === 403 ? null : resultOrThrow(keys, request).items;
  rememberTenant(context, params.slug); // loaded: the user may see this tenant
  return { slug: params.slug, keys: list, myRole: mine.role, canManage: mine.permissions.includes('apikeys.manage') };
}

type ActionResult =
  | {
      intent: 'create';
      created: { key: string; apiKey: ApiKey } | null;
      problem: Problem | null;
      fieldErrors: Record<string, string>;
    }
  | { intent: 'revoke'; keyId: string; problem: Problem | null };

export async function action({ context, params, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const form = Object.fromEntries(await request.formData());
  if (form.intent === 'revoke') {
    const keyId = typeof form.keyId === 'string' ? form.keyId : '';
    const result = await callApi(context, `${keysPath(params.slug)}/${encodeURIComponent(keyId)}`, {
      method: 'DELETE',
      token: accessToken,
    });
    if (!result.ok && result.status === 401) throw redirect(loginPath(request));
    return data<ActionResult>(
      { intent: 'revoke', keyId, problem: result.ok ? null : result.problem },
      { status: result.ok ? 200 : result.status },
    );
  }
  // The same schema the browser checked: never trust that it did.
  const parsed = ApiKeyForm.safeParse(form);
  if (!parsed.success)
    return data<ActionResult>(
      { intent: 'create', created: null, problem: null, fieldErrors: fieldErrorsOf(parsed.error.issues) },
      { status: 422 },
    );
  const result = await callApi<CreatedApiKey>(context, keysPath(params.slug), {
    method: 'POST',
    token: accessToken,
    body: apiKeyBodyFromForm(parsed.data, new Date()),
  });
  if (!result.ok) {
    if (result.status === 401) throw redirect(loginPath(request));
    const fieldErrors = Object.fromEntries((result.problem.errors ?? []).map((e) => [e.path, e.message]));
    return data<ActionResult>(
      { intent: 'create', created: null, problem: result.problem, fieldErrors },
      { status: result.status },
    );
  }
  return data<ActionResult>(
    { intent: 'create', created: result.body, problem: null, fieldErrors: {} },
    { status: 201 },
  );
}

function fieldErrorsOf(issues: Array<{ path: PropertyKey[]; message: string }>): Record<string, string> {
  return Object.fromEntries(issues.map((issue) => [String(issue.path[0] ?? 'form'), issue.message]));
}

export default function ApiKeysPage({ loaderData, actionData }: Route.ComponentProps) {
  const { slug, keys, myRole, canManage } = loaderData;
  const created = actionData?.intent === 'create' ? actionData.created : null;
  return (
    <Stack gap="lg">
      <TenantNav slug={slug} current="api-keys" />
      <div>
        <Title order={1}>API keys</Title>
        <Text c="dimmed">
          Keys let programs call this tenant's API as <Code>Authorization: Bearer &lt;key&gt;</Code>, with the role
          chosen for the key.
        </Text>
      </div>
      {created ? <NewKeyNotice created={created} /> : null}
      {canManage ? (
        <CreateKeyForm
          myRole={myRole}
          actionData={actionData?.intent === 'create' ? actionData : undefined}
          created={created !== null}
        />
      ) : null}
      <Paper withBorder p="md">
        {keys === null ? (
          <Text data-testid="api-keys-hidden">Your role ({myRole}) cannot see this tenant's API keys.</Text>
        ) : (
          <KeysTable
            keys={keys}
            canManage={canManage}
            revokeProblem={actionData?.intent === 'revoke' ? actionData : null}
          />
        )}
      </Paper>
    </Stack>
  );
}

function NewKeyNotice({ created }: { created: { key: string; apiKey: ApiKey } }) {
  return (
    <Alert color="green" title={`Key "${created.apiKey.name}" created`} data-testid="new-api-key">
      <Stack gap="xs">
        <Text size="sm">Copy it now: it is shown this once and cannot be read again.</Text>
        <Group gap="xs" wrap="nowrap">
          <Code data-testid="new-api-key-value" style={{ wordBreak: 'break-all' }}>
            {created.key}
          </Code>
          <CopyButton value={created.key}>
            {({ copied, copy }) => (
              <Button size="xs" variant="light" onClick={copy}>
                {copied ? 'Copied' : 'Copy'}
              </Button>
            )}
          </CopyButton>
        </Group>
      </Stack>
    </Alert>
  );
}

function CreateKeyForm({
  myRole,
  actionData,
  created,
}: {
  myRole: Role;
  actionData: { problem: Problem | null; fieldErrors: Record<string, string> } | undefined;
  /** The last submission created a key: the form starts empty again. */
  created: boolean;
}) {
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    if (created) formRef.current?.reset();
  }, [actionData, created]);
  const navigation = useNavigation();
  const errors = { ...actionData?.fieldErrors, ...clientErrors };
  const allowedRoles = roles.filter((role) => ROLE_RANK[role] <= ROLE_RANK[myRole]);
  return (
    <Paper withBorder p="md">
      <Form
        ref={formRef}
        method="post"
        aria-label="Create an API key"
        noValidate
        onSubmit={(event) => {
          const values = Object.fromEntries(new FormData(event.currentTarget));
          const parsed = ApiKeyForm.safeParse(values);
          if (parsed.success) {
            setClientErrors({});
            return;
          }
          event.preventDefault();
          setClientErrors(fieldErrorsOf(parsed.error.issues));
        }}
      >
        <input type="hidden" name="intent" value="create" />
        <Group align="flex-start">
          <TextInput name="name" label="Name" placeholder="CI deploys" error={errors.name} maw={280} />
          <NativeSelect
            name="role"
            label="Role"
            data={allowedRoles}
            defaultValue={allowedRoles.includes('developer') ? 'developer' : allowedRoles.at(-1)}
            error={errors.role}
          />
          <NativeSelect
            name="lifetime"
            label="Expires"
            data={API_KEY_LIFETIMES.map((value) => ({ value, label: LIFETIME_LABELS[value] }))}
            defaultValue="90"
            error={errors.lifetime}
          />
          <Button type="submit" mt={24} loading={navigation.state === 'submitting'}>
            Create key
          </Button>
        </Group>
        {actionData?.problem && !Object.keys(actionData.fieldErrors).length ? (
          <Alert color="red" mt="sm" title={actionData.problem.title}>
            {actionData.problem.detail}
          </Alert>
        ) : null}
      </Form>
    </Paper>
  );
}

function KeysTable({
  keys,
  canManage,
  revokeProblem,
}: {
  keys: ApiKey[];
  canManage: boolean;
  revokeProblem: { keyId: string; problem: Problem | null } | null;
}) {
  if (keys.length === 0)
    return <EmptyState data-testid="api-keys-empty" title="No API keys" description="Nobody has created one yet." />;
  return (
    <Table.ScrollContainer minWidth={760}>
      <Table verticalSpacing="sm" aria-label="API keys" data-testid="api-keys-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Key</Table.Th>
            <Table.Th>Role</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>Expires</Table.Th>
            <Table.Th>Last used</Table.Th>
            {canManage ? <Table.Th aria-label="Actions" /> : null}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {keys.map((key) => (
            <Table.Tr key={key.id} data-testid="api-key-row" data-name={key.name}>
              <Table.Td>
                <Text fw={500}>{key.name}</Text>
                {key.createdBy ? (
                  <Text size="xs" c="dimmed">
                    by {key.createdBy}
                  </Text>
                ) : null}
              </Table.Td>
              <Table.Td>
                <Code>atr_{key.prefix}_…</Code>
              </Table.Td>
              <Table.Td>
                <RoleBadge role={key.role} />
              </Table.Td>
              <Table.Td>
                <Timestamp value={key.createdAt} />
              </Table.Td>
              <Table.Td>{key.expiresAt ? <Timestamp value={key.expiresAt} /> : <Text size="sm">never</Text>}</Table.Td>
              <Table.Td>
                {key.lastUsedAt ? (
                  <Timestamp value={key.lastUsedAt} />
                ) : (
                  <Text size="sm" c="dimmed">
                    never
                  </Text>
                )}
              </Table.Td>
              {canManage ? (
                <Table.Td>
                  {key.revokedAt ? (
                    <Badge color="gray" data-testid="api-key-revoked">
                      revoked
                    </Badge>
                  ) : (
                    <RevokeButton keyId={key.id} name={key.name} />
                  )}
                  {revokeProblem?.keyId === key.id && revokeProblem.problem ? (
                    <Text c="red" size="xs">
                      {revokeProblem.problem.detail ?? revokeProblem.problem.title}
                    </Text>
                  ) : null}
                </Table.Td>
              ) : null}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** Revoking cannot be undone: the first click asks, the second revokes. */
function RevokeButton({ keyId, name }: { keyId: string; name: string }) {
  const [confirming, setConfirming] = useState(false);
  if (!confirming)
    return (
      <Button size="xs" variant="subtle" color="red" onClick={() => setConfirming(true)}>
        Revoke
      </Button>
    );
  return (
    <Form method="post">
      <input type="hidden" name="intent" value="revoke" />
      <input type="hidden" name="keyId" value={keyId} />
      <Group gap={4} wrap="nowrap">
        <Button size="xs" color="red" type="submit" aria-label={`Confirm revoking ${name}`}>
          Revoke for good
        </Button>
        <Button size="xs" variant="subtle" onClick={() => setConfirming(false)}>
          Keep
        </Button>
      </Group>
    </Form>
  );
}
