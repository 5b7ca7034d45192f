import {
  Alert,
  Anchor,
  Badge,
  Button,
  Group,
  Paper,
  PasswordInput,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { data, Form, href, Link, redirect, useNavigation } from 'react-router';
import type { Route } from './+types/secret';
import type {
  Membership,
  Problem,
  RevealedSecret,
  Secret,
  SecretApprovalStarted,
  SecretDetail,
  SecretVersion,
  SecretVersionList,
  TenantPlanOverview,
} from '../../../../contracts/index.ts';
import { NewSecretVersionRequest } from '../../../../contracts/index.ts';
import { callApi } from '../../api/client.server.ts';
import { resultOrThrow } from '../../api/result.server.ts';
import { featureGate } from '../../billing/feature-gate.server.ts';
import { TenantNav } from '../../components/tenants/TenantNav.tsx';
import { Timestamp } from '../../components/Timestamp.tsx';
import { RevealedNotice } from '../../secret-rotation/RevealedNotice.tsx';
import { SecretPolicyPanel } from '../../secret-rotation/SecretPolicyPanel.tsx';
import type { PolicyActionResult } from '../../secret-rotation/policy.server.ts';
import { policyAction } from '../../secret-rotation/policy.server.ts';
import { SecretRotationPanel } from '../../secret-rotation/SecretRotationPanel.tsx';
import type { RotationActionResult } from '../../secret-rotation/rotation.server.ts';
import { loadRotations, rotationAction } from '../../secret-rotation/rotation.server.ts';
import { loginPath, rememberTenant, requireUser } from '../../session.server.ts';

export const meta: Route.MetaFunction = ({ params }) => [{ title: `Secret of ${params.slug} · Atrium` }];

const secretPath = (slug: string, secretId: string) =>
  `/api/v1/tenants/${encodeURIComponent(slug)}/secrets/${encodeURIComponent(secretId)}`;

export async function loader({ context, params, request }: Route.LoaderArgs) {
  const { accessToken } = await requireUser(request, context);
  const call = { signal: request.signal, token: accessToken };
  const [detail, history, membership, plan, [settings, rotations]] = await Promise.all([
    callApi<SecretDetail>(context, secretPath(params.slug, params.secretId), call),
    callApi<SecretVersionList>(context, `${secretPath(params.slug, params.secretId)}/versions`, call),
    callApi<Membership>(context, `/api/v1/tenants/${encodeURIComponent(params.slug)}/members/me`, call),
    callApi<TenantPlanOverview>(context, `/api/v1/tenants/${encodeURIComponent(params.slug)}/plan`, call),
    loadRotations({ context, ...call }, params.slug, params.secretId),
  ]);
  const mine = resultOrThrow(membership, request);
  rememberTenant(context, params.slug); // loaded: the user may see this tenant
  const { items } = resultOrThrow(history, request);
  return {
    slug: params.slug,
    secret: resultOrThrow(detail, request),
    // A rotation policy needs the plan's `secret-rotation` feature; turning one off does not.
    gate: featureGate(plan, 'secret-rotation'),
    versions: items,
    rotationSettings: resultOrThrow(settings, request),
    rotations: resultOrThrow(rotations, request).items,
    canManage: mine.permissions.includes('secrets.manage'),
    canReveal: mine.permissions.includes('secrets.reveal'),
  };
}

/** Lands on the operation of a change or reveal that waits for an approval (docs/decisions/0035). */
const awaitingApproval = (started: SecretApprovalStarted) =>
  redirect(href('/operations/:operationId', { operationId: started.operation.id }));

type ActionResult =
  | { intent: 'version'; secret: Secret | null; problem: Problem | null; fieldErrors: Record<string, string> }
  | { intent: 'reveal'; revealed: RevealedSecret | null; problem: Problem | null }
  | { intent: 'delete'; problem: Problem }
  | RotationActionResult
  | PolicyActionResult;

export async function action({ context, params, request }: Route.ActionArgs) {
  const { accessToken } = await requireUser(request, context);
  const form = Object.fromEntries(await request.formData());
  const path = secretPath(params.slug, params.secretId);
  const signedOut = () => redirect(loginPath(request));
  const policy = await policyAction({ context, token: accessToken }, params.slug, params.secretId, form);
  if (policy) {
    if (policy.status === 401) throw signedOut();
    return data<ActionResult>(policy.result, { status: policy.status });
  }
  const rotation = await rotationAction({ context, token: accessToken }, params.slug, params.secretId, form);
  if (rotation) {
    if (rotation.status === 401) throw signedOut();
    return data<ActionResult>(rotation.result, { status: rotation.status });
  }
  if (form.intent === 'reveal') {
    const version = typeof form.version === 'string' && form.version ? Number(form.version) : undefined;
    const result = await callApi<RevealedSecret | SecretApprovalStarted>(context, `${path}/reveal`, {
      method: 'POST',
      token: accessToken,
      body: version === undefined ? {} : { version },
    });
    if (!result.ok && result.status === 401) throw signedOut();
    // A production secret: the reveal waits for an approval; its operation page reveals once approved.
    if (result.ok && 'operation' in result.body) throw awaitingApproval(result.body);
    // The value goes back in this answer only: it is not in the loader, so a reload shows it no more.
    return data<ActionResult>(
      {
        intent: 'reveal',
        revealed: result.ok ? (result.body as RevealedSecret) : null,
        problem: result.ok ? null : result.problem,
      },
      { status: result.ok ? 200 : result.status, headers: { 'Cache-Control': 'no-store' } },
    );
  }
  if (form.intent === 'delete') {
    const result = await callApi(context, path, { method: 'DELETE', token: accessToken });
    if (result.ok) throw redirect(href('/tenants/:slug/secrets', { slug: params.slug }));
    if (result.status === 401) throw signedOut();
    return data<ActionResult>({ intent: 'delete', problem: result.problem }, { status: result.status });
  }
  const parsed = NewSecretVersionRequest.safeParse({ value: form.value });
  if (!parsed.success)
    return data<ActionResult>(
      { intent: 'version', secret: null, problem: null, fieldErrors: { value: parsed.error.issues[0]!.message } },
      { status: 422 },
    );
  const result = await callApi<Secret | SecretApprovalStarted>(context, `${path}/versions`, {
    method: 'POST',
    token: accessToken,
    body: parsed.data,
  });
  // A production secret: the value is staged until an approver approves it, on the operation's page.
  if (result.ok && 'operation' in result.body) throw awaitingApproval(result.body);
  if (!result.ok) {
    if (result.status === 401) throw signedOut();
    const fieldErrors = Object.fromEntries((result.problem.errors ?? []).map((e) => [e.path, e.message]));
    return data<ActionResult>(
      { intent: 'version', secret: null, problem: result.problem, fieldErrors },
      { status: result.status },
    );
  }
  return data<ActionResult>(
    { intent: 'version', secret: result.body as Secret, problem: null, fieldErrors: {} },
    { status: 201 },
  );
}

export default function SecretPage({ loaderData, actionData }: Route.ComponentProps) {
  const { slug, secret, versions, canManage, canReveal, rotationSettings, rotations, gate } = loaderData;
  return (
    <Stack gap="lg">
      <TenantNav slug={slug} current="secrets" />
      <div>
        <Anchor component={Link} to={href('/tenants/:slug/secrets', { slug })} size="sm">
          ← All secrets
        </Anchor>
        <Title order={1} size="h2" ff="monospace" style={{ wordBreak: 'break-all' }}>
          {secret.name}
        </Title>
        {secret.description ? <Text c="dimmed">{secret.description}</Text> : null}
      </div>
      <Paper withBorder p="md">
        <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
          <Fact label="Environment">
            <Badge variant="light">{secret.environment}</Badge>
          </Fact>
          <Fact label="Kind">{secret.kind}</Fact>
          <Fact label="Current version">v{secret.version}</Fact>
          <Fact label="Rotation">
            {secret.rotationPolicy ? (
              <>
                every {secret.rotationPolicy.every}
                {secret.nextRotationAt ? (
                  <Text size="xs" c="dimmed">
                    next due <Timestamp value={secret.nextRotationAt} />
                  </Text>
                ) : null}
              </>
            ) : (
              'no policy'
            )}
          </Fact>
          <Fact label="Consumers">
            {secret.consumers.length ? (
              secret.consumers.map((consumer) => (
                <Text key={consumer} size="sm" ff="monospace">
                  {consumer}
                </Text>
              ))
            ) : (
              <Text size="sm" c="dimmed">
                none named
              </Text>
            )}
          </Fact>
          <Fact label="Created">
            <Timestamp value={secret.createdAt} />
            {secret.createdBy ? (
              <Text size="xs" c="dimmed">
                by {secret.createdBy}
              </Text>
            ) : null}
          </Fact>
        </SimpleGrid>
      </Paper>
      <Text size="sm" c="dimmed" data-testid="secret-approval-note">
        In an environment whose approval policy asks for one (production, unless the tenant says otherwise), a new value
        or a reveal waits for another member&apos;s approval: you land on its operation, where an approved reveal is
        shown once.
      </Text>
      {actionData?.intent === 'reveal' ? <RevealedNotice result={actionData} /> : null}
      {canManage ? (
        <NewVersionForm result={actionData?.intent === 'version' ? actionData : undefined} version={secret.version} />
      ) : null}
      <Paper withBorder p="md">
        <Title order={2} size="h4" mb="sm">
          Versions
        </Title>
        <VersionsTable versions={versions} canReveal={canReveal} />
      </Paper>
      <SecretPolicyPanel
        secret={secret}
        canManage={canManage}
        gate={gate}
        result={
          actionData?.intent === 'policy' || actionData?.intent === 'policy-off' || actionData?.intent === 'consumers'
            ? actionData
            : undefined
        }
      />
      <SecretRotationPanel
        secret={secret}
        settings={rotationSettings}
        rotations={rotations}
        canManage={canManage}
        result={
          actionData?.intent === 'rotate' ||
          actionData?.intent === 'confirm' ||
          actionData?.intent === 'rotation-settings'
            ? actionData
            : undefined
        }
      />
      {canManage ? (
        <DeleteSecret name={secret.name} problem={actionData?.intent === 'delete' ? actionData.problem : null} />
      ) : null}
    </Stack>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase">
        {label}
      </Text>
      <div>{children}</div>
    </div>
  );
}

function NewVersionForm({
  result,
  version,
}: {
  result: { secret: Secret | null; problem: Problem | null; fieldErrors: Record<string, string> } | undefined;
  version: number;
}) {
  const formRef = useRef<HTMLFormElement>(null);
  const [clientError, setClientError] = useState<string | null>(null);
  useEffect(() => {
    if (result?.secret) formRef.current?.reset();
  }, [result]);
  const navigation = useNavigation();
  return (
    <Paper withBorder p="md">
      <Form
        ref={formRef}
        method="post"
        aria-label="Set a new version"
        noValidate
        onSubmit={(event) => {
          const parsed = NewSecretVersionRequest.safeParse({ value: new FormData(event.currentTarget).get('value') });
          if (parsed.success) return setClientError(null);
          event.preventDefault();
          setClientError(parsed.error.issues[0]!.message);
        }}
      >
        <input type="hidden" name="intent" value="version" />
        <Stack gap="sm">
          <Title order={2} size="h4">
            New version
          </Title>
          <PasswordInput
            name="value"
            label="New value"
            description={`Becomes version ${version + 1}; version ${version} is kept until its retention period ends.`}
            autoComplete="off"
            error={clientError ?? result?.fieldErrors.value}
          />
          {result?.secret ? (
            <Text c="green" size="sm" data-testid="secret-version-set">
              Version {result.secret.version} is now current.
            </Text>
          ) : null}
          {result?.problem && !result.fieldErrors.value ? (
            <Alert color="red" title={result.problem.title}>
              {result.problem.detail}
            </Alert>
          ) : null}
          <Group>
            <Button type="submit" loading={navigation.state === 'submitting'}>
              Set new version
            </Button>
          </Group>
        </Stack>
      </Form>
    </Paper>
  );
}

function VersionsTable({ versions, canReveal }: { versions: SecretVersion[]; canReveal: boolean }) {
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table verticalSpacing="sm" aria-label="Versions" data-testid="secret-versions">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Version</Table.Th>
            <Table.Th>Set</Table.Th>
            <Table.Th>Value kept until</Table.Th>
            {canReveal ? <Table.Th aria-label="Reveal" /> : null}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {versions.map((version) => (
            <Table.Tr key={version.version} data-testid="secret-version-row" data-version={version.version}>
              <Table.Td>
                <Group gap={6}>
                  v{version.version}
                  {version.current ? <Badge color="green">current</Badge> : null}
                  {version.purgedAt ? <Badge color="gray">destroyed</Badge> : null}
                </Group>
              </Table.Td>
              <Table.Td>
                <Timestamp value={version.createdAt} />
                {version.createdBy ? (
                  <Text size="xs" c="dimmed">
                    by {version.createdBy}
                  </Text>
                ) : null}
              </Table.Td>
              <Table.Td>
                {version.purgedAt ? (
                  <Text size="sm" c="dimmed">
                    destroyed <Timestamp value={version.purgedAt} />
                  </Text>
                ) : version.retainedUntil ? (
                  <Timestamp value={version.retainedUntil} />
                ) : (
                  <Text size="sm">while current</Text>
                )}
              </Table.Td>
              {canReveal ? (
                <Table.Td>
                  {version.purgedAt ? null : (
                    <Form method="post">
                      <input type="hidden" name="intent" value="reveal" />
                      <input type="hidden" name="version" value={version.version} />
                      <Button size="xs" variant="light" type="submit" aria-label={`Reveal version ${version.version}`}>
                        Reveal
                      </Button>
                    </Form>
                  )}
                </Table.Td>
              ) : null}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** Deleting asks first; the values are kept for the retention period, then destroyed. */
function DeleteSecret({ name, problem }: { name: string; problem: Problem | null }) {
  const [confirming, setConfirming] = useState(false);
  return (
    <Paper withBorder p="md">
      <Stack gap="xs">
        <Title order={2} size="h4">
          Delete
        </Title>
        <Text size="sm" c="dimmed">
          The secret disappears at once; its values are destroyed when the retention period ends.
        </Text>
        {confirming ? (
          <Form method="post">
            <input type="hidden" name="intent" value="delete" />
            <Group gap="xs">
              <Button color="red" type="submit" aria-label={`Confirm deleting ${name}`}>
                Delete {name}
              </Button>
              <Button variant="subtle" onClick={() => setConfirming(false)}>
                Keep it
              </Button>
            </Group>
          </Form>
        ) : (
          <Group>
            <Button color="red" variant="light" onClick={() => setConfirming(true)}>
              Delete secret
            </Button>
          </Group>
        )}
        {problem ? (
          <Alert color="red" title={problem.title}>
            {problem.detail}
          </Alert>
        ) : null}
      </Stack>
    </Paper>
  );
}
